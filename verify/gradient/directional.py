"""Directional checks ``<grad f, u>`` along signed random directions: cost independent of P.

For a user function: one directional derivative by finite differences (4 evaluations of ``f``,
Richardson-extrapolated) against ``<grad_f(x), u>``; on failure, the failing array and then one
failing element are found by bisection over index ranges (``O(log P)`` more evaluations).
For networks: see :func:`verify.mlp_checks.check_network_directional` (JVP/VJP in JAX).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from verify.gradient import scratch
from verify.gradient.budget import (
    NOISE_FACTOR,
    SAFETY,
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

__all__ = [
    "EXACT_DISPLACEMENTS",
    "HIDDEN_RELATIVE",
    "MAX_SETTLE_CHECKS",
    "TRUNCATION_DOMINANT",
    "Direction",
    "DirectionCheck",
    "Settled",
    "check_direction",
    "hidden_arrays",
    "rademacher",
    "rounding_allowance",
    "settle",
]


@dataclass(frozen=True)
class DirectionCheck:
    """One directional check: ``<grad_f, u>`` against the finite difference of ``f`` along ``u``."""

    seed: int
    """``u = rademacher(shapes, seed)``: reproducible from this number alone."""
    scope: str
    """Which part of x the direction covers: ``all``, ``x[1]`` or ``x[1] flat[8:16]``."""
    analytic: float
    reference: float
    abs_error: float
    budget: Budget
    ok: bool
    kink: tuple[float, float] | None = None
    """One-sided directional derivatives ``(D-, D+)`` when ``f`` is not smooth along ``u``."""
    undecided: bool = False
    """Over the Richardson budget but within the conservative one (``ok`` is False): FD cannot
    tell a small gradient error from its own truncation here; another reference must decide.
    Also: kinks at several coordinates along u that splitting u did not settle."""
    parts: int = 0
    """Checks of parts of u that settled kinks at several coordinates (:func:`settle`); 0: none."""
    displacement: float = 0.0
    """Float64 only: a bound on how much ``abs_error`` could change if the rounded displacements
    ``x +- s u`` were taken exactly; nonzero when they were not computed because
    ``abs_error + displacement`` is within the budget (0: computed exactly)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "seed": self.seed,
            "scope": self.scope,
            "analytic": self.analytic,
            "reference": self.reference,
            "abs_error": self.abs_error,
            "budget": self.budget.to_dict(),
            "ok": self.ok,
            "kink": list(self.kink) if self.kink is not None else None,
            "undecided": self.undecided,
            "parts": self.parts,
            "displacement": self.displacement,
        }


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


def _scope(array: int | None, lo: int, hi: int | None, n: int, single: bool) -> str:
    if array is None:
        return "all"
    head = label(array, None, single)
    if lo == 0 and (hi is None or hi == n):
        return head
    return f"{head} flat[{lo}:{hi}]"


def check_direction(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    u: list[np.ndarray[Any, Any]],
    seed: int,
    f0: float,
    *,
    array: int | None = None,
    lo: int = 0,
    hi: int | None = None,
    grad_tol: list[np.ndarray[Any, Any]] | None = None,
    step: float | None = None,
    refine: int = 2,
    f_terms: float = 0.0,
    tighten: int = 2,
) -> DirectionCheck:
    """Check ``<grad, u>`` (``u`` restricted to ``array[lo:hi]``) against FD of ``f`` along ``u``.

    The steps actually taken (after rounding ``x + t u`` to the working dtype) enter the analytic
    side, so rounding of the perturbation is never mistaken for a gradient error. ``grad_tol``:
    per-element bounds of the rounding in ``grads`` (e.g. from term magnitudes, which stay
    meaningful when a gradient entry rounds to 0); their sum along ``u`` joins the budget.

    Smooth along ``u`` and over the Richardson budget: one more level ``D(h/4)`` is taken. Pass if
    ``R(h/2, h/4)`` is within its own budget; else fail decisively only if the error exceeds the
    :func:`~verify.gradient.budget.conservative_fd_budget`, otherwise ``undecided``.

    A sequence ``D(h), D(h/2), D(h/4)`` that does not converge (differences shrinking less than
    twofold, above the noise) is undecided too.
    Not smooth along ``u`` (a kink within ``[-h, h]``) and ``<grad, u>`` outside the one-sided
    derivatives: retried with :func:`~verify.gradient.budget.refined_step` (``refine`` times),
    since the one-sided extrapolations assume a single kink at 0 and a float32 step can straddle
    several; at the last level the direction is undecided when ``<grad, u>`` is within the range
    of every secant slope.
    A pass whose budget is mostly truncation is retried with
    :func:`~verify.gradient.budget.tightened_step` (``tighten`` times),
    whose verdict stands when its budget is smaller.
    ``step`` overrides the step ``h``. ``f_terms``: a bound of ``f``'s rounding in units of
    ``eps`` (the magnitudes it sums), when that exceeds ``NOISE_FACTOR |f|``: a cost ~1e-13 made
    of ``ln a`` with ``a ~ 1`` carries ``~eps``, not ``eps |f|``.
    """
    glo, ghi = obj.span(array, lo, hi)
    with obj.perturbing(glo, ghi) as moved:  # moved[glo:ghi] is scratch inside, x again after
        fd_dt = obj.fd_dtype
        x = obj.flat[glo:ghi]
        u64 = obj.flat_of("u", u, np.float64)[glo:ghi]
        d = u64 if fd_dt == np.float64 else obj.flat_of("u_fd", u, fd_dt)[glo:ghi]
        h = fd_step(obj.abs_max(), fd_dt) if step is None else step
        # Flat buffers allocated once per objective and rewritten at every point: s d for the
        # current level s, x +- s d (only this span of moved: the rest stays x), the displacement.
        mv = moved[glo:ghi]
        sd = obj.buffer("step", 0, (obj.total,), fd_dt)[glo:ghi]
        disp = obj.buffer("shift", 0, (obj.total,), np.float64)[glo:ghi]
        g_all = obj.flat_of("grad", grads, np.float64)
        g = g_all[glo:ghi]

        analytic = float(np.dot(g, u64))
        # <g, displacement actually taken> at each point: exactly (two more sweeps over the span per
        # point) in float32, or in float64 first as +-s <g, u>, and exactly only when the bound on
        # what the rounding of x +- s u can change (below) could change the verdict.
        track = fd_dt != np.float64 or EXACT_DISPLACEMENTS

        def point(sign: float, s: float) -> float:
            # x + t d with t = +-s: a + (-(s d)) is a - s d exactly.
            (np.add if sign > 0 else np.subtract)(x, sd, out=mv)
            if not track:
                return sign * s * analytic
            np.subtract(mv, x, out=disp, dtype=np.float64)
            return float(np.dot(g, disp))

        samples: dict[float, tuple[float, float]] = {}

        def diff(s: float) -> tuple[float, float, float]:
            # f at x + s d before the buffer is rewritten with x - s d.
            np.multiply(d, fd_dt.type(s), out=sd)
            dp = point(1.0, s)
            fp = obj.value(moved)
            dm = point(-1.0, s)
            fm = obj.value(moved)
            samples[s], samples[-s] = (fp, dp), (fm, dm)
            return difference(fp, fm, 2 * s), e_of(s), max(abs(fp), abs(fm))

        def e_of(s: float) -> float:
            # <g, displacement> at +-s, per unit step: the analytic side of D(s)
            return (samples[s][1] - samples[-s][1]) / (2 * s)

        def tightened(passed: DirectionCheck) -> DirectionCheck:
            # A pass whose budget is mostly truncation (h too coarse for f along u, e.g. x with a
            # large offset) says little: a step 8x finer cuts the Richardson truncation ~4000x.
            # Its verdict replaces this one when its budget is smaller.
            b = passed.budget
            if tighten <= 0 or b.truncation <= TRUNCATION_DOMINANT * (b.rounding + b.reference):
                return passed
            finer = check_direction(
                obj, grads, u, seed, f0, array=array, lo=lo, hi=hi, grad_tol=grad_tol,
                step=tightened_step(h), refine=refine, tighten=tighten - 1, f_terms=f_terms,
            )  # fmt: skip
            return finer if finer.budget.total < b.total else passed

        d_h, e_h, s1 = diff(h)
        d_h2, e_h2, s2 = diff(h / 2)
        measured = richardson(d_h, d_h2)
        expected = richardson(e_h, e_h2)
        ref_tol = rounding_allowance(obj, grads, glo, ghi, grad_tol)
        f_floor = f_terms / NOISE_FACTOR  # fd_budget's noise is NOISE_FACTOR eps x this scale
        budget = fd_budget(d_h, d_h2, max(s1, s2, f_floor), h, fd_dt, ref_tol)
        err = abs(measured - expected)
        reference = analytic + (measured - expected)
        scope = _scope(array, lo, hi, obj.sizes[array] if array is not None else 0, obj.xs.single)
        if not math.isfinite(measured):
            return DirectionCheck(seed, scope, analytic, reference, math.inf, budget, False)

        # One-sided directional derivatives from the same samples (2 D(h/2) - D(h) on each side),
        # less what the rounding of the displacements alone explains: a gap means a kink along u.
        def side(sign: float) -> tuple[float, float]:
            (f1, e1), (f2, e2) = samples[sign * h], samples[sign * h / 2]
            t1, t2 = sign * h, sign * h / 2
            return 2 * (f2 - f0) / t2 - (f1 - f0) / t1, 2 * e2 / t2 - e1 / t1

        (left, e_left), (right, e_right) = side(-1.0), side(1.0)
        gap = abs((right - left) - (e_right - e_left))
        if not track:
            # Each rounded x_i +- s moves by at most eps/2 (|x_i| + s) more or less than s, so
            # <g, displacement> is within D(s) = eps/2 (Σ|g_i||x_i| + s Σ|g_i|) of +-s <g, u>;
            # through the Richardson and one-sided combinations that bounds the change of the
            # error and of the gap (doubled for the rounding of the dot products themselves).
            g1 = obj.abs_sum(g_all)  # over all of x: a bound for any span
            gx = obj.abs_max() * g1
            eps = float(np.finfo(np.float64).eps)
            moved_err = eps * (3.0 * gx / h + 5.0 * g1 / 3.0)
            moved_gap = eps * (10.0 * gx / h + 6.0 * g1)
            if gap + moved_gap <= 2.0 * budget.total and err + moved_err <= budget.total:
                return tightened(
                    DirectionCheck(
                        seed, scope, analytic, reference, err, budget, True, displacement=moved_err
                    )
                )
            track = True  # the bound could matter: take the displacements exactly, f is not re-run
            for step_s in (h, h / 2):
                np.multiply(d, fd_dt.type(step_s), out=sd)
                for sign in (1.0, -1.0):
                    samples[sign * step_s] = (samples[sign * step_s][0], point(sign, step_s))
            e_h, e_h2 = e_of(h), e_of(h / 2)
            expected = richardson(e_h, e_h2)
            err = abs(measured - expected)
            reference = analytic + (measured - expected)
            (left, e_left), (right, e_right) = side(-1.0), side(1.0)
            gap = abs((right - left) - (e_right - e_left))
        if gap <= 2.0 * budget.total:  # smooth along u
            if err <= budget.total:
                return tightened(
                    DirectionCheck(seed, scope, analytic, reference, err, budget, True)
                )
            # Richardson may be outside its asymptotic range: one more level, then judge.
            d_h4, e_h4, s4 = diff(h / 4)
            scale = max(s1, s2, s4, f_floor)
            fine = fd_budget(d_h2, d_h4, scale, h / 2, fd_dt, ref_tol)
            err_fine = abs(richardson(d_h2, d_h4) - richardson(e_h2, e_h4))
            if err_fine <= fine.total:
                ref_fine = analytic + richardson(d_h2, d_h4) - richardson(e_h2, e_h4)
                return DirectionCheck(seed, scope, analytic, ref_fine, err_fine, fine, True)
            wide = conservative_fd_budget(d_h, d_h2, d_h4, scale, h, fd_dt, ref_tol)
            # Not converging: halving h should shrink D(h) - D(h/2) four times (h^2 error); if the
            # next difference is over half the previous and above the rounding noise, the sequence
            # is not in its asymptotic range (a kink within h, e.g. hidden by a second one on the
            # other side): FD cannot decide, whatever the size of the error.
            spread1, spread2 = abs(d_h - d_h2), abs(d_h2 - d_h4)
            stalled = spread2 > 0.5 * spread1 and spread2 > SAFETY * fine.rounding
            undecided = err <= wide.total or stalled
            return DirectionCheck(
                seed, scope, analytic, reference, err, wide, False, undecided=undecided
            )
        # Not differentiable along u. Along one coordinate: pass when <grad, u> lies between
        # the one-sided derivatives. Along several: each coordinate at a kink may take any value
        # between its own one-sided partials (relu'(0) = 0 is as valid as 1), and their sum
        # along u may leave [D-, D+] or, for wrong values, fall inside it: FD decides nothing,
        # and :func:`settle` splits u until every part is smooth or moves one coordinate.
        left_c, right_c = left - e_left + analytic, right - e_right + analytic
        lo_v, hi_v = min(left_c, right_c), max(left_c, right_c)
        several = ghi - glo > 1
        inside = not several and lo_v - budget.total <= analytic <= hi_v + budget.total
        undecided = False
        if not inside and refine > 0:
            # a kink near 0 but not at 0 (float32 steps): a finer step may leave it
            finer = check_direction(
                obj,
                grads,
                u,
                seed,
                f0,
                array=array,
                lo=lo,
                hi=hi,
                grad_tol=grad_tol,
                step=refined_step(h),
                refine=refine - 1,
                f_terms=f_terms,
                tighten=tighten,
            )
            outside = min(abs(analytic - lo_v), abs(analytic - hi_v))
            if not several and finer.ok and finer.budget.total >= outside:
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
            secants = [(f - f0) / t - e / t + analytic for t, (f, e) in samples.items() if t != 0.0]
            every = [*secants, left_c, right_c]
            undecided = min(every) - budget.total <= analytic <= max(every) + budget.total
        return DirectionCheck(
            seed,
            scope,
            analytic,
            reference,
            err,
            budget,
            inside,
            (left_c, right_c),
            undecided=undecided,
        )


TRUNCATION_DOMINANT = 10.0
"""A passing direction whose truncation estimate exceeds this many times the rest of its
budget is checked again with a finer step (see :func:`check_direction`)."""

HIDDEN_RELATIVE = 1e-4
"""An array whose gradient a whole-x direction resolves only to this relative size or worse is
checked on its own too (:func:`hidden_arrays`)."""

EXACT_DISPLACEMENTS = False
"""Take every displacement ``x +- s u - x`` exactly, also in float64 (the shortcut's tests)."""

MAX_SETTLE_CHECKS = 256
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


def settle(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    u: list[np.ndarray[Any, Any]],
    top: DirectionCheck,
    f0: float,
    grad_tol: list[np.ndarray[Any, Any]] | None = None,
    f_terms: float = 0.0,
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
    """
    x = obj.work
    seed = top.seed
    trail: list[DirectionCheck] = []
    failing_arrays: list[int] = []

    def check(array: int, lo: int, hi: int) -> DirectionCheck:
        # one coordinate: refine the step near a kink; several: splitting decides instead
        refine = 2 if hi - lo == 1 else 0
        c = check_direction(
            obj, grads, u, seed, f0, array=array, lo=lo, hi=hi, grad_tol=grad_tol,
            refine=refine, f_terms=f_terms,
        )  # fmt: skip
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
                continue
            state: State
            where: tuple[int, int] | None
            if hi - lo == 1:
                state, where = ("undecided", None) if c.undecided else ("fail", (array, lo))
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
    return Settled(state, where, failing_arrays, trail)
