"""Smoke tests of the benchmark suite: tiny sizes, no wall-time assertions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import cli, optional, peers, verify_all
from benchmarks.data import make_dataset
from benchmarks.gradcheck import sizes_for
from benchmarks.machine import ThreadLimit, blas_threads
from benchmarks.roofline import epoch_gemm_flops, gemm_epoch
from benchmarks.tables import markdown_table
from benchmarks.timing import time_round_robin
from benchmarks.training import OURS, ROOFLINE, TrainingSettings, run_training, training_table
from benchmarks.verify_all import PHASES, find_phases, parse_groups, run_verify_all

Capture = pytest.CaptureFixture[str]


def _run(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "bench.json"
    assert cli.main(["--quick", "--repeats", "1", "--out", str(out), *args]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_training_quick_runs_every_installed_peer(tmp_path: Path, capsys: Capture) -> None:
    result = _run(tmp_path, "--only", "training")
    assert set(result) == {"options", "training", "machine"}
    for dtype in ("float64", "float32"):
        r = result["training"]["dtypes"][dtype]
        assert ROOFLINE in r["timings"]
        assert set(r["timings"]) | set(r["skipped"]) == {
            OURS,
            "scikit-learn",
            "PyTorch",
            "JAX jit",
            ROOFLINE,
        }
        for t in r["timings"].values():
            assert t["median_s"] > 0 and len(t["repeats_s"]) == 1
        assert set(r["weight_dtypes"].values()) <= {dtype}  # every peer really ran in dtype
    printed = capsys.readouterr().out
    assert "| dtype | implementation |" in printed and "NumPy BLAS" in printed


def test_missing_or_failing_peers_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = peers.import_optional

    def without_torch_and_jax(name: str, *attributes: str) -> Any:
        if name.split(".")[0] in ("torch", "jax"):
            raise optional.PeerUnavailableError(f"{name} is not installed (test)")
        return real_import(name, *attributes)

    monkeypatch.setattr(peers, "import_optional", without_torch_and_jax)

    def broken(data: Any, cfg: Any) -> Any:
        def epoch() -> None:
            raise FloatingPointError("diverged")

        return peers.Trainer(epoch, lambda: "float64")

    monkeypatch.setitem(peers.PEERS, "scikit-learn", broken)
    tiny = TrainingSettings(
        n=32, sizes=(6, 4, 3), batch_size=8, learning_rate=0.1, seed=0, dtypes=("float64",)
    )
    messages: list[str] = []
    result = run_training(tiny, repeats=1, threads=1, log=messages.append)
    r = result["dtypes"]["float64"]
    assert set(r["skipped"]) == {"PyTorch", "JAX jit", "scikit-learn"}
    assert r["skipped"]["scikit-learn"] == "failed: FloatingPointError: diverged"
    assert "torch is not installed" in r["skipped"]["PyTorch"]
    assert any("PyTorch skipped" in m for m in messages)
    table = training_table(result)
    assert "| float64 | PyTorch | n/a |" in table and "skipped: torch is not installed" in table


def test_gradcheck_quick(tmp_path: Path) -> None:
    result = _run(tmp_path, "--only", "gradcheck")["gradcheck"]
    if result["skipped"]:
        pytest.skip(result["skipped"])
    assert [r["P"] for r in result["rows"]] == sorted(r["P"] for r in result["rows"])
    for row in result["rows"]:
        assert row["directional"]["ok"], row
        assert row["directional"]["ratio"] > 0
    assert any("full" in row for row in result["rows"])


def test_verify_phases_read_from_the_cli_json(tmp_path: Path) -> None:
    fake = (
        "import json, sys; p = sys.argv[sys.argv.index('--json') + 1]; "
        "json.dump({'summary': {'timings': {'imports': 0.5, 'symbolic': 1.0, 'numeric': 2.0}}}, "
        "open(p, 'w'))"
    )
    result = run_verify_all(2, lambda _: None, command=[sys.executable, "-c", fake])
    assert result["all_exit_zero"]
    assert result["median_phases_s"] == {"imports": 0.5, "symbolic": 1.0, "numeric": 2.0}
    assert len(result["runs"]) == 2 and result["median_wall_s"] > 0


def test_cli_quick_verify_runs_the_symbolic_subcommand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def fake(
        repeats: int, log: Any, command: Any = None, subcommand: str = "all", env: Any = None
    ) -> Any:
        seen.append(subcommand)
        return run_verify_all(repeats, log, command=[sys.executable, "-c", "pass"])

    monkeypatch.setattr("benchmarks.cli.run_verify_all", fake)
    result = _run(tmp_path, "--only", "verify")["verify"]
    assert seen == ["symbolic"]
    assert result["median_phases_s"] == {} and result["all_exit_zero"]


def test_threads_option_pins_the_run(tmp_path: Path) -> None:
    # A subprocess: --threads pins CPU affinity, which must not leak into this test session.
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--threads",
            "1",
            "--only",
            "gradcheck",
            "--repeats",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["options"]["threads"] == 1
    assert result["machine"]["numpy_blas"]["num_threads"] == 1
    assert "intra_op_parallelism_threads=1" in result["machine"]["env"]["XLA_FLAGS"]


def test_thread_limit_restores_blas_threads_and_affinity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLA_FLAGS", "")  # restored after the test
    before = (blas_threads(), os.sched_getaffinity(0))
    limit = ThreadLimit(1)
    try:
        assert blas_threads() == 1 and len(os.sched_getaffinity(0)) == 1
    finally:
        limit.restore()
    assert (blas_threads(), os.sched_getaffinity(0)) == before
    with pytest.raises(ValueError, match="positive"):
        ThreadLimit(0)


def test_parse_groups_reads_the_cli_progress_lines() -> None:
    stderr = (
        "[symbolic   ]   40 checks:   40 ok,   0 not ok  (  2.5 s)\n"
        "[num/mlp    ]  120 checks:  119 ok,   1 not ok  ( 10.0 s)\nnoise\n"
    )
    assert parse_groups(stderr) == {"symbolic": 2.5, "num/mlp": 10.0}
    assert verify_all.TARGET_SECONDS == 30.0


def test_find_phases_nested_and_absent() -> None:
    assert find_phases({"a": [{"imports": 1, "reports": 2.5}]}) == {"imports": 1.0, "reports": 2.5}
    assert find_phases({"imports": 1}) is None
    assert find_phases({"checks": [], "timings": {"imports": 0.25}}) == {"imports": 0.25}
    assert find_phases([]) is None
    assert set(PHASES) == {"imports", "symbolic", "numeric", "experiments", "reports"}


def test_gemm_flops_match_the_five_products_of_issue_6() -> None:
    n = 12_800
    assert epoch_gemm_flops((784, 128, 10), n) == 2 * n * (2 * 784 * 128 + 3 * 128 * 10)


def test_gemm_epoch_handles_a_partial_last_batch() -> None:
    for order in ("C", "F"):
        gemm_epoch((5, 4, 3), n=10, batch_size=4, dtype="float32", seed=0, order=order)()
    with pytest.raises(ValueError, match="order"):
        gemm_epoch((5, 4, 3), n=10, batch_size=4, dtype="float32", seed=0, order="K")


def test_sizes_for_hits_the_parameter_count() -> None:
    for P in (1_000, 10_000, 1_000_000):
        w, _, k = sizes_for(P, 10)
        count = w * w + w + k * w + k
        assert abs(count - P) / P < 0.05
    with pytest.raises(ValueError, match="P must be"):
        sizes_for(0, 10)


def test_dataset_is_seeded_and_keeps_dtype() -> None:
    a = make_dataset(64, 8, 3, seed=1, dtype="float32")
    b = make_dataset(64, 8, 3, seed=1, dtype="float32")
    assert a.X.dtype == a.Y.dtype == np.float32
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.Y.argmax(axis=1), a.labels)
    with pytest.raises(ValueError, match="dtype"):
        make_dataset(4, 2, 2, seed=0, dtype="float16")


def test_round_robin_validates_repeats() -> None:
    with pytest.raises(ValueError, match="repeats"):
        time_round_robin({"x": lambda: None}, 0)
    with pytest.raises(ValueError, match="cooldown"):
        time_round_robin({"x": lambda: None}, 1, cooldown=-1.0)
    calls: list[str] = []
    timings = time_round_robin({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 2)
    assert calls == ["a", "b", "a", "b", "a", "b"]  # warm-up, then interleaved
    assert set(timings) == {"a", "b"}


def test_markdown_table_rejects_ragged_rows() -> None:
    assert markdown_table(["x", "y"], [["a", "1.5"]]).splitlines()[1] == "| --- | ---: |"
    with pytest.raises(ValueError, match="rows"):
        markdown_table(["x", "y"], [["a"]])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--only", "nope"], "invalid choice"),
        (["--repeats", "0"], "positive integer"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: Capture) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_unwritable_out_fails_before_running(tmp_path: Path, capsys: Capture) -> None:
    assert cli.main(["--quick", "--only", "training", "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
