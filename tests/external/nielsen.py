"""A network in the style of Nielsen's network.py / network2.py (our own code, same conventions).

``biases`` and ``weights`` are lists of column-vector / matrix arrays, samples are column vectors,
``backprop(x, y)`` returns ``(nabla_b, nabla_w)`` for one sample; the batch cost averages over the
samples (network2 adds the L2 term ``lmbda / (2 n) sum ||w||^2``). Planted bugs are switched on by
name inside ``backprop`` and the batch gradient, where a student would make them.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from tests.external.adapt import Bug, Case

__all__ = ["BUGS", "CrossEntropyCost", "Network", "QuadraticCost", "cases"]

Arr = np.ndarray[Any, Any]


def sigmoid(z: Arr) -> Arr:
    """Logistic function, eq. (3)."""
    out: Arr = 1.0 / (1.0 + np.exp(-z))
    return out


def sigmoid_prime(z: Arr) -> Arr:
    """Derivative of the sigmoid at z."""
    s = sigmoid(z)
    out: Arr = s * (1 - s)
    return out


class QuadraticCost:
    """``0.5 ||a - y||^2`` and its output error ``(a - y) sigma'(z)``."""

    @staticmethod
    def fn(a: Arr, y: Arr) -> float:
        return 0.5 * float(np.linalg.norm(a - y) ** 2)

    @staticmethod
    def delta(z: Arr, a: Arr, y: Arr) -> Arr:
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    """``-sum [y ln a + (1 - y) ln(1 - a)]`` and its output error ``a - y``."""

    @staticmethod
    def fn(a: Arr, y: Arr) -> float:
        return float(np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))))

    @staticmethod
    def delta(z: Arr, a: Arr, y: Arr) -> Arr:
        return a - y


class Network:
    """Sigmoid network on column vectors; ``bug`` names one planted mistake (None: correct)."""

    def __init__(self, sizes: list[int], cost: Any = QuadraticCost, lmbda: float = 0.0,
                 bug: str | None = None, dtype: Any = np.float64) -> None:
        self.sizes = sizes
        self.num_layers = len(sizes)
        self.cost = cost
        self.lmbda = lmbda
        self.bug = bug
        self.dtype = dtype
        self.biases: list[Arr] = []
        self.weights: list[Arr] = []

    def load(self, params: Any) -> None:
        """Set ``[biases, weights]`` (copied, cast to the network's dtype)."""
        biases, weights = params
        self.biases = [np.array(b, dtype=self.dtype) for b in biases]
        self.weights = [np.array(w, dtype=self.dtype) for w in weights]

    def feedforward(self, a: Arr) -> Arr:
        for b, w in zip(self.biases, self.weights, strict=True):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def backprop(self, x: Arr, y: Arr) -> tuple[list[Arr], list[Arr]]:
        """Gradient of one sample's cost, eqs. (BP1)-(BP4)."""
        nabla_b = [np.zeros(b.shape, dtype=self.dtype) for b in self.biases]
        nabla_w = [np.zeros(w.shape, dtype=self.dtype) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights, strict=True):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        bug = self.bug
        if bug == "output_sigma_prime_of_a":
            delta = (activations[-1] - y) * sigmoid_prime(activations[-1])
        elif bug == "output_wrong_sign":
            delta = -self.cost.delta(zs[-1], activations[-1], y)
        elif bug == "ce_delta_keeps_sigma_prime":
            delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        else:
            delta = self.cost.delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, self.num_layers):
            z = zs[-layer]
            sp = sigmoid_prime(activations[-layer]) if (
                bug == "hidden_sigma_prime_of_a") else sigmoid_prime(z)
            W_next = self.weights[-layer + 1]
            if bug == "hidden_missing_transpose" and layer == self.num_layers - 1:
                back = np.dot(W_next, delta)  # square W^2 here: shapes hide the slip
            else:
                back = np.dot(W_next.transpose(), delta)
            delta = back * sp
            nabla_b[-layer] = back if bug == "bias_before_sigma_prime" and layer == 2 else delta
            a_prev = activations[-layer] if (
                bug == "weight_uses_own_activation" and layer == 2) else activations[-layer - 1]
            nabla_w[-layer] = np.dot(delta, a_prev.transpose())
        return nabla_b, nabla_w

    def total_cost(self, X: Arr, Y: Arr) -> float:
        """Mean cost over the columns of X, Y, plus network2's L2 term."""
        n = X.shape[1]
        cost = sum(self.cost.fn(self.feedforward(X[:, [k]]), Y[:, [k]]) for k in range(n)) / n
        cost += 0.5 * (self.lmbda / n) * sum(float(np.sum(w * w)) for w in self.weights)
        return float(cost)

    def batch_gradient(self, X: Arr, Y: Arr) -> tuple[list[Arr], list[Arr]]:
        """Mean of backprop over the batch plus ``(lmbda / n) w`` (as update_mini_batch uses it)."""
        n = X.shape[1]
        nabla_b = [np.zeros(b.shape, dtype=self.dtype) for b in self.biases]
        nabla_w = [np.zeros(w.shape, dtype=self.dtype) for w in self.weights]
        for k in range(n):
            db, dw = self.backprop(X[:, [k]], Y[:, [k]])
            nabla_b = [nb + d for nb, d in zip(nabla_b, db, strict=True)]
            nabla_w = [nw + d for nw, d in zip(nabla_w, dw, strict=True)]
        scale = 1.0 if self.bug == "dropped_one_over_n" else 1.0 / n
        nabla_b = [scale * nb for nb in nabla_b]
        nabla_w = [scale * nw for nw in nabla_w]
        reg = self.lmbda / n
        if self.bug == "l2_missing":
            reg = 0.0
        elif self.bug == "l2_missing_factor_2":
            reg = 0.5 * self.lmbda / n
        nabla_w = [nw + reg * w for nw, w in zip(nabla_w, self.weights, strict=True)]
        if self.bug == "l2_on_biases":
            nabla_b = [nb + (self.lmbda / n) * b for nb, b in zip(nabla_b, self.biases,
                                                                  strict=True)]
        return nabla_b, nabla_w


BUGS: dict[str, list[Bug]] = {
    "network": [
        Bug("output_sigma_prime_of_a", "output error uses sigma'(a^L) instead of sigma'(z^L)",
            (0, 2)),
        Bug("output_wrong_sign", "output error (y - a) instead of (a - y)", (1, 0)),
        Bug("hidden_sigma_prime_of_a", "hidden error uses sigma'(a^l) instead of sigma'(z^l)",
            (1, 0)),
        Bug("hidden_missing_transpose", "delta^1 = (W^2 delta^2) * sigma' without the transpose "
            "(W^2 is square, so shapes agree)", (1, 0)),
        Bug("weight_uses_own_activation", "nabla_w^2 = delta^2 (a^2)^T: off by one layer, "
            "a^l for a^{l-1}", (1, 1)),
        Bug("bias_before_sigma_prime", "nabla_b^2 taken before the sigma'(z^2) factor", (0, 1)),
        Bug("dropped_one_over_n", "batch gradient summed, not averaged (dropped 1/n)", (1, 2)),
    ],
    "network2": [
        Bug("ce_delta_keeps_sigma_prime", "cross-entropy output error keeps the quadratic "
            "cost's sigma'(z^L) factor", (0, 2)),
        Bug("l2_missing", "L2 term lmbda/n w left out of the weight gradient", (1, 0)),
        Bug("l2_missing_factor_2", "L2 gradient lmbda/(2n) w: d/dw of w^2 without the 2",
            (1, 1)),
        Bug("l2_on_biases", "L2 term also added to the bias gradient", (0, 0)),
        Bug("output_wrong_sign", "output error (y - a) instead of (a - y)", (0, 2)),
    ],
}


def _problem(seed: int, sizes: list[int], n: int) -> tuple[list[list[Arr]], Arr, Arr]:
    rng = np.random.default_rng(seed)
    biases = [rng.standard_normal((m, 1)) for m in sizes[1:]]
    weights = [rng.standard_normal((m, k)) for k, m in itertools.pairwise(sizes)]
    X = rng.standard_normal((sizes[0], n))
    Y = rng.uniform(0.05, 0.95, (sizes[-1], n))
    return [biases, weights], X, Y


def make_case(name: str, sizes: list[int], cost: Any, lmbda: float, bug: Bug | None,
              dtype: Any = np.float64, seed: int = 1, n: int = 3) -> Case:
    """One Nielsen-style case: params ``[biases, weights]`` (float64), f = mean batch cost."""
    params, X, Y = _problem(seed, sizes, n)
    X, Y = X.astype(dtype), Y.astype(dtype)

    def net_at(p: Any) -> Network:
        net = Network(sizes, cost, lmbda, None if bug is None else bug.name, dtype)
        net.load(p)
        return net

    def f(p: Any) -> float:
        return net_at(p).total_cost(X, Y)

    def grad(p: Any) -> Any:
        nb, nw = net_at(p).batch_gradient(X, Y)
        return [nb, nw]

    def value_and_grad(p: Any) -> tuple[float, Any]:
        net = net_at(p)
        nb, nw = net.batch_gradient(X, Y)
        return net.total_cost(X, Y), [nb, nw]

    def true_grad(p: Any) -> Any:
        net = Network(sizes, cost, lmbda, None, dtype)
        net.load(p)
        return list(net.batch_gradient(X, Y))

    label = name if bug is None else f"{name}/{bug.name}"
    return Case(label, params, f, grad, value_and_grad, bug, true_grad, family="nielsen")


SIZES = [3, 4, 4, 2]
"""W^2 (4 x 4) is square so that a missing transpose or a layer off by one keeps its shape."""


def cases() -> list[Case]:
    """network.py (quadratic cost) and network2.py (cross-entropy + L2), correct and bugged."""
    out: list[Case] = []
    for name, cost, lmbda in (("network", QuadraticCost, 0.0),
                              ("network2", CrossEntropyCost, 0.7)):
        out.append(make_case(f"nielsen/{name}", SIZES, cost, lmbda, None))
        out += [make_case(f"nielsen/{name}", SIZES, cost, lmbda, b) for b in BUGS[name]]
    return out
