"""Activations, eqs. (13)-(22): values, derivatives vs central differences, softmax JVP."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlp import activations as act

ELEMENTWISE = ["sigmoid", "tanh", "relu", "heaviside", "identity"]
REFERENCE = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z >= 0, z, 0.0),
    "heaviside": lambda z: np.where(z >= 0, 1.0, 0.0),
    "identity": lambda z: z,
}


def central_diff(f, z: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Elementwise derivative of an elementwise f by central differences."""
    return (f(z + h) - f(z - h)) / (2 * h)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_forward_matches_definition(name: str) -> None:
    z = np.linspace(-6, 6, 61).reshape(61, 1)
    np.testing.assert_allclose(act.ACTIVATIONS[name].forward(z, None, None), REFERENCE[name](z))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_difference(name: str) -> None:
    rng = np.random.default_rng(0)
    z = rng.uniform(-5, 5, size=(20, 7))
    z = z[np.abs(z) > 1e-3].reshape(-1, 1)  # kinks of relu/heaviside at 0
    f = act.ACTIVATIONS[name]
    a = f.forward(z, None, None)
    assert f.derivative is not None
    d = f.derivative(z, a, None)
    fd = central_diff(lambda t: f.forward(t, None, None), z)
    np.testing.assert_allclose(d, fd, rtol=1e-7, atol=1e-9)


def test_paper_conventions_at_zero() -> None:
    z = np.zeros((1, 1))
    assert act.relu_prime(z, act.relu(z))[0, 0] == 1.0  # eq. (20): relu'(0) = 1
    assert act.heaviside(z)[0, 0] == 1.0  # eq. (21): H(0) = 1
    assert act.heaviside_prime(z, act.heaviside(z))[0, 0] == 0.0  # eq. (22)
    assert act.sigmoid_prime(z, act.sigmoid(z))[0, 0] == 0.25  # eq. (14)
    assert act.tanh_prime(z, act.tanh(z))[0, 0] == 1.0  # eq. (18)


def test_softmax_rows_sum_to_one_and_match_definition() -> None:
    z = np.random.default_rng(1).normal(size=(5, 4)) * 3
    a = act.softmax(z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    np.testing.assert_allclose(a, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))


def test_softmax_jvp_equals_explicit_jacobian_eq16() -> None:
    rng = np.random.default_rng(2)
    z = rng.normal(size=(6, 5))
    g = rng.normal(size=(6, 5))
    a = act.softmax(z)
    for i in range(6):
        J = np.diag(a[i]) - np.outer(a[i], a[i])  # eq. (16): a_j (δ_ji - a_i)
        np.testing.assert_allclose(act.softmax_jvp(a, g)[i], J @ g[i], rtol=1e-12, atol=1e-15)


def test_softmax_jvp_matches_central_difference() -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4))
    h = 1e-6
    fd = np.empty_like(z)
    for j in range(4):
        e = np.zeros(4)
        e[j] = h
        # d/dz_j of Σ_i g_i a_i(z), per row
        fd[:, j] = ((act.softmax(z + e) * g).sum(1) - (act.softmax(z - e) * g).sum(1)) / (2 * h)
    np.testing.assert_allclose(act.softmax_jvp(act.softmax(z), g), fd, rtol=1e-7, atol=1e-9)


def test_softmax_jvp_in_place() -> None:
    rng = np.random.default_rng(4)
    a = act.softmax(rng.normal(size=(3, 4)))
    g = rng.normal(size=(3, 4))
    expected = act.softmax_jvp(a, g)
    out = act.softmax_jvp(a, g, g)
    assert out is g
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_inputs_never_warn_and_stay_finite(dtype: type) -> None:
    z = np.array([[-1e4, -1000.0, -100.0, 0.0, 100.0, 1000.0, 1e4]], dtype=dtype)
    with np.errstate(all="raise"):  # not even underflow
        s = act.sigmoid(z)
        assert np.isfinite(act.sigmoid_prime(z, s)).all()
    # underflow to 0 is the correctly rounded exp of a very negative number: allowed elsewhere
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        for name in ELEMENTWISE:
            f = act.ACTIVATIONS[name]
            a = f.forward(z, None, None)
            assert f.derivative is not None
            assert np.isfinite(f.derivative(z, a, None)).all()
            assert np.isfinite(a).all()
        a = act.softmax(z)
        np.testing.assert_allclose(a.sum(), 1.0)
        assert np.isfinite(act.log_softmax(z)).all()
        assert np.isfinite(act.log1m_softmax(z)).all()
        assert np.isfinite(act.log_sigmoid(z)).all()
        assert np.isfinite(act.log1m_sigmoid(z)).all()
    assert s.dtype == dtype
    assert (s >= 0).all() and (s <= 1).all()
    assert s[0, -1] == 1.0 and s[0, 3] == 0.5 and s[0, 0] < 1e-37


def test_sigmoid_tails_are_accurate() -> None:
    z = np.array([[-700.0, -300.0, -40.0, -5.0, 5.0, 40.0]])
    exact = np.array([[9.859676543759771e-305, 5.148200222412013e-131, 4.248354255291589e-18,
                       0.0066928509242848554, 0.9933071490757152, 1.0]])  # fmt: skip
    np.testing.assert_allclose(act.sigmoid(z), exact, rtol=1e-14)


def test_log_forms_are_exact_for_huge_logits() -> None:
    z = np.array([[1000.0, -1000.0]])
    np.testing.assert_allclose(act.log_softmax(z), [[0.0, -2000.0]])
    np.testing.assert_allclose(act.log1m_softmax(z), [[-2000.0, 0.0]])
    np.testing.assert_allclose(act.log_sigmoid(z), [[0.0, -1000.0]])
    np.testing.assert_allclose(act.log1m_sigmoid(z), [[-1000.0, 0.0]])


@given(st.lists(st.floats(-30, 30), min_size=2, max_size=6))
def test_log1m_softmax_matches_naive_where_naive_is_accurate(row: list[float]) -> None:
    z = np.array([row])
    a = act.softmax(z)
    naive = np.log1p(-np.minimum(a, 1 - 1e-12))
    ok = a < 0.999
    np.testing.assert_allclose(act.log1m_softmax(z)[ok], naive[ok], rtol=1e-9, atol=1e-12)


def test_log1m_softmax_one_column_is_minus_inf() -> None:
    assert act.log1m_softmax(np.array([[3.0]]))[0, 0] == -np.inf


@pytest.mark.parametrize("name", [*ELEMENTWISE, "softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_buffers_and_dtype(name: str, dtype: type) -> None:
    z = np.random.default_rng(5).normal(size=(4, 3)).astype(dtype)
    f = act.ACTIVATIONS[name]
    fresh = f.forward(z, None, None)
    out = np.empty_like(z)
    work = np.empty_like(z)
    assert f.forward(z, out, work) is out
    np.testing.assert_array_equal(out, fresh)
    assert fresh.dtype == dtype
    if f.derivative is not None:
        d = f.derivative(z, fresh, None)
        assert d.dtype == dtype
        g = np.ones_like(z)
        np.testing.assert_array_equal(act.vjp(name, z, fresh, g), d)


def test_registries() -> None:
    assert {"sigmoid", "tanh", "relu", "heaviside"} == act.HIDDEN_ACTIVATIONS
    assert {"sigmoid", "softmax", "identity"} == act.OUTPUT_ACTIVATIONS


def test_row_reductions_and_log_softmax_from_cached_a() -> None:
    z = np.random.default_rng(6).normal(size=(9, 4)) * 20
    np.testing.assert_array_equal(act.row_max(z), z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(act.row_sum(z), z.sum(axis=1, keepdims=True), rtol=1e-13)
    out = np.empty((9, 1))
    assert act.row_max(z, out) is out and act.row_sum(z, out) is out
    for dtype, rtol in ((np.float64, 1e-13), (np.float32, 1e-5)):
        zd = z.astype(dtype)
        cols = act.col_sum(zd)
        assert cols.shape == (4,) and cols.dtype == dtype
        np.testing.assert_allclose(cols, zd.sum(axis=0), rtol=rtol, atol=rtol * 200)
        into = np.empty(4, dtype=dtype)
        assert act.col_sum(zd, into) is into
        np.testing.assert_array_equal(into, cols)
    np.testing.assert_allclose(act.log_softmax(z, act.softmax(z)), act.log_softmax(z), atol=1e-13)
