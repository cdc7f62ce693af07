"""Markdown building blocks for the reports: GitHub math fences, tables, byte-stable numbers."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import sympy as sp

from derivations.equivalence import ShapeError, ShapeMismatch
from verify.report.names import distinct_bound_indices, symbol_names

__all__ = [
    "MAX_MATRIX_LATEX",
    "bullet",
    "cell",
    "display_math",
    "fmt_err",
    "fmt_num",
    "fmt_pct",
    "heading",
    "inline_math",
    "latex",
    "math_block",
    "method_label",
    "status_label",
    "table",
    "verdict_label",
]

_VERDICTS: dict[str, str] = {
    "holds": "holds",
    "holds_if": "holds if",
    "holds_almost_everywhere": "holds almost everywhere",
    "convention": "convention",
    "wrong": "**wrong**",
    "definition": "definition",
    "does_not_hold": "**does not hold**",
    "hidden_frozen": "hidden layer frozen",
    "hidden_learns": "hidden layer learns",
    "pass": "pass",
    "fail": "**fail**",
    "error": "**error**",
}

_METHODS: dict[str, str] = {
    "symbolic": "symbolic",
    "symbolic_general_K": "proved for symbolic K",
    "enumerated": "enumerated K",
    "numeric": "numeric (mpmath)",
    "definition": "definition",
    "inspection": "inspection",
}


def latex(expr: Any) -> str:
    """LaTeX of a SymPy expression or matrix (``sympy.latex``), or the string itself."""
    if expr is None:
        return ""
    if isinstance(expr, str):
        return expr.strip()
    try:
        return _latex_cached(expr)
    except TypeError:  # a mutable Matrix is unhashable
        return _paper_latex(expr)


def _paper_latex(expr: Any) -> str:
    """``sympy.latex`` in the paper's symbols, nested sums with distinct indices."""
    return str(sp.latex(distinct_bound_indices(expr), symbol_names=symbol_names(expr)))


@functools.lru_cache(maxsize=4096)
def _latex_cached(expr: Any) -> str:
    """``sympy.latex`` memoised: pages and errata print the same truths and corrections."""
    return _paper_latex(expr)


MAX_MATRIX_LATEX = 2500
"""Longer matrices are shown by their first entry: GitHub's math renderer chokes on huge ones."""


def display_math(expr: Any) -> str:
    """Display math for a SymPy expression; a very long matrix shows its (1, 1) entry, captioned.

    A printed product whose shapes do not conform (``ShapeError``) has no value: it is shown as
    a sentence, not as LaTeX of its description.
    """
    if isinstance(expr, ShapeError):
        return f"Undefined: the shapes do not conform ({expr.words()})."
    if isinstance(expr, ShapeMismatch):
        return f"Not comparable: the shapes differ ({expr.words()})."
    if isinstance(expr, sp.MatrixBase) and expr.rows >= 1 and expr.cols >= 1:
        rows, cols = expr.shape
        first = latex(expr[0, 0])
        if len(first) * rows * cols > MAX_MATRIX_LATEX:  # estimate: no LaTeX of the whole matrix
            return (
                f"Entry (1, 1) of the {rows}×{cols} matrix (the whole matrix is too long to "
                "show):\n\n" + math_block(first)
            )
    return math_block(latex(expr))


def math_block(tex: str) -> str:
    """Display math in a GitHub ```` ```math ```` fence (never ``$$``)."""
    body = tex.strip()
    if body.startswith("$$") and body.endswith("$$"):
        body = body[2:-2].strip()
    return f"```math\n{body}\n```"


def inline_math(tex: str) -> str:
    """Inline math as GitHub's ``$`...`$`` (safe against Markdown emphasis)."""
    return f"$`{tex.strip()}`$"


def heading(level: int, text: str) -> str:
    """Return a Markdown ATX heading."""
    return f"{'#' * level} {text}"


def bullet(items: Iterable[str]) -> str:
    """Return a bulleted list."""
    return "\n".join(f"- {i}" for i in items)


def cell(text: Any) -> str:
    """One table cell: pipes escaped, newlines flattened."""
    return str(text).replace("\n", " ").replace("|", "\\|").strip()


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Return a GitHub Markdown table."""
    lines = [
        "| " + " | ".join(cell(h) for h in headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
    ]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_err(x: float | None, *, bound: bool = False) -> str:
    """Format a numerical error byte-stably across machines.

    Rounding-level errors (below ``1e-3``: float64 and float32 rounding) are printed as their
    power-of-ten bound (``< 1e-13``): BLAS and libm differ in the last bits, the bound does not.
    Larger errors (a wrong formula) get two significant digits, unless ``bound`` (errors that
    are rounding at any size, e.g. float32 finite differences): then every error is a bound.
    """
    if x is None:
        return "—"
    x = abs(float(x))
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf"
    if x == 0.0:
        return "0"
    if x < 1e-3 or bound:
        k = math.floor(math.log10(x)) + 1
        return "< 1" if k == 0 else f"< 1e{k}"
    return fmt_num(x)


def fmt_num(x: float, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits, without a trailing exponent for ordinary sizes."""
    x = float(x)
    if x == 0.0 or math.isnan(x) or math.isinf(x):
        return str(x)
    if 1e-3 <= abs(x) < 1e5:
        decimals = max(digits - 1 - math.floor(math.log10(abs(x))), 0)
        return f"{x:.{decimals}f}"
    return f"{x:.{digits - 1}e}"


def fmt_pct(fraction: float, decimals: int = 1) -> str:
    """Format an accuracy (a fraction) as a percentage."""
    return f"{100.0 * float(fraction):.{decimals}f}%"


def verdict_label(verdict: str) -> str:
    """Human form of a verdict (wrong ones in bold)."""
    return _VERDICTS.get(verdict, verdict.replace("_", " "))


def method_label(method: str) -> str:
    """Human form of a :class:`derivations.claims.Method` value."""
    return _METHODS.get(method, method.replace("_", " "))


def status_label(status: str) -> str:
    """``ok``, or the failure in capitals so it stands out."""
    return "ok" if status == "ok" else f"**{status.upper()}**"
