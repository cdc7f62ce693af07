"""What the document has said so far: definitions, layer labels, index ranges, assumptions."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derivations.document.shapes import Shapes

__all__ = ["Context", "Definition", "Opaque"]


class Opaque(sp.Symbol):  # type: ignore[misc]
    """A quantity the document uses but never defines (``∂C/∂w`` for an undefined ``C``)."""


@dataclass
class Definition:
    r"""``name`` defined at ``line``: a value (``params == ()``) or a function of ``params``.

    ``indices`` are the free indices of an indexed definition (``s_i = ...``); ``out_index`` the
    component index of a vector function (``\\sigma(z)_i = ...``). ``vectors`` are the params
    that the body uses with indices (``z`` in ``e^{z_i}``).
    """

    name: str
    body: sp.Expr
    line: int
    params: tuple[sp.Symbol, ...] = ()
    indices: tuple[sp.Symbol, ...] = ()
    out_index: sp.Symbol | None = None
    source: str = ""
    forced: bool = False
    """Made with ``:=`` / ``\\coloneqq``: generic in the layer label (``δ^l_j := ...``)."""


@dataclass
class Context:
    """Document state while its blocks are read in order."""

    definitions: dict[str, Definition] = field(default_factory=dict)
    label_letters: set[str] = field(default_factory=lambda: {"l", "L"})
    labelled: set[str] = field(default_factory=set)
    """Name keys whose superscripts are labels (differentiated against, several values, ...)."""
    functions: set[str] = field(default_factory=set)
    """Name keys declared or defined as functions."""
    sizes: dict[str, int | None] = field(default_factory=dict)
    """Size symbols (``K``, ``N``) with the value to check at, ``None``: the default ones."""
    index_ranges: dict[str, tuple[sp.Expr, sp.Expr]] = field(default_factory=dict)
    assumptions: list[tuple[sp.Expr, sp.Expr, str]] = field(default_factory=list)
    """``(lhs, rhs, latex)`` equations a step may need (``\\sum_k y_k = 1``)."""
    domains: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Sampling interval per name key (``positive``, ``probability``, ``real`` declarations)."""
    shapes: Shapes = field(default_factory=Shapes)
    """Declared vectors and matrices, the checking instance of the layers, the network."""
    symbols: dict[str, sp.Symbol] = field(default_factory=dict)
    bases: dict[str, sp.IndexedBase] = field(default_factory=dict)
    index_symbols: dict[str, sp.Symbol] = field(default_factory=dict)

    def symbol(self, key: str) -> sp.Symbol:
        """The real scalar ``Symbol`` of a name (a positive integer one for a size)."""
        if key in self.sizes:
            return self.index_symbol(key, size=True)
        got = self.symbols.get(key)
        if got is None:
            got = self.symbols[key] = sp.Symbol(key, real=True)
        return got

    def base(self, key: str) -> sp.IndexedBase:
        """The ``IndexedBase`` of an indexed name (``y`` of ``y_k``)."""
        got = self.bases.get(key)
        if got is None:
            # No assumptions on the label: it must never equal the scalar Symbol(key, real=True).
            got = self.bases[key] = sp.IndexedBase(key)
        return got

    def index_symbol(self, letter: str, *, size: bool = False) -> sp.Symbol:
        """An integer index (``k``) or a positive integer size (``K``)."""
        got = self.index_symbols.get(letter)
        if got is None:
            if size:
                got = sp.Symbol(letter, integer=True, positive=True)
            else:
                got = sp.Symbol(letter, integer=True)
            self.index_symbols[letter] = got
        return got

    def size_symbols(self) -> set[sp.Symbol]:
        """Every size symbol met so far."""
        return {self.index_symbol(k, size=True) for k in self.sizes}
