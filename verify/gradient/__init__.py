"""The gradient-check library: ``check_gradient``/``assert_gradient`` and the numerics behind them.

Importable alone (NumPy only). Modules: ``check`` (full mode and the public entry points),
``directional`` (random-direction checks and bisection), ``finite_diff`` (the one finite-difference
core), ``budget`` (the one error-budget model: steps and tolerances), ``inputs`` (normalising x and
the objective), ``scratch`` (reused buffers).
"""

from verify.gradient.check import (
    FULL_MAX_ELEMENTS,
    ElementCheck,
    GradientResult,
    Kink,
    assert_gradient,
    check_gradient,
)

__all__ = [
    "FULL_MAX_ELEMENTS",
    "ElementCheck",
    "GradientResult",
    "Kink",
    "assert_gradient",
    "check_gradient",
]
