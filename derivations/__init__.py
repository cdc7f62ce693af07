"""SymPy re-derivations of every closed-form claim in the backprop notes, with verdicts."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from derivations.claims import Claim, Method, NumericSpec, Step, Verdict
from derivations.equivalence import Decision, decide
from derivations.registry import all_claims, claims_by_family, get, timings

if TYPE_CHECKING:
    from derivations.document import DocumentResult, StepRecord

__all__ = [
    "Claim",
    "Decision",
    "Method",
    "NumericSpec",
    "Step",
    "Verdict",
    "all_claims",
    "check_document",
    "check_steps",
    "claims_by_family",
    "decide",
    "get",
    "timings",
]


def check_document(text: str, *, path: str | None = None) -> "DocumentResult":
    """Check every derivation step of a Markdown, LaTeX or text document.

    See :func:`derivations.document.check_document` (imported on first use, so that
    ``import derivations`` stays light).
    """
    from derivations.document import check_document as run

    return run(text, path=path)


def check_steps(steps: Sequence[str], *, notation: str = "") -> "list[StepRecord]":
    """Check a derivation given as its lines; see :func:`derivations.document.check_steps`."""
    from derivations.document import check_steps as run

    return run(steps, notation=notation)
