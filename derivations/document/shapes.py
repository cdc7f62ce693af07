r"""Declared vectors and matrices: shapes per layer, the checking instance, the network."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lark
import sympy as sp

__all__ = ["MAX_LAYERS", "MAX_SIZE", "Declared", "ShapeDeclarationError", "Shapes"]

MAX_SIZE = 8
"""Largest layer size at the checking instance: small distinct sizes find every shape slip,
and the entries of a^L grow with the product of the sizes."""
MAX_LAYERS = 5


class ShapeDeclarationError(ValueError):
    """A ``vector``/``matrix``/``layer``/``network`` line that could not be read."""


@dataclass(frozen=True)
class Declared:
    r"""``vector a^l: n_l`` / ``matrix W^l: n_l x n_{l-1}``: dimensions as written.

    ``label`` is the label letter of a layered name (``l`` of ``a^l``), ``None`` for ``y``.
    """

    kind: str
    dims: tuple[str, ...]
    label: str | None


@dataclass
class Shapes:
    """What the notation block says about vectors and matrices (empty: none declared)."""

    names: dict[str, Declared] = field(default_factory=dict)
    """Name key without label (``a``, ``W``, ``δ``, ``C_MSE``) to its declaration."""
    layers: dict[str, str] = field(default_factory=lambda: {"L": "3", "l": "L-1"})
    """The checking instance of the label letters (``layer L = 3, l = L-1``)."""
    sizes: dict[tuple[str, int], int] = field(default_factory=dict)
    """``(letter, layer)`` to the size declared with ``size n_{L-1} = 3``."""
    pending_sizes: list[tuple[str, str, int]] = field(default_factory=list)
    componentwise: list[tuple[str, str]] = field(default_factory=list)
    """``componentwise "from text" .. "to text"``: a part of the document that announces it
    ignores shapes; its formulas are read as scalars (vectors are not applied there)."""
    network: dict[str, tuple[str, lark.Tree, str]] = field(default_factory=dict)
    """``a`` -> (label letter, right-hand side tree, its text): ``network a^l = \\sigma(z^l)``."""

    def scalar_regions(self, document: str) -> list[tuple[int, int]]:
        """File offsets of the ``componentwise`` parts (to the end if the end text is missing)."""
        out = []
        def find(text: str, after: int) -> int:
            at = document.find(text, after)
            while at >= 0:  # not the declaration itself
                line = document[document.rfind("\n", 0, at) + 1 : at]
                if "componentwise" not in line:
                    return at
                at = document.find(text, at + 1)
            return -1

        for start, end in self.componentwise:
            at = find(start, 0)
            if at < 0:
                continue
            stop = find(end, at + len(start))
            out.append((at, len(document) if stop < 0 else stop))
        return out

    def layer_value(self, written: str) -> int:
        """``L-1`` -> 2 at the checking instance (``L = 3``, ``l = L-1`` by default)."""
        text = written.strip().strip("{}").replace(" ", "")
        if not re.fullmatch(r"[A-Za-z0-9+\-]+", text):
            raise ShapeDeclarationError(f"expected a layer such as L-1, got {written!r}")
        values: dict[str, int] = {}
        for letter in ("L", *sorted(k for k in self.layers if k != "L")):
            values[letter] = _integer(self.layers[letter], values, letter)
        return _integer(text, values, text)

    def size(self, letter: str, layer: int) -> int:
        """The size of ``n_layer``: declared, else 2, 4, 3, 2, ... (adjacent layers differ)."""
        self.resolve()
        got = self.sizes.get((letter, layer))
        return got if got is not None else 2 + (layer % 3)

    def resolve(self) -> None:
        """Place the ``size n_{L-1} = 3`` lines once the layers are known."""
        for letter, label, value in self.pending_sizes:
            self.sizes[(letter, self.layer_value(label))] = value
        self.pending_sizes.clear()

    def dims(self, decl: Declared, layer: int | None) -> tuple[int, int]:
        """The concrete shape (rows, columns) of a declared name at a layer; vectors are columns."""
        values = []
        for d in decl.dims:
            d = d.strip()
            if d.isdigit():
                values.append(int(d))
                continue
            m = re.fullmatch(r"([A-Za-z])_\{?([^{}]+)\}?", d)
            if m is None:
                raise ShapeDeclarationError(f"expected a size such as n_l or 3, got {d!r}")
            label = m.group(2)
            if decl.label is not None and layer is not None:
                # n_{l-1} of W^l at layer k: the offset from the declared label letter.
                offset = sp.sympify(label.replace(decl.label, "0"), locals={})
                if decl.label in label and offset.is_Integer:
                    values.append(self.size(m.group(1), layer + int(offset)))
                    continue
            values.append(self.size(m.group(1), self.layer_value(label)))
        if decl.kind == "vector":
            return values[0], 1
        return values[0], values[1]


def _integer(text: str, values: dict[str, int], what: str) -> int:
    try:
        got = sp.sympify(text, locals={k: sp.Integer(v) for k, v in values.items()})
    except (sp.SympifyError, TypeError, SyntaxError) as e:
        raise ShapeDeclarationError(f"cannot read the layer {what!r}") from e
    if not got.is_Integer:
        raise ShapeDeclarationError(f"the layer {what!r} is not a number at the checking "
                                    "instance (declare it: layer L = 3, l = L-1)")
    return int(got)
