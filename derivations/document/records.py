"""The records of a checked document: one per step, the JSON schema, the summary."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["VERDICTS", "DocumentResult", "StepRecord"]

VERDICTS = ("holds", "holds_if", "wrong", "undecided", "unparsed", "definition")


@dataclass(frozen=True)
class StepRecord:
    """One step: ``lhs rel rhs`` at ``line`` (where the rhs starts) in display ``block``."""

    line: int
    block: int
    step: int
    lhs: str
    rhs: str
    verdict: str
    message: str
    condition: str | None = None
    counterexample: dict[str, Any] | None = None
    column: int = 1
    method: str = "none"
    tag: str | None = None
    autograd: dict[str, Any] | None = None
    after_wrong: bool = False
    """Whether an earlier step of the same derivation is wrong."""

    def as_json(self) -> dict[str, Any]:
        """The issue's record: line, block, step, lhs, rhs, verdict, condition, ..."""
        return {
            "line": self.line, "column": self.column, "block": self.block, "step": self.step,
            "lhs": self.lhs, "rhs": self.rhs, "verdict": self.verdict,
            "condition": self.condition, "counterexample": self.counterexample,
            "message": self.message, "method": self.method, "tag": self.tag,
            "autograd": self.autograd,
        }


@dataclass(frozen=True)
class DocumentResult:
    """Every step of a document, in order; ``blocks`` display blocks were found."""

    file: str | None
    steps: tuple[StepRecord, ...]
    blocks: int
    block_lines: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Number of steps per verdict (every verdict present, 0 included)."""
        c = Counter(s.verdict for s in self.steps)
        return {v: c.get(v, 0) for v in VERDICTS}

    def first_wrong(self, block: int) -> int | None:
        """1-based step of the first wrong step of ``block``, if any."""
        return next((s.step for s in self.steps if s.block == block and s.verdict == "wrong"),
                    None)

    def ok(self, *, strict: bool = False) -> bool:
        """No step wrong or unparsed (nor undecided when ``strict``)."""
        bad = {"wrong", "unparsed"} | ({"undecided"} if strict else set())
        return not any(s.verdict in bad for s in self.steps)

    @property
    def summary(self) -> dict[str, Any]:
        """Counts, blocks, derivations with a wrong step."""
        wrong_blocks = sorted({s.block for s in self.steps if s.verdict == "wrong"})
        return {
            "blocks": self.blocks,
            "steps": len(self.steps),
            **self.counts(),
            "first_wrong": [
                {"block": b, "step": self.first_wrong(b),
                 "line": next(s.line for s in self.steps if s.block == b
                              and s.step == self.first_wrong(b))}
                for b in wrong_blocks
            ],
            "ok": self.ok(),
        }

    def as_json(self) -> dict[str, Any]:
        """``{"file": ..., "steps": [...], "summary": {...}}``."""
        return {"file": self.file, "steps": [s.as_json() for s in self.steps],
                "summary": self.summary}

    def to_json(self) -> str:
        """The JSON text (stable key order, ends with a newline)."""
        return json.dumps(self.as_json(), indent=2, ensure_ascii=False) + "\n"
