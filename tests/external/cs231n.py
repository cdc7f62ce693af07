"""A two-layer net in the style of CS231n's assignment (our own code): dict params, loss(X, y).

``scores = relu(X W1 + b1) W2 + b2`` (row-major samples), softmax loss averaged over the batch
plus ``reg * (||W1||^2 + ||W2||^2)``; ``loss(params, X, y)`` returns ``(loss, grads)`` with
``grads`` keyed like ``params``. N equals the number of classes C, so a bias summed over the
wrong axis keeps its shape (the way that slip survives in practice).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.external.adapt import Bug, Case

__all__ = ["BUGS", "SMALL_REG", "cases", "loss"]

Arr = np.ndarray[Any, Any]


def loss(params: dict[str, Arr], X: Arr, y: Arr, reg: float,
         bug: str | None = None) -> tuple[float, dict[str, Arr]]:
    """Softmax loss + L2 and its gradient (``bug`` plants one mistake)."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = X.shape[0]
    z1 = X @ W1 + b1
    h = np.maximum(0, z1)
    scores = h @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    data_loss = -np.mean(np.log(probs[np.arange(N), y]))
    value = float(data_loss + reg * (np.sum(W1 * W1) + np.sum(W2 * W2)))

    dscores = probs.copy()
    if bug != "softmax_forgets_minus_one":
        dscores[np.arange(N), y] -= 1
    if bug != "dropped_one_over_n":
        dscores /= N
    grads: dict[str, Arr] = {}
    grads["W2"] = h.T @ dscores
    grads["b2"] = dscores.sum(axis=1 if bug == "bias_sum_wrong_axis" else 0)
    dh = dscores @ W2.T
    db1_early = dh.sum(axis=0)
    if bug != "relu_mask_missing":
        dh = dh * (z1 > 0)
    grads["W1"] = X.T @ dh
    grads["b1"] = db1_early if bug == "bias_before_relu_mask" else dh.sum(axis=0)
    factor = 1.0 if bug == "l2_missing_factor_2" else 2.0
    grads["W1"] += factor * reg * W1
    grads["W2"] += factor * reg * W2
    if bug == "l2_on_biases":
        grads["b1"] = grads["b1"] + 2 * reg * b1
        grads["b2"] = grads["b2"] + 2 * reg * b2
    if bug == "l2_wrong_sign_W1":
        grads["W1"] -= 4 * reg * W1
    return value, grads


BUGS: list[Bug] = [
    Bug("l2_missing_factor_2", "L2 gradient reg W instead of 2 reg W", ("W1",)),
    Bug("dropped_one_over_n", "dscores not divided by N (loss is the batch mean)", ("b2",)),
    Bug("bias_sum_wrong_axis", "db2 summed over classes (axis 1) instead of samples (N = C "
        "hides the shape)", ("b2",)),
    Bug("relu_mask_missing", "hidden gradient not masked by relu'(z1)", ("W1",)),
    Bug("bias_before_relu_mask", "db1 summed before the relu mask is applied", ("b1",)),
    Bug("softmax_forgets_minus_one", "dscores = probs without subtracting 1 at the true class",
        ("W2",)),
    Bug("l2_on_biases", "L2 gradient also added to the biases (the loss has none)", ("b1",)),
    Bug("l2_wrong_sign_W1", "L2 term of W1 subtracted instead of added", ("W1",), (0, 0)),
]


def _problem(seed: int) -> tuple[dict[str, Arr], Arr, Arr]:
    rng = np.random.default_rng(seed)
    N, D, H, C = 5, 4, 6, 5
    params = {
        "W1": 0.5 * rng.standard_normal((D, H)),
        "b1": 0.1 * rng.standard_normal(H),
        "W2": 0.5 * rng.standard_normal((H, C)),
        "b2": 0.1 * rng.standard_normal(C),
    }
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, N)
    return params, X, y


def make_case(bug: Bug | None, reg: float = 0.05, seed: int = 6) -> Case:
    """The CS231n-style net at a point where no relu input is near 0 (smooth there)."""
    params, X, y = _problem(seed)
    z1 = X @ params["W1"] + params["b1"]
    assert np.min(np.abs(z1)) > 1e-2, "test point too close to a relu kink"
    name = None if bug is None else bug.name

    def value_and_grad(p: Any) -> tuple[float, Any]:
        return loss(p, X, y, reg, name)

    base = "cs231n/two_layer" if reg == 0.05 else f"cs231n/two_layer_reg{reg:g}"
    label = base if bug is None else f"{base}/{bug.name}"
    return Case(label, params, lambda p: loss(p, X, y, reg, name)[0],
                lambda p: loss(p, X, y, reg, name)[1], value_and_grad, bug,
                lambda p: loss(p, X, y, reg, None)[1], family="cs231n")


SMALL_REG = 1e-5
"""A weak L2 penalty, as in training runs: its gradient term is ~1e-5, so a slip in it is an
error of that size, below fixed tolerances (torch: atol 1e-5 + rtol 1e-3; JAX: 1e-5)."""
SMALL_REG_BUGS = [b for b in BUGS if b.name in ("l2_missing_factor_2", "l2_wrong_sign_W1")]


def cases() -> list[Case]:
    """Correct + 8 bugs at reg 0.05; correct + 2 L2 bugs at reg 1e-5."""
    out = [make_case(None)] + [make_case(b) for b in BUGS]
    out += [make_case(None, reg=SMALL_REG)] + [make_case(b, reg=SMALL_REG)
                                               for b in SMALL_REG_BUGS]
    return out
