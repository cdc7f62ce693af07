"""The mutation runner: the catalogue matches mlp/, verdicts are judged right, a live subset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from verify.mutation.apply import ROOT, CatalogueError, apply_mutant
from verify.mutation.catalogue import CATALOGUE, Edit, Mutant
from verify.mutation.cli import main
from verify.mutation.configs import GRAD_CONFIGS, expected_layer
from verify.mutation.mutmut import classify_survivor
from verify.mutation.runner import MutantResult, judge, run_all
from verify.mutation.table import table

WHERE = {"L", "L-1", "cost", "training", "none"}


def test_catalogue_is_big_unique_and_well_formed() -> None:
    names = [m.name for m in CATALOGUE]
    assert len(names) >= 15 and len(set(names)) == len(names)
    for m in CATALOGUE:
        assert m.where in WHERE or m.where.startswith("act:"), m.name
        assert m.params in {"W", "b", "Wb"}, m.name
        assert (m.where == "none") == bool(m.equivalent), f"{m.name}: argue every equivalent"
        assert m.edits and all(e.old != e.new for e in m.edits), m.name


@pytest.mark.parametrize("mutant", CATALOGUE, ids=[m.name for m in CATALOGUE])
def test_every_pattern_still_matches_mlp(mutant: Mutant, tmp_path: Path) -> None:
    """Fails loudly when mlp/ changes under a catalogue entry (update the catalogue then)."""
    pkg = apply_mutant(mutant, tmp_path)
    changed = {e.file for e in mutant.edits}
    for name in changed:
        assert (pkg / name).read_text() != (ROOT / "mlp" / name).read_text()


def test_every_gradient_mutant_has_a_config_that_can_show_it() -> None:
    for m in CATALOGUE:
        if m.where in {"L", "L-1"} or m.where.startswith("act:"):
            assert any(expected_layer(m.where, c) for c in GRAD_CONFIGS), m.name


def test_a_stale_pattern_is_an_error_not_a_pass(tmp_path: Path) -> None:
    stale = Mutant("stale", "pattern gone", (Edit("backprop.py", "no such text", "x"),), "L")
    with pytest.raises(CatalogueError, match="matched 0 times"):
        apply_mutant(stale, tmp_path)
    broken = Mutant(
        "broken", "syntax", (Edit("schedules.py", "def constant(", "def constant(("),), "L"
    )
    with pytest.raises(CatalogueError, match="does not compile"):
        apply_mutant(broken, tmp_path / "b")


def _raw(failing: dict[str, tuple[int, str]], training: list[str]) -> dict[str, Any]:
    rows = []
    for c in GRAD_CONFIGS:
        layer, params = failing.get(c.name, (None, ""))
        rows.append(
            {
                "config": c.name,
                "ok": layer is None,
                "crash": "",
                "forward_ok": True,
                "jax_ok": layer is None,
                "fd_ok": layer is None,
                "first_layer": layer,
                "first_params": params,
                "diagnosis": "",
            }
        )
    return {"gradients": rows, "training": [{"id": t, "ok": False} for t in training]}


def test_judge_localisation() -> None:
    m = next(m for m in CATALOGUE if m.name == "transpose_in_delta_recurrence")
    right = judge(m, _raw({"square": (2, "Wb")}, []), 1.0)
    assert right.detected and right.right_layer and right.ok
    wrong = judge(m, _raw({"square": (3, "Wb")}, []), 1.0)
    assert wrong.detected and wrong.right_layer is False and not wrong.ok
    missed = judge(m, _raw({}, []), 1.0)
    assert not missed.detected and not missed.ok
    training = next(m for m in CATALOGUE if m.where == "training")
    t = judge(training, _raw({}, ["training.sgd.x"]), 1.0)
    assert t.detected and t.right_layer and t.localised == "training"
    leaked = judge(training, _raw({"square": (3, "W")}, ["training.sgd.x"]), 1.0)
    assert leaked.right_layer is False
    eq = next(m for m in CATALOGUE if m.equivalent)
    assert judge(eq, _raw({}, []), 1.0).ok and not judge(eq, _raw({}, ["t"]), 1.0).ok


def _wide_results() -> list[MutantResult]:
    """Every mutant judged as caught by every check of every config: the widest possible rows."""
    every = {c.name: (len(c.sizes) - 1, "Wb") for c in GRAD_CONFIGS}
    training = [f"training.shuffled.tanh.sigmoid.mse.linear.{i}" for i in range(8)]
    results = [judge(m, _raw(every, training), 12.0) for m in CATALOGUE]
    results[0].error = "child exited 1: " + "a long crash message " * 12
    return results


def test_table_fits_100_columns_and_keeps_every_row() -> None:
    results = _wide_results()
    text = table(results)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    for r in results:  # every mutant has its row, and its localisation is not lost
        assert any(line.startswith(r.name + " ") for line in lines), r.name
    assert "huge_logits)" in text and "a long crash message" in text


def test_progress_one_line_per_mutant_as_each_finishes(tmp_path: Path) -> None:
    results = {r.name: r for r in _wide_results()}
    lines: list[str] = []
    out = run_all(CATALOGUE, tmp_path, 2, lines.append, lambda m, _src: results[m.name])
    assert [r.name for r in out] == [m.name for m in CATALOGUE]  # catalogue order
    assert len(lines) == len(CATALOGUE)
    assert lines[-1].startswith(f"[{len(CATALOGUE)}/{len(CATALOGUE)}]")
    assert all(any(m.name in line for line in lines) for m in CATALOGUE)
    assert any("ERROR" in line for line in lines) and any("detected by" in line for line in lines)


@pytest.mark.slow  # runs planted mutants in child processes
def test_live_subset_detected_and_localised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One gradient and one training mutant through real subprocesses (the baseline runs first)."""
    out = tmp_path / "mutants.json"
    code = main(["--only", "transpose_in_delta_recurrence", "shuffle_X_not_Y", "--json", str(out)])
    data = json.loads(out.read_text())
    assert code == 0, data
    progress = capsys.readouterr().err
    assert "[1/2]" in progress and "[2/2]" in progress and "baseline passes" in progress
    by_name = {m["name"]: m for m in data["catalogue"]["mutants"]}
    grad = by_name["transpose_in_delta_recurrence"]
    assert grad["detected"] and grad["right_layer"] and "jax:square" in grad["checks"]
    train = by_name["shuffle_X_not_Y"]
    assert train["detected"] and train["right_layer"]
    assert any(c.startswith("training.alignment") for c in train["checks"])


@pytest.mark.parametrize(
    ("name", "diff", "category"),
    [
        ("mlp.activations.x__exp_cap__mutmut_1", "- return f(x)\n+ return g(x)", "import-time"),
        ("m.x_f__mutmut_1", "- zip(a, b, strict=True)\n+ zip(a, b, strict=False)", "zip-strict"),
        ("m.x_f__mutmut_2", "- np.sum(a, axis=-1)\n+ np.sum(a, axis=+1)", "axis+1"),
        ("m.x_f__mutmut_3", "- forward(z, out=ws.a[i])\n+ forward(z, out=None)", "buffer"),
        ("m.x_f__mutmut_4", '- check(x, "epochs")\n+ check(x, "XXepochsXX")', "message"),
        ("m.x_f__mutmut_5", "- np.array(w, copy=True)\n+ np.array(w, copy=None)", "dtype-copy"),
        ("m.x_f__mutmut_6", "- cost_sum = 0.0\n+ cost_sum = 1.0", "other"),
    ],
)
def test_classify_mutmut_survivors(name: str, diff: str, category: str) -> None:
    assert classify_survivor(name, diff) == category
