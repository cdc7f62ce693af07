"""Check records and their JSON: the one structure every check emits, and the one JSON rule.

The JSON rule, used by every file the project writes (``--json`` of every subcommand,
``reports/data/mutation.json``, the mutant child's results) and by check details that must stay
JSON-safe in memory: strict JSON (no ``NaN``/``Infinity`` tokens), NumPy scalars unwrapped,
tuples as lists, and a non-finite float written as the string Python prints for it:
``"inf"``, ``"-inf"`` or ``"nan"`` (``float()`` reads each back).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "Kind",
    "Record",
    "Status",
    "dumps",
    "error_message",
    "expect_pass",
    "json_safe",
    "merge_json",
    "save_json",
    "summarise",
]

Kind = Literal["symbolic", "numeric", "experiment"]
Status = Literal["ok", "unexpected", "error"]


@dataclass(frozen=True)
class Record:
    """One check's outcome, as written to ``--json`` and read by the reports."""

    id: str
    """Stable identifier (the claim id, or e.g. ``mlp.grad.sigmoid.softmax.cross_entropy.d3``)."""
    ref: str
    """Paper reference (``eq. 16``) or the harness's own (``mlp``)."""
    kind: Kind
    verdict: str
    """Derivations vocabulary for symbolic checks; ``pass``/``fail`` for numeric ones."""
    expected: str
    status: Status
    """``ok`` iff the verdict is the expected one."""
    method: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    """Check-specific numbers (errors, worst index, budgets, seeds, layer); JSON-serialisable."""

    def to_json(self) -> dict[str, Any]:
        """Plain dict for ``json.dump``."""
        return asdict(self)


def expect_pass(
    id: str, ref: str, ok: bool, method: str, message: str, details: dict[str, Any]
) -> Record:
    """A numeric check expected to pass: verdict ``pass``/``fail``, status ``ok`` iff it passed."""
    return Record(
        id=id,
        ref=ref,
        kind="numeric",
        verdict="pass" if ok else "fail",
        expected="pass",
        status="ok" if ok else "unexpected",
        method=method,
        message=message,
        details=details,
    )


def error_message(exc: BaseException) -> str:
    """``ValueError: first line of the message``: how a check that raised is reported."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"


def summarise(records: list[Record]) -> dict[str, Any]:
    """Counts by kind and status, for the JSON ``summary`` and the final table."""
    by_kind: dict[str, dict[str, int]] = {}
    for r in records:
        row = by_kind.setdefault(r.kind, {"ok": 0, "unexpected": 0, "error": 0})
        row[r.status] += 1
    return {
        "total": len(records),
        "ok": sum(r.status == "ok" for r in records),
        "not_ok": sum(r.status != "ok" for r in records),
        "by_kind": by_kind,
    }


def json_safe(obj: Any) -> Any:
    """``obj`` as strict JSON data: NumPy scalars unwrapped, NaN/inf as ``"nan"``/``"inf"``."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    item = getattr(obj, "item", None)
    if callable(item) and getattr(obj, "shape", None) == ():
        obj = item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def dumps(doc: Any, *, indent: int | None = 2, sort_keys: bool = False, ascii: bool = True) -> str:
    """``doc`` as strict JSON text under the module's rule (unknown objects via ``str``)."""
    return json.dumps(
        json_safe(doc),
        indent=indent,
        sort_keys=sort_keys,
        ensure_ascii=ascii,
        allow_nan=False,
        default=str,
    )


def save_json(path: Path, doc: Any, *, sort_keys: bool = False, ascii: bool = True) -> None:
    """Write ``doc`` (plus a newline) to ``path`` atomically: temp file, then ``os.replace``."""
    text = dumps(doc, sort_keys=sort_keys, ascii=ascii) + "\n"
    directory = path.parent if str(path.parent) else Path()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def merge_json(path: Path, keys: tuple[str, ...], value: Any) -> None:
    """Set ``data[k1][k2]... = value`` in the JSON file ``path`` (created if missing), atomically.

    Keys sorted, non-ASCII kept: the layout of ``reports/data/mutation.json``.
    """
    data: dict[str, Any] = {}
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
    node = data
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value
    save_json(path, data, sort_keys=True, ascii=False)

