"""SymPy re-derivations of every closed-form claim in the backprop notes, with verdicts."""

from derivations.claims import Claim, Method, NumericSpec, Step, Verdict
from derivations.document import check_document, check_steps
from derivations.equivalence import Decision, decide
from derivations.registry import all_claims, claims_by_family, get, timings

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
