"""Evaluate a wrong claim's printed and derived forms at its counterexample point."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from derivations.claims import Claim

__all__ = ["MAX_SHOWN", "evaluate_at", "format_point"]


MAX_SHOWN = 12
"""Coordinates of a counterexample printed before eliding the rest."""


def format_point(point: Mapping[str, float]) -> str:
    """Return ``z = 0.5, y = 1`` (3 significant digits; long points elided after MAX_SHOWN)."""
    items = [f"{k} = {float(v):.3g}" for k, v in point.items()]
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
        val = expr.xreplace(subs).evalf(6)  # xreplace: exact symbols, 100x faster than subs
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


def _evaluate_at(claim: Claim) -> tuple[str, str] | None:
    point = claim.counterexample
    if not point:
        return None
    truth = claim.truth if claim.truth is not None else claim.corrected
    paper = _value(claim.paper, point)
    true = _value(truth, point)
    if paper is None or true is None or paper == true:
        return None  # not evaluable, or the counterexample is for a printed line, not the result
    return paper, true
