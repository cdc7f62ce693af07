"""Expressions turned into Python functions: SymPy's ``lambdify`` behind one plain renaming."""

import functools
from collections.abc import Callable, Sequence
from typing import Any

import sympy as sp

__all__ = ["lambdify"]

_Shared = tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]


@functools.lru_cache(maxsize=512)
def _common(exprs: tuple[sp.Expr, ...]) -> _Shared:
    """Common subexpressions of ``exprs`` (cached: a list is lambdified for NumPy, then JAX)."""
    shared, reduced = sp.cse(list(exprs))
    return shared, list(reduced)


def lambdify(
    variables: Sequence[sp.Symbol],
    exprs: sp.Expr | sp.MatrixBase | Sequence[sp.Expr],
    modules: str,
    *,
    cse: bool = False,
) -> Callable[..., Any]:
    """``sympy.lambdify(variables, exprs, modules)``, with the variables renamed first.

    The paper's names (``W^l_{jk}``, ``delta``) are not Python identifiers. SymPy then swaps
    each such variable for a dummy in a pass of its own over every expression: with the
    twenty-odd entries of a weight matrix, that was most of the time of building a check (over
    1 s for a 3 x 2 layer). Here all the variables are swapped at once, with the same
    assumptions, for ``_v0, _v1, ...``: names no expression of ours uses, and which ``cse``'s
    ``x0, x1, ...`` cannot meet. The expressions are the same up to their names.

    ``cse``: common subexpressions computed once (for a list, found once per list and module
    set). The generated function has no copy of the expression in its docstring: printing it
    cost as much as printing the code.
    """
    plain = [sp.Symbol(f"_v{i}", **v.assumptions0) for i, v in enumerate(variables)]
    rename = dict(zip(variables, plain, strict=True))
    shared: bool | Callable[[Any], _Shared] = cse
    if isinstance(exprs, sp.MatrixBase):
        renamed: Any = exprs.xreplace(rename)
    elif isinstance(exprs, sp.Basic):
        renamed = exprs.xreplace(rename)
    else:
        renamed = [sp.sympify(e).xreplace(rename) for e in exprs]
        if cse:
            shared = lambda e: _common(tuple(e))  # noqa: E731
    return sp.lambdify(  # type: ignore[no-any-return]
        plain, renamed, modules=modules, cse=shared, dummify=False, docstring_limit=0
    )
