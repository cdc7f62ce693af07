"""Bad input: each case a ValueError/TypeError naming the argument; odd-but-valid input accepted."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlp import MLP


@pytest.fixture
def net() -> MLP:
    return MLP([3, 4, 2], seed=0)


@pytest.fixture
def XY() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 3)), np.eye(2)[rng.integers(0, 2, size=5)]


# --- constructor ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"layer_sizes": [3]}, ValueError, "layer_sizes: expected at least two"),
        ({"layer_sizes": []}, ValueError, "layer_sizes"),
        ({"layer_sizes": [3, 0, 2]}, ValueError, r"layer_sizes\[1\]"),
        ({"layer_sizes": [3, -1]}, ValueError, r"layer_sizes\[1\]"),
        ({"layer_sizes": [3, 2.5]}, TypeError, r"layer_sizes\[1\]"),
        ({"layer_sizes": [3, True]}, TypeError, r"layer_sizes\[1\]"),
        ({"layer_sizes": "32"}, TypeError, "layer_sizes"),
        ({"layer_sizes": 3}, TypeError, "layer_sizes"),
        ({"hidden": "softmax"}, ValueError, "hidden.*output activation"),
        ({"hidden": "identity"}, ValueError, "hidden.*output activation"),
        ({"hidden": ["tanh", "softmax"], "layer_sizes": [3, 4, 4, 2]}, ValueError, r"hidden\[1\]"),
        ({"hidden": ["tanh"], "layer_sizes": [3, 4, 4, 2]}, ValueError, "hidden: expected one"),
        ({"hidden": "swish"}, ValueError, "hidden: expected one of.*heaviside.*relu"),
        ({"hidden": 3}, TypeError, "hidden"),
        ({"output": "tanh"}, ValueError, "output: expected one of.*identity.*sigmoid.*softmax"),
        ({"cost": "hinge"}, ValueError, "cost: expected one of.*binary_cross_entropy"),
        ({"output": "identity", "cost": "cross_entropy"}, ValueError, "identity"),
        ({"output": "identity", "cost": "binary_cross_entropy"}, ValueError, "identity"),
        ({"init": "xavier"}, ValueError, "init: expected one of.*fan_in"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"dtype": "float16"}, ValueError, "dtype"),
        ({"dtype": "int64"}, ValueError, "dtype"),
        ({"dtype": "nonsense"}, ValueError, "dtype"),
        ({"n_train": 0}, ValueError, "n_train"),
    ],
)
def test_constructor_rejects(kwargs: dict, error: type, match: str) -> None:
    args = {"layer_sizes": [3, 4, 2], **kwargs}
    with pytest.raises(error, match=match):
        MLP(**args)


def test_constructor_accepts_numpy_ints_and_dtypes() -> None:
    net = MLP(np.array([3, 4, 2]), dtype=np.float32, seed=np.int64(3))
    assert net.layer_sizes == (3, 4, 2) and net.dtype == np.float32 and net.seed == 3


# --- arrays --------------------------------------------------------------------------------------


def _calls(net: MLP, X: object, Y: object):
    return [
        lambda: net.gradients(X, Y),
        lambda: net.cost(X, Y),
        lambda: net.fit(X, Y, epochs=1, batch_size=2, learning_rate=0.1),
    ]


@pytest.mark.parametrize(
    ("which", "bad", "error", "match"),
    [
        ("X", np.zeros((5, 4)), ValueError, "X: expected width n_0 = 3"),
        ("X", np.zeros(15), ValueError, "X: expected a 2-D"),
        ("X", np.zeros((5, 3, 1)), ValueError, "X: expected a 2-D"),
        ("X", np.zeros((0, 3)), ValueError, "X: expected a non-empty batch"),
        ("X", np.full((5, 3), np.nan), ValueError, "X: expected finite"),
        ("X", np.full((5, 3), np.inf), ValueError, "X: expected finite"),
        ("X", np.full((5, 3), "a"), TypeError, "X: expected a numeric"),
        ("X", np.zeros((5, 3), dtype=complex), TypeError, "X: expected a numeric"),
        ("X", [[1, 2, 3], [4, 5]], TypeError, "X: expected a numeric"),
        ("X", np.zeros((5, 3), dtype=object), TypeError, "X: expected a numeric"),
        ("Y", np.zeros((5, 3)), ValueError, "Y: expected width n_L = 2"),
        ("Y", np.zeros((4, 2)), ValueError, "Y: expected 5 rows to match X"),
        ("Y", np.full((5, 2), np.nan), ValueError, "Y: expected finite"),
        ("Y", np.zeros(5), ValueError, "Y: expected a 2-D"),
    ],
)
def test_array_checks(
    net: MLP, XY: tuple[np.ndarray, np.ndarray], which: str, bad: object, error: type, match: str
) -> None:
    X, Y = XY
    args = (bad, Y) if which == "X" else (X, bad)
    for call in _calls(net, *args):
        with pytest.raises(error, match=match):
            call()
    if which == "X":
        with pytest.raises(error, match=match):
            net.forward(bad)


def test_float32_overflow_in_the_cast_is_reported() -> None:
    net = MLP([1, 2], dtype="float32")
    with pytest.raises(ValueError, match="overflow in the cast to float32"):
        net.forward([[1e300]])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 2.0}, TypeError, "batch_size"),
        ({"epochs": -1}, ValueError, "epochs"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"learning_rate": -0.1}, ValueError, "learning_rate"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
        ({"learning_rate": float("inf")}, ValueError, "learning_rate"),
        ({"learning_rate": "0.1"}, TypeError, "learning_rate"),
        ({"schedule": "cosine"}, ValueError, "schedule: expected one of.*constant.*linear"),
        ({"validation": (np.zeros((2, 3)),)}, TypeError, "validation"),
        ({"validation": (np.zeros((2, 4)), np.zeros((2, 2)))}, ValueError, r"validation\[0\]"),
        ({"validation": (np.zeros((2, 3)), np.zeros((3, 2)))}, ValueError, r"validation\[1\]"),
        ({"shuffle": "yes"}, TypeError, "shuffle"),
        ({"seed": -3}, ValueError, "seed"),
    ],
)
def test_fit_argument_checks(
    net: MLP, XY: tuple[np.ndarray, np.ndarray], kwargs: dict, error: type, match: str
) -> None:
    X, Y = XY
    args = {"epochs": 1, "batch_size": 2, "learning_rate": 0.1, **kwargs}
    W = net.weights[0].copy()
    with pytest.raises(error, match=match):
        net.fit(X, Y, **args)
    np.testing.assert_array_equal(net.weights[0], W)  # nothing trained


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        ([0, 1, 2, 0, 1], r"labels: expected class indices in \[0, 2\)"),
        ([0, 1, -1, 0, 1], "labels: expected class indices"),
        ([0, 1, 0.5, 0, 1], "labels: expected integer"),
        ([0, 1, 0], "labels: expected 5 rows"),
        (np.zeros((5, 3)), r"labels: expected int labels \(batch,\) or one-hot rows \(batch, 2\)"),
        (np.zeros((5, 2, 1)), "labels"),
        ([0, 1, np.nan, 0, 1], "labels"),
    ],
)
def test_accuracy_label_checks(
    net: MLP, XY: tuple[np.ndarray, np.ndarray], labels: object, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        net.accuracy(XY[0], labels)
    with pytest.raises(TypeError, match="labels: expected a numeric"):
        net.accuracy(XY[0], ["a"] * 5)


# --- accepted odd input --------------------------------------------------------------------------


def test_integer_bool_readonly_and_noncontiguous_inputs_are_accepted(
    net: MLP, XY: tuple[np.ndarray, np.ndarray]
) -> None:
    X, Y = XY
    Xi = np.round(X * 10).astype(np.int32)
    np.testing.assert_array_equal(net.forward(Xi), net.forward(Xi.astype(float)))
    assert net.forward(X > 0).shape == (5, 2)
    Xr, Yr = X.copy(), Y.copy()
    Xr.flags.writeable = False
    Yr.flags.writeable = False
    net.fit(Xr, Yr, epochs=1, batch_size=2, learning_rate=0.1)
    wide = np.zeros((5, 6))
    wide[:, ::2] = X
    Xs = wide[:, ::2]
    assert not Xs.flags.c_contiguous
    np.testing.assert_array_equal(net.forward(Xs), net.forward(X))
    np.testing.assert_array_equal(net.gradients(X.T.copy().T, Y)[0][0], net.gradients(X, Y)[0][0])
    net.fit(np.asfortranarray(X), Y, epochs=1, batch_size=3, learning_rate=0.1)
    assert net.forward([[1, 2, 3]]).shape == (1, 2)  # lists and one-sample batches


def test_one_dimensional_targets_for_a_single_output() -> None:
    net = MLP([2, 1], output="sigmoid", cost="binary_cross_entropy", seed=0)
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert net.cost(X, [0, 1]) == net.cost(X, [[0], [1]])


@given(
    rows=st.integers(1, 4),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
    where=st.integers(0, 11),
    dtype=st.sampled_from(["float32", "float64"]),
)
def test_property_non_finite_anywhere_is_rejected(
    rows: int, bad: float, where: int, dtype: str
) -> None:
    net = MLP([3, 2], dtype=dtype)
    X = np.zeros((rows, 3))
    X.flat[where % X.size] = bad
    with pytest.raises(ValueError, match="X: expected finite"):
        net.forward(X)
    Y = np.zeros((rows, 2))
    Y.flat[where % Y.size] = bad
    with pytest.raises(ValueError, match="Y: expected finite"):
        net.gradients(np.zeros((rows, 3)), Y)


def test_finite_values_whose_sum_overflows_are_accepted() -> None:
    net = MLP([2, 2], output="identity", cost="mse", init="fan_in")
    X = np.full((3, 2), 1e308)  # every column sum overflows to inf, yet every entry is finite
    with np.errstate(all="raise"):
        assert net.forward(X).shape == (3, 2)
    with pytest.raises(
        ValueError, match=r"X: expected finite values, found -inf at index \(2, 1\)"
    ):
        net.forward(np.vstack([X[:2], [[0.0, -np.inf]]]))


def test_one_unit_softmax_is_rejected() -> None:
    with pytest.raises(ValueError, match="softmax output needs n_L >= 2"):
        MLP([3, 1], output="softmax")


# --- numerical failure: never a silent NaN -------------------------------------------------------


def test_diverging_fit_raises_naming_learning_rate_and_restores_the_epoch() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3)) * 100
    Y = rng.normal(size=(20, 2))
    net = MLP([3, 4, 2], hidden="relu", output="identity", cost="mse", init="large", seed=0)
    with pytest.raises(FloatingPointError, match="learning_rate") as info:
        net.fit(X, Y, epochs=50, batch_size=5, learning_rate=1e3)
    assert "diverged in epoch" in str(info.value)
    assert all(np.isfinite(p).all() for p in [*net.weights, *net.biases])


def test_overflowing_forward_raises_instead_of_returning_nan() -> None:
    net = MLP([2, 3], output="softmax", seed=0, init="large")
    net.set_parameters([np.full((3, 2), 1e300)], [np.zeros(3)])
    X = np.array([[1e10, 1e10]])  # z = 2e310: inf, and inf - inf in the softmax
    with pytest.raises(FloatingPointError, match="forward: a"):
        net.forward(X)
    with pytest.raises(FloatingPointError, match="cost"):
        net.cost(X, [[1.0, 0.0, 0.0]])
    with pytest.raises(FloatingPointError, match="gradients"):
        net.gradients(X, [[1.0, 0.0, 0.0]])
