"""Parameters as nested dicts, lists and tuples (pytrees): checks, path names, bad structures."""

from __future__ import annotations

import itertools
from collections import namedtuple
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verify

RNG = np.random.default_rng(3)
X = RNG.normal(size=(6, 3))


def _cs231n(p: dict[str, Any]) -> float:
    """Two-layer net loss ``sum tanh(X W1^T + b1) W2^T + b2``, CS231n-style parameter dict."""
    h = np.tanh(X @ p["W1"].T + p["b1"])
    return float(np.sum(h @ p["W2"].T + p["b2"]))


def _cs231n_grad(p: dict[str, Any]) -> dict[str, Any]:
    h = np.tanh(X @ p["W1"].T + p["b1"])
    dh = np.ones((len(X), p["W2"].shape[0])) @ p["W2"] * (1 - h**2)
    return {
        "W1": dh.T @ X,
        "b1": dh.sum(0),
        "W2": np.ones((p["W2"].shape[0], len(X))) @ h,
        "b2": np.full(p["b2"].shape, float(len(X))),
    }


def _params() -> dict[str, Any]:
    r = np.random.default_rng(0)
    return {
        "W1": r.normal(size=(4, 3)),
        "b1": r.normal(size=4),
        "W2": r.normal(size=(2, 4)),
        "b2": r.normal(size=2),
    }


def test_dict_of_arrays_passes_and_names_failures_by_key() -> None:
    assert verify.check_gradient(_cs231n, _cs231n_grad, _params()).ok

    def wrong(p: dict[str, Any]) -> dict[str, Any]:
        g = _cs231n_grad(p)
        g["W1"] = g["W1"].copy()
        g["W1"][3, 0] += 1e-3
        return g

    result = verify.check_gradient(_cs231n, wrong, _params())
    assert not result.ok
    assert [e.where(result.single, result.names) for e in result.failures] == ['x["W1"][3, 0]']
    assert 'failing elements: 1: x["W1"][3, 0]' in str(result)
    assert 'failing arrays: x["W1"]' in str(result)


def test_grad_dict_keys_may_come_in_another_order() -> None:
    def reordered(p: dict[str, Any]) -> dict[str, Any]:
        g = _cs231n_grad(p)
        return {k: g[k] for k in reversed(list(g))}

    assert verify.check_gradient(_cs231n, reordered, _params()).ok


def test_nielsen_biases_weights_lists_of_lists() -> None:
    r = np.random.default_rng(1)
    sizes = [3, 4, 2]
    biases = [r.normal(size=(n, 1)) for n in sizes[1:]]
    weights = [r.normal(size=(m, n)) for n, m in itertools.pairwise(sizes)]
    a0 = r.normal(size=(3, 1))

    def f(p: list[list[np.ndarray[Any, Any]]]) -> float:
        a = a0
        for b, w in zip(*p, strict=True):
            a = np.tanh(w @ a + b)
        return float(0.5 * np.sum(a**2))

    def grad(p: list[list[np.ndarray[Any, Any]]], bug: bool = False) -> Any:
        acts, a = [a0], a0
        for b, w in zip(*p, strict=True):
            a = np.tanh(w @ a + b)
            acts.append(a)
        delta = acts[-1] * (1 - acts[-1] ** 2)
        nb, nw = [np.zeros_like(b) for b in p[0]], [np.zeros_like(w) for w in p[1]]
        for layer in range(len(p[0]) - 1, -1, -1):
            nb[layer], nw[layer] = delta, delta @ acts[layer].T
            if layer:
                delta = (p[1][layer].T @ delta) * (1 - acts[layer] ** 2)
        if bug:
            nw[0] = nw[0].copy()
            nw[0][2, 1] *= 1.5
        return [nb, nw]

    x = [biases, weights]
    assert verify.check_gradient(f, grad, x).ok
    bad = verify.check_gradient(f, lambda p: grad(p, bug=True), x)
    assert not bad.ok
    assert bad.failures[0].where(bad.single, bad.names) == "x[1][0][2, 1]"
    # the caller's arrays are untouched
    assert all(np.shares_memory(a, b) for a, b in zip(x[0], biases, strict=True))


def test_micrograd_style_python_floats_are_passed_as_floats() -> None:
    seen: list[type] = []

    def f(p: list[float]) -> float:
        seen.extend(type(v) for v in p)
        a, b = p
        return a * b + b**3

    def grad(p: list[float]) -> list[float]:
        a, b = p
        return [b, a + 3 * b**2]

    assert verify.check_gradient(f, grad, [1.5, -0.5]).ok
    assert set(seen) <= {float, complex}  # complex only for the complex-step derivative
    assert float in seen
    bad = verify.check_gradient(f, lambda p: [p[1], p[0]], [1.5, -0.5])
    assert not bad.ok and "x[1]" in str(bad)
    single = verify.check_gradient(lambda t: t**3, lambda t: 3 * t**2, 0.7)
    assert single.ok


def test_zero_d_arrays_namedtuples_and_read_only_leaves() -> None:
    Params = namedtuple("Params", ["w", "b"])
    x = Params(np.array([0.3, -0.2]), np.array(0.5))

    def f(p: Any) -> float:
        assert isinstance(p, Params)
        assert not p.w.flags.writeable and not p.b.flags.writeable
        return float(np.sum(np.sin(p.w)) * p.b)

    def grad(p: Any) -> Any:
        return Params(np.cos(p.w) * p.b, np.sum(np.sin(p.w)))

    assert verify.check_gradient(f, grad, x).ok
    nested = {"layer": x, "scale": [np.array(2.0)]}

    def f2(p: dict[str, Any]) -> float:
        return f(p["layer"]) * float(p["scale"][0])

    def g2(p: dict[str, Any]) -> dict[str, Any]:
        g = grad(p["layer"])
        s = float(p["scale"][0])
        return {"layer": Params(g.w * s, g.b * s), "scale": [np.array(f(p["layer"]))]}

    assert verify.check_gradient(f2, g2, nested).ok


def test_directional_mode_names_the_path() -> None:
    r = np.random.default_rng(2)
    x = {"big": r.normal(size=3000), "small": {"w": r.normal(size=5)}}

    def f(p: dict[str, Any]) -> float:
        return float(np.sum(np.sin(p["big"])) + np.sum(p["small"]["w"] ** 2))

    def grad(p: dict[str, Any], bug: bool = False) -> dict[str, Any]:
        w = 2 * p["small"]["w"]
        if bug:
            w = w.copy()
            w[3] += 0.5
        return {"big": np.cos(p["big"]), "small": {"w": w}}

    good = verify.check_gradient(f, grad, x)
    assert good.ok and good.mode == "directional"
    bad = verify.check_gradient(f, lambda p: grad(p, bug=True), x)
    assert not bad.ok
    assert 'x["small"]["w"][3]' in str(bad)


@pytest.mark.parametrize(
    ("grad_out", "expected"),
    [
        ([np.zeros(2)], "grad_f at x: expected a dict like x; got list"),
        ({"a": np.zeros(2)}, "grad_f at x: keys differ from x's (missing keys ['b'])"),
        ({"a": np.zeros(2), "b": [np.zeros(3)], "c": 1.0}, "(unexpected keys ['c'])"),
        ({"a": np.zeros(2), "b": np.zeros(3)}, 'grad_f at x["b"]: expected a list of 1 items'),
        ({"a": np.zeros(2), "b": []}, 'grad_f at x["b"]: expected 1 items like x; got 0'),
        ({"a": [np.zeros(2)], "b": [np.zeros(3)]}, 'at x["a"]: expected an array like x there'),
        ({"a": np.zeros(3), "b": [np.zeros(3)]}, 'shape (3,) for x["a"] of shape (2,)'),
        ({"a": np.zeros(2), "b": [np.full(3, np.nan)]}, 'grad_f is not finite at x["b"][0][0]'),
    ],
)
def test_grad_of_another_structure_is_not_ok_with_the_path(grad_out: Any, expected: str) -> None:
    x = {"a": np.ones(2), "b": [np.ones(3)]}
    result = verify.check_gradient(lambda p: float(np.sum(p["a"]) + np.sum(p["b"][0])),
                                   lambda p: grad_out, x)  # fmt: skip
    assert not result.ok
    assert expected in result.message


def test_bad_trees_raise_naming_the_path() -> None:
    with pytest.raises(ValueError, match=r'x\["b"\] must be an array or a non-empty'):
        verify.check_gradient(lambda p: 0.0, lambda p: p, {"a": np.ones(2), "b": []})
    with pytest.raises(ValueError, match=r'x\["b"\]\[0\] must be finite'):
        bad = {"a": np.ones(2), "b": [np.array([np.inf])]}
        verify.check_gradient(lambda p: 0.0, lambda p: p, bad)
    with pytest.raises(TypeError, match=r'x\["a"\] must be a float32 or float64 array'):
        verify.check_gradient(lambda p: 0.0, lambda p: p, {"a": np.ones(2, dtype=int)})
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        verify.check_gradient(lambda p: 0.0, lambda p: p, {("a",): np.ones(2)})
    with pytest.raises(ValueError, match="x must be an array or a non-empty"):
        verify.check_gradient(lambda p: 0.0, lambda p: p, {})


def test_flat_lists_keep_their_labels_and_messages() -> None:
    result = verify.check_gradient(lambda p: float(np.sum(p[0]) + np.sum(p[1])),
                                   lambda p: [np.ones(2)], [np.ones(2), np.ones(3)])  # fmt: skip
    assert result.message == "grad_f returned 1 arrays; x has 2 (one per array)"
    assert result.names == ()


def test_dict_order_is_insertion_order() -> None:
    x = {"z": np.ones(2), "a": np.ones(2)}
    bad = verify.check_gradient(lambda p: float(np.sum(p["z"] ** 2) + np.sum(p["a"] ** 2)),
                                lambda p: {"z": 3 * p["z"], "a": 3 * p["a"]}, x)  # fmt: skip
    assert [e.where(False, bad.names) for e in bad.failures] == [
        'x["z"][0]', 'x["z"][1]', 'x["a"][0]', 'x["a"][1]'
    ]


_LEAF_SHAPES = st.sampled_from([(), (1,), (3,), (2, 2)])
_TREES = st.recursive(
    _LEAF_SHAPES,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3),
        st.lists(children, min_size=1, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(["W", "b", "a1", "z"]), children, min_size=1, max_size=3),
    ),
    max_leaves=6,
)


def _fill(shapes: Any, rng: np.random.Generator) -> Any:
    """A tree of random arrays with the structure of ``shapes`` (leaves are shape tuples)."""
    if isinstance(shapes, dict):
        return {k: _fill(v, rng) for k, v in shapes.items()}
    if isinstance(shapes, list):
        return [_fill(v, rng) for v in shapes]
    if isinstance(shapes, tuple) and not all(isinstance(s, int) for s in shapes):
        return tuple(_fill(v, rng) for v in shapes)
    return rng.normal(size=shapes)


@settings(max_examples=40, deadline=None)
@given(shapes=_TREES, seed=st.integers(0, 2**16), plant=st.integers(0, 1000))
def test_random_trees_pass_and_a_planted_error_is_named_by_its_path(
    shapes: Any, seed: int, plant: int
) -> None:
    from verify.gradient import tree

    x = _fill(shapes, np.random.default_rng(seed))
    leaves, paths, node = tree.flatten(x)

    def f(p: Any) -> float:
        return float(sum(np.sum(np.sin(a) * (k + 1)) for k, a in enumerate(tree.flatten(p)[0])))

    def grad(p: Any, bad: int | None = None) -> Any:
        gs = [np.cos(a) * (k + 1) for k, a in enumerate(tree.flatten(p)[0])]
        if bad is not None:
            k = bad % len(gs)
            gs[k] = np.array(gs[k], copy=True)
            gs[k].reshape(-1)[0] += 0.5
        return tree.unflatten(node, gs)

    assert verify.check_gradient(f, grad, x).ok
    result = verify.check_gradient(f, lambda p: grad(p, plant), x)
    assert not result.ok
    k = plant % len(leaves)
    index = (0,) * np.ndim(leaves[k])
    expected = paths[k] + ("[" + ", ".join("0" for _ in index) + "]" if index else "")
    assert [e.where(result.single, result.names) for e in result.failures] == [expected]


class _Value:
    """A scalar autograd value in the style of micrograd (Python floats, reverse mode)."""

    def __init__(self, data: float, parents: tuple[Any, ...] = ()) -> None:
        self.data, self.grad, self.parents = data, 0.0, parents
        self.backward_step: Any = lambda: None

    def __add__(self, other: Any) -> _Value:
        other = other if isinstance(other, _Value) else _Value(other)
        out = _Value(self.data + other.data, (self, other))

        def step() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out.backward_step = step
        return out

    def __mul__(self, other: Any) -> _Value:
        other = other if isinstance(other, _Value) else _Value(other)
        out = _Value(self.data * other.data, (self, other))

        def step() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out.backward_step = step
        return out

    def tanh(self, bug: bool = False) -> _Value:
        t = float(np.tanh(self.data))
        out = _Value(t, (self,))

        def step() -> None:
            self.grad += ((1 - t) if bug else (1 - t * t)) * out.grad  # bug: 1 - t

        out.backward_step = step
        return out

    def backward(self) -> None:
        order: list[_Value] = []
        seen: set[int] = set()

        def visit(v: _Value) -> None:
            if id(v) not in seen:
                seen.add(id(v))
                for p in v.parents:
                    visit(p)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v.backward_step()


def test_micrograd_style_autograd_on_lists_of_floats() -> None:
    inputs = [0.5, -1.5]

    def fg(p: list[list[float]], bug: bool = False) -> tuple[float, list[list[float]]]:
        weights, biases = [[_Value(w) for w in row] for row in p[:2]], [_Value(b) for b in p[2]]
        hidden = [
            (weights[k][0] * inputs[0] + weights[k][1] * inputs[1] + biases[k]).tanh(bug and k == 1)
            for k in range(2)
        ]
        loss = hidden[0] * hidden[0] + hidden[1] * 3.0
        loss.backward()
        return loss.data, [[w.grad for w in row] for row in weights] + [[b.grad for b in biases]]

    x = [[0.1, -0.2], [0.3, 0.4], [0.0, -0.1]]  # W rows and b, as lists of Python floats
    assert verify.check_value_and_grad(fg, x).ok
    bad = verify.check_value_and_grad(lambda p: fg(p, bug=True), x)
    assert not bad.ok
    named = [e.where(bad.single, bad.names) for e in bad.failures]
    assert named == ["x[1][0]", "x[1][1]", "x[2][1]"]  # hidden unit 1: W[1][0], W[1][1], b[1]
