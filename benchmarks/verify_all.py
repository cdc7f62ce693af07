"""Benchmark 3: ``python -m verify all`` end to end, wall time and the CLI's own phase split."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.tables import markdown_table

__all__ = [
    "PHASES",
    "TARGET_SECONDS",
    "find_phases",
    "parse_groups",
    "run_verify_all",
    "verify_table",
]

TARGET_SECONDS = 20.0
"""``verify all`` must finish within this wall time."""
PHASES: tuple[str, ...] = ("imports", "symbolic", "numeric", "experiments", "reports")
"""The phases the CLI reports, in order."""


def find_phases(payload: Any) -> dict[str, float] | None:
    """Find the phase -> seconds mapping inside the CLI's ``--json`` payload, wherever it is nested.

    The CLI writes it as the top-level ``"timings"``; otherwise the first dict whose keys include
    at least two of :data:`PHASES` with numeric values.
    """
    if isinstance(payload, dict) and isinstance(payload.get("timings"), dict):
        top = {k: v for k, v in payload["timings"].items() if isinstance(v, int | float)}
        if top:
            return {k: float(v) for k, v in top.items()}
    if isinstance(payload, dict):
        hits = {k: v for k, v in payload.items() if k in PHASES and isinstance(v, int | float)}
        if len(hits) >= 2:
            return {k: float(v) for k, v in hits.items()}
        for value in payload.values():
            found = find_phases(value)
            if found is not None:
                return found
    elif isinstance(payload, list):
        for value in payload:
            found = find_phases(value)
            if found is not None:
                return found
    return None


_GROUP_LINE = re.compile(r"^\[(?P<group>[^\]]+?)\s*\]\s+\d+ checks:.*\(\s*(?P<s>[\d.]+) s\)\s*$")


def parse_groups(stderr: str) -> dict[str, float]:
    """Seconds per check group from the CLI's progress lines (``[num/mlp] ... (3.2 s)``)."""
    groups: dict[str, float] = {}
    for line in stderr.splitlines():
        match = _GROUP_LINE.match(line.strip())
        if match:
            groups[match["group"]] = float(match["s"])
    return groups


def _run_once(
    command: Sequence[str], workdir: Path, env: Mapping[str, str] | None
) -> dict[str, Any]:
    """One run in ``workdir`` (reports go there, never into the repository's reports/)."""
    json_path = workdir / "verify.json"
    full = [*command, "--json", str(json_path), "--reports-dir", str(workdir / "reports")]
    t0 = time.perf_counter()
    proc = subprocess.run(full, cwd=workdir, capture_output=True, text=True, check=False,
                          env=None if env is None else {**os.environ, **env})
    wall = time.perf_counter() - t0
    phases = None
    if json_path.exists():
        phases = find_phases(json.loads(json_path.read_text(encoding="utf-8")))
    return {
        "wall_s": wall,
        "exit_code": proc.returncode,
        "phases_s": phases,
        "groups_s": parse_groups(proc.stderr),
        "stderr_tail": proc.stderr.strip().splitlines()[-12:],
    }


def run_verify_all(
    repeats: int,
    log: Callable[[str], None],
    command: Sequence[str] | None = None,
    subcommand: str = "all",
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``python -m verify <subcommand>`` ``repeats`` times in a subprocess; medians.

    ``command`` replaces the whole command (tests pass a stand-in); ``--json`` and
    ``--reports-dir`` (a temporary directory) are appended to it. ``env``: extra environment
    variables for the subprocess (thread counts).
    """
    label = f"python -m verify {subcommand}" if command is None else "stand-in command"
    if command is None:
        command = [sys.executable, "-m", "verify", subcommand]
    runs = []
    for i in range(repeats):
        with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
            run = _run_once(command, Path(tmp), env)
        log(f"{label} run {i + 1}/{repeats}: {run['wall_s']:.1f} s, exit {run['exit_code']}")
        runs.append(run)
    median_wall = statistics.median(r["wall_s"] for r in runs)
    groups: dict[str, float] = {}
    for name in dict.fromkeys(g for r in runs for g in r["groups_s"]):
        groups[name] = statistics.median(r["groups_s"][name] for r in runs if name in r["groups_s"])
    phases: dict[str, float] = {}
    with_phases = [r["phases_s"] for r in runs if r["phases_s"]]
    for name in PHASES:
        values = [p[name] for p in with_phases if name in p]
        if values:
            phases[name] = statistics.median(values)
    return {
        "label": label,
        "command": list(command),
        "env": dict(env or {}),
        "runs": runs,
        "median_wall_s": median_wall,
        "median_phases_s": phases,
        "median_groups_s": groups,
        "all_exit_zero": all(r["exit_code"] == 0 for r in runs),
        "target_met": median_wall < TARGET_SECONDS,
    }


def verify_table(result: dict[str, Any]) -> str:
    """Markdown: the phase split and the wall time against the target."""
    rows = []
    for name, seconds in result["median_phases_s"].items():
        rows.append([name, f"{seconds:.2f}"])
        if name == "numeric":  # the CLI's per-group progress lines, where present
            rows += [[f"&nbsp;&nbsp;{group}", f"{s:.2f}"]
                     for group, s in result.get("median_groups_s", {}).items()
                     if group.startswith("num/")]
    if rows:
        total = sum(result["median_phases_s"].values())
        rows.append(["sum of phases", f"{total:.2f}"])
        rows.append(["outside the phases (interpreter start, CLI import, JSON)",
                     f"{max(0.0, result['median_wall_s'] - total):.2f}"])
    rows.append(["wall (subprocess, incl. interpreter start)", f"{result['median_wall_s']:.2f}"])
    n = len(result["runs"])
    exits = sorted({r["exit_code"] for r in result["runs"]})
    title = (
        f"**`{result['label']}` end to end**: median of {n} run(s) "
        "in a subprocess "
        f"(exit codes {exits}); phases as the CLI reports them."
    )
    verdict = (
        f"- wall {result['median_wall_s']:.1f} s (target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if result['target_met'] else 'MISSED'})"
    )
    return "\n".join([title, "", markdown_table(["phase", "seconds"], rows), "", verdict])
