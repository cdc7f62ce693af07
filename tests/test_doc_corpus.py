"""The derivation checker over tests/doc_corpus: first wrong step and verdicts as expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import derivations
from derivations.document import DocumentResult

CORPUS = Path(__file__).resolve().parent / "doc_corpus"
EXPECTED: dict[str, dict[str, object]] = json.loads(
    (CORPUS / "expected.json").read_text(encoding="utf-8")
)


def _check(name: str) -> DocumentResult:
    path = CORPUS / name
    return derivations.check_document(path.read_text(encoding="utf-8"), path=str(path))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name: str) -> None:
    result = _check(name)
    for block in EXPECTED[name]["blocks"]:  # type: ignore[attr-defined]
        b = block["block"]
        steps = [s for s in result.steps if s.block == b]
        got = [s.verdict for s in steps]
        where = f"{name} block {b}: {[(s.verdict, s.message) for s in steps]}"
        assert result.first_wrong(b) == block["first_wrong_step"], where
        if block.get("verdicts") is not None:
            assert got == block["verdicts"], where
        if block["first_wrong_step"] is not None and block.get("line") is not None:
            first = next(s for s in steps if s.step == block["first_wrong_step"])
            assert first.line == block["line"], where
