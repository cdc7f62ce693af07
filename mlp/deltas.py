"""Output deltas δ^L = ∂C_i/∂z^L per sample for every (output, cost) pair, eqs. (31), (38)-(39)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlp.activations import FloatArray, row_sum, softmax_jvp, vjp
from mlp.costs import cost_grad

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
    out = np.multiply(a, row_sum(y), out=out)
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
    """Softmax + binary cross entropy, fused so it stays exact for logits of any size.

    With ``u = 1 - y``, ``∂ ln a_k/∂z_j = δ_kj - a_j`` and ``∂ ln(1 - a_k)/∂z_j = -a_j`` (k = j) or
    ``a_j a_k / (1 - a_k)`` (k ≠ j), the chain rule (the softmax JVP, eq. 16, of
    ``-y/a + u/(1-a)``) becomes

        δ_j = -y_j + a_j Σ_k y_k + u_j a_j - Σ_{k≠j} u_k a_j a_k / (1 - a_k).

    Only the row's arg-max ``k*`` can have ``1 - a_k`` near 0; there ``a_j / (1 - a_{k*})`` is
    ``s_j``, the softmax of the other logits, computed from ``z`` directly. So nothing divides by a
    number near 0 and no clipping is needed (unlike ``chain_rule_delta``).
    """
    n, K = z.shape
    out = np.empty_like(z) if out is None else out
    if K == 1:  # a one-column softmax is the constant 1: no gradient
        out[...] = 0.0
        return out
    rows = np.arange(n)
    k_star = np.argmax(z, axis=1)
    u = 1.0 - y
    a_rest = a.copy()
    a_rest[rows, k_star] = 0.0
    q = a_rest / (1.0 - a_rest)  # a_k / (1 - a_k) off the arg-max (1 - a_k >= 1/2), 0 on it
    Q = np.sum(u * q, axis=1, keepdims=True)
    z_rest = z.copy()
    z_rest[rows, k_star] = -np.inf
    s = np.exp(z_rest - np.max(z_rest, axis=1, keepdims=True))
    s /= np.sum(s, axis=1, keepdims=True)  # softmax over k ≠ k*: a_j / (1 - a_{k*}), 0 at k*
    coupling = a * (Q - u * q) + (u[rows, k_star] * a[rows, k_star])[:, None] * s
    np.multiply(a, np.sum(y, axis=1, keepdims=True) + u, out=out)
    out -= y
    out -= coupling
    return out


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
