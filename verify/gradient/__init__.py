"""The gradient-check library: ``check_gradient``/``assert_gradient`` and the numerics behind them.

Importable alone (NumPy only). Modules: ``check`` (the public entry points, directional mode,
and the harness's internal ``check_with_hooks``), ``full`` (every element on its own),
``directional`` (random-direction checks), ``settle`` (splitting and bisecting a direction that
did not pass), ``noise`` (the measured noise of ``f``), ``finite_diff`` (the one
finite-difference core), ``budget`` (the one error-budget model: every step and tolerance),
``inputs`` (normalising x, the objective), ``tree`` (x as nested dicts, lists and tuples),
``results`` (what a check returns: ``status``, ``resolution``), ``scratch`` (reused buffers),
``value_and_grad`` (``fg(x) -> (value, grad)``), ``jacobian`` and ``jvp`` (Jacobian, VJP and JVP
checks as scalar gradient checks), ``jacobian_result`` (what they return).
"""

from verify.gradient.check import (
    FULL_MAX_ELEMENTS,
    ElementCheck,
    GradientResult,
    Kink,
    assert_gradient,
    check_gradient,
)
from verify.gradient.jacobian import (
    assert_jacobian,
    assert_jvp,
    assert_vjp,
    check_jacobian,
    check_jvp,
    check_vjp,
)
from verify.gradient.jacobian_result import JacobianEntry, JacobianResult
from verify.gradient.value_and_grad import assert_value_and_grad, check_value_and_grad

__all__ = [
    "FULL_MAX_ELEMENTS",
    "ElementCheck",
    "GradientResult",
    "JacobianEntry",
    "JacobianResult",
    "Kink",
    "assert_gradient",
    "assert_jacobian",
    "assert_jvp",
    "assert_value_and_grad",
    "assert_vjp",
    "check_gradient",
    "check_jacobian",
    "check_jvp",
    "check_value_and_grad",
    "check_vjp",
]
