"""Output paths checked before any work: the one rule for a path a CLI cannot write (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["unwritable_dir", "unwritable_file"]


def unwritable_file(path: Path) -> str:
    """Why the file ``path`` cannot be written (``""`` if it can)."""
    parent = path.parent if str(path.parent) else Path()
    if path.is_dir():
        return "it is a directory"
    if not parent.is_dir():
        return f"directory {parent} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"directory {parent} is not writable"
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is not writable"
    return ""


def unwritable_dir(path: Path) -> str:
    """Why the folder ``path`` cannot be written into (``""`` if it can).

    A folder that does not exist yet is fine when its nearest existing ancestor is a writable
    folder (it is created on write); a regular file at ``path`` or above it is not.
    """
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        return "it is a regular file" if probe == path else f"{probe} is a regular file"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable"
    return ""
