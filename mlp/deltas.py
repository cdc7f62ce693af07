"""Output deltas δ^L = ∂C_i/∂z^L per sample for every (output, cost) pair, eqs. (31), (38)-(39)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlp.activations import FloatArray, softmax_jvp, vjp
from mlp.costs import binary_cross_entropy_grad, cost_grad

__all__ = [
    "FUSED",
    "VALID_PAIRS",
    "chain_rule_delta",
    "identity_mse",
    "output_delta",
    "sigmoid_binary_cross_entropy",
    "sigmoid_cross_entropy",
    "sigmoid_mse",
    "softmax_binary_cross_entropy",
    "softmax_cross_entropy",
    "softmax_mse",
]

DeltaFn = Callable[[FloatArray, FloatArray, FloatArray, FloatArray | None], FloatArray]
"""``delta(z, a, y, out) -> δ^L``; ``z`` logits, ``a = σ(z)``, ``y`` targets, all (batch, n_L)."""


def softmax_cross_entropy(
    z: FloatArray, a: FloatArray, y: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Softmax + cross entropy, eq. (39) in its general form: ``δ = a Σ_k y_k - y``.

    Exact even when a row of ``y`` does not sum to 1; equals the paper's ``a - y`` when it does.
    """
    del z
    out = np.multiply(a, np.sum(y, axis=-1, keepdims=True), out=out)
    return np.subtract(out, y, out=out)


def sigmoid_binary_cross_entropy(
    z: FloatArray, a: FloatArray, y: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Sigmoid + binary cross entropy (eq. 11): ``δ = a - y`` (the paper's sec. 6.2 times σ')."""
    del z
    return np.subtract(a, y, out=out)


def sigmoid_mse(
    z: FloatArray, a: FloatArray, y: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Sigmoid + MSE, eq. (31): ``δ = (a - y) ⊙ a (1 - a)``.

    That is eq. (32) with σ'(z^L) = a(1-a); eq. (32) prints σ'(a^L), which is wrong.
    """
    del z
    out = np.subtract(a, y, out=out)
    np.multiply(out, a, out=out)
    np.multiply(out, 1.0 - a, out=out)
    return out


def sigmoid_cross_entropy(
    z: FloatArray, a: FloatArray, y: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Sigmoid + cross entropy (eq. 9 with independent sigmoid outputs): ``δ = -y (1 - a)``."""
    del z
    out = np.subtract(a, 1.0, out=out)
    return np.multiply(out, y, out=out)


def softmax_mse(
    z: FloatArray, a: FloatArray, y: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Softmax + MSE: ``δ_j = Σ_i (a_i - y_i) a_i (δ_ij - a_j)``, eq. (29) through eq. (16).

    The paper's eq. (38) drops the sum over outputs ``i`` (it keeps one free index too many); this
    is the true chain rule: the softmax JVP of ``a - y``.
    """
    del z
    out = np.subtract(a, y, out=out)
    return softmax_jvp(a, out, out)


def softmax_binary_cross_entropy(
    z: FloatArray, a: FloatArray, y: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Softmax + binary cross entropy: the softmax JVP of ``-y/a + (1-y)/(1-a)``.

    Unfused chain rule; ``a`` is clipped to ``[tiny, 1 - ε⁻]`` of its dtype inside the cost
    gradient so the quotients stay finite (inexact only where a softmax output rounds to 0 or 1).
    """
    del z
    g = binary_cross_entropy_grad(a, y, out)
    return softmax_jvp(a, g, g)


def identity_mse(
    z: FloatArray, a: FloatArray, y: FloatArray, out: FloatArray | None = None
) -> FloatArray:
    """Identity + MSE (regression): ``δ = a - y`` (eq. 29, σ' = 1)."""
    del z
    return np.subtract(a, y, out=out)


FUSED: dict[tuple[str, str], DeltaFn] = {
    ("sigmoid", "mse"): sigmoid_mse,
    ("sigmoid", "cross_entropy"): sigmoid_cross_entropy,
    ("sigmoid", "binary_cross_entropy"): sigmoid_binary_cross_entropy,
    ("softmax", "mse"): softmax_mse,
    ("softmax", "cross_entropy"): softmax_cross_entropy,
    ("softmax", "binary_cross_entropy"): softmax_binary_cross_entropy,
    ("identity", "mse"): identity_mse,
}
"""δ^L by (output activation, cost)."""

VALID_PAIRS: frozenset[tuple[str, str]] = frozenset(FUSED)
"""(output, cost) pairs that make sense; identity with a log cost is rejected (ln of ℝ)."""


def output_delta(
    output: str,
    cost: str,
    z: FloatArray,
    a: FloatArray,
    y: FloatArray,
    out: FloatArray | None = None,
) -> FloatArray:
    """Per-sample output delta ``δ^L = ∂C_i/∂z^L`` (batch, n_L) for ``(output, cost)``."""
    try:
        delta = FUSED[(output, cost)]
    except KeyError:
        raise ValueError(
            f"(output, cost): expected one of {sorted(VALID_PAIRS)}, got {(output, cost)!r}"
        ) from None
    return delta(z, a, y, out)


def chain_rule_delta(
    output: str, cost: str, z: FloatArray, a: FloatArray, y: FloatArray
) -> FloatArray:
    """Unfused reference, eq. (26): ``∂C/∂a^L`` (eqs. 29-30) times the activation's Jacobian.

    Divides by ``a`` for the log costs (clipped), so it is only a cross-check for moderate logits.
    """
    if (output, cost) not in VALID_PAIRS:
        raise ValueError(
            f"(output, cost): expected one of {sorted(VALID_PAIRS)}, got {(output, cost)!r}"
        )
    return vjp(output, z, a, cost_grad(cost, a, y))
