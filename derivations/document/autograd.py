"""JAX autodiff as the second opinion on every claimed derivative (float64, imported lazily)."""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp

from derivations.compiled import lambdify
from derivations.document.context import Context
from derivations.document.convert import Derivative
from derivations.document.numeric import concretise, sample_point
from derivations.document.unfolding import unfold

__all__ = ["second_opinion"]


def _jax() -> Any:
    import jax

    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
    return jax


def second_opinion(
    derivative: Derivative, claimed: sp.Expr, ctx: Context, *, seed: int = 0
) -> dict[str, Any] | None:
    """``d function / d variable`` by ``jax.grad`` against ``claimed`` at one random point.

    ``None`` when JAX cannot evaluate the function (an undefined function, a Piecewise JAX
    cannot trace): the symbolic verdict then stands alone.
    """
    f, v, c = unfold(derivative.function, ctx), derivative.variable, unfold(claimed, ctx)
    try:
        (fi, vi, ci), fixed, _ = concretise([f, v, c], ctx, limit=1)[0]
    except (IndexError, ValueError, TypeError):
        return None
    if not isinstance(vi, sp.Symbol):
        return None
    variables = sorted(
        {s for s in (fi.free_symbols | ci.free_symbols | {vi}) if isinstance(s, sp.Symbol)},
        key=str,
    )
    if any(s.is_integer for s in variables):
        return None
    point = sample_point(variables, ctx, np.random.default_rng(seed + 7), set())
    try:
        jax = _jax()
        fn = lambdify(variables, fi, "jax")
        grad = jax.grad(fn, argnums=variables.index(vi))
        for _ in range(derivative.order - 1):
            grad = jax.grad(grad, argnums=variables.index(vi))
        args = [np.float64(point[s]) for s in variables]
        auto = float(grad(*args))
        with mpmath.workdps(30):
            value = complex(lambdify(variables, ci, "mpmath")(
                *[mpmath.mpf(point[s]) for s in variables]))
    except Exception:
        return None
    if value.imag != 0 or not np.isfinite(auto):
        return None
    agrees = abs(auto - value.real) <= 1e-8 * (1 + abs(value.real))
    return {
        "agrees": bool(agrees), "autodiff": auto, "claimed": value.real,
        "point": {str(s): point[s] for s in variables}, "instance": fixed,
    }
