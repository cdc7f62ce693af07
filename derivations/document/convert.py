"""The parse tree of one formula to SymPy, reading names through what the document defined."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import lark
import sympy as sp

from derivations.document.context import Context, Opaque
from derivations.document.names import Name, name_of, script_items, source_of, token_text

__all__ = ["BUILTINS", "ConversionError", "Converter", "Derivative"]

BUILTINS: dict[str, Callable[..., sp.Expr]] = {
    "ln": sp.log, "log": sp.log, "exp": sp.exp, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "arctan": sp.atan, "arcsin": sp.asin,
    "arccos": sp.acos, "max": sp.Max, "min": sp.Min, "sgn": sp.sign, "sign": sp.sign,
}
"""``\\log`` is the natural logarithm, as in ML notes."""

_FUNCTION_BASES = {"f", "g", "h", "σ", "φ", "ψ", "ℓ", "C", "L", "J", "E", "F", "G", "H"}
"""Letters read as a function when a parenthesis follows them directly (``f(x)``, ``C(a)``)."""

_CONSTANTS = {"pi": sp.pi, "infty": sp.oo}
_RELATIONS = {"=": sp.Eq, "\\neq": sp.Ne, "\\ne": sp.Ne, "<": sp.Lt, ">": sp.Gt,
              "\\le": sp.Le, "\\leq": sp.Le, "\\ge": sp.Ge, "\\geq": sp.Ge}
_TRANSPOSE = {"T", "\\top", "\\intercal", "\\mathsf{T}", "\\mathrm{T}"}


@dataclass(frozen=True)
class ConversionError(ValueError):
    r"""A formula that parses but cannot be read (``\\nabla``, an unknown macro): column 0-based."""

    message: str
    column: int

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Derivative:
    """A derivative the document claims: ``d function / d variable`` (``function`` unfolded)."""

    function: sp.Expr
    variable: sp.Expr
    order: int


def _flatten(tree: lark.Tree | lark.Token, kind: str) -> list[lark.Tree | lark.Token]:
    if isinstance(tree, lark.Tree) and tree.data == kind:
        return [*_flatten(tree.children[0], kind), tree.children[1]]
    return [tree]


def _unwrap_paren(
    item: lark.Tree | lark.Token,
) -> tuple[lark.Tree, list[lark.Tree]] | None:
    """``(x)_i^2`` -> the paren node and the postfix operations on it, innermost first."""
    ops: list[lark.Tree] = []
    node = item
    while isinstance(node, lark.Tree) and node.data in ("subscript", "superscript", "prime"):
        ops.append(node)
        node = node.children[0]
    if isinstance(node, lark.Tree) and node.data == "paren":
        return node, list(reversed(ops))
    return None


def _is_partial(item: lark.Tree | lark.Token) -> int:
    r"""Order of a ``\\partial`` / ``d`` token (``\\partial^2`` -> 2), 0 if it is not one."""
    if not isinstance(item, lark.Tree):
        return 0
    if item.data == "superscript":
        inner = _is_partial(item.children[0])
        if inner:
            try:
                return int(token_text(item.children[1]))
            except (ValueError, IndexError):
                return 0
        return 0
    if item.data == "command" and token_text(item) == "\\partial":
        return 1
    if item.data == "letter" and token_text(item) == "d":
        return 1
    if item.data == "text" and token_text(item).replace(" ", "") in ("\\mathrm{d}", "\\text{d}"):
        return 1
    return 0


@dataclass
class Converter:
    """Converts the formulas of one document in order; records claimed derivatives."""

    ctx: Context
    text: str = ""
    derivatives: list[Derivative] = field(default_factory=list)
    undefined: set[str] = field(default_factory=set)

    def error(self, message: str, node: lark.Tree | lark.Token) -> ConversionError:
        """A :class:`ConversionError` at the node's column."""
        if isinstance(node, lark.Token):
            return ConversionError(message, int(node.start_pos or 0))
        meta = node.meta
        return ConversionError(message, 0 if getattr(meta, "empty", True) else meta.start_pos)

    def convert(self, tree: lark.Tree, text: str) -> sp.Expr:
        """SymPy of a parsed formula (``text`` is the source it was parsed from)."""
        self.text = text
        self.derivatives = []
        self.undefined = set()
        return self.expr(tree.children[0] if tree.data == "start" else tree)

    # -- the operator levels -------------------------------------------------------------
    def expr(self, node: lark.Tree | lark.Token) -> sp.Expr:
        """Any expression node."""
        if isinstance(node, lark.Token):
            raise self.error(f"unexpected {node!s}", node)
        kind = node.data
        if kind == "add":
            return self.expr(node.children[0]) + self.expr(node.children[2])
        if kind == "sub":
            return self.expr(node.children[0]) - self.expr(node.children[2])
        if kind == "neg":
            return -self.expr(node.children[1])
        if kind == "pos":
            return self.expr(node.children[1])
        if kind == "binop":
            left, op, right = node.children
            a, b = self.expr(left), self.expr(right)
            if str(op) in ("/", "\\div"):
                return a / b
            return a * b
        if kind == "mul":
            return self.chain(_flatten(node, "mul"))
        return self.chain([node])

    def chain(self, items: list[lark.Tree | lark.Token]) -> sp.Expr:
        """A product written by juxtaposition: function calls, derivative operators, factors."""
        from derivations.document.calculus import apply_name, derivative_item

        out: list[sp.Expr] = []
        i = 0
        while i < len(items):
            item = items[i]
            got = derivative_item(self, item, items[i + 1 :])
            if got is not None:
                value, used_rest = got
                out.append(value)
                if used_rest:
                    break
                i += 1
                continue
            name = name_of(item)
            if name is not None and i + 1 < len(items):
                applied = apply_name(self, item, name, items[i + 1])
                if applied is not None:
                    out.append(applied)
                    i += 2
                    continue
            if name is not None and self.builtin(name) is not None:
                if i + 1 >= len(items):
                    raise self.error(f"{name.base} needs an argument", item)
                # The argument of \\ln without parentheses is the next factor, which may be a
                # function call: \\ln s(z)_k.
                used = 2
                argument: sp.Expr | None = None
                inner = name_of(items[i + 1])
                if inner is not None and i + 2 < len(items):
                    argument = apply_name(self, items[i + 1], inner, items[i + 2])
                    used = 3 if argument is not None else 2
                applied = apply_name(self, item, name, items[i + 1], bare=True,
                                     argument=argument)
                assert applied is not None
                out.append(applied)
                i += used
                continue
            out.append(self.atom(item))
            i += 1
        return sp.Mul(*out)

    def builtin(self, name: Name) -> Callable[..., sp.Expr] | None:
        r"""The SymPy function of ``\\ln``, ``\\tanh``, ... (``None`` for other names)."""
        if name.texts or name.indices or name.primes:
            return None
        word = name.base
        return BUILTINS.get(word[1:]) if word.startswith("\\") else None

    # -- atoms ---------------------------------------------------------------------------
    def atom(self, node: lark.Tree | lark.Token) -> sp.Expr:
        """A single factor: number, name, group, fraction, root, sum, cases."""
        if isinstance(node, lark.Token):
            raise self.error(f"unexpected {node!s}", node)
        from derivations.document.calculus import bigop, cases, fraction

        kind = node.data
        if kind == "number":
            return sp.Rational(token_text(node))
        if kind in ("group",):
            return self.expr(node.children[0])
        if kind == "paren":
            args = node.children[1].children if len(node.children) > 1 else node.children
            args = [a for a in args if not isinstance(a, lark.Token)]
            if len(args) != 1:
                raise self.error("a list in parentheses is only read as a function's arguments",
                                 node)
            return self.expr(args[0])
        if kind == "frac":
            return fraction(self, node)
        if kind == "sqrt":
            return sp.sqrt(self.arg(node.children[1]))
        if kind == "underbrace":
            return self.arg(node.children[1])
        if kind == "bigop":
            return bigop(self, node)
        if kind == "cases":
            return cases(self, node)
        if kind == "abs":
            return sp.Abs(self.expr(node.children[0]))
        if kind == "dots":
            raise self.error("'…' cannot be checked: write the general term instead", node)
        if kind in ("subscript", "superscript", "prime"):
            return self.postfix(node)
        name = name_of(node)
        if name is not None:
            return self.name_expr(name, node)
        if kind == "command":
            word = token_text(node)
            if word[1:] in _CONSTANTS:
                return _CONSTANTS[word[1:]]
            if word == "\\nabla":
                raise self.error("the gradient symbol ∇ is not read: write the partial "
                                 "derivatives (\\frac{\\partial C}{\\partial w})", node)
            if word == "\\partial":
                raise self.error("a ∂ outside a fraction \\frac{\\partial ...}{\\partial ...}",
                                 node)
            raise self.error(f"unknown macro {word}", node)
        raise self.error(f"cannot read '{source_of(node, self.text)}'", node)

    def arg(self, node: lark.Tree | lark.Token) -> sp.Expr:
        """A macro argument: ``{expr}`` or a single token."""
        if isinstance(node, lark.Tree) and node.data == "arg":
            child = node.children[0]
            if isinstance(child, lark.Token):
                return self.token_value(child)
            return self.expr(child)
        return self.expr(node)

    def token_value(self, tok: lark.Token) -> sp.Expr:
        r"""A bare token used as a value (``\\frac12``)."""
        if tok.type == "NUMBER":
            return sp.Rational(str(tok))
        if tok.type == "LETTER":
            return self.ctx.symbol(str(tok))
        return self.atom(lark.Tree("command", [tok]))

    def postfix(self, node: lark.Tree) -> sp.Expr:
        """Scripts and primes on something that is not a plain name: ``(x)^2``, ``(W)^T``."""
        name = name_of(node)
        if name is not None:
            return self.name_expr(name, node)
        inner, script = node.children
        if node.data == "prime":
            raise self.error("a prime ' needs a function: write f'(x)", node)
        base = self.atom(inner)
        if isinstance(inner, lark.Tree) and inner.data == "underbrace":
            return base if node.data == "subscript" else self.power(base, script)
        if node.data == "subscript":
            raise self.error("a subscript on an expression in parentheses", node)
        return self.power(base, script)

    def power(self, base: sp.Expr, script: lark.Tree | lark.Token) -> sp.Expr:
        r"""``base^script``; ``^T`` / ``^\\top`` is a transpose (nothing, for a scalar)."""
        written = source_of(script, self.text).strip().strip("{}").replace(" ", "")
        if written in _TRANSPOSE:
            return base
        return sp.Pow(base, self.script_value(script))

    def script_value(self, script: lark.Tree | lark.Token) -> sp.Expr:
        """The value of a sub/superscript read as an expression."""
        if isinstance(script, lark.Token):
            return self.token_value(script)
        items = script_items(script)
        if len(items) != 1:
            raise self.error("expected one expression in this script", script)
        item = items[0]
        if isinstance(item, lark.Token):
            return self.token_value(item)
        if item.data == "relation":
            if len(item.children) != 1:
                raise self.error("a relation inside an exponent", item)
            return self.expr(item.children[0])
        return self.expr(item)

    # -- names ---------------------------------------------------------------------------
    def label_of(self, name: Name) -> str | None:
        """The superscript of ``name`` as a layer label, or ``None`` if it is a power."""
        from derivations.document.survey import label_text

        return label_text(self.ctx, name, self.text)

    def name_expr(self, name: Name, node: lark.Tree) -> sp.Expr:
        """A symbol, indexed symbol, Kronecker delta, ``e^{...}``, with its power if any."""
        if name.primes:
            raise self.error(f"a prime on {name.base} needs an argument: write "
                             f"{name.base}'(z)", node)
        label = self.label_of(name)
        key = name.key(label)
        power = name.sup if (name.sup is not None and label is None) else None
        if name.base.startswith("\\"):
            raise self.error(f"{name.base} needs an argument", node)
        value: sp.Expr
        if key == "e" and not name.indices and "e" not in self.ctx.definitions:
            if power is None:
                return sp.E
            written = source_of(power, self.text).strip().strip("{}").replace(" ", "")
            if written in _TRANSPOSE:
                return sp.E
            return sp.exp(self.script_value(power))
        indices = self.indices(name.indices)
        if name.base == "δ" and label is None and len(indices) == 2 and not name.texts:
            value = sp.KroneckerDelta(*indices)
        elif indices:
            value = self.ctx.base(key)[tuple(indices)]
        else:
            value = self.ctx.symbol(key)
        return value if power is None else self.power(value, power)

    def indices(self, items: list[lark.Tree | lark.Token]) -> list[sp.Expr]:
        """Subscript items as integer indices: ``ij`` is two indices, ``k+1`` one."""
        out: list[sp.Expr] = []
        for item in items:
            node = item
            if isinstance(node, lark.Tree) and node.data == "relation":
                if len(node.children) != 1:
                    raise self.error("a relation in a subscript", node)
                node = node.children[0]
            if isinstance(node, lark.Tree) and node.data == "mul":
                out.extend(self.index_expr(part) for part in _flatten(node, "mul"))
            else:
                out.append(self.index_expr(node))
        return out

    def index_expr(self, node: lark.Tree | lark.Token) -> sp.Expr:
        """One index: a letter, a number, or sums and differences of them."""
        if isinstance(node, lark.Token):
            if node.type == "LETTER":
                return self.ctx.index_symbol(str(node))
            if node.type == "NUMBER":
                return sp.Integer(int(float(str(node))))
            raise self.error(f"cannot read {node!s} as an index", node)
        kind = node.data
        if kind == "letter":
            return self.ctx.index_symbol(token_text(node))
        if kind == "number":
            return sp.Integer(int(float(token_text(node))))
        if kind in ("add", "sub"):
            a, b = self.index_expr(node.children[0]), self.index_expr(node.children[2])
            return a + b if kind == "add" else a - b
        if kind == "neg":
            return -self.index_expr(node.children[1])
        if kind == "group":
            return self.index_expr(node.children[0])
        raise self.error(f"cannot read '{source_of(node, self.text)}' as an index", node)

    def relation(self, node: lark.Tree) -> sp.Basic:
        r"""A condition ``z \\geq 0`` / ``j \\neq i`` (``\\text{if}`` words are dropped)."""
        parts = node.children
        if len(parts) == 1:
            only = parts[0]
            if isinstance(only, lark.Tree) and only.data == "text":
                return sp.true
            return sp.true if self._words_only(only) else sp.Ne(self.expr(only), 0)
        out: list[sp.Basic] = []
        left = self._side(parts[0], words=True)
        for op, right_node in zip(parts[1::2], parts[2::2], strict=True):
            right = self._side(right_node)
            rel = _RELATIONS.get(str(op))
            if rel is None:
                raise self.error(f"the relation {op!s} is not read in a condition", op)
            out.append(rel(left, right))
            left = right
        return sp.And(*out)

    def _side(self, node: lark.Tree | lark.Token, *, words: bool = False) -> sp.Expr:
        r"""One side of a condition: an index (``j \\neq i``) when it is a letter used as one."""
        items: list[lark.Tree | lark.Token] = (
            _flatten(node, "mul") if isinstance(node, lark.Tree) else [node]
        )
        if words:
            items = [i for i in items if not (isinstance(i, lark.Tree) and i.data == "text")]
        if len(items) == 1 and isinstance(items[0], lark.Tree) and items[0].data == "letter":
            letter = token_text(items[0])
            if letter in self.ctx.index_symbols:
                return self.ctx.index_symbol(letter)
        if not items:
            raise self.error("a condition without a left-hand side", node)
        return self.chain(items)

    def _words_only(self, node: lark.Tree | lark.Token) -> bool:
        items = _flatten(node, "mul") if isinstance(node, lark.Tree) else [node]
        return all(isinstance(i, lark.Tree) and i.data == "text" for i in items)

    def opaque(self, label: str) -> sp.Expr:
        """A quantity the document does not define (kept as an unknown)."""
        self.undefined.add(label)
        return Opaque(label, real=True)

    def unknown_derivative(self, function: str, v: sp.Expr) -> sp.Expr:
        """``∂C/∂v`` of an undefined ``C``: for ``v = z_j`` the entry ``j`` of ``∂C/∂z``.

        Indexed, so that an index substitution (``δ_j := ∂C/∂z_j`` used as ``δ_k``) reaches it.
        """
        if isinstance(v, sp.Indexed):
            label = f"∂{function}/∂{v.base.label}"
            self.undefined.add(label)
            return sp.IndexedBase(label)[v.indices]
        return self.opaque(f"∂{function}/∂{v}")


def is_function_base(name: Name, ctx: Context) -> bool:
    """Whether ``name(...)`` reads as a function call rather than a product."""
    key = name.key()
    if key in ctx.functions:
        return True
    d = ctx.definitions.get(key)
    if d is not None:
        return bool(d.params)
    return name.base in _FUNCTION_BASES or name.base.startswith("\\")
