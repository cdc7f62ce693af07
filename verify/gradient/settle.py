"""Settling a directional check that did not pass: split ``u`` into parts until they decide.

A failing part is bisected down to one element (``O(log P)`` checks); parts with kinks at several
coordinates are split until each is smooth or moves one coordinate.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from verify.gradient import scratch
from verify.gradient.directional import (
    DirectionCheck,
    DirectionOptions,
    Span,
    check_direction,
    rademacher,
)
from verify.gradient.full import check_element, relative
from verify.gradient.inputs import Objective
from verify.gradient.results import ElementCheck, GradientResult

__all__ = ["MAX_SETTLE_CHECKS", "Settled", "combined", "from_part", "localise", "settle"]

MAX_SETTLE_CHECKS = 1024
""":func:`settle` gives up (undecided) after this many checks of parts of one direction (about 4
evaluations of f each). Exact kinks at K coordinates take about ``2 K log2(P / K)`` checks."""


State = Literal["ok", "fail", "undecided"]


@dataclass
class Settled:
    """Outcome of :func:`settle`: one direction split into parts until they decide."""

    state: State
    element: tuple[int, int] | None
    """``(array, flat index)`` of an element whose own check fails decisively, if one was found."""
    failing_arrays: list[int]
    """Arrays whose own restricted check failed decisively."""
    trail: list[DirectionCheck]
    """Every part checked, in order."""
    consistent: list[DirectionCheck] = dataclasses.field(default_factory=list)
    """The parts that passed; when ``state == "ok"`` they cover u, and their values sum to a valid
    directional derivative (see :func:`combined`)."""
    part: DirectionCheck | None = None
    """The failing check of :attr:`element` alone (along that one coordinate)."""


def settle(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    u: list[np.ndarray[Any, Any]],
    top: DirectionCheck,
    f0: float,
    options: DirectionOptions | None = None,
    max_checks: int = MAX_SETTLE_CHECKS,
) -> Settled:
    """Split direction ``u`` (whose check ``top`` did not pass) into parts until they decide.

    The parts are the arrays of x, then halves of one array's flat range, down to one element.
    A part that passes is consistent; a smooth part over its budget fails (recursion locates
    one failing element, ``O(log P)`` checks). A part with kinks at several coordinates is
    undecided by itself (see :func:`check_direction`) and is split: when every part of it is
    consistent, so is the whole, since ``<grad, u>`` is the sum over the parts and each part's
    value is a valid choice between its one-sided derivatives. A smooth part that fails while
    its halves pass has errors that cancel between the halves: it fails without an element.
    More than ``max_checks`` part checks: undecided.

    Longer than most functions here: it is one recursive search whose two closures (``check``,
    ``visit``) share the trail and the accumulators it returns; split, they would pass all five.
    """
    options = DirectionOptions() if options is None else options
    x = obj.work
    seed = top.seed
    trail: list[DirectionCheck] = []
    consistent: list[DirectionCheck] = []
    hits: list[DirectionCheck] = []
    failing_arrays: list[int] = []

    def check(array: int, lo: int, hi: int) -> DirectionCheck:
        # one coordinate: refine the step near a kink; several: splitting decides instead
        part = dataclasses.replace(options, refine=2 if hi - lo == 1 else 0)
        c = check_direction(obj, grads, u, seed, f0, span=Span(array, lo, hi), options=part)
        trail.append(c)
        return c

    def visit(
        node: DirectionCheck, parts: list[tuple[int, int, int]], eager: bool = False
    ) -> tuple[State, tuple[int, int] | None]:
        """Decide ``node`` from its ``parts``: checked in order (all first when ``eager``)."""
        done = [check(*p) for p in parts] if eager else []
        states: list[State] = []
        for k, (array, lo, hi) in enumerate(parts):
            if not eager and len(trail) >= max_checks:
                return "undecided", None
            c = done[k] if eager else check(array, lo, hi)
            if c.ok:
                states.append("ok")
                consistent.append(c)
                continue
            state: State
            where: tuple[int, int] | None
            if hi - lo == 1:
                state, where = ("undecided", None) if c.undecided else ("fail", (array, lo))
                hits.append(c)
            else:
                mid = (lo + hi) // 2
                state, where = visit(c, [(array, lo, mid), (array, mid, hi)])
            if state == "fail" and where is not None:
                return state, where  # located: the other parts cannot change the verdict
            states.append(state)
        if all(st == "ok" for st in states):
            # The parts' valid values sum to the whole's, unless the whole failed decisively
            # (smooth, over budget): then errors cancel between the parts.
            decisive = node.kink is None and not node.undecided
            return ("fail", None) if decisive else ("ok", None)
        return ("fail" if "fail" in states else "undecided"), None

    sizes = [a.size for a in x]
    state: State
    where: tuple[int, int] | None
    if len(x) == 1:
        failing_arrays = [] if top.undecided else [0]
        if sizes[0] == 1:
            state, where = ("undecided", None) if top.undecided else ("fail", (0, 0))
        else:
            half = sizes[0] // 2
            state, where = visit(top, [(0, 0, half), (0, half, sizes[0])])
    else:
        # every array first, so that the report names all failing arrays
        arrays = [(a, 0, n) for a, n in enumerate(sizes) if n]
        state, where = visit(top, arrays, eager=True)
        failing_arrays = [
            c_a[0] for c_a, c in zip(arrays, trail, strict=False) if not (c.ok or c.undecided)
        ]
    part = (hits[-1] if hits else top) if where is not None else None
    return Settled(state, where, failing_arrays, trail, consistent, part)


def _kink_width(c: DirectionCheck) -> float:
    """``|D+ - D-|`` of a part accepted at a kink (0 for a smooth part)."""
    return abs(c.kink[1] - c.kink[0]) if c.kink is not None else 0.0


def combined(top: DirectionCheck, found: Settled) -> DirectionCheck:
    """``top`` (a direction with a kink) settled consistent: the sum of its parts' comparisons.

    ``<grad_f, u>`` is the sum over the parts, and so is a valid finite-difference value (each
    part's own, between its one-sided derivatives at a kink); errors and budgets add up, the
    budget with the width of every kink interval accepted (what the parts cannot resolve).
    """
    parts = found.consistent
    b = top.budget
    budget = dataclasses.replace(
        b,
        truncation=sum(c.budget.truncation for c in parts),
        rounding=sum(c.budget.rounding for c in parts),
        # a part accepted between its one-sided derivatives cannot tell values inside them apart
        reference=sum(c.budget.reference + _kink_width(c) for c in parts),
    )
    reference = top.analytic + sum(c.reference - c.analytic for c in parts)
    return dataclasses.replace(
        top,
        ok=True,
        undecided=False,
        reference=reference,
        abs_error=abs(reference - top.analytic),
        budget=budget,
        parts=len(found.trail),
    )


def localise(
    result: GradientResult,
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    f0: float,
    failed: list[DirectionCheck],
    directions: int,
    settled: dict[int, tuple[Settled | None, DirectionOptions]],
) -> None:
    """Which arrays fail, then one element by bisection, then that element checked on its own.

    The element's own check takes the step and noise of its failing part check; if it still
    cannot confirm the failure (its finite difference is not the part's), the element is
    reported with the part check's numbers, which are the ones that failed.
    """
    bad = failed[0]
    located, used = settled[bad.seed]  # localise: the direction's own options (noise, step)
    if located is None:
        u = rademacher([a.shape for a in obj.work], bad.seed)
        located = settle(obj, grads, u, bad, f0, used)
        scratch.give([u.flat])
    result.failing_arrays = located.failing_arrays
    result.localisation = located.trail
    parts = [f"{len(failed)} of {directions} directional derivatives outside their error budgets"]
    tols = used.grad_tol
    if located.element is not None:
        array, flat = located.element
        tol = None if tols is None else tols[array]
        step = located.part.budget.step if located.part is not None else None
        el, kink, _ = check_element(
            obj, array, flat, grads[array], f0, False, tol, step=step, measured=used.noise
        )
        if el.ok and (kink is None or kink.accepted) and located.part is not None:
            el, kink = from_part(el, located.part, obj.scale_of(grads[array])), None
        el = dataclasses.replace(el, note=("located by bisection; " + el.note).rstrip("; "))
        result.worst = el
        result.failures = [el]
        if kink is not None:
            result.kinks = [kink]
        result.max_abs_error = max(result.max_abs_error, el.abs_error)
        parts.append(f"first failing element located: {el.where(obj.xs.single, obj.xs.names)}")
    elif located.state == "undecided":
        parts.append("no part decided by FD (see DirectionCheck.undecided)")
    elif located.failing_arrays:
        parts.append("errors cancel inside the array: element not isolated")
    else:
        parts.append("no single array fails alone (errors spread across arrays)")
    result.message = "; ".join(parts)


def from_part(el: ElementCheck, part: DirectionCheck, scale: float) -> ElementCheck:
    """Element ``el`` reported with the numbers of its failing one-coordinate direction ``part``.

    Along one coordinate ``u_i = +-1``: ``<grad_f, u> = u_i g_i``, so the reference is
    ``u_i`` times the part's finite difference.
    """
    sign = 1.0 if part.analytic * el.analytic >= 0 else -1.0
    return dataclasses.replace(
        el,
        reference=sign * part.reference,
        abs_error=part.abs_error,
        rel_error=relative(part.abs_error, scale, part.budget.total),
        budget=part.budget,
        method="central",
        note="directional difference along this element",
    )
