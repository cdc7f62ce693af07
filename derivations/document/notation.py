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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from derivations.document.context import Context
from derivations.document.convert import ConversionError, Converter
from derivations.document.latex import LatexSyntaxError, parse_latex
from derivations.document.names import name_of
from derivations.document.steps import _split_row

__all__ = ["NotationError", "apply_notation"]

_DOMAINS = {"positive": (0.05, 3.0), "probability": (0.02, 0.98), "real": (-3.0, 3.0)}
KEYWORDS = ("index", "size", "label", "function", "assume", *_DOMAINS)


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
        for item in rest.split(","):
            m = re.fullmatch(r"\s*([A-Za-z])\s*=\s*(\d+)\s*", item)
            if not m:
                raise LatexSyntaxError("expected 'size K = 3'", 0)
            ctx.sizes[m.group(1)] = int(m.group(2))
    elif keyword == "label":
        ctx.label_letters |= {x.strip() for x in rest.split(",") if x.strip()}
    elif keyword == "function":
        ctx.functions |= set(_names(rest, conv))
    elif keyword in _DOMAINS:
        for key in _names(rest, conv):
            ctx.domains[key] = _DOMAINS[keyword]
    elif keyword == "assume":
        parts, relations = _split_row(rest, 0)
        if relations != ["="]:
            raise LatexSyntaxError("expected one equation: assume \\sum_k y_k = 1", 0)
        sides = [conv.convert(parse_latex(p.text), p.text) for p in parts]
        ctx.assumptions.append((sides[0], sides[1], rest.strip()))


def apply_notation(text: str, start: int, ctx: Context) -> list[NotationError]:
    """Read a notation block (file offset ``start``) into ``ctx``; the lines it cannot read."""
    errors: list[NotationError] = []
    conv = Converter(ctx)
    offset = start
    for raw in text.splitlines(keepends=True):
        line = raw.split("#", 1)[0].strip().lstrip("%").strip()
        here = offset + (len(raw) - len(raw.lstrip()))
        offset += len(raw)
        if not line:
            continue
        keyword, _, rest = line.partition(" ")
        if keyword not in KEYWORDS:
            errors.append(NotationError(here, f"unknown declaration {keyword!r}; expected one "
                                        f"of {', '.join(KEYWORDS)}", line))
            continue
        try:
            _declare(keyword, rest, ctx, conv)
        except (LatexSyntaxError, ConversionError) as e:
            errors.append(NotationError(here, str(e), line))
    return errors
