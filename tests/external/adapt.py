"""The corpus's common shape: a Case (params, f, grad, value_and_grad) and a pytree flattener."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Bug",
    "Case",
    "Path",
    "Tree",
    "flatten",
    "leaves_like",
    "path_name",
    "unflatten",
]

Path = tuple[Any, ...]
"""Keys and indices from the root of a parameter structure to one leaf: ``("W1",)``, ``(1, 0)``."""


def path_name(path: Path) -> str:
    """``x["W1"]``, ``x[1][0]``: how a failure in that leaf should be named."""
    return "x" + "".join(f'["{k}"]' if isinstance(k, str) else f"[{k}]" for k in path)


@dataclass(frozen=True)
class Tree:
    """Where the leaves of a parameter structure sit, and what kind each one is."""

    paths: tuple[Path, ...]
    kinds: tuple[str, ...]
    """``float`` (a Python float leaf) or ``array`` (an ndarray leaf, dtype kept)."""
    template: Any

    def names(self) -> list[str]:
        """:func:`path_name` of every leaf, in flattening order."""
        return [path_name(p) for p in self.paths]

    def index(self, path: Path) -> int:
        """Position of the leaf at ``path`` in the flat list."""
        return self.paths.index(tuple(path))


def _walk(node: Any, path: Path, out: list[tuple[Path, Any]]) -> None:
    if isinstance(node, dict):
        for key in node:
            _walk(node[key], (*path, key), out)
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            _walk(item, (*path, i), out)
    else:
        out.append((path, node))


def flatten(params: Any) -> tuple[list[np.ndarray[Any, Any]], Tree]:
    """Leaves of nested dicts/lists/tuples as arrays (Python floats become 0-d float64 arrays)."""
    leaves: list[tuple[Path, Any]] = []
    _walk(params, (), leaves)
    arrays: list[np.ndarray[Any, Any]] = []
    kinds: list[str] = []
    for path, leaf in leaves:
        if isinstance(leaf, float | int) and not isinstance(leaf, bool):
            arrays.append(np.array(float(leaf)))
            kinds.append("float")
        elif isinstance(leaf, np.ndarray):
            arrays.append(np.array(leaf))
            kinds.append("array")
        else:
            raise TypeError(f"{path_name(path)}: expected a float or an ndarray leaf, "
                            f"got {type(leaf).__name__}")
    return arrays, Tree(tuple(p for p, _ in leaves), tuple(kinds), params)


def leaves_like(obj: Any, tree: Tree) -> list[Any]:
    """The leaves of ``obj`` at the paths of ``tree`` (dict keys matched by name, not order)."""
    out = []
    for path in tree.paths:
        node = obj
        for key in path:
            node = node[key]
        out.append(node)
    return out


def _rebuild(node: Any, leaves: list[Any]) -> Any:
    if isinstance(node, dict):
        return {key: _rebuild(node[key], leaves) for key in node}
    if isinstance(node, list | tuple):
        items = [_rebuild(item, leaves) for item in node]
        return items if isinstance(node, list) else tuple(items)
    return leaves.pop(0)


def unflatten(arrays: Sequence[Any], tree: Tree) -> Any:
    """The structure of ``tree`` with fresh copies of ``arrays`` (floats back as Python floats)."""
    if len(arrays) != len(tree.kinds):
        raise ValueError(f"arrays: expected {len(tree.kinds)} leaves, got {len(arrays)}")
    leaves = [
        float(np.asarray(a)) if kind == "float" else np.array(a, copy=True)
        for a, kind in zip(arrays, tree.kinds, strict=True)
    ]
    return _rebuild(tree.template, leaves)


@dataclass(frozen=True)
class Bug:
    """A planted bug: what was changed and the leaf (and element) the checker must name."""

    name: str
    what: str
    shows_in: Path
    """One leaf whose gradient the bug makes wrong: the checker must list it among the failing."""
    element: tuple[int, ...] | None = None
    """An element of ``shows_in`` known to be wrong (checked in full mode), when one is known."""


@dataclass(frozen=True)
class Case:
    """One function of the corpus with its gradient, in the codebase's native parameter structure.

    ``f(params) -> float``; ``grad(params)`` in the structure of ``params``; ``value_and_grad``
    both at once (what all five codebases compute). ``bug`` is None for a correct gradient.
    """

    name: str
    params: Any
    f: Callable[[Any], float]
    grad: Callable[[Any], Any]
    value_and_grad: Callable[[Any], tuple[float, Any]]
    bug: Bug | None = None
    true_grad: Callable[[Any], Any] | None = None
    """The correct gradient (for a bugged case: what ``grad`` should have returned)."""
    family: str = ""
    heavy: bool = False
    """Slow to check (large or pure-Python): marked ``slow`` in the tests."""
    decidable: bool = True
    """False where finite differences alone cannot settle a correct gradient (many coordinates
    exactly at kinks along a direction): a checker may answer "undecided" but never "fail"."""
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        """Whether ``grad`` is the true gradient of ``f``."""
        return self.bug is None

    def flat(self) -> tuple[Callable[[list[Any]], float], Callable[[list[Any]], list[Any]],
                            list[np.ndarray[Any, Any]], Tree]:
        """``f`` and ``grad`` on a flat list of arrays (for a checker taking list-of-arrays x)."""
        x0, tree = flatten(self.params)

        def f_flat(xs: list[Any]) -> float:
            return self.f(unflatten(xs, tree))

        def grad_flat(xs: list[Any]) -> list[Any]:
            g = leaves_like(self.grad(unflatten(xs, tree)), tree)
            return [np.asarray(gi, dtype=xi.dtype) for gi, xi in zip(g, x0, strict=True)]

        return f_flat, grad_flat, x0, tree

