"""The terminal table of a mutation run: one row per mutant, at most 100 columns wide."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from itertools import zip_longest

from verify.mutation.runner import MutantResult

__all__ = ["WIDTH", "table"]

WIDTH = 100
"""No line of the table is wider (long cells wrap onto continuation lines)."""

_COLUMNS: tuple[tuple[str, int], ...] = (
    ("mutant", 29),
    ("caught", 8),
    ("layer", 5),
    ("first caught by", 24),
)
"""Fixed columns; ``localised to`` takes what is left of ``WIDTH``."""


def _check_kinds(checks: list[str]) -> list[str]:
    """``training.sgd.sigmoid.softmax...`` -> ``training.sgd``, once each, in order (JSON: all)."""
    out: list[str] = []
    for c in checks:
        short = ".".join(c.split(".")[:2]) if c.startswith("training.") else c
        if short not in out:
            out.append(short)
    return out


def _cells(r: MutantResult) -> list[str]:
    caught = "ERROR" if r.error else ("yes" if r.detected else "no")
    if r.equivalent:
        caught += " (eq)"
    layer = "-" if r.right_layer is None else ("yes" if r.right_layer else "NO")
    kinds = _check_kinds(r.checks)
    by = ", ".join(kinds[:2]) + (f" +{len(kinds) - 2} more" if len(kinds) > 2 else "")
    return [r.name, caught, layer, by or "-", r.error or r.localised]


def table(results: Sequence[MutantResult]) -> str:
    """Fixed-width table: mutant, caught, right layer, first checks that caught it, localisation."""
    widths = [w for _, w in _COLUMNS]
    last = WIDTH - sum(widths) - len(widths)
    head = " ".join(f"{name:<{w}}" for name, w in _COLUMNS) + " localised to"
    lines = [head, "-" * WIDTH]
    for r in results:
        wrapped = [
            textwrap.wrap(cell, width, break_on_hyphens=False) or [""]
            for cell, width in zip(_cells(r), [*widths, last], strict=True)
        ]
        for parts in zip_longest(*wrapped, fillvalue=""):
            cols = [f"{p:<{w}}" for p, w in zip(parts[:-1], widths, strict=True)]
            lines.append(" ".join([*cols, parts[-1]]).rstrip())
    return "\n".join(lines)
