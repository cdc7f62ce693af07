"""The finite-difference core: central (Richardson), one-sided, complex-step, step sweeps.

Every finite difference of the project is computed here: :func:`difference` (one quotient, also
on arrays), :func:`richardson`, :func:`central_difference` (with retries), :func:`central_pair`
(no retries), :func:`one_sided` and :func:`one_sided_jump` (kinks), :func:`complex_step`,
:func:`step_sweep`. Steps and budgets come from :mod:`verify.gradient.budget`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from verify.gradient.budget import Budget, fd_budget, fd_step, float_dtype, machine_eps

__all__ = [
    "COMPLEX_STEP",
    "CentralDifference",
    "NonFiniteError",
    "Shift",
    "StepSweep",
    "central_difference",
    "central_pair",
    "complex_step",
    "derivative",
    "difference",
    "one_sided",
    "one_sided_jump",
    "richardson",
    "scalar_shift",
    "step_sweep",
    "step_sweeps",
]

Shift = Callable[[float], tuple[float, float]]
"""``shift(t) -> (t_eff, f(x + t_eff * u))``: the function along a line, with the step really taken.

``t_eff`` is the representable step (``(x + t) - x``), so rounding of ``x + t`` is not mistaken for
a derivative error.
"""

COMPLEX_STEP: dict[np.dtype[Any], float] = {
    np.dtype(np.complex128): 1e-20,
    np.dtype(np.complex64): 1e-10,
}
"""Complex-step size by complex dtype: no subtractive cancellation, so it can be tiny."""

_RETRIES = 4
"""How many times the step is divided by 16 when ``f`` is not finite at ``x +- h``."""


class NonFiniteError(ValueError):
    """``f`` was NaN/inf at ``x +- h`` even after shrinking the step."""


@dataclass(frozen=True)
class CentralDifference:
    """Richardson-extrapolated central difference ``(4 D(h/2) - D(h)) / 3`` and its ingredients."""

    value: float
    d_h: float
    d_h2: float
    h: float
    f_scale: float
    evaluations: int
    samples: tuple[tuple[float, float], ...] = ()
    """``(t_eff, f(x + t_eff))`` at ``+h, -h, +h/2, -h/2``: reused for the one-sided derivatives."""

    def budget(self, fd_dtype: Any, reference: float = 0.0, measured: float = 0.0) -> Budget:
        """Error budget of :attr:`value`.

        ``reference``: the analytic side's allowed rounding; ``measured``: the noise level of
        ``f``, if measured.
        """
        return fd_budget(self.d_h, self.d_h2, self.f_scale, self.h, fd_dtype, reference, measured)

    def sides(self, f0: float) -> tuple[float, float]:
        """Left and right derivatives ``(D-, D+)`` from the same samples (``2 D(h/2) - D(h)``).

        For a smooth ``f`` they differ by ``O(h^3)``; at a kink by the jump in the derivative.
        """
        (tp, fp), (tm, fm), (tp2, fp2), (tm2, fm2) = self.samples
        right = 2.0 * (fp2 - f0) / tp2 - (fp - f0) / tp
        left = 2.0 * (fm2 - f0) / tm2 - (fm - f0) / tm
        return left, right


F = TypeVar("F", float, np.ndarray[Any, Any])


def difference(f_plus: F, f_minus: F, width: F) -> F:
    """One difference quotient ``(f(x + t+) - f(x + t-)) / (t+ - t-)``; ``width = t+ - t-``.

    Floats or arrays (one quotient per entry, ``width`` broadcasting).
    """
    quotient: F = (f_plus - f_minus) / width
    return quotient


def richardson(d_h: F, d_h2: F) -> F:
    """Richardson extrapolation of a second-order difference: ``(4 D(h/2) - D(h)) / 3``."""
    extrapolated: F = (4.0 * d_h2 - d_h) / 3.0
    return extrapolated


def _central(
    shift: Shift, s: float
) -> tuple[float, float, tuple[float, float], tuple[float, float]]:
    """One central difference with nominal step ``s``: ``(D(s), max |f|, (t+, f+), (t-, f-))``."""
    tp, fp = shift(s)
    tm, fm = shift(-s)
    width = tp - tm
    if width == 0.0 or tp == 0.0 or tm == 0.0:
        raise NonFiniteError(f"step {s:.3g} vanishes in the working precision")
    return difference(fp, fm, width), max(abs(fp), abs(fm)), (tp, fp), (tm, fm)


def central_difference(shift: Shift, h: float) -> CentralDifference:
    """Central differences at ``h`` and ``h/2``, extrapolated; shrinks ``h`` if ``f`` is not finite.

    Raises NonFiniteError when ``f`` stays NaN/inf at ``x +- h`` after shrinking four times.
    """
    evaluations = 0
    step = h
    for _ in range(_RETRIES + 1):
        d_h, s1, p1, m1 = _central(shift, step)
        d_h2, s2, p2, m2 = _central(shift, step / 2.0)
        evaluations += 4
        if math.isfinite(d_h) and math.isfinite(d_h2):
            return CentralDifference(
                richardson(d_h, d_h2), d_h, d_h2, step, max(s1, s2), evaluations, (p1, m1, p2, m2)
            )
        step /= 16.0
    raise NonFiniteError(f"f is not finite at x +- h for every step down to h = {step * 16:.3g}")


def central_pair(shift: Shift, h: float) -> tuple[float, float]:
    """``(D(h), D(h/2))`` from ``shift(+-h)``, ``shift(+-h/2)`` in that order, without retries.

    For callers whose ``f`` cannot be asked again at a smaller step (non-finite values stay).
    """
    tp, fp = shift(h)
    tm, fm = shift(-h)
    d_h = difference(fp, fm, tp - tm)
    tp2, fp2 = shift(h / 2)
    tm2, fm2 = shift(-h / 2)
    return d_h, difference(fp2, fm2, tp2 - tm2)


def one_sided_jump(g: Callable[[float], float], sign: float, h: float, f0: float) -> float:
    """One-sided derivative of ``g(t) = f(x + t)`` on the side ``sign``; ``+-inf`` at a jump.

    ``2 D(h/4) - D(h/2)`` from the quotients ``D(s) = (g(sign s) - f0) / (sign s)`` at
    ``s = h, h/2, h/4`` (``f0 = g(0)``). A jump shows as a quotient that doubles when ``s``
    halves: ``|D(h/4)| > 1e3`` and three times ``|D(h)|``.
    """
    d = [(g(sign * s) - f0) / (sign * s) for s in (h, h / 2, h / 4)]
    if abs(d[2]) > 1e3 and abs(d[2]) > 3.0 * abs(d[0]):
        return math.copysign(math.inf, d[2])
    return 2 * d[2] - d[1]


def one_sided(shift: Shift, h: float, f0: float) -> tuple[float, float]:
    """Return left and right derivatives ``(D-, D+)``, each extrapolated as ``2 D(h/2) - D(h)``."""

    def side(sign: float) -> float:
        t1, f1 = shift(sign * h)
        t2, f2 = shift(sign * h / 2.0)
        d1 = (f1 - f0) / t1
        d2 = (f2 - f0) / t2
        return 2.0 * d2 - d1

    return side(-1.0), side(1.0)


def complex_step(f: Callable[[complex], complex], x: float, h: float = 1e-20) -> float:
    """Complex-step derivative ``Im f(x + i h) / h`` (exact to rounding for analytic ``f``).

    Only valid for functions analytic at ``x`` written with complex-safe operations (no ``abs``,
    ``maximum``, comparisons); callers cross-check it against a central difference.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        value = f(complex(x, h))
    return float(np.imag(value)) / h


def scalar_shift(f: Callable[[Any], Any], x: float, dtype: Any = np.float64) -> Shift:
    """Return a :data:`Shift` for a scalar function ``f`` at ``x``, evaluated in ``dtype``."""
    dt = float_dtype(dtype)
    x0 = dt.type(x)

    def shift(t: float) -> tuple[float, float]:
        xt = dt.type(x0 + dt.type(t))
        return float(xt) - float(x0), float(f(xt))

    return shift


def derivative(f: Callable[[Any], Any], x: float, dtype: Any = np.float64) -> CentralDifference:
    """Central-difference derivative of a scalar function at ``x`` with the dtype-aware step."""
    return central_difference(scalar_shift(f, x, dtype), fd_step(x, dtype))


@dataclass(frozen=True)
class StepSweep:
    """Finite-difference error against step size ``h``: the V-shaped curve, for a figure.

    Left of the minimum rounding (~ eps|f|/h) dominates, right of it truncation (~ h^2 |f'''|).
    ``errors`` are absolute errors of the plain central difference against the exact derivative
    (0.0 where the difference happened to be exact); ``chosen_step`` is :func:`fd_step`.
    """

    function: str
    x: float
    dtype: str
    steps: tuple[float, ...]
    errors: tuple[float, ...]
    chosen_step: float
    chosen_error: float
    richardson_error: float
    eps: float


def _sigmoid(z: Any) -> Any:
    """Sigmoid, eq. (13), in the dtype of ``z``."""
    return 1.0 / (1.0 + np.exp(-z))


def step_sweep(
    x: float = 0.5, dtype: Any = np.float64, num: int = 65, lo: float = 1e-16, hi: float = 1.0
) -> StepSweep:
    """Measure the central-difference error of the sigmoid (eq. 13) at ``x`` for steps in [lo, hi].

    The exact derivative is eq. (14) evaluated in float64 from a float64 sigmoid.
    """
    dt = float_dtype(dtype)
    if num < 2 or not (0.0 < lo < hi):
        raise ValueError(f"need num >= 2 and 0 < lo < hi; got num={num}, lo={lo}, hi={hi}")
    exact = float(_sigmoid(np.float64(x)) * (1.0 - _sigmoid(np.float64(x))))
    shift = scalar_shift(_sigmoid, x, dt)
    steps = np.logspace(math.log10(lo), math.log10(hi), num)
    errors: list[float] = []
    for h in steps:
        try:
            d = _central(shift, float(h))[0]
            errors.append(abs(d - exact))
        except NonFiniteError:
            errors.append(abs(exact))  # the step vanished: the difference is 0
    h0 = fd_step(x, dt)
    d0 = _central(shift, h0)[0]
    cd = central_difference(shift, h0)
    return StepSweep(
        function="sigmoid",
        x=float(x),
        dtype=str(dt),
        steps=tuple(float(s) for s in steps),
        errors=tuple(errors),
        chosen_step=h0,
        chosen_error=abs(d0 - exact),
        richardson_error=abs(cd.value - exact),
        eps=machine_eps(dt),
    )


def step_sweeps(x: float = 0.5) -> list[StepSweep]:
    """Return the V-curves for float64 and float32 (the figure data)."""
    return [step_sweep(x, np.float64), step_sweep(x, np.float32)]
