"""The claim model: one paper statement, its derived truth, and the verdict that joins them."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from derivations.compiled import lambdify

__all__ = [
    "Claim",
    "Method",
    "NumericSpec",
    "Step",
    "Verdict",
]


class Verdict(enum.StrEnum):
    """What the checker concludes about a claim of the paper."""

    HOLDS = "holds"
    """True as printed, with no side condition."""
    HOLDS_IF = "holds_if"
    """True only under ``Claim.condition`` (e.g. ``sum_k y_k = 1``)."""
    HOLDS_ALMOST_EVERYWHERE = "holds_almost_everywhere"
    """True except on ``Claim.condition``, a null set (e.g. ``z = 0``)."""
    CONVENTION = "convention"
    """A choice the mathematics leaves open; ``Claim.note`` records other frameworks' choices."""
    WRONG = "wrong"
    """False as printed; ``Claim.corrected`` holds the corrected form."""
    DEFINITION = "definition"
    """A definition: nothing to prove, recorded so that every equation has an entry."""


class Method(enum.StrEnum):
    """How a verdict was reached."""

    SYMBOLIC = "symbolic"
    """``simplify(paper - truth)`` reached 0 (or a non-zero residual was confirmed numerically)."""
    SYMBOLIC_GENERAL_K = "symbolic_general_K"
    """Proved for a symbolic dimension K (IndexedBase + Sum + KroneckerDelta)."""
    ENUMERATED = "enumerated"
    """Proved symbolically for each K in a finite range only (say which in ``Claim.note``)."""
    NUMERIC = "numeric"
    """High-precision mpmath evaluation at many random points: evidence, never a proof."""
    DEFINITION = "definition"
    """Nothing to derive: the statement defines a symbol."""
    INSPECTION = "inspection"
    """A statement about text or algorithm structure, checked by reading its transcription."""


@dataclass(frozen=True)
class Step:
    """One printed line of a multi-line derivation, held against the ground truth."""

    index: int
    """1-based line number within the derivation, as printed."""
    paper: sp.Expr | sp.Matrix
    """The line as printed (mistakes included)."""
    verdict: Verdict
    """``holds`` or ``wrong`` (or ``holds_if`` under ``condition``) against the truth."""
    residual: sp.Expr | sp.Matrix | None = None
    """``simplify(paper - truth)`` when not zero."""
    condition: str | None = None
    note: str = ""


@dataclass(frozen=True)
class NumericSpec:
    """Concrete (small, fixed-size) instance of a differentiable claim, for numerical cross-checks.

    ``definition`` is the function whose derivative the paper states, in ``variables``;
    ``paper`` and ``truth`` are that derivative as printed and as derived (``sympy.diff`` of
    ``definition`` with respect to ``wrt``). Shapes: a scalar ``definition`` gives a gradient
    (``Matrix`` column of len(wrt)) or a scalar for one ``wrt``; a vector ``definition`` gives a
    Jacobian ``Matrix`` of shape (len(definition), len(wrt)).
    """

    variables: tuple[sp.Symbol, ...]
    definition: sp.Expr | sp.Matrix
    wrt: tuple[sp.Symbol, ...]
    paper: sp.Expr | sp.Matrix
    truth: sp.Expr | sp.Matrix
    sample: Callable[[Any], dict[sp.Symbol, float]]
    """``sample(rng)`` draws one valid point (``rng`` a ``numpy.random.Generator``):
    e.g. probabilities in (0, 1), one-hot labels, |z| up to 30, near-but-not-on kinks."""
    kinks: tuple[Mapping[sp.Symbol, float], ...] = ()
    """Points where ``definition`` is not differentiable (checked one-sided, never as a failure)."""

    def lambdify(self, expr: sp.Expr | sp.Matrix, modules: str = "numpy") -> Callable[..., Any]:
        """Callable of ``expr`` taking ``variables`` positionally (numpy, jax or mpmath)."""
        # cse: the backprop instances share large subexpressions (the forward pass).
        return lambdify(self.variables, expr, modules, cse=True)


@dataclass(frozen=True)
class Claim:
    """One statement of the paper, transcribed as printed, with the checker's verdict."""

    id: str
    """Stable identifier, e.g. ``softmax.jacobian``."""
    ref: str
    """Where in the paper: ``eq. 16``, ``sec. 6.2``, ``Algorithm 1``, ``Table 1``."""
    family: str
    """Report page: ``network``, ``costs``, ``activations``, ``deltas``, ``backprop``,
    ``training``."""
    title: str
    """One line."""
    verdict: Verdict
    """What the checker derived (computed, never typed in)."""
    expected: Verdict
    """What we expect it to derive: a change in ``verdict`` is a CI failure."""
    method: Method
    paper: sp.Expr | sp.Matrix | None = None
    """The statement as printed (the last line, for a chain)."""
    truth: sp.Expr | sp.Matrix | None = None
    """Independently derived truth (``sympy.diff`` of the definition), never typed by hand."""
    steps: tuple[Step, ...] = ()
    """Each printed line of a multi-line derivation, each judged against ``truth``."""
    condition: str | None = None
    """For ``holds_if``: what must hold; for ``holds_almost_everywhere``: the excluded set."""
    corrected: sp.Expr | sp.Matrix | None = None
    """For ``wrong``: the corrected form (a SymPy instance: this is what is verified)."""
    residual: sp.Expr | sp.Matrix | None = None
    """For ``wrong``: ``paper - truth`` simplified."""
    counterexample: Mapping[str, float] | None = None
    """For ``wrong``: a point (variable name -> value) where paper and truth differ."""
    note: str = ""
    """Free text: conventions of other frameworks, what the proof needed, what was enumerated."""
    printed: str = ""
    """The paper's LaTeX as printed, for the reports."""
    numeric: NumericSpec | None = None
    """Concrete instance for the harness; ``None`` when there is nothing to evaluate."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    corrected_printed: str = ""
    """For ``wrong``: the corrected statement for readers, in the paper's notation: LaTeX, or a
    plain-text sentence when ``corrected_prose`` (e.g. footnote 1). ``corrected`` stays the
    machine-checked form; this is only how the reports show it."""
    corrected_prose: bool = False
    """Whether ``corrected_printed`` is prose (a paragraph) rather than LaTeX (a math block)."""
    corrected_instance: str = ""
    """What the SymPy ``corrected`` instantiates (e.g. ``K = 3``), when that short instance is
    worth showing under ``corrected_printed``; empty: the instance is not shown to readers."""

    @property
    def first_wrong_step(self) -> int | None:
        """1-based index of the first printed line judged wrong, if any."""
        return next((s.index for s in self.steps if s.verdict is Verdict.WRONG), None)

    @property
    def as_expected(self) -> bool:
        """Whether the derived verdict is the one recorded as expected."""
        return self.verdict is self.expected
