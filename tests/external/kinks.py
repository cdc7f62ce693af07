"""relu exactly at its kink: pre-activations placed at 0, both conventions relu'(0) = 0 and 1.

At ``z = 0`` relu has one-sided derivatives 0 and 1; any value between them is a correct
(sub)gradient, so both conventions are right. Two cases: a small relu layer checked element by
element, whose inputs make several pre-activations exactly 0 (dyadic numbers, so ``X W + b`` is
exact), and a large vector (``10^5`` coordinates, 32 of them exactly 0) checked by directions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.external.adapt import Bug, Case

__all__ = ["BUGS", "LARGE_N", "MEDIUM_N", "cases"]

Arr = np.ndarray[Any, Any]
LARGE_N = 100_000
"""Coordinates of the large case; 32 of them are exactly at relu's kink."""
AT_KINK = 32
MEDIUM_N = 4096
"""A directional-mode case small enough for the default test run (24 coordinates at 0)."""


def relu_grad(z: Arr, at_zero: float, bug: str | None) -> Arr:
    """relu'(z) with relu'(0) = ``at_zero`` (the leaky bug: slope 0.1 below 0 too)."""
    d = (z > 0).astype(np.float64)
    d[z == 0] = at_zero
    if bug == "leaky_backward_plain_forward":
        d[z < 0] = 0.1
    return d


def layer_loss(p: dict[str, Arr], X: Arr, y: Arr, at_zero: float,
               bug: str | None) -> tuple[float, dict[str, Arr]]:
    """``0.5 mean (relu(X W + b) v - y)^2`` and its gradient."""
    W, b, v = p["W"], p["b"], p["v"]
    N = X.shape[0]
    z = X @ W + b
    h = np.maximum(z, 0.0)
    r = h @ v - y
    value = 0.5 * float(np.mean(r * r))
    dr = r / N
    dv = (z if bug == "v_grad_uses_pre_activation" else h).T @ dr
    dz = np.outer(dr, v) * relu_grad(z, at_zero, bug)
    return value, {"W": X.T @ dz, "b": dz.sum(axis=0), "v": dv}


def _layer_point() -> tuple[dict[str, Arr], Arr, Arr]:
    """Dyadic X, W, b with 5 pre-activations exactly 0 (and none within 1/8 of it otherwise)."""
    X = np.array([[1.0, 0.5, -1.0], [0.25, -1.0, 1.5], [-0.5, 1.0, 0.5], [1.0, 1.0, 1.0]])
    W = np.array([[0.5, -1.0, 0.25, 1.0], [1.0, 0.5, -0.5, 0.75], [-0.25, 0.5, 1.0, -0.5]])
    z_no_b = X @ W
    b = np.array([-z_no_b[0, 0], 0.375, -z_no_b[2, 2], -z_no_b[3, 3]])
    z = X @ W + b
    assert int(np.sum(z == 0)) >= 3
    p = {"W": W, "b": b, "v": np.array([1.0, -0.5, 0.75, 0.5])}
    return p, X, np.array([0.25, -0.5, 1.0, 0.0])


LAYER_BUGS: list[Bug] = [
    Bug("leaky_backward_plain_forward", "backward uses a leaky slope 0.1 below 0 for a plain "
        "relu forward", ("b",)),
    Bug("v_grad_uses_pre_activation", "dv from z (pre-activation) instead of relu(z)", ("v",)),
]


def layer_case(at_zero: float, bug: Bug | None) -> Case:
    """The small relu layer at its kinks, relu'(0) = ``at_zero``."""
    params, X, y = _layer_point()
    name = None if bug is None else bug.name

    def value_and_grad(p: Any) -> tuple[float, Any]:
        return layer_loss(p, X, y, at_zero, name)

    label = f"kinks/relu_layer_at0={at_zero:g}" + ("" if bug is None else f"/{bug.name}")
    return Case(label, params, lambda p: layer_loss(p, X, y, at_zero, name)[0],
                lambda p: layer_loss(p, X, y, at_zero, name)[1], value_and_grad, bug,
                lambda p: layer_loss(p, X, y, at_zero, None)[1], family="kinks")


def large_case(at_zero: float, bug: Bug | None, n: int = LARGE_N, at_kink: int = AT_KINK,
               seed: int = 0) -> Case:
    """``f(x) = <c, relu(x)>`` on ``n`` coordinates, ``at_kink`` of them exactly 0.

    Above ``verify.FULL_MAX_ELEMENTS`` coordinates the check runs in directional mode.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    x[rng.choice(n, at_kink, replace=False)] = 0.0
    c = rng.uniform(0.5, 1.5, n)
    name = None if bug is None else bug.name

    def f(p: Arr) -> float:
        return float(c @ np.maximum(p, 0.0))

    def grad(p: Arr) -> Arr:
        return c * relu_grad(np.asarray(p), at_zero, name)

    size = "large" if n == LARGE_N else f"n{n}"
    label = f"kinks/{size}_relu_at0={at_zero:g}" + ("" if bug is None else f"/{bug.name}")
    return Case(label, x, f, grad, lambda p: (f(p), grad(p)), bug,
                lambda p: c * relu_grad(np.asarray(p), at_zero, None), family="kinks",
                heavy=n == LARGE_N, decidable=False)


BUGS: dict[str, list[Bug]] = {
    "layer": LAYER_BUGS,
    "large": [Bug("leaky_backward_plain_forward", "backward uses a leaky slope 0.1 below 0 for "
                  "a plain relu forward", ())],
}


def cases() -> list[Case]:
    """Both conventions for both cases, correct; the bugs with relu'(0) = 0."""
    out: list[Case] = []
    for at_zero in (0.0, 1.0):
        out.append(layer_case(at_zero, None))
    out += [layer_case(0.0, b) for b in LAYER_BUGS]
    for n, at_kink in ((MEDIUM_N, 24), (LARGE_N, AT_KINK)):
        out += [large_case(at_zero, None, n, at_kink) for at_zero in (0.0, 1.0)]
        out += [large_case(0.0, b, n, at_kink) for b in BUGS["large"]]
    return out
