"""Public gradient check: ``check_gradient(f, grad_f, x)``, ``assert_gradient``, directional mode.

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
from verify.gradient.directional import (
    DirectionCheck,
    DirectionOptions,
    Span,
    hidden_arrays,
    rademacher,
    rounding_allowance,
)
from verify.gradient.full import check_every_element
from verify.gradient.inputs import Arrays, Objective, UserError, evaluate_grad, normalise_x
from verify.gradient.noise import Noise
from verify.gradient.noisy_check import noise_checked
from verify.gradient.results import ElementCheck, GradientResult, Kink, Status, over
from verify.gradient.results import resolution as resolution_of
from verify.gradient.settle import MAX_SETTLE_CHECKS, Settled, combined, localise, settle

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
    message. A check that is not a clean pass measures the noise of ``f``
    (:mod:`verify.gradient.noise`) and, when it exceeds the dtype's rounding, checks again with a
    step and budget for it. ``result.status`` is ``pass``, ``fail`` or ``undecided`` (``ok`` only
    for ``pass``); ``result.resolution`` is the smallest relative error the check was sure to
    detect, and ``result.resolution_note`` what limits it.
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
        status="fail",
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
            result = _full(obj, grads, f0, complex_step, tols, int(seed))
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
    f: Callable[[Any], Any],
    grad_f: Callable[[Any], Any],
    x: Any,
    *,
    strict: bool = False,
    **options: Any,
) -> GradientResult:
    """:func:`check_gradient`, raising AssertionError with the readable report when it fails.

    An ``undecided`` result (finite differences could not decide) raises only with ``strict``.
    Its frame is hidden from pytest tracebacks (``__tracebackhide__``): a failing test shows the
    report, not this function's source.
    """
    __tracebackhide__ = True
    result = check_gradient(f, grad_f, x, **options)
    if result.status == "fail" or (strict and result.status == "undecided"):
        raise AssertionError(str(result))
    return result


def _full(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    f0: float,
    complex_step: bool | None,
    tols: list[np.ndarray[Any, Any]] | None,
    seed: int,
) -> GradientResult:
    """Every element (:func:`~verify.gradient.full.check_every_element`), as a result."""
    out = check_every_element(obj, grads, f0, complex_step, tols, seed)
    checks, kinks = out.checks, out.kinks
    failures = [c for c in checks if not c.ok]
    msg = (
        "every element within its error budget"
        if not failures
        else f"{len(failures)} of {len(checks)} elements outside their error budget"
    )
    if kinks:
        msg += f"; {len(kinks)} kink(s) found (f not differentiable there)"
    scales = [obj.scale_of(g) for g in grads]
    limit = max(checks, key=lambda c: over(2.0 * c.budget.total, scales[c.array]))
    resolution, note = resolution_of(
        obj, f0, limit.budget, scales[limit.array], grads[limit.array].dtype,
        limit.where(obj.xs.single, obj.xs.names), "its largest gradient entry",
    )  # fmt: skip
    return GradientResult(
        status="fail" if failures else "pass",
        mode="full",
        message=msg,
        max_abs_error=max(c.abs_error for c in checks),
        max_rel_error=max(c.rel_error for c in checks),
        worst=max(checks, key=_ratio),
        failures=failures,
        kinks=kinks,
        failing_arrays=sorted({c.array for c in failures}),
        complex_step=out.complex_step,
        resolution=resolution,
        resolution_note=note,
    )


def _ratio(c: ElementCheck) -> float:
    """Error over budget (inf for an undefined reference)."""
    if not math.isfinite(c.abs_error):
        return math.inf
    return over(c.abs_error, c.budget.total)


def _norm(obj: Objective, grads: list[np.ndarray[Any, Any]]) -> float:
    """``||grad_f||_2`` from the flat float64 gradient the checks use."""
    g = obj.flat_of("grad", grads, np.float64)
    return math.sqrt(float(np.dot(g, g)))


def _direction(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    u: list[np.ndarray[Any, Any]],
    seed: int,
    f0: float,
    options: DirectionOptions,
    noise: list[Noise],
) -> tuple[DirectionCheck, DirectionOptions, Settled | None]:
    """One direction: checked (:func:`noise_checked`), settled at a kink (:func:`settle`)."""
    c, options = noise_checked(obj, grads, u, seed, f0, options, noise)
    if c.ok or c.kink is None:
        return c, options, None
    found = settle(obj, grads, u, c, f0, options)
    if found.state == "ok":
        return combined(c, found), options, found
    undecided = found.state == "undecided"
    return dataclasses.replace(c, undecided=undecided, parts=len(found.trail)), options, found


def _width(c: DirectionCheck) -> float:
    """What a direction cannot tell from 0: its budget, plus the kink's interval if accepted."""
    extra = abs(c.kink[1] - c.kink[0]) if c.kink is not None and not c.parts else 0.0
    return c.budget.total + extra


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
    :class:`DirectionCheck`) make the result ``undecided`` unless ``undecided_ok`` (a pass).
    """
    checks, settled = _run_directions(obj, grads, f0, seed, directions, options)
    undecided = [c for c in checks if c.undecided]
    failed = [c for c in checks if not c.ok and not c.undecided]
    norm = max(_norm(obj, grads), 1e-300)
    worst_dir = max(checks, key=lambda c: over(c.abs_error, c.budget.total))
    resolution, note = _directional_resolution(obj, grads, f0, checks, norm)
    status: Status = "fail" if failed else ("undecided" if undecided else "pass")
    if status == "undecided" and undecided_ok:
        status = "pass"
    result = GradientResult(
        status=status,
        mode="directional",
        message="",
        max_abs_error=max(c.abs_error for c in checks),
        # ||grad_f||_2 = sqrt(E <grad_f, u>^2) over +-1 directions u: the derivatives' scale
        max_rel_error=max(c.abs_error for c in checks) / norm,
        worst=worst_dir,
        directions=checks,
        undecided=undecided,
        resolution=resolution,
        resolution_note=note,
    )
    if not failed:
        result.message = f"{directions} directional derivatives within their error budgets"
        if undecided:
            result.message = _undecided_message(directions, undecided, undecided_ok)
        return result
    localise(result, obj, grads, f0, failed, directions, settled)
    return result


def _run_directions(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    f0: float,
    seed: int,
    directions: int,
    options: DirectionOptions,
) -> tuple[list[DirectionCheck], dict[int, tuple[Settled | None, DirectionOptions]]]:
    """Each direction checked (and settled at kinks), then on each array the others could hide.

    Returns the checks and, per seed, what settling found with the options it used.
    """
    shapes = [a.shape for a in obj.work]
    checks: list[DirectionCheck] = []
    settled: dict[int, tuple[Settled | None, DirectionOptions]] = {}
    noise: list[Noise] = []
    # arrays whose errors the rounding allowed for the others could hide (mixed precision)
    whole = rounding_allowance(obj, grads, 0, obj.total, options.grad_tol)
    hidden = hidden_arrays(obj, grads, whole, options.grad_tol) if len(grads) > 1 else []
    for k in range(directions):
        u = rademacher(shapes, seed + k)
        c, used, found = _direction(obj, grads, u, seed + k, f0, options, noise)
        settled[seed + k] = (found, used)
        for array in hidden if c.ok else []:
            # the part's own check can be unclean where the whole was clean: noise again
            part, _ = noise_checked(obj, grads, u, seed + k, f0, used, noise, Span(array))
            if not part.ok:  # the direction is as good as its worst resolved part
                c = part
                break
        checks.append(c)
        scratch.give([u.flat])
    return checks, settled


def _directional_resolution(
    obj: Objective,
    grads: list[np.ndarray[Any, Any]],
    f0: float,
    checks: list[DirectionCheck],
    norm: float,
) -> tuple[float, str]:
    """The smallest relative error the directions were sure to detect, and what limits it."""
    limit = max(checks, key=_width)
    resolution, note = resolution_of(
        obj, f0, limit.budget, norm, np.result_type(*grads), f"direction seed {limit.seed}",
        "||grad_f||_2, for an error not nearly orthogonal to u",
    )  # fmt: skip
    if limit.kink is not None and not limit.parts:  # accepted between one-sided derivatives
        resolution = 2.0 * _width(limit) / norm
        note = (
            f"relative errors above {resolution:.3g} are always detected; limited at direction "
            f"seed {limit.seed} by a kink along u (any value between its one-sided derivatives "
            "passes); mode='full' or a point off the kink would resolve more"
        )
    undecided = [c for c in checks if c.undecided]
    if undecided:
        seeds = ", ".join(str(c.seed) for c in undecided)
        resolution, note = (
            math.inf,
            f"none along seed(s) {seeds}: finite differences did not decide",
        )
    return resolution, note


def _undecided_message(directions: int, undecided: list[DirectionCheck], ok: bool) -> str:
    """Why finite differences could not decide, and what would."""
    seeds = ", ".join(str(c.seed) for c in undecided)
    head = (
        f"{directions - len(undecided)} of {directions} directional derivatives within their "
        f"error budgets; undecided along seed(s) {seeds}: "
    )
    if any(c.parts for c in undecided):
        why = (
            f"f has kinks at many coordinates along u (e.g. relu at exactly 0 in many units), "
            f"which {MAX_SETTLE_CHECKS} checks of parts of u did not settle"
        )
    else:
        why = "the finite differences along u neither converge nor exceed their wide budget"
    if ok:
        return head + why + "; another reference decides"
    return (
        head
        + why
        + (
            "; mode='full' (every element on its own), or a point off the kinks (fewer kinks along "
            "u) would decide"
        )
    )
