"""Run the mutation catalogue: the baseline, then every mutant in a subprocess, judged and timed.

Each mutant gets a temporary copy of ``mlp/`` with its edits applied (failing loudly if a pattern
no longer matches: the catalogue must not rot silently), and :mod:`verify.mutation.child` runs
``compare_network`` on a few gradient configurations plus the training checks with that copy
first on ``sys.path``. The unmutated copy runs first and must pass everything. Progress, one
line per finished mutant, goes to a text stream (stderr in the CLI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verify.mutation.apply import ROOT, CatalogueError, apply_mutant
from verify.mutation.catalogue import Mutant
from verify.mutation.configs import GRAD_CONFIGS, expected_layer

__all__ = ["MutantResult", "judge", "run_all", "run_mutant", "summary"]


@dataclass
class MutantResult:
    """Outcome of one mutant (or of the unmutated baseline, ``name == "baseline"``)."""

    name: str
    where: str
    detected: bool
    checks: list[str]
    """What flagged it: ``jax:<config>``, ``fd:<config>``, ``crash:<config>``, ``training.<id>``."""
    localised: str
    """``dW^3 db^3 (square)``-style first diverging blocks, or ``training`` / ``cost`` / ``-``."""
    right_layer: bool | None
    """First diverging layer == the catalogue's expectation in every config that showed it."""
    equivalent: bool
    seconds: float
    error: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Detected iff not equivalent, localised right when it is a gradient bug, no error."""
        if self.error:
            return False
        if self.equivalent:
            return not self.detected
        return self.detected and self.right_layer is not False


def judge(mutant: Mutant | None, raw: dict[str, Any], seconds: float) -> MutantResult:
    """Turn the child's JSON into a ``MutantResult`` against the catalogue's expectation."""
    where = "none" if mutant is None else mutant.where
    checks: list[str] = []
    localised: list[str] = []
    right: bool | None = None
    for row in raw["gradients"]:
        cfg = next(c for c in GRAD_CONFIGS if c.name == row["config"])
        if row["crash"]:
            checks.append(f"crash:{cfg.name}")
            continue
        if not row["jax_ok"] or not row["forward_ok"]:
            checks.append(f"jax:{cfg.name}")
        if not row["fd_ok"]:
            checks.append(f"fd:{cfg.name}")
        first = row["first_layer"]
        if first is not None:
            localised.append(
                " ".join(f"d{p}^{first}" for p in row["first_params"]) + f" ({cfg.name})"
            )
            exp = expected_layer(where, cfg)
            if mutant is not None and where not in ("training", "cost", "none"):
                params_ok = set(row["first_params"]) <= set(mutant.params)
                this = exp is not None and first == exp and params_ok
                right = this if right is None else (right and this)
    for rec in raw["training"]:
        if not rec["ok"]:
            checks.append(rec["id"])
    if mutant is not None and where == "training":
        right = not any(c.startswith(("jax:", "fd:", "crash:")) for c in checks)
        localised = ["training"] if checks else []
    if mutant is not None and where == "cost":
        right = bool(checks) and all(c.startswith(("fd:", "training.")) for c in checks)
        localised = ["cost (finite differences only)"] if checks else []
    return MutantResult(
        name="baseline" if mutant is None else mutant.name,
        where=where,
        detected=bool(checks),
        checks=checks,
        localised="; ".join(localised) or "-",
        right_layer=right,
        equivalent=mutant is not None and bool(mutant.equivalent),
        seconds=seconds,
        details=raw,
    )


def run_mutant(
    mutant: Mutant | None, source: Path | None = None, timeout: float = 300.0
) -> MutantResult:
    """Apply ``mutant`` to a temporary copy of ``source`` (default ``mlp/``); run the child."""
    name = "baseline" if mutant is None else mutant.name
    t0 = time.perf_counter()

    def failed(error: str, seconds: float) -> MutantResult:
        """The result of a run that produced no verdict (catalogue error, timeout, crash)."""
        where = "none" if mutant is None else mutant.where
        equivalent = mutant is not None and bool(mutant.equivalent)
        return MutantResult(name, where, False, [], "-", None, equivalent, seconds, error=error)

    with tempfile.TemporaryDirectory(prefix=f"derivcheck-mutant-{name}-") as tmp:
        tmpdir = Path(tmp)
        try:
            apply_mutant(mutant, tmpdir, source)
        except CatalogueError as err:
            return failed(str(err), 0.0)
        out = tmpdir / "result.json"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(tmpdir), str(ROOT), *filter(None, [env.get("PYTHONPATH", "")])]
        )
        env["DERIVCHECK_MUTANT_DIR"] = str(tmpdir)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.setdefault("JAX_PLATFORMS", "cpu")
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "verify.mutation.child", str(out)],
                cwd=tmpdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return failed(f"timed out after {timeout:.0f}s", time.perf_counter() - t0)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0 or not out.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            return failed(f"child exited {proc.returncode}: {tail[0]}", seconds)
        raw = json.loads(out.read_text(encoding="utf-8"))
    return judge(mutant, raw, seconds)


def progress_line(done: int, total: int, r: MutantResult) -> str:
    """``[ 3/23] name  detected by jax:square (+5)  12 s``: one finished mutant."""
    if r.error:
        what = f"ERROR: {r.error}"
    elif r.equivalent:
        what = "equivalent, flagged (wrong)" if r.detected else "equivalent, not flagged"
    elif r.detected:
        more = f" (+{len(r.checks) - 1})" if len(r.checks) > 1 else ""
        what = f"detected by {r.checks[0]}{more}"
        if r.right_layer is False:
            what += ", WRONG layer"
    else:
        what = "NOT detected"
    return f"[{done:{len(str(total))}d}/{total}] {r.name:<29} {what}  {r.seconds:.0f} s"


def run_all(
    mutants: Sequence[Mutant],
    source: Path,
    jobs: int,
    say: Callable[[str], None],
    run_one: Callable[[Mutant, Path], MutantResult] = run_mutant,
) -> list[MutantResult]:
    """Run ``mutants`` ``jobs`` at a time; ``say`` one progress line as each finishes.

    Results come back in catalogue order whatever the order they finish in.
    """
    results: dict[str, MutantResult] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_one, m, source): m for m in mutants}
        for future in as_completed(futures):
            r = future.result()
            results[futures[future].name] = r
            say(progress_line(len(results), len(mutants), r))
    return [results[m.name] for m in mutants]


def summary(results: Sequence[MutantResult]) -> dict[str, Any]:
    """Counts: detected, localised to the right layer, equivalent and flagged, errors."""
    behavioural = [r for r in results if not r.equivalent]
    return {
        "mutants": len(results),
        "behaviour_changing": len(behavioural),
        "detected": sum(r.detected for r in behavioural),
        "right_layer": sum(r.right_layer is True for r in behavioural),
        "equivalent": len(results) - len(behavioural),
        "equivalent_flagged": sum(r.detected for r in results if r.equivalent),
        "errors": sum(bool(r.error) for r in results),
        "all_ok": all(r.ok for r in results),
    }
