"""A scalar reverse-mode autograd in the style of micrograd (our own code) and a tiny MLP on it.

``Value`` holds a float, its ``grad`` and a closure that pushes ``out.grad`` to its parents;
``backward()`` runs the closures in reverse topological order. Parameters are plain Python floats:
``[[{"w": [floats], "b": float} per neuron] per layer]``. Planted bugs live in the local
derivative rules, where micrograd's users (and its own history) put them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

from tests.external.adapt import Bug, Case

__all__ = ["BUGS", "Value", "cases", "mlp_loss"]

_BUG: list[str | None] = [None]
"""The bug the rules below currently plant (set around each evaluation, single-threaded)."""


class Value:
    """A scalar node of the computation graph."""

    def __init__(self, data: float, children: tuple[Value, ...] = ()) -> None:
        self.data = float(data)
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = children

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            if _BUG[0] != "add_drops_other":
                other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward() -> None:
            if _BUG[0] == "mul_assigns_not_accumulates":
                self.grad = other.data * out.grad
                other.grad = self.data * out.grad
            elif _BUG[0] == "mul_swaps_factors":
                self.grad += self.data * out.grad
                other.grad += other.data * out.grad
            else:
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k: float) -> Value:
        out = Value(self.data**k, (self,))

        def _backward() -> None:
            power = k if _BUG[0] == "pow_keeps_exponent" else k - 1
            self.grad += k * self.data**power * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def _backward() -> None:
            local = (1 - t) if _BUG[0] == "tanh_one_minus_t" else (1 - t * t)
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(0.0, self.data), (self,))

        def _backward() -> None:
            if _BUG[0] == "relu_passes_everything":
                self.grad += out.grad
            else:
                self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other if isinstance(other, Value) else Value(-other))

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def backward(self) -> None:
        """Reverse-mode sweep from this node (d self / d self = 1)."""
        if _BUG[0] == "backward_without_topological_order":
            self.grad = 1.0
            stack, seen = [self], set()
            while stack:  # depth first from the output: a node runs before all its users did
                node = stack.pop()
                if id(node) in seen:
                    continue
                seen.add(id(node))
                node._backward()
                stack.extend(node._prev)
            return
        topo: list[Value] = []
        visited: set[int] = set()

        def build(v: Value) -> None:
            if id(v) not in visited:
                visited.add(id(v))
                for child in v._prev:
                    build(child)
                topo.append(v)

        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


SIZES = (3, 4, 4, 1)
_X = [[1.0, -0.5, 0.25], [-1.5, 0.75, 2.0], [0.5, 1.25, -0.75], [2.0, -1.0, 0.5]]
_Y = [0.5, -0.25, 0.75, -0.5]


def _initial(seed: int) -> list[list[dict[str, Any]]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    return [
        [{"w": [float(v) for v in rng.uniform(-1, 1, n_in)], "b": float(rng.uniform(-1, 1))}
         for _ in range(n_out)]
        for n_in, n_out in itertools.pairwise(SIZES)
    ]


def mlp_loss(params: Any, hidden: str, bug: str | None, with_grad: bool) -> tuple[float, Any]:
    """Mean squared error of the MLP over the 4 samples; the gradient as floats if asked."""
    _BUG[0] = bug
    try:
        nodes: list[list[dict[str, Any]]] = [
            [{"w": [Value(w) for w in n["w"]], "b": Value(n["b"])} for n in layer]
            for layer in params
        ]
        total = Value(0.0)
        for x, y in zip(_X, _Y, strict=True):
            acts: list[Value] = [Value(v) for v in x]
            for depth, layer in enumerate(nodes):
                last = depth == len(nodes) - 1
                new: list[Value] = []
                for n in layer:
                    z: Value = n["b"]
                    for w, a in zip(n["w"], acts, strict=True):
                        z = z + w * a
                    new.append(z if last else (z.tanh() if hidden == "tanh" else z.relu()))
                acts = new
            total = total + (acts[0] - y) ** 2
        loss = total * (1.0 / len(_X))
        if not with_grad:
            return loss.data, None
        loss.backward()
        grad = [[{"w": [w.grad for w in n["w"]], "b": n["b"].grad} for n in layer]
                for layer in nodes]
        return loss.data, grad
    finally:
        _BUG[0] = None


BUGS: list[Bug] = [
    Bug("mul_assigns_not_accumulates", "'*' rule assigns grad (=) instead of accumulating "
        "(+=): a weight used by several samples keeps only the last one", (0, 0, "w", 0)),
    Bug("mul_swaps_factors", "'*' rule multiplies by its own value, not the other factor's",
        (2, 0, "w", 1)),
    Bug("add_drops_other", "'+' rule forgets the second operand: biases get no gradient",
        (2, 0, "b")),
    Bug("pow_keeps_exponent", "d/dx x^k = k x^k (exponent not lowered)", (2, 0, "b")),
    Bug("tanh_one_minus_t", "tanh' = 1 - t instead of 1 - t^2", (0, 1, "b")),
    Bug("backward_without_topological_order", "backward() visits nodes depth first instead of "
        "in reverse topological order", (0, 2, "w", 0)),
]
RELU_BUGS: list[Bug] = [
    Bug("relu_passes_everything", "relu' = 1 everywhere (the mask out.data > 0 left out)",
        (0, 0, "w", 0)),
]


def make_case(hidden: str, bug: Bug | None, seed: int = 3) -> Case:
    """The micrograd MLP 3-4-4-1 with ``hidden`` units (tanh or relu), params as floats."""
    name = f"micrograd/mlp_{hidden}"
    bug_name = None if bug is None else bug.name

    def f(p: Any) -> float:
        return mlp_loss(p, hidden, bug_name, False)[0]

    def grad(p: Any) -> Any:
        return mlp_loss(p, hidden, bug_name, True)[1]

    def value_and_grad(p: Any) -> tuple[float, Any]:
        return mlp_loss(p, hidden, bug_name, True)

    def true_grad(p: Any) -> Any:
        return mlp_loss(p, hidden, None, True)[1]

    label = name if bug is None else f"{name}/{bug.name}"
    return Case(label, _initial(seed), f, grad, value_and_grad, bug, true_grad,
                family="micrograd")


def cases() -> list[Case]:
    """Tanh MLP: correct + 6 rule bugs; relu MLP: correct + 1."""
    out = [make_case("tanh", None)] + [make_case("tanh", b) for b in BUGS]
    out += [make_case("relu", None)] + [make_case("relu", b) for b in RELU_BUGS]
    return out
