"""``check_value_and_grad(fg, x)``: one call returning (value, grad), as scipy's ``jac=True``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der

import verify

X0 = np.array([1.3, 0.7, 0.8, 1.9, 1.2])


def _fg(p: np.ndarray[Any, Any]) -> tuple[float, np.ndarray[Any, Any]]:
    return float(rosen(p)), rosen_der(p)


def test_scipy_style_fg_passes_and_a_planted_error_fails() -> None:
    result = verify.check_value_and_grad(_fg, X0)
    assert result.ok and result.mode == "full"

    def wrong(p: np.ndarray[Any, Any]) -> tuple[float, np.ndarray[Any, Any]]:
        v, g = _fg(p)
        g = g.copy()
        g[3] *= 1.001
        return v, g

    bad = verify.check_value_and_grad(wrong, X0)
    assert not bad.ok
    assert [e.where(bad.single) for e in bad.failures] == ["x[3]"]


def test_value_and_grad_on_a_tree_and_in_directional_mode() -> None:
    r = np.random.default_rng(0)
    x = {"w": r.normal(size=3000), "b": 0.5}

    def fg(p: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        s = np.sin(p["w"])
        return float(np.sum(s) * p["b"]), {"w": np.cos(p["w"]) * p["b"], "b": float(np.sum(s))}

    result = verify.check_value_and_grad(fg, x)
    assert result.ok and result.mode == "directional"


def test_a_random_fg_is_caught_as_inconsistent() -> None:
    rng = np.random.default_rng(1)

    def dropout(p: np.ndarray[Any, Any]) -> tuple[float, np.ndarray[Any, Any]]:
        mask = rng.random(p.shape) > 0.5
        return float(np.sum((p * mask) ** 2)), 2 * p * mask

    result = verify.check_value_and_grad(dropout, X0)
    assert not result.ok
    assert "the value fg(x) returned with the gradient" in result.message
    assert "random or stateful" in result.message


def test_a_separate_value_function_must_agree_with_fg() -> None:
    assert verify.check_value_and_grad(_fg, X0, f=rosen).ok
    result = verify.check_value_and_grad(_fg, X0, f=lambda p: 2 * rosen(p))
    assert not result.ok and "differs from f(x)" in result.message


def test_cost_is_one_fg_call_per_evaluation() -> None:
    calls = {"fg": 0, "f": 0}

    def fg(p: np.ndarray[Any, Any]) -> tuple[float, np.ndarray[Any, Any]]:
        calls["fg"] += 1
        return _fg(p)

    def f(p: np.ndarray[Any, Any]) -> float:
        calls["f"] += 1
        return float(rosen(p))

    result = verify.check_value_and_grad(fg, X0)
    assert calls["fg"] == result.evaluations + 1  # + the gradient call
    calls["fg"] = 0
    result = verify.check_value_and_grad(fg, X0, f=f)
    assert calls == {"fg": 1, "f": result.evaluations}


@pytest.mark.parametrize(
    ("fg", "expected"),
    [
        (lambda p: float(rosen(p)), "fg(x) must return a pair (value, grad); got float"),
        (lambda p: (1.0, p, p), "got tuple of length 3"),
        (lambda p: (np.ones(2), rosen_der(p)), "f must return a scalar"),
        (lambda p: (float("nan"), rosen_der(p)), "f(x) is not finite"),
        (lambda p: (float(rosen(p)), rosen_der(p)[:3]), "grad_f returned shape (3,)"),
        (lambda p: (float(rosen(p)), rosen_der(p) * np.nan), "grad_f is not finite at x[0]"),
    ],
)
def test_misbehaving_fg_is_not_ok_with_a_message(fg: Any, expected: str) -> None:
    result = verify.check_value_and_grad(fg, X0)
    assert not result.ok
    assert expected in result.message


def test_bad_arguments_raise() -> None:
    with pytest.raises(TypeError, match="fg must be a callable"):
        verify.check_value_and_grad(1, X0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="f must be a callable or None"):
        verify.check_value_and_grad(_fg, X0, f=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float32 or float64"):
        verify.check_value_and_grad(_fg, np.arange(3))


def test_assert_value_and_grad_raises_with_the_report() -> None:
    verify.assert_value_and_grad(_fg, X0)
    with pytest.raises(AssertionError, match=r"check_gradient: FAIL"):
        verify.assert_value_and_grad(lambda p: (float(rosen(p)), 2 * rosen_der(p)), X0)


def test_scikit_learn_backprop_as_value_and_grad_on_coefs_and_intercepts() -> None:
    """scikit-learn's own ``_backprop`` (loss, coef_grads, intercept_grads), x = [coefs, inters]."""
    import warnings

    neural = pytest.importorskip("sklearn.neural_network")
    r = np.random.default_rng(0)
    X, y = r.normal(size=(20, 3)), r.normal(size=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two iterations: not converged, on purpose
        net = neural.MLPRegressor(
            hidden_layer_sizes=(5,), activation="tanh", alpha=1e-3, max_iter=2, random_state=0
        ).fit(X, y)

    def fg(p: list[list[Any]], bug: bool = False) -> tuple[float, list[list[Any]]]:
        net.coefs_ = [np.array(c) for c in p[0]]
        net.intercepts_ = [np.array(b) for b in p[1]]
        n = len(net.coefs_) + 1
        cg = [np.empty_like(c) for c in net.coefs_]
        ig = [np.empty_like(b) for b in net.intercepts_]
        acts: list[Any] = [X] + [None] * (n - 1)
        loss, cg, ig = net._backprop(X, y.reshape(-1, 1), None, acts, [None] * (n - 1), cg, ig)
        if bug:
            cg[0][1, 2] *= 1.01
        return float(loss), [cg, ig]

    x = [[c.copy() for c in net.coefs_], [b.copy() for b in net.intercepts_]]
    assert verify.check_value_and_grad(fg, x).ok
    bad = verify.check_value_and_grad(lambda p: fg(p, bug=True), x)
    assert not bad.ok
    assert [e.where(bad.single, bad.names) for e in bad.failures] == ["x[0][0][1, 2]"]
