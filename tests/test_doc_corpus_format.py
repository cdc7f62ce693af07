"""The document-checker corpus: expected.json is well-formed and agrees with its files."""

import json
import re
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "doc_corpus"
EXPECTED: dict[str, dict[str, object]] = json.loads(
    (CORPUS / "expected.json").read_text(encoding="utf-8")
)
VERDICTS = {"holds", "holds_if", "wrong", "definition", "unparsed", "undecided"}
TEX_BLOCK = re.compile(r"\\begin\{(equation|align|gather|multline)(\*?)\}.*?\\end\{\1\2\}", re.S)
MD_BLOCK = re.compile(r"\$\$.*?\$\$|```math\n.*?```", re.S)


def display_blocks(path: Path) -> list[tuple[int, int]]:
    """First and last 1-based source line of every display block."""
    text = path.read_text(encoding="utf-8")
    pattern = TEX_BLOCK if path.suffix == ".tex" else MD_BLOCK
    return [
        (text.count("\n", 0, m.start()) + 1, text.count("\n", 0, m.end()) + 1)
        for m in pattern.finditer(text)
    ]


def test_corpus_size_and_mix() -> None:
    names = list(EXPECTED)
    corpus = [n for n in names if not n.startswith("../")]
    assert len(corpus) >= 25
    assert sum(n.endswith(".tex") for n in corpus) >= 4
    assert sum(n.endswith(".txt") for n in corpus) >= 2
    assert sum(n.startswith("../../examples/") for n in names) >= 2
    on_disk = {p.name for p in CORPUS.iterdir() if p.suffix in {".md", ".tex", ".txt"}}
    assert on_disk - {"README.md"} == set(corpus)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expectation_matches_file(name: str) -> None:
    entry = EXPECTED[name]
    path = CORPUS / name
    assert path.is_file(), name
    assert isinstance(entry["description"], str) and entry["description"]
    blocks = entry["blocks"]
    assert isinstance(blocks, list)
    spans = display_blocks(path)
    assert [b["block"] for b in blocks] == list(range(1, len(spans) + 1))
    for b, (first, last) in zip(blocks, spans, strict=True):
        verdicts = b["verdicts"]
        assert verdicts and set(verdicts) <= VERDICTS, (name, b)
        wrong = [i for i, v in enumerate(verdicts, 1) if v == "wrong"]
        assert b["first_wrong_step"] == (wrong[0] if wrong else None), (name, b)
        if wrong:
            assert first <= b["line"] <= last, (name, b)
            assert b["slip"], (name, b)
        else:
            assert b["line"] is None, (name, b)
        if "unparsed" in verdicts:
            assert b["slip"] and "unparsed" in b["slip"], (name, b)
