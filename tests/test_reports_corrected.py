"""Errata read right: paper-notation corrections, short math, honest counts and wording."""

from __future__ import annotations

import re

import pytest
import sympy as sp

from derivations import Claim, Verdict
from derivations.claims import Method, NumericSpec
from derivations.judge import make_claim
from verify.report import ReportInputs, build_reports
from verify.report.corrected import (
    CHECKED_INSTANCE_LABEL,
    MAX_INSTANCE_LATEX,
    corrected_lines,
    instance_displayable,
)
from verify.report.errata import MAX_ERRATA_LATEX, render_errata
from verify.results import Record

_FENCE = re.compile(r"```math\n(.*?)\n```", re.S)
_PROSE_IN_MATH = re.compile(r"(?<![\\\w])[a-z]{3,} [a-z]{3,}(?![\w}])")
"""Two plain words in math outside ``\\text{}``: a prose Symbol name printed by sympy.latex."""


@pytest.fixture(scope="module")
def wrong(paper_claims: list[Claim]) -> list[Claim]:
    """The paper's wrong claims."""
    out = [c for c in paper_claims if c.verdict is Verdict.WRONG]
    assert out
    return out


@pytest.fixture(scope="module")
def pages(paper_claims: list[Claim]) -> dict[str, str]:
    out = build_reports(ReportInputs(paper_claims, []))
    return {k: v.decode() for k, v in out.items() if k.endswith(".md")}


def _entries(errata: str) -> dict[str, str]:
    """``### heading`` -> its text, for the errata page."""
    parts = re.split(r"^(### .*)$", errata, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _corrected_block(entry: str) -> str:
    """The text between ``Corrected:`` and the next part of an errata entry."""
    if "Corrected:" not in entry:
        return ""
    rest = entry.split("Corrected:", 1)[1]
    end = re.search(r"^(First wrong line|Numeric counterexample|How it was found)", rest, re.M)
    return rest[: end.start()] if end else rest


def _without_text(tex: str) -> str:
    return re.sub(r"\\text\{[^{}]*\}", "", tex)


def test_every_wrong_claim_has_a_printed_correction(
    wrong: list[Claim], subtests: pytest.Subtests
) -> None:
    for claim in wrong:
        with subtests.test(claim.id):
            assert claim.corrected_printed.strip(), claim.id
            if not claim.corrected_prose:
                assert "$" not in claim.corrected_printed, "LaTeX without math delimiters"


def test_a_wrong_claim_without_printed_correction_is_refused() -> None:
    x = sp.Symbol("x")
    with pytest.raises(ValueError, match="corrected_printed"):
        make_claim(
            id="t.wrong",
            ref="eq. 1",
            family="network",
            title="t",
            printed="x",
            expected=Verdict.WRONG,
            verdict=Verdict.WRONG,
            method=Method.SYMBOLIC,
            corrected=x,
            residual=x,
            counterexample={"x": 1.0},
        )


def test_corrected_blocks_read_as_mathematics(pages: dict[str, str], wrong: list[Claim]) -> None:
    entries = _entries(pages["errata.md"])
    for c in wrong:
        block = _corrected_block(entries[f"### {c.ref}: {c.title}"])
        assert block.strip(), f"{c.id}: no Corrected block"
        assert r"\text{True}" not in block and r"\text{False}" not in block, c.id
        for tex in _FENCE.findall(block):
            assert not _PROSE_IN_MATH.search(_without_text(tex)), f"{c.id}: prose in math: {tex}"
        if c.corrected_prose:
            assert (
                c.corrected_printed in block and "```" not in block.split(CHECKED_INSTANCE_LABEL)[0]
            )


def test_errata_math_is_short_or_a_checked_instance(pages: dict[str, str]) -> None:
    errata = pages["errata.md"]
    for m in _FENCE.finditer(errata):
        label = errata[: m.start()].rstrip().rsplit("\n", 1)[-1]
        tex = m.group(1)
        if label.startswith(CHECKED_INSTANCE_LABEL):
            assert len(tex) < MAX_INSTANCE_LATEX, label
        else:
            assert len(tex) < MAX_ERRATA_LATEX, f"{label}: {len(tex)} chars"


def test_shown_instances_are_displayable(wrong: list[Claim]) -> None:
    for c in wrong:
        text = "\n".join(corrected_lines(c, label="Corrected", full=False))
        if CHECKED_INSTANCE_LABEL in text:
            assert c.corrected_instance and instance_displayable(c.corrected), c.id
            assert c.corrected_instance in text


def test_displayable_rejects_booleans_and_prose_symbols() -> None:
    assert not instance_displayable(sp.true)
    assert not instance_displayable(sp.Symbol("update W^l inside the loop"))
    assert not instance_displayable(sp.Eq(sp.Symbol("dC/db3"), sp.Symbol("delta3")))
    assert instance_displayable(sp.Symbol("y_1") + sp.Symbol("K_mb"))


def test_header_counts_slips_and_drops_zero_clauses(
    pages: dict[str, str], wrong: list[Claim]
) -> None:
    header = pages["errata.md"].split("\n## ", 1)[0]
    slips = [
        c
        for c in wrong
        if c.first_wrong_step is not None and c.steps[-1].verdict is not Verdict.WRONG
    ]
    assert slips, "sec. 6.2's binary CE derivation is a slip whose final line is right"
    assert f"{len(slips)} of them a slip inside a derivation whose final line is right" in header
    assert not re.search(r"(?<![\d.])0 (claims|hold|reach)", header), header


def _identity_claim() -> Claim:
    y1, y2 = sp.symbols("y1 y2")
    return Claim(
        id="t.sum",
        ref="sec. 3.2",
        family="costs",
        title="Label sum",
        verdict=Verdict.WRONG,
        expected=Verdict.WRONG,
        method=Method.SYMBOLIC,
        paper=y1 + y2 + 1,
        truth=y1 + y2,
        corrected=y1 + y2,
        corrected_printed=r"\sum_{k=1}^{K} y_k = 1",
        residual=sp.Integer(1),
        counterexample={"y1": 0.0, "y2": 1.0},
        numeric=NumericSpec(
            variables=(y1, y2),
            definition=y1 + y2,
            wrt=(),
            paper=y1 + y2 + 1,
            truth=y1 + y2,
            sample=lambda rng: {y1: 0.0, y2: 1.0},
        ),
    )


def test_identity_specs_are_not_called_derivatives() -> None:
    record = Record("t.sum.paper", "sec. 3.2", "numeric", "fail", "fail", "ok", "numeric", "", {})
    record.details.update({"side": "paper", "max_err_jax": 1.0, "max_err_fd": 1.0, "points": 4})
    text = render_errata([_identity_claim()], [record])
    found = next(line for line in text.splitlines() if line.startswith("How it was found"))
    assert "defining expression evaluated in JAX (float64)" in found
    assert "autodiff" not in found and "finite differences" not in found


def test_prose_correction_is_a_paragraph() -> None:
    claim = _identity_claim()
    from dataclasses import replace

    prose = replace(claim, corrected_printed="Sum the labels from 1.", corrected_prose=True)
    lines = corrected_lines(prose, label="Corrected", full=False)
    assert lines[:3] == ["Corrected:", "", "Sum the labels from 1."]
    assert not any(line.startswith("```") for line in lines)


@pytest.mark.parametrize(
    "bad", [r"\text{True}", "None", "nan", "NumericSpec", "ShapeError(", "ShapeMismatch("]
)
def test_no_internal_or_broken_output_on_any_page(pages: dict[str, str], bad: str) -> None:
    for name, text in pages.items():
        hits = [line for line in text.splitlines() if re.search(rf"(?<!\w){re.escape(bad)}", line)]
        assert not hits, f"{name}: {bad!r} in {hits[0][:200]}"
