"""Directional checks ``<grad f, u>`` along signed random directions: cost independent of P.

For a user function: one directional derivative by finite differences (4 evaluations of ``f``,
Richardson-extrapolated) against ``<grad_f(x), u>``; on failure, the failing array and then one
failing element are found by bisection over index ranges (``O(log P)`` more evaluations).
Settling a failed direction: :mod:`verify.gradient.settle`. For networks: see
:func:`verify.checks.network_directional.check_network_directional` (JVP/VJP in JAX).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from verify.gradient import scratch
from verify.gradient.budget import (
    HIDDEN_RELATIVE,
    NOISE_FACTOR,
    SAFETY,
    TRUNCATION_DOMINANT,
    Budget,
    conservative_fd_budget,
    fd_budget,
    fd_step,
    grad_tolerance,
    quadrature_allowance,
    refined_step,
    tightened_step,
)
from verify.gradient.finite_diff import difference, richardson
from verify.gradient.inputs import Objective, label
from verify.gradient.results import DirectionCheck

__all__ = [
    "HIDDEN_RELATIVE",
    "TRUNCATION_DOMINANT",
    "Direction",
    "DirectionCheck",
    "DirectionOptions",
    "Span",
    "check_direction",
    "hidden_arrays",
    "rademacher",
    "rounding_allowance",
]


class Direction(list[np.ndarray[Any, Any]]):
    """A direction ``u``: one array per array of x, all views of the flat array ``flat``."""

    def __init__(self, flat: np.ndarray[Any, Any], shapes: list[tuple[int, ...]]) -> None:
        views, start = [], 0
        for shape in shapes:
            n = math.prod(shape)
            views.append(flat[start : start + n].reshape(shape))
            start += n
        super().__init__(views)
        self.flat = flat


def rademacher(shapes: list[tuple[int, ...]], seed: int) -> Direction:
    """Signed random direction: entries +-1 (float64), one array per shape, from ``seed``.

    One random bit per entry (``rng.bytes``, most significant bit first, over all arrays in
    order), 1 -> -1 and 0 -> +1: at 10^6 entries a tenth of the time of one 32-bit draw per
    entry, which cost more than the network's pass.
    """
    n = sum(math.prod(s) for s in shapes)
    rng = np.random.default_rng(seed)
    bits = np.unpackbits(np.frombuffer(rng.bytes((n + 7) // 8), dtype=np.uint8), count=n)
    flat = scratch.take((n,), np.float64)
    np.multiply(bits, -2.0, out=flat)
    np.add(flat, 1.0, out=flat)
    return Direction(flat, shapes)


def rounding_allowance(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    glo: int,
    ghi: int,
    grad_tol: list[np.ndarray[Any, Any]] | None = None,
) -> float:
    """Rounding allowed in ``<grad, u>`` over ``flat[glo:ghi]`` (the budget's ``reference``).

    Independent per-element errors of each array's dtype, relative to its largest entry, add in
    quadrature (:func:`~verify.gradient.budget.quadrature_allowance`); with ``grad_tol``, at
    least the sum of those bounds along u (|u| = 1).
    """
    parts = []
    for k, gk in enumerate(grads):
        n_active = min(ghi, obj.offsets[k + 1]) - max(glo, obj.offsets[k])
        if n_active > 0:
            g_dt = gk.dtype if gk.dtype in (np.float32, np.float64) else np.dtype(np.float64)
            parts.append((n_active, grad_tolerance(g_dt, obj.scale_of(gk))))
    bounds_sum = None
    if grad_tol is not None:
        tol = obj.flat_of("grad_tol", grad_tol, np.float64)
        bounds_sum = float(np.sum(tol[glo:ghi]))
    return quadrature_allowance(parts, bounds_sum)


def hidden_arrays(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    whole: float,
    grad_tol: list[np.ndarray[Any, Any]] | None = None,
) -> list[int]:
    """Arrays a whole-x direction cannot resolve: their own check is needed beside it.

    Array ``k`` qualifies when the rounding allowed over all of x (``whole``) exceeds
    ``HIDDEN_RELATIVE`` of ``||grad_k||_2`` while its own allowance is under a tenth of it:
    e.g. a float64 array beside a float32 one, whose allowance would hide an error of 1e-3 of
    the float64 gradient.
    """
    out = []
    g_all = obj.flat_of("grad", grads, np.float64)
    for k in range(len(grads)):
        glo, ghi = obj.span(k)
        g = g_all[glo:ghi]
        norm = math.sqrt(float(np.dot(g, g)))
        own = rounding_allowance(obj, grads, glo, ghi, grad_tol)
        if whole > HIDDEN_RELATIVE * norm and own < 0.1 * whole:
            out.append(k)
    return out


@dataclass(frozen=True)
class Span:
    """The part of x a direction covers: all of it, one array, or ``array``'s ``flat[lo:hi]``."""

    array: int | None = None
    lo: int = 0
    hi: int | None = None


@dataclass(frozen=True)
class DirectionOptions:
    """How a directional check is taken (see :func:`check_direction`)."""

    grad_tol: list[np.ndarray[Any, Any]] | None = None
    """Per-element bounds of the rounding in ``grads``; their sum along ``u`` joins the budget."""
    step: float | None = None
    """Overrides the step ``h`` (default :func:`~verify.gradient.budget.fd_step` of ``|x|``)."""
    refine: int = 2
    """Retries with :func:`~verify.gradient.budget.refined_step` when a kink disagrees."""
    tighten: int = 2
    """Retries with :func:`~verify.gradient.budget.tightened_step` of a truncation-bound pass."""
    f_terms: float = 0.0
    """A bound of ``f``'s rounding in units of ``eps`` (the magnitudes it sums), when that exceeds
    ``NOISE_FACTOR |f|``: a cost ~1e-13 made of ``ln a`` with ``a ~ 1`` carries ``~eps``."""
    noise: float = 0.0
    """The measured noise level of ``f`` (:func:`verify.gradient.noise.along`); 0: assumed."""
    exact_displacements: bool = False
    """Take every displacement ``x +- s u - x`` exactly, also in float64 (where by default it is
    taken as ``+-s u`` when the bound on the difference cannot change the verdict)."""


def _scope(span: Span, n: int, single: bool, names: tuple[str, ...] = ()) -> str:
    """``all``, ``x[1]`` or ``x[1] flat[8:16]`` (``x["W1"]`` for a tree's paths ``names``)."""
    if span.array is None:
        return "all"
    head = label(span.array, None, single, names)
    if span.lo == 0 and (span.hi is None or span.hi == n):
        return head
    return f"{head} flat[{span.lo}:{span.hi}]"


class _Line:
    """``f`` and ``<g, displacement>`` sampled at ``x +- s u`` over one span of x.

    Flat buffers allocated once per objective and rewritten at every point: ``s d`` for the
    current level ``s``, ``x +- s d`` (only this span of ``moved``: the rest stays x), the
    displacement. ``samples[t] = (f(x + t u), <g, displacement at t>)``.
    """

    def __init__(
        self,
        obj: Objective,
        moved: np.ndarray[Any, Any],
        grads: list[np.ndarray[Any, Any]],
        u: list[np.ndarray[Any, Any]],
        glo: int,
        ghi: int,
        options: DirectionOptions,
    ) -> None:
        fd_dt = obj.fd_dtype
        self.obj, self.moved, self.fd_dt = obj, moved, fd_dt
        self.x = obj.flat[glo:ghi]
        u64 = obj.flat_of("u", u, np.float64)[glo:ghi]
        self.d = u64 if fd_dt == np.float64 else obj.flat_of("u_fd", u, fd_dt)[glo:ghi]
        self.h = fd_step(obj.abs_max(), fd_dt) if options.step is None else options.step
        self.mv = moved[glo:ghi]
        self.sd = obj.buffer("step", 0, (obj.total,), fd_dt)[glo:ghi]
        self.disp = obj.buffer("shift", 0, (obj.total,), np.float64)[glo:ghi]
        self.g_all = obj.flat_of("grad", grads, np.float64)
        self.g = self.g_all[glo:ghi]
        self.analytic = float(np.dot(self.g, u64))
        # <g, displacement actually taken> at each point: exactly (two more sweeps over the span
        # per point) in float32, or in float64 first as +-s <g, u>, and exactly only when the bound
        # on what the rounding of x +- s u can change (displacement_bound) could change the verdict.
        self.track = fd_dt != np.float64 or options.exact_displacements
        self.samples: dict[float, tuple[float, float]] = {}

    def point(self, sign: float, s: float) -> float:
        """Write ``x + t d`` (``t = +-s``) into ``moved``; return ``<g, displacement>``."""
        # a + (-(s d)) is a - s d exactly.
        (np.add if sign > 0 else np.subtract)(self.x, self.sd, out=self.mv)
        if not self.track:
            return sign * s * self.analytic
        np.subtract(self.mv, self.x, out=self.disp, dtype=np.float64)
        return float(np.dot(self.g, self.disp))

    def diff(self, s: float) -> tuple[float, float, float]:
        """``(D(s), its analytic side, max |f|)`` from ``f(x +- s u)``."""
        np.multiply(self.d, self.fd_dt.type(s), out=self.sd)
        dp = self.point(1.0, s)
        fp = self.obj.value(self.moved)  # f at x + s d before the buffer holds x - s d
        dm = self.point(-1.0, s)
        fm = self.obj.value(self.moved)
        self.samples[s], self.samples[-s] = (fp, dp), (fm, dm)
        return difference(fp, fm, 2 * s), self.e_of(s), max(abs(fp), abs(fm))

    def e_of(self, s: float) -> float:
        """``<g, displacement>`` at ``+-s``, per unit step: the analytic side of ``D(s)``."""
        return (self.samples[s][1] - self.samples[-s][1]) / (2 * s)

    def side(self, sign: float, h: float, f0: float) -> tuple[float, float]:
        """One-sided directional derivative ``2 D(h/2) - D(h)`` and its analytic side."""
        (f1, e1), (f2, e2) = self.samples[sign * h], self.samples[sign * h / 2]
        t1, t2 = sign * h, sign * h / 2
        return 2 * (f2 - f0) / t2 - (f1 - f0) / t1, 2 * e2 / t2 - e1 / t1

    def sides(self, h: float, f0: float) -> tuple[float, float, float, float, float]:
        """``(left, e_left, right, e_right, gap)``: one-sided derivatives and their gap.

        The gap is less what the rounding of the displacements alone explains: a kink along u.
        """
        (left, e_left), (right, e_right) = self.side(-1.0, h, f0), self.side(1.0, h, f0)
        return left, e_left, right, e_right, abs((right - left) - (e_right - e_left))

    def displacement_bound(self, h: float) -> tuple[float, float]:
        """Float64 shortcut: bounds of the change of the error and the gap with exact displacements.

        Each rounded x_i +- s moves by at most eps/2 (|x_i| + s) more or less than s, so
        <g, displacement> is within D(s) = eps/2 (Σ|g_i||x_i| + s Σ|g_i|) of +-s <g, u>; through
        the Richardson and one-sided combinations that bounds the change of the error and of the
        gap (doubled for the rounding of the dot products themselves).
        """
        g1 = self.obj.abs_sum(self.g_all)  # over all of x: a bound for any span
        gx = self.obj.abs_max() * g1
        eps = float(np.finfo(np.float64).eps)
        return eps * (3.0 * gx / h + 5.0 * g1 / 3.0), eps * (10.0 * gx / h + 6.0 * g1)

    def retrack(self, h: float) -> None:
        """Take the displacements at ``+-h, +-h/2`` exactly (``f`` is not evaluated again)."""
        self.track = True
        for step_s in (h, h / 2):
            np.multiply(self.d, self.fd_dt.type(step_s), out=self.sd)
            for sign in (1.0, -1.0):
                t = sign * step_s
                self.samples[t] = (self.samples[t][0], self.point(sign, step_s))


def check_direction(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    u: list[np.ndarray[Any, Any]],
    seed: int,
    f0: float,
    *,
    span: Span = Span(),
    options: DirectionOptions = DirectionOptions(),
) -> DirectionCheck:
    """Check ``<grad, u>`` (``u`` restricted to ``span``) against FD of ``f`` along ``u``.

    The steps actually taken (after rounding ``x + t u`` to the working dtype) enter the analytic
    side, so rounding of the perturbation is never mistaken for a gradient error (see
    :class:`DirectionOptions` for the float64 shortcut, the step and the retries).

    Smooth along ``u`` and over the Richardson budget: see :func:`_judge_smooth`. Not smooth
    along ``u`` (a kink within ``[-h, h]``): see :func:`_judge_kink`. A pass whose budget is
    mostly truncation is retried with :func:`~verify.gradient.budget.tightened_step`
    (``options.tighten`` times), whose verdict stands when its budget is smaller.
    """
    glo, ghi = obj.span(span.array, span.lo, span.hi)
    with obj.perturbing(glo, ghi) as moved:  # moved[glo:ghi] is scratch inside, x again after
        line = _Line(obj, moved, grads, u, glo, ghi, options)
        h, analytic = line.h, line.analytic
        d_h, e_h, s1 = line.diff(h)
        d_h2, e_h2, s2 = line.diff(h / 2)
        measured = richardson(d_h, d_h2)
        expected = richardson(e_h, e_h2)
        ref_tol = rounding_allowance(obj, grads, glo, ghi, options.grad_tol)
        f_floor = options.f_terms / NOISE_FACTOR  # fd_budget's noise is NOISE_FACTOR eps x this
        budget = fd_budget(d_h, d_h2, max(s1, s2, f_floor), h, obj.fd_dtype, ref_tol, options.noise)
        err = abs(measured - expected)
        reference = analytic + (measured - expected)
        n = obj.sizes[span.array] if span.array is not None else 0
        scope = _scope(span, n, obj.xs.single, obj.xs.names)
        if not math.isfinite(measured):
            return DirectionCheck(seed, scope, analytic, reference, math.inf, budget, False)

        call = _Call(obj, grads, u, seed, f0, span, options)

        def tightened(passed: DirectionCheck) -> DirectionCheck:
            return _tightened(passed, call, h)

        left, e_left, right, e_right, gap = line.sides(h, f0)
        if not line.track:
            moved_err, moved_gap = line.displacement_bound(h)
            if gap + moved_gap <= 2.0 * budget.total and err + moved_err <= budget.total:
                return tightened(
                    DirectionCheck(
                        seed, scope, analytic, reference, err, budget, True, displacement=moved_err
                    )
                )
            line.retrack(h)  # the bound could matter
            e_h, e_h2 = line.e_of(h), line.e_of(h / 2)
            expected = richardson(e_h, e_h2)
            err = abs(measured - expected)
            reference = analytic + (measured - expected)
            left, e_left, right, e_right, gap = line.sides(h, f0)
        if gap <= 2.0 * budget.total:  # smooth along u
            if err <= budget.total:
                return tightened(
                    DirectionCheck(seed, scope, analytic, reference, err, budget, True)
                )
            first = _Level(d_h, d_h2, e_h2, max(s1, s2), err, reference, budget)
            return _judge_smooth(line, first, seed, scope, f_floor, ref_tol, options.noise)
        sides = (left - e_left + analytic, right - e_right + analytic)
        first = _Level(d_h, d_h2, e_h2, max(s1, s2), err, reference, budget)
        return _judge_kink(line, first, sides, call, scope, several=ghi - glo > 1)


@dataclass(frozen=True)
class _Level:
    """The first level of a directional check: ``D(h)``, ``D(h/2)`` and their verdict inputs."""

    d_h: float
    d_h2: float
    e_h2: float
    scale: float
    err: float
    reference: float
    budget: Budget


@dataclass(frozen=True)
class _Call:
    """The arguments of one :func:`check_direction`, to check again with other options."""

    obj: Objective
    grads: list[np.ndarray[Any, Any]]
    u: list[np.ndarray[Any, Any]]
    seed: int
    f0: float
    span: Span
    options: DirectionOptions

    def again(self, **changes: Any) -> DirectionCheck:
        """The same check with ``options`` changed (a finer step, fewer retries)."""
        options = dataclasses.replace(self.options, **changes)
        return check_direction(
            self.obj, self.grads, self.u, self.seed, self.f0, span=self.span, options=options
        )


def _tightened(passed: DirectionCheck, call: _Call, h: float) -> DirectionCheck:
    """A pass whose budget is mostly truncation, checked again with a finer step.

    Such a pass (h too coarse for f along u, e.g. x with a large offset) says little: a step 8x
    finer cuts the Richardson truncation ~4000x. Its verdict replaces this one when its budget
    is smaller.
    """
    b, tighten = passed.budget, call.options.tighten
    if tighten <= 0 or not b.mostly_truncation:
        return passed
    finer = call.again(step=tightened_step(h), tighten=tighten - 1)
    return finer if finer.budget.total < b.total else passed


def _judge_smooth(
    line: _Line,
    first: _Level,
    seed: int,
    scope: str,
    f_floor: float,
    ref_tol: float,
    noise: float = 0.0,
) -> DirectionCheck:
    """Smooth along ``u`` but over the Richardson budget: one more level ``D(h/4)``, then judge.

    Pass if ``R(h/2, h/4)`` is within its own budget; else fail decisively only if the error
    exceeds the :func:`~verify.gradient.budget.conservative_fd_budget`, otherwise ``undecided``.
    A sequence ``D(h), D(h/2), D(h/4)`` that does not converge (differences shrinking less than
    twofold, above the noise) is undecided too.
    """
    h, analytic, fd_dt = line.h, line.analytic, line.fd_dt
    d_h4, e_h4, s4 = line.diff(h / 4)
    scale = max(first.scale, s4, f_floor)
    fine = fd_budget(first.d_h2, d_h4, scale, h / 2, fd_dt, ref_tol, noise)
    err_fine = abs(richardson(first.d_h2, d_h4) - richardson(first.e_h2, e_h4))
    if err_fine <= fine.total:
        ref_fine = analytic + richardson(first.d_h2, d_h4) - richardson(first.e_h2, e_h4)
        return DirectionCheck(seed, scope, analytic, ref_fine, err_fine, fine, True)
    wide = conservative_fd_budget(first.d_h, first.d_h2, d_h4, scale, h, fd_dt, ref_tol, noise)
    # Not converging: halving h should shrink D(h) - D(h/2) four times (h^2 error); if the next
    # difference is over half the previous and above the rounding noise, the sequence is not in
    # its asymptotic range (a kink within h, e.g. hidden by a second one on the other side): FD
    # cannot decide, whatever the size of the error.
    spread1, spread2 = abs(first.d_h - first.d_h2), abs(first.d_h2 - d_h4)
    stalled = spread2 > 0.5 * spread1 and spread2 > SAFETY * fine.rounding
    undecided = first.err <= wide.total or stalled
    return DirectionCheck(
        seed, scope, analytic, first.reference, first.err, wide, False, undecided=undecided
    )


def _judge_kink(
    line: _Line,
    first: _Level,
    sides: tuple[float, float],
    call: _Call,
    scope: str,
    *,
    several: bool,
) -> DirectionCheck:
    """Not differentiable along ``u``: judge ``<grad, u>`` against the one-sided derivatives.

    Along one coordinate: pass when ``<grad, u>`` lies between the one-sided derivatives
    ``sides``. Along ``several``: each coordinate at a kink may take any value between its own
    one-sided partials (relu'(0) = 0 is as valid as 1), and their sum along u may leave
    ``[D-, D+]`` or, for wrong values, fall inside it: FD decides nothing, and :func:`settle`
    splits u until every part is smooth or moves one coordinate. Outside them: retried with
    :func:`~verify.gradient.budget.refined_step` (``options.refine`` times), since the one-sided
    extrapolations assume a single kink at 0 and a float32 step can straddle several; at the
    last level the direction is undecided when ``<grad, u>`` is within the range of every secant
    slope.
    """
    analytic, budget, f0 = line.analytic, first.budget, call.f0
    left_c, right_c = sides
    lo_v, hi_v = min(left_c, right_c), max(left_c, right_c)
    inside = not several and lo_v - budget.total <= analytic <= hi_v + budget.total
    undecided = False
    refine = call.options.refine
    if not inside and refine > 0:
        # a kink near 0 but not at 0 (float32 steps): a finer step may leave it
        finer = call.again(step=refined_step(line.h), refine=refine - 1)
        outside = min(abs(analytic - lo_v), abs(analytic - hi_v))
        if finer.ok and finer.budget.total >= outside:
            # The finer step passes only because its (larger) noise swallows the discrepancy
            # seen here: it cannot contradict it. FD cannot decide.
            return dataclasses.replace(finer, ok=False, undecided=True)
        return finer
    if several:
        undecided = True
    elif not inside:
        # The extrapolations 2 D(h/2) - D(h) assume one kink, at 0. With more kinks inside
        # [-h, h] (float32 steps, piecewise-linear relu networks) they mean nothing; every
        # secant slope (f(t) - f0)/t is then an average of one-sided slopes, so an analytic
        # value inside their range (and the extrapolations') cannot be told from a correct
        # one: undecided.
        secants = [
            (f - f0) / t - e / t + analytic for t, (f, e) in line.samples.items() if t != 0.0
        ]
        every = [*secants, left_c, right_c]
        undecided = min(every) - budget.total <= analytic <= max(every) + budget.total
    reference, err = first.reference, first.err
    if inside:  # the nearest valid value: the error is the distance outside [D-, D+]
        reference = min(max(analytic, lo_v), hi_v)
        err = abs(analytic - reference)
    return DirectionCheck(
        call.seed, scope, analytic, reference, err, budget, inside, (left_c, right_c),
        undecided=undecided,
    )  # fmt: skip
