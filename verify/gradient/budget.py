"""Error budgets: every tolerance and finite-difference step of the project, and their model.

Steps: :func:`fd_step` (central differences), :func:`noisy_step` (from a measured noise level and
a curvature estimate, :func:`third_derivative`), :func:`kink_step` / :data:`KINK_STEP` (one-sided
differences at a recorded kink), :func:`refined_step` / :func:`tightened_step` (the directional
check's retries). Tolerances: :data:`GRAD_RTOL` (analytic side by dtype), :func:`fd_budget` and
:func:`conservative_fd_budget` (finite differences), :func:`quadrature_allowance` (a directional
derivative), :data:`SLOPE_ERROR`, :func:`block_tolerance`, :func:`cost_terms`,
:func:`underflow_floor`, :func:`network_tolerances`, :func:`displacement_rounding` (an MLP's
gradient blocks against the JAX reference); :data:`CLAIM_RTOL`, :data:`FD_DECISIVE`,
:data:`KINK_SLACK` (the paper's claims).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CLAIM_RTOL",
    "CONSERVATIVE_SAFETY",
    "FD_DECISIVE",
    "GRAD_RTOL",
    "HIDDEN_RELATIVE",
    "KINK_SLACK",
    "KINK_STEP",
    "MEASURED_NOISE_SAFETY",
    "NOISE_FACTOR",
    "NOISE_STEP_MAX",
    "REFINE_DIVISOR",
    "RUNNING_SAFETY",
    "SAFETY",
    "SLOPE_ERROR",
    "TIGHTEN_DIVISOR",
    "TRUNCATION_DOMINANT",
    "Budget",
    "NetworkTolerances",
    "block_tolerance",
    "conservative_fd_budget",
    "cost_terms",
    "displacement_rounding",
    "fd_budget",
    "fd_step",
    "float_dtype",
    "grad_tolerance",
    "kink_step",
    "machine_eps",
    "network_tolerances",
    "noise_allowance",
    "noisy_step",
    "precision_noise",
    "quadrature_allowance",
    "refined_step",
    "third_derivative",
    "tightened_step",
    "underflow_floor",
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

MEASURED_NOISE_SAFETY = 4.0
"""A measured noise level ``σ`` (a standard deviation, :mod:`verify.gradient.noise`) is allowed as
``MEASURED_NOISE_SAFETY * σ`` per value of ``f``: the estimate from 8 values is good to about a
factor 2, and rounding noise is bounded by a few ``σ``."""

NOISE_STEP_MAX = 0.05
""":func:`noisy_step` never exceeds this times ``max(1, |x|)``."""

SAFETY = 4.0
"""Multiplier on the finite-difference error estimate (truncation + rounding)."""

CONSERVATIVE_SAFETY = 4.0
"""Multiplier on the conservative truncation estimate (see :func:`conservative_fd_budget`)."""

RUNNING_SAFETY = 4.0
"""Multiplier on a first-order running error bound (``eps`` times propagated term magnitudes,
e.g. :data:`verify.checks.jax_reference.SLOPE_ERROR`): covers the second-order terms it drops."""


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


def noise_allowance(f_scale: float, dtype: Any, measured: float = 0.0) -> float:
    """Noise allowed per value of ``f``: ``NOISE_FACTOR eps |f|``, or the measured level if larger.

    ``measured`` is the level ``σ`` of :func:`verify.gradient.noise.measure` (0: not measured),
    counted as ``MEASURED_NOISE_SAFETY σ``.
    """
    assumed = NOISE_FACTOR * machine_eps(dtype) * max(abs(f_scale), np.finfo(np.float64).tiny)
    return max(assumed, MEASURED_NOISE_SAFETY * measured)


def precision_noise(f_scale: float, dtype: Any) -> float:
    """The noise level of ``f`` bounded from the precision its values show, when none is measured.

    The level ``σ`` that :func:`noise_allowance` counts as the rounding assumed for ``dtype``
    (``MEASURED_NOISE_SAFETY σ = NOISE_FACTOR eps |f|``): for ``f`` computing in float32 behind
    a float64 interface where the noise estimate found no level (values flat to float32's
    precision, or levels that disagree).
    """
    return noise_allowance(f_scale, dtype) / MEASURED_NOISE_SAFETY


def third_derivative(d_h: float, d_h2: float, h: float, noise: float) -> float:
    """Curvature estimate ``|f^(3)|`` along the line from ``D(h) - D(h/2) = f^(3) h^2 / 8 + ...``.

    Only the part of ``|D(h) - D(h/2)|`` above what the noise per value ``noise``
    (:func:`noise_allowance`) can make of it (``3 noise / h``) counts; 0 when none is left.
    """
    excess = abs(d_h - d_h2) - 3.0 * noise / h
    return 8.0 * excess / h**2 if excess > 0 else 0.0


def noisy_step(
    noise: float, f_scale: float, x_scale: float, dtype: Any, curvature: float = 0.0
) -> float:
    """Central-difference step for ``f`` whose values carry ``noise`` (:func:`noise_allowance`).

    Moré and Wild (2012) balance truncation ``h^2 |f^(3)| / 6`` against rounding ``noise / h``:
    ``h = (3 noise / |f^(3)|)^(1/3)``. The curvature scale is ``|f| / max(1, |x|)^3`` (the one
    :func:`fd_step` assumes: with ``noise = NOISE_FACTOR eps |f|`` it is that step) or the
    estimate ``curvature`` (:func:`third_derivative`) when larger; never below :func:`fd_step`
    nor above ``NOISE_STEP_MAX max(1, |x|)``.
    """
    scale = max(1.0, abs(float(x_scale)))
    mu = max(abs(f_scale) * NOISE_FACTOR / 3.0 / scale**3, curvature, np.finfo(np.float64).tiny)
    h = float(np.cbrt(3.0 * noise / mu))
    return min(max(h, fd_step(x_scale, dtype)), NOISE_STEP_MAX * scale)


KINK_STEP = 1e-6
"""Step of the one-sided differences at a recorded kink (relative to ``max(1, |x|)``).

Not :func:`fd_step`: the functions there are piecewise linear or constant, so truncation is nil
on each side and the step only has to stay clear of rounding and of the next kink."""


def kink_step(x: float) -> float:
    """Return the one-sided step ``KINK_STEP * max(1, |x|)`` at a kink located at ``x``."""
    return KINK_STEP * max(1.0, abs(float(x)))


REFINE_DIVISOR = 16.0
"""A directional check whose one-sided derivatives disagree with ``<grad, u>`` is retried with
``h / REFINE_DIVISOR``: a kink near (not at) 0 may leave ``[-h, h]``."""

TIGHTEN_DIVISOR = 8.0
"""A directional pass whose budget is mostly truncation is retried with ``h / TIGHTEN_DIVISOR``,
which cuts the Richardson truncation ``~TIGHTEN_DIVISOR^4`` times."""


TRUNCATION_DOMINANT = 10.0
"""A passing direction whose truncation estimate exceeds this many times the rest of its
budget is checked again with :func:`tightened_step` (see
:func:`verify.gradient.directional.check_direction`)."""

HIDDEN_RELATIVE = 1e-4
"""An array whose gradient a whole-x direction resolves only to this relative size or worse is
checked on its own too (:func:`verify.gradient.directional.hidden_arrays`)."""


def refined_step(h: float) -> float:
    """Return the step of a kink retry, ``h / REFINE_DIVISOR``."""
    return h / REFINE_DIVISOR


def tightened_step(h: float) -> float:
    """Return the step of a truncation-dominated pass's retry, ``h / TIGHTEN_DIVISOR``."""
    return h / TIGHTEN_DIVISOR


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
    noise: float = 0.0
    """The measured noise level of ``f`` (standard deviation) behind ``rounding``; 0: the dtype's
    rounding ``NOISE_FACTOR eps |f|`` was assumed."""

    @property
    def total(self) -> float:
        """The allowed absolute error."""
        return SAFETY * (self.truncation + self.rounding) + self.reference

    @property
    def mostly_truncation(self) -> bool:
        """Truncation over :data:`TRUNCATION_DOMINANT` times the rest of the budget.

        A step too coarse for ``f``, or noise of ``f`` above the assumed rounding that
        ``|D(h) - D(h/2)|`` picked up.
        """
        return self.truncation > TRUNCATION_DOMINANT * (self.rounding + self.reference)

    def to_dict(self) -> dict[str, float | str]:
        """JSON-ready components (floats, dtype name)."""
        return {
            "truncation": _finite(self.truncation),
            "rounding": _finite(self.rounding),
            "reference": _finite(self.reference),
            "step": _finite(self.step),
            "total": _finite(self.total),
            "dtype": self.dtype,
            **({"noise": _finite(self.noise)} if self.noise else {}),
        }


def fd_budget(
    d_h: float,
    d_h2: float,
    f_scale: float,
    h: float,
    fd_dtype: Any,
    reference: float,
    measured: float = 0.0,
) -> Budget:
    """Budget of a Richardson-extrapolated central difference built from ``D(h)`` and ``D(h/2)``.

    ``f_scale`` is the magnitude of the function values differenced; ``reference`` the analytic
    side's own allowed rounding (see :func:`grad_tolerance`); ``measured`` the noise level of
    ``f`` when it was measured (see :func:`noise_allowance`).
    """
    noise = noise_allowance(f_scale, fd_dtype, measured)
    truncation = abs(d_h - d_h2) / 3.0
    # R = (4 D(h/2) - D(h)) / 3: each D(s) carries noise/s of rounding.
    rounding = (4.0 * noise / (h / 2.0) + noise / h) / 3.0
    return Budget(truncation, rounding, reference, h, str(np.dtype(fd_dtype)), measured)


def quadrature_allowance(
    parts: Iterable[tuple[int, float]], bounds_sum: float | None = None
) -> float:
    """Rounding allowed in a directional derivative ``<grad, u>`` with ``|u_i| = 1``.

    ``parts``: ``(n, tol)`` per array: ``n`` entries along ``u``, each allowed ``tol``
    (:func:`grad_tolerance`); independent errors add in quadrature, counted at 4 sigma. With
    ``bounds_sum`` (the sum of per-element bounds along ``u``), at least that.
    """
    var = 0.0
    for n, tol in parts:
        var += n * tol**2
    allowance = 4.0 * math.sqrt(var)
    if bounds_sum is not None:
        allowance = max(allowance, bounds_sum)
    return allowance


def conservative_fd_budget(
    d_h: float,
    d_h2: float,
    d_h4: float,
    f_scale: float,
    h: float,
    fd_dtype: Any,
    reference: float,
    measured: float = 0.0,
) -> Budget:
    """Budget of the Richardson value ``R(h, h/2)`` that does not trust its asymptotics.

    Richardson's ``|D(h) - D(h/2)| / 3`` assumes the ``h^2`` term dominates; near saturation
    (higher derivatives ~ 1/h^k) or a kink within ``h`` it underestimates. Here the truncation
    is the largest spread of the sequence ``D(h), D(h/2), D(h/4)`` itself, *not* divided by 3,
    times :data:`CONSERVATIVE_SAFETY` (the returned ``truncation`` already includes it, relative
    to :data:`SAFETY`); the rounding term allows for the ``h/4`` evaluations (``eps |f| / (h/4)``).
    An error above this budget is a decisive failure; between the two budgets FD cannot decide.
    ``measured``: as in :func:`fd_budget`.
    """
    noise = noise_allowance(f_scale, fd_dtype, measured)
    spread = max(abs(d_h - d_h2), abs(d_h2 - d_h4))
    truncation = CONSERVATIVE_SAFETY / SAFETY * spread
    rounding = (4.0 * noise / (h / 4.0) + noise / (h / 2.0) + noise / h) / 3.0
    return Budget(truncation, rounding, reference, h, str(np.dtype(fd_dtype)), measured)


SLOPE_ERROR: dict[str, tuple[float, float, float]] = {
    "sigmoid": (0.0, 5.0, 0.0),
    "tanh": (1.0, 0.0, 6.0),
    "relu": (0.0, 0.0, 0.0),
    "heaviside": (0.0, 0.0, 0.0),
}
"""Absolute rounding error of a computed hidden slope ``σ'(z)``, in units of ``eps``, as
``c0 + c1 |a| + c2 a²`` of the computed activation ``a`` (forward error analysis, ``a`` itself
carrying up to ``3 eps`` relative error from exp/add/reciprocal or tanh):

* sigmoid, eq. (14), ``a (1 - a)``: ``1 - a`` has absolute error ``<= 3 eps a + eps |1 - a|`` and
  the product adds ``eps a (1 - a)``, so ``<= 5 eps a``. Not relative to ``σ'``: when the unit is
  saturated (``a -> 1``) the error stays ``~eps`` while ``σ'`` vanishes;
* tanh, eq. (18), ``1 - a²``: ``a²`` carries ``<= 6 eps a²`` (relative ``2 * 3 eps``), the
  subtraction ``eps |1 - a²| <= eps``;
* relu, heaviside, eqs. (20), (22): 0 or 1, exact (a kink is a different matter).
"""


def block_tolerance(
    bound: np.ndarray[Any, Any],
    slope: np.ndarray[Any, Any] | None,
    rtol: float,
    eps: float,
    floor: float,
) -> np.ndarray[Any, Any]:
    """Allowed error of a gradient block: ``rtol * bound + RUNNING_SAFETY * eps * slope + floor``.

    ``bound``: magnitudes of the terms summed into each entry (``|δ|`` through ``|W|``, ``|σ'|``;
    the output δ counted with ``|a| + |y|``, the magnitudes ``δ = a - y`` is rounded from), times
    the dtype table ``rtol`` (k eps for k accumulated operations). ``slope``: the running bound
    of the absolute rounding of ``σ'`` (:data:`SLOPE_ERROR`), in units of
    ``eps``: it does not shrink with ``|σ'|`` when a unit saturates. ``floor``: a few ``eps``
    times the largest gradient entry (the scale of the problem).
    """
    tol = rtol * bound + floor
    if slope is not None and slope.shape == bound.shape:
        tol = tol + RUNNING_SAFETY * eps * slope
    return tol


def cost_terms(cost: str, z_L: Any, a_L: Any, Y: Any) -> float:
    """Bound of the rounding of ``net.cost`` in units of ``eps``: magnitudes of what it sums.

    Per output entry, averaged over the batch as the costs are: MSE (eq. 7) ``(a - y)^2`` carries
    ``eps (|a| + |y|) |a - y|`` plus its own size; cross entropy (eqs. 9, 11) ``y ln a`` with
    ``ln a`` from a log-sum-exp or log-sigmoid of ``z^L``: ``~eps (1 + |z_k| + max_j |z_j|)``
    absolutely, times ``|y|`` (and ``|1 - y|`` for the binary form) -- even when ``C ~ 1e-13``
    (``a ~ 1``), where ``eps |C|`` would be far too small.
    """
    z = np.abs(np.asarray(z_L, dtype=np.float64))
    a = np.asarray(a_L, dtype=np.float64)
    y = np.asarray(Y, dtype=np.float64)
    if z.shape != a.shape or a.shape != y.shape or a.size == 0:
        return 0.0
    if cost == "mse":
        d = np.abs(a - y)
        m = (np.abs(a) + np.abs(y)) * d + d * d
    else:
        weight = np.abs(y) + (np.abs(1.0 - y) if cost == "binary_cross_entropy" else 0.0)
        m = weight * (1.0 + z + np.max(z, axis=-1, keepdims=True))
    return float(np.sum(m)) / float(a.shape[0])


def underflow_floor(Ws: Sequence[Any], bs: Sequence[Any], X: Any, dt: np.dtype[Any]) -> float:
    """Absolute error gradual underflow may leave in any gradient entry of a ``dt`` network.

    Each operation adds at most ``η`` besides its relative error (the standard model
    ``fl(x op y) = (x op y)(1 + δ) + η``), with ``η = tiny`` (the smallest normal number): that
    covers flush-to-zero arithmetic and mlp's documented clipping of ``z`` to ``±708`` in the
    sigmoid (an absolute change of ``a`` below ``tiny``, eq. 13). An ``η`` committed
    anywhere reaches a gradient entry amplified at most by ``Π_l ||W^l||_1`` (the backward
    recurrence) times the largest activation ``A`` (eq. 4: ``A_l <= ||W^l||_∞ A_{l-1} + |b^l|``),
    over at most ``K`` (the number of terms summed) operations. Float64: ~1e-300, nothing;
    float32 (``η`` = 1.2e-38): what lets a saturated softmax's ~1e-44 gradient round to 0.
    """
    eta = float(np.finfo(dt).tiny)
    A = max(1.0, float(np.max(np.abs(X), initial=0.0)))
    growth = 1.0
    terms = float(X.shape[0] + X.shape[1])
    for W, b in zip(Ws, bs, strict=True):
        W64 = np.abs(np.asarray(W, dtype=np.float64))
        A = max(1.0, float(np.max(W64.sum(axis=1), initial=0.0)) * A)
        A += float(np.max(np.abs(b), initial=0.0))
        growth *= max(1.0, float(np.max(W64.sum(axis=0), initial=0.0)))
        terms += W64.shape[0]
    return RUNNING_SAFETY * terms * eta * growth * A


CLAIM_RTOL = 1e-9
"""A claim's analytic sides (paper, SymPy, JAX) agree when ``|x - ref| <= CLAIM_RTOL * max(1,
|ref|)``: rounding and saturation of closed forms evaluated in float64."""

FD_DECISIVE = 1e-6
"""A claim's FD error budget above this (absolute, per entry) means the differences straddle a
kink: finite differences cannot judge that point."""

KINK_SLACK = 1e-6
"""At a recorded kink, the paper's value may lie this far outside the one-sided derivatives (from
:data:`KINK_STEP` differences of piecewise-linear functions)."""


def displacement_rounding(dtype: Any, theta: float, h: float, weight: float) -> float:
    """Rounding of ``θ + h u`` in ``dtype`` seen by a Richardson difference at ``h``.

    ``eps |θ| / (h / 2)`` per entry, counted 4 times, weighted by ``weight`` (e.g. ``|v J|``).
    """
    return 4 * machine_eps(dtype) * max(1.0, theta) / (h / 2) * weight


@dataclass(frozen=True)
class NetworkTolerances:
    """Allowed errors of an MLP's gradient blocks against the JAX reference, and for its FD check.

    ``W``/``b``: per block, :func:`block_tolerance` with the dtype table ``rtol``; ``fd``: the
    analytic side's allowance in the finite-difference check (``K eps`` for chains of at most
    ``K`` summed terms), ``W`` blocks then ``b`` blocks.
    """

    rtol: float
    W: list[np.ndarray[Any, Any]]
    b: list[np.ndarray[Any, Any]]
    fd: list[np.ndarray[Any, Any]]


def network_tolerances(
    bounds: tuple[Sequence[np.ndarray[Any, Any]], Sequence[np.ndarray[Any, Any]]],
    slopes: tuple[Sequence[np.ndarray[Any, Any]] | None, Sequence[np.ndarray[Any, Any]] | None],
    ref_grads: Sequence[Any],
    Ws: Sequence[Any],
    bs: Sequence[Any],
    X: Any,
    dt: np.dtype[Any],
) -> NetworkTolerances:
    """Tolerances of every gradient block of a ``dt`` network (``Ws``, ``bs``) on batch ``X``.

    ``bounds``: the term magnitudes ``(bound_W, bound_b)`` of the reference; ``slopes``: the
    running bounds of ``σ'`` (:data:`SLOPE_ERROR`) or ``None``; ``ref_grads``: the reference
    ``dW`` and ``db``, whose largest entry sets the floor (``16 eps`` of it, plus
    :func:`underflow_floor`).
    """
    bound_W, bound_b = bounds
    slope_W, slope_b = slopes
    L = len(Ws)
    rtol = GRAD_RTOL[dt]
    scale = max(float(np.max(np.abs(a), initial=0.0)) for a in ref_grads)
    floor = 16 * machine_eps(dt) * max(scale, np.finfo(np.float64).tiny)
    floor += underflow_floor(Ws, bs, X, dt)
    eps = machine_eps(dt)
    tol_W = [
        block_tolerance(bound_W[k], slope_W[k] if slope_W else None, rtol, eps, floor)
        for k in range(L)
    ]
    tol_b = [
        block_tolerance(bound_b[k], slope_b[k] if slope_b else None, rtol, eps, floor)
        for k in range(L)
    ]
    # The FD check's allowance for the analytic side: the same term bounds, but with the forward
    # error analysis' own constant instead of the generous table: an entry of dW^l is a chain of
    # sums over at most K = N + n_0 + ... + n_L terms, so its rounding is <= K eps x bound.
    K = float(X.shape[0] + Ws[0].shape[1] + sum(W.shape[0] for W in Ws))
    all_slopes: list[np.ndarray[Any, Any] | None] = (
        [*slope_W, *slope_b] if slope_W and slope_b else [None] * (2 * L)
    )
    fd_tol = [
        block_tolerance(bound, slope, K * eps, eps, floor)
        for bound, slope in zip([*bound_W, *bound_b], all_slopes, strict=True)
    ]
    return NetworkTolerances(rtol, tol_W, tol_b, fd_tol)


def _finite(v: float) -> float:
    """``v`` itself, or the largest float when it is infinite (keeps JSON strict)."""
    return v if math.isfinite(v) else float(np.finfo(np.float64).max)
