"""Public gradient check: ``check_gradient(f, grad_f, x)``, ``assert_gradient``, and full mode.

Pass/fail is judged per element against an estimated error budget (finite-difference truncation
+ rounding + the analytic side's dtype rounding), never a fixed atol/rtol. Kinks are recognised
from one-sided differences and never fail when ``grad_f`` lies between them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from verify.gradient import scratch
from verify.gradient.budget import NOISE_FACTOR, Budget, fd_step, grad_tolerance, machine_eps
from verify.gradient.directional import (
    DirectionCheck,
    DirectionOptions,
    Span,
    check_direction,
    hidden_arrays,
    rademacher,
    rounding_allowance,
)
from verify.gradient.finite_diff import NonFiniteError, central_difference
from verify.gradient.inputs import Arrays, Objective, UserError, evaluate_grad, normalise_x
from verify.gradient.results import ElementCheck, GradientResult, Kink
from verify.gradient.settle import Settled, settle

__all__ = [
    "FULL_MAX_ELEMENTS",
    "ElementCheck",
    "GradientResult",
    "Kink",
    "assert_gradient",
    "check_gradient",
]
# Internal (harness) entry point, deliberately not in __all__: Hooks, check_with_hooks.

FULL_MAX_ELEMENTS = 1024
"""``mode="auto"`` checks every element (4-5 evaluations of f each) up to this many elements of x
in total, and switches to directional checks (``4 * directions`` evaluations) above it."""

Mode = Literal["auto", "full", "directional"]


def _fd_dtype(f: Callable[[Any], Any], xs: Arrays, promote: bool) -> np.dtype[Any]:
    """float64 if possible: float32 inputs are promoted when ``f`` then computes in float64."""
    if all(a.dtype == np.float64 for a in xs.arrays):
        return np.dtype(np.float64)
    if promote:
        try:
            out = np.asarray(f(xs.pack([a.astype(np.float64) for a in xs.arrays])))
            if out.dtype == np.float64 and out.size == 1 and np.isfinite(out).all():
                return np.dtype(np.float64)
        except Exception:
            pass
    return np.dtype(np.float32)


def check_gradient(
    f: Callable[[Any], Any],
    grad_f: Callable[[Any], Any],
    x: Any,
    *,
    mode: Mode = "auto",
    seed: int = 0,
    directions: int = 1,
    promote: bool = True,
    complex_step: bool | None = None,
) -> GradientResult:
    """Check ``grad_f`` against finite differences of ``f`` at ``x``.

    ``x`` is one float32/float64 array or a list/tuple of them; ``f`` and ``grad_f`` receive ``x``
    in that same structure (read-only C-ordered copies, valid during the call only: their memory
    is reused by later checks; a function that writes into its input fails the check with a
    message), ``f`` returns a scalar and ``grad_f`` arrays shaped like ``x``.
    ``mode="full"`` checks every element; ``"directional"`` checks ``directions`` signed random
    directions (seeds ``seed, seed+1, ...``; usually 4 evaluations of ``f`` each, plus ``f(x)``) and
    localises a failure by bisection; ``"auto"`` is full up to :data:`FULL_MAX_ELEMENTS`
    elements. One direction (the default) misses a wrong gradient only when the error is nearly
    orthogonal to it (probability of order budget / ``||error||_2``); more directions are
    independent chances. Kinks at several coordinates along a direction are settled by splitting
    it (:func:`~verify.gradient.settle.settle`). ``promote``: difference float32 inputs in
    float64 when ``f`` supports it. ``complex_step``: ``None`` tries it and keeps it where it
    agrees with the central difference. Misbehaving ``f``/``grad_f`` give ``ok=False`` with a
    message.
    """
    return check_with_hooks(
        f, grad_f, x, Hooks(), mode=mode, seed=seed, directions=directions, promote=promote,
        complex_step=complex_step,
    )  # fmt: skip


@dataclass(frozen=True)
class Hooks:
    """Inputs of a check that only the paper's harness supplies (not part of the public API)."""

    grad_tol: Any = None
    """Optional per-element bounds (same structure as ``x``) of the rounding in ``grad_f``'s
    values, e.g. from a term-magnitude analysis; they widen the analytic side's allowance where
    the dtype table (relative to each array's largest entry) is too small."""
    undecided_ok: bool = False
    """A direction FD cannot decide (see :class:`DirectionCheck`) does not fail the result; for
    when another reference (JAX) is the primary judge."""
    f_terms: float = 0.0
    """Directional mode: magnitude of the terms ``f`` is computed from, when its rounding is
    larger than ``eps |f|`` (see :func:`~verify.gradient.directional.check_direction`)."""
    exact_displacements: bool = False
    """Directional mode, float64: take every displacement ``x +- s u - x`` exactly instead of the
    bounded shortcut (see :class:`~verify.gradient.directional.DirectionOptions`)."""


def check_with_hooks(
    f: Callable[[Any], Any],
    grad_f: Callable[[Any], Any],
    x: Any,
    hooks: Hooks,
    *,
    mode: Mode = "auto",
    seed: int = 0,
    directions: int = 1,
    promote: bool = True,
    complex_step: bool | None = None,
) -> GradientResult:
    """:func:`check_gradient` with the harness's :class:`Hooks` (the internal entry point)."""
    if mode not in ("auto", "full", "directional"):
        raise ValueError(f"mode must be 'auto', 'full' or 'directional'; got {mode!r}")
    if not isinstance(directions, int) or isinstance(directions, bool) or directions < 1:
        raise ValueError(f"directions must be a positive int; got {directions!r}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    if not callable(f) or not callable(grad_f):
        raise TypeError("f and grad_f must be callables")
    xs = normalise_x(x)
    obj: Objective | None = None
    try:  # the scratch arrays of x's copy and of the objective go back however this ends
        obj = Objective(f, xs, _fd_dtype(f, xs, promote))
        return _run(f, grad_f, xs, obj, mode, int(seed), directions, complex_step, hooks)
    finally:
        if obj is not None:
            obj.release()
        scratch.give([xs.flat])


def _run(
    f: Callable[[Any], Any],
    grad_f: Callable[[Any], Any],
    xs: Arrays,
    obj: Objective,
    mode: Mode,
    seed: int,
    directions: int,
    complex_step: bool | None,
    hooks: Hooks,
) -> GradientResult:
    """The check proper (see :func:`check_gradient`)."""
    fd_dt = obj.fd_dtype
    fd_name = fd_dt.name
    base = GradientResult(
        ok=False,
        mode="none",
        message="",
        n_elements=xs.total,
        fd_dtype=fd_name,
        seed=int(seed),
        single=xs.single,
        names=xs.names,
    )
    try:
        f0 = obj.value()
    except UserError as exc:
        base.message = f"f(x) failed: {exc}"
        base.evaluations = obj.evaluations
        return base
    if not math.isfinite(f0):
        base.message = f"f(x) is not finite: {f0}"
        return base
    try:
        grads = evaluate_grad(grad_f, xs, obj)
    except UserError as exc:
        base.message = str(exc)
        base.evaluations = obj.evaluations
        return base
    tols: list[np.ndarray[Any, Any]] | None = None
    if hooks.grad_tol is not None:
        tols = [np.asarray(t, dtype=np.float64) for t in normalise_x(hooks.grad_tol).arrays]
        if [t.shape for t in tols] != [a.shape for a in xs.arrays]:
            raise ValueError("grad_tol: expected arrays shaped like x")
    chosen = (
        mode if mode != "auto" else ("full" if xs.total <= FULL_MAX_ELEMENTS else "directional")
    )
    try:
        if chosen == "full":
            result = _full(obj, grads, f0, complex_step, tols)
        else:
            options = DirectionOptions(
                grad_tol=tols,
                f_terms=float(hooks.f_terms),
                exact_displacements=hooks.exact_displacements,
            )
            undecided_ok = hooks.undecided_ok
            result = _directional(obj, grads, f0, int(seed), directions, options, undecided_ok)
    except UserError as exc:
        base.message = f"f failed at a perturbed point: {exc}"
        base.evaluations = obj.evaluations
        return base
    result.n_elements, result.fd_dtype, result.seed = xs.total, fd_name, int(seed)
    result.single, result.evaluations, result.names = xs.single, obj.evaluations, xs.names
    return result


def assert_gradient(
    f: Callable[[Any], Any], grad_f: Callable[[Any], Any], x: Any, **options: Any
) -> GradientResult:
    """:func:`check_gradient`, raising AssertionError with the readable report when it fails.

    Its frame is hidden from pytest tracebacks (``__tracebackhide__``): a failing test shows the
    report, not this function's source.
    """
    __tracebackhide__ = True
    result = check_gradient(f, grad_f, x, **options)
    if not result.ok:
        raise AssertionError(str(result))
    return result


def _element(
    obj: Objective,
    a: int,
    i: int,
    g: np.ndarray[Any, Any],
    f0: float,
    try_cs: bool,
    tol: np.ndarray[Any, Any] | None = None,
) -> tuple[ElementCheck, Kink | None, bool | None]:
    """Check element ``i`` of array ``a``: central difference, complex step, one-sided at kinks.

    Returns the check, the kink (if ``f`` is not differentiable there) and whether the complex
    step worked (``None``: not tried or unsupported).
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
    h = fd_step(float(x.reshape(-1)[i]), fd_dt)
    try:
        cd = central_difference(obj.element_shift(a, i), h)
    except NonFiniteError as exc:
        budget = Budget(0, 0, ref_tol, h, str(fd_dt))
        return (
            ElementCheck(a, index, gi, math.nan, math.inf, math.inf, budget, "undefined", str(exc)),
            None,
            None,
        )
    fd = cd.budget(fd_dt, ref_tol)
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
    rel = err / scale if scale > 0 else (0.0 if err == 0 else math.inf)
    left, right = cd.sides(f0)
    lo, hi = min(left, right), max(left, right)
    if hi - lo <= 2.0 * fd.total:  # differentiable at x (to the resolution h)
        return ElementCheck(a, index, gi, ref, err, rel, budget, method), None, cs_ok
    accepted = lo - fd.total <= gi <= hi + fd.total
    dist = 0.0 if accepted else min(abs(gi - lo), abs(gi - hi))
    state = "between" if accepted else "outside"
    check = ElementCheck(
        a,
        index,
        gi,
        min(max(gi, lo), hi),
        dist,
        dist / scale if scale > 0 else math.inf,
        fd,
        "one_sided",
        f"kink: {state} one-sided derivatives",
    )
    return check, Kink(a, index, left, right, gi, accepted), cs_ok


def _full(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    f0: float,
    complex_step: bool | None,
    tols: list[np.ndarray[Any, Any]] | None = None,
) -> GradientResult:
    """Every element: Richardson central difference (+ complex step), one-sided at kinks."""
    try_cs = complex_step is not False
    cs_used = False
    checks: list[ElementCheck] = []
    kinks: list[Kink] = []
    for a, (x, g) in enumerate(zip(obj.work, grads, strict=True)):
        for i in range(x.size):
            tol = None if tols is None else tols[a]
            check, kink, cs_ok = _element(obj, a, i, g, f0, try_cs, tol)
            checks.append(check)
            if kink is not None:
                kinks.append(kink)
            cs_used |= bool(cs_ok)
            if cs_ok is None and complex_step is None:
                try_cs = False  # auto: f does not take complex input; stop trying
    failures = [c for c in checks if not c.ok]
    ok = not failures
    msg = (
        "every element within its error budget"
        if ok
        else f"{len(failures)} of {len(checks)} elements outside their error budget"
    )
    if kinks:
        msg += f"; {len(kinks)} kink(s) found (f not differentiable there)"
    return GradientResult(
        ok=ok,
        mode="full",
        message=msg,
        max_abs_error=max(c.abs_error for c in checks),
        max_rel_error=max(c.rel_error for c in checks),
        worst=max(checks, key=_ratio),
        failures=failures,
        kinks=kinks,
        failing_arrays=sorted({c.array for c in failures}),
        complex_step=cs_used,
    )


def _ratio(c: ElementCheck) -> float:
    """Error over budget (inf for an undefined reference)."""
    if not math.isfinite(c.abs_error):
        return math.inf
    return (
        c.abs_error / c.budget.total if c.budget.total > 0 else (math.inf if c.abs_error else 0.0)
    )


def _norm(obj: Objective, grads: list[np.ndarray[Any, Any]]) -> float:
    """``||grad_f||_2`` from the flat float64 gradient the checks use."""
    g = obj.flat_of("grad", grads, np.float64)
    return math.sqrt(float(np.dot(g, g)))


def _directional(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    f0: float,
    seed: int,
    directions: int,
    options: DirectionOptions,
    undecided_ok: bool = False,
) -> GradientResult:
    """Check signed random directions; on failure find the arrays and one element by bisection.

    A direction with kinks at several coordinates is split until its parts decide
    (:func:`~verify.gradient.settle.settle`). Undecided directions (see
    :class:`DirectionCheck`) fail unless ``undecided_ok``.
    """
    shapes = [a.shape for a in obj.work]
    tols = options.grad_tol
    checks: list[DirectionCheck] = []
    settled: dict[int, Settled] = {}
    # arrays whose errors the rounding allowed for the others could hide (mixed precision)
    whole = rounding_allowance(obj, grads, 0, obj.total, tols)
    hidden = hidden_arrays(obj, grads, whole, tols) if len(grads) > 1 else []
    for k in range(directions):
        u = rademacher(shapes, seed + k)
        c = check_direction(obj, grads, u, seed + k, f0, options=options)
        if not c.ok and c.kink is not None:
            found = settle(obj, grads, u, c, f0, options)
            settled[seed + k] = found
            if found.state != "undecided":
                ok = found.state == "ok"
                c = dataclasses.replace(c, ok=ok, undecided=False, parts=len(found.trail))
            else:
                c = dataclasses.replace(c, undecided=True, parts=len(found.trail))
        for array in hidden if c.ok else []:
            part = check_direction(obj, grads, u, seed + k, f0, span=Span(array), options=options)
            if not part.ok:  # the direction is as good as its worst resolved part
                c = part
                break
        checks.append(c)
        scratch.give([u.flat])
    undecided = [c for c in checks if c.undecided]
    failed = [c for c in checks if not c.ok and not (undecided_ok and c.undecided)]
    worst_dir = max(
        checks, key=lambda c: c.abs_error / c.budget.total if c.budget.total > 0 else math.inf
    )
    result = GradientResult(
        ok=not failed,
        mode="directional",
        message="",
        max_abs_error=max(c.abs_error for c in checks),
        # ||grad_f||_2 = sqrt(E <grad_f, u>^2) over +-1 directions u: the derivatives' scale
        max_rel_error=max(c.abs_error for c in checks) / max(_norm(obj, grads), 1e-300),
        worst=worst_dir,
        directions=checks,
        undecided=undecided,
    )
    if not failed:
        result.message = f"{directions} directional derivatives within their error budgets"
        if undecided:
            seeds = ", ".join(str(c.seed) for c in undecided)
            result.message = (
                f"{directions - len(undecided)} of {directions} directional derivatives within "
                f"their error budgets; undecided by FD along seed(s) {seeds} (see "
                "DirectionCheck.undecided): another reference decides"
            )
        return result
    # Localise: which arrays, then one element by bisection, then that element in full.
    bad = failed[0]
    located = settled.get(bad.seed)
    if located is None:
        u = rademacher(shapes, bad.seed)
        located = settle(obj, grads, u, bad, f0, options)
        scratch.give([u.flat])
    result.failing_arrays = located.failing_arrays
    result.localisation = located.trail
    parts = [f"{len(failed)} of {directions} directional derivatives outside their error budgets"]
    if any(c.undecided for c in failed):
        parts[0] += " (some only undecided by FD: see DirectionCheck.undecided)"
    if located.element is not None:
        array, flat = located.element
        tol = None if tols is None else tols[array]
        el, kink, _ = _element(obj, array, flat, grads[array], f0, False, tol)
        el = dataclasses.replace(el, note=("located by bisection; " + el.note).rstrip("; "))
        result.worst = el
        result.failures = [el]
        if kink is not None:
            result.kinks = [kink]
        result.max_rel_error = max(result.max_rel_error, el.rel_error)
        parts.append(f"first failing element located: {el.where(obj.xs.single, obj.xs.names)}")
    elif located.state == "undecided":
        parts.append("no part decided by FD (see DirectionCheck.undecided)")
    elif located.failing_arrays:
        parts.append("errors cancel inside the array: element not isolated")
    else:
        parts.append("no single array fails alone (errors spread across arrays)")
    result.message = "; ".join(parts)
    return result
