"""Derivatives, function calls, sums and cases of the front end (the parts that need context)."""

from __future__ import annotations

import lark
import sympy as sp

from derivations.document.context import Opaque
from derivations.document.convert import (
    ConversionError,
    Converter,
    Derivative,
    _flatten,
    _is_partial,
    _unwrap_paren,
    is_function_base,
)
from derivations.document.names import Name, name_of, script_items, source_of, token_text
from derivations.document.unfolding import rename_bound, unfold

__all__ = ["apply_name", "bigop", "cases", "derivative_item", "fraction"]


def _items(node: lark.Tree | lark.Token) -> list[lark.Tree | lark.Token]:
    if isinstance(node, lark.Tree) and node.data == "arg":
        node = node.children[0]
    if isinstance(node, lark.Tree) and node.data == "group":
        node = node.children[0]
    return _flatten(node, "mul")


def _variables(
    conv: Converter, items: list[lark.Tree | lark.Token], node: lark.Tree
) -> list[tuple[sp.Expr, int]] | None:
    r"""``\\partial z \\partial w^2`` -> [(z, 1), (w, 2)]; ``None`` if it is not a denominator."""
    out: list[tuple[sp.Expr, int]] = []
    i = 0
    while i < len(items):
        if not _is_partial(items[i]):
            return out if out else None
        if i + 1 >= len(items):
            raise conv.error("a ∂ in the denominator without a variable", node)
        out.append(variable(conv, items[i + 1]))
        i += 2
    return out or None


def variable(conv: Converter, node: lark.Tree | lark.Token) -> tuple[sp.Expr, int]:
    r"""A variable of differentiation (never unfolded) and its order (``\\partial z^2``)."""
    name = name_of(node)
    if name is None:
        raise conv.error("differentiate with respect to a symbol such as z or w_{jk}", node)
    label = conv.label_of(name)
    order = 1
    if name.sup is not None and label is None:
        try:
            order = int(source_of(name.sup, conv.text).strip("{} "))
        except ValueError as e:
            raise conv.error("the order of a derivative must be a whole number", node) from e
    key = name.key(label)
    idx = conv.indices(name.indices)
    if idx:
        return conv.ctx.base(key)[tuple(idx)], order
    return conv.ctx.symbol(key), order


def _name_of_expr(v: sp.Expr) -> str:
    return str(v.base.label) if isinstance(v, sp.Indexed) else str(v)


def _unlabelled(key: str) -> str:
    return key.split("^", 1)[0]


def differentiate(conv: Converter, f: sp.Expr, variables: list[tuple[sp.Expr, int]]) -> sp.Expr:
    """``∂^n f / ∂v...``: definitions unfolded except the variables themselves.

    A function written in ``a`` differentiated with respect to ``a^L`` is read in ``a^L`` (the
    notes drop layer labels in definitions). Differentiating an undefined name (``∂C/∂w``
    without a definition of ``C``) gives an unknown, never 0.
    """
    keys = [_name_of_expr(v) for v, _ in variables]
    d = conv.ctx.definitions.get(f.name) if isinstance(f, sp.Symbol) else None
    if d is not None and d.params and d.out_index is None:
        # ``C(w, b) = ...`` then ``\frac{\partial C}{\partial w}``: the function's body.
        f = d.body
    fu = unfold(f, conv.ctx, keep=keys)
    named = isinstance(f, (sp.Symbol, sp.Indexed))
    for v, order in variables:
        fu = _relabel(fu, v)
        bare = (isinstance(fu, (sp.Symbol, sp.Indexed)) or named) and fu != v
        if bare and not isinstance(fu, Opaque) and not _depends(fu, v):
            fu = conv.unknown_derivative(_shown(f), v)
            continue
        if isinstance(fu, Opaque) or _unknown_entry(fu):
            fu = conv.unknown_derivative(_shown(fu), v)
            continue
        fu = rename_bound(fu)
        conv.derivatives.append(Derivative(fu, v, order))
        fu = _diff_through_unknowns(conv, fu, v, order)
    return fu


def _diff_through_unknowns(conv: Converter, fu: sp.Expr, v: sp.Expr, order: int) -> sp.Expr:
    """``sp.diff`` with the chain rule through undefined functions.

    An undefined ``C_0(w)`` that depends on ``v`` has the unknown derivative ``∂C_0/∂v``, never 0.
    """
    calls = [c for c in fu.atoms(sp.core.function.AppliedUndef)
             if any(_depends(a, v) or _same_vector(a, v) for a in c.args)]
    if not calls or order != 1:
        return sp.diff(fu, v, order)
    stand_ins = {c: sp.Dummy(str(c.func), real=True) for c in calls}
    g = fu.xreplace(stand_ins)
    out = sp.diff(g, v)
    for c, u in stand_ins.items():
        out += sp.diff(g, u) * conv.unknown_derivative(str(c.func), v)
    return out.xreplace({u: c for c, u in stand_ins.items()})


def _same_vector(a: sp.Expr, v: sp.Expr) -> bool:
    r"""``C_0(\mathbf{w})`` depends on ``w_i``: the argument is the vector ``w`` itself."""
    return isinstance(v, sp.Indexed) and isinstance(a, sp.Symbol) and a.name == str(v.base.label)


def _unknown_entry(e: sp.Expr) -> bool:
    """An entry of an unknown derivative (``∂C/∂z`` at ``j``)."""
    return isinstance(e, sp.Indexed) and str(e.base.label).startswith("∂")


def _depends(fu: sp.Expr, v: sp.Expr) -> bool:
    """Whether ``fu`` mentions ``v`` (for ``z_j``: any entry of ``z``)."""
    if isinstance(v, sp.Indexed):
        return any(ix.base == v.base for ix in fu.atoms(sp.Indexed))
    return bool(fu.has(v))


def _shown(e: sp.Expr) -> str:
    if isinstance(e, Opaque):
        return str(e.name)
    if isinstance(e, sp.Indexed):
        return f"{e.base.label}_{''.join(map(str, e.indices))}"
    return str(e)


def _relabel(fu: sp.Expr, v: sp.Expr) -> sp.Expr:
    if fu.has(v):
        return fu
    if isinstance(v, sp.Indexed):
        label = str(v.base.label)
        for b in fu.atoms(sp.IndexedBase):
            if str(b.label) == _unlabelled(label) and label != str(b.label):
                return fu.xreplace({b: v.base})
        return fu
    labels = {b.label for b in fu.atoms(sp.IndexedBase)}
    for s in fu.free_symbols:
        if (isinstance(s, sp.Symbol) and s not in labels and s.name == _unlabelled(str(v))
                and s != v):
            return fu.xreplace({s: v})
    return fu


def derivative_item(
    conv: Converter, item: lark.Tree | lark.Token, rest: list[lark.Tree | lark.Token]
) -> tuple[sp.Expr, bool] | None:
    r"""A ``\\frac{\\partial ...}{\\partial ...}`` factor: (value, whether it consumed ``rest``)."""
    if not (isinstance(item, lark.Tree) and item.data == "frac"):
        return None
    num = _items(item.children[1])
    if not _is_partial(num[0]):
        return None
    den = _items(item.children[2])
    variables = _variables(conv, den, item)
    if variables is None:
        return None
    if len(num) == 1:
        if not rest:
            raise conv.error("a derivative operator with nothing after it to differentiate", item)
        return differentiate(conv, conv.chain(rest), variables), True
    return differentiate(conv, conv.chain(num[1:]), variables), False


def fraction(conv: Converter, node: lark.Tree) -> sp.Expr:
    r"""``\\frac{a}{b}``, or a derivative written as a fraction."""
    got = derivative_item(conv, node, [])
    if got is not None:
        return got[0]
    return conv.arg(node.children[1]) / conv.arg(node.children[2])


def _arguments(conv: Converter, paren: lark.Tree) -> list[sp.Expr]:
    children = [c for c in paren.children if isinstance(c, lark.Tree)]
    if children and children[0].data == "arglist":
        return [conv.expr(c) for c in children[0].children]
    return [conv.expr(c) for c in children]


def apply_name(
    conv: Converter,
    item: lark.Tree | lark.Token,
    name: Name,
    following: lark.Tree | lark.Token,
    *,
    bare: bool = False,
    argument: sp.Expr | None = None,
) -> sp.Expr | None:
    r"""``f(x)``, ``\\sigma'(z)``, ``\\sigma(z)_i``, ``\\tanh^2(z)``, else ``None``."""
    fn = conv.builtin(name)
    if fn is None and name.base.startswith("\\") and name.base[1:] in ("ln", "log", "exp"):
        fn = None
    unwrapped = _unwrap_paren(following)
    if bare:
        args = [conv.atom(following) if argument is None else argument]
        ops: list[lark.Tree] = []
    else:
        if unwrapped is None:
            return None
        if fn is None and not is_function_base(name, conv.ctx):
            return None
        paren, ops = unwrapped
        args = _arguments(conv, paren)
    label = conv.label_of(name)
    key = name.key(label)
    if name.indices and fn is None:
        # C_0(w): the subscript is part of the function's name.
        key += "_" + ",".join(str(i) for i in conv.indices(name.indices))
    power = name.sup if (name.sup is not None and label is None) else None
    component: list[sp.Expr] = []
    post: list[lark.Tree] = []
    for op in ops:
        if op.data == "subscript" and not component:
            component = conv.indices(script_items(op.children[1]))
        else:
            post.append(op)
    value = fn(*args) if fn is not None else _call(conv, item, name, key, args, component)
    if power is not None:
        value = conv.power(value, power)
    for op in post:
        if op.data == "prime":
            raise conv.error("write the prime on the function: f'(x)", op)
        if op.data == "subscript":
            raise conv.error("two subscripts on one function call", op)
        value = conv.power(value, op.children[1])
    return value


def _call(
    conv: Converter,
    item: lark.Tree | lark.Token,
    name: Name,
    key: str,
    args: list[sp.Expr],
    component: list[sp.Expr],
) -> sp.Expr:
    d = conv.ctx.definitions.get(key)
    if d is None or not d.params:
        conv.undefined.add(key)
        f = sp.Function(key, real=True)
        if name.primes:
            if len(args) != 1:
                raise conv.error(f"{key}' of several arguments", item)
            x = sp.Dummy("x", real=True)
            return sp.Subs(sp.diff(f(x), x, name.primes), x, args[0])
        return f(*args, *component)
    if len(args) != len(d.params):
        raise conv.error(
            f"{key} was defined with {len(d.params)} argument(s), here it has {len(args)}", item
        )
    body = d.body
    if name.primes:
        if len(d.params) != 1:
            raise conv.error(f"{key}' of a function of several arguments", item)
        body = sp.diff(unfold(body, conv.ctx, keep=[q.name for q in d.params]), d.params[0],
                       name.primes)
    mapping: dict[sp.Basic, sp.Basic] = {}
    for p, a in zip(d.params, args, strict=True):
        mapping[p] = a
        vector = conv.ctx.bases.get(p.name)
        if vector is not None and body.has(vector):
            if isinstance(a, sp.Symbol):
                mapping[vector] = conv.ctx.base(a.name)
            else:
                raise conv.error(f"{key} takes a vector here: pass a name such as z", item)
    if d.out_index is not None:
        if len(component) != 1:
            raise conv.error(f"{key}(...) needs its component index, as in {key}(z)_i", item)
        mapping[d.out_index] = component[0]
    elif component:
        raise conv.error(f"{key} was defined without a component index", item)
    return body.xreplace(mapping)


def bigop(conv: Converter, node: lark.Tree) -> sp.Expr:
    r"""``\\sum_{k=1}^{K} body`` (``\\sum_k``: the declared range, else 1..K; ``k \\neq i``)."""
    op, limits, body = node.children
    var: sp.Symbol | None = None
    lower: sp.Expr | None = None
    upper: sp.Expr | None = None
    exclude: sp.Expr | None = None
    for lim in limits.children:
        items = script_items(lim.children[0])
        if len(items) != 1:
            raise conv.error("one summation index at a time: \\sum_i \\sum_j", lim)
        item = items[0]
        parts = item.children if isinstance(item, lark.Tree) and item.data == "relation" else [item]
        if lim.data == "lim_sup":
            upper = conv.index_expr(parts[-1])
            continue
        head = conv.index_expr(parts[0])
        if not isinstance(head, sp.Symbol):
            raise conv.error("the summation index must be a letter", lim)
        var = head
        if len(parts) == 3:
            rel = str(parts[1])
            if rel == "=":
                lower = conv.index_expr(parts[2])
            elif rel in ("\\neq", "\\ne"):
                exclude = conv.index_expr(parts[2])
            else:
                raise conv.error(f"the summation range {rel} is not read", lim)
    if var is None:
        raise conv.error("a sum without its index: write \\sum_{k=1}^{K}", node)
    declared = conv.ctx.index_ranges.get(var.name)
    if lower is None:
        lower = declared[0] if declared else sp.Integer(1)
    if upper is None:
        if declared:
            upper = declared[1]
        else:
            conv.ctx.sizes.setdefault("K", None)
            upper = conv.ctx.index_symbol("K", size=True)
    value = conv.expr(body)
    if exclude is not None:
        value = value * (1 - sp.KroneckerDelta(var, exclude))
    if token_text(op) == "\\prod":
        return sp.Product(value, (var, lower, upper))
    return sp.Sum(value, (var, lower, upper))


def cases(conv: Converter, node: lark.Tree) -> sp.Expr:
    r"""``\\begin{cases}``: Kronecker deltas for index conditions (j = i), else a Piecewise."""
    rows: list[tuple[sp.Expr, sp.Basic]] = []
    for row in node.children:
        if not isinstance(row, lark.Tree) or row.data != "case_row":
            continue
        value = conv.expr(row.children[0])
        conds = [c for c in row.children[1:] if isinstance(c, lark.Tree) and c.data == "cond"]
        if conds:
            rels = [conv.relation(r) for r in conds[0].children if isinstance(r, lark.Tree)]
            cond: sp.Basic = sp.And(*rels)
        else:
            cond = sp.true
        rows.append((value, cond))
    if not rows:
        raise conv.error("an empty cases environment", node)
    if all(_index_condition(c) for _, c in rows):
        total = sp.Integer(0)
        for value, cond in rows:
            total += value * _delta_factor(cond)
        return total
    pieces = [(v, c) for v, c in rows]
    if pieces[-1][1] is not sp.true:
        pieces.append((sp.nan, sp.true))
    try:
        return sp.Piecewise(*pieces)
    except (TypeError, ValueError) as e:
        raise ConversionError(f"cannot read these cases: {e}", 0) from e


def _index_condition(c: sp.Basic) -> bool:
    if isinstance(c, (sp.Eq, sp.Ne)):
        return all(a.is_integer for a in c.args)
    return False


def _delta_factor(c: sp.Basic) -> sp.Expr:
    delta = sp.KroneckerDelta(*c.args)
    return delta if isinstance(c, sp.Eq) else 1 - delta
