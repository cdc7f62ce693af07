"""Tests written to kill mutmut survivors in mlp/: History bookkeeping, row-wise softmax, SGD.

Each test names the surviving mutant class it kills (see reports/data/mutation.json).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import mlp
from mlp.activations import log1m_softmax, log_softmax, softmax
from verify.checks.training import check_training, param_error

RNG = np.random.default_rng(5)
X = RNG.normal(size=(7, 2))
LABELS = np.array([0, 1, 2, 1, 0, 2, 2])
Y = np.eye(3)[LABELS]


def _net(**kw: Any) -> mlp.MLP:
    args: dict[str, Any] = {"hidden": "tanh", "output": "softmax", "cost": "cross_entropy"}
    args.update(kw)
    return mlp.MLP([2, 4, 3], init="large", seed=3, **args)


def test_history_is_the_running_mean_measured_before_each_update() -> None:
    """Kills: cost_sum = 1.0 / = instead of += / * n, correct = / != / a[+1] (training.py)."""
    net, twin = _net(), _net()
    hist = net.fit(X, Y, epochs=2, batch_size=3, learning_rate=0.4, shuffle=False)
    for epoch in range(2):
        costs, correct = [], 0
        for start in range(0, 7, 3):
            xb, yb = X[start : start + 3], Y[start : start + 3]
            costs.append(twin.cost(xb, yb) * len(xb))
            correct += int(np.sum(twin.predict(xb) == LABELS[start : start + 3]))
            dW, db = twin.gradients(xb, yb)
            twin.set_parameters(
                [w - 0.4 * g for w, g in zip(twin.weights, dW, strict=True)],
                [b - 0.4 * g for b, g in zip(twin.biases, db, strict=True)],
            )
        assert hist.cost[epoch] == pytest.approx(sum(costs) / 7, rel=1e-12)
        assert hist.accuracy[epoch] == pytest.approx(correct / 7, abs=0)
    assert hist.learning_rate == [0.4, 0.4]


def test_validation_history_is_measured_after_each_epoch() -> None:
    """Kills: val_cost None / a[+1], val labels, val_accuracy != / a[-2] (network.py fit)."""
    Xv, Yv = X[:4] * 2.0, Y[[2, 0, 1, 1]]
    net, twin = _net(), _net()
    hist = net.fit(X, Y, 2, 3, 0.4, shuffle=False, validation=(Xv, Yv))
    for epoch in range(2):
        twin.fit(X, Y, 1, 3, 0.4, shuffle=False)
        assert hist.val_cost[epoch] == pytest.approx(twin.cost(Xv, Yv), rel=1e-12)
        assert hist.val_accuracy[epoch] == twin.accuracy(Xv, Yv)
    assert len(hist.val_cost) == len(hist.val_accuracy) == 2


def test_fit_accepts_seed_zero_reproducibly() -> None:
    """Kills: check_int(seed, 'seed', 1) (network.py fit)."""
    a, b = _net(), _net()
    a.fit(X, Y, 1, 2, 0.1, seed=0)
    b.fit(X, Y, 1, 2, 0.1, seed=0)
    assert all(np.array_equal(p, q) for p, q in zip(a.weights, b.weights, strict=True))


def _manual_sgd(net: mlp.MLP, epochs: int, batch: int, eta: float) -> None:
    """Mini-batch SGD in order through ``net.gradients`` (JAX-free, so mutmut can fork it)."""
    for _ in range(epochs):
        for start in range(0, len(X), batch):
            dW, db = net.gradients(X[start : start + batch], Y[start : start + batch])
            net.set_parameters(
                [w - eta * g for w, g in zip(net.weights, dW, strict=True)],
                [b - eta * g for b, g in zip(net.biases, db, strict=True)],
            )


def test_batch_wider_than_the_input_layer_matches_manual_sgd() -> None:
    """Kills: Workspace batch = min(batch_size, n_0) (network.py fit)."""
    net, twin = _net(), _net()
    net.fit(X, Y, 2, 5, 0.3, shuffle=False)  # batch 5 > n_0 = 2; last batch of 2
    _manual_sgd(twin, 2, 5, 0.3)
    assert param_error(net.weights, net.biases, twin.weights, twin.biases)[0] < 1e-12


ROWS = np.array([[0.0, 1.0, -1.0], [1000.0, 1001.0, 999.0], [-800.0, -799.0, -801.0]])


def test_softmax_family_is_row_wise_at_any_offset() -> None:
    """Kills: max/sum over axis None instead of -1 in softmax, log_softmax, log1m_softmax."""
    base = softmax(ROWS[:1])
    a = softmax(ROWS)
    np.testing.assert_allclose(a, np.repeat(base, 3, axis=0), rtol=1e-14)
    np.testing.assert_allclose(np.exp(log_softmax(ROWS)), a, rtol=1e-14)
    np.testing.assert_allclose(log1m_softmax(ROWS), np.log1p(-a), rtol=1e-13)


def test_training_checks_all_pass_on_mlp() -> None:
    """``verify.checks.training`` on the real mlp: every record ok (no false alarm)."""
    records = check_training()
    assert records and all(r.status == "ok" for r in records), [r.message for r in records]
