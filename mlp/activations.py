"""Activation functions, eqs. (13)-(22), each forward pass next to its derivative."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ACTIVATIONS",
    "HIDDEN_ACTIVATIONS",
    "OUTPUT_ACTIVATIONS",
    "Activation",
    "FloatArray",
    "col_sum",
    "heaviside",
    "heaviside_prime",
    "identity",
    "identity_prime",
    "log1m_sigmoid",
    "log1m_softmax",
    "log_sigmoid",
    "log_softmax",
    "relu",
    "relu_prime",
    "row_max",
    "row_sum",
    "sigmoid",
    "sigmoid_prime",
    "softmax",
    "softmax_jvp",
    "tanh",
    "tanh_prime",
    "vjp",
]

FloatArray = NDArray[np.floating[Any]]
"""A float32 or float64 array; batch-major (rows are samples) wherever it is 2-D."""

ForwardFn = Callable[[FloatArray, FloatArray | None, FloatArray | None], FloatArray]
"""``forward(z, out, work) -> a``; ``work`` is an optional scratch array shaped like ``z``."""
DerivativeFn = Callable[[FloatArray, FloatArray, FloatArray | None], FloatArray]
"""``derivative(z, a, out) -> σ'(z)`` elementwise, from the cached ``z`` and ``a = σ(z)``."""


def _out(z: FloatArray, out: FloatArray | None) -> FloatArray:
    return np.empty_like(z) if out is None else out


# --- row reductions ----------------------------------------------------------------------------
# NumPy's reductions along a short last axis are slow (about 8 µs for a 128 × 10 max); an arg-max
# gather (max) or a BLAS matrix-vector product (sum) does the same in about 1 µs.


def row_max(z: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """``max_k z_ik`` per row of a 2-D ``z``, shape (batch, 1) (written into ``out`` if given)."""
    m: FloatArray = z[np.arange(z.shape[0]), np.argmax(z, axis=-1)][:, None]
    if out is None:
        return m
    np.copyto(out, m)
    return out


def row_sum(z: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """``Σ_k z_ik`` per row of a 2-D ``z``, shape (batch, 1), as one matrix-vector product."""
    return np.matmul(z, np.ones((z.shape[-1], 1), dtype=z.dtype), out=out)


def col_sum(z: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """``Σ_i z_ik`` per column of a 2-D ``z`` (a sum over the batch), shape (k,), one GEMV.

    About 1 µs for 128 rows, where ``np.sum(z, axis=0)`` takes 3-4 µs.
    """
    ones = np.ones((1, z.shape[0]), dtype=z.dtype)
    if out is None:
        total: FloatArray = np.matmul(ones, z)[0]
        return total
    np.matmul(ones, z, out=out[None, :])
    return out


# --- sigmoid, eqs. (13)-(14) -------------------------------------------------------------------


def _exp_cap(dtype: np.dtype[Any]) -> float:
    """Return the largest integer ``t`` with ``e^{-t} >= tiny`` and ``1/(1 + e^t) >= tiny``."""
    return float(np.floor(-np.log(np.finfo(dtype).tiny)))


_EXP_CAP: dict[np.dtype[Any], float] = {
    np.dtype(np.float32): _exp_cap(np.dtype(np.float32)),  # 87
    np.dtype(np.float64): _exp_cap(np.dtype(np.float64)),  # 708
}


def sigmoid(
    z: FloatArray, out: FloatArray | None = None, work: FloatArray | None = None
) -> FloatArray:
    """Sigmoid, eq. (13): ``1 / (1 + e^{-z})``, in place in ``out`` and never warning.

    ``z`` is clipped to ``[-708, 708]`` (float64; ``[-87, 87]`` in float32) so ``e^{-z}`` neither
    overflows nor underflows and neither does the quotient: for ``z < -708`` the result is
    ``1/(1 + e^{708}) ≈ 3e-308`` instead of something smaller (an absolute change below the
    smallest normal number); for ``z > 708`` it is 1 as before. Everywhere else the formula is
    accurate to a few ulps in both tails (no ``1 - ...`` cancellation). ``work`` is unused.
    """
    del work
    out = _out(z, out)
    cap = _EXP_CAP.get(z.dtype, 708.0)
    np.clip(z, -cap, cap, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.add(out, 1.0, out=out)
    np.reciprocal(out, out=out)
    return out


def sigmoid_prime(z: FloatArray, a: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Sigmoid derivative, eq. (14): ``σ'(z) = σ(z)(1 - σ(z))``, from the cached ``a = σ(z)``."""
    out = _out(a, out)
    np.subtract(1.0, a, out=out)
    np.multiply(out, a, out=out)
    return out


def log_sigmoid(z: FloatArray) -> FloatArray:
    """``ln σ(z) = -softplus(-z) = -ln(1 + e^{-z})``, finite for every finite ``z``."""
    return np.negative(np.logaddexp(0.0, -z))


def log1m_sigmoid(z: FloatArray) -> FloatArray:
    """``ln(1 - σ(z)) = ln σ(-z) = -softplus(z)``, finite for every finite ``z``."""
    return np.negative(np.logaddexp(0.0, z))


# --- softmax, eqs. (15)-(16) -------------------------------------------------------------------


def softmax(
    z: FloatArray, out: FloatArray | None = None, work: FloatArray | None = None
) -> FloatArray:
    """Softmax over each row, eq. (15), shifted by the row max so ``exp`` never overflows.

    The row max and row sum go into the first column of ``work`` when given (no allocation).
    """
    out = _out(z, out)
    row = None if work is None else work[..., :1]
    m = row_max(z, out=row)
    np.subtract(z, m, out=out)
    np.exp(out, out=out)
    np.divide(out, row_sum(out, out=row), out=out)
    return out


def softmax_jvp(a: FloatArray, g: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Softmax Jacobian, eq. (16), applied to ``g`` row by row without materialising it.

    ``∂a_i/∂z_j = a_j (δ_ji - a_i)`` is symmetric, so ``J g = J^T g = a ⊙ (g - Σ_k g_k a_k)``.
    ``out`` may be ``g`` itself (in place).
    """
    s = np.sum(g * a, axis=-1, keepdims=True)
    out = _out(g, out)
    np.subtract(g, s, out=out)
    np.multiply(out, a, out=out)
    return out


def log_softmax(z: FloatArray, a: FloatArray | None = None) -> FloatArray:
    """``ln σ_sm(z)_k = (z_k - m) - ln Σ_j e^{z_j - m}``, ``m`` the row max: finite for finite z.

    Given the cached ``a = σ_sm(z)``, ``ln Σ_j e^{z_j - m} = -ln max_k a_k`` (the arg-max entry of
    ``a`` is ``1/Σ_j e^{z_j - m}``, at least ``1/K``), which saves recomputing the exponentials.
    """
    shifted: FloatArray = z - row_max(z)
    if a is None:
        shifted -= np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    else:
        shifted += np.log(row_max(a))
    return shifted


def log1m_softmax(z: FloatArray) -> FloatArray:
    """``ln(1 - σ_sm(z)_k)``, accurate even when ``σ_sm(z)_k`` rounds to 1.

    Entries with ``a_k <= 1/2`` use ``log1p(-a_k)``. Only the row's arg-max can have ``a_k > 1/2``;
    for it ``1 - a_k = Σ_{j≠k} e^{z_j} / Σ_j e^{z_j}``, a difference of two log-sum-exps with no
    cancellation. A one-column softmax is the constant 1, so its value is ``-inf``.
    """
    log_a = log_softmax(z)
    out = np.log1p(-np.minimum(np.exp(log_a), 0.5))
    if z.shape[-1] == 1:
        out[...] = -np.inf
        return out
    rows = np.arange(z.shape[0])
    k = np.argmax(z, axis=-1)
    others = z.copy()
    others[rows, k] = -np.inf
    m = np.max(others, axis=-1, keepdims=True)
    lse_others = m[:, 0] + np.log(np.sum(np.exp(others - m), axis=-1))
    m_all = np.max(z, axis=-1, keepdims=True)
    lse_all = m_all[:, 0] + np.log(np.sum(np.exp(z - m_all), axis=-1))
    out[rows, k] = lse_others - lse_all
    return out


# --- tanh, eqs. (17)-(18) ----------------------------------------------------------------------


def tanh(
    z: FloatArray, out: FloatArray | None = None, work: FloatArray | None = None
) -> FloatArray:
    """Hyperbolic tangent, eq. (17)."""
    del work
    return np.tanh(z, out=_out(z, out))


def tanh_prime(z: FloatArray, a: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Tanh derivative, eq. (18): ``1 - tanh²(z)``, from the cached ``a = tanh(z)``."""
    out = _out(a, out)
    np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)
    return out


# --- relu, eqs. (19)-(20) ----------------------------------------------------------------------


def relu(
    z: FloatArray, out: FloatArray | None = None, work: FloatArray | None = None
) -> FloatArray:
    """Rectifier, eq. (19): ``z`` for ``z >= 0``, else 0."""
    del work
    return np.maximum(z, 0.0, out=_out(z, out))


def relu_prime(z: FloatArray, a: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Rectifier derivative, eq. (20): 1 for ``z >= 0``, else 0.

    At ``z = 0`` relu has no derivative; the paper's convention (eq. 20) takes 1 there (any value in
    [0, 1] is a subgradient). Needs ``z``: ``a = 0`` cannot tell ``z = 0`` from ``z < 0``.
    """
    del a
    return np.greater_equal(z, 0.0, out=_out(z, out))


# --- Heaviside, eqs. (21)-(22) -----------------------------------------------------------------


def heaviside(
    z: FloatArray, out: FloatArray | None = None, work: FloatArray | None = None
) -> FloatArray:
    """Heaviside step, eq. (21): 1 for ``z >= 0`` (so ``H(0) = 1``), else 0."""
    del work
    return np.greater_equal(z, 0.0, out=_out(z, out))


def heaviside_prime(z: FloatArray, a: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Heaviside derivative, eq. (22): 0 (for ``z ≠ 0``; undefined at 0, taken as 0).

    Gradients through a Heaviside layer are therefore identically zero.
    """
    del a
    out = _out(z, out)
    out[...] = 0.0
    return out


# --- identity ----------------------------------------------------------------------------------


def identity(
    z: FloatArray, out: FloatArray | None = None, work: FloatArray | None = None
) -> FloatArray:
    """Identity output ``a = z`` (regression with MSE)."""
    del work
    out = _out(z, out)
    np.copyto(out, z)
    return out


def identity_prime(z: FloatArray, a: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Identity derivative: 1."""
    del a
    out = _out(z, out)
    out[...] = 1.0
    return out


# --- registry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """One activation: forward, elementwise derivative (``None`` for softmax), where it may go."""

    name: str
    equations: str
    forward: ForwardFn
    derivative: DerivativeFn | None
    hidden: bool
    output: bool


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", "eqs. (13)-(14)", sigmoid, sigmoid_prime, True, True),
    "tanh": Activation("tanh", "eqs. (17)-(18)", tanh, tanh_prime, True, False),
    "relu": Activation("relu", "eqs. (19)-(20)", relu, relu_prime, True, False),
    "heaviside": Activation("heaviside", "eqs. (21)-(22)", heaviside, heaviside_prime, True, False),
    "softmax": Activation("softmax", "eqs. (15)-(16)", softmax, None, False, True),
    "identity": Activation("identity", "a = z", identity, identity_prime, False, True),
}
"""Every activation by name."""

HIDDEN_ACTIVATIONS: frozenset[str] = frozenset(n for n, f in ACTIVATIONS.items() if f.hidden)
"""Names allowed for hidden layers: sigmoid, tanh, relu, heaviside."""
OUTPUT_ACTIVATIONS: frozenset[str] = frozenset(n for n, f in ACTIVATIONS.items() if f.output)
"""Names allowed for the output layer: sigmoid, softmax, identity."""


def vjp(
    name: str, z: FloatArray, a: FloatArray, g: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """``g`` times the activation's Jacobian at ``z``: ``g ⊙ σ'(z)``, or eq. (16)'s JVP for softmax.

    ``out`` may be ``g`` (in place); ``a = σ(z)`` is the cached forward value.
    """
    act = ACTIVATIONS[name]
    if act.derivative is None:
        return softmax_jvp(a, g, out)
    d = act.derivative(z, a, None)
    return np.multiply(g, d, out=_out(g, out))
