"""Measured noise of ``f``: ECnoise (Moré and Wild 2011) from a difference table along a line.

``f`` computed in float32 behind a float64 interface (``float(loss)``, ``.item()``), iterative
solvers, reductions in another order: the noise of ``f`` is not ``eps |f|`` of the dtype it
returns. :func:`ecnoise` estimates it from values at equally spaced points (the ``k``-th
differences of a smooth function vanish like ``s^k`` while those of noise of level ``σ`` keep the
size ``σ sqrt((2k)! / (k!)^2)``); :func:`measure` takes those values along a line, at up to three
spacings until two agree; :func:`along` measures it along a direction of a check;
:func:`value_dtype` reads the precision ``f`` computes in from its values (what bounds the noise
when no level is found). The
step and the budget that use the level live in :mod:`verify.gradient.budget`
(:func:`~verify.gradient.budget.noisy_step`, :func:`~verify.gradient.budget.noise_allowance`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from verify.gradient.inputs import Objective

__all__ = [
    "AGREE",
    "FLOAT32_EVIDENCE_BITS",
    "NOISE_POINTS",
    "NOISE_SPACING",
    "Noise",
    "along",
    "ecnoise",
    "measure",
    "value_dtype",
]

NOISE_POINTS = 8
"""Equally spaced values of ``f`` per estimate (Moré and Wild recommend at least 7), ``f(x)``
being one of them: 7 new evaluations."""

NOISE_SPACING = 1e-6
"""First spacing of the points, relative to ``max(1, max |x|)``; then 10 and 100 times it."""

AGREE = 6.0
"""Levels at two spacings confirm noise when within this factor: estimates from 8 points of
float32 rounding noise stay within it (99 % within a factor 3.4), while a kink's level grows about
tenfold with a tenfold spacing (8.5 to 12 measured)."""

FLOAT32_EVIDENCE_BITS = 16
"""Values of ``f`` show a float32 computation when each is a float32 number and one of them needs
more than this many of float32's 24 significant bits (see :func:`value_dtype`)."""

Outcome = Literal["measured", "quantised", "below", "undetected"]


@dataclass(frozen=True)
class Noise:
    """A noise estimate of ``f`` along a line: ``level`` is the standard deviation (absolute)."""

    level: float
    """The noise level (0.0 unless ``outcome`` is ``measured`` or ``quantised``)."""
    outcome: Outcome
    """``measured``; ``quantised``: values on a grid (see :func:`measure`); ``below``: every
    spacing was too small (noise under the resolution of the points); ``undetected``: no two
    spacings gave one level (a kink, or spacings too large for ``f``)."""
    spacing: float
    evaluations: int
    precision: str = "float64"
    """The precision the values of ``f`` seen here show (:func:`value_dtype`): what bounds the
    noise when no level is found."""


def _significant_bits(v: float) -> int:
    """Significant bits of the float64 ``v`` (1 for powers of 2 and 0, 53 at most)."""
    mantissa = int(abs(math.frexp(v)[0]) * 2**53)
    if mantissa == 0:
        return 1
    return 53 - ((mantissa & -mantissa).bit_length() - 1)


def value_dtype(values: Sequence[float]) -> np.dtype[Any]:
    """The precision ``f`` computes in, as its values show: float32 or float64.

    float32 when every value is a float32 number and at least one needs more than
    :data:`FLOAT32_EVIDENCE_BITS` significant bits (round values such as 1.0 or 0.25 are numbers
    of every dtype and show nothing): a value computed in float64 is a float32 number by
    chance with probability ``2^-29``. ``f`` in float32 returning ``float(loss)`` shows it.
    """
    finite = [v for v in values if math.isfinite(v)]
    in_float32 = bool(finite) and all(float(np.float32(v)) == v for v in finite)
    if in_float32 and max(_significant_bits(v) for v in finite) > FLOAT32_EVIDENCE_BITS:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def ecnoise(values: Sequence[float]) -> tuple[float, int]:
    """Noise level of ``values`` (``f`` at equally spaced points) and Moré-Wild's ``inform``.

    ``inform`` 1: noise detected (level returned); 2: the spacing is too small (half the first
    differences are zero); 3: too large (values differ by more than 10 %, or no order ``k`` whose
    level agrees within a factor 4 with the next two and whose differences change sign). The
    level of order ``k`` is ``sqrt(γ_k mean(Δ^k f)^2)`` with ``γ_k = (k!)^2 / (2k)!``.
    """
    nf = len(values)
    if nf < 4:
        raise ValueError(f"values: need at least 4 function values; got {nf}")
    table = [float(v) for v in values]
    top = max(abs(v) for v in table)
    if top > 0 and (max(table) - min(table)) / top > 0.1:
        return 0.0, 3
    levels: list[float] = []
    signs: list[bool] = []
    gamma = 1.0
    for j in range(1, nf):
        table = [table[i + 1] - table[i] for i in range(len(table) - 1)]
        if j == 1 and sum(d == 0.0 for d in table) >= nf / 2:
            return 0.0, 2
        gamma *= 0.5 * j / (2 * j - 1)
        levels.append(math.sqrt(gamma * sum(d * d for d in table) / len(table)))
        signs.append(min(table) * max(table) < 0.0)
    for k in range(len(levels) - 2):
        low, high = min(levels[k : k + 3]), max(levels[k : k + 3])
        if high <= 4.0 * low and signs[k]:
            return levels[k], 1
    return 0.0, 3


def _table(line: Callable[[float], float], f0: float, s: float) -> tuple[float, int, int, float]:
    """:func:`ecnoise` of the points ``(i - NOISE_POINTS // 2) s``, with the calls it took.

    Returns ``(level, inform, calls, quantum)``; ``quantum`` is the largest first difference when
    zero and nonzero ones alternate (at least three runs: the values are quantised, e.g. float32
    values of a nearly flat ``f``; not a function flat on one side of a kink).
    """
    values, calls = [], 0
    for i in range(NOISE_POINTS):
        t = (i - NOISE_POINTS // 2) * s
        values.append(f0 if t == 0 else line(t))
        calls += t != 0
    if not all(math.isfinite(v) for v in values):
        return 0.0, 3, calls, 0.0
    level, inform = ecnoise(values)
    steps = [abs(b - a) for a, b in itertools.pairwise(values)]
    # on a grid, equal and unequal neighbours alternate; a flat side (relu off) is one run
    runs = 1 + sum((p == 0.0) != (q == 0.0) for p, q in itertools.pairwise(steps))
    quantum = max(steps) if 0.0 in steps and runs >= 3 else 0.0
    return level, inform, calls, quantum


def measure(line: Callable[[float], float], f0: float, spacing: float) -> Noise:
    """Noise of ``t -> line(t)`` (``line(0) == f0``) from :data:`NOISE_POINTS` points ``i s``.

    The points are ``t = (i - NOISE_POINTS // 2) s`` for ``s = spacing``, then ``10 s``,
    ``100 s`` until two spacings give levels within :data:`AGREE` of each other (the larger is
    returned). Noise keeps its level whatever the spacing, while a kink among the points (relu
    at 0), which a difference table also shows, scales with it (tenfold per step): two levels
    that disagree are ``undetected``; one level that nothing contradicts stands. No level but
    values with exactly equal neighbours: ``quantised``, the level is their largest step (up to
    ``10^4 s`` while every value is equal: ``f`` flat to its own precision). Every outcome
    records the precision the values show (:func:`value_dtype`), which bounds the noise when no
    level is found (``below``, ``undetected``). 14 evaluations when the first two spacings agree,
    at most ``5 (NOISE_POINTS - 1)``.
    """
    evaluations = 0
    levels: list[float] = []
    quantum = 0.0
    s = spacing
    informs = []
    seen = [f0]

    def seen_line(t: float) -> float:
        seen.append(line(t))
        return seen[-1]

    for k in range(5):
        if k >= 3 and (levels or quantum):
            break  # beyond 100 s only to find a grid step of a flat f
        level, inform, calls, q = _table(seen_line, f0, s)
        evaluations += calls
        informs.append(inform)
        if inform == 1:
            if levels and levels[-1] / AGREE <= level <= AGREE * levels[-1]:
                top = max(level, levels[-1])
                return Noise(top, "measured", s, evaluations, value_dtype(seen).name)
            levels.append(level)
        quantum = max(quantum, q)
        s *= 10.0
    if len(levels) == 1:  # no other spacing gave a level to contradict it
        return Noise(levels[0], "measured", s, evaluations, value_dtype(seen).name)
    if quantum and not levels:  # values on a grid: the grid's step is the noise a difference sees
        return Noise(quantum, "quantised", s, evaluations, value_dtype(seen).name)
    outcome: Outcome = "below" if all(i == 2 for i in informs) else "undetected"
    return Noise(0.0, outcome, s, evaluations, value_dtype(seen).name)


def along(
    obj: Objective, u: list[np.ndarray[Any, Any]], f0: float, x_scale: float | None = None
) -> Noise:
    """The noise level of ``f`` along ``u`` at x (:func:`measure`).

    The points ``x + t u`` are rounded to the working dtype as the checks' are, so that rounding
    counts as noise too (it is noise to a finite difference). The first spacing is
    :data:`NOISE_SPACING` times ``max(1, x_scale)``; ``x_scale`` defaults to ``max |x|`` (a
    check whose step had to be finer than ``|x|`` suggests passes the scale that step shows).
    """
    fd_dt = obj.fd_dtype
    d = obj.flat_of("u_fd", u, fd_dt)
    scale = obj.abs_max() if x_scale is None else x_scale
    with obj.perturbing(0, obj.total) as moved:

        def line(t: float) -> float:
            np.multiply(d, fd_dt.type(t), out=moved)
            np.add(obj.flat, moved, out=moved)
            return obj.value(moved)

        return measure(line, f0, NOISE_SPACING * max(1.0, scale))
