"""Measured noise of ``f``: ECnoise (Moré and Wild 2011) from a difference table along a line.

``f`` computed in float32 behind a float64 interface (``float(loss)``, ``.item()``), iterative
solvers, reductions in another order: the noise of ``f`` is not ``eps |f|`` of the dtype it
returns. :func:`ecnoise` estimates it from values at equally spaced points (the ``k``-th
differences of a smooth function vanish like ``s^k`` while those of noise of level ``σ`` keep the
size ``σ sqrt((2k)! / (k!)^2)``); :func:`measure` takes those values along a line, adjusting the
spacing as Moré and Wild advise; :func:`along` measures it along a direction of a check. The
step and the budget that use the level live in :mod:`verify.gradient.budget`
(:func:`~verify.gradient.budget.noisy_step`, :func:`~verify.gradient.budget.noise_allowance`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from verify.gradient.inputs import Objective

__all__ = ["NOISE_POINTS", "NOISE_SPACING", "Noise", "along", "ecnoise", "measure"]

NOISE_POINTS = 8
"""Equally spaced values of ``f`` per estimate (Moré and Wild recommend at least 7), ``f(x)``
being one of them: 7 new evaluations."""

NOISE_SPACING = 1e-6
"""First spacing of the points, relative to ``max(1, max |x|)``; a hundredfold larger or smaller
on a retry (at most one)."""

Outcome = Literal["measured", "below", "undetected"]


@dataclass(frozen=True)
class Noise:
    """A noise estimate of ``f`` along a line: ``level`` is the standard deviation (absolute)."""

    level: float
    """The noise level (0.0 unless ``outcome == "measured"``)."""
    outcome: Outcome
    """``measured``; ``below``: half the values were equal even at the largest spacing (noise
    under the resolution of the points: at most the rounding of ``f``'s dtype); ``undetected``:
    the differences did not settle to a noise level (the spacing was too large for ``f``), or
    their level changed with the spacing (a kink, not noise)."""
    spacing: float
    evaluations: int


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


def _table(line: Callable[[float], float], f0: float, s: float) -> tuple[float, int, int]:
    """:func:`ecnoise` of the points ``(i - NOISE_POINTS // 2) s``: ``(level, inform, calls)``."""
    values, calls = [], 0
    for i in range(NOISE_POINTS):
        t = (i - NOISE_POINTS // 2) * s
        values.append(f0 if t == 0 else line(t))
        calls += t != 0
    if not all(math.isfinite(v) for v in values):
        return 0.0, 3, calls
    level, inform = ecnoise(values)
    return level, inform, calls


def measure(line: Callable[[float], float], f0: float, spacing: float) -> Noise:
    """Noise of ``t -> line(t)`` (``line(0) == f0``) from :data:`NOISE_POINTS` points ``i s``.

    The points are ``t = (i - NOISE_POINTS // 2) s``, ``s = spacing``; too small (``inform`` 2):
    once more at ``100 s``; too large (``inform`` 3): once more at ``s / 100``. A level found is
    confirmed at ten times the spacing: noise keeps its level, while a kink among the points
    (relu at 0), which a difference table also shows, scales with the spacing; levels more than
    4 times apart are ``undetected``. At most ``3 (NOISE_POINTS - 1)`` evaluations.
    """
    s = spacing
    level, inform, evaluations = _table(line, f0, s)
    if inform != 1:
        s = s * 100.0 if inform == 2 else s / 100.0
        level, inform, calls = _table(line, f0, s)
        evaluations += calls
        if inform != 1:
            return Noise(0.0, "below" if inform == 2 else "undetected", s, evaluations)
    wide, inform, calls = _table(line, f0, 10.0 * s)
    evaluations += calls
    if inform != 1 or not (level / 4.0 <= wide <= 4.0 * level):
        return Noise(0.0, "undetected", s, evaluations)
    return Noise(max(level, wide), "measured", s, evaluations)


def along(obj: Objective, u: list[np.ndarray[Any, Any]], f0: float) -> Noise:
    """The noise level of ``f`` along ``u`` at x (:func:`measure`).

    The points ``x + t u`` are rounded to the working dtype as the checks' are, so that rounding
    counts as noise too (it is noise to a finite difference).
    """
    fd_dt = obj.fd_dtype
    d = obj.flat_of("u_fd", u, fd_dt)
    with obj.perturbing(0, obj.total) as moved:

        def line(t: float) -> float:
            np.multiply(d, fd_dt.type(t), out=moved)
            np.add(obj.flat, moved, out=moved)
            return obj.value(moved)

        return measure(line, f0, NOISE_SPACING * max(1.0, obj.abs_max()))
