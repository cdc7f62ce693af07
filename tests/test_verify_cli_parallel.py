"""The gate's second process: same records as a serial run, and it can be switched off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verify.cli import worker
from verify.cli.phases import Run, default_sources

ROOT = Path(__file__).resolve().parents[1]


def test_serial_switch_and_core_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVCHECK_SERIAL", "1")
    assert not worker.worth_starting()
    monkeypatch.delenv("DERIVCHECK_SERIAL")
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert not worker.worth_starting()
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert worker.worth_starting()


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


def _records(tmp: Path, serial: bool) -> list[dict[str, object]]:
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
    return checks


@pytest.mark.slow
def test_parallel_gate_gives_the_serial_records(tmp_path: Path) -> None:
    assert _records(tmp_path, serial=False) == _records(tmp_path, serial=True)
