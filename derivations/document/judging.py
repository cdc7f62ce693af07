"""Judge one step ``left = right``: exact tests first, 50-digit numbers as the arbiter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from derivations.document.context import Context, Opaque
from derivations.document.numeric import (
    Difference,
    Instance,
    StepTimeoutError,
    compare,
    flatten_entries,
    instances,
    sample_point,
    time_limit,
    value_text,
)
from derivations.document.unfolding import unfold
from derivations.equivalence import _cheap_zero, decide

__all__ = ["Outcome", "judge", "unknowns"]

SYMBOLIC_BUDGET = 2.0
"""Seconds of SymPy per step before the numbers decide alone."""
PROOF_BUDGET = 0.5
"""Seconds for the last SymPy proof of a step the 50-digit numbers already found to hold: it only
turns "agree at random points" into "SymPy proves it", so it gets less than the budget that
decides verdicts."""


@dataclass(frozen=True)
class Outcome:
    """A verdict with its evidence, in words for people."""

    verdict: str
    method: str
    message: str
    condition: str | None = None
    counterexample: dict[str, Any] | None = None
    values: dict[str, float] = field(default_factory=dict)


def unknowns(expr: sp.Expr) -> list[str]:
    """Names the document uses but never defines (undefined functions, unknown derivatives)."""
    out = {s.name for s in expr.atoms(Opaque)}
    out |= {str(ix.base.label) for ix in expr.atoms(sp.Indexed)
            if str(ix.base.label).startswith("∂")}
    out |= {str(f.func) for f in expr.atoms(sp.core.function.AppliedUndef)}
    return sorted(out)


def _unmatched_unknowns(L: sp.Expr, R: sp.Expr) -> list[str]:
    """Unknowns (``∂C/∂w`` of an undefined ``C``) that are not on both sides of the step.

    An unknown on both sides is just a value the step must hold for (``∂C_0/∂w_i`` in an L2
    penalty's gradient); one on a single side is a relation the document never states.
    """
    calls_or_derivatives = {str(f.func) for e in (L, R)
                            for f in e.atoms(sp.Derivative, sp.Subs)
                            for f in f.atoms(sp.core.function.AppliedUndef)}
    left, right = set(unknowns(L)), set(unknowns(R))
    return sorted((left ^ right) | calls_or_derivatives)


def _chain_rule(
    L: sp.Expr, R: sp.Expr, missing: list[str], ctx: Context
) -> tuple[sp.Expr, sp.Expr, str] | None:
    """Write ``∂C/∂x_j`` (one side only) as ``Σ_k ∂C/∂y_k ∂y_k/∂x_j`` (the other side's).

    The step's own reading: ``C`` depends on ``x`` only through ``y``, whose definition in the
    document gives ``∂y_k/∂x_j``. ``None`` when the unknowns do not pair up that way.
    """
    indexed = [m for m in missing if any(str(ix.base.label) == m
                                         for e in (L, R) for ix in e.atoms(sp.Indexed))]
    if len(indexed) != 2:
        return None
    for x_unknown, y_unknown in (indexed, indexed[::-1]):
        got = _through(L, R, x_unknown, y_unknown, ctx)
        if got is not None:
            return got
    return None


def _through(
    L: sp.Expr, R: sp.Expr, x_unknown: str, y_unknown: str, ctx: Context
) -> tuple[sp.Expr, sp.Expr, str] | None:
    """Both sides with each ``∂C/∂x_j`` written as ``Σ_k ∂C/∂y_k ∂y_k/∂x_j``."""
    top, _, x_key = x_unknown.partition("/∂")
    top2, _, y_key = y_unknown.partition("/∂")
    d = ctx.definitions.get(y_key)
    if top != top2 or d is None or len(d.indices) != 1:
        return None
    k = sp.Dummy("k", integer=True)
    y_entry = unfold(ctx.base(y_key)[k], ctx, keep=[x_key])
    lower, upper = ctx.index_ranges.get(str(d.indices[0]), (sp.Integer(1), None))
    if upper is None:
        upper = ctx.index_symbol("K", size=True)
        ctx.sizes.setdefault("K", None)

    def through(e: sp.Indexed) -> sp.Expr:
        slope = sp.diff(y_entry, ctx.base(x_key)[e.indices])
        return sp.Sum(sp.IndexedBase(y_unknown)[k] * slope, (k, lower, upper))

    def side(e: sp.Expr) -> sp.Expr:
        return e.replace(
            lambda a: isinstance(a, sp.Indexed) and str(a.base.label) == x_unknown, through
        )

    why = f"reading {top.removeprefix('∂')} as depending on {x_key} only through {y_key}"
    return side(L), side(R), why


def _plain(expr: sp.Expr) -> set[sp.Symbol]:
    labels = {b.label for b in expr.atoms(sp.IndexedBase)}
    return {s for s in expr.free_symbols
            if isinstance(s, sp.Symbol) and not s.is_integer and s not in labels}


def _names(expr: sp.Expr) -> set[str]:
    """Variables by name: ``y`` for a symbol, ``y[2 indices]`` for an indexed one."""
    out = {s.name for s in _plain(expr)}
    out |= {f"{ix.base.label}[{len(ix.indices)}]" for ix in expr.atoms(sp.Indexed)}
    return out


def _applications_as_symbols(expr: sp.Expr) -> sp.Expr:
    r"""Each call of an undefined function (``\\sigma(W x + b)``) as an unknown value."""
    calls = expr.atoms(sp.core.function.AppliedUndef)
    if not calls or expr.atoms(sp.Derivative, sp.Subs):
        return expr
    return expr.xreplace({c: sp.Symbol(f"{c.func}({', '.join(map(_readable, c.args))})",
                                       real=True) for c in calls})


def _readable(e: sp.Expr) -> str:
    """``W^L*a^{L-1} + b^L`` as a reader writes it: ``W^L a^{L-1} + b^L``."""
    return str(sp.sstr(e)).replace("**", "^").replace("*", " ")


def _symbolic_dimension(expr: sp.Expr) -> bool:
    return any(not s.is_Integer for ix in expr.atoms(sp.Indexed) for s in ix.indices) or any(
        not (lim[1].is_Integer and lim[2].is_Integer)
        for s in expr.atoms(sp.Sum, sp.Product)
        for lim in s.limits
    )


def _in_range(expr: sp.Expr) -> sp.Expr:
    """A free index lies in its range: ``Piecewise((w_j, 1 <= j <= K), (0, True))`` is ``w_j``."""

    def first(p: sp.Piecewise) -> sp.Expr:
        cond = p.args[0].cond
        if all(s.is_integer for s in cond.free_symbols):
            return p.args[0].expr
        return p

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), first)


def _general_zero(residual: sp.Expr, budget: float) -> bool:
    """Whether SymPy reduces a symbolic-K residual to 0 (sums combined, deltas collapsed)."""
    from sympy.simplify.simplify import sum_simplify

    try:
        with time_limit(budget):
            e = _in_range(sum_simplify(sp.expand(residual.doit())))
            return bool(_cheap_zero(e, None) == 0)
    except Exception:  # an attempt at a proof: the numbers decide otherwise
        return False


def _point_text(point: dict[str, float]) -> str:
    items = [f"{k} = {value_text(v)}" for k, v in sorted(point.items())]
    if len(items) > 8:
        items = [*items[:8], f"… ({len(items) - 8} more)"]
    return ", ".join(items)


def _fixed_text(fixed: dict[str, int]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(fixed.items()))


def _counterexample(inst: Instance, diff: Difference) -> dict[str, Any]:
    return {"point": dict(sorted(diff.point.items())), "instance": dict(sorted(inst.fixed.items())),
            "lhs": diff.left, "rhs": diff.right}


def _wrong_message(inst: Instance, diff: Difference) -> str:
    where = _point_text(diff.point)
    if inst.fixed:
        where = f"{_fixed_text(inst.fixed)} and {where}" if where else _fixed_text(inst.fixed)
    return (
        f"the two sides differ: at {where or 'every point'} the left side is "
        f"{value_text(diff.left)} and the right side {value_text(diff.right)}"
    )


def _prove(inst: Instance, ctx: Context, budget: float) -> str | None:
    """``symbolic`` when SymPy proves the instance, ``None`` when it cannot within budget."""
    variables = sorted(_plain(inst.left - inst.right), key=str)

    def sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        return sample_point(variables, ctx, rng, set())

    try:
        with time_limit(budget):
            d = decide(inst.right, inst.left, variables, sample, n_points=4)
    except Exception:
        return None
    if d.equal and d.method.value == "symbolic":
        return "symbolic"
    return None


def _normalisations(L: sp.Expr, R: sp.Expr) -> list[tuple[sp.Expr, sp.Expr, str]]:
    r"""Conditions a step may silently use: ``\\sum_k y_k = 1`` for each sum of one entry."""
    out: list[tuple[sp.Expr, sp.Expr, str]] = []
    seen: set[str] = set()
    for s in (L - R).atoms(sp.Sum):
        body, k = s.function, s.limits[0][0]
        itself = s in (L, R, -L, -R)  # the step is the condition itself: no condition
        if isinstance(body, sp.Indexed) and body.indices == (k,) and not itself:
            name = str(body.base.label)
            if name not in seen:
                seen.add(name)
                out.append((s, sp.Integer(1), f"\\sum_k {name}_k = 1"))
    return out


def _under_assumptions(
    inst: Instance, ctx: Context, seed: int,
    assumptions: list[tuple[sp.Expr, sp.Expr, str]] | None = None,
) -> str | None:
    """The condition (LaTeX) under which a wrong instance holds, if the notation gives one.

    Each assumption is solved for one of the step's variables (the last by name) and
    substituted, one after the other (``y = y_1`` then ``y_2 = 1 - y_1``).
    """
    if assumptions is None:
        assumptions = ctx.assumptions
    if not assumptions:
        return None
    used: list[str] = []
    subs: dict[sp.Symbol, sp.Expr] = {}
    sizes = {s: sp.Integer(inst.fixed[s.name]) for s in ctx.size_symbols() if s.name in inst.fixed}
    step_vars = _plain(inst.left) | _plain(inst.right)
    for a_left, a_right, written in assumptions:
        table: dict[sp.Symbol, sp.Expr] = {}
        eq = flatten_entries(unfold(a_left - a_right, ctx).xreplace(sizes).doit(), table)
        eq = eq.xreplace(subs)
        present = sorted(_plain(eq) & (step_vars - set(subs)), key=str)
        if not present:
            continue
        target = present[-1]
        try:
            solved = sp.solve(eq, target)
        except (NotImplementedError, ValueError):
            continue
        if len(solved) != 1:
            continue
        subs = {k: v.xreplace({target: solved[0]}) for k, v in subs.items()}
        subs[target] = solved[0]
        used.append(written)
    if not used:
        return None
    left, right = inst.left.xreplace(subs), inst.right.xreplace(subs)
    diff, counted = compare(left, right, ctx, seed=seed)
    return "; ".join(used) if diff is None and counted else None


def _linked_by_assumptions(L: sp.Expr, R: sp.Expr, ctx: Context) -> bool:
    """Whether an assumption of the notation block mentions variables of both sides."""
    for a_left, a_right, _ in ctx.assumptions:
        names = _names(a_left - a_right)
        if names & _names(L) and names & _names(R):
            return True
    return False


def judge(
    left: sp.Expr, right: sp.Expr, ctx: Context, *, budget: float = SYMBOLIC_BUDGET, seed: int = 0
) -> Outcome:
    """Verdict of ``left = right`` with the definitions of ``ctx`` unfolded."""
    L = _applications_as_symbols(unfold(left, ctx))
    R = _applications_as_symbols(unfold(right, ctx))
    if L == R:
        return Outcome("holds", "symbolic", "both sides are the same expression")
    try:
        with time_limit(budget / 2):
            cheap = _cheap_zero(L - R, None)
        if cheap == 0:
            return Outcome("holds", "symbolic", "the difference of the two sides expands to 0")
    except (StepTimeoutError, ValueError, TypeError, RecursionError):
        cheap = L - R
    missing = _unmatched_unknowns(L, R)
    chained = _chain_rule(L, R, missing, ctx) if missing else None
    if chained is not None:
        inner = judge(chained[0], chained[1], ctx, budget=budget, seed=seed)
        if inner.verdict in ("holds", "wrong", "holds_if"):
            return Outcome(inner.verdict, inner.method, f"{inner.message} (by the chain rule, "
                           f"{chained[2]})", inner.condition, inner.counterexample)
    if missing:
        return Outcome(
            "undecided", "none",
            f"this step uses {', '.join(missing)}, which the document does not define; "
            "define it earlier (e.g. C = ...) so that the step can be checked",
        )
    if (_names(L) and _names(R) and _names(L).isdisjoint(_names(R))
            and not _linked_by_assumptions(L, R, ctx)):
        return Outcome(
            "undecided", "none",
            "the two sides share no variable, so this reads as a definition or an assumption, "
            "not a derivation step: write it with := or declare it with 'assume' in the "
            "notation block",
        )
    general = _symbolic_dimension(L - R)
    if general and _general_zero(L - R, budget / 4):
        return Outcome("holds", "symbolic_general_K",
                       "SymPy proves it for every size (symbolic K)")
    try:
        cases = instances(L, R, ctx)
    except (StepTimeoutError, ValueError, TypeError, RecursionError) as e:
        return Outcome("undecided", "none", f"the step could not be evaluated ({e})")
    counted_total = 0
    for inst in cases:
        diff, counted = compare(inst.left, inst.right, ctx, seed=seed)
        counted_total += counted
        if diff is not None:
            condition = _under_assumptions(inst, ctx, seed)
            if condition is None:
                condition = _under_assumptions(inst, ctx, seed, _normalisations(L, R))
            if condition is not None:
                return Outcome(
                    "holds_if", "numeric", f"holds only if {condition}; "
                    + _wrong_message(inst, diff), condition, _counterexample(inst, diff),
                )
            return Outcome("wrong", "numeric", _wrong_message(inst, diff), None,
                           _counterexample(inst, diff))
    if counted_total == 0:
        return Outcome("undecided", "numeric",
                       "no sample point was found where both sides are defined")
    proof = min(budget, PROOF_BUDGET) / max(len(cases), 1)
    proved = len(cases) <= 4 and all(_prove(inst, ctx, proof) for inst in cases)
    fixed = cases[0].fixed if cases else {}
    sizes = _fixed_text({k: v for k, v in fixed.items() if k in ctx.sizes})
    free = sorted(k for k in fixed if k not in ctx.sizes)
    where = " at " + sizes if sizes else ""
    if free:
        where += f" for every value of {', '.join(free)}"
    if proved:
        return Outcome("holds", "enumerated" if fixed else "symbolic",
                       "SymPy proves the two sides equal" + where)
    return Outcome(
        "holds", "numeric",
        f"the two sides agree to 50 digits at {counted_total} random points{where}; "
        "SymPy could not prove it within its time budget",
    )
