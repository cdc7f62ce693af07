"""Results of a gradient check: per-element and per-direction comparisons, kinks, the report."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from verify.gradient.budget import (
    NOISE_FACTOR,
    SAFETY,
    Budget,
    fd_step,
    grad_tolerance,
    machine_eps,
)
from verify.gradient.inputs import Objective, label

__all__ = [
    "DirectionCheck",
    "ElementCheck",
    "GradientResult",
    "Kink",
    "Status",
    "over",
    "resolution",
]

Status = Literal["pass", "fail", "undecided"]
"""``pass``: every comparison within its budget; ``fail``: one is decisively outside it (a bug);
``undecided``: finite differences could not decide (see :attr:`GradientResult.message`)."""

_MAX_LISTED = 8
"""Failing elements and kinks listed by name in the report."""


@dataclass(frozen=True)
class DirectionCheck:
    """One directional check: ``<grad_f, u>`` against the finite difference of ``f`` along ``u``."""

    seed: int
    """``u = rademacher(shapes, seed)``: reproducible from this number alone."""
    scope: str
    """Which part of x the direction covers: ``all``, ``x[1]`` or ``x[1] flat[8:16]``."""
    analytic: float
    reference: float
    abs_error: float
    budget: Budget
    ok: bool
    kink: tuple[float, float] | None = None
    """One-sided directional derivatives ``(D-, D+)`` when ``f`` is not smooth along ``u``."""
    undecided: bool = False
    """Over the Richardson budget but within the conservative one (``ok`` is False): FD cannot
    tell a small gradient error from its own truncation here; another reference must decide.
    Also: kinks at several coordinates along u that splitting u did not settle."""
    parts: int = 0
    """Checks of parts of u that settled kinks at several coordinates (:func:`settle`); 0: none."""
    displacement: float = 0.0
    """Float64 only: a bound on how much ``abs_error`` could change if the rounded displacements
    ``x +- s u`` were taken exactly; nonzero when they were not computed because
    ``abs_error + displacement`` is within the budget (0: computed exactly)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "seed": self.seed,
            "scope": self.scope,
            "analytic": self.analytic,
            "reference": self.reference,
            "abs_error": self.abs_error,
            "budget": self.budget.to_dict(),
            "ok": self.ok,
            "kink": list(self.kink) if self.kink is not None else None,
            "undecided": self.undecided,
            "parts": self.parts,
            "displacement": self.displacement,
        }


@dataclass(frozen=True)
class ElementCheck:
    """One element's comparison: analytic ``grad_f`` against the finite-difference reference."""

    array: int
    index: tuple[int, ...]
    analytic: float
    reference: float
    abs_error: float
    rel_error: float
    """``abs_error`` over the largest |entry| of this array of grad_f (normwise relative error)."""
    budget: Budget
    method: str
    """``central`` (Richardson), ``complex_step``, ``one_sided`` (kink) or ``undefined``."""
    note: str = ""

    @property
    def ok(self) -> bool:
        """Within budget (kinks are judged separately)."""
        return self.abs_error <= self.budget.total

    def where(self, single: bool, names: tuple[str, ...] = ()) -> str:
        """``x[1][2, 0]`` (``x["W1"][2, 0]`` with the paths ``names`` of a tree)."""
        return label(self.array, self.index, single, names)


@dataclass(frozen=True)
class Kink:
    """A point where ``f`` is not differentiable along one element: the one-sided derivatives."""

    array: int
    index: tuple[int, ...]
    left: float
    right: float
    analytic: float
    accepted: bool
    """Whether ``grad_f`` lies in ``[min(left, right), max(left, right)]`` (up to the budget)."""


@dataclass
class GradientResult:
    """Outcome of :func:`check_gradient`; ``str(result)`` is a readable report."""

    status: Status
    mode: Literal["full", "directional", "none"]
    message: str
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    """Full mode: error over the largest |entry| of that element's gradient array. Directional
    mode: the largest directional error over ``||grad_f||_2`` (the typical ``|<grad_f, u>|``)."""
    worst: ElementCheck | DirectionCheck | None = None
    """Full mode: the element with the largest error/budget ratio. Directional mode: the localised
    failing element if found, else the worst direction."""
    failures: list[ElementCheck] = field(default_factory=list)
    kinks: list[Kink] = field(default_factory=list)
    directions: list[DirectionCheck] = field(default_factory=list)
    localisation: list[DirectionCheck] = field(default_factory=list)
    failing_arrays: list[int] = field(default_factory=list)
    undecided: list[DirectionCheck] = field(default_factory=list)
    """Directions over the Richardson budget but within the conservative one: FD cannot decide.
    With ``undecided_ok`` they do not fail the check (another reference decides)."""
    n_elements: int = 0
    evaluations: int = 0
    fd_dtype: str = ""
    complex_step: bool = False
    seed: int = 0
    single: bool = True
    names: tuple[str, ...] = ()
    """When x is a tree: the path of each array (``x["W1"]``), used in every label."""
    resolution: float = math.inf
    """The smallest relative error (in the sense of :attr:`max_rel_error`) this check was sure to
    detect: twice the largest budget over the scale it is relative to."""
    resolution_note: str = ""
    """One sentence: what limits :attr:`resolution` and what would improve it."""

    @property
    def ok(self) -> bool:
        """True only for ``status == "pass"``."""
        return self.status == "pass"

    def __str__(self) -> str:
        """Multi-line report: verdict, worst element (where, values, budget), failures, kinks."""
        head = self.status.upper()
        if self.mode == "none":  # f or grad_f misbehaved before any comparison was made
            lines = [f"check_gradient: {head} (no comparison made, {self.n_elements} elements)"]
            if self.message:
                lines.append(f"  {self.message}")
            return "\n".join(lines)
        lines = [
            f"check_gradient: {head} ({self.mode} mode, {self.n_elements} elements, "
            f"{self.evaluations} evaluations of f, reference in {self.fd_dtype or '-'}"
            f"{', complex step' if self.complex_step else ''})"
        ]
        if self.message:
            lines.append(f"  {self.message}")
        relative_to = "the largest entry of each gradient array"
        if self.mode == "directional":
            relative_to = "||grad_f||_2"

        lines.append(
            f"  max abs error {self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g} "
            f"(relative to {relative_to})"
        )
        if self.resolution_note:
            lines.append(f"  resolution: {self.resolution_note}")
        w = self.worst
        if isinstance(w, ElementCheck):
            verdict = "within" if w.ok else "OVER"
            lines.append(
                f"  worst: {w.where(self.single, self.names)}: grad_f = {w.analytic:.10g}, "
                f"reference = "
                f"{w.reference:.10g} ({w.method}); |error| {w.abs_error:.3g} {verdict} budget "
                f"{w.budget.total:.3g} (truncation {w.budget.truncation:.2g}, rounding "
                f"{w.budget.rounding:.2g}, grad rounding {w.budget.reference:.2g}, "
                f"h {w.budget.step:.2g})"
            )
        elif isinstance(w, DirectionCheck):
            verdict = "within" if w.abs_error <= w.budget.total else "OVER"
            how = "finite difference"
            if w.kink is not None:
                how = (
                    f"f has a kink along u (one-sided derivatives [{w.kink[0]:.6g}, "
                    f"{w.kink[1]:.6g}])"
                    + (f", settled in {w.parts} part checks; their" if w.parts else "; its")
                    + " valid value"
                )
            lines.append(
                f"  worst direction: seed {w.seed} ({w.scope}): <grad_f, u> = {w.analytic:.10g}, "
                f"{how} = {w.reference:.10g}; |error| {w.abs_error:.3g} {verdict} budget "
                f"{w.budget.total:.3g}"
            )
        if self.failing_arrays:
            names = ", ".join(label(a, None, self.single, self.names) for a in self.failing_arrays)
            lines.append(f"  failing arrays: {names}")
        if self.failures and self.mode == "directional":
            where = self.failures[0].where(self.single, self.names)
            lines.append(
                f"  located failing element: {where} (directional "
                "mode locates one; mode='full' lists every failing element)"
            )
        elif self.failures:
            shown = ", ".join(e.where(self.single, self.names) for e in self.failures[:_MAX_LISTED])
            more = (
                f" (+{len(self.failures) - _MAX_LISTED} more)"
                if len(self.failures) > _MAX_LISTED
                else ""
            )
            lines.append(f"  failing elements: {len(self.failures)}: {shown}{more}")
        for k in self.kinks[:_MAX_LISTED]:
            state = "accepted: between them" if k.accepted else "REJECTED: outside them"
            lines.append(
                f"  kink at {label(k.array, k.index, self.single, self.names)}: "
                "one-sided derivatives "
                f"[{k.left:.6g}, {k.right:.6g}], grad_f = {k.analytic:.6g} ({state})"
            )
        if self.directions:
            seeds = ", ".join(str(d.seed) for d in self.directions)
            lines.append(f"  directions: {len(self.directions)} Rademacher (+-1), seeds {seeds}")
        return "\n".join(lines)


def over(a: float, b: float) -> float:
    """``a / b``, inf when ``b`` is 0 and ``a`` is not."""
    return a / b if b > 0 else (math.inf if a else 0.0)


def resolution(
    obj: Objective,
    f0: float,
    b: Budget,
    scale: float,
    g_dtype: np.dtype[Any],
    where: str,
    relative_to: str,
) -> tuple[float, str]:
    """The resolution ``2 b.total / scale`` and a sentence on what limits it.

    Twice the budget: the finite difference itself may be off by up to one budget, so an error
    over two is outside the budget whatever the sign.
    """
    r = over(2.0 * b.total, scale)
    if not math.isfinite(r):
        return r, f"{where}: its gradient is 0, so no relative error there can be measured"
    head = f"relative errors above {r:.3g} (of {relative_to}) are always detected"
    if r > 0.01:
        head += " (a 1% error could pass unseen)"
    terms = {"truncation": SAFETY * b.truncation, "rounding": SAFETY * b.rounding,
             "grad": b.reference}  # fmt: skip
    top = max(terms, key=lambda k: terms[k])
    eps64 = machine_eps(np.float64)
    x_scale = obj.abs_max()
    f64 = SAFETY * 3.0 * NOISE_FACTOR * eps64 * abs(f0) / fd_step(x_scale, np.float64)
    g64 = grad_tolerance(np.float64, scale)
    if top == "rounding" and b.noise:
        times = b.noise / max(eps64 * abs(f0), np.finfo(np.float64).tiny)
        better = over(2.0 * (f64 + b.reference), scale)
        why = (
            f"limited at {where} by the noise of f ({b.noise:.2g}, {times:.2g} times "
            "float64 rounding of |f|: f computes in lower precision or iteratively); f in "
            f"float64 throughout would resolve about {better:.2g}"
        )
    elif top == "rounding":
        why = f"limited at {where} by the rounding of f in {obj.fd_dtype.name}"
        if obj.fd_dtype != np.float64:
            why += f"; f in float64 would resolve about {over(2.0 * (f64 + g64), scale):.2g}"
    elif top == "grad":
        why = f"limited at {where} by the rounding allowed in grad_f's {g_dtype} values"
        if g_dtype != np.float64:
            why += (
                "; a float64 gradient would resolve about "
                f"{over(2.0 * (SAFETY * (b.truncation + b.rounding) + g64), scale):.2g}"
            )
    else:
        why = f"limited at {where} by the truncation of the finite difference (step {b.step:.2g})"
    return r, f"{head}; {why}"
