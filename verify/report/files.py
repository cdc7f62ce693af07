"""Write the generated reports atomically, and compare them with what is on disk."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["FRESHNESS_SUFFIXES", "stale_files", "write_reports"]

FRESHNESS_SUFFIXES: tuple[str, ...] = (".md",)
"""Files compared by ``report --check``: the Markdown. PNGs are byte-stable on one machine but
depend on the matplotlib/FreeType build, so they are regenerated but not compared."""


def write_reports(files: Mapping[str, bytes], out_dir: Path) -> int:
    """Write ``files`` (relative path -> bytes) under ``out_dir``; returns how many changed.

    Every file is first written to a temporary file in its final directory; only when all of them
    are written are they moved into place with ``os.replace``, so a failure (unwritable directory,
    full disk) leaves the previous reports untouched. Unchanged files are not rewritten.
    """
    pending: list[tuple[Path, Path]] = []
    try:
        for rel, data in sorted(files.items()):
            target = out_dir / rel
            if target.is_file() and target.read_bytes() == data:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            pending.append((Path(name), target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        for tmp, target in pending:
            tmp.replace(target)
    except BaseException:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    return len(pending)


def stale_files(files: Mapping[str, bytes], out_dir: Path) -> list[str]:
    """Relative paths of Markdown reports that are missing, different, or no longer generated."""
    stale = []
    for rel, data in sorted(files.items()):
        if not rel.endswith(FRESHNESS_SUFFIXES):
            continue
        target = out_dir / rel
        if not target.is_file() or target.read_bytes() != data:
            stale.append(rel)
    if out_dir.is_dir():
        for path in sorted(out_dir.rglob("*")):
            rel = path.relative_to(out_dir).as_posix()
            if path.is_file() and rel.endswith(FRESHNESS_SUFFIXES) and rel not in files:
                stale.append(rel)
    return stale
