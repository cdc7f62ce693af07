"""Error budgets: no false alarms near saturation, kinks and underflow; real bugs still caught."""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlp
from mlp.activations import sigmoid, sigmoid_prime, tanh, tanh_prime
from verify.gradient.budget import (
    SAFETY,
    SLOPE_ERROR,
    conservative_fd_budget,
    fd_budget,
    machine_eps,
)
from verify.gradient.check import Hooks, check_gradient, check_with_hooks
from verify.jax_reference import activation
from verify.mlp_checks import compare_network, sample_data

# (depth, hidden, output, cost, dtype, batch, weight scale, kink, seed): the soak's pinned cases.
PINNED: list[tuple[int, str, str, str, str, int, float, str, int]] = [
    (3, "relu", "softmax", "binary_cross_entropy", "float64", 1, 1.0, "none", 3),
    (3, "relu", "softmax", "cross_entropy", "float32", 1, 0.1, "none", 290),
    (1, "sigmoid", "sigmoid", "cross_entropy", "float64", 1, 30.0, "none", 0),
    (2, "sigmoid", "identity", "mse", "float64", 1, 8.0, "none", 16547),
    (2, "relu", "softmax", "mse", "float32", 5, 1.0, "exact", 14),
    (3, "relu", "softmax", "cross_entropy", "float32", 1, 1.0, "exact", 3707),
    (1, "sigmoid", "softmax", "binary_cross_entropy", "float32", 1, 30.0, "none", 63638),
    (1, "relu", "softmax", "cross_entropy", "float32", 1, 30.0, "none", 31439),
    (2, "relu", "softmax", "mse", "float32", 1, 30.0, "none", 45661),
    (2, "relu", "identity", "mse", "float32", 5, 1.0, "exact", 21857),
    (3, "relu", "sigmoid", "binary_cross_entropy", "float64", 1, 8.0, "none", 52924),
    (1, "tanh", "softmax", "cross_entropy", "float64", 1, 30.0, "none", 23723),
    (2, "relu", "sigmoid", "binary_cross_entropy", "float32", 1, 0.1, "near", 12662),
]


def _build(
    depth: int,
    act: str,
    output: str,
    cost: str,
    dtype: str,
    batch: int,
    w_scale: float,
    kink: str,
    seed: int,
    cls: type[mlp.MLP] = mlp.MLP,
) -> tuple[mlp.MLP, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The soak's network (tests/test_soak.py Case.build), optionally as a subclass."""
    sizes = [3] + [4] * (depth - 1) + [2]
    net = cls(sizes, hidden=act, output=output, cost=cost, init="large", seed=seed, dtype=dtype)
    W = [w * w_scale for w in net.weights]
    b = [v * w_scale for v in net.biases]
    X, Y = sample_data(output, cost, 3, 2, batch, seed)
    if kink != "none" and depth > 1:
        X[0] = [1.0, 1.0, 0.0]
        W[0][0] = [0.5, -0.5, 0.25]
        b[0][0] = 0.0 if kink == "exact" else (1e-12 if seed % 2 else -1e-12)
    net.set_parameters(W, b)
    return net, X, Y


@pytest.mark.parametrize(
    "case", PINNED, ids=[f"{c[1]}-{c[2]}-{c[3]}-{c[4]}-{c[8]}" for c in PINNED]
)
def test_former_false_alarms_pass(case: tuple[Any, ...]) -> None:
    net, X, Y = _build(*case)
    report = compare_network(net, X, Y, fd_directions=2, seed=case[-1])
    assert report.ok, str(report)


class Scaled(mlp.MLP):
    """Gradients off by a small relative error (a real, if small, bug): 1e-3 in float64, 3e-2 in
    float32 (the dtype table allows ~1e-4 of each entry's term magnitudes there)."""

    def gradients(self, X: Any, Y: Any) -> tuple[list[Any], list[Any]]:
        dW, db = super().gradients(X, Y)
        s = 1.001 if np.dtype(self.dtype) == np.float64 else 1.03
        return [w * s for w in dW], [v * s for v in db]


class HalfCost(mlp.MLP):
    """``net.cost`` halved while the gradients stay right: only finite differences can see it."""

    def cost(self, X: Any, Y: Any) -> float:
        return 0.5 * float(super().cost(X, Y))


@pytest.mark.parametrize("case", [PINNED[0], PINNED[1], PINNED[3], PINNED[4]])
def test_small_gradient_error_still_fails_jax(case: tuple[Any, ...]) -> None:
    net, X, Y = _build(*case, cls=Scaled)
    report = compare_network(net, X, Y, fd_directions=0, seed=case[-1])
    assert not report.ok and not all(b.ok for b in report.blocks), str(report)


@pytest.mark.parametrize("case", [PINNED[0], PINNED[1], PINNED[3], PINNED[4], PINNED[5]])
def test_cost_gradient_mismatch_still_fails_fd_decisively(case: tuple[Any, ...]) -> None:
    net, X, Y = _build(*case, cls=HalfCost)
    report = compare_network(net, X, Y, fd_directions=2, seed=case[-1])
    assert report.fd is not None and not report.fd.ok, str(report)
    assert not report.fd.undecided or len(report.fd.undecided) < len(report.fd.directions)
    assert all(b.ok for b in report.blocks)
    assert not report.ok


def _exact_sigmoid(z: float) -> tuple[float, float]:
    with mpmath.workdps(50):
        e = mpmath.exp(-abs(mpmath.mpf(z)))
        a = 1 / (1 + e) if z >= 0 else e / (1 + e)
        return float(a), float(e / (1 + e) ** 2)


@given(z=st.floats(-60, 60), dtype=st.sampled_from([np.float64, np.float32]))
def test_slope_error_model_bounds_mlp_sigmoid_prime(z: float, dtype: Any) -> None:
    """|fl(a(1-a)) - σ'(z)| <= SLOPE_ERROR eps (|a|, a²) + what z's own rounding moves (eq. 14)."""
    zz = np.array([[z]], dtype=dtype)
    a = sigmoid(zz)
    got = float(sigmoid_prime(zz, a)[0, 0])
    _, exact = _exact_sigmoid(float(zz[0, 0]))
    c0, c1, c2 = SLOPE_ERROR["sigmoid"]
    av = float(a[0, 0])
    eps = machine_eps(dtype)
    assert abs(got - exact) <= eps * (c0 + c1 * av + c2 * av * av) + 4 * eps * exact + 1e-300


@given(z=st.floats(-20, 20), dtype=st.sampled_from([np.float64, np.float32]))
def test_slope_error_model_bounds_mlp_tanh_prime(z: float, dtype: Any) -> None:
    """|fl(1 - a²) - tanh'(z)| <= SLOPE_ERROR eps (1, a²) + relative rounding (eq. 18)."""
    zz = np.array([[z]], dtype=dtype)
    a = tanh(zz)
    got = float(tanh_prime(zz, a)[0, 0])
    with mpmath.workdps(50):
        exact = float(1 - mpmath.tanh(mpmath.mpf(float(zz[0, 0]))) ** 2)
    c0, c1, c2 = SLOPE_ERROR["tanh"]
    av = float(a[0, 0])
    eps = machine_eps(dtype)
    assert abs(got - exact) <= eps * (c0 + c1 * abs(av) + c2 * av * av) + 4 * eps * exact


@pytest.mark.parametrize("z", [-700.0, -40.0, -20.0, -1.0, 0.0, 1.0, 20.0, 40.0, 700.0])
def test_jax_reference_sigmoid_and_slope_are_relatively_accurate(z: float) -> None:
    import jax

    f = activation("sigmoid")
    a = float(f(np.float64(z)))
    slope = float(jax.grad(f)(np.float64(z)))
    a_ex, s_ex = _exact_sigmoid(z)
    eps = machine_eps(np.float64)
    assert abs(a - a_ex) <= 4 * eps * a_ex
    assert abs(slope - s_ex) <= 8 * eps * s_ex + 1e-320
    if z == 0.0:
        assert slope == 0.25


def test_conservative_budget_contains_the_richardson_one() -> None:
    d_h, d_h2, d_h4 = 1.0 + 3e-9, 1.0 + 1e-9, 1.0 + 2e-10
    tight = fd_budget(d_h, d_h2, 1.0, 1e-3, np.float64, 0.0)
    wide = conservative_fd_budget(d_h, d_h2, d_h4, 1.0, 1e-3, np.float64, 0.0)
    assert wide.total > tight.total
    assert wide.truncation * SAFETY >= 2e-9 * 3.9  # the spread itself, not a third of it


def _piecewise(offsets: np.ndarray[Any, Any]) -> tuple[Any, Any]:
    """f(x) = Σ_k relu(x - c_k) with several kinks within one float32 step of x = 0."""

    def f(x: np.ndarray[Any, Any]) -> Any:
        return np.sum(np.maximum(x[0] - offsets, 0).astype(x.dtype)) + x[1] * x[1]

    def g(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.array([np.sum(x[0] >= offsets), 2 * x[1]], dtype=x.dtype)

    return f, g


def test_kinks_within_the_step_are_resolved_by_a_smaller_step() -> None:
    f, g = _piecewise(np.array([2e-3, -1e-3, 3e-3], dtype=np.float32))
    x = np.array([0.0, 0.5], dtype=np.float32)
    res = check_gradient(f, g, x, mode="directional", directions=3, promote=False)
    assert res.ok, str(res)
    wrong = check_with_hooks(
        f, lambda x: 2 * g(x), x, Hooks(undecided_ok=True), mode="directional", directions=3,
        promote=False,
    )  # fmt: skip
    assert not wrong.ok, str(wrong)


def test_underflowing_float32_gradient_is_within_budget_and_float64_floor_is_nil() -> None:
    from verify.gradient.budget import underflow_floor as _underflow_floor

    net, X, _ = _build(*PINNED[6])
    assert 0 < _underflow_floor(net.weights, net.biases, X, np.dtype(np.float32)) < 1e-20
    assert _underflow_floor(net.weights, net.biases, X, np.dtype(np.float64)) < 1e-250


def test_float32_network_is_differenced_through_a_float64_twin() -> None:
    net, X, Y = _build(*PINNED[-1])
    report = compare_network(net, X, Y, fd_directions=2, seed=PINNED[-1][-1])
    assert report.ok, str(report)
    assert report.fd is not None and report.fd.fd_dtype == "float64"
    assert any("float64 twin" in n for n in report.notes)
