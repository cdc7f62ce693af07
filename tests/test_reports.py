"""Reports: GitHub math fences, byte-stable output, errata coverage, index rows, atomic writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy as sp

from derivations.claims import Claim, Method, Step, Verdict
from verify.report import ReportInputs, build_reports, stale_files, write_reports
from verify.report.errata import errata_claims
from verify.report.evidence import claim_records, eq_numbers, max_errors
from verify.report.render import fmt_err, inline_math, math_block, table
from verify.results import Record

z, a, y = sp.symbols("z a y", real=True)
SIG = 1 / (1 + sp.exp(-z))


def fake_claims() -> list[Claim]:
    """A handful of claims covering every verdict the reports treat specially."""
    return [
        Claim(
            id="sigmoid.derivative",
            ref="eq. 14",
            family="activations",
            title="Sigmoid derivative",
            verdict=Verdict.HOLDS,
            expected=Verdict.HOLDS,
            method=Method.SYMBOLIC,
            paper=SIG * (1 - SIG),
            truth=sp.diff(SIG, z),
            printed=r"\sigma'_{\text{sig}}(z) = \sigma_{\text{sig}}(z)(1 - \sigma_{\text{sig}}(z))",
            steps=(
                Step(1, sp.diff(SIG, z), Verdict.HOLDS),
                Step(2, -sp.exp(-z) / (1 + sp.exp(-z)), Verdict.WRONG, residual=sp.Integer(1)),
                Step(3, SIG * (1 - SIG), Verdict.HOLDS),
            ),
        ),
        Claim(
            id="relu.derivative",
            ref="eq. 20",
            family="activations",
            title="Relu derivative",
            verdict=Verdict.HOLDS_ALMOST_EVERYWHERE,
            expected=Verdict.HOLDS_ALMOST_EVERYWHERE,
            method=Method.SYMBOLIC,
            condition="z = 0",
        ),
        Claim(
            id="ce.derivative",
            ref="eq. 30",
            family="costs",
            title="Cross-entropy derivative",
            verdict=Verdict.WRONG,
            expected=Verdict.WRONG,
            method=Method.SYMBOLIC,
            paper=-y / a,
            truth=-y / a + (1 - y) / (1 - a),
            corrected=-y / a + (1 - y) / (1 - a),
            residual=-(1 - y) / (1 - a),
            counterexample={"a": 0.25, "y": 0.0},
        ),
        Claim(
            id="ce.softmax.delta",
            ref="eq. 39",
            family="deltas",
            title="CE + softmax delta",
            verdict=Verdict.HOLDS_IF,
            expected=Verdict.HOLDS_IF,
            method=Method.SYMBOLIC_GENERAL_K,
            condition="sum_k y_k = 1",
            paper=a - y,
            truth=a - y,
        ),
        Claim(
            id="algorithm1",
            ref="Algorithm 1",
            family="training",
            title="Training loop",
            verdict=Verdict.WRONG,
            expected=Verdict.WRONG,
            method=Method.INSPECTION,
            note="the update sits outside the mini-batch loop",
        ),
        Claim(
            id="table1",
            ref="Table 1",
            family="deltas",
            title="Cost/activation pairs",
            verdict=Verdict.DEFINITION,
            expected=Verdict.DEFINITION,
            method=Method.DEFINITION,
        ),
    ]


def fake_records() -> list[Record]:
    return [
        Record(
            "sigmoid.derivative.points",
            "eq. 14",
            "numeric",
            "pass",
            "pass",
            "ok",
            "numeric",
            "200 points",
            {"max_err_jax": 3.1e-17, "max_err_fd": 2.2e-11},
        ),
        Record(
            "ce.derivative.points",
            "eq. 30",
            "numeric",
            "fail",
            "fail",
            "ok",
            "numeric",
            "paper differs",
            {"max_err_jax": 0.53, "max_err_fd": 0.53},
        ),
        Record("mlp.grad.sigmoid.d1", "mlp", "numeric", "pass", "pass", "ok", "numeric", "", {}),
        Record("mlp.grad.sigmoid.d2", "mlp", "numeric", "pass", "pass", "ok", "numeric", "", {}),
        Record("kinks.relu.z0", "eq. 20", "numeric", "pass", "pass", "ok", "numeric", "", {}),
    ]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return build_reports(ReportInputs(fake_claims(), fake_records()))


def _markdown(files: dict[str, bytes]) -> dict[str, str]:
    return {k: v.decode() for k, v in files.items() if k.endswith(".md")}


def test_pages_exist(files: dict[str, bytes]) -> None:
    assert {
        "README.md",
        "errata.md",
        "activations.md",
        "costs.md",
        "deltas.md",
        "training.md",
    } <= set(files)


def test_no_dollar_dollar_and_fences_are_math(files: dict[str, bytes]) -> None:
    for name, text in _markdown(files).items():
        assert "$$" not in text, name
        fences = [line for line in text.splitlines() if line.startswith("```")]
        assert len(fences) % 2 == 0, name
        assert all(f == "```math" for f in fences[0::2]), name
        assert all(f == "```" for f in fences[1::2]), name
        outside = re.sub(r"```math\n.*?\n```", "", text, flags=re.DOTALL)
        assert "$" not in re.sub(r"\$`[^`]*`\$", "", outside), name


def test_build_is_byte_identical(files: dict[str, bytes]) -> None:
    assert build_reports(ReportInputs(fake_claims(), fake_records())) == files


def test_index_has_a_row_per_claim(files: dict[str, bytes]) -> None:
    index = files["README.md"].decode()
    for c in fake_claims():
        assert re.search(rf"^\| {re.escape(c.ref)} \| \[{re.escape(c.title)}\]", index, re.M), c.id
    assert "< 1e-16" in index and "0.53" in index
    assert "Harness checks of the NumPy MLP" in index and "`mlp.grad`" in index


def test_every_wrong_or_conditional_claim_in_errata(files: dict[str, bytes]) -> None:
    errata = files["errata.md"].decode()
    for c in fake_claims():
        if c.verdict in (Verdict.WRONG, Verdict.HOLDS_IF, Verdict.HOLDS_ALMOST_EVERYWHERE):
            assert f"{c.ref}: {c.title}" in errata, c.id
    assert "Sigmoid derivative" in errata  # a wrong line in a chain that holds
    assert "Numeric counterexample: $`a`$ = 0.25, $`y`$ = 0: printed 0, true 1.33." in errata


def test_chain_marks_first_wrong_line(files: dict[str, bytes]) -> None:
    page = files["activations.md"].decode()
    assert "first wrong line: 2" in page
    assert "Line 2: **wrong** ← first wrong line." in page


def test_no_section_without_data() -> None:
    out = build_reports(ReportInputs(fake_claims(), []))
    index = out["README.md"].decode()
    assert "Harness checks" not in index and "Numeric checks" not in index
    assert "experiments.md" not in out and "figures/training.png" not in out


def test_errata_claims_selection() -> None:
    ids = {c.id for c in errata_claims(fake_claims())}
    assert ids == {
        "sigmoid.derivative",
        "relu.derivative",
        "ce.derivative",
        "ce.softmax.delta",
        "algorithm1",
    }


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (None, "—"),
        (0.0, "0"),
        (3.1e-16, "< 1e-15"),
        (1e-16, "< 1e-15"),
        (9.9e-13, "< 1e-12"),
        (0.53, "0.53"),
        (12.34, "12"),
        (2.5e-5, "< 1e-4"),
        (3.4e-3, "0.0034"),
        (float("nan"), "nan"),
    ],
)
def test_fmt_err(x: float | None, text: str) -> None:
    assert fmt_err(x) == text


def test_fmt_err_bound() -> None:
    assert fmt_err(0.21, bound=True) == "< 1"
    assert fmt_err(3.0, bound=True) == "< 1e1"
    assert fmt_err(2e-8, bound=True) == "< 1e-7"


def test_render_helpers() -> None:
    assert math_block("$$x$$") == "```math\nx\n```"
    assert inline_math("a^L") == "$`a^L`$"
    assert table(["a"], [["x|y"]]).splitlines()[-1] == "| x\\|y |"


def test_evidence_helpers() -> None:
    assert eq_numbers("eq. 16") == [16]
    assert eq_numbers("eqs. 33-35") == [33, 34, 35]
    assert eq_numbers("eqs. 36, 37") == [36, 37]
    assert eq_numbers("sec. 6.2") == []
    recs = claim_records("sigmoid.derivative", fake_records())
    assert [r.id for r in recs] == ["sigmoid.derivative.points"]
    assert max_errors(recs) == (3.1e-17, 2.2e-11)


def test_write_and_stale(tmp_path: Path, files: dict[str, bytes]) -> None:
    out = tmp_path / "reports"
    assert write_reports(files, out) == len(files)
    assert write_reports(files, out) == 0
    assert stale_files(files, out) == []
    (out / "costs.md").write_text("edited\n")
    (out / "old.md").write_text("no longer generated\n")
    assert stale_files(files, out) == ["costs.md", "old.md"]


def test_write_is_all_or_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(OSError):
        write_reports({"README.md": b"x", "figures/a.png": b"y"}, blocker)
    assert blocker.read_text() == "a file where the directory should be"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_figures_are_byte_stable_pngs() -> None:
    from verify.report.figures import FDCurve, fd_figure

    curves = [
        FDCurve("eq. (14)", dtype, (1e-8, 1e-4, 1.0), (1e-8, 1e-12, 1e-2), h0)
        for dtype, h0 in (("float64", 6e-6), ("float32", 5e-3))
    ]
    first, second = fd_figure(curves), fd_figure(curves)
    assert first == second
    assert first.startswith(b"\x89PNG") and b"matplotlib" not in first
    with pytest.raises(ValueError, match="curves"):
        fd_figure([])


def test_figures_drawn_elsewhere_are_used_as_given() -> None:
    """The gate's second process draws the figures that need no claims; the reports take them."""
    from verify.report import FD_FIGURE, draw_figures
    from verify.report.figures import FDCurve, fd_figure

    curves = [FDCurve("eq. (14)", "float64", (1e-8, 1e-4, 1.0), (1e-8, 1e-12, 1e-2), 6e-6)]
    drawn = draw_figures(None, curves)
    assert set(drawn) == {FD_FIGURE} and drawn[FD_FIGURE] == fd_figure(curves)
    inputs = ReportInputs(fake_claims(), fake_records(), fd_curves=curves)
    assert build_reports(inputs)[FD_FIGURE] == drawn[FD_FIGURE]
    given = ReportInputs(
        fake_claims(), fake_records(), fd_curves=curves, figures={FD_FIGURE: b"drawn elsewhere"}
    )
    assert build_reports(given)[FD_FIGURE] == b"drawn elsewhere"
    from verify.report.experiments_page import TRAINING_FIGURE

    only_training = ReportInputs(
        fake_claims(), fake_records(), fd_curves=curves, figures={TRAINING_FIGURE: b"other"}
    )
    assert build_reports(only_training)[FD_FIGURE] == drawn[FD_FIGURE]  # the missing one drawn
