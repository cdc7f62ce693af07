"""Parameters as nested dicts, lists and tuples of arrays (pytrees): flatten, rebuild, name by path.

A tree is a dict, list or tuple whose items are arrays, Python floats or trees again, e.g.
``{"W1": W1, "b1": b1}`` or ``[biases, weights]`` with ``biases`` a list of arrays. Leaves are
taken depth first; dict items in insertion order, list and tuple items in index order. A leaf is
named by its path from ``x``: ``x["W1"]``, ``x[1][0]``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Node", "flatten", "is_tree", "match", "path_of", "unflatten"]

Kind = Literal["dict", "list", "tuple", "leaf"]


@dataclass(frozen=True)
class Node:
    """The shape of a tree: its kind, dict keys (insertion order) and children."""

    kind: Kind
    keys: tuple[Hashable, ...] = ()
    children: tuple[Node, ...] = ()
    rebuild: Any = None
    """For a tuple subclass (a namedtuple): its class, rebuilt with ``cls(*items)``."""

    @property
    def leaves(self) -> int:
        """Number of leaves below this node."""
        return 1 if self.kind == "leaf" else sum(c.leaves for c in self.children)


def _is_container(obj: Any) -> bool:
    """Whether ``obj`` is a dict, list or tuple (a tree node rather than a leaf)."""
    return isinstance(obj, dict | list | tuple)


def is_tree(x: Any) -> bool:
    """Whether ``x`` needs the tree layout: a dict, a namedtuple, or a list/tuple of containers.

    A flat list or plain tuple of arrays keeps the list/tuple layout (labels ``x[k]``).
    """
    if isinstance(x, dict) or (isinstance(x, tuple) and hasattr(x, "_fields")):
        return True
    return isinstance(x, list | tuple) and any(_is_container(item) for item in x)


def path_of(root: str, key: Hashable) -> str:
    """``root["W1"]`` for a string key, ``root[3]`` for an index or int key."""
    return f'{root}["{key}"]' if isinstance(key, str) else f"{root}[{key!r}]"


def flatten(x: Any, root: str = "x") -> tuple[list[Any], list[str], Node]:
    """Leaves of ``x`` (depth first), their paths and the tree's :class:`Node`.

    Raises ValueError naming the path of an empty dict, list or tuple, and TypeError for a dict
    key that is not a str or int (it could not be named).
    """
    leaves: list[Any] = []
    paths: list[str] = []
    node = _flatten(x, root, leaves, paths)
    return leaves, paths, node


def _flatten(x: Any, path: str, leaves: list[Any], paths: list[str]) -> Node:
    """Append the leaves of ``x`` below ``path``; return its node."""
    if not _is_container(x):
        leaves.append(x)
        paths.append(path)
        return Node("leaf")
    if not x:
        raise ValueError(
            f"{path} must be an array or a non-empty dict/list/tuple of arrays; got an empty "
            f"{type(x).__name__}"
        )
    if isinstance(x, dict):
        for key in x:
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise TypeError(f"{path} has a key {key!r}: dict keys must be str or int")
        keys = tuple(x)
        children = tuple(_flatten(x[k], path_of(path, k), leaves, paths) for k in keys)
        return Node("dict", keys, children)
    items: Sequence[Any] = x
    children = tuple(_flatten(v, path_of(path, k), leaves, paths) for k, v in enumerate(items))
    if isinstance(x, list):
        return Node("list", (), children)
    cls = type(x) if type(x) is not tuple and hasattr(x, "_fields") else None
    return Node("tuple", (), children, cls)


def unflatten(node: Node, leaves: Sequence[Any]) -> Any:
    """The tree of shape ``node`` holding ``leaves`` (in :func:`flatten` order)."""
    it = iter(leaves)
    out = _build(node, it)
    return out


def _build(node: Node, it: Any) -> Any:
    """Rebuild ``node`` from the iterator of leaves ``it``."""
    if node.kind == "leaf":
        return next(it)
    items = [_build(c, it) for c in node.children]
    if node.kind == "dict":
        return dict(zip(node.keys, items, strict=True))
    if node.kind == "list":
        return items
    return node.rebuild(*items) if node.rebuild is not None else tuple(items)


def match(node: Node, out: Any, what: str, root: str = "x") -> list[Any]:
    """Leaves of ``out``, which must have the structure ``node`` (that of x).

    Raises ValueError naming the first path where the structure differs: a dict with other keys,
    a list or tuple of another length, a container where x has an array, or the reverse. A dict
    may list its keys in another order (items are matched by key); a list may stand for a tuple
    and the reverse.
    """
    leaves: list[Any] = []
    _match(node, out, what, root, leaves)
    return leaves


def _match(node: Node, out: Any, what: str, path: str, leaves: list[Any]) -> None:
    """Append the leaves of ``out`` below ``path``, checking it against ``node``."""
    where = f"{what} at {path}"
    if node.kind == "leaf":
        if _is_container(out):
            raise ValueError(
                f"{where}: expected an array like x there; got a {type(out).__name__}"
            )
        leaves.append(out)
        return
    if node.kind == "dict":
        if not isinstance(out, dict):
            raise ValueError(f"{where}: expected a dict like x; got {type(out).__name__}")
        missing = [k for k in node.keys if k not in out]
        extra = [k for k in out if k not in node.keys]
        if missing or extra:
            detail = "; ".join(
                part
                for part in (
                    f"missing keys {missing}" if missing else "",
                    f"unexpected keys {extra}" if extra else "",
                )
                if part
            )
            raise ValueError(f"{where}: keys differ from x's ({detail})")
        for k, child in zip(node.keys, node.children, strict=True):
            _match(child, out[k], what, path_of(path, k), leaves)
        return
    if not isinstance(out, list | tuple):
        raise ValueError(
            f"{where}: expected a {node.kind} of {len(node.children)} items like x; got "
            f"{type(out).__name__}"
        )
    if len(out) != len(node.children):
        raise ValueError(
            f"{where}: expected {len(node.children)} items like x; got {len(out)}"
        )
    for k, (child, item) in enumerate(zip(node.children, out, strict=True)):
        _match(child, item, what, path_of(path, k), leaves)
