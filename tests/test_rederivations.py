"""Independent re-derivations (SymPy/NumPy, not derivations/) of the corrected verdicts."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from sympy.stats import Normal, std, variance

import derivations
from derivations.claims import Verdict

pytestmark = pytest.mark.usefixtures("paper_claims")  # in the process that built the claims


def test_sec52_scale_is_ambiguous_notation_not_a_contradiction() -> None:
    n = sp.Symbol("N", positive=True)
    x = Normal("X", 0, 1)
    assert sp.simplify(std(x / n) - 1 / n) == 0  # (0, 1/N) as (mean, std): agrees
    assert sp.simplify(variance(x / n) - 1 / n) != 0  # as (mean, variance): disagrees
    # numpy's normal(loc, scale) takes the standard deviation: the reading that agrees
    rng = np.random.default_rng(0)
    n_train = 1437
    w = rng.normal(0.0, 1.0 / n_train, size=400_000)
    assert abs(w.std() * n_train - 1.0) < 0.01
    claim = derivations.get("training.init.scale")
    assert claim.verdict is Verdict.HOLDS_IF
    assert "standard deviation" in (claim.condition or "")
    assert derivations.get("training.init.fan_in").verdict is Verdict.CONVENTION


def test_table1_single_sigmoid_is_two_class_softmax_not_ce_over_two_sigmoids() -> None:
    z, y = np.array([0.4, -0.2]), np.array([0.0, 1.0])
    s = 1.0 / (1.0 + np.exp(-z))
    two_sigmoids = -y * (1.0 - s)  # dC/dz of eq. 10 over two independent sigmoids
    np.testing.assert_allclose(two_sigmoids, [0.0, -0.549834], atol=5e-7)
    single = s[0] - y[0]  # eq. 11 model on the first output: delta = a - y
    assert round(single, 3) == 0.599
    e = np.exp([0.4, 0.0])
    np.testing.assert_allclose((e / e.sum())[0], s[0])  # sigma(z) = softmax((z, 0))_1
    note = derivations.get("deltas.table1").note
    assert "(0, -0.550)" in note.replace("−", "-") and "0.599" in note
    assert "two-class softmax" in note


def test_eq32_softmax_needs_the_jacobian_transpose() -> None:
    z = np.array([0.3, -0.5, 1.1])
    y = np.array([0.0, 1.0, 0.0])
    a = np.exp(z) / np.exp(z).sum()
    jac = np.diag(a) - np.outer(a, a)
    grad = a - y  # MSE
    h = 1e-6
    cost = lambda zz: 0.5 * float(np.sum((np.exp(zz) / np.exp(zz).sum() - y) ** 2))  # noqa: E731
    fd = np.array([(cost(z + h * e) - cost(z - h * e)) / (2 * h) for e in np.eye(3)])
    np.testing.assert_allclose(jac.T @ grad, fd, atol=1e-8)
    assert np.max(np.abs(grad * np.diag(jac) - fd)) > 0.05  # the Hadamard form is wrong
    assert "J_{\\text{sm}}" in derivations.get("backprop.delta_output").corrected_printed


def test_sec633_first_line_is_the_wrong_left_hand_side() -> None:
    z = np.array([-1.38, -2.75, -2.9])
    y = np.array([1.0, 0.0, 0.0])
    a = np.exp(z) / np.exp(z).sum()
    lhs = -y / a * a * (1.0 - a)  # dC/da_j da_j/dz_j, one product per j
    true = a - y
    assert abs(lhs[1] - true[1]) > 0.1
    claim = derivations.get("deltas.ce_softmax.derivation")
    assert claim.first_wrong_step == 1


def test_binary_ce_unfused_product_measured() -> None:
    mpmath.mp.dps = 50

    def rel(zv: float) -> float:
        a = 1.0 / (1.0 + math.exp(-zv))
        unfused = (a - 1.0) / (a * (1.0 - a)) * (a * (1.0 - a))
        exact = 1 / (1 + mpmath.e ** (-zv)) - 1
        return float(abs((unfused - exact) / exact))

    assert 1e-13 < rel(10.0) < 1e-11  # about 1e-12 at z = 10, not a catastrophe
    assert 1e-9 < rel(20.0) < 1e-7
    assert 1e-4 < rel(30.0) < 1e-2
    with np.errstate(all="ignore"):
        a = np.float64(1.0) / (1.0 + np.exp(np.float64(-37.0)))
        assert np.isnan((a - 1.0) / (a * (1.0 - a)) * (a * (1.0 - a)))
    assert 1.0 / (1.0 + math.exp(-36.0)) < 1.0  # sigma(z) rounds to 1 only near 37
    note = derivations.get("deltas.ce_sigmoid_binary").note
    assert "catastrophically" not in note and "36.7" in note


def test_readings_are_labelled() -> None:
    for cid in (
        "softmax.output_layer_only",
        "training.lr_schedule.inverse",
        "deltas.ce_sigmoid_binary",
    ):
        assert derivations.get(cid).extra.get("checker_reading"), cid


def test_new_slips_have_the_verdicts_of_a_re_reading() -> None:
    a = sp.Matrix(sp.symbols("a1:4", positive=True))
    y = sp.Matrix(sp.symbols("y1:4", real=True))
    elementwise = (a - y).applyfunc(lambda e: e**2 / 2).jacobian(list(a))
    assert elementwise.shape == (3, 3) and elementwise == sp.diag(*(a - y))  # not the vector a - y
    expected = {
        "network.layer_count": Verdict.HOLDS_IF,
        "network.gradient_indices": Verdict.WRONG,
        "costs.mse.derivative.vector_square": Verdict.HOLDS_IF,
        "costs.ce.derivative.vector_product": Verdict.HOLDS_IF,
        "training.algorithm.learning_rate": Verdict.WRONG,
        "training.algorithm.initialisation": Verdict.WRONG,
        "training.accuracy.labels": Verdict.HOLDS_IF,
        "backprop.sec631.layer_labels": Verdict.WRONG,
    }
    for cid, verdict in expected.items():
        assert derivations.get(cid).verdict is verdict, cid
    w, g, eta = 0.5, 0.2, 0.1
    assert (w - g) != (w - eta * g)  # step 10 as printed (no η) moves W by g, not η g
