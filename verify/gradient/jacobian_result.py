"""What a Jacobian, VJP or JVP check returns: the verdict, the failing entries, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from verify.gradient.results import GradientResult

__all__ = ["JacobianEntry", "JacobianResult", "Status", "combine", "output_label", "status_of"]

Status = Literal["pass", "fail", "undecided"]
Kind = Literal["jacobian", "vjp", "jvp"]
_MAX_LISTED = 8


def status_of(result: Any) -> Status:
    """``pass``, ``fail`` or ``undecided`` of a check result.

    From ``ok`` when the result does not carry a three-valued ``status``.
    """
    status = getattr(result, "status", None)
    if status in ("pass", "fail", "undecided"):
        return status  # type: ignore[no-any-return]
    return "pass" if result.ok else "fail"


def combine(statuses: list[Status]) -> Status:
    """``fail`` if any fails, else ``undecided`` if any is, else ``pass``."""
    if "fail" in statuses:
        return "fail"
    return "undecided" if "undecided" in statuses else "pass"


def output_label(index: tuple[int, ...] | None) -> str:
    """``f(x)[2]`` (``f(x)`` for a scalar output; ``<v, f(x)>`` when not isolated)."""
    if index is None:
        return "<v, f(x)>"
    return "f(x)" + ("[" + ", ".join(str(i) for i in index) + "]" if index else "")


@dataclass(frozen=True)
class JacobianEntry:
    """One failing entry ``J[output, input]`` (or a scalarised one when not isolated)."""

    output: tuple[int, ...] | None
    """Index into ``f(x)``; ``None``: the failure was not narrowed to one output."""
    input: str
    """The input element's path, ``x["W1"][3, 0]`` (``x`` for a failure not narrowed to one)."""
    analytic: float
    reference: float
    abs_error: float
    budget: float

    def where(self) -> str:
        """``d f(x)[2] / d x[1]``."""
        return f"d {output_label(self.output)} / d {self.input}"


@dataclass
class JacobianResult:
    """Outcome of :func:`~verify.gradient.jacobian.check_jacobian`, ``check_vjp``, ``check_jvp``.

    ``str(result)`` is a readable report. ``checks`` are the underlying scalar gradient checks,
    each named by what it scalarised (``f(x)[2]``, ``<v, f(x)>`` with cotangent seed 0, or
    ``<v, f(x + t u)>``).
    """

    kind: Kind
    status: Status
    mode: Literal["full", "directional", "none"]
    message: str
    output_shape: tuple[int, ...] = ()
    n_inputs: int = 0
    evaluations: int = 0
    """Calls of ``f`` (a value shared by several scalar checks is computed once)."""
    checks: list[tuple[str, GradientResult]] = field(default_factory=list)
    failures: list[JacobianEntry] = field(default_factory=list)
    seed: int = 0

    @property
    def ok(self) -> bool:
        """True only for ``status == "pass"``."""
        return self.status == "pass"

    @property
    def worst(self) -> JacobianEntry | None:
        """The failing entry with the largest error over its budget."""
        if not self.failures:
            return None
        return max(self.failures, key=lambda e: e.abs_error / e.budget if e.budget else e.abs_error)

    def __str__(self) -> str:
        """Verdict, what was checked, the failing entries (output index, input element)."""
        lines = [
            f"check_{self.kind}: {self.status.upper()} ({self.mode} mode, f(x) of shape "
            f"{self.output_shape}, {self.n_inputs} input elements, {self.evaluations} "
            f"evaluations of f)"
        ]
        if self.message:
            lines.append(f"  {self.message}")
        for e in self.failures[:_MAX_LISTED]:
            lines.append(
                f"  {e.where()}: analytic {e.analytic:.10g}, reference {e.reference:.10g}; "
                f"|error| {e.abs_error:.3g} OVER budget {e.budget:.3g}"
            )
        if len(self.failures) > _MAX_LISTED:
            lines.append(f"  (+{len(self.failures) - _MAX_LISTED} more failing entries)")
        bad = [(name, r) for name, r in self.checks if status_of(r) != "pass"]
        if bad and not self.failures:
            name, r = bad[0]
            lines.append(f"  {name}:")
            lines.extend("    " + line for line in str(r).splitlines())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the scalar checks by name and status)."""
        return {
            "kind": self.kind,
            "status": self.status,
            "ok": self.ok,
            "mode": self.mode,
            "message": self.message,
            "output_shape": list(self.output_shape),
            "n_inputs": self.n_inputs,
            "evaluations": self.evaluations,
            "seed": self.seed,
            "checks": [{"name": n, "status": status_of(r)} for n, r in self.checks],
            "failures": [
                {
                    "output": list(e.output) if e.output is not None else None,
                    "input": e.input,
                    "analytic": e.analytic,
                    "reference": e.reference,
                    "abs_error": e.abs_error,
                    "budget": e.budget,
                }
                for e in self.failures
            ],
        }
