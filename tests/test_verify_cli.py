"""The ``python -m verify`` CLI: exit codes 0/1/2, ``--json``, progress, unwritable outputs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

import verify.report.figures
from derivations.claims import Claim, Method, Verdict
from verify import cli
from verify.checks.experiments import ExperimentResults, Run, RunSpec, Settings, judge
from verify.results import Record

z = sp.Symbol("z", real=True)
SIG = 1 / (1 + sp.exp(-z))


def _claims(verdict: Verdict = Verdict.HOLDS) -> list[Claim]:
    return [
        Claim(
            id="sigmoid.derivative",
            ref="eq. 14",
            family="activations",
            title="Sigmoid",
            verdict=verdict,
            expected=Verdict.HOLDS,
            method=Method.SYMBOLIC,
            paper=SIG * (1 - SIG),
            truth=sp.diff(SIG, z),
        ),
        Claim(
            id="ce.derivative",
            ref="eq. 30",
            family="costs",
            title="CE derivative",
            verdict=Verdict.WRONG,
            expected=Verdict.WRONG,
            method=Method.SYMBOLIC,
        ),
    ]


def _numeric(claims: list[Claim]) -> list[Record]:
    return [
        Record(
            f"{c.id}.points",
            c.ref,
            "numeric",
            "pass",
            "pass",
            "ok",
            "numeric",
            "",
            {"max_err_jax": 1e-17},
        )
        for c in claims
    ]


def _experiments() -> ExperimentResults:
    s = Settings(epochs=2)
    hist = {
        "cost": [1.0, 0.5],
        "accuracy": [0.5, 0.9],
        "val_cost": [1.0, 0.6],
        "val_accuracy": [0.5, 0.96],
        "learning_rate": [1.0, 1.0],
    }
    lin = dict(hist, learning_rate=[1.0 * (1 - 1 / 3), 1.0 * (1 - 2 / 3)])
    runs = tuple(
        Run(
            spec,
            lin if spec.schedule == "linear" else hist,
            0.97,
            0.0 if spec.hidden == "heaviside" else 1.0,
        )
        for spec in (
            RunSpec("default", "d"),
            RunSpec("large", "l", init="large"),
            RunSpec("fan_in", "f", init="fan_in"),
            RunSpec("linear", "lin", schedule="linear"),
            RunSpec("heaviside", "h", init="fan_in", hidden="heaviside"),
        )
    )
    selected, records = judge(runs, s)
    return ExperimentResults(s, {"train": 8, "validation": 2, "test": 2}, runs, selected, records)


def _sources(verdict: Verdict = Verdict.HOLDS, broken: bool = False) -> cli.Sources:
    def boom(_claims: list[Claim]) -> list[Record]:
        raise RuntimeError("kaboom\nsecond line")

    groups = [("claims", _numeric)] + ([("broken", boom)] if broken else [])
    return cli.Sources(
        claims=lambda: _claims(verdict),
        numeric=groups,
        experiments=_experiments,
        fd_curves=None,
        list_checks=lambda: ["experiment.fake  sec. 5  experiment"],
    )


@pytest.fixture(autouse=True)
def _no_png(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify.report.figures, "training_figure", lambda _r: b"\x89PNG fake")


def _run(argv: list[str], sources: cli.Sources | None = None) -> tuple[int, str, str]:
    err, out = io.StringIO(), io.StringIO()
    code = cli.main(argv, sources=sources or _sources(), err=err, out=out)
    return code, out.getvalue(), err.getvalue()


def test_all_ok_writes_json_and_reports(tmp_path: Path) -> None:
    js = tmp_path / "out.json"
    code, _, err = _run(["all", "--json", str(js), "--reports-dir", str(tmp_path / "r")])
    assert code == cli.EXIT_OK, err
    doc = json.loads(js.read_text())
    assert set(doc) >= {"checks", "summary"}
    kinds = {c["kind"] for c in doc["checks"]}
    assert kinds == {"symbolic", "numeric", "experiment"}
    fields = {"id", "ref", "kind", "verdict", "expected", "status", "method", "message", "details"}
    assert all(set(c) == fields for c in doc["checks"])
    sym = [c for c in doc["checks"] if c["kind"] == "symbolic"]
    assert [(c["id"], c["verdict"], c["expected"]) for c in sym] == [
        ("sigmoid.derivative", "holds", "holds"),
        ("ce.derivative", "wrong", "wrong"),
    ]
    assert doc["summary"]["not_ok"] == 0 and doc["summary"]["total"] == len(doc["checks"])
    assert set(doc["timings"]) == set(cli.PHASES)
    assert (tmp_path / "r" / "README.md").is_file()
    assert (tmp_path / "r" / "experiments.md").is_file()
    assert "[symbolic   ]    2 checks:    2 ok" in err
    assert "time: imports" in err and "| reports" in err


def test_unexpected_verdict_exits_1(tmp_path: Path) -> None:
    code, _, err = _run(
        ["symbolic", "--json", str(tmp_path / "o.json")], _sources(verdict=Verdict.WRONG)
    )
    assert code == cli.EXIT_NOT_OK
    assert "NOT OK sigmoid.derivative" in err
    doc = json.loads((tmp_path / "o.json").read_text())
    assert {c["kind"] for c in doc["checks"]} == {"symbolic"}
    assert doc["checks"][0]["status"] == "unexpected"


def test_failing_group_is_an_error_record(tmp_path: Path) -> None:
    code, _, err = _run(["numeric", "--json", str(tmp_path / "o.json")], _sources(broken=True))
    assert code == cli.EXIT_NOT_OK
    assert "error: numeric.broken: RuntimeError: kaboom" in err and "second line" not in err
    doc = json.loads((tmp_path / "o.json").read_text())
    assert {c["kind"] for c in doc["checks"]} == {"numeric"}
    assert [c["id"] for c in doc["checks"] if c["status"] == "error"] == ["numeric.broken"]


def test_json_is_strict(tmp_path: Path) -> None:
    import numpy as np

    rec = Record(
        "x",
        "eq. 1",
        "numeric",
        "pass",
        "pass",
        "ok",
        "numeric",
        "",
        {"nan": float("nan"), "inf": np.float64("inf"), "n": np.int64(3), "v": (np.float32(0.5),)},
    )
    cli.write_json(tmp_path / "o.json", [rec], None)
    text = (tmp_path / "o.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    details = json.loads(text)["checks"][0]["details"]
    assert details == {"nan": "nan", "inf": "inf", "n": 3, "v": [0.5]}
    assert [p.name for p in tmp_path.iterdir()] == ["o.json"]


def test_quiet_prints_nothing_when_ok() -> None:
    code, _, err = _run(["symbolic", "--quiet"])
    assert code == 0 and err == ""


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["bogus"], "invalid choice: 'bogus'"),
        (["all", "--nope"], "unrecognized arguments: --nope"),
        ([], "a command is required"),
        (["symbolic", "--check"], "unrecognized arguments: --check"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], needle: str) -> None:
    code, out, err = _run(argv)
    assert code == cli.EXIT_USAGE
    assert needle in err and "usage: python -m verify" in err
    assert "Traceback" not in err and out == ""
    assert err.splitlines()[0].startswith("python -m verify: error:")


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"], sources=_sources()) == 0
    assert "report" in capsys.readouterr().out


@pytest.mark.parametrize("where", ["missing_dir/out.json", "a_file/out.json"])
def test_unwritable_json_path(tmp_path: Path, where: str) -> None:
    (tmp_path / "a_file").write_text("not a directory")
    code, _, err = _run(["symbolic", "--json", str(tmp_path / where)])
    assert code == cli.EXIT_USAGE
    assert len(err.strip().splitlines()) == 1 and "cannot write --json" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_unwritable_reports_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file")
    code, _, err = _run(["all", "--quiet", "--reports-dir", str(blocker)])
    assert code == cli.EXIT_USAGE
    assert "cannot write reports" in err and "Traceback" not in err
    assert blocker.read_text() == "a file"


def test_report_check_detects_stale(tmp_path: Path) -> None:
    rd = ["--reports-dir", str(tmp_path / "r")]
    assert _run(["report", "--quiet", *rd])[0] == 0
    assert _run(["report", "--check", "--quiet", *rd])[0] == 0
    (tmp_path / "r" / "costs.md").write_text("hand edit\n")
    code, _, err = _run(["report", "--check", "--quiet", *rd])
    assert code == cli.EXIT_NOT_OK
    assert "costs.md" in err and "python -m verify report" in err
    assert (tmp_path / "r" / "costs.md").read_text() == "hand edit\n"


def test_list_one_line_each() -> None:
    code, out, _ = _run(["list"])
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("sigmoid.derivative") and "eq. 14" in lines[0]
    assert any(line.startswith("numeric.claims") for line in lines)
    assert lines[-1].startswith("experiment.fake")


def test_python_m_verify_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "verify", "frobnicate"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr and "Traceback" not in proc.stderr


def test_list_real_claims() -> None:
    out = io.StringIO()
    code = cli.main(["list"], sources=cli.default_sources(), err=io.StringIO(), out=out)
    assert code == 0
    ids = [line.split()[0] for line in out.getvalue().splitlines()]
    assert "softmax.jacobian" in ids and "experiment.test_accuracy" in ids
    assert len(ids) == len(set(ids))


def test_python_m_verify_reexecs_without_a_hash_seed() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    proc = subprocess.run(
        [sys.executable, "-m", "verify", "--nope"],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


# --- the defects a new user hit: list, output paths, failure lines, the summary ----------------


def _indexed(**kw: object) -> cli.Sources:
    import dataclasses

    return dataclasses.replace(_sources(**kw), indexed=True, titles=lambda: {})  # type: ignore[arg-type]


def test_list_json_writes_the_file(tmp_path: Path) -> None:
    js = tmp_path / "names.json"
    code, out, _ = _run(["list", "--json", str(js), "--reports-dir", str(tmp_path / "none")])
    assert code == cli.EXIT_OK
    doc = json.loads(js.read_text())
    ids = [c["id"] for c in doc["checks"]]
    assert ids[:2] == ["sigmoid.derivative", "ce.derivative"] and "numeric.claims" in ids
    assert doc["summary"]["total"] == len(ids)
    assert out.splitlines()[0].startswith("sigmoid.derivative")


def test_list_reads_the_index_report_wrote_every_numeric_check(tmp_path: Path) -> None:
    rd = ["--reports-dir", str(tmp_path / "r")]
    assert _run(["report", "--quiet", *rd], _indexed())[0] == 0
    calls: list[str] = []
    sources = _indexed()
    sources = type(sources)(**{**sources.__dict__, "claims": lambda: calls.append("built") or []})
    js = tmp_path / "names.json"
    code, out, err = _run(["list", "--json", str(js), *rd], sources)
    assert code == 0 and calls == [], err  # no derivation built
    ids = [line.split()[0] for line in out.splitlines()]
    # one line per check of the run, the numeric ones one by one (the fake makes one per claim)
    assert ids == [
        "sigmoid.derivative",
        "ce.derivative",
        "sigmoid.derivative.points",
        "ce.derivative.points",
        "experiment.init_converge",
        "experiment.schedule",
        "experiment.heaviside",
        "experiment.test_accuracy",
    ]
    assert "num/claims" in out and "Sigmoid" in out
    assert json.loads(js.read_text())["summary"]["by_kind"] == {
        "symbolic": 2,
        "numeric": 2,
        "experiment": 4,
    }


def test_report_check_detects_a_stale_index(tmp_path: Path) -> None:
    rd = ["--reports-dir", str(tmp_path / "r")]
    assert _run(["report", "--quiet", *rd])[0] == 0
    (tmp_path / "r" / "data" / "checks.json").write_text('{"checks": []}\n')
    code, _, err = _run(["report", "--check", "--quiet", *rd])
    assert code == cli.EXIT_NOT_OK and "data/checks.json" in err


def test_committed_index_lists_every_numeric_check() -> None:
    out = io.StringIO()
    assert cli.main(["list"], sources=cli.default_sources(), err=io.StringIO(), out=out) == 0
    doc = json.loads(Path("reports/data/checks.json").read_text())
    numeric = [c["id"] for c in doc["checks"] if c["kind"] == "numeric"]
    assert len(numeric) > 100 and "numeric.claims" not in numeric
    listed = [line.split()[0] for line in out.getvalue().splitlines()]
    assert listed == [c["id"] for c in doc["checks"]]


@pytest.mark.parametrize("command", ["all", "report", "list"])
def test_reports_dir_that_is_a_file_fails_at_once(tmp_path: Path, command: str) -> None:
    import time

    blocker = tmp_path / "reports"
    blocker.write_text("a file")
    calls: list[str] = []
    sources = _indexed()
    sources = type(sources)(**{**sources.__dict__, "claims": lambda: calls.append("built") or []})
    t0 = time.perf_counter()
    code, out, err = _run([command, "--reports-dir", str(blocker)], sources)
    assert time.perf_counter() - t0 < 1.0
    assert code == cli.EXIT_USAGE and calls == [] and out == ""
    assert len(err.strip().splitlines()) == 1 and str(blocker) in err and "regular file" in err
    assert blocker.read_text() == "a file"


@pytest.mark.parametrize("command", ["all", "symbolic", "list", "report"])
def test_bad_json_path_is_exit_2_before_the_work(tmp_path: Path, command: str) -> None:
    calls: list[str] = []
    sources = _sources()
    sources = type(sources)(**{**sources.__dict__, "claims": lambda: calls.append("built") or []})
    target = tmp_path / "missing" / "out.json"
    code, _, err = _run([command, "--json", str(target), "--reports-dir", str(tmp_path)], sources)
    assert code == cli.EXIT_USAGE and calls == [] and "cannot write --json" in err


def _failing_record(message: str, details: dict[str, object]) -> Record:
    status = "unexpected"
    return Record(
        "mlp.grad.x", "mlp", "numeric", "fail", "pass", status, "jax+fd", message, details
    )


def test_failure_lines_keep_the_diagnosis() -> None:
    from verify.cli.output import brief, failure_lines

    diagnosis = "first diverging layer from the output: 2 (dW^2 db^2): a transposed W^3 in eq. (35)"
    message = "blocks " + ", ".join(f"dW^{i}: rel err 1.2e-01 > budget 3e-12" for i in range(30))
    rec = _failing_record(f"{message}. {diagnosis}", {"network": {"diagnosis": diagnosis}})
    short = brief(rec)
    assert len(short) <= 400 and short.endswith(diagnosis) and short.startswith("blocks dW^0")
    lines = failure_lines([rec], verbose=False)
    assert all(len(line) <= 100 for line in lines)
    assert "first diverging layer" in " ".join(lines)
    full = " ".join(failure_lines([rec], verbose=True))
    assert "dW^29: rel err" in full and "..." not in full


def test_verbose_lists_every_failure_and_every_line() -> None:
    from verify.cli.output import failure_lines

    recs = [_failing_record(f"bad {i}\nsecond line {i}", {}) for i in range(30)]
    short = failure_lines(recs, verbose=False)
    assert "second line 0" not in " ".join(short) and "and 5 more" in short[-1]
    full = " ".join(failure_lines(recs, verbose=True))
    assert "second line 29" in full and "more" not in full


def test_summary_says_what_was_found() -> None:
    code, _, err = _run(["symbolic"])
    assert code == 0
    assert "Found: 1 error in the paper confirmed, 0 new;" in err
    assert "all 2 checks give the result recorded as expected" in err
    code, _, err = _run(["symbolic"], _sources(verdict=Verdict.WRONG))
    assert code == cli.EXIT_NOT_OK
    assert "Found: 2 errors in the paper confirmed, 1 new;" not in err
    assert "Found: 1 error in the paper confirmed, 1 new;" in err
    assert "1 of 2 checks give the result recorded as expected; 1 does not" in err


def test_doc_is_a_subcommand_with_its_own_options(tmp_path: Path) -> None:
    from verify.cli.commands import COMMANDS

    good = tmp_path / "good.md"
    good.write_text("$$\\frac{d}{dx} x^2 = 2x$$\n", encoding="utf-8")
    bad = tmp_path / "bad.md"
    bad.write_text("$$\\frac{d}{dx} x^2 = 3x$$\n", encoding="utf-8")
    assert COMMANDS["doc"].own is not None and COMMANDS["doc"].handler is None
    assert cli.main(["doc", str(good), "--quiet"]) == 0
    assert cli.main(["doc", str(bad), "--quiet"]) == 1
    assert cli.main(["doc", str(tmp_path / "missing.md")]) == 2
    assert cli.main(["doc"]) == 2
