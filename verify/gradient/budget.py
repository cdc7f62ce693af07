"""Error budgets: dtype tolerance tables and the error model behind every numeric pass/fail."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CONSERVATIVE_SAFETY",
    "GRAD_RTOL",
    "NOISE_FACTOR",
    "RUNNING_SAFETY",
    "SAFETY",
    "Budget",
    "conservative_fd_budget",
    "fd_budget",
    "fd_step",
    "float_dtype",
    "grad_tolerance",
    "machine_eps",
]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

GRAD_RTOL: dict[np.dtype[Any], float] = {
    np.dtype(np.float32): 1024 * float(np.finfo(np.float32).eps),  # ~1.2e-4
    np.dtype(np.float64): 2**22 * float(np.finfo(np.float64).eps),  # ~9.3e-10
}
"""Rounding allowed in an analytic gradient, relative to the largest entry of its array, by dtype.

An accumulated rounding error of ``k * eps`` with ``k`` up to ~1e3 (float32) or ~4e6 (float64)
operations; a real bug (sign, transpose, missing factor) is an O(1) relative error, far above both.
"""

NOISE_FACTOR = 8.0
"""Evaluation noise of ``f`` assumed as ``NOISE_FACTOR * eps * |f|`` (sums of a few terms)."""

SAFETY = 4.0
"""Multiplier on the finite-difference error estimate (truncation + rounding)."""

CONSERVATIVE_SAFETY = 4.0
"""Multiplier on the conservative truncation estimate (see :func:`conservative_fd_budget`)."""

RUNNING_SAFETY = 4.0
"""Multiplier on a first-order running error bound (``eps`` times propagated term magnitudes,
e.g. :data:`verify.jax_reference.SLOPE_ERROR`): covers the second-order terms it drops."""


def float_dtype(dtype: Any, *, name: str = "dtype") -> np.dtype[Any]:
    """Return the float dtype for ``dtype`` (float32/float64), else TypeError naming ``name``."""
    dt: np.dtype[Any] = np.dtype(dtype)
    if dt not in _FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64; got {dt}")
    return dt


def machine_eps(dtype: Any) -> float:
    """Return ``eps`` of a float dtype (2.2e-16 for float64, 1.2e-7 for float32)."""
    return float(np.finfo(float_dtype(dtype)).eps)


def fd_step(x: float, dtype: Any) -> float:
    """Return the central-difference step ``h = eps^(1/3) * max(1, |x|)``.

    It balances the O(h^2) truncation against the eps/h rounding.
    """
    return float(np.cbrt(machine_eps(dtype)) * max(1.0, abs(float(x))))


def grad_tolerance(dtype: Any, scale: float) -> float:
    """Return the rounding allowed in a ``dtype`` gradient entry whose array peaks at ``scale``."""
    return GRAD_RTOL[float_dtype(dtype)] * float(scale)


@dataclass(frozen=True)
class Budget:
    """The error budget an analytic value is judged against, and how it was assembled.

    ``total = SAFETY * (truncation + rounding) + reference``: ``truncation`` is the
    finite-difference truncation estimate (Richardson: ``|D(h) - D(h/2)| / 3``), ``rounding``
    the cancellation error ``~ eps * |f| / h``, ``reference`` the rounding allowed in the
    analytic side (``GRAD_RTOL``).
    """

    truncation: float
    rounding: float
    reference: float
    step: float
    dtype: str

    @property
    def total(self) -> float:
        """The allowed absolute error."""
        return SAFETY * (self.truncation + self.rounding) + self.reference

    def to_dict(self) -> dict[str, float | str]:
        """JSON-ready components (floats, dtype name)."""
        return {
            "truncation": _finite(self.truncation),
            "rounding": _finite(self.rounding),
            "reference": _finite(self.reference),
            "step": _finite(self.step),
            "total": _finite(self.total),
            "dtype": self.dtype,
        }


def fd_budget(
    d_h: float,
    d_h2: float,
    f_scale: float,
    h: float,
    fd_dtype: Any,
    reference: float,
) -> Budget:
    """Budget of a Richardson-extrapolated central difference built from ``D(h)`` and ``D(h/2)``.

    ``f_scale`` is the magnitude of the function values differenced; ``reference`` the analytic
    side's own allowed rounding (see :func:`grad_tolerance`).
    """
    eps = machine_eps(fd_dtype)
    noise = NOISE_FACTOR * eps * max(abs(f_scale), np.finfo(np.float64).tiny)
    truncation = abs(d_h - d_h2) / 3.0
    # R = (4 D(h/2) - D(h)) / 3: each D(s) carries noise/s of rounding.
    rounding = (4.0 * noise / (h / 2.0) + noise / h) / 3.0
    return Budget(truncation, rounding, reference, h, str(np.dtype(fd_dtype)))


def conservative_fd_budget(
    d_h: float,
    d_h2: float,
    d_h4: float,
    f_scale: float,
    h: float,
    fd_dtype: Any,
    reference: float,
) -> Budget:
    """Budget of the Richardson value ``R(h, h/2)`` that does not trust its asymptotics.

    Richardson's ``|D(h) - D(h/2)| / 3`` assumes the ``h^2`` term dominates; near saturation
    (higher derivatives ~ 1/h^k) or a kink within ``h`` it underestimates. Here the truncation
    is the largest spread of the sequence ``D(h), D(h/2), D(h/4)`` itself, *not* divided by 3,
    times :data:`CONSERVATIVE_SAFETY` (the returned ``truncation`` already includes it, relative
    to :data:`SAFETY`); the rounding term allows for the ``h/4`` evaluations (``eps |f| / (h/4)``).
    An error above this budget is a decisive failure; between the two budgets FD cannot decide.
    """
    eps = machine_eps(fd_dtype)
    noise = NOISE_FACTOR * eps * max(abs(f_scale), np.finfo(np.float64).tiny)
    spread = max(abs(d_h - d_h2), abs(d_h2 - d_h4))
    truncation = CONSERVATIVE_SAFETY / SAFETY * spread
    rounding = (4.0 * noise / (h / 4.0) + noise / (h / 2.0) + noise / h) / 3.0
    return Budget(truncation, rounding, reference, h, str(np.dtype(fd_dtype)))


def _finite(v: float) -> float:
    """``v`` itself, or the largest float when it is infinite (keeps JSON strict)."""
    return v if math.isfinite(v) else float(np.finfo(np.float64).max)
