"""The reports built from the real claims: every equation (1)-(39), Table 1, Algorithm 1, errata."""

from __future__ import annotations

import re

import pytest

from derivations import Claim, Verdict
from verify.report import ReportInputs, build_reports
from verify.report.evidence import eq_numbers


@pytest.fixture(scope="module")
def files(paper_claims: list[Claim]) -> dict[str, str]:
    out = build_reports(ReportInputs(paper_claims, []))
    return {k: v.decode() for k, v in out.items() if k.endswith(".md")}


def _index_refs(index: str) -> list[str]:
    table = index.split("## Every claim", 1)[1]
    return re.findall(r"^\| ([^|]+?) \| \[", table, flags=re.M)


@pytest.mark.parametrize("n", range(1, 40))
def test_every_numbered_equation_has_a_row(files: dict[str, str], n: int) -> None:
    numbers = {k for ref in _index_refs(files["README.md"]) for k in eq_numbers(ref)}
    assert n in numbers, f"eq. ({n}) has no row in reports/README.md"


@pytest.mark.parametrize("ref", ["Table 1", "Algorithm 1"])
def test_table_and_algorithm_have_rows(files: dict[str, str], ref: str) -> None:
    assert ref in _index_refs(files["README.md"])


def test_every_wrong_claim_is_in_errata(files: dict[str, str], paper_claims: list[Claim]) -> None:
    errata = files["errata.md"]
    for c in paper_claims:
        if c.verdict is Verdict.WRONG:
            assert f"### {c.ref}: {c.title}" in errata, c.id


def test_no_dollar_dollar(files: dict[str, str]) -> None:
    for name, text in files.items():
        assert "$$" not in text, name


def test_committed_reports_use_github_math() -> None:
    from pathlib import Path

    pages = sorted((Path(__file__).resolve().parents[1] / "reports").glob("*.md"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "$$" not in text, page.name
        fences = [line for line in text.splitlines() if line.startswith("```")]
        assert all(f == "```math" for f in fences[0::2]), page.name
        assert all(f == "```" for f in fences[1::2]), page.name
        outside = re.sub(r"```math\n.*?\n```", "", text, flags=re.DOTALL)
        assert "$" not in re.sub(r"\$`[^`]*`\$", "", outside), page.name
