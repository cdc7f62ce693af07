"""Layer labels as expressions: a definition of ``δ^l`` read at ``l+1`` as ``δ^{l+1}``."""

from __future__ import annotations

import re

import sympy as sp

from derivations.document.context import Context, Definition, Opaque

__all__ = ["generic_definition", "normal_label"]

_SIMPLE = re.compile(r"[A-Za-z0-9+\-]+")
_IN_NAME = re.compile(r"\^(\{[^{}]*\}|[A-Za-z0-9])")


def _parse(label: str, letters: set[str]) -> sp.Expr | None:
    text = label[1:-1] if label.startswith("{") and label.endswith("}") else label
    if not _SIMPLE.fullmatch(text):
        return None
    try:
        return sp.sympify(text, locals={c: sp.Symbol(c) for c in set(text) if c.isalpha()})
    except (sp.SympifyError, SyntaxError, TypeError):
        return None


def normal_label(label: str) -> str:
    """``1+l`` and ``l + 1`` both as ``l+1`` (labels made of letters, digits, + and -)."""
    value = _parse(label, set())
    return label if value is None else str(value).replace(" ", "")


def _written(value: sp.Expr) -> str:
    text = str(value).replace(" ", "")
    return text if len(text) == 1 else "{" + text + "}"


def _rename(name: str, shift: dict[sp.Symbol, sp.Expr]) -> str:
    def one(m: re.Match[str]) -> str:
        value = _parse(m.group(1), set())
        if value is None or not (value.free_symbols & set(shift)):
            return m.group(0)
        return "^" + _written(value.xreplace(shift))

    return _IN_NAME.sub(one, name)


def _relabel(expr: sp.Expr, shift: dict[sp.Symbol, sp.Expr], ctx: Context) -> sp.Expr:
    mapping: dict[sp.Basic, sp.Basic] = {}
    for s in expr.free_symbols:
        if isinstance(s, Opaque):
            mapping[s] = Opaque(_rename(s.name, shift), real=True)
        elif isinstance(s, sp.Symbol) and ctx.symbols.get(s.name) == s:
            new = _rename(s.name, shift)
            if new != s.name:
                mapping[s] = ctx.symbol(new)
    for b in expr.atoms(sp.IndexedBase):
        new = _rename(str(b.label), shift)
        if new != str(b.label):
            mapping[b] = ctx.base(new) if not new.startswith("∂") else sp.IndexedBase(new)
    return expr.xreplace(mapping)


def generic_definition(ctx: Context, key: str) -> Definition | None:
    """``δ^{l+1}`` from a ``:=`` definition of ``δ^l`` (the label letter shifted in it).

    Only ``:=`` definitions are generic: ``z^{l+1} = W^{l+1} a^l + ...`` with ``=`` defines
    that layer's ``z``, and reading it at every layer would unfold without end.
    """
    stem, _, label = key.partition("^")
    if not label:
        return None
    want = _parse(label, set())
    if want is None:
        return None
    letters = {sp.Symbol(c) for c in ctx.label_letters}
    for other, d in ctx.definitions.items():
        s2, _, lab2 = other.partition("^")
        if s2 != stem or other == key or not lab2 or not d.forced:
            continue
        have = _parse(lab2, set())
        free = (have.free_symbols & letters) if have is not None else set()
        if have is None or len(free) != 1:
            continue
        letter = free.pop()
        t = sp.Dummy("t")
        solved = sp.solve(sp.Eq(have.xreplace({letter: t}), want), t)
        if len(solved) != 1:
            continue
        shift = {letter: solved[0]}
        return Definition(key, _relabel(d.body, shift, ctx), d.line, d.params, d.indices,
                          d.out_index, d.source, forced=False)
    return None
