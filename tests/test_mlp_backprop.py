"""Back-propagation, eqs. (32)-(37) corrected: gradients vs central differences, buffers, dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mlp import HIDDEN_ACTIVATIONS, MLP, VALID_PAIRS
from mlp.backprop import Workspace, backward, forward, gradients
from mlp.layout import WEIGHT_ORDER, weight_order

HIDDEN = sorted(HIDDEN_ACTIVATIONS)
PAIRS = sorted(VALID_PAIRS)


def fd_gradients(net: MLP, X: np.ndarray, Y: np.ndarray, h: float = 1e-6):
    """Central differences of the batch-mean cost in every W^l_jk and b^l_j."""
    out = []
    for params in (net.weights, net.biases):
        grads = []
        for p in params:
            g = np.empty_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + h
                c_plus = net.cost(X, Y)
                p[idx] = old - h
                c_minus = net.cost(X, Y)
                p[idx] = old
                g[idx] = (c_plus - c_minus) / (2 * h)
            grads.append(g)
        out.append(grads)
    return out[0], out[1]


def problem(output: str, sizes: list[int], batch: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, sizes[0]))
    if output == "identity":
        Y = rng.normal(size=(batch, sizes[-1]))
    elif output == "softmax" and sizes[-1] > 1:
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=batch)]
    else:
        Y = rng.uniform(0, 1, size=(batch, sizes[-1]))
    return X, Y


def assert_grads_close(got, want, rtol: float, atol: float) -> None:
    for g, w in zip([*got[0], *got[1]], [*want[0], *want[1]], strict=True):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("output", "cost"), PAIRS)
def test_backprop_matches_central_differences(hidden: str, output: str, cost: str) -> None:
    sizes = [4, 5, 3, 3]
    net = MLP(sizes, hidden=hidden, output=output, cost=cost, init="large", seed=1)
    X, Y = problem(output, sizes, 6, 2)
    assert_grads_close(net.gradients(X, Y), fd_gradients(net, X, Y), rtol=1e-5, atol=1e-8)


def test_mixed_hidden_layers_and_no_hidden_layer() -> None:
    net = MLP([3, 4, 4, 4, 2], hidden=["tanh", "relu", "sigmoid"], output="sigmoid",
              cost="binary_cross_entropy", init="large", seed=3)  # fmt: skip
    X, Y = problem("sigmoid", [3, 4, 4, 4, 2], 5, 4)
    assert_grads_close(net.gradients(X, Y), fd_gradients(net, X, Y), rtol=1e-5, atol=1e-8)
    logistic = MLP([3, 1], output="sigmoid", cost="binary_cross_entropy", init="large", seed=3)
    X, Y = problem("sigmoid", [3, 1], 5, 4)
    assert_grads_close(logistic.gradients(X, Y), fd_gradients(logistic, X, Y), rtol=1e-5, atol=1e-8)


def test_gradient_is_the_batch_mean_of_per_sample_gradients() -> None:
    net = MLP([3, 4, 2], hidden="tanh", output="softmax", seed=5, init="large")
    X, Y = problem("softmax", [3, 4, 2], 7, 6)
    dW, db = net.gradients(X, Y)
    per = [net.gradients(X[i : i + 1], Y[i : i + 1]) for i in range(7)]
    for layer in range(2):
        np.testing.assert_allclose(dW[layer], np.mean([p[0][layer] for p in per], axis=0))
        np.testing.assert_allclose(db[layer], np.mean([p[1][layer] for p in per], axis=0))


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("output", "cost"), PAIRS)
def test_workspace_path_is_bit_identical(hidden: str, output: str, cost: str) -> None:
    sizes = [5, 4, 3]
    net = MLP(sizes, hidden=hidden, output=output, cost=cost, init="large", seed=7)
    X, Y = problem(output, sizes, 8, 8)
    acts = net.activations
    ws = Workspace.allocate(sizes, 8, np.float64)
    np.copyto(ws.x, X)
    np.copyto(ws.y, Y)
    z, a = forward(net.weights, net.biases, acts, ws.x, ws)
    assert z[0] is ws.z[0] and a[-1] is ws.a[-1]
    dW, db = backward(net.weights, acts, cost, z, a, ws.y, ws=ws)
    assert dW[0] is ws.dW[0]
    ref_W, ref_b = gradients(net.weights, net.biases, acts, cost, X, Y)
    for p, q in zip([*dW, *db], [*ref_W, *ref_b], strict=True):
        np.testing.assert_array_equal(p, q)
    # a smaller last batch uses row views of the same buffers
    head = ws.head(3)
    assert np.shares_memory(head.x, ws.x) and head.x.flags.c_contiguous
    np.copyto(head.x, X[:3])
    np.copyto(head.y, Y[:3])
    z, a = forward(net.weights, net.biases, acts, head.x, head)
    dW, db = backward(net.weights, acts, cost, z, a, head.y, ws=head)
    ref_W, ref_b = gradients(net.weights, net.biases, acts, cost, X[:3], Y[:3])
    for p, q in zip([*dW, *db], [*ref_W, *ref_b], strict=True):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_workspace_layout_per_dtype_gives_the_same_gradient(dtype: Any) -> None:
    """dW buffers in WEIGHT_ORDER (Fortran in float32): same shape, same values as ``gradients``
    (to float32 rounding: another GEMM kernel sums in another order)."""
    sizes = [7, 5, 3]
    net = MLP(sizes, hidden="tanh", output="softmax", cost="cross_entropy", seed=3, dtype=dtype)
    X, Y = problem("softmax", sizes, 6, 4)
    X, Y = X.astype(dtype), Y.astype(dtype)
    ws = Workspace.allocate(sizes, 6, dtype, weight_order(dtype))
    fortran = WEIGHT_ORDER[np.dtype(dtype)] == "F"
    assert all(b.flags.f_contiguous == fortran for b in ws.dW)
    np.copyto(ws.x, X)
    np.copyto(ws.y, Y)
    z, a = forward(net.weights, net.biases, net.activations, ws.x, ws)
    dW, db = backward(net.weights, net.activations, "cross_entropy", z, a, ws.y, ws=ws)
    ref_W, ref_b = gradients(net.weights, net.biases, net.activations, "cross_entropy", X, Y)
    rtol = 1e-5 if dtype == np.float32 else 0.0
    for p, q in zip([*dW, *db], [*ref_W, *ref_b], strict=True):
        assert p.shape == q.shape and p.dtype == q.dtype
        np.testing.assert_allclose(p, q, rtol=rtol, atol=rtol * float(np.abs(q).max()))


def test_backward_scale_and_argument_checks() -> None:
    net = MLP([3, 4, 2], seed=0, init="large")
    X, Y = problem("softmax", [3, 4, 2], 4, 0)
    z, a = forward(net.weights, net.biases, net.activations, X)
    dW, _ = backward(net.weights, net.activations, "cross_entropy", z, a, Y)
    dW2, _ = backward(net.weights, net.activations, "cross_entropy", z, a, Y, scale=0.5)
    np.testing.assert_allclose(dW2[0], dW[0] * 4 * 0.5)
    with pytest.raises(ValueError, match="entries"):
        backward(net.weights, net.activations, "cross_entropy", z, a[1:], Y)


def test_heaviside_hidden_layers_pass_no_gradient() -> None:
    net = MLP([3, 4, 2], hidden="heaviside", seed=0, init="large")
    X, Y = problem("softmax", [3, 4, 2], 4, 0)
    dW, db = net.gradients(X, Y)
    assert not dW[0].any() and not db[0].any()  # eq. (22): H' = 0
    assert dW[1].any()


@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    data=st.data(),
    batch=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_property_backprop_matches_central_differences(
    sizes: list[int], data: st.DataObject, batch: int, seed: int
) -> None:
    output, cost = data.draw(st.sampled_from(PAIRS), label="pair")
    if output == "softmax":
        sizes = [*sizes[:-1], max(2, sizes[-1])]  # a one-unit softmax is rejected
    hidden = data.draw(
        st.lists(st.sampled_from(HIDDEN), min_size=len(sizes) - 2, max_size=len(sizes) - 2),
        label="hidden",
    )
    net = MLP(sizes, hidden=hidden, output=output, cost=cost, init="fan_in", seed=seed)
    X, Y = problem(output, sizes, batch, seed + 1)
    z, _ = forward(net.weights, net.biases, net.activations, X)
    for name, z_l in zip(hidden, z, strict=False):  # central differences are invalid at a kink
        assume(name not in {"relu", "heaviside"} or np.abs(z_l).min() > 1e-4)
    assert_grads_close(net.gradients(X, Y), fd_gradients(net, X, Y), rtol=1e-4, atol=1e-7)


@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    pair=st.sampled_from(PAIRS),
    hidden=st.sampled_from(["sigmoid", "tanh"]),
    batch=st.integers(1, 9),
    seed=st.integers(0, 2**16),
)
def test_property_float32_tracks_float64(
    sizes: list[int], pair: tuple[str, str], hidden: str, batch: int, seed: int
) -> None:
    output, cost = pair
    if output == "softmax":
        sizes = [*sizes[:-1], max(2, sizes[-1])]
    net64 = MLP(sizes, hidden=hidden, output=output, cost=cost, init="fan_in", seed=seed)
    net32 = MLP(sizes, hidden=hidden, output=output, cost=cost, init="fan_in", seed=seed,
                dtype="float32")  # fmt: skip
    net64.set_parameters(net32.weights, net32.biases)  # the same (float32-rounded) parameters
    X, Y = problem(output, sizes, batch, seed + 1)
    X, Y = X.astype(np.float32), Y.astype(np.float32)
    g32, g64 = net32.gradients(X, Y), net64.gradients(X, Y)
    for p in [*g32[0], *g32[1]]:
        assert p.dtype == np.float32
    assert net32.forward(X).dtype == np.float32
    assert_grads_close(g32, g64, rtol=2e-3, atol=2e-5)
