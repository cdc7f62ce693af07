"""Copy ``mlp/`` into a scratch directory and apply one catalogued mutant's source edits."""

from __future__ import annotations

import py_compile
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from verify.mutation.catalogue import Mutant

__all__ = ["ROOT", "CatalogueError", "apply_mutant", "check_patterns"]

ROOT = Path(__file__).resolve().parent.parent.parent
"""The project root holding ``mlp/`` and ``verify/``."""


class CatalogueError(RuntimeError):
    """A mutant's pattern does not match ``mlp/`` (the catalogue rotted) or breaks the syntax."""


def apply_mutant(mutant: Mutant | None, dest: Path, source: Path | None = None) -> Path:
    """Copy ``mlp/`` into ``dest`` and apply ``mutant``'s edits; returns ``dest/mlp``.

    Raises ``CatalogueError`` when an edit's ``old`` text does not occur exactly ``count`` times
    or the mutated file no longer compiles.
    """
    src = (ROOT / "mlp") if source is None else source
    pkg = dest / "mlp"
    shutil.copytree(src, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if mutant is None:
        return pkg
    for edit in mutant.edits:
        path = pkg / edit.file
        if not path.is_file():
            raise CatalogueError(f"{mutant.name}: mlp/{edit.file} does not exist")
        text = path.read_text(encoding="utf-8")
        found = text.count(edit.old)
        if found != edit.count:
            raise CatalogueError(
                f"{mutant.name}: pattern matched {found} times in mlp/{edit.file}, expected "
                f"{edit.count} (mlp/ changed; update verify/mutation/catalogue.py): {edit.old!r}"
            )
        path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")
    for edit in mutant.edits:
        try:
            py_compile.compile(str(pkg / edit.file), doraise=True)
        except py_compile.PyCompileError as err:
            raise CatalogueError(
                f"{mutant.name}: mutated mlp/{edit.file} does not compile: {err}"
            ) from None
    return pkg


def check_patterns(mutants: Sequence[Mutant], source: Path) -> None:
    """Apply every mutant once to a scratch copy: ``CatalogueError`` on the first mismatch."""
    for m in mutants:
        with tempfile.TemporaryDirectory(prefix="derivcheck-pattern-") as tmp:
            apply_mutant(m, Path(tmp), source)
