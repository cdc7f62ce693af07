"""``check_value_and_grad(fg, x)``: check a function returning ``(value, grad)`` in one call.

The form of ``scipy.optimize.minimize(jac=True)`` and of most hand-written backprop code (a loss
and its gradient from one forward and backward pass). A thin layer over
:func:`~verify.gradient.check.check_gradient`: the value part of ``fg`` is differenced, the
gradient part is checked against it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from verify.gradient import tree
from verify.gradient.budget import machine_eps
from verify.gradient.check import check_gradient
from verify.gradient.jacobian_result import status_of
from verify.gradient.results import GradientResult

__all__ = ["assert_value_and_grad", "check_value_and_grad"]

_SAME_VALUE_EPS = 64.0
"""Two values of one function at the same point agree to this many float32 ulps of the larger
(room for float32 arithmetic and reductions in another order, e.g. threaded BLAS); more is
another function or a random one."""


def _failed(result: GradientResult, message: str) -> GradientResult:
    """``result`` turned into a failure with ``message`` (``ok`` follows from ``status``)."""
    return dataclasses.replace(result, status="fail", message=message)


def _key(point: Any) -> tuple[Any, ...]:
    """The point ``f`` was called at, as hashable bytes (dtype, shape and data of every leaf)."""
    leaves = tree.flatten(point)[0] if isinstance(point, dict | list | tuple) else [point]
    arrays = [np.asarray(a) for a in leaves]
    return tuple((a.dtype.str, a.shape, a.tobytes()) for a in arrays)


def _split(out: Any) -> tuple[Any, Any]:
    """``(value, grad)`` from what ``fg`` returned, or ValueError saying what it returned."""
    if not isinstance(out, tuple | list) or len(out) != 2:
        got = f"{type(out).__name__} of length {len(out)}" if isinstance(out, tuple | list) else (
            type(out).__name__
        )
        raise ValueError(f"fg(x) must return a pair (value, grad); got {got}")
    return out[0], out[1]


def check_value_and_grad(
    fg: Callable[[Any], Any],
    x: Any,
    *,
    f: Callable[[Any], Any] | None = None,
    **options: Any,
) -> GradientResult:
    """Check ``fg(x) -> (value, grad)``: ``grad`` against finite differences of ``value``.

    ``x`` and ``grad`` as in :func:`~verify.gradient.check.check_gradient` (an array, a list or
    tuple of arrays, or a tree of dicts, lists and tuples); ``options`` are its keyword options.
    Cost: every evaluation of the value for the finite differences is a call of ``fg``, gradient
    included (typically 2-3 times the cost of the value alone; 4-5 calls per element in full
    mode, about 5 in directional mode). Pass a value-only ``f`` to difference that instead.

    The value returned with the gradient must be the value being differenced: when both were
    taken at x itself (always for float64 x), they must agree to rounding, or the check fails
    saying so (``fg`` random, e.g. dropout, stateful, or ``f`` another function than ``fg``'s
    value).
    """
    if not callable(fg):
        raise TypeError(f"fg must be a callable returning (value, grad); got {type(fg).__name__}")
    if f is not None and not callable(f):
        raise TypeError(f"f must be a callable or None; got {type(f).__name__}")
    with_grad: list[tuple[tuple[Any, ...], Any]] = []
    alone: dict[tuple[Any, ...], Any] = {}

    def value(point: Any) -> Any:
        out = f(point) if f is not None else _split(fg(point))[0]
        if not alone:  # the first call: at x (in the differencing dtype)
            alone[_key(point)] = out
        return out

    def grad(point: Any) -> Any:
        v, g = _split(fg(point))
        with_grad.append((_key(point), v))
        return g

    result = check_gradient(value, grad, x, **options)
    if with_grad and with_grad[0][0] in alone:
        a, b = _as_float(alone[with_grad[0][0]]), _as_float(with_grad[0][1])
        if a is not None and b is not None and not _same(a, b):
            source = "f(x)" if f is not None else "the value fg(x) returned on another call"
            result = _failed(
                result,
                f"the value fg(x) returned with the gradient, {b:.17g}, differs from {source}, "
                f"{a:.17g}, at the same x: the gradient is not that of the function being "
                "differenced (a random or stateful fg, e.g. dropout, or f another function)",
            )
    return result


def _as_float(v: Any) -> float | None:
    """``v`` as a float if it is a real scalar (otherwise the check itself reports it)."""
    try:
        arr = np.asarray(v)
        return float(arr.reshape(())) if arr.size == 1 and arr.dtype.kind in "fiu" else None
    except (TypeError, ValueError):
        return None


def _same(a: float, b: float) -> bool:
    """Whether two evaluations of one function at one point agree to rounding."""
    if a == b:
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    eps = machine_eps(np.float32)  # the coarser dtype: fg may compute in float32
    return abs(a - b) <= _SAME_VALUE_EPS * eps * max(abs(a), abs(b))


def assert_value_and_grad(
    fg: Callable[[Any], Any], x: Any, *, strict: bool = False, **options: Any
) -> GradientResult:
    """:func:`check_value_and_grad`, raising AssertionError with the report when it fails.

    Undecided checks raise only with ``strict=True``. Hidden from pytest tracebacks.
    """
    __tracebackhide__ = True
    result = check_value_and_grad(fg, x, **options)
    status = status_of(result)
    if status == "fail" or (strict and status != "pass"):
        raise AssertionError(str(result))
    return result
