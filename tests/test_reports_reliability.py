"""The index publishes the checker's own figures (mutants, soak, bad input) from reports/data/."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from verify.report.reliability import load_reliability, render_reliability

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "reports" / "data"


@pytest.mark.slow  # collects the bad-input suite in a second pytest
def test_bad_input_count_matches_the_suite() -> None:
    data = load_reliability(DATA)["bad_input"]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_bad_input.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    collected = re.search(r"(\d+) tests? collected", out)
    assert collected is not None, out[-500:]
    assert int(collected.group(1)) == data["cases"], "update reports/data/bad_input.json"


def test_section_states_every_figure() -> None:
    text = render_reliability(load_reliability(DATA))
    assert text.startswith("## How the checker is checked")
    for needle in ("behaviour-changing mutants", "Hypothesis", "bad-input cases", "mutmut"):
        assert needle in text
    summary = load_reliability(DATA)["mutation"]["catalogue"]["summary"]
    assert f"**{summary['detected']} of {summary['behaviour_changing']}**" in text


def test_missing_data_leaves_the_section_out(tmp_path: Path) -> None:
    assert render_reliability(load_reliability(tmp_path)) == ""


def test_committed_index_has_the_section() -> None:
    index = (ROOT / "reports" / "README.md").read_text(encoding="utf-8")
    assert "## How the checker is checked" in index
