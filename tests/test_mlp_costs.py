"""Costs, eqs. (7)-(11), (29)-(30): values, gradients vs central differences, huge logits."""

from __future__ import annotations

import numpy as np
import pytest

from mlp import costs
from mlp.activations import sigmoid, softmax


def grad_fd(f, a: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Gradient of the scalar f at a by central differences."""
    g = np.empty_like(a)
    for idx in np.ndindex(a.shape):
        ap, am = a.copy(), a.copy()
        ap[idx] += h
        am[idx] -= h
        g[idx] = (f(ap) - f(am)) / (2 * h)
    return g


@pytest.fixture
def ay() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.uniform(0.05, 0.95, size=(5, 3)), rng.uniform(0, 1, size=(5, 3))


def test_mse_value_eq7_sums_over_the_n_samples(ay: tuple[np.ndarray, np.ndarray]) -> None:
    a, y = ay
    naive = sum(np.sum((a[i] - y[i]) ** 2) for i in range(5)) / (2 * 5)  # i = 1..N, not 0..N
    assert costs.mse(a, y) == pytest.approx(naive, rel=1e-14)


def test_cross_entropy_value_eq9(ay: tuple[np.ndarray, np.ndarray]) -> None:
    a, y = ay
    naive = -np.sum(y * np.log(a)) / 5
    assert costs.cross_entropy(np.log(a), y) == pytest.approx(naive, rel=1e-14)


def test_binary_cross_entropy_value_eq11_elementwise(ay: tuple[np.ndarray, np.ndarray]) -> None:
    a, y = ay
    naive = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / 5
    assert costs.binary_cross_entropy(np.log(a), np.log1p(-a), y) == pytest.approx(naive, rel=1e-14)


def test_binary_ce_is_two_class_ce_eq11() -> None:
    # eq. (11) from eq. (10) with K = 2, y_2 = 1 - y_1, a_2 = 1 - a_1
    a1, y1 = np.array([[0.3]]), np.array([[0.8]])
    a2, y2 = np.hstack([a1, 1 - a1]), np.hstack([y1, 1 - y1])
    ce = costs.cross_entropy(np.log(a2), y2)
    assert costs.binary_cross_entropy(np.log(a1), np.log1p(-a1), y1) == pytest.approx(ce)


@pytest.mark.parametrize("cost", sorted(costs.COSTS))
def test_per_sample_gradient_matches_central_difference(
    cost: str, ay: tuple[np.ndarray, np.ndarray]
) -> None:
    a, y = ay
    n = a.shape[0]
    values = {
        "mse": lambda t: costs.mse(t, y),
        "cross_entropy": lambda t: costs.cross_entropy(np.log(t), y),
        "binary_cross_entropy": lambda t: costs.binary_cross_entropy(np.log(t), np.log1p(-t), y),
    }
    # the per-sample gradient (eqs. 29, 30) is N times the gradient of the batch mean
    expected = n * grad_fd(values[cost], a)
    np.testing.assert_allclose(costs.cost_grad(cost, a, y), expected, rtol=1e-7, atol=1e-9)


def test_paper_binary_form_of_the_gradient() -> None:
    a = np.array([[0.2, 0.7]])
    y = np.array([[1.0, 0.0]])
    paper = (a - y) / (a * (1 - a))  # sec. 6.2, last line
    np.testing.assert_allclose(costs.binary_cross_entropy_grad(a, y), paper)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_costs_from_huge_logits_are_exact(dtype: type) -> None:
    z = np.array([[1000.0, -1000.0]], dtype=dtype)
    y = np.array([[0.0, 1.0]], dtype=dtype)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        a_sm, a_sig = softmax(z), sigmoid(z)
        assert costs.cost_value("cross_entropy", "softmax", z, a_sm, y) == pytest.approx(2000)
        assert costs.cost_value("binary_cross_entropy", "softmax", z, a_sm, y) == pytest.approx(
            4000
        )
        assert costs.cost_value("cross_entropy", "sigmoid", z, a_sig, y) == pytest.approx(1000)
        assert costs.cost_value("binary_cross_entropy", "sigmoid", z, a_sig, y) == pytest.approx(
            2000
        )
        assert costs.cost_value("mse", "softmax", z, a_sm, y) == pytest.approx(1.0)
        # a confident right answer costs (almost) nothing, with no 0 * log 0 NaN
        assert costs.cost_value("cross_entropy", "softmax", z, a_sm, 1 - y) == pytest.approx(0)
        assert costs.cost_value("binary_cross_entropy", "sigmoid", z, a_sig, 1 - y) == 0.0


def test_clipped_gradients_stay_finite_at_0_and_1() -> None:
    a = np.array([[0.0, 1.0]])
    y = np.array([[1.0, 0.0]])
    with np.errstate(all="raise"):
        assert np.isfinite(costs.cross_entropy_grad(a, y)).all()
        assert np.isfinite(costs.binary_cross_entropy_grad(a, y)).all()


def test_log_costs_reject_identity_output() -> None:
    z = np.zeros((1, 2))
    with pytest.raises(ValueError, match="output"):
        costs.cost_value("cross_entropy", "identity", z, z, z)


def test_unknown_cost_lists_the_names() -> None:
    z = np.zeros((1, 2))
    with pytest.raises(ValueError, match="binary_cross_entropy"):
        costs.cost_value("hinge", "softmax", z, z, z)
    with pytest.raises(ValueError, match="cross_entropy"):
        costs.cost_grad("hinge", z, z)


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("cost", ["cross_entropy", "binary_cross_entropy", "mse"])
def test_cost_value_matches_naive_formulas(output: str, cost: str) -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(size=(6, 4)) * 3
    y = rng.uniform(0, 1, size=(6, 4))
    a = sigmoid(z) if output == "sigmoid" else softmax(z)
    naive = {
        "cross_entropy": -np.sum(y * np.log(a)) / 6,
        "binary_cross_entropy": -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / 6,
        "mse": np.sum((a - y) ** 2) / 12,
    }[cost]
    assert costs.cost_value(cost, output, z, a, y) == pytest.approx(naive, rel=1e-12)
