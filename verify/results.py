"""Check records: the one structure every check emits, for the CLI, the JSON and the reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Kind", "Record", "Status", "expect_pass", "summarise"]

Kind = Literal["symbolic", "numeric", "experiment"]
Status = Literal["ok", "unexpected", "error"]


@dataclass(frozen=True)
class Record:
    """One check's outcome, as written to ``--json`` and read by the reports."""

    id: str
    """Stable identifier (the claim id, or e.g. ``mlp.grad.sigmoid.softmax.cross_entropy.d3``)."""
    ref: str
    """Paper reference (``eq. 16``) or the harness's own (``mlp``)."""
    kind: Kind
    verdict: str
    """Derivations vocabulary for symbolic checks; ``pass``/``fail`` for numeric ones."""
    expected: str
    status: Status
    """``ok`` iff the verdict is the expected one."""
    method: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    """Check-specific numbers (errors, worst index, budgets, seeds, layer); JSON-serialisable."""

    def to_json(self) -> dict[str, Any]:
        """Plain dict for ``json.dump``."""
        return asdict(self)


def expect_pass(
    id: str, ref: str, ok: bool, method: str, message: str, details: dict[str, Any]
) -> Record:
    """A numeric check expected to pass: verdict ``pass``/``fail``, status ``ok`` iff it passed."""
    return Record(
        id=id,
        ref=ref,
        kind="numeric",
        verdict="pass" if ok else "fail",
        expected="pass",
        status="ok" if ok else "unexpected",
        method=method,
        message=message,
        details=details,
    )


def summarise(records: list[Record]) -> dict[str, Any]:
    """Counts by kind and status, for the JSON ``summary`` and the final table."""
    by_kind: dict[str, dict[str, int]] = {}
    for r in records:
        row = by_kind.setdefault(r.kind, {"ok": 0, "unexpected": 0, "error": 0})
        row[r.status] += 1
    return {
        "total": len(records),
        "ok": sum(r.status == "ok" for r in records),
        "not_ok": sum(r.status != "ok" for r in records),
        "by_kind": by_kind,
    }
