r"""The optional notation block: index ranges, sizes, labels, functions, domains, assumptions.

Syntax (one declaration per line, ``#`` starts a comment), inside a ```` ```derivcheck ````
fence, an ``<!-- derivcheck ... -->`` comment, or ``% derivcheck: ...`` lines in LaTeX::

    index i, j, k: 1..K        # ranges of summation and free indices
    size K = 3                 # check sizes at these values (default 3)
    label l, L                 # superscript letters that are layer labels (default l, L)
    function f, g              # names read as functions before a parenthesis
    positive a, x              # sampling domains: (0.05, 3)
    probability a, y           # (0.02, 0.98)
    real z, w                  # (-3, 3)
    assume \\sum_k y_k = 1      # a step that needs it gets holds_if with this condition
    vector a^l, z^l, \\delta^l: n_l     # column vectors, n_l entries at layer l
    vector y: n_L                      # a vector without a layer
    matrix W^l: n_l x n_{l-1}          # rows x columns
    size n_L = 2, n_{L-1} = 3          # layer sizes at the checking instance (default 2, 4, 3, ...)
    layer L = 3, l = L-1               # the checking instance of the labels (the default)
    network z^l = W^l a^{l-1} + b^l; a^l = \\sigma(z^l)      # the layers, ';' between rules
    network \\delta^l = \\frac{\\partial C}{\\partial z^l}    # δ^l as a declared definition
    componentwise "we will mostly ignore" .. "include the full expression"   # read as scalars
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from derivations.document.context import Context
from derivations.document.convert import ConversionError, Converter
from derivations.document.latex import LatexSyntaxError, parse_latex
from derivations.document.names import name_of, source_of
from derivations.document.shapes import MAX_LAYERS, MAX_SIZE, Declared, ShapeDeclarationError
from derivations.document.steps import _split_row

__all__ = ["NotationError", "apply_notation"]

_DOMAINS = {"positive": (0.05, 3.0), "probability": (0.02, 0.98), "real": (-3.0, 3.0)}
KEYWORDS = ("index", "size", "label", "function", "assume", *_DOMAINS, "vector", "matrix",
            "layer", "network", "componentwise")


@dataclass(frozen=True)
class NotationError:
    """A notation line that could not be read: file offset and what was expected."""

    offset: int
    message: str
    text: str


def _names(rest: str, conv: Converter) -> list[str]:
    out = []
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        tree = parse_latex(item)
        name = name_of(tree.children[0])
        if name is None:
            raise LatexSyntaxError(f"expected a name, got {item!r}", 0)
        out.append(name.key(conv.label_of(name) if name.sup is not None else None))
    return out


def _declare(keyword: str, rest: str, ctx: Context, conv: Converter) -> None:
    if keyword == "index":
        m = re.fullmatch(r"(.+?)\s*(?::|\\in|in)\s*(\S+)\s*\.\.\s*(\S+)", rest)
        if not m:
            raise LatexSyntaxError("expected 'index i, j: 1..K'", 0)
        lo, hi = (sp.Integer(int(x)) if x.lstrip("-").isdigit() else None for x in m.groups()[1:])
        bounds = []
        for value, written in zip((lo, hi), m.groups()[1:], strict=True):
            if value is None:
                ctx.sizes.setdefault(written, None)
                bounds.append(ctx.index_symbol(written, size=True))
            else:
                bounds.append(value)
        for letter in m.group(1).split(","):
            ctx.index_ranges[letter.strip()] = (bounds[0], bounds[1])
    elif keyword == "size":
        for item in _items(rest):
            m = re.fullmatch(r"\s*([A-Za-z])\s*=\s*(\d+)\s*", item)
            layered = re.fullmatch(r"\s*([A-Za-z])_\{?([^{}=]+?)\}?\s*=\s*(\d+)\s*", item)
            if m:
                ctx.sizes[m.group(1)] = int(m.group(2))
            elif layered:
                if not 1 <= int(layered.group(3)) <= MAX_SIZE:
                    raise LatexSyntaxError(f"a layer size between 1 and {MAX_SIZE} (the check "
                                           "runs at these sizes; small distinct ones suffice)", 0)
                ctx.shapes.pending_sizes.append(
                    (layered.group(1), layered.group(2), int(layered.group(3))))
            else:
                raise LatexSyntaxError("expected 'size K = 3' or 'size n_{L-1} = 3'", 0)
    elif keyword == "label":
        ctx.label_letters |= {x.strip() for x in rest.split(",") if x.strip()}
    elif keyword == "function":
        ctx.functions |= set(_names(rest, conv))
    elif keyword in _DOMAINS:
        for key in _names(rest, conv):
            ctx.domains[key] = _DOMAINS[keyword]
    elif keyword == "componentwise":
        m = re.fullmatch(r'\s*"([^"]+)"\s*\.\.\s*"([^"]+)"\s*', rest)
        if not m:
            raise LatexSyntaxError('expected componentwise "from this text" .. "to this text"', 0)
        ctx.shapes.componentwise.append((m.group(1), m.group(2)))
    elif keyword in ("vector", "matrix", "layer", "network"):
        _declare_shape(keyword, rest, ctx)
    elif keyword == "assume":
        parts, relations = _split_row(rest, 0)
        if relations != ["="]:
            raise LatexSyntaxError("expected one equation: assume \\sum_k y_k = 1", 0)
        sides = [conv.convert(parse_latex(p.text), p.text) for p in parts]
        ctx.assumptions.append((sides[0], sides[1], rest.strip()))


def _items(rest: str) -> list[str]:
    """Comma-separated items, commas inside braces kept (``n_{l,1}``)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(rest):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            out.append(rest[start:i])
            start = i + 1
    return [x for x in (*out, rest[start:]) if x.strip()]


def _declare_shape(keyword: str, rest: str, ctx: Context) -> None:
    r"""``vector a^l: n_l``, ``matrix W^l: n_l x n_{l-1}``, ``layer L = 3``, ``network ...``."""
    shapes = ctx.shapes
    if keyword == "layer":
        for item in _items(rest):
            m = re.fullmatch(r"\s*([A-Za-z])\s*=\s*([A-Za-z0-9+\- ]+)\s*", item)
            if not m:
                raise LatexSyntaxError("expected 'layer L = 3, l = L-1'", 0)
            shapes.layers[m.group(1)] = m.group(2).replace(" ", "")
        try:
            values = [shapes.layer_value(letter) for letter in shapes.layers]
        except ShapeDeclarationError as e:
            raise LatexSyntaxError(str(e), 0) from e
        if not all(0 <= v <= MAX_LAYERS for v in values) or shapes.layer_value("L") < 1:
            raise LatexSyntaxError(f"layers between 0 and {MAX_LAYERS} with L >= 1 "
                                   "(the network is built at these layers)", 0)
        return
    if keyword == "network":
        for rule in rest.split(";"):
            lhs, eq, rhs = rule.partition("=")
            name = name_of(parse_latex(lhs.strip()).children[0]) if eq else None
            if name is None or name.sup is None or name.indices or not rhs.strip():
                raise LatexSyntaxError("expected 'network z^l = W^l a^{l-1} + b^l; "
                                       "a^l = \\sigma(z^l)'", 0)
            letter = source_of(name.sup, lhs.strip()).strip("{} ")
            shapes.network[name.key()] = (letter, parse_latex(rhs.strip()), rhs.strip())
        return
    names, colon, dims = rest.rpartition(":")
    parts = [d.strip() for d in re.split(r"\s+x\s+|\\times", dims.strip())]
    expected = 1 if keyword == "vector" else 2
    if not colon or not names.strip() or len(parts) != expected or not all(parts):
        raise LatexSyntaxError(f"expected '{keyword} "
                               + ("a^l, z^l: n_l'" if expected == 1 else "W^l: n_l x n_{l-1}'")
                               + f", got {len(parts)} size(s)", 0)
    for item in _items(names):
        name = name_of(parse_latex(item.strip()).children[0])
        if name is None or name.indices or name.primes:
            raise LatexSyntaxError(f"expected a name such as a^l, got {item.strip()!r}", 0)
        label = None if name.sup is None else source_of(name.sup, item.strip()).strip("{} ")
        if label is not None and label not in ctx.label_letters:
            raise LatexSyntaxError(f"the layer of {item.strip()} must be a label letter "
                                   f"({', '.join(sorted(ctx.label_letters))})", 0)
        decl = Declared(keyword, tuple(parts), label)
        try:
            from derivations.document.vectors import check_declared

            check_declared(decl, shapes)
        except ShapeDeclarationError as e:
            raise LatexSyntaxError(f"{item.strip()}: {e}", 0) from e
        shapes.names[name.key()] = decl


def apply_notation(text: str, start: int, ctx: Context) -> list[NotationError]:
    """Read a notation block (file offset ``start``) into ``ctx``; the lines it cannot read."""
    errors: list[NotationError] = []
    network_line: tuple[int, str] | None = None
    conv = Converter(ctx)
    offset = start
    for raw in text.splitlines(keepends=True):
        line = raw.split("#", 1)[0].strip().lstrip("%").strip()
        here = offset + (len(raw) - len(raw.lstrip()))
        offset += len(raw)
        if not line:
            continue
        keyword, _, rest = line.partition(" ")
        before = len(errors)
        if keyword not in KEYWORDS:
            errors.append(NotationError(here, f"unknown declaration {keyword!r}; expected one "
                                        f"of {', '.join(KEYWORDS)}", line))
            continue
        try:
            _declare(keyword, rest, ctx, conv)
        except (LatexSyntaxError, ConversionError) as e:
            errors.append(NotationError(here, str(e), line))
        if keyword == "network" and len(errors) == before and network_line is None:
            network_line = (here, line)
    if network_line is not None:
        problem = _network_problem(ctx)
        if problem is not None:
            errors.append(NotationError(network_line[0], problem, network_line[1]))
    return errors


def _network_problem(ctx: Context) -> str | None:
    """Why the declared network cannot be built at the checking instance, if it cannot."""
    from derivations.document.vectors import NotVectorError, ShapeError, VectorReader

    shapes = ctx.shapes
    if "a" in shapes.network and "a" not in shapes.names:
        return "the network computes a^l: declare its shape (vector a^l: n_l)"
    reader = VectorReader(ctx)
    try:
        top = shapes.layer_value("L")
        for key in shapes.network:
            if key not in shapes.names:
                return f"the network computes {key}: declare its shape (vector {key}^l: n_l)"
            if key != "δ":
                reader.quantity(key, top, {})
    except ShapeError as e:
        return f"the network does not fit the declared shapes: {e}"
    except (NotVectorError, ShapeDeclarationError, ValueError, TypeError, KeyError) as e:
        return (f"the network rules cannot be read ({e}): use declared vectors and matrices, "
                "products, +, -, \\odot and \\sigma")
    return None
