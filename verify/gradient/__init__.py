"""The gradient-check library: ``check_gradient``/``assert_gradient`` and the numerics behind them.

Importable alone (NumPy only). Modules: ``check`` (the public entry points, directional mode,
and the harness's internal ``check_with_hooks``), ``full`` (every element on its own),
``directional`` (random-direction checks), ``settle`` (splitting and bisecting a direction that
did not pass), ``noise`` (the measured noise of ``f``), ``finite_diff`` (the one
finite-difference core), ``budget`` (the one error-budget model: every step and tolerance),
``inputs`` (normalising x, the objective), ``results`` (what a check returns: ``status``,
``resolution``), ``scratch`` (reused buffers).
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
