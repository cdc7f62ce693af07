r"""Vector/matrix formulas at the checking instance: entries, ``^T``, ``\odot``, gradients."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

import lark
import mpmath
import sympy as sp

from derivations.compiled import lambdify
from derivations.document.context import Context
from derivations.document.convert import _flatten, _is_partial, _unwrap_paren
from derivations.document.names import GREEK, name_of, script_items, source_of, token_text
from derivations.document.shapes import Declared, ShapeDeclarationError, Shapes

__all__ = ["NotVectorError", "ShapeError", "VectorReader", "mentions_shapes", "reader_words"]

Value: TypeAlias = sp.Matrix
_TRANSPOSE = {"T", "\\top", "\\intercal", "\\mathsf{T}"}


class NotVectorError(Exception):
    """The formula is outside what the vector reading supports: the scalar reading takes it."""


class ShapeError(Exception):
    """Shapes that do not fit (``δ^l a^{l-1}``): the message speaks of columns and matrices."""


def reader_words(latex: str) -> str:
    r"""``\\mathbf{a}^{l-1}`` -> ``a^{l-1}``, ``\\delta^l`` -> ``δ^l``: how a reader writes it."""
    out = re.sub(r"\\(left|right|big|Big)(?![a-zA-Z])", "", latex)
    for _ in range(3):
        out = re.sub(r"\\(mathbf|boldsymbol|bm|mathcal|mathrm|text|vec)\s*\{([^{}]*)\}", r"\2", out)
    out = re.sub(r"\\([a-zA-Z]+)", lambda m: GREEK.get(m.group(1), m.group(0)), out)
    out = out.replace("\\partial", "∂").replace("\\nabla", "∇").replace("\\odot", "⊙")
    group = r"\{((?:[^{}]|\{[^{}]*\})*)\}"
    out = re.sub(r"\\[dt]?frac\s*" + group + r"\s*" + group,
                 lambda m: f"{m.group(1).replace(' ', '')}/{m.group(2).replace(' ', '')}", out)
    return re.sub(r"\s+", " ", out).strip()


def _transposed(words: str) -> str:
    """``a^{l-1}`` -> ``(a^{l-1})^T``; ``(x + y)`` -> ``(x + y)^T``."""
    if words.startswith("(") and words.endswith((")^T", ")^\\top")) and words.count("(") == 1:
        return words[1 : words.rindex(")")]
    if words.startswith("(") and words.endswith(")") and words.count("(") == 1:
        return f"{words}^T"
    return f"({words})^T"


def describe(shape: tuple[int, int]) -> str:
    """A column of 3, a row of 2, a 3 x 2 matrix, a number."""
    r, c = shape
    if (r, c) == (1, 1):
        return "a number"
    if c == 1:
        return f"a column of {r}"
    if r == 1:
        return f"a row of {c}"
    return f"a {r} x {c} matrix"


def mentions_shapes(tree: lark.Tree, ctx: Context) -> bool:
    """Whether a formula uses a declared vector or matrix (without an entry index)."""
    shapes = ctx.shapes
    if not shapes.names:
        return False
    for node in tree.iter_subtrees():
        if node.data in ("subscript", "superscript", "letter", "font", "command"):
            name = name_of(node)
            if name is not None and name.key() in shapes.names and not name.indices:
                return True
    return False


@dataclass
class VectorReader:
    """Reads formulas of one document with declared shapes as ``sp.Matrix`` of entries."""

    ctx: Context
    cache: dict[tuple[str, int, str], Value] = field(default_factory=dict)
    gradient: dict[int, sp.Symbol] = field(default_factory=dict)
    text: str = ""
    free: dict[tuple[str, int], Value] = field(default_factory=dict)
    """Quantities read as free variables while a derivative is taken (``z^k`` for ∂C/∂z^k)."""

    @property
    def shapes(self) -> Shapes:
        """The document's declarations."""
        return self.ctx.shapes

    # -- formulas ------------------------------------------------------------------------
    def read(self, tree: lark.Tree, text: str, labels: dict[str, int] | None = None) -> Value:
        """The matrix of a formula (a number is 1 x 1)."""
        saved = self.text
        self.text = text
        try:
            return self.expr(tree.children[0] if tree.data == "start" else tree,
                             labels or self.instance())
        finally:
            self.text = saved

    def instance(self) -> dict[str, int]:
        """The label letters at the checking instance (``L = 3, l = 2``)."""
        return {k: self.shapes.layer_value(k) for k in self.shapes.layers}

    def words(self, node: lark.Tree | lark.Token) -> str:
        """A node as the reader wrote it (``a^{l-1}``)."""
        return reader_words(source_of(node, self.text))

    def expr(self, node: lark.Tree | lark.Token, labels: dict[str, int]) -> Value:
        """The matrix of a node with the label letters at ``labels``."""
        if isinstance(node, lark.Token):
            raise NotVectorError(str(node))
        kind = node.data
        if kind in ("add", "sub"):
            a, b = self.expr(node.children[0], labels), self.expr(node.children[-1], labels)
            self.same(a, b, node.children[0], node.children[-1], "added")
            if a.shape != b.shape:  # 1 - a^L: the number in every entry
                a, b = (sp.ones(*b.shape) * a[0, 0], b) if a.shape == (1, 1) else (
                    a, sp.ones(*a.shape) * b[0, 0])
            return a + b if kind == "add" else a - b
        if kind == "neg":
            return -self.expr(node.children[-1], labels)
        if kind == "pos":
            return self.expr(node.children[-1], labels)
        if kind == "binop":
            return self.binop(node, labels)
        if kind == "mul":
            return self.chain(_flatten(node, "mul"), labels)
        if kind in ("group", "underbrace"):
            inner = node.children[-1]
            if kind == "underbrace":
                inner = node.children[1]
            return self.expr(inner.children[0] if isinstance(inner, lark.Tree) and
                             inner.data == "arg" else inner, labels)
        if kind == "paren":
            args = [c for c in node.children if isinstance(c, lark.Tree)]
            if len(args) != 1 or len(args[0].children) != 1:
                raise NotVectorError("a list in parentheses")
            return self.expr(args[0].children[0], labels)
        if kind == "number":
            return sp.Matrix([[sp.nsimplify(token_text(node))]])
        if kind == "frac":
            return self.frac(node, labels)
        if kind == "superscript" and _unwrap_paren(node) is not None:
            base = self.expr(node.children[0], labels)
            return self.power(base, node.children[1], node)
        return self.name(node, labels)

    def binop(self, node: lark.Tree, labels: dict[str, int]) -> Value:
        r"""``\\odot`` entry by entry, ``\\cdot``/``\\times`` matrix product, ``/`` by a number."""
        left, op, right = node.children
        a, b = self.expr(left, labels), self.expr(right, labels)
        word = str(op)
        if word == "\\odot":
            self.same(a, b, left, right, "multiplied entry by entry (⊙)")
            return a.multiply_elementwise(b)
        if word in ("\\cdot", "\\times", "*"):
            return self.product(a, b, left, right)
        if word == "/" and b.shape == (1, 1):
            return a / b[0, 0]
        raise NotVectorError(word)

    def chain(self, items: list[lark.Tree | lark.Token], labels: dict[str, int]) -> Value:
        r"""A juxtaposition: function calls, ``\\nabla_a C``, matrix products left to right."""
        Node = lark.Tree | lark.Token
        values: list[tuple[Value, Node, Node]] = []
        i = 0
        while i < len(items):
            item = items[i]
            nxt = items[i + 1] if i + 1 < len(items) else None
            grad = self.nabla(item, nxt, labels)
            if grad is not None and nxt is not None:
                values.append((grad, item, nxt))
                i += 2
                continue
            func = self.function(item)
            if func is not None and nxt is not None and _unwrap_paren(nxt) is not None:
                arg = self.expr(nxt, labels)
                values.append((arg.applyfunc(func), item, nxt))
                i += 2
                continue
            values.append((self.expr(item, labels), item, item))
            i += 1
        out, first, last = values[0]
        for value, start, end in values[1:]:
            out = self.product(out, value, self.span(first, last), self.span(start, end))
            last = end
        return out

    def span(self, first: lark.Tree | lark.Token, last: lark.Tree | lark.Token) -> str:
        """The source from one node to another, in reader words."""
        if isinstance(first, lark.Tree) and isinstance(last, lark.Tree) and not getattr(
                first.meta, "empty", True) and not getattr(last.meta, "empty", True):
            return reader_words(self.text[first.meta.start_pos : last.meta.end_pos])
        return self.words(first)

    def product(self, a: Value, b: Value, left: lark.Tree | lark.Token | str,
                right: lark.Tree | lark.Token | str) -> Value:
        """The matrix product, or a :class:`ShapeError` naming both shapes and the fix."""
        if a.shape == (1, 1):
            return b * a[0, 0]
        if b.shape == (1, 1):
            return a * b[0, 0]
        if a.shape[1] == b.shape[0]:
            return a * b
        lw, rw = (x if isinstance(x, str) else self.words(x) for x in (left, right))
        hint = ""
        if a.shape[1] == 1 and b.shape[1] == 1:
            hint = (f"; {_transposed(rw)} makes it {describe((a.shape[0], b.shape[0]))}")
            if a.shape == b.shape:
                hint += f", entry by entry (⊙) it is {describe(a.shape)}"
        elif a.shape[0] == b.shape[0]:
            hint = f"; {_transposed(lw)} {rw} is defined"
        raise ShapeError(f"{lw} is {describe(a.shape)}, {rw} {describe(b.shape)}: the "
                         f"product is not defined{hint}")

    def same(self, a: Value, b: Value, left: lark.Tree | lark.Token,
             right: lark.Tree | lark.Token, how: str) -> None:
        r"""Equal shapes (or a number on one side) for ``+``, ``-`` and ``\\odot``."""
        if a.shape != b.shape and (1, 1) not in (a.shape, b.shape):
            raise ShapeError(f"{self.words(left)} is {describe(a.shape)}, {self.words(right)} "
                             f"{describe(b.shape)}: they cannot be {how}")

    def power(self, base: Value, script: lark.Tree | lark.Token, node: lark.Tree) -> Value:
        r"""``^T``/``^\\top`` transposes; a power of a number."""
        written = source_of(script, self.text).strip().strip("{}").strip()
        if written in _TRANSPOSE:
            return base.T
        if base.shape == (1, 1) and written.isdigit():
            return sp.Matrix([[base[0, 0] ** int(written)]])
        raise NotVectorError(f"power {written} of {describe(base.shape)}")

    # -- names ---------------------------------------------------------------------------
    def name(self, node: lark.Tree, labels: dict[str, int]) -> Value:
        """A declared name at its layer (``a^{l-1}``, ``W^T``)."""
        name = name_of(node)
        if name is None or name.primes or name.indices:
            raise NotVectorError(self.words(node))
        decl = self.shapes.names.get(name.key())
        if decl is None:
            raise NotVectorError(self.words(node))
        transpose = False
        sup = None if name.sup is None else source_of(name.sup, self.text).strip()
        if sup is not None and sup.strip("{}").strip() in _TRANSPOSE:
            transpose, sup = True, None
        layer = None
        if decl.label is not None:
            if sup is None:
                raise NotVectorError(f"{name.key()} without its layer")
            layer = self.layer_of(sup, labels)
        elif sup is not None:
            raise NotVectorError(f"{name.key()}^{sup}")
        value = self.quantity(name.key(), layer, self.free)
        return value.T if transpose else value

    def layer_of(self, written: str, labels: dict[str, int]) -> int:
        """A written layer (``l-1``) as a number at the checking instance."""
        text = written.strip().strip("{}").replace(" ", "")
        try:
            got = sp.sympify(text, locals={k: sp.Integer(v) for k, v in labels.items()})
        except (sp.SympifyError, TypeError, SyntaxError) as e:
            raise NotVectorError(text) from e
        if not got.is_Integer:
            raise NotVectorError(text)
        return int(got)

    def entries(self, key: str, layer: int | None) -> Value:
        """Free entries of a declared name at a layer (parameters, the input, ``y``)."""
        decl = self.shapes.names[key]
        rows, cols = self.shapes.dims(decl, layer)
        tag = "" if layer is None else f"^{layer}"
        if decl.kind == "vector":
            return sp.Matrix(rows, 1, lambda i, _j: sp.Symbol(f"{key}{tag}_{i + 1}", real=True))
        return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{key}{tag}_{i + 1},{j + 1}",
                                                            real=True))

    def quantity(self, key: str, layer: int | None, free: dict[tuple[str, int], Value]
                 ) -> Value:
        """``a^k`` through the network (``free`` holds quantities taken as free variables)."""
        if layer is not None and (key, layer) in free:
            return free[(key, layer)]
        tag = ",".join(f"{k}{v}" for k, v in sorted(free))
        memo = (key, -1 if layer is None else layer, tag)
        if memo in self.cache:
            return self.cache[memo]
        rule = self.shapes.network.get(key)
        if rule is None or layer is None or layer < 1:
            value = self.entries(key, layer)
        else:
            letter, tree, text = rule
            saved, saved_free = self.text, self.free
            self.text, self.free = text, free
            try:
                value = self.expr(tree.children[0] if tree.data == "start" else tree,
                                  {**self.instance(), letter: layer})
            finally:
                self.text, self.free = saved, saved_free
        decl = self.shapes.names[key]
        if value.shape != self.shapes.dims(decl, layer):
            raise ShapeError(f"the network gives {key}^{layer} as {describe(value.shape)}, "
                             f"declared as {describe(self.shapes.dims(decl, layer))}")
        self.cache[memo] = value
        return value

    # -- functions and derivatives -------------------------------------------------------
    def function(self, item: lark.Tree | lark.Token) -> Callable[[sp.Expr], sp.Expr] | None:
        r"""σ, σ' (entrywise), ``\\exp``, ``\\ln``, ``\\tanh`` before a parenthesis."""
        name = name_of(item) if isinstance(item, lark.Tree) else None
        if name is None or name.indices or name.sup is not None:
            return None
        builtin: dict[str, Callable[[sp.Expr], sp.Expr]] = {
            "\\exp": sp.exp, "\\ln": sp.log, "\\log": sp.log, "\\tanh": sp.tanh}
        if name.base in builtin and not name.primes:
            return builtin[name.base]
        if name.base != "σ" or name.texts not in ([], ["sig"]) or name.primes > 2:
            return None
        t = sp.Dummy("t")
        # σ is the logistic sigmoid (the paper's activation), so that derivatives are explicit.
        derivative = sp.Lambda(t, sp.diff(1 / (1 + sp.exp(-t)), t, name.primes))
        return lambda e: derivative(e)

    def cost_gradient(self, layer: int) -> Value:
        """∂C/∂a^L of a cost left undefined: a vector of unknowns."""
        rows = self.shapes.dims(self.shapes.names["a"], layer)[0]
        return sp.Matrix(rows, 1, lambda i, _j: self.gradient.setdefault(
            i, sp.Symbol(f"∂C/∂a^L_{i + 1}", real=True)))

    def derivative(self, var: lark.Tree | lark.Token, labels: dict[str, int]) -> Value:
        """∂C/∂X of the cost through the network: the shape of X, entry by entry."""
        name = name_of(var) if isinstance(var, lark.Tree) else None
        if name is None or name.indices or name.primes or name.key() not in self.shapes.names:
            raise NotVectorError("a derivative with respect to an undeclared quantity")
        decl = self.shapes.names[name.key()]
        if decl.label is None or name.sup is None:
            raise NotVectorError("a derivative with respect to a quantity without a layer")
        if "a" not in self.shapes.names or "a" not in self.shapes.network:
            raise NotVectorError("a derivative of the cost without a declared network")
        return self.derivative_of(name.key(), self.layer_of(source_of(name.sup, self.text),
                                                             labels))

    def derivative_of(self, key: str, layer: int) -> Value:
        """∂C/∂key^layer: differentiate a^L (with key^layer free) against ∂C/∂a^L."""
        top = self.shapes.layer_value("L")
        g = self.cost_gradient(top)
        if key == "a" and layer == top:
            return g
        x = self.entries(key, layer)
        free = {(key, layer): x} if key in self.shapes.network else {}
        out = self.quantity("a", top, free)
        grad = x.applyfunc(lambda v: sum((g[m] * sp.diff(out[m], v) for m in range(out.rows)),
                                         sp.Integer(0)))
        if not free:
            return grad
        # z^k was a free variable for the derivative: put its value through the network back.
        value = self.quantity(key, layer, {})
        return grad.subs(dict(zip(x, value, strict=True)))

    def frac(self, node: lark.Tree, labels: dict[str, int]) -> Value:
        r"""``\\frac{\\partial C}{\\partial X}`` (the cost's gradient) or a quotient by a number."""
        num, den = (c.children[0] if isinstance(c, lark.Tree) and c.data == "arg" else c
                    for c in node.children[1:])
        tops, bottoms = _flatten(num, "mul"), _flatten(den, "mul")
        if _is_partial(tops[0]) or _is_partial(bottoms[0]):
            if (len(tops) != 2 or len(bottoms) != 2 or _is_partial(tops[0]) != 1
                    or _is_partial(bottoms[0]) != 1):
                raise NotVectorError("a derivative other than ∂C/∂X")
            top = name_of(tops[1]) if isinstance(tops[1], lark.Tree) else None
            if top is None or top.base != "C" or top.key() in self.shapes.names:
                raise NotVectorError("a derivative of something other than the cost")
            return self.derivative(bottoms[1], labels)
        a, b = self.expr(num, labels), self.expr(den, labels)
        if b.shape != (1, 1):
            raise NotVectorError("division by a vector")
        return a / b[0, 0]

    def nabla(self, item: lark.Tree | lark.Token, nxt: lark.Tree | lark.Token | None,
              labels: dict[str, int]) -> Value | None:
        r"""``\\nabla_{\\mathbf{a}}^L \\mathcal{C}``: the gradient of the cost w.r.t. ``a^L``."""
        sub = sup = None
        node = item
        while isinstance(node, lark.Tree) and node.data in ("subscript", "superscript"):
            if node.data == "subscript":
                sub = node.children[1]
            else:
                sup = node.children[1]
            node = node.children[0]
        if not (isinstance(node, lark.Tree) and node.data == "command"
                and token_text(node) == "\\nabla"):
            return None
        cost = name_of(nxt) if isinstance(nxt, lark.Tree) else None
        if sub is None or cost is None or cost.base != "C":
            raise NotVectorError("∇ of something other than the cost")
        items = [i.children[0] if isinstance(i, lark.Tree) and i.data == "relation"
                 and len(i.children) == 1 else i for i in script_items(sub)]
        var = name_of(items[0]) if len(items) == 1 and isinstance(items[0], lark.Tree) else None
        if var is None or var.key() != "a":
            raise NotVectorError("∇ with respect to something other than a")
        if sup is not None:
            layer = self.layer_of(source_of(sup, self.text), labels)
        elif var.sup is not None:
            layer = self.layer_of(source_of(var.sup, self.text), labels)
        else:
            layer = self.shapes.layer_value("L")
        if layer != self.shapes.layer_value("L"):
            raise NotVectorError("∇_a C at a hidden layer")
        return self.cost_gradient(layer)


def sample_difference(left: Value, right: Value, seed: int = 0
                      ) -> tuple[int, int, float, float] | None:
    """The first entry where the sides differ at 50 digits (three seeded points), else None.

    σ is checked as the logistic sigmoid (the paper's activation); the cost's gradient entries
    and every weight, bias and input entry are drawn in (-2, 2). Both sides are one function
    (their common subexpressions, the forward pass, computed once); the sides differ where
    they part by more than 10^-30.
    """
    free = sorted(left.free_symbols | right.free_symbols, key=str)
    entries = [(i, j) for i in range(left.rows) for j in range(left.cols)]
    sides = lambdify(free, [left[i, j] for i, j in entries] + [right[i, j] for i, j in entries],
                     "mpmath", cse=True)
    rng = random.Random(seed)
    with mpmath.workdps(50):
        tol = mpmath.mpf(10) ** -30
        for _ in range(3):
            point = [mpmath.mpf(rng.uniform(-2, 2)) for _ in free]
            values = sides(*point)
            for n, (i, j) in enumerate(entries):
                lv, rv = values[n], values[n + len(entries)]
                if abs(lv - rv) > tol:
                    return i, j, float(lv), float(rv)
    return None


def check_declared(decl: Declared, shapes: Shapes) -> None:
    """A declaration's shape at the checking instance (so a bad size is said at once)."""
    try:
        shapes.dims(decl, shapes.layer_value(decl.label) if decl.label else None)
    except ShapeDeclarationError:
        raise
    except (ValueError, TypeError, sp.SympifyError) as e:
        raise ShapeDeclarationError(f"cannot read the sizes {', '.join(decl.dims)}") from e

