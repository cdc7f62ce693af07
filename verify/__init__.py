"""The harness: gradient checks against JAX autodiff, finite differences and SymPy truth."""

from verify.gradcheck import (
    FULL_MAX_ELEMENTS,
    ElementCheck,
    GradientResult,
    Kink,
    assert_gradient,
    check_gradient,
)
from verify.results import Record, summarise

__all__ = [
    "FULL_MAX_ELEMENTS",
    "ElementCheck",
    "GradientResult",
    "Kink",
    "Record",
    "assert_gradient",
    "check_gradient",
    "summarise",
]
