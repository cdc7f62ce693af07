"""Hypothesis properties: any architecture, pair, batch size, dtype; extreme values stay finite."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlp import HIDDEN_ACTIVATIONS, MLP, VALID_PAIRS
from mlp.activations import ACTIVATIONS
from mlp.costs import cost_value
from mlp.deltas import output_delta

PAIRS = sorted(VALID_PAIRS)
HIDDEN = sorted(HIDDEN_ACTIVATIONS)
RAISE = {"over": "raise", "divide": "raise", "invalid": "raise"}  # underflow to 0 is exact rounding


def targets(output: str, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    if output == "identity":
        return rng.normal(size=shape)
    if output == "softmax" and shape[1] > 1:
        return np.eye(shape[1])[rng.integers(0, shape[1], size=shape[0])]
    return rng.integers(0, 2, size=shape).astype(float)


@given(
    pair=st.sampled_from(PAIRS),
    dtype=st.sampled_from([np.float32, np.float64]),
    z=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
        elements=st.floats(-1000, 1000),
    ),
    seed=st.integers(0, 2**16),
)
def test_property_extreme_logits_give_finite_costs_and_deltas(
    pair: tuple[str, str], dtype: type, z: np.ndarray, seed: int
) -> None:
    output, cost = pair
    z = z.astype(dtype)
    y = targets(output, np.random.default_rng(seed), z.shape).astype(dtype)
    with np.errstate(**RAISE):
        a = ACTIVATIONS[output].forward(z, None, None)
        c = cost_value(cost, output, z, a, y)
        delta = output_delta(output, cost, z, a, y)
    assert a.dtype == dtype and delta.dtype == dtype
    assert np.isfinite(a).all() and np.isfinite(delta).all()
    if not (output == "softmax" and cost == "binary_cross_entropy" and z.shape[1] == 1):
        assert np.isfinite(c) and c >= 0  # (a one-column softmax is the constant 1: ln 0)


@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    data=st.data(),
    n=st.integers(1, 30),
    batch_size=st.integers(1, 40),
    dtype=st.sampled_from(["float32", "float64"]),
    init=st.sampled_from(["large", "default", "fan_in"]),
    schedule=st.sampled_from(["constant", "linear"]),
    seed=st.integers(0, 2**16),
)
def test_property_fit_is_finite_deterministic_and_keeps_dtype(
    sizes: list[int],
    data: st.DataObject,
    n: int,
    batch_size: int,
    dtype: str,
    init: str,
    schedule: str,
    seed: int,
) -> None:
    output, cost = data.draw(st.sampled_from(PAIRS), label="pair")
    if output == "softmax":
        sizes = [*sizes[:-1], max(2, sizes[-1])]  # a one-unit softmax is rejected
    hidden = data.draw(
        st.lists(st.sampled_from(HIDDEN), min_size=len(sizes) - 2, max_size=len(sizes) - 2),
        label="hidden",
    )
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0]))
    Y = targets(output, rng, (n, sizes[-1]))

    def run() -> tuple[MLP, object]:
        net = MLP(sizes, hidden=hidden, output=output, cost=cost, init=init, seed=seed,
                  dtype=dtype)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no RuntimeWarning of any kind
            h = net.fit(X, Y, epochs=2, batch_size=batch_size, learning_rate=0.05,
                        schedule=schedule, validation=(X, Y), seed=seed)  # fmt: skip
        return net, h

    (net, h), (net2, h2) = run(), run()
    assert h == h2
    for p, q in zip([*net.weights, *net.biases], [*net2.weights, *net2.biases], strict=True):
        assert p.dtype == np.dtype(dtype) and p.tobytes() == q.tobytes()
        assert np.isfinite(p).all()
    assert len(h.cost) == 2 and np.isfinite(h.cost).all() and np.isfinite(h.val_cost).all()
    assert net.forward(X).dtype == np.dtype(dtype)


@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    batch=st.integers(1, 8),
    pair=st.sampled_from(PAIRS),
    scale=st.sampled_from([1.0, 30.0, 300.0]),
    seed=st.integers(0, 2**16),
)
def test_property_large_weights_give_finite_gradients(
    sizes: list[int], batch: int, pair: tuple[str, str], scale: float, seed: int
) -> None:
    # logits up to ~300 · sqrt(6) · 4: large but finite, so every result must be finite
    output, cost = pair
    if output == "softmax":
        sizes = [*sizes[:-1], max(2, sizes[-1])]
    net = MLP(sizes, hidden="sigmoid", output=output, cost=cost, init="large", seed=seed)
    net.set_parameters([W * scale for W in net.weights], [b * scale for b in net.biases])
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, sizes[0]))
    Y = targets(output, rng, (batch, sizes[-1]))
    with np.errstate(**RAISE):
        dW, db = net.gradients(X, Y)
        c = net.cost(X, Y)
    assert np.isfinite(c)
    for g in [*dW, *db]:
        assert np.isfinite(g).all()
