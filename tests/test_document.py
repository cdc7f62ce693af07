"""The general derivation checker: verdicts, positions, CLI exit codes, the paper's slips."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import derivations
from derivations.document.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAPER = Path("/work/shared/seed/backprop-notes.txt")
if not PAPER.exists():
    PAPER = ROOT.parent / "shared" / "seed" / "backprop-notes.txt"


def verdicts(text: str) -> list[str]:
    return [s.verdict for s in derivations.check_document(text).steps]


def test_sigmoid_derivation_holds_and_autodiff_agrees() -> None:
    text = r"""
$$\sigma(z) = \frac{1}{1 + e^{-z}}$$
$$\begin{aligned} \frac{\partial}{\partial z}(\sigma(z)) &= \frac{e^{-z}}{(1 + e^{-z})^2} \\
&= \sigma(z)(1 - \sigma(z)) \end{aligned}$$
"""
    result = derivations.check_document(text)
    assert [s.verdict for s in result.steps] == ["definition", "holds", "holds"]
    assert all(s.autograd and s.autograd["agrees"] for s in result.steps[1:])


def test_planted_slips_are_flagged_at_their_step() -> None:
    sign = (r"$$f(x) = x^2 \sin(x)$$ $$\frac{d}{dx} f(x) = 2x \sin(x) + x^2 \cos(x)"
            r" = 2x\sin(x) - x^2\cos(x)$$")
    assert verdicts(sign) == ["definition", "holds", "wrong"]
    half = r"$$C = \frac{1}{2}(a - y)^2$$ $$\frac{\partial C}{\partial a} = \frac{1}{2}(a - y)$$"
    assert verdicts(half) == ["definition", "wrong"]
    chain = r"""$$h = \tanh(w x)$$ $$C = \frac{1}{2}(h - y)^2$$
$$\frac{\partial C}{\partial w} = (h - y) x$$"""
    assert verdicts(chain) == ["definition", "definition", "wrong"]


def test_wrong_step_has_a_counterexample_and_line() -> None:
    text = ("intro\n\n$$\n\\begin{aligned} (a+b)^2 &= a^2 + b^2 \\\\\n"
            " &= b^2 + a^2 \\end{aligned}\n$$\n")
    steps = derivations.check_document(text).steps
    assert steps[0].verdict == "wrong" and steps[0].line == 4
    assert steps[0].counterexample is not None and "point" in steps[0].counterexample
    assert steps[1].verdict == "holds" and "follows from step 1" in steps[1].message


def test_malformed_latex_is_unparsed_with_position_and_the_rest_is_checked() -> None:
    text = "$$x = \\frac{1}{2$$\n\n$$y^2 + 0 = y \\cdot y$$\n\n$$a = \\foo b$$\n"
    steps = derivations.check_document(text).steps
    assert [s.verdict for s in steps] == ["unparsed", "holds", "unparsed"]
    assert "line 1, column" in steps[0].message
    assert "unknown macro \\foo" in steps[2].message and steps[2].line == 5


def test_check_steps_api() -> None:
    records = derivations.check_steps(["(x+1)^2 = x^2 + 2x + 1", "= x^2 + 2x + 2"])
    assert [r.verdict for r in records] == ["holds", "wrong"]
    assert records[1].step == 2


def test_paper_finds_bce_slip_and_passes_sigmoid() -> None:
    result = derivations.check_document(PAPER.read_text(encoding="utf-8"), path=str(PAPER))
    sigmoid = [s for s in result.steps if s.line == 113]
    assert len(sigmoid) == 5 and all(s.verdict == "holds" for s in sigmoid)
    bce = [s for s in result.steps if s.line == 261]
    assert [s.verdict for s in bce] == ["wrong", "wrong", "holds"]
    assert "repairs the slip of step 1" in bce[1].message
    assert result.counts()["unparsed"] >= 1
    delta = [s for s in result.steps if s.line == 352]
    assert delta[-1].verdict == "holds_if" and "y_k = 1" in (delta[-1].condition or "")
    assert {s.line for s in result.steps if s.verdict == "wrong"} == {261}


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 5), st.integers(-5, 5), st.integers(1, 4))
def test_random_true_identities_pass_and_perturbed_fail(p: int, q: int, n: int) -> None:
    lhs = f"({p} x + {q})^{n}"
    import sympy as sp

    x = sp.Symbol("x")
    expanded = sp.expand((p * x + q) ** n)
    rhs = sp.latex(expanded) if expanded != 0 else "0"
    assert verdicts(f"$${lhs} = {rhs}$$") == ["holds"]
    assert verdicts(f"$${lhs} = {rhs} + x$$") == ["wrong"]


def test_cli_exit_codes_and_atomic_json(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("$$(a+b)^2 = a^2 + 2ab + b^2$$\n", encoding="utf-8")
    bad = tmp_path / "bad.md"
    bad.write_text("$$(a+b)^2 = a^2 + b^2$$\n", encoding="utf-8")
    out = tmp_path / "out" / "r.json"
    assert main([str(good), "--json", str(out), "--quiet"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["steps"][0]["verdict"] == "holds" and data["steps"][0]["line"] == 1
    assert main([str(bad), "--report", str(tmp_path / "rep"), "--quiet"]) == 1
    assert "**wrong**" in (tmp_path / "rep" / "bad.md").read_text(encoding="utf-8")
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01\x02")
    latin = tmp_path / "l.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    for args in ([str(binary)], [str(latin)], [str(tmp_path)], [str(tmp_path / "none")],
                 [str(good), "--nope"]):
        assert main(args) == 2
    assert not list(tmp_path.glob("**/*.tmp"))


def test_module_entry_point_runs(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text("$$x + x = 2x$$\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "derivations.document", str(note)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "1 hold" in proc.stdout


def test_examples_behave_as_documented() -> None:
    assert main([str(ROOT / "examples" / "tanh_chain_rule.md"), "--quiet"]) == 0
    assert main([str(ROOT / "examples" / "sigmoid_with_slip.md"), "--quiet"]) == 1


@pytest.mark.slow  # the README's example end to end: verify doc in a subprocess, files written
def test_readme_example_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Check your own derivation", 1)[1]
    script = section.split("```bash\n", 1)[1].split("```", 1)[0]
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "notes.json").read_text(encoding="utf-8"))
    assert [s["verdict"] for s in data["steps"]] == ["definition", "definition", "holds", "wrong"]
    assert (tmp_path / "notes-report" / "notes.md").exists()


@pytest.mark.slow  # the whole notation copy of the paper (shared with test_document_vectors.py)
def test_paper_with_notation_block_finds_the_conditions(paper_notation_result: Any) -> None:
    result = paper_notation_result
    conditional = [s for s in result.steps if s.verdict == "holds_if"]
    assert {s.tag for s in conditional} >= {"11"}
    assert any("\\sum_k y_k = 1" in (s.condition or "") for s in conditional)
    label_sum = next(s for s in result.steps if s.lhs.startswith("\\sum_{k=0}^K y_k"))
    assert label_sum.verdict == "wrong"
    bce = [s.verdict for s in result.steps if s.lhs.startswith("\\frac{\\partial \\mathcal{C}_{"
                                                            "\\text{CE}}^2}")]
    assert bce == ["wrong"]


def test_multiple_files_exit_with_the_worst(tmp_path: Path) -> None:
    good = tmp_path / "a.md"
    good.write_text("$$x + x = 2x$$\n", encoding="utf-8")
    bad = tmp_path / "b.md"
    bad.write_text("$$x + x = 3x$$\n", encoding="utf-8")
    assert main([str(good), str(bad), "--quiet"]) == 1
    assert main([str(good), str(bad), "--json", str(tmp_path / "x.json")]) == 2


def test_unclosed_environment_and_dollars_are_unparsed_and_the_rest_checked() -> None:
    text = "$$x + x = 2x$$\n\n\\begin{align}\na &= a\n\nmore text\n$$y = y + 1"
    steps = derivations.check_document(text, path="n.tex").steps
    assert [s.verdict for s in steps] == ["holds", "unparsed"]
    assert steps[1].line == 3 and "without its \\end{align}" in steps[1].message


def test_hard_step_falls_back_to_numbers_within_the_budget(monkeypatch: object) -> None:
    import derivations.document.judging as judging

    monkeypatch.setattr(judging, "SYMBOLIC_BUDGET", 1e-4)  # type: ignore[attr-defined]
    text = r"$$\tanh(x) = \frac{e^{2x} - 1}{e^{2x} + 1}$$"
    step = derivations.check_document(text).steps[0]
    assert step.verdict == "holds"
    assert step.method in ("numeric", "symbolic")


def test_ten_thousand_line_document() -> None:
    from benchmarks.document import long_document

    result = derivations.check_document(long_document(10_000, every=100))
    assert len(result.steps) == 100
    assert result.counts()["holds"] == 100


def test_json_records_have_the_issue_schema() -> None:
    data = derivations.check_document("$$a(b + c) = ab + ac = ab + bc$$").as_json()
    keys = {"line", "block", "step", "lhs", "rhs", "verdict", "condition", "counterexample",
            "message"}
    assert all(keys <= set(s) for s in data["steps"])
    assert data["steps"][1]["verdict"] == "wrong"
    assert data["summary"]["first_wrong"] == [{"block": 1, "step": 2, "line": 1}]


def test_index_notation_slips_students_make() -> None:
    softmax = r"""$$s_i = \frac{e^{z_i}}{\sum_{k=1}^K e^{z_k}}$$
$$\frac{\partial s_i}{\partial z_j} = s_i (\delta_{ij} - s_j) = s_i(1 - s_j)$$"""
    assert verdicts(softmax) == ["definition", "holds", "wrong"]  # the missing Kronecker delta
    index = r"$$\frac{\partial}{\partial w_j} \sum_{k=1}^K w_k x_k = x_j = x_k$$"
    assert verdicts(index) == ["holds", "wrong"]  # a wrong index
    transpose = r"""$$z_j = \sum_{k=1}^{K} W_{jk} a_k + b_j$$
$$\frac{\partial z_j}{\partial a_k} = W_{jk} = W_{kj}$$"""
    assert verdicts(transpose) == ["definition", "holds", "wrong"]  # a transposed weight
    ce = r"$$C = -\sum_{k=1}^K y_k \ln a_k$$ $$\frac{\partial C}{\partial a_j} = -\frac{y_j}{a_j}$$"
    assert verdicts(ce) == ["definition", "holds"]


def test_function_defined_after_its_use_and_latex_rows() -> None:
    chain = r"""$$a = \sigma(z)$$ $$\sigma(z) = \frac{1}{1+e^{-z}}$$ $$C = \frac{1}{2}(a - y)^2$$
$$\frac{\partial C}{\partial z} = (a - y) \sigma'(z) = (a-y) a (1-a)$$"""
    assert verdicts(chain) == ["definition"] * 3 + ["holds", "holds"]
    tex = "\\begin{align*}\nf(x) &= x^3 \\\\\nf'(x) &= 3x^2 \\\\\nf''(x) &= 6 x^2\n\\end{align*}\n"
    steps = derivations.check_document(tex, path="n.tex").steps
    assert [s.verdict for s in steps] == ["definition", "holds", "wrong"]
    assert [s.line for s in steps] == [2, 3, 4]


def test_subscripted_function_names() -> None:
    text = r"$$f_1(x) = x^2$$ $$f_2(x) = x^3$$ $$f_1'(x) + f_2(x) = 2x + x^3$$"
    assert verdicts(text) == ["definition", "definition", "holds"]
