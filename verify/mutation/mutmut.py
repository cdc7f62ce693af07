"""A general mutation tool's results (a finished ``mutmut run``), summarised: score, survivors."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["MUTMUT_SURVIVED", "SURVIVOR_CATEGORIES", "classify_survivor", "mutmut_summary"]

MUTMUT_SURVIVED = 0
"""mutmut exit code of a mutant the tests did not kill (other codes: killed, or never run)."""
_NOT_RUN = {None, 5, 33, 34}  # not run / no tests / skipped

SURVIVOR_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("import-time", "module-level constant computed at import; mutmut 3 cannot switch it on"),
    ("buffer", "out=/workspace buffer argument: same values, another allocation (equivalent)"),
    ("zip-strict", "zip(strict=...) flag: equal lengths on every valid input (equivalent)"),
    ("axis+1", "axis=-1 -> +1 on 2-D arrays: the same axis (equivalent)"),
    ("message", "string literal only: message text or an argument label (message not asserted)"),
    ("dtype-copy", "dtype=/copy=/order=/astype argument: same values on every tested input"),
    ("other", "behaviour may change: listed with its diff"),
)
"""How survivors are classified, first match wins."""


def classify_survivor(name: str, diff: str) -> str:
    """Category of one surviving mutant from its name and ``mutmut show`` diff."""
    old = [ln[2:] for ln in diff.splitlines() if ln.startswith("- ")]
    new = [ln[2:] for ln in diff.splitlines() if ln.startswith("+ ")]
    o, n = " ".join(old), " ".join(new)
    if "_exp_cap" in name:
        return "import-time"
    if "strict=True" in o and "strict=True" not in n:
        return "zip-strict"
    if "axis=-1" in o and "axis=+1" in n:
        return "axis+1"
    if "[-1]" in o and "[+1]" in n and ".shape" in o:
        return "axis+1"
    buffers = ("out=", "ws.", "ws)", "wb)", "work", ", None)", "ws is None")
    if any(b in o for b in buffers) and (
        "None" in n or len(n.replace(" ", "")) < len(o.replace(" ", ""))
    ):
        return "buffer"
    if old and new and _strip_strings(o) == _strip_strings(n):
        return "message"
    if "raise " in o and ("(None)" in n or "XX" in n):
        return "message"
    if any(k in o for k in ("dtype=", "copy=", "order=", ".astype(")) and any(
        k in n for k in ("=None", '="c"', "astype(None)", ", )")
    ):
        return "dtype-copy"
    return "other"


def _strip_strings(code: str) -> str:
    """``code`` with every string literal emptied (f-string holes kept)."""
    return re.sub(r"\"[^\"]*\"|'[^']*'", '""', code)


def mutmut_summary(run_dir: Path, mutmut: str = "mutmut") -> dict[str, Any]:
    """Read a finished ``mutmut run`` in ``run_dir``: score, survivors by category with diffs."""
    codes: dict[str, int | None] = {}
    for meta in sorted((run_dir / "mutants").rglob("*.py.meta")):
        codes.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    ran = {k: c for k, c in codes.items() if c not in _NOT_RUN}
    survivors = sorted(k for k, c in ran.items() if c == MUTMUT_SURVIVED)
    by_cat: dict[str, list[dict[str, str]]] = {c: [] for c, _ in SURVIVOR_CATEGORIES}
    for name in survivors:
        proc = subprocess.run(
            [mutmut, "show", name], cwd=run_dir, capture_output=True, text=True, check=False
        )
        diff = "\n".join(
            ln
            for ln in proc.stdout.splitlines()
            if ln.startswith(("- ", "+ ")) and not ln.startswith(("---", "+++"))
        )
        by_cat[classify_survivor(name, diff)].append({"mutant": name, "diff": diff})
    killed = len(ran) - len(survivors)
    return {
        "total": len(codes),
        "run": len(ran),
        "not_run": len(codes) - len(ran),
        "killed": killed,
        "survived": len(survivors),
        "score": round(killed / len(ran), 4) if ran else None,
        "survivors_by_category": {
            c: {
                "count": len(by_cat[c]),
                "meaning": meaning,
                "mutants": by_cat[c] if c == "other" else [m["mutant"] for m in by_cat[c]],
            }
            for c, meaning in SURVIVOR_CATEGORIES
        },
    }
