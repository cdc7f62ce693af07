"""Full mode: every element of x against its own central difference, complex step or kink test.

A first sweep uses the dtype's rounding as the noise of ``f``; only when an element is not a
clean pass (over budget, a kink, or a budget mostly truncation) is the noise measured
(:func:`verify.gradient.noise.along`, once per check, along a random direction or else along
the first such element) and, if it is larger, every element is
checked again with the step and budget of the measured noise
(:func:`~verify.gradient.budget.noisy_step`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from verify.gradient import noise as noise_mod
from verify.gradient import scratch
from verify.gradient.budget import (
    NOISE_FACTOR,
    Budget,
    fd_step,
    grad_tolerance,
    machine_eps,
    noise_allowance,
    noisy_step,
    third_derivative,
)
from verify.gradient.directional import rademacher
from verify.gradient.finite_diff import NonFiniteError, central_difference
from verify.gradient.inputs import Objective, UserError
from verify.gradient.results import ElementCheck, Kink

__all__ = ["FullOutcome", "check_element", "check_every_element", "relative"]


def relative(err: float, scale: float, budget: float) -> float:
    """``err`` relative to the array's largest gradient entry ``scale``, or to ``budget`` if larger.

    An array whose entries are all below what finite differences resolve (``1e-17`` under a
    ``1e-10`` budget) has no meaningful relative error: it is measured against the budget.
    """
    denominator = max(scale, budget)
    if denominator > 0:
        return err / denominator
    return 0.0 if err == 0 else math.inf


def check_element(
    obj: Objective,
    a: int,
    i: int,
    g: np.ndarray[Any, Any],
    f0: float,
    try_cs: bool,
    tol: np.ndarray[Any, Any] | None = None,
    *,
    step: float | None = None,
    measured: float = 0.0,
) -> tuple[ElementCheck, Kink | None, bool | None]:
    """Check element ``i`` of array ``a``: central difference, complex step, one-sided at kinks.

    ``step`` overrides :func:`~verify.gradient.budget.fd_step`; ``measured`` is the noise level
    of ``f`` if measured (then the step is refined once from the curvature the differences show,
    :func:`~verify.gradient.budget.third_derivative`). Returns the check, the kink (if ``f`` is
    not differentiable there) and whether the complex step worked (``None``: not tried).
    """
    fd_dt = obj.fd_dtype
    x = obj.work[a]
    g_dt = g.dtype if g.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    scale = float(np.max(np.abs(g), initial=0.0))
    ref_tol = grad_tolerance(g_dt, scale)
    if tol is not None:
        ref_tol = max(ref_tol, float(tol.reshape(-1)[i]))
    index = tuple(int(j) for j in np.unravel_index(i, x.shape))
    gi = float(g.reshape(-1)[i])
    xi = float(x.reshape(-1)[i])
    h = fd_step(xi, fd_dt) if step is None else step
    try:
        cd = central_difference(obj.element_shift(a, i), h)
        if measured:
            allowed = noise_allowance(cd.f_scale, fd_dt, measured)
            mu = third_derivative(cd.d_h, cd.d_h2, cd.h, allowed)
            finer = noisy_step(allowed, cd.f_scale, xi, fd_dt, mu)
            if finer < cd.h / 2:  # curved more than the scale of f assumes
                cd = central_difference(obj.element_shift(a, i), finer)
    except NonFiniteError as exc:
        budget = Budget(0, 0, ref_tol, h, str(fd_dt), measured)
        return (
            ElementCheck(a, index, gi, math.nan, math.inf, math.inf, budget, "undefined", str(exc)),
            None,
            None,
        )
    fd = cd.budget(fd_dt, ref_tol, measured)
    budget, ref, method, cs_ok = fd, cd.value, "central", None
    if try_cs:
        try:
            cs = obj.complex_element(a, i)
            cs_ok = False
            if abs(cs - cd.value) <= fd.total - fd.reference:
                eps = machine_eps(fd_dt)
                cs_round = NOISE_FACTOR * eps * (abs(cs) + abs(f0) / max(1.0, abs(h)))
                ref, method, cs_ok = cs, "complex_step", True
                budget = Budget(0.0, cs_round, ref_tol, h, str(fd_dt))
        except UserError:
            cs_ok = None
    err = abs(gi - ref)
    left, right = cd.sides(f0)
    lo, hi = min(left, right), max(left, right)
    if hi - lo <= 2.0 * fd.total:  # differentiable at x (to the resolution h)
        rel = relative(err, scale, budget.total)
        return ElementCheck(a, index, gi, ref, err, rel, budget, method), None, cs_ok
    accepted = lo - fd.total <= gi <= hi + fd.total
    dist = 0.0 if accepted else min(abs(gi - lo), abs(gi - hi))
    state = "between" if accepted else "outside"
    check = ElementCheck(
        a, index, gi, min(max(gi, lo), hi), dist, relative(dist, scale, fd.total), fd,
        "one_sided", f"kink: {state} one-sided derivatives",
    )  # fmt: skip
    return check, Kink(a, index, left, right, gi, accepted), cs_ok


@dataclass
class FullOutcome:
    """Every element's check, the kinks, whether the complex step was used, the noise measured."""

    checks: list[ElementCheck]
    kinks: list[Kink]
    complex_step: bool
    noise: noise_mod.Noise | None


def check_every_element(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    f0: float,
    complex_step: bool | None,
    tols: list[np.ndarray[Any, Any]] | None,
    seed: int,
) -> FullOutcome:
    """Every element (see the module docstring for when the noise of ``f`` is measured)."""
    try_cs = complex_step is not False
    cs_used = False
    checks: list[ElementCheck] = []
    kinks: dict[int, Kink] = {}
    where: list[tuple[int, int]] = []
    for a, (x, g) in enumerate(zip(obj.work, grads, strict=True)):
        for i in range(x.size):
            tol = None if tols is None else tols[a]
            check, kink, cs_ok = check_element(obj, a, i, g, f0, try_cs, tol)
            if kink is not None:
                kinks[len(checks)] = kink
            checks.append(check)
            where.append((a, i))
            cs_used |= bool(cs_ok)
            if cs_ok is None and complex_step is None:
                try_cs = False  # auto: f does not take complex input; stop trying
    unclean = [
        k for k, c in enumerate(checks) if not c.ok or k in kinks or c.budget.mostly_truncation
    ]
    if not unclean:
        return FullOutcome(checks, list(kinks.values()), cs_used, None)
    u = rademacher([w.shape for w in obj.work], seed)
    found = noise_mod.along(obj, u, f0)
    scratch.give([u.flat])
    if not found.level:  # along u it did not settle: along the first element that is not clean
        a, i = where[unclean[0]]
        e = [np.zeros(w.shape) for w in obj.work]
        e[a].reshape(-1)[i] = 1.0
        found = noise_mod.along(obj, e, f0)
    fd_dt = obj.fd_dtype
    if noise_allowance(f0, fd_dt, found.level) > noise_allowance(f0, fd_dt):
        # every element again: a first-sweep pass of a noisy f may owe its budget to the noise
        # that its truncation estimate |D(h) - D(h/2)| / 3 picked up
        allowed = noise_allowance(f0, fd_dt, found.level)
        for k in range(len(checks)):
            a, i = where[k]
            xi = float(obj.work[a].reshape(-1)[i])
            tol = None if tols is None else tols[a]
            h = noisy_step(allowed, f0, xi, fd_dt)
            check, kink, _ = check_element(
                obj, a, i, grads[a], f0, False, tol, step=h, measured=found.level
            )
            checks[k] = check
            kinks.pop(k, None)
            if kink is not None:
                kinks[k] = kink
    return FullOutcome(checks, [kinks[k] for k in sorted(kinks)], cs_used, found)
