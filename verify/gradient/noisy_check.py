"""A direction's check taken again with the measured noise of ``f``, where noise could decide it."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from verify.gradient.budget import (
    NOISE_FACTOR,
    fd_step,
    noise_allowance,
    noisy_step,
    precision_noise,
)
from verify.gradient.directional import DirectionCheck, DirectionOptions, Span, check_direction
from verify.gradient.inputs import Objective
from verify.gradient.noise import Noise, value_dtype
from verify.gradient.noise import along as noise_along

__all__ = ["noise_checked"]


def noise_checked(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    u: list[np.ndarray[Any, Any]],
    seed: int,
    f0: float,
    options: DirectionOptions,
    noise: list[Noise],
    span: Span | None = None,
) -> tuple[DirectionCheck, DirectionOptions]:
    """``u`` over ``span`` checked, and checked again with the measured noise of ``f`` if needed.

    The noise is measured when the check failed or found a kink (both of which noise can fake),
    or passed on a budget mostly truncation while the values of ``f`` show a coarser precision
    than the one differenced (float32 numbers behind float64 x, :func:`value_dtype`: no extra
    evaluation to see it). Such noise shows up as ``|D(h) - D(h/2)|``, and at a step too fine for
    it the finite difference itself is off by more than its budget says. No level found: the
    precision the values show bounds it (:func:`~verify.gradient.budget.precision_noise`). When
    the noise exceeds the dtype's rounding, the check is taken again with a step and budget for
    it: that replaces a failure or a kink only when it is no harsher (a larger allowance cannot
    make a verdict harsher), and a truncation-bound pass always (that budget assumed a rounding
    ``f`` does not have). Returns the check and the options it was taken with.

    ``noise`` holds the one measurement of the check (made by the first direction that needs it);
    ``span``: the part of x (default all of it).
    """
    span = Span() if span is None else span
    c = check_direction(obj, grads, u, seed, f0, span=span, options=options)
    if options.noise:  # already taken with the measured noise
        return c, options
    if c.ok and c.kink is None:
        # a clean pass; or mostly truncation while f's values show less precision than assumed
        coarser = value_dtype(obj.recent).itemsize < obj.fd_dtype.itemsize
        if not (c.budget.mostly_truncation and coarser):
            return c, options
    x_scale = obj.abs_max()
    if c.ok:  # a pass whose step was tightened: f varies on the finer scale that step shows
        x_scale = min(x_scale, c.budget.step / fd_step(1.0, obj.fd_dtype))
    if not noise:
        noise.append(noise_along(obj, u, f0, x_scale))
    f_scale = max(abs(f0), options.f_terms / NOISE_FACTOR)
    # no level found: the precision f's values show bounds it (float32 behind a float64 x)
    level = noise[0].level or precision_noise(f_scale, noise[0].precision)
    assumed = noise_allowance(f_scale, obj.fd_dtype)
    allowed = noise_allowance(f_scale, obj.fd_dtype, level)
    if allowed <= assumed:
        return c, options
    step = noisy_step(allowed, f_scale, x_scale, obj.fd_dtype)
    # no finer retries: below the step chosen for the noise they only amplify it
    noisy = dataclasses.replace(options, noise=level, step=step, refine=0, tighten=0)
    again = check_direction(obj, grads, u, seed, f0, span=span, options=noisy)
    if c.ok or _rank(again) >= _rank(c):
        return again, noisy
    return c, options


def _rank(c: DirectionCheck) -> int:
    """2 for a pass, 1 undecided, 0 a failure (or a kink still to settle)."""
    return 2 if c.ok else (1 if c.undecided else 0)
