"""The check index: every check's id, reference and expectation without running anything.

``python -m verify report`` (and ``all``) writes it to ``<reports>/data/checks.json`` from the run
it has just made, so that ``python -m verify list`` can print all checks, the numeric ones one by
one, in a fraction of a second instead of re-deriving every claim. ``report --check`` and CI's
diff of ``reports/`` keep it fresh like the Markdown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verify.results import Record, dumps

if TYPE_CHECKING:
    from derivations.claims import Claim

__all__ = ["INDEX_FILE", "Entry", "build_index", "index_bytes", "list_lines", "load_index"]

INDEX_FILE = "data/checks.json"
"""Where the index lives, relative to the reports folder."""


@dataclass(frozen=True)
class Entry:
    """One check as ``list`` shows it: no verdict, no numbers, only what it is."""

    id: str
    ref: str
    kind: str
    group: str
    """The claim family, ``num/<group>`` for a numeric check, or ``experiment``."""
    expected: str
    title: str


def build_index(
    claims: Sequence[Claim],
    records: Sequence[Record],
    groups: Mapping[str, str],
    titles: Mapping[str, str],
) -> list[Entry]:
    """Index the checks of a finished run, in run order (symbolic, numeric, experiments)."""
    claim_titles = {c.id: c.title for c in claims}
    family = {c.id: c.family for c in claims}
    out = []
    for r in records:
        if r.kind == "symbolic":
            group, title = family.get(r.id, "symbolic"), claim_titles.get(r.id, r.message)
        elif r.kind == "numeric":
            group = f"num/{groups.get(r.id, 'numeric')}"
            claim = str(r.details.get("claim", ""))
            title = f"{r.method}: {claim_titles[claim]}" if claim in claim_titles else r.method
        else:
            group, title = "experiment", titles.get(r.id, r.method)
        out.append(Entry(r.id, r.ref, r.kind, group, r.expected, title))
    return out


def _document(entries: Sequence[Entry]) -> dict[str, Any]:
    by_kind: dict[str, int] = {}
    for e in entries:
        by_kind[e.kind] = by_kind.get(e.kind, 0) + 1
    return {
        "checks": [asdict(e) for e in entries],
        "summary": {"total": len(entries), "by_kind": by_kind},
    }


def index_bytes(entries: Sequence[Entry]) -> bytes:
    """The index file's content (also what ``list --json`` writes)."""
    return (dumps(_document(entries), indent=1, ascii=False) + "\n").encode("utf-8")


def load_index(reports_dir: Path) -> list[Entry] | None:
    """The committed index under ``reports_dir`` (``None`` if missing or unreadable)."""
    path = reports_dir / INDEX_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return [Entry(**e) for e in doc["checks"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_lines(entries: Sequence[Entry]) -> list[str]:
    """One aligned line per check: id, reference, group, expected result, what it checks."""
    width = max([34, *(len(e.id) for e in entries)])
    return [
        f"{e.id:<{width}} {e.ref:<14} {e.group:<12} expected {e.expected:<24} {e.title}".rstrip()
        for e in entries
    ]
