"""Evaluate a wrong claim's printed and derived forms at its counterexample point."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from derivations.claims import Claim
from derivations.equivalence import ShapeError, ShapeMismatch
from verify.report.names import point_latex

__all__ = [
    "MAX_SHOWN",
    "counterexample_lines",
    "evaluate_at",
    "format_point",
    "printed_lines",
    "reading_mark",
]


MAX_SHOWN = 12
"""Coordinates of a counterexample printed before eliding the rest."""


def format_point(point: Mapping[str, float]) -> str:
    """Return ``z = 0.5, y = 1`` in the paper's symbols (3 significant digits, long points cut)."""
    items = [f"{point_latex(k)} = {float(v):.3g}" for k, v in point.items()]
    if len(items) > MAX_SHOWN:
        items = [*items[:MAX_SHOWN], f"… ({len(items) - MAX_SHOWN} more)"]
    return ", ".join(items)


def _value(expr: Any, point: Mapping[str, float]) -> str | None:
    if expr is None:
        return None
    if not isinstance(expr, sp.Basic | sp.MatrixBase):
        return None
    by_name = {str(s): s for s in expr.free_symbols}
    subs = {by_name[k]: sp.Float(v) for k, v in point.items() if k in by_name}
    try:
        val = expr.xreplace(subs).doit().evalf(6)  # xreplace: exact symbols, 100x faster than subs
    except Exception:  # sympy cannot evaluate it: show the point only
        return None
    if isinstance(val, sp.MatrixBase):
        if val.free_symbols:
            return None
        return "[" + ", ".join(f"{float(x):.3g}" for x in val) + "]"
    if val.free_symbols or not val.is_number:
        return None
    try:
        return f"{float(val):.3g}"
    except TypeError:
        return None


_DONE: dict[int, tuple[Claim, tuple[str, str] | None]] = {}
"""``evaluate_at`` results by claim identity (pages and errata both ask; claims are unhashable)."""


def evaluate_at(claim: Claim) -> tuple[str, str] | None:
    """Return (printed value, true value) at ``claim.counterexample`` (``None``: not evaluable)."""
    hit = _DONE.get(id(claim))
    if hit is not None and hit[0] is claim:
        return hit[1]
    result = _evaluate_at(claim)
    _DONE[id(claim)] = (claim, result)
    return result


def _shape(expr: Any) -> str:
    if isinstance(expr, sp.MatrixBase):
        return f"{expr.rows}×{expr.cols}"
    return "scalar"


def _evaluate_at(claim: Claim) -> tuple[str, str] | None:
    point = claim.counterexample
    if not point:
        return None
    shown = claim.extra.get("shown")
    first = claim.first_wrong_step
    if shown is not None:  # the concrete instance the counterexample belongs to
        paper_expr, truth = shown
    elif first is not None:  # the counterexample is the first wrong line's
        paper_expr = next(s.paper for s in claim.steps if s.index == first)
        truth = claim.truth
    else:
        paper_expr = claim.paper
        truth = claim.truth if claim.truth is not None else claim.corrected
    if isinstance(paper_expr, ShapeError):  # a printed product with no value: say the shapes
        return f"undefined ({paper_expr.words()})", f"a {_shape(truth)} matrix"
    residual = claim.residual
    if isinstance(residual, ShapeMismatch):
        return f"a {_shape(paper_expr)} matrix", f"a {_shape(truth)} matrix"
    paper = _value(paper_expr, point)
    true = _value(truth, point)
    if (paper is None or true is None) and claim.numeric is not None and shown is None:
        # abstract σ in the claim: its numeric instance has the concrete activations
        paper, true = _value(claim.numeric.paper, point), _value(claim.numeric.truth, point)
    if paper is None or true is None or paper == true:
        return None  # not evaluable, or the counterexample is for a printed line, not the result
    return paper, true


def reading_mark(claim: Claim) -> str:
    """`` (of the checker's reading)`` for a verdict on a reading of the text, else ``""``."""
    return " (of the checker's reading of the text)" if claim.extra.get("checker_reading") else ""


def printed_lines(claim: Claim, label: str = "Printed") -> list[str]:
    """The statement as printed, and for a reading, what the checker took it to mean."""
    from verify.report.render import display_math, math_block

    out: list[str] = []
    if claim.printed:
        out += [f"{label}:", "", math_block(claim.printed), ""]
    elif claim.paper is not None:
        out += [f"{label}:", "", display_math(claim.paper), ""]
    reading = claim.extra.get("checker_reading")
    if reading:
        out += [f"Checked as a reading, not as printed: {reading}.", ""]
    return out


def counterexample_lines(claim: Claim, label: str = "Numeric counterexample") -> list[str]:
    """The counterexample point with the printed and the true value there.

    For a claim that holds under a condition the point is where the condition fails.
    """
    if not claim.counterexample:
        return []
    from derivations.claims import Verdict

    values = evaluate_at(claim)
    conditional = claim.verdict in (Verdict.HOLDS_IF, Verdict.HOLDS_ALMOST_EVERYWHERE)
    lead = "Where the condition fails" if conditional else label
    line = f"{lead}: {format_point(claim.counterexample)}"
    if values is not None:
        line += f": printed {values[0]}, true {values[1]}"
    return [line + ".", ""]
