"""The MLP class: API, init (sec. 5.2), SGD (sec. 5), schedules (eq. 23), accuracy (eq. 24)."""

from __future__ import annotations

import numpy as np
import pytest

import mlp
from mlp import MLP, History


def blobs(n: int, seed: int, k: int = 3, d: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k Gaussian blobs in d dimensions: inputs, int labels, one-hot targets."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 3
    labels = rng.integers(0, k, size=n)
    X = centres[labels] + rng.normal(size=(n, d))
    return X, labels, np.eye(k)[labels]


def test_public_api_example() -> None:
    net = MLP([64, 32, 10], hidden="sigmoid", output="softmax", cost="cross_entropy",
              init="default", seed=0, dtype="float64")  # fmt: skip
    assert [W.shape for W in net.weights] == [(32, 64), (10, 32)]  # eq. (4): (n_l, n_{l-1})
    assert [b.shape for b in net.biases] == [(32,), (10,)]
    X = np.random.default_rng(0).normal(size=(5, 64))
    A = net.forward(X)
    assert A.shape == (5, 10)
    np.testing.assert_allclose(A.sum(axis=1), 1.0)
    Y = np.eye(10)[[0, 1, 2, 3, 4]]
    dW, db = net.gradients(X, Y)
    assert [g.shape for g in dW] == [(32, 64), (10, 32)] and [g.shape for g in db] == [(32,), (10,)]
    assert np.isfinite(net.cost(X, Y))
    history = net.fit(X, Y, epochs=2, batch_size=2, learning_rate=0.1)
    assert isinstance(history, History) and len(history.cost) == 2
    assert 0.0 <= net.accuracy(X, [0, 1, 2, 3, 4]) <= 1.0


def test_exports() -> None:
    for name in ["MLP", "HIDDEN_ACTIVATIONS", "OUTPUT_ACTIVATIONS", "COSTS", "VALID_PAIRS",
                 "INITS", "SCHEDULES", "History"]:  # fmt: skip
        assert name in mlp.__all__
    assert {"sigmoid", "tanh", "relu", "heaviside"} == mlp.HIDDEN_ACTIVATIONS
    assert {"large", "default", "fan_in"} == mlp.INITS
    assert {"constant", "linear"} == mlp.SCHEDULES
    assert {"mse", "cross_entropy", "binary_cross_entropy"} == mlp.COSTS


def test_forward_is_eq6_by_hand() -> None:
    net = MLP([3, 4, 2], hidden="tanh", output="sigmoid", cost="mse", init="large", seed=1)
    X = np.random.default_rng(2).normal(size=(5, 3))
    W1, W2 = net.weights
    b1, b2 = net.biases
    a1 = np.tanh(X @ W1.T + b1)
    expected = 1 / (1 + np.exp(-(a1 @ W2.T + b2)))
    np.testing.assert_allclose(net.forward(X), expected, rtol=1e-14)


# --- initialisation, sec. 5.2 -------------------------------------------------------------------


def test_init_scales() -> None:
    sizes = [400, 300, 200]
    large = MLP(sizes, init="large", seed=0)
    default = MLP(sizes, init="default", seed=0, n_train=100)
    fan_in = MLP(sizes, init="fan_in", seed=0)
    assert np.std(large.weights[0]) == pytest.approx(1.0, rel=0.02)
    assert np.std(large.biases[0]) == pytest.approx(1.0, rel=0.15)
    assert np.std(default.weights[0]) == pytest.approx(0.1, rel=0.02)  # variance 1/N_train
    assert np.std(default.biases[1]) == pytest.approx(0.1, rel=0.15)
    assert np.std(fan_in.weights[0]) == pytest.approx(1 / np.sqrt(400), rel=0.02)
    assert np.std(fan_in.weights[1]) == pytest.approx(1 / np.sqrt(300), rel=0.02)
    assert not fan_in.biases[0].any()
    # the same standard normals, scaled
    np.testing.assert_allclose(default.weights[1], large.weights[1] / 10)
    assert default.n_train == 100


def test_default_init_is_redrawn_with_n_train_at_first_fit() -> None:
    X, _, Y = blobs(50, 0)
    net = MLP([4, 5, 3], init="default", seed=3)
    assert net.n_train is None
    np.testing.assert_array_equal(net.weights[0], MLP([4, 5, 3], init="large", seed=3).weights[0])
    W0 = net.weights[0]
    net.fit(X, Y, epochs=0, batch_size=10, learning_rate=0.1)
    assert net.n_train == 50
    assert net.weights[0] is W0  # redrawn in place
    expected = MLP([4, 5, 3], init="default", seed=3, n_train=50)
    for p, q in zip(
        [*net.weights, *net.biases], [*expected.weights, *expected.biases], strict=True
    ):
        np.testing.assert_array_equal(p, q)
    net.fit(X[:10], Y[:10], epochs=0, batch_size=10, learning_rate=0.1)
    assert net.n_train == 50  # only the first fit


def test_default_init_keeps_parameters_the_user_set() -> None:
    X, _, Y = blobs(50, 0)
    net = MLP([4, 5, 3], init="default", seed=3)
    net.weights[0][0, 0] = 0.5  # in-place edit
    net.fit(X, Y, epochs=0, batch_size=10, learning_rate=0.1)
    assert net.weights[0][0, 0] == 0.5 and net.n_train is None
    other = MLP([4, 5, 3], init="default", seed=3)
    other.set_parameters(other.weights, other.biases)
    W = other.weights[0].copy()
    other.fit(X, Y, epochs=0, batch_size=10, learning_rate=0.1)
    np.testing.assert_array_equal(other.weights[0], W)


def test_set_parameters_copies_casts_and_validates() -> None:
    net = MLP([3, 2], dtype="float32", seed=0)
    W = np.ones((2, 3))
    b = np.arange(2)
    net.set_parameters([W], [b])
    assert net.weights[0].dtype == np.float32 and net.biases[0].dtype == np.float32
    W[0, 0] = 7
    assert net.weights[0][0, 0] == 1.0
    with pytest.raises(ValueError, match=r"weights\[0\]"):
        net.set_parameters([np.ones((3, 2))], [b])
    with pytest.raises(ValueError, match=r"biases\[0\]"):
        net.set_parameters([W], [np.ones(3)])
    with pytest.raises(ValueError, match="finite"):
        net.set_parameters([W * np.nan], [b])
    with pytest.raises(ValueError, match="expected 1"):
        net.set_parameters([W, W], [b, b])


def test_weights_settable_in_place() -> None:
    net = MLP([2, 2], output="identity", cost="mse", seed=0)
    net.weights[0][...] = np.eye(2)
    net.biases[0][...] = 1.0
    np.testing.assert_array_equal(net.forward([[1.0, 2.0]]), [[2.0, 3.0]])


# --- training, sec. 5 ---------------------------------------------------------------------------


def test_training_reduces_cost_and_learns() -> None:
    X, labels, Y = blobs(300, 1)
    net = MLP([4, 8, 3], hidden="tanh", seed=0, init="fan_in")
    before, acc_before = net.cost(X, Y), net.accuracy(X, labels)
    history = net.fit(X, Y, epochs=15, batch_size=16, learning_rate=0.1, seed=1)
    assert net.cost(X, Y) < 0.5 * before
    assert history.cost[-1] < history.cost[0]
    assert net.accuracy(X, labels) > max(0.8, acc_before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fit_is_deterministic_bit_for_bit(dtype: str) -> None:
    X, _, Y = blobs(100, 2)

    def run() -> tuple[MLP, History]:
        net = MLP([4, 6, 3], seed=5, dtype=dtype)
        return net, net.fit(X, Y, epochs=3, batch_size=7, learning_rate=0.2, seed=9,
                            validation=(X[:20], Y[:20]))  # fmt: skip

    (n1, h1), (n2, h2) = run(), run()
    for p, q in zip([*n1.weights, *n1.biases], [*n2.weights, *n2.biases], strict=True):
        assert p.dtype == np.dtype(dtype)
        assert p.tobytes() == q.tobytes()
    assert h1 == h2


def test_shuffle_seed_changes_the_path() -> None:
    X, _, Y = blobs(60, 3)
    a, b = MLP([4, 3], seed=0), MLP([4, 3], seed=0)
    a.fit(X, Y, epochs=1, batch_size=5, learning_rate=0.1, seed=1)
    b.fit(X, Y, epochs=1, batch_size=5, learning_rate=0.1, seed=2)
    assert not np.array_equal(a.weights[0], b.weights[0])


def test_repeated_fits_without_seed_shuffle_afresh_but_reproducibly() -> None:
    X, _, Y = blobs(12, 3)
    net = MLP([4, 3], seed=4, init="fan_in")
    ref = MLP([4, 3], seed=4, init="fan_in")
    for k in range(2):
        net.fit(X, Y, epochs=1, batch_size=5, learning_rate=0.1)
        perm = np.random.default_rng((4, k)).permutation(12)  # seed=None: (seed, k-th call)
        for start in (0, 5, 10):
            idx = perm[start : start + 5]
            dW, db = ref.gradients(X[idx], Y[idx])
            ref.set_parameters([ref.weights[0] - 0.1 * dW[0]], [ref.biases[0] - 0.1 * db[0]])
        np.testing.assert_allclose(net.weights[0], ref.weights[0], rtol=1e-12)


def test_one_update_per_mini_batch_and_a_partial_last_batch() -> None:
    X, _, Y = blobs(7, 4)
    net = MLP([4, 5, 3], seed=0, init="fan_in")
    ref = MLP([4, 5, 3], seed=0, init="fan_in")
    eta = 0.3
    net.fit(X, Y, epochs=2, batch_size=3, learning_rate=eta, shuffle=False)
    for _ in range(2):
        for start in (0, 3, 6):  # batches of 3, 3 and 1 samples
            dW, db = ref.gradients(X[start : start + 3], Y[start : start + 3])
            ref.set_parameters(
                [W - eta * g for W, g in zip(ref.weights, dW, strict=True)],
                [b - eta * g for b, g in zip(ref.biases, db, strict=True)],
            )
    for p, q in zip([*net.weights, *net.biases], [*ref.weights, *ref.biases], strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-14)


def test_float32_fit_trains_in_its_layout_and_writes_back_in_place() -> None:
    """float32 trains on Fortran-ordered copies of W^l (WEIGHT_ORDER): the user's arrays are the
    same objects afterwards, C-ordered, and hold SGD's result (to float32 rounding)."""
    X, _, Y = blobs(7, 4)
    net = MLP([4, 5, 3], seed=0, init="fan_in", dtype="float32")
    ref = MLP([4, 5, 3], seed=0, init="fan_in", dtype="float32")
    held = list(net.weights)
    eta = 0.3
    net.fit(X, Y, epochs=2, batch_size=3, learning_rate=eta, shuffle=False)
    assert all(W is H and W.flags.c_contiguous for W, H in zip(net.weights, held, strict=True))
    for _ in range(2):
        for start in (0, 3, 6):
            dW, db = ref.gradients(X[start : start + 3], Y[start : start + 3])
            ref.set_parameters(
                [W - eta * g for W, g in zip(ref.weights, dW, strict=True)],
                [b - eta * g for b, g in zip(ref.biases, db, strict=True)],
            )
    for p, q in zip([*net.weights, *net.biases], [*ref.weights, *ref.biases], strict=True):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("scored", [1, 1 << 16])
def test_history_is_each_batch_scored_before_its_update(
    scored: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Running cost and accuracy: each batch's cost and hits at the parameters it saw, whether
    they are scored after every batch (``SCORED_ELEMENTS`` = 1) or once per epoch."""
    import mlp.training

    monkeypatch.setattr(mlp.training, "SCORED_ELEMENTS", scored)
    X, labels, Y = blobs(10, 5)
    net = MLP([4, 6, 3], seed=1, init="fan_in")
    ref = MLP([4, 6, 3], seed=1, init="fan_in")
    eta = 0.4
    history = net.fit(X, Y, epochs=2, batch_size=4, learning_rate=eta, seed=3)
    rng = np.random.default_rng(3)
    for epoch in range(2):
        perm = rng.permutation(10)
        cost = hits = 0.0
        for start in (0, 4, 8):  # batches of 4, 4 and 2
            idx = perm[start : start + 4]
            cost += len(idx) * ref.cost(X[idx], Y[idx])
            hits += float(np.sum(ref.predict(X[idx]) == labels[idx]))
            dW, db = ref.gradients(X[idx], Y[idx])
            ref.set_parameters(
                [W - eta * g for W, g in zip(ref.weights, dW, strict=True)],
                [b - eta * g for b, g in zip(ref.biases, db, strict=True)],
            )
        assert history.cost[epoch] == pytest.approx(cost / 10, rel=1e-12)
        assert history.accuracy[epoch] == hits / 10


def test_shuffled_epoch_is_sgd_over_a_permutation() -> None:
    X, _, Y = blobs(10, 5)
    net = MLP([4, 3], seed=0, init="fan_in")
    ref = MLP([4, 3], seed=0, init="fan_in")
    net.fit(X, Y, epochs=1, batch_size=4, learning_rate=0.5, seed=11)
    perm = np.random.default_rng(11).permutation(10)
    for start in (0, 4, 8):
        idx = perm[start : start + 4]
        dW, db = ref.gradients(X[idx], Y[idx])
        ref.set_parameters([ref.weights[0] - 0.5 * dW[0]], [ref.biases[0] - 0.5 * db[0]])
    np.testing.assert_allclose(net.weights[0], ref.weights[0], rtol=1e-12)


def test_linear_schedule_eq23_and_history() -> None:
    X, _, Y = blobs(40, 6)
    net = MLP([4, 3], seed=0)
    h = net.fit(X, Y, epochs=4, batch_size=8, learning_rate=0.5, schedule="linear",
                validation=(X[:10], Y[:10]))  # fmt: skip
    assert h.learning_rate == pytest.approx([0.5 * (1 - i / 5) for i in range(1, 5)])
    assert len(h.cost) == len(h.accuracy) == len(h.val_cost) == len(h.val_accuracy) == 4
    assert all(0 <= x <= 1 for x in h.accuracy + h.val_accuracy)
    h = net.fit(X, Y, epochs=3, batch_size=8, learning_rate=0.5)
    assert h.learning_rate == [0.5] * 3 and h.val_cost == [] and h.val_accuracy == []
    assert net.fit(X, Y, epochs=0, batch_size=8, learning_rate=0.5) == History()


def test_regression_with_identity_output() -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(200, 3))
    Y = X @ rng.normal(size=(3, 2)) + 0.5
    net = MLP([3, 2], output="identity", cost="mse", init="fan_in", seed=0)
    h = net.fit(X, Y, epochs=30, batch_size=20, learning_rate=0.1, validation=(X, Y))
    assert net.cost(X, Y) < 1e-3
    assert h.accuracy == [] and h.val_accuracy == [] and len(h.val_cost) == 30
    with pytest.raises(ValueError, match="identity"):
        net.accuracy(X, np.zeros(200, dtype=int))


def test_batch_larger_than_data_and_single_sample() -> None:
    X, _, Y = blobs(5, 8)
    net = MLP([4, 3], seed=0)
    h = net.fit(X, Y, epochs=2, batch_size=100, learning_rate=0.1)
    assert len(h.cost) == 2
    h = net.fit(X[:1], Y[:1], epochs=2, batch_size=1, learning_rate=0.1)
    assert np.isfinite(h.cost).all()
    assert net.forward(X[:1]).shape == (1, 3)
    assert [g.shape for g in net.gradients(X[:1], Y[:1])[0]] == [(3, 4)]


def test_huge_logits_finite_cost_and_gradients() -> None:
    for output, cost in sorted(mlp.VALID_PAIRS):
        net = MLP([2, 2], output=output, cost=cost, seed=0)
        net.set_parameters([np.array([[1000.0, 0.0], [-1000.0, 0.0]])], [np.zeros(2)])
        X = np.array([[1.0, 0.0], [-1.0, 0.0]])
        Y = np.array([[0.0, 1.0], [0.0, 1.0]])
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            assert np.isfinite(net.cost(X, Y))
            dW, db = net.gradients(X, Y)
        assert np.isfinite(dW[0]).all() and np.isfinite(db[0]).all()


# --- accuracy, eq. (24) -------------------------------------------------------------------------


def test_accuracy_eq24_with_int_and_one_hot_labels() -> None:
    net = MLP([2, 3], output="softmax", seed=0)
    net.set_parameters([np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])], [np.zeros(3)])
    X = np.array([[5.0, 0.0], [0.0, 5.0], [-5.0, -5.0], [5.0, 0.0]])  # predicts 0, 1, 2, 0
    labels = np.array([0, 1, 2, 2])
    assert net.accuracy(X, labels) == 0.75
    assert net.accuracy(X, np.eye(3)[labels]) == 0.75
    assert net.accuracy(X, labels.astype(float)) == 0.75
    np.testing.assert_array_equal(net.predict(X), [0, 1, 2, 0])


def test_accuracy_single_sigmoid_output_thresholds_at_half() -> None:
    net = MLP([1, 1], output="sigmoid", cost="binary_cross_entropy", seed=0)
    net.set_parameters([np.array([[1.0]])], [np.zeros(1)])
    X = np.array([[-2.0], [0.0], [3.0], [-1.0]])  # σ: <1/2, =1/2, >1/2, <1/2 -> 0, 1, 1, 0
    assert net.accuracy(X, [0, 1, 1, 1]) == 0.75
    assert net.accuracy(X, np.array([[0.0], [1.0], [1.0], [1.0]])) == 0.75
