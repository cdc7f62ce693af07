"""How a wrong claim's correction is shown: the paper-notation form, then the SymPy instance."""

from __future__ import annotations

import re

import sympy as sp

from derivations.claims import Claim
from verify.report.render import display_math, latex, math_block

__all__ = [
    "CHECKED_INSTANCE_LABEL",
    "MAX_INSTANCE_LATEX",
    "corrected_lines",
    "instance_displayable",
]

MAX_INSTANCE_LATEX = 300
"""The errata show the SymPy instance under the printed correction only when it is this short."""

CHECKED_INSTANCE_LABEL = "Checked instance (SymPy"
"""Start of the caption of a machine-checked instance (the errata tests look for it)."""

_IDENTIFIER = re.compile(r"^[^\W\d]\w*$")
"""A Symbol name that prints as a symbol; prose names (spaces, '/', ':') print garbled."""


def instance_displayable(expr: object) -> bool:
    """Whether a SymPy ``corrected`` reads as mathematics: no booleans, no prose Symbol names."""
    if not isinstance(expr, (sp.Basic, sp.MatrixBase)):
        return False
    if isinstance(expr, sp.logic.boolalg.BooleanAtom):
        return False
    return all(_IDENTIFIER.match(s.name) for s in expr.free_symbols if isinstance(s, sp.Symbol))


def _printed(claim: Claim) -> list[str]:
    if not claim.corrected_printed:
        return []
    if claim.corrected_prose:
        return [claim.corrected_printed, ""]
    return [math_block(claim.corrected_printed), ""]


def corrected_lines(claim: Claim, *, label: str, full: bool) -> list[str]:
    """Markdown lines of a wrong claim's correction, captioned ``label``.

    The printed form (``Claim.corrected_printed``) comes first: a math block, or a paragraph for
    prose. Then the SymPy ``corrected`` that was verified, captioned as a checked instance: in the
    errata (``full=False``) only when ``Claim.corrected_instance`` says what was instantiated and
    its LaTeX is under :data:`MAX_INSTANCE_LATEX`; on the family pages (``full=True``) whenever it
    reads as mathematics and differs from the SymPy truth shown above it.
    """
    out = [f"{label}:", "", *_printed(claim)]
    fix = claim.corrected
    if fix is None or not instance_displayable(fix):
        return out if claim.corrected_printed else []
    tex = latex(fix)
    if full:
        if tex == latex(claim.truth):
            return out if claim.corrected_printed else []
        what = claim.corrected_instance or "at the sizes of this claim's derivation"
    else:
        if not claim.corrected_instance or len(tex) >= MAX_INSTANCE_LATEX:
            return out
        what = claim.corrected_instance
    if not claim.corrected_printed:
        return [f"{label}:", "", display_math(fix), ""]
    return [*out, f"{CHECKED_INSTANCE_LABEL}, {what}):", "", display_math(fix), ""]
