"""Benchmark 5: the development loop's four figures against their targets, each in a subprocess.

``python -m verify all`` (the gate), the default ``python -m pytest`` (what a developer runs after
every change), ``python -m verify list`` and ``python -m verify doc`` on a 100-step document of
scalar and index-notation derivations (:func:`benchmarks.document.hundred_steps`).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.document import hundred_steps
from benchmarks.tables import markdown_table

__all__ = ["QUICK_LOOP", "TARGETS", "loop_table", "run_loop"]

ROOT = Path(__file__).resolve().parents[1]

TARGETS: dict[str, float] = {
    "python -m verify all": 20.0,
    "python -m pytest (default, slow tests deselected)": 60.0,
    "python -m verify list": 2.0,
    "python -m verify doc (100 steps)": 10.0,
}
"""Wall-time targets in seconds, on this project's 2-core machines."""
QUICK_LOOP: tuple[str, ...] = ("python -m verify list", "python -m verify doc (100 steps)")
"""What ``--quick`` times: the two commands of a few seconds."""


def _commands(tmp: Path) -> dict[str, list[str]]:
    doc = tmp / "hundred.md"
    doc.write_text(hundred_steps(100), encoding="utf-8")
    py = sys.executable
    return {
        "python -m verify all": [py, "-m", "verify", "all", "--quiet",
                                 "--reports-dir", str(tmp / "reports")],
        "python -m pytest (default, slow tests deselected)": [py, "-m", "pytest", "-q",
                                                              "-p", "no:cacheprovider"],
        "python -m verify list": [py, "-m", "verify", "list"],
        "python -m verify doc (100 steps)": [py, "-m", "verify", "doc", str(doc), "--quiet"],
    }


def _time(command: Sequence[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run(list(command), cwd=ROOT, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, proc.returncode


def run_loop(
    repeats: int, log: Callable[[str], None], only: Sequence[str] | None = None
) -> dict[str, Any]:
    """Median wall time of each command over ``repeats`` runs (``only``: a subset of names)."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-loop-") as tmp:
        for name, command in _commands(Path(tmp)).items():
            if only is not None and name not in only:
                continue
            runs = []
            for i in range(repeats):
                seconds, code = _time(command)
                log(f"{name} run {i + 1}/{repeats}: {seconds:.1f} s, exit {code}")
                runs.append({"wall_s": seconds, "exit_code": code})
            median = statistics.median(r["wall_s"] for r in runs)
            results[name] = {"runs": runs, "median_wall_s": median, "target_s": TARGETS[name],
                             "target_met": median <= TARGETS[name]}
    return results


def loop_table(result: dict[str, Any]) -> str:
    """Markdown: one row per command, median wall time against its target."""
    rows = [[f"`{name}`", f"{r['median_wall_s']:.1f}", f"{r['target_s']:.0f}",
             "met" if r["target_met"] else "MISSED",
             ", ".join(str(x["exit_code"]) for x in r["runs"])]
            for name, r in result.items()]
    head = "**The development loop**: median wall seconds in a subprocess, against the targets."
    return head + "\n\n" + markdown_table(
        ["command", "wall s", "target s", "target", "exit codes"], rows)
