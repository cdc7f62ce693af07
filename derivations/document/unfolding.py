"""Names read through the document's definitions: unfolding, late functions, fresh indices."""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

from derivations.document.context import Context, Definition
from derivations.document.convert import ConversionError

__all__ = ["apply_defined", "rename_bound", "unfold"]


def _opaque_body(body: sp.Expr) -> bool:
    return bool(body.atoms(sp.core.function.AppliedUndef))


def rename_bound(expr: sp.Expr) -> sp.Expr:
    """Each summation index as a fresh symbol, so that a free ``k`` never meets a bound one."""

    def fresh(s: sp.Expr) -> sp.Expr:
        mapping = {lim[0]: sp.Dummy(str(lim[0]), integer=True) for lim in s.limits}
        return s.xreplace(mapping)

    return expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)), fresh)


def apply_defined(expr: sp.Expr, ctx: Context) -> sp.Expr:
    r"""Calls of functions defined after the formula was read, replaced by the definition.

    ``a = \sigma(z)`` then ``\sigma(z) = ...``: ``a`` is the sigmoid; derivatives evaluated.
    """

    def defined(e: sp.Expr) -> bool:
        d = ctx.definitions.get(str(e.func))
        return bool(d is not None and d.params and len(e.args) == len(d.params) + (
            1 if d.out_index is not None else 0))

    def call(e: sp.Expr) -> sp.Expr:
        d = ctx.definitions[str(e.func)]
        mapping: dict[sp.Basic, sp.Basic] = dict(zip(d.params, e.args, strict=False))
        if d.out_index is not None:
            mapping[d.out_index] = e.args[-1]
        for p, a in zip(d.params, e.args, strict=False):
            vector = ctx.bases.get(p.name)
            if vector is not None and isinstance(a, sp.Symbol):
                mapping[vector] = ctx.base(a.name)
        return rename_bound(d.body).xreplace(mapping)

    undef = sp.core.function.AppliedUndef
    if not any(defined(c) for c in expr.atoms(undef)):
        return expr
    out = expr.replace(lambda e: isinstance(e, undef) and defined(e), call)
    return out.replace(lambda e: isinstance(e, (sp.Subs, sp.Derivative)), lambda e: e.doit())


def _definition_of(ctx: Context, key: str, *, generic: bool) -> Definition | None:
    from derivations.document.labels import generic_definition

    d = ctx.definitions.get(key)
    if d is None and generic and "^" in key and not key.startswith("∂"):
        d = generic_definition(ctx, key)
    return d


def unfold(expr: sp.Expr, ctx: Context, keep: Iterable[str] = ()) -> sp.Expr:
    r"""Replace every defined name by its definition (except the names in ``keep``).

    A definition through an undefined function (``a^L = \\sigma(z^L)`` with no ``\\sigma``)
    is not unfolded: ``a^L`` stays a variable, which is all the document says about it.
    """
    kept = set(keep) | {k for k, d in ctx.definitions.items()
                        if _opaque_body(apply_defined(d.body, ctx))}
    for round_ in range(40):
        expr = apply_defined(expr, ctx)
        mapping: dict[sp.Expr, sp.Expr] = {}
        for s in expr.free_symbols:
            scalar = isinstance(s, sp.Symbol) and ctx.symbols.get(s.name) == s
            d = _definition_of(ctx, s.name, generic=round_ == 0) if scalar else None
            if d is not None and not d.params and not d.indices and s.name not in kept:
                mapping[s] = d.body
        for ix in expr.atoms(sp.Indexed):
            d = _definition_of(ctx, str(ix.base.label), generic=round_ == 0)
            if (d is not None and d.indices and str(ix.base.label) not in kept
                    and len(d.indices) == len(ix.indices)):
                body = rename_bound(d.body)
                mapping[ix] = body.xreplace(dict(zip(d.indices, ix.indices, strict=True)))
        if not mapping:
            return expr
        expr = expr.xreplace(mapping)
    raise ConversionError("the definitions refer to each other in a circle", 0)
