"""The gate's second process: same records as a serial run, and it can be switched off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from verify.checks.jax_reference import ONE_THREAD_XLA, xla_on_one_thread
from verify.cli import worker
from verify.cli.phases import Run, default_sources
from verify.results import Record

ROOT = Path(__file__).resolve().parents[1]


def test_serial_switch_and_core_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVCHECK_SERIAL", "1")
    assert not worker.worth_starting()
    monkeypatch.delenv("DERIVCHECK_SERIAL")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert not worker.worth_starting()  # pinned to one core of two (taskset, a benchmark)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert worker.worth_starting()


def test_xla_on_one_thread_keeps_the_users_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
    xla_on_one_thread()
    xla_on_one_thread()  # idempotent
    assert os.environ["XLA_FLAGS"] == "--xla_force_host_platform_device_count=2 " + ONE_THREAD_XLA
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
    xla_on_one_thread()
    assert os.environ["XLA_FLAGS"] == "--xla_cpu_multi_thread_eigen=true"


def test_one_blas_thread_is_undone() -> None:
    from threadpoolctl import threadpool_info

    before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    limit = worker.one_blas_thread()
    assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    limit.restore_original_limits()
    assert [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"] == before


def test_no_second_process_with_debug_or_fake_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[bool] = []
    monkeypatch.setattr("verify.cli.phases.start", lambda: started.append(True))
    monkeypatch.setattr("verify.cli.phases.worth_starting", lambda: True)
    Run(default_sources(), sys.stderr, quiet=True, debug=True).start_background()
    fake = default_sources().__class__(claims=list, numeric=(), experiments=lambda: None)  # type: ignore[arg-type,return-value]
    Run(fake, sys.stderr, quiet=True, debug=False).start_background()
    assert not started
    Run(default_sources(), sys.stderr, quiet=True, debug=False).start_background()
    assert started == [True]


def test_claim_free_groups_are_the_ones_that_ignore_the_claims() -> None:
    names = [name for name, _fn in default_sources().numeric]
    assert set(worker.CLAIM_FREE) <= set(names)
    assert "claims" not in worker.CLAIM_FREE


def _records(tmp: Path, serial: bool) -> tuple[list[dict[str, object]], dict[str, bytes]]:
    """The records of a gate run, and the figures it drew (in the second process, if any)."""
    out = tmp / ("serial.json" if serial else "parallel.json")
    env = dict(os.environ, DERIVCHECK_SERIAL="1" if serial else "0")
    proc = subprocess.run(
        [sys.executable, "-m", "verify", "report", "--check", "--quiet", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    checks: list[dict[str, object]] = json.loads(out.read_text())["checks"]
    figures = {p.name: p.read_bytes() for p in sorted((ROOT / "reports" / "figures").glob("*.png"))}
    return checks, figures


@pytest.mark.slow
def test_parallel_gate_gives_the_serial_records(tmp_path: Path) -> None:
    parallel, parallel_figures = _records(tmp_path, serial=False)
    serial, serial_figures = _records(tmp_path, serial=True)
    assert parallel == serial
    assert parallel_figures == serial_figures and len(serial_figures) == 3


class _Claim:
    """A stand-in claim: an id, and a numeric spec or none."""

    def __init__(self, cid: str, numeric: bool = True) -> None:
        self.id = cid
        self.numeric = object() if numeric else None


def _check_here(claim: _Claim) -> list[Record]:
    return [_record(claim.id, "here")]


def _record(cid: str, where: str) -> Record:
    return Record(
        id=f"numeric.{cid}",
        ref="eq. 1",
        kind="numeric",
        verdict="pass",
        expected="pass",
        status="ok",
        method="test",
        message=where,
    )


def test_share_splits_the_claims_from_both_ends_in_serial_order() -> None:
    claims = [_Claim(f"c{n}") for n in range(12)]
    claims.insert(3, _Claim("no-spec", numeric=False))
    busy, ran = threading.Event(), threading.Event()
    there: list[str] = []

    def check_there(claim: _Claim) -> list[Record]:
        there.append(claim.id)
        ran.set()
        return [_record(claim.id, "there")]

    def check(claim: _Claim) -> list[Record]:
        # this process waits until the pool has checked one claim, so both take part
        ran.wait(timeout=30)
        return _check_here(claim)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(busy.wait, 0.2)  # the claim-free checks, running first
        recs = worker.share(pool, claims, lambda c: check_there(c) if pool_thread() else check(c))
    ids = [r.id for r in recs]
    assert ids == [
        f"numeric.c{n}" for n in range(12)
    ]  # serial order, the claim without a spec left out
    where = [r.message for r in recs]
    assert where[0] == "here" and where[-1] == "there"
    assert there[0] == "c11"  # the pool starts from the back
    assert where == sorted(where, key=lambda w: w == "there")  # one switch: front here, back there


def pool_thread() -> bool:
    return threading.current_thread() is not threading.main_thread()


def test_share_checks_everything_here_when_the_pool_is_gone() -> None:
    pool = ThreadPoolExecutor(max_workers=1)
    pool.shutdown()
    recs = worker.share(pool, [_Claim("a"), _Claim("b")], _check_here)
    assert [(r.id, r.message) for r in recs] == [("numeric.a", "here"), ("numeric.b", "here")]


def test_share_rechecks_here_a_claim_whose_job_died() -> None:
    def check(claim: _Claim) -> list[Record]:
        if pool_thread():
            raise RuntimeError("the process died")
        return _check_here(claim)

    with ThreadPoolExecutor(max_workers=1) as pool:
        started = threading.Event()

        def claim_free() -> None:
            started.set()
            time.sleep(0.2)

        pool.submit(claim_free)
        started.wait(timeout=30)
        recs = worker.share(pool, [_Claim(f"c{n}") for n in range(4)], check)
    assert [r.id for r in recs] == [f"numeric.c{n}" for n in range(4)]
    assert {r.message for r in recs} == {"here"}
