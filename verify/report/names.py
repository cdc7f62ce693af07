"""The paper's symbols for the names SymPy instances use (``W3_1_2`` -> W^3_12), for every page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sympy as sp

__all__ = ["distinct_bound_indices", "paper_latex", "point_latex", "symbol_names"]

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

_RULES: tuple[_Rule, ...] = (
    (re.compile(r"W(\d+)_(\d+)_(\d+)"), lambda m: f"W^{{{m[1]}}}_{{{m[2]}{m[3]}}}"),
    (re.compile(r"W_(\d+)_(\d+)"), lambda m: f"W^{{L}}_{{{m[1]}{m[2]}}}"),
    (re.compile(r"a_prev(\d+)"), lambda m: f"a^{{L-1}}_{{{m[1]}}}"),
    (re.compile(r"sL_(\d+)"), lambda m: f"a^{{L}}_{{{m[1]}}}"),
    (re.compile(r"([bzZ])(\d+)_(\d+)"), lambda m: f"{m[1].lower()}^{{{m[2]}}}_{{{m[3]}}}"),
    (re.compile(r"([ay])(\d+)_(\d+)"), lambda m: f"{m[1]}_{{{m[2]},{m[3]}}}"),
    (re.compile(r"A(\d+)"), lambda m: f"a^{{L}}_{{{m[1]}}}"),
    (re.compile(r"([a-zA-Z])(\d+)"), lambda m: f"{m[1]}_{{{m[2]}}}"),
    (re.compile(r"eta_0"), lambda m: r"\eta_0"),
    (re.compile(r"eta"), lambda m: r"\eta"),
    (re.compile(r"sigma_W"), lambda m: r"\sigma_W"),
    (
        re.compile(r"([A-Za-z])_(epoch|epochs|train|mb|in)"),
        lambda m: f"{m[1]}_{{\\text{{{m[2]}}}}}",
    ),
)
"""Full-name patterns, first match wins: network W^l_jk, b^l_j, z^l_j; the output layer's W^L_jk,
a^{L-1}_k; the sigmoid outputs a^L_k; sample i, component k of eq. 7/9 (a_{i,k}); x1 -> x_1."""


def paper_latex(name: str) -> str | None:
    """The paper's LaTeX for a SymPy symbol name, or ``None`` when the name is already readable."""
    for pattern, render in _RULES:
        m = pattern.fullmatch(name)
        if m:
            return render(m)
    return None


def symbol_names(expr: Any) -> dict[sp.Symbol, str]:
    """``sympy.latex(..., symbol_names=...)`` mapping for every free symbol of ``expr``."""
    out: dict[sp.Symbol, str] = {}
    for s in getattr(expr, "free_symbols", ()):
        if isinstance(s, sp.Symbol):
            tex = paper_latex(s.name)
            if tex is not None:
                out[s] = tex
    return out


def point_latex(name: str) -> str:
    """A counterexample coordinate as inline math in the paper's symbols: $`W^{1}_{23}`$."""
    tex = paper_latex(name) or name
    return f"$`{tex}`$"


_FRESH = ("m", "n", "p", "q", "r", "s")


def distinct_bound_indices(expr: Any, bound: frozenset[sp.Symbol] = frozenset()) -> Any:
    """Rename the index of a sum nested in another sum over the same index (Σ_k … Σ_k -> Σ_m)."""
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: distinct_bound_indices(e, bound))
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Sum):
        return expr
    if isinstance(expr, sp.Sum):
        function, limits = expr.function, []
        inner = set(bound)
        taken = {s.name for s in expr.free_symbols} | {v.name for v in bound}
        for var, *ends in expr.limits:
            if var in bound:
                fresh = next(sp.Symbol(c, **var.assumptions0) for c in _FRESH if c not in taken)
                taken.add(fresh.name)
                function = function.xreplace({var: fresh})
                var = fresh
            inner.add(var)
            limits.append((var, *ends))
        return sp.Sum(distinct_bound_indices(function, frozenset(inner)), *limits)
    return expr.func(*[distinct_bound_indices(a, bound) for a in expr.args])
