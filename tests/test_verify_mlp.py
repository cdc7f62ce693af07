"""verify.checks.network and grid: NumPy backprop agrees with JAX; bugs fail at their layer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlp
from verify.checks.grid import check_mlp, default_grid
from verify.checks.network import compare_network
from verify.checks.network_directional import check_network_directional
from verify.checks.samples import sample_data

PAIRS = sorted(mlp.VALID_PAIRS)
HIDDEN = sorted(mlp.HIDDEN_ACTIVATIONS)


@given(
    hidden=st.sampled_from(HIDDEN),
    pair=st.sampled_from(PAIRS),
    depth=st.integers(1, 3),
    dtype=st.sampled_from(["float64", "float32"]),
    seed=st.integers(0, 2**16),
)
def test_numpy_gradients_agree_with_jax_within_budget(
    hidden: str, pair: tuple[str, str], depth: int, dtype: str, seed: int
) -> None:
    out, cost = pair
    sizes = [3] * depth + [2]  # fixed shapes per depth: JAX compiles each architecture once
    net = mlp.MLP(sizes, hidden=hidden, output=out, cost=cost, init="large", seed=seed, dtype=dtype)
    X, Y = sample_data(out, cost, 3, 2, 4, seed)
    report = compare_network(net, X, Y, fd_directions=1, seed=seed)
    assert report.ok, str(report)
    assert report.first_diverging_layer is None


class Mutant(mlp.MLP):
    """An MLP whose gradients are corrupted after the fact."""

    mutation: str = "none"

    def gradients(self, X: object, Y: object) -> tuple[list[Any], list[Any]]:
        dW, db = super().gradients(X, Y)
        dW, db = [w.copy() for w in dW], [b.copy() for b in db]
        n = np.asarray(X).shape[0]
        if self.mutation == "sign":  # sign flip in layer 2
            dW[1], db[1] = -dW[1], -db[1]
        elif self.mutation == "transpose":  # missing transpose in dW^2 (square)
            dW[1] = dW[1].T.copy()
        elif self.mutation == "batch_mean":  # dropped 1/N everywhere
            dW, db = [w * n for w in dW], [b * n for b in db]
        return dW, db


def _sigmoid(z: Any) -> Any:
    return 0.5 * (1 + np.tanh(0.5 * z))


class OffByOne(mlp.MLP):
    """Hand backprop (sigmoid, softmax + CE) using sigma'(z^l) for delta^{l-1} at one layer."""

    bug_layer = 2  # delta^2 computed with sigma'(z^3): an off-by-one in recurrence (35)

    def gradients(self, X: object, Y: object) -> tuple[list[Any], list[Any]]:
        Xa, Ya = np.asarray(X, dtype=self.dtype), np.asarray(Y, dtype=self.dtype)
        a, zs = [Xa], []
        L = len(self.weights)
        for k, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = a[-1] @ W.T + b
            zs.append(z)
            if k < L - 1:
                a.append(_sigmoid(z))
            else:
                e = np.exp(z - z.max(axis=1, keepdims=True))
                a.append(e / e.sum(axis=1, keepdims=True))
        delta = (a[-1] - Ya) / Xa.shape[0]
        dW: list[Any] = [None] * L
        db: list[Any] = [None] * L
        for k in range(L - 1, -1, -1):  # k = l - 1
            dW[k], db[k] = delta.T @ a[k], delta.sum(axis=0)
            if k > 0:
                z_prev = zs[k] if k == self.bug_layer else zs[k - 1]
                s = _sigmoid(z_prev)
                delta = (delta @ self.weights[k]) * s * (1 - s)
        return dW, db


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    ("mutation", "layer", "needle"),
    [
        ("sign", 2, "sign flip"),
        ("transpose", 2, "db^2 matches"),
        ("batch_mean", 3, "batch mean was dropped"),
    ],
)
def test_broken_gradients_fail_and_name_the_layer(
    mutation: str, layer: int, needle: str, dtype: str
) -> None:
    net = Mutant(
        [4, 4, 4, 3],
        hidden="tanh",
        output="softmax",
        cost="cross_entropy",
        init="large",
        seed=2,
        dtype=dtype,
    )
    net.mutation = mutation
    X, Y = sample_data("softmax", "cross_entropy", 4, 3, 5, 2)
    report = compare_network(net, X, Y)
    assert not report.ok
    assert report.first_diverging_layer == layer
    assert needle in report.diagnosis
    assert f"first diverging layer from the output: {layer}" in str(report)
    assert report.fd is not None and not report.fd.ok
    assert report.fd_arbiter is not None and report.fd_arbiter.ok
    assert "side with JAX" in report.diagnosis


def test_off_by_one_layer_in_the_recurrence_is_localised() -> None:
    net = OffByOne(
        [3, 5, 5, 5, 2],
        hidden="sigmoid",
        output="softmax",
        cost="cross_entropy",
        init="large",
        seed=4,
    )
    X, Y = sample_data("softmax", "cross_entropy", 3, 2, 6, 4)
    report = compare_network(net, X, Y)
    assert not report.ok
    assert report.first_diverging_layer == 2
    assert all(b.ok for b in report.blocks if b.layer >= 3)
    good = OffByOne(
        [3, 5, 5, 5, 2],
        hidden="sigmoid",
        output="softmax",
        cost="cross_entropy",
        init="large",
        seed=4,
    )
    good.bug_layer = -1
    assert compare_network(good, X, Y).ok


def test_directional_fast_mode_passes_and_falls_back_on_failure() -> None:
    net = mlp.MLP(
        [8, 6, 4], hidden="sigmoid", output="softmax", cost="cross_entropy", init="large", seed=1
    )
    X, Y = sample_data("softmax", "cross_entropy", 8, 4, 5, 1)
    ok = check_network_directional(net, X, Y, directions=2, seed=3)
    assert ok.ok and [d["seed"] for d in ok.directions] == [3, 4]
    bad = Mutant(
        [8, 6, 4], hidden="sigmoid", output="softmax", cost="cross_entropy", init="large", seed=1
    )
    bad.mutation = "batch_mean"
    rep = check_network_directional(bad, X, Y, directions=2, seed=3)
    assert not rep.ok and rep.fallback is not None
    assert rep.fallback.first_diverging_layer == 2


def test_check_mlp_records_on_a_small_grid() -> None:
    grid = default_grid()
    assert len(grid) >= 16
    assert {c.hidden[0] for c in grid if c.hidden} == set(HIDDEN)
    assert {(c.output, c.cost) for c in grid} == set(PAIRS)
    assert {len(c.sizes) - 1 for c in grid} == {1, 2, 3, 4}
    records = check_mlp(grid[:2], fd_directions=1)
    assert all(r.status == "ok" and r.kind == "numeric" for r in records), records
    assert records[0].details["blocks"][0]["block"].startswith("dW^")


def test_compare_network_leaves_parameters_untouched_and_rejects_bad_input() -> None:
    net = mlp.MLP([3, 4, 2], hidden="relu", output="sigmoid", cost="mse", init="large", seed=0)
    before = [p.copy() for p in [*net.weights, *net.biases]]
    X, Y = sample_data("sigmoid", "mse", 3, 2, 4, 0)
    compare_network(net, X, Y)
    assert all(
        np.array_equal(p, q) for p, q in zip(before, [*net.weights, *net.biases], strict=True)
    )
    with pytest.raises(ValueError, match="X, Y"):
        compare_network(net, X[0], Y)
    with pytest.raises(TypeError, match="weights"):
        compare_network(object(), X, Y)
