"""What the CLI prints at the end of a run, and the ``--json`` document of its records."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from verify.results import Record, save_json, summarise

__all__ = ["brief", "failure_lines", "findings", "summary_lines", "write_json"]

WIDTH = 100
"""Summary lines wrap at this width."""
BRIEF = 400
"""Characters of a failure message shown without ``--verbose`` (the diagnosis is always kept)."""
MAX_FAILURES = 25
"""Failures listed without ``--verbose``; the rest are counted."""


def write_json(path: Path, records: Sequence[Record], timings: dict[str, float] | None) -> None:
    """Write ``{"checks": [...], "summary": {...}}`` atomically (temp file + ``os.replace``)."""
    doc: dict[str, Any] = {
        "checks": [r.to_json() for r in records],
        "summary": summarise(list(records)),
    }
    if timings is not None:
        doc["timings"] = {k: round(v, 3) for k, v in timings.items()}
    save_json(path, doc)


def findings(records: Sequence[Record]) -> str:
    """What the run found in the paper, counted from the symbolic verdicts and expectations.

    ``"17 errors in the paper confirmed, 0 new; 18 claims hold only under a condition, 2 are
    conventions"``: *confirmed* is a ``wrong`` verdict recorded as expected, *new* a ``wrong``
    verdict nobody expected, *no longer found* an expected error the checker did not confirm.
    """
    sym = [r for r in records if r.kind == "symbolic" and r.status != "error"]
    if not sym:
        return ""
    confirmed = sum(r.verdict == "wrong" and r.expected == "wrong" for r in sym)
    new = sum(r.verdict == "wrong" and r.expected != "wrong" for r in sym)
    gone = sum(r.expected == "wrong" and r.verdict != "wrong" for r in sym)
    conditional = sum(r.verdict == "holds_if" for r in sym)
    conventions = sum(r.verdict == "convention" for r in sym)
    text = f"{_n(confirmed, 'error')} in the paper confirmed, {new} new"
    if gone:
        text += f", {gone} expected but no longer found"
    return (
        f"{text}; {_n(conditional, 'claim')} {'holds' if conditional == 1 else 'hold'} only "
        f"under a condition, {_n(conventions, 'convention')}"
    )


def _n(k: int, word: str) -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


def _diagnosis(details: dict[str, Any]) -> str:
    """The ``diagnosis`` a check recorded (top level or one level down), if any."""
    if isinstance(details.get("diagnosis"), str):
        return str(details["diagnosis"])
    for v in details.values():
        if isinstance(v, dict) and isinstance(v.get("diagnosis"), str):
            return str(v["diagnosis"])
    return ""


def brief(record: Record, limit: int = BRIEF) -> str:
    """The first line of ``record.message``, shortened in the middle to ``limit`` characters.

    The end is kept: the recorded diagnosis when the message ends with it ("first diverging layer
    from the output ..."), else the last sentence, which is where the checks put their verdict.
    """
    line = (record.message.strip().splitlines() or [""])[0]
    if len(line) <= limit:
        return line
    tail = _diagnosis(record.details)
    if not tail or tail not in line:
        tail = line.rpartition(". ")[2]
    if len(tail) > limit - 40:
        return line[: limit - 3].rstrip() + "..."
    head = line[: line.rfind(tail)].rstrip()
    return head[: limit - len(tail) - 5].rstrip() + " ... " + tail


def failure_lines(records: Sequence[Record], *, verbose: bool) -> list[str]:
    """``NOT OK`` lines, each message wrapped; ``verbose``: every failure, whole messages."""
    bad = [r for r in records if r.status != "ok"]
    shown = bad if verbose else bad[:MAX_FAILURES]
    lines = []
    for r in shown:
        lines.append(f"  NOT OK {r.id} ({r.ref}): {r.verdict}, expected {r.expected}.")
        text = r.message.strip().splitlines() if verbose else [brief(r)]
        for para in text:
            lines += textwrap.wrap(para, WIDTH, initial_indent="    ", subsequent_indent="    ")
    if len(bad) > len(shown):
        lines.append(f"  ... and {len(bad) - len(shown)} more (--verbose lists all; see --json)")
    return lines


def summary_lines(
    records: Sequence[Record], seconds: dict[str, float], total: float, *, verbose: bool
) -> list[str]:
    """The end of a run: counts by kind, what was found, the failures, the time per phase."""
    s = summarise(list(records))
    lines = ["", f"{'kind':<11} {'total':>6} {'ok':>6} {'not ok':>7}"]
    for kind, row in s["by_kind"].items():
        n = row["ok"] + row["unexpected"] + row["error"]
        lines.append(f"{kind:<11} {n:6d} {row['ok']:6d} {n - row['ok']:7d}")
    lines.append(f"{'all':<11} {s['total']:6d} {s['ok']:6d} {s['not_ok']:7d}")
    found = findings(records)
    if found:
        lines.append(f"Found: {found}.")
    ok = (
        f"all {s['total']} checks give"
        if s["not_ok"] == 0
        else f"{s['ok']} of {s['total']} checks give"
    )
    lines.append(
        f"Checks: {ok} the result recorded as expected"
        + (f"; {s['not_ok']} {'does' if s['not_ok'] == 1 else 'do'} not:" if s["not_ok"] else ".")
    )
    lines += failure_lines(records, verbose=verbose)
    split = " | ".join(f"{p} {t:.1f} s" for p, t in seconds.items())
    lines.append(f"time: {split} | total {total:.1f} s")
    return lines
