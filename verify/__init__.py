"""The harness: gradient checks against JAX autodiff, finite differences and SymPy truth."""

from verify.gradient.check import (
    FULL_MAX_ELEMENTS,
    ElementCheck,
    GradientResult,
    Kink,
    assert_gradient,
    check_gradient,
)
from verify.mlp_checks import NetworkReport, compare_network
from verify.results import Record, summarise

__all__ = [
    "FULL_MAX_ELEMENTS",
    "ElementCheck",
    "GradientResult",
    "Kink",
    "NetworkReport",
    "Record",
    "assert_gradient",
    "check_gradient",
    "compare_network",
    "summarise",
]
