"""Output deltas δ^L = ∂C_i/∂z^L for every (output, cost) pair vs central differences in z."""

from __future__ import annotations

import numpy as np
import pytest

from mlp import deltas
from mlp.activations import ACTIVATIONS, sigmoid, softmax
from mlp.costs import cost_value

PAIRS = sorted(deltas.VALID_PAIRS)


def summed_cost(output: str, cost: str, z: np.ndarray, y: np.ndarray) -> float:
    """Σ_i C_i = N · batch-mean cost, as a function of the logits z^L."""
    a = ACTIVATIONS[output].forward(z, None, None)
    return z.shape[0] * cost_value(cost, output, z, a, y)


def grad_z_fd(output: str, cost: str, z: np.ndarray, y: np.ndarray, h: float = 1e-6) -> np.ndarray:
    g = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        g[idx] = (summed_cost(output, cost, zp, y) - summed_cost(output, cost, zm, y)) / (2 * h)
    return g


def targets(output: str, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.normal(size=shape) if output == "identity" else rng.uniform(0, 1, size=shape)


@pytest.mark.parametrize(("output", "cost"), PAIRS)
def test_fused_delta_matches_central_difference(output: str, cost: str) -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 3)) * 2
    y = targets(output, rng, z.shape)  # rows need not sum to 1
    a = ACTIVATIONS[output].forward(z, None, None)
    delta = deltas.output_delta(output, cost, z, a, y)
    np.testing.assert_allclose(delta, grad_z_fd(output, cost, z, y), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("output", "cost"), PAIRS)
def test_fused_delta_equals_chain_rule(output: str, cost: str) -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 4))
    y = targets(output, rng, z.shape)
    a = ACTIVATIONS[output].forward(z, None, None)
    fused = deltas.output_delta(output, cost, z, a, y)
    chain = deltas.chain_rule_delta(output, cost, z, a, y)
    np.testing.assert_allclose(fused, chain, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("output", "cost"), PAIRS)
def test_delta_into_out_buffer(output: str, cost: str) -> None:
    rng = np.random.default_rng(2)
    z = rng.normal(size=(3, 2))
    y = targets(output, rng, z.shape)
    a = ACTIVATIONS[output].forward(z, None, None)
    out = np.empty_like(z)
    assert deltas.output_delta(output, cost, z, a, y, out) is out
    np.testing.assert_array_equal(out, deltas.output_delta(output, cost, z, a, y))


def test_softmax_ce_eq39_is_a_minus_y_for_one_hot_and_general_otherwise() -> None:
    z = np.array([[0.5, -1.0, 2.0]])
    a = softmax(z)
    one_hot = np.array([[0.0, 0.0, 1.0]])
    np.testing.assert_allclose(deltas.softmax_cross_entropy(z, a, one_hot), a - one_hot)
    y = np.array([[0.5, 0.0, 1.0]])  # sums to 1.5: eq. (39)'s a - y is then wrong
    np.testing.assert_allclose(deltas.softmax_cross_entropy(z, a, y), 1.5 * a - y)
    assert not np.allclose(deltas.softmax_cross_entropy(z, a, y), a - y)


def test_paper_eq38_drops_the_sum_over_outputs() -> None:
    z = np.array([[0.3, -0.2, 1.1]])
    y = np.array([[0.0, 1.0, 0.0]])
    a = softmax(z)
    diagonal_only = (a - y) * a * (1 - a)  # eq. (38) read with j = i: the sum over i is missing
    true = deltas.softmax_mse(z, a, y)
    np.testing.assert_allclose(true, grad_z_fd("softmax", "mse", z, y), rtol=1e-6)
    assert not np.allclose(true, diagonal_only, rtol=1e-3)


def test_sigmoid_mse_eq31_uses_sigma_prime_of_z_not_of_a() -> None:
    z = np.array([[1.5, -0.7]])
    y = np.array([[0.0, 1.0]])
    a = sigmoid(z)
    wrong_eq32 = (a - y) * sigmoid(a) * (1 - sigmoid(a))  # eq. (32) as printed: σ'(a^L)
    right = deltas.sigmoid_mse(z, a, y)
    np.testing.assert_allclose(right, (a - y) * a * (1 - a))
    assert not np.allclose(right, wrong_eq32)


@pytest.mark.parametrize(("output", "cost"), PAIRS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_give_finite_deltas(output: str, cost: str, dtype: type) -> None:
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], dtype=dtype)
    y = np.array([[0.0, 1.0], [0.0, 1.0]], dtype=dtype)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        a = ACTIVATIONS[output].forward(z, None, None)
        delta = deltas.output_delta(output, cost, z, a, y)
    assert delta.dtype == dtype
    assert np.isfinite(delta).all()
    if (output, cost) in {("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")}:
        np.testing.assert_allclose(delta, a - y)


def test_identity_with_log_cost_is_rejected() -> None:
    z = np.zeros((1, 2))
    with pytest.raises(ValueError, match="identity"):
        deltas.output_delta("identity", "cross_entropy", z, z, z)
    with pytest.raises(ValueError, match="identity"):
        deltas.chain_rule_delta("identity", "binary_cross_entropy", z, z, z)


def test_valid_pairs() -> None:
    assert {
        ("sigmoid", "mse"),
        ("sigmoid", "cross_entropy"),
        ("sigmoid", "binary_cross_entropy"),
        ("softmax", "mse"),
        ("softmax", "cross_entropy"),
        ("softmax", "binary_cross_entropy"),
        ("identity", "mse"),
    } == deltas.VALID_PAIRS


@pytest.mark.parametrize(("output", "cost"), PAIRS)
def test_huge_logits_deltas_are_exact(output: str, cost: str) -> None:
    # the costs are computed from the logits (log-softmax / softplus), so central differences of
    # them are accurate even here; every fused delta must agree, softmax + BCE included
    z = np.array([[1000.0, -1000.0, 0.5], [3.0, 1000.0, -2.0], [800.0, 800.0, -5.0]])
    y = np.array([[0.0, 1.0, 0.0], [0.5, 0.2, 0.1], [1.0, 0.0, 0.3]])
    a = ACTIVATIONS[output].forward(z, None, None)
    delta = deltas.output_delta(output, cost, z, a, y)
    np.testing.assert_allclose(delta, grad_z_fd(output, cost, z, y, h=1e-4), rtol=1e-6, atol=1e-6)
