"""False alarms of check_gradient on noisy f and many kinks; status, resolution, honest reports."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import mlp
import verify
from verify.gradient.budget import (
    MEASURED_NOISE_SAFETY,
    noise_allowance,
    noisy_step,
    precision_noise,
)
from verify.gradient.noise import ecnoise, measure, value_dtype


def _softmax_regression() -> tuple[Any, Any, list[np.ndarray]]:
    """A float32 softmax regression whose loss ends in float(): f and grad_f, float64 x."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 5)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    Y = np.eye(3, dtype=np.float32)[y]

    def f(p: list[np.ndarray]) -> float:
        W, b = (np.asarray(a, np.float32) for a in p)
        z = X @ W.T + b
        z = z - z.max(1, keepdims=True)
        lp = z - np.log(np.exp(z).sum(1, keepdims=True))
        return float(-(Y * lp).sum() / len(X))

    def grad(p: list[np.ndarray]) -> list[np.ndarray]:
        W, b = (np.asarray(a, np.float32) for a in p)
        z = X @ W.T + b
        z = z - z.max(1, keepdims=True)
        s = np.exp(z)
        s /= s.sum(1, keepdims=True)
        d = (s - Y) / len(X)
        return [d.T @ X, d.sum(0)]

    return f, grad, [rng.normal(size=(3, 5)), rng.normal(size=3)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_float32_inside_a_float64_interface_is_no_false_alarm(dtype: Any) -> None:
    """f computes in float32 and returns a Python float: its noise is measured, not assumed."""
    f, grad, x = _softmax_regression()
    x = [a.astype(dtype) for a in x]
    result = verify.check_gradient(f, grad, x)
    assert result.status == "pass" and result.ok, str(result)
    assert not result.kinks and "noise of f" in result.resolution_note
    assert result.resolution < 0.05

    def wrong(p: list[np.ndarray]) -> list[np.ndarray]:
        g = [np.array(a) for a in grad(p)]
        g[0][1, 4] *= 1.0 + 3 * result.resolution
        return g

    bad = verify.check_gradient(f, wrong, x)
    assert bad.status == "fail" and [e.index for e in bad.failures] == [(1, 4)], str(bad)


def _float32_network() -> tuple[Any, Any, list[np.ndarray]]:
    """An mlp.MLP(dtype="float32") whose weights are set from the checked float64 arrays."""
    rng = np.random.default_rng(0)
    net = mlp.MLP([4, 6, 3], hidden="tanh", output="softmax", cost="cross_entropy",
                  init="default", seed=0, dtype="float32")  # fmt: skip
    X = rng.normal(size=(16, 4))
    Y = np.eye(3)[rng.integers(0, 3, 16)]
    x0: list[np.ndarray] = []
    for W, b in zip(net.weights, net.biases, strict=True):
        x0 += [np.array(W, np.float64), np.array(b, np.float64)]

    def load(p: list[np.ndarray]) -> None:
        for layer in range(len(net.weights)):
            net.weights[layer][...] = p[2 * layer]
            net.biases[layer][...] = p[2 * layer + 1]

    def f(p: list[np.ndarray]) -> float:
        load(p)
        return float(net.cost(X, Y))

    def grad(p: list[np.ndarray]) -> list[np.ndarray]:
        load(p)
        dW, db = net.gradients(X, Y)
        return [a for pair in zip(dW, db, strict=True) for a in pair]

    return f, grad, x0


def test_float32_network_loaded_from_float64_arrays_passes_and_a_planted_error_fails() -> None:
    f, grad, x = _float32_network()
    result = verify.check_gradient(f, grad, x)
    assert result.ok and not result.kinks, str(result)

    def wrong(p: list[np.ndarray]) -> list[np.ndarray]:
        g = [np.array(a) for a in grad(p)]
        g[0][1, 2] += 3 * result.resolution * np.max(np.abs(g[0]))
        return g

    bad = verify.check_gradient(f, wrong, x)
    assert bad.status == "fail" and bad.failures[0].index == (1, 2), str(bad)


def _relu_kinks(n: int, k: int, seed: int = 1) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """``f = c . relu(x)`` with ``k`` of ``n`` entries of x exactly at relu's kink."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    at = rng.choice(n, k, replace=False)
    x[at] = 0.0
    c = rng.normal(size=n)

    def f(x: np.ndarray) -> float:
        return float(c @ np.maximum(x, 0.0))

    return f, x, c, at


@pytest.mark.slow
@pytest.mark.parametrize("convention", [0.0, 1.0])
def test_thirty_exact_kinks_in_1e5_never_fail(convention: float) -> None:
    """1e5 elements, 30 at relu's 0, relu'(0) = 0 or 1: pass or undecided, never a FAIL."""
    f, x, c, _ = _relu_kinks(100_000, 30)

    def grad(x: np.ndarray) -> np.ndarray:
        return c * np.where(x > 0, 1.0, np.where(x == 0, convention, 0.0))

    result = verify.check_gradient(f, grad, x)
    assert result.mode == "directional" and result.status in ("pass", "undecided"), str(result)
    verify.assert_gradient(f, grad, x)  # raises only on fail


@pytest.mark.slow
def test_a_wrong_value_at_one_of_thirty_kinks_fails_at_that_element() -> None:
    f, x, c, at = _relu_kinks(100_000, 30)

    def wrong(x: np.ndarray) -> np.ndarray:
        g = c * (x > 0)
        g[at[7]] = 2.5 * c[at[7]]  # relu'(0) = 2.5: outside [0, 1]
        return g

    result = verify.check_gradient(f, wrong, x)
    assert result.status == "fail", str(result)
    assert result.failures[0].index == (int(at[7]),)
    assert result.kinks and not result.kinks[0].accepted


def test_undecided_says_why_and_what_decides_and_raises_only_when_strict() -> None:
    """900 kinks in 3000: splitting gives up; the result is undecided with one sentence."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=3000)
    x[rng.random(3000) < 0.3] = 0.0
    w = rng.normal(size=3000)

    def f(x: np.ndarray) -> Any:
        return np.sum(w * np.maximum(x, 0))

    def grad(x: np.ndarray) -> np.ndarray:
        return w * (x > 0)

    result = verify.check_gradient(f, grad, x)
    assert result.status == "undecided" and not result.ok and not result.failures
    assert "mode='full'" in result.message and "off the kinks" in result.message
    assert str(result).startswith("check_gradient: UNDECIDED")
    verify.assert_gradient(f, grad, x)
    with pytest.raises(AssertionError, match="UNDECIDED"):
        verify.assert_gradient(f, grad, x, strict=True)


def test_a_settled_kink_pass_prints_the_kink_and_numbers_that_agree() -> None:
    """A directional PASS reached by splitting u prints the kink, and an error within budget."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=3000)
    x[rng.random(3000) < 0.003] = 0.0
    w = rng.normal(size=3000)
    result = verify.check_gradient(lambda x: np.sum(w * np.maximum(x, 0)), lambda x: w * (x > 0), x)
    w_dir = result.worst
    assert result.ok and isinstance(w_dir, verify.gradient.results.DirectionCheck)
    assert w_dir.kink is not None and w_dir.parts > 0
    assert w_dir.abs_error <= w_dir.budget.total
    assert result.max_rel_error < 1e-6
    assert "kink along u" in str(result) and "OVER" not in str(result)


def test_every_element_wrong_is_not_reported_as_one_failing_element() -> None:
    rng = np.random.default_rng(0)
    result = verify.check_gradient(lambda x: np.sum(x**2), lambda x: 3 * x, rng.normal(size=2000))
    text = str(result)
    assert result.status == "fail" and "failing elements: 1" not in text
    assert "located failing element: x[" in text and "mode='full' lists every" in text
    assert "OVER budget" in text and "within budget" not in text


def test_a_located_element_is_never_printed_within_budget() -> None:
    """max |x| = 3e3 sets a directional step 3000x the element's own, whose rounding (|f| ~ 5e6)
    hid the error bisection found: the element is now checked at its failing part's step."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=2000)
    x[0] = 3e3
    w = rng.normal(size=2000)

    def f(x: np.ndarray) -> Any:
        return 1e3 + w @ x + 0.5 * x @ x

    def wrong(x: np.ndarray) -> np.ndarray:
        g = w + x
        g[5] += 2e-3
        return g

    result = verify.check_gradient(f, wrong, x)
    assert result.status == "fail" and result.failures[0].index == (5,), str(result)
    assert "within budget" not in str(result) and "OVER budget" in str(result)
    assert result.failures[0].abs_error > result.failures[0].budget.total


def test_a_tiny_gradient_array_does_not_report_a_relative_error_of_one() -> None:
    """x[1]'s gradient is ~1e-17, far below what finite differences resolve."""
    rng = np.random.default_rng(0)

    def f(p: list[np.ndarray]) -> Any:
        return np.sum(p[0] ** 2) + 1e-17 * np.sum(np.abs(p[1]))

    def grad(p: list[np.ndarray]) -> list[np.ndarray]:
        return [2 * p[0], 1e-17 * np.sign(p[1])]

    result = verify.check_gradient(f, grad, [rng.normal(size=3), rng.normal(size=2)])
    # relative to the budget where the array's entries are below it: agrees with the pass
    assert result.ok and result.max_rel_error < 1e-2, str(result)
    assert "x[1]" in result.resolution_note

    def g0(p: list[np.ndarray]) -> list[np.ndarray]:  # an all-zero array: was inf on a PASS
        return [2 * p[0], 0 * p[1]]

    def f0(p: list[np.ndarray]) -> Any:
        return np.sum(p[0] ** 2) + 1e-17 * np.sum(p[1] ** 2)

    zero = verify.check_gradient(f0, g0, [rng.normal(size=3), rng.normal(size=2)])
    assert zero.ok and zero.max_rel_error < 1e-2, str(zero)


def test_a_float32_only_f_states_the_error_it_could_hide_and_that_float64_would_not() -> None:
    """x and f in float32 (no promotion): a 1% error may hide; the report says so."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(20, 20)).astype(np.float32)
    x = rng.normal(size=20).astype(np.float32)

    def f(x: np.ndarray) -> Any:
        x32 = np.asarray(x, np.float32)
        return np.float32(np.sum(np.tanh(A @ x32)))

    def grad(x: np.ndarray) -> np.ndarray:
        x32 = np.asarray(x, np.float32)
        return (A.T @ (1 - np.tanh(A @ x32) ** 2)).astype(np.float32)

    result = verify.check_gradient(f, grad, x, promote=False)
    assert result.ok and result.fd_dtype == "float32", str(result)
    note = result.resolution_note
    assert f"{result.resolution:.3g}" in note and "float64 would resolve" in note
    if result.resolution > 0.01:
        assert "a 1% error could pass unseen" in note


def test_ecnoise_recovers_a_known_noise_level_and_ignores_smooth_trends() -> None:
    rng = np.random.default_rng(0)
    for sigma in (1e-3, 1e-8):
        t = np.arange(8) * 1e-3
        values = 2.0 + 3.0 * t + 5.0 * t**2 + rng.normal(scale=sigma, size=8)
        level, inform = ecnoise(values.tolist())
        assert inform == 1 and sigma / 3 <= level <= 3 * sigma
    assert ecnoise([1.0] * 8) == (0.0, 2)  # spacing too small: nothing differs
    assert ecnoise([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0])[1] == 3  # too large
    with pytest.raises(ValueError, match="at least 4"):
        ecnoise([1.0, 2.0])


def test_measure_tells_noise_from_a_kink() -> None:
    """A kink among the points is not noise: its level changes with the spacing."""
    kink = measure(lambda t: 1.0 + abs(t) + 0.3 * t, 1.0, 1e-6)
    assert kink.outcome != "measured" and kink.level == 0.0
    rng = np.random.default_rng(0)
    noisy = measure(lambda t: 1.0 + t + float(rng.normal(scale=1e-9)), 1.0, 1e-6)
    assert noisy.outcome == "measured" and 3e-10 <= noisy.level <= 3e-9
    assert noisy.evaluations <= 21


def test_noisy_step_grows_with_the_noise_and_stays_bounded() -> None:
    quiet = noisy_step(1e-15, 1.0, 1.0, np.float64)
    loud = noisy_step(1e-7, 1.0, 1.0, np.float64)
    assert quiet < loud <= 0.05
    assert noisy_step(1e-7, 1.0, 1.0, np.float64, curvature=1e6) < loud


def test_value_dtype_sees_float32_values_and_not_round_numbers() -> None:
    """float32 numbers with more than 16 significant bits show a float32 f; 1.0, 0.25 do not."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=16)
    assert value_dtype([float(v) for v in z.astype(np.float32)]) == np.float32
    assert value_dtype(z.tolist()) == np.float64
    assert value_dtype([1.0, 0.25, -3.0, 0.0]) == np.float64  # a number of every dtype
    one_float64 = [*(float(v) for v in z[:7].astype(np.float32)), float(z[7])]
    assert value_dtype(one_float64) == np.float64


def test_no_noise_level_of_a_float32_f_is_bounded_by_its_precision() -> None:
    """f computed in float32, flat to its precision along the line: ECnoise finds no level
    (``below``), the values show float32, which bounds the noise (not float64's rounding)."""
    c = float(np.float32(0.7310586))
    flat = measure(lambda t: float(np.float32(c + 1e-9 * t)), c, 1e-6)
    assert flat.level == 0.0 and flat.outcome == "below" and flat.precision == "float32"
    kink = measure(lambda t: 1.0 + abs(t) + 0.3 * t, 1.0, 1e-6)
    assert kink.level == 0.0 and kink.precision == "float64"
    assert precision_noise(1.0, np.float32) == pytest.approx(
        noise_allowance(1.0, np.float32) / MEASURED_NOISE_SAFETY
    )
