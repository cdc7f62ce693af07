"""Costs, eqs. (7)-(11): batch-mean values and per-sample gradients dC/da, eqs. (29)-(30)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlp.activations import (
    FloatArray,
    log1m_sigmoid,
    log1m_softmax,
    log_sigmoid,
    log_softmax,
)

__all__ = [
    "COSTS",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "cost_grad",
    "cost_value",
    "cross_entropy",
    "cross_entropy_grad",
    "log1m_output",
    "log_output",
    "mse",
    "mse_grad",
]

COSTS: frozenset[str] = frozenset({"mse", "cross_entropy", "binary_cross_entropy"})
"""Cost names: quadratic (eq. 7), cross entropy (eq. 9), binary cross entropy (eq. 11)."""


def _clip_open_unit(a: FloatArray) -> FloatArray:
    """Clip ``a`` to ``[tiny, 1 - ε⁻]`` (its dtype) so ``1/a``, ``1/(1-a)`` stay finite."""
    info = np.finfo(a.dtype)
    return np.clip(a, info.tiny, 1.0 - info.epsneg)


def _weighted_log(y: FloatArray, log_v: FloatArray) -> FloatArray:
    """``y ln v`` elementwise with ``0 ln 0 = 0`` (the limit), so no ``0 · (-inf)`` NaN."""
    out = np.zeros(np.broadcast_shapes(y.shape, log_v.shape), dtype=np.result_type(y, log_v))
    np.multiply(y, log_v, out=out, where=y != 0)
    return out


# --- log a^L and log(1 - a^L) from the logits z^L ----------------------------------------------


def log_output(output: str, z: FloatArray, a: FloatArray | None = None) -> FloatArray:
    """``ln a^L`` from the logits ``z^L`` (finite for finite logits): sigmoid or softmax.

    ``a``, the cached ``σ(z^L)``, lets the softmax skip recomputing its exponentials.
    """
    if output == "sigmoid":
        return log_sigmoid(z)
    if output == "softmax":
        return log_softmax(z, a)
    raise ValueError(f"output: ln a^L needs a sigmoid or softmax output, got {output!r}")


def log1m_output(output: str, z: FloatArray) -> FloatArray:
    """``ln(1 - a^L)`` from the logits ``z^L``: sigmoid or softmax."""
    if output == "sigmoid":
        return log1m_sigmoid(z)
    if output == "softmax":
        return log1m_softmax(z)
    raise ValueError(f"output: ln(1 - a^L) needs a sigmoid or softmax output, got {output!r}")


# --- quadratic cost, eqs. (7), (8), (29) -------------------------------------------------------


def mse(a: FloatArray, y: FloatArray) -> float:
    """Quadratic cost, eq. (7): ``(1/2N) Σ_{i=1}^{N} ||a_i - y_i||²``.

    The paper sums ``i = 0..N`` (N + 1 terms) but divides by N: an off-by-one; the sum is over the
    N samples.
    """
    r = a - y
    return float(np.sum(r * r) / (2 * a.shape[0]))


def mse_grad(a: FloatArray, y: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Per-sample ``∂C_i/∂a_i = a_i - y_i``, eq. (29) (``C_i`` of eq. (8))."""
    return np.subtract(a, y, out=out)


# --- cross entropy, eqs. (9), (10), (30) -------------------------------------------------------


def cross_entropy(log_a: FloatArray, y: FloatArray) -> float:
    """Cross entropy, eq. (9): ``-(1/N) Σ_i Σ_k y_ik ln a_ik``, from ``ln a`` (``log_output``)."""
    return float(-np.sum(_weighted_log(y, log_a)) / log_a.shape[0])


def cross_entropy_grad(a: FloatArray, y: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Per-sample ``∂C_i/∂a_i = -y_i / a_i``, eq. (30); ``a`` clipped to ``[tiny, 1 - ε⁻]``.

    Only the unfused chain-rule path uses this; the fused deltas never divide by ``a``.
    """
    return np.divide(-y, _clip_open_unit(a), out=out)


# --- binary cross entropy, eq. (11) ------------------------------------------------------------


def binary_cross_entropy(log_a: FloatArray, log1m_a: FloatArray, y: FloatArray) -> float:
    """Binary cross entropy, eq. (11), batch mean, elementwise over outputs.

    ``-(1/N) Σ_i Σ_k [y_ik ln a_ik + (1 - y_ik) ln(1 - a_ik)]``, from ``ln a`` and ``ln(1 - a)``.
    """
    total = _weighted_log(y, log_a) + _weighted_log(1.0 - y, log1m_a)
    return float(-np.sum(total) / log_a.shape[0])


def binary_cross_entropy_grad(
    a: FloatArray, y: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Per-sample ``∂C_i/∂a = -y/a + (1-y)/(1-a)`` (sec. 6.2); ``a`` clipped to ``[tiny, 1 - ε⁻]``.

    Equals the paper's ``(a - y) / (a (1 - a))``. Only the unfused chain-rule path uses this.
    """
    ac = _clip_open_unit(a)
    return np.add(-y / ac, (1.0 - y) / (1.0 - ac), out=out)


# --- dispatch ----------------------------------------------------------------------------------


def cost_value(cost: str, output: str, z: FloatArray, a: FloatArray, y: FloatArray) -> float:
    """Batch-mean cost of ``a^L = σ(z^L)`` against ``y``; logs are taken from the logits ``z``."""
    if cost == "mse":
        return mse(a, y)
    n = z.shape[0]
    if cost == "cross_entropy":  # eq. (9); ln a^L is finite here, so a plain dot product
        return float(-np.vdot(y, log_output(output, z, a)) / n)
    if cost == "binary_cross_entropy":  # eq. (11)
        log1m_a = log1m_output(output, z)
        if z.shape[1] == 1 and output == "softmax":  # ln(1 - 1) = -inf: 0 · ln 0 must give 0
            return binary_cross_entropy(log_output(output, z, a), log1m_a, y)
        return float(-(np.vdot(y, log_output(output, z, a)) + np.vdot(1.0 - y, log1m_a)) / n)
    raise ValueError(f"cost: expected one of {sorted(COSTS)}, got {cost!r}")


_GRADS: dict[str, Callable[[FloatArray, FloatArray, FloatArray | None], FloatArray]] = {
    "mse": mse_grad,
    "cross_entropy": cross_entropy_grad,
    "binary_cross_entropy": binary_cross_entropy_grad,
}


def cost_grad(cost: str, a: FloatArray, y: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Per-sample ``∂C_i/∂a_i`` for ``cost`` (eqs. 29, 30 and sec. 6.2)."""
    try:
        grad = _GRADS[cost]
    except KeyError:
        raise ValueError(f"cost: expected one of {sorted(COSTS)}, got {cost!r}") from None
    return grad(a, y, out)
