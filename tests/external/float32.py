"""float32 models behind float64 interfaces: the loss computed in float32, returned as a float.

What users write: a float32 model whose loss ends in ``float(...)`` (or ``.item()``), loaded from
the float64 arrays the checker perturbs. ``f`` then looks like float64 to a checker that reads the
output dtype, but carries float32 rounding (relative noise ~1e-7). Correct cases must still pass,
and gross bugs must still fail.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.external import cs231n, nielsen
from tests.external.adapt import Bug, Case

__all__ = ["BUGS", "cases", "softmax_regression"]

Arr = np.ndarray[Any, Any]
F32 = np.float32


def softmax_regression(p: dict[str, Any], X: Arr, y: Arr,
                       bug: str | None = None) -> tuple[float, dict[str, Arr]]:
    """Mean softmax cross-entropy of ``z = X W^T + b`` in float32; loss as a Python float."""
    W = np.asarray(p["W"], dtype=F32)
    b = np.asarray(p["b"], dtype=F32)
    N = X.shape[0]
    z = X @ W.T + b
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    probs = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dz = probs.copy()
    dz[np.arange(N), y] -= 1
    if bug != "dropped_one_over_n":
        dz /= F32(N)
    if bug == "wrong_sign":
        dz = -dz
    dW = X.T @ dz if bug == "missing_transpose" else dz.T @ X
    db = dz.sum(axis=1 if bug == "bias_sum_wrong_axis" else 0)
    return float(loss), {"W": dW, "b": db}


BUGS: dict[str, list[Bug]] = {
    "softmax_regression": [
        Bug("dropped_one_over_n", "gradient of the batch sum for a batch-mean loss", ("W",)),
        Bug("wrong_sign", "gradient of -loss", ("b",)),
        Bug("missing_transpose", "dW = X^T dz for dz^T X (C = D keeps the shape)", ("W",)),
        Bug("bias_sum_wrong_axis", "db summed over classes, not samples (N = C)", ("b",)),
    ],
    "nielsen_network2": [
        Bug("hidden_sigma_prime_of_a", "hidden error uses sigma'(a^l) instead of sigma'(z^l)",
            (1, 0)),
        Bug("l2_missing_factor_2", "L2 gradient lmbda/(2n) w: d/dw of w^2 without the 2",
            (1, 2)),
    ],
    "cs231n": [
        Bug("relu_mask_missing", "hidden gradient not masked by relu'(z1)", ("b1",)),
    ],
}


def softmax_case(bug: Bug | None, seed: int = 4) -> Case:
    """float64 params ``{"W": (4, 4), "b": (4,)}``, float32 model, ``float(loss)``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((4, 4)).astype(F32)
    y = np.array([0, 2, 1, 3])
    params = {"W": rng.standard_normal((4, 4)), "b": 0.1 * rng.standard_normal(4)}
    name = None if bug is None else bug.name

    def value_and_grad(p: Any) -> tuple[float, Any]:
        return softmax_regression(p, X, y, name)

    label = "float32/softmax_regression" + ("" if bug is None else f"/{bug.name}")
    return Case(label, params, lambda p: softmax_regression(p, X, y, name)[0],
                lambda p: softmax_regression(p, X, y, name)[1], value_and_grad, bug,
                lambda p: softmax_regression(p, X, y, None)[1], family="float32")


def nielsen_case(bug: Bug | None) -> Case:
    """network2 (cross-entropy + L2) built in float32 from float64 ``[biases, weights]``."""
    case = nielsen.make_case("float32/nielsen_network2", nielsen.SIZES, nielsen.CrossEntropyCost,
                             0.7, bug, dtype=F32)
    return Case(case.name, case.params, case.f, case.grad, case.value_and_grad, bug,
                case.true_grad, family="float32")


def cs231n_case(bug: Bug | None) -> Case:
    """The CS231n net with float32 params, evaluated in float32, loss through ``float()``."""
    params, X, y = cs231n._problem(6)
    p32 = {k: v.astype(F32) for k, v in params.items()}
    X32 = X.astype(F32)
    name = None if bug is None else bug.name

    def run(p: Any, which: str | None) -> tuple[float, Any]:
        value, grads = cs231n.loss({k: np.asarray(v, dtype=F32) for k, v in p.items()}, X32, y,
                                   0.05, which)  # a Python float keeps float32 arithmetic
        return float(value), {k: g.astype(F32) for k, g in grads.items()}

    label = "float32/cs231n_float32_params" + ("" if bug is None else f"/{bug.name}")
    return Case(label, p32, lambda p: run(p, name)[0], lambda p: run(p, name)[1],
                lambda p: run(p, name), bug, lambda p: run(p, None)[1], family="float32")


def mlp_case() -> Case:
    """The project's ``mlp.MLP(dtype="float32")`` with weights set from float64 arrays."""
    import mlp

    rng = np.random.default_rng(9)
    sizes = [4, 5, 3]
    net = mlp.MLP(sizes, hidden="sigmoid", output="softmax", cost="cross_entropy",
                  seed=0, dtype="float32")
    X = rng.standard_normal((6, 4)).astype(F32)
    Y = np.eye(3, dtype=F32)[rng.integers(0, 3, 6)]
    params = {"weights": [np.array(W, dtype=np.float64) for W in net.weights],
              "biases": [np.array(b, dtype=np.float64) for b in net.biases]}

    def value_and_grad(p: Any) -> tuple[float, Any]:
        net.set_parameters(p["weights"], p["biases"])
        dW, db = net.gradients(X, Y)
        return float(net.cost(X, Y)), {"weights": list(dW), "biases": list(db)}

    def f(p: Any) -> float:
        net.set_parameters(p["weights"], p["biases"])
        return float(net.cost(X, Y))

    return Case("float32/mlp_MLP_float32", params, f, lambda p: value_and_grad(p)[1],
                value_and_grad, None, lambda p: value_and_grad(p)[1], family="float32")


def cases() -> list[Case]:
    """Four float32 models, correct, plus 7 bugs."""
    out = [softmax_case(None)] + [softmax_case(b) for b in BUGS["softmax_regression"]]
    out += [nielsen_case(None)] + [nielsen_case(b) for b in BUGS["nielsen_network2"]]
    out += [cs231n_case(None)] + [cs231n_case(b) for b in BUGS["cs231n"]]
    out.append(mlp_case())
    return out
