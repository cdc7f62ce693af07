"""No page shows SymPy's internal names: every symbol is the paper's (W^l_jk, a^{L-1}_k, ∞)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy as sp

from verify.report.names import distinct_bound_indices, paper_latex
from verify.report.render import latex

REPORTS = Path(__file__).resolve().parent.parent / "reports"

INTERNAL = re.compile(
    r"W_\{\d \d \d\}"  # SymPy's LaTeX of W3_1_1
    r"|[A-Za-z]_\{\d+ \d+[ \d]*\}"  # any index list with spaces (z_{1 1}, a_{0 1})
    r"|\bsL_\d|sL_\{\d"  # the sigmoid-output symbols of sec. 6.3.1
    r"|a_\{prev|\ba_prev\d"  # a^{L-1}
    r"|\bW\d_\d_\d\b|\bW_\d_\d\b"  # plain names of weight entries
    r"|\boo\b|\bzoo\b"  # SymPy's infinity
    r"|Matrix\(\[|Subs\(|Derivative\(|_xi\b"  # str() of SymPy objects
)


@pytest.mark.parametrize("page", sorted(REPORTS.glob("*.md")), ids=lambda p: p.name)
def test_no_sympy_internal_names_on_a_page(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    hits = sorted({m.group(0) for m in INTERNAL.finditer(text)})
    assert not hits, f"{page.name}: SymPy internal names {hits[:10]}"


def test_the_scan_catches_the_names_it_is_for() -> None:
    leaked = sp.latex(sp.Symbol("W3_1_1")) + " " + sp.latex(sp.Symbol("a_prev1")) + " sL_1 oo"
    assert {m.group(0) for m in INTERNAL.finditer(leaked)} >= {"W_{3 1 1}", "a_{prev", "sL_1", "oo"}


def test_paper_symbols() -> None:
    assert paper_latex("W3_1_2") == "W^{3}_{12}"
    assert paper_latex("W_1_2") == "W^{L}_{12}"
    assert paper_latex("a_prev2") == "a^{L-1}_{2}"
    assert paper_latex("sL_1") == "a^{L}_{1}"
    assert paper_latex("Z2_1") == "z^{2}_{1}"
    assert latex(sp.Symbol("W3_1_1") + sp.Symbol("sL_1")) in (
        "W^{3}_{11} + a^{L}_{1}",
        "a^{L}_{1} + W^{3}_{11}",
    )


def test_nested_sums_get_their_own_index() -> None:
    K = sp.Symbol("K", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, positive=True)
    z = sp.IndexedBase("z")
    inner = sp.Sum(sp.exp(z[k]), (k, 1, K))
    expr = sp.Sum(z[k] / inner, (k, 1, K))
    shown = latex(expr)
    assert shown.count("k=1") == 1 and "m=1" in shown
    assert sp.simplify(distinct_bound_indices(expr).doit().subs(K, 2) - expr.doit().subs(K, 2)) == 0


def test_verdict_figure_is_byte_stable() -> None:
    from verify.report.figures import verdict_figure

    counts = {"Costs": {"holds": 2, "wrong": 3}, "Training": {"holds if": 1, "convention": 1}}
    first, second = verdict_figure(counts), verdict_figure(counts)
    assert first == second and first.startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="counts"):
        verdict_figure({})


def test_index_says_how_to_read_it() -> None:
    index = (REPORTS / "README.md").read_text(encoding="utf-8")
    head = index.split("## What was checked and how")[0]
    for word in ("**holds**", "**holds if**", "**convention**", "**wrong**", "*as recorded*"):
        assert word in head
    assert "| status |" not in index and "figures/verdicts.png" in index
    for internal in ("budget fix", "written for its survivors", "by construction"):
        assert internal not in index
