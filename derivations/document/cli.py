"""``doc PATH... [--json PATH] [--report DIR] [--strict] [--quiet]``: check documents' steps."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from derivations.document.engine import check_document
from derivations.document.records import DocumentResult
from derivations.document.render import markdown_report, terminal_lines

__all__ = ["main", "read_document"]


class UsageError(Exception):
    """A bad command line or an unreadable file: one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def read_document(path: str) -> str:
    """The text of ``path``; :class:`UsageError` for a missing, binary or non-UTF-8 file."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{path}: no such file")
    if p.is_dir():
        raise UsageError(f"{path}: is a directory, expected a Markdown, LaTeX or text file")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise UsageError(f"{path}: cannot be read ({e.strerror})") from e
    if b"\x00" in data:
        raise UsageError(f"{path}: is a binary file, expected a Markdown, LaTeX or text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: is not UTF-8 text (byte {e.start})") from e


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parser(prog: str) -> _Parser:
    p = _Parser(prog=prog, description="Check every step of every derivation in a file.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="a Markdown (.md), LaTeX (.tex) or text file (several: a pre-commit hook)")
    p.add_argument("--json", metavar="PATH", help="write the step records as JSON")
    p.add_argument("--report", metavar="DIR", help="write a Markdown report into DIR")
    p.add_argument("--strict", action="store_true", help="also fail on undecided steps")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    return p


def _check(path: str, text: str, args: argparse.Namespace) -> int:
    progress = None
    if not args.quiet and text.count("\n") > 2000:
        def progress(done: int, total: int) -> None:
            if done % 200 == 0 or done == total:
                print(f"  … {done}/{total} blocks", file=sys.stderr)
    result: DocumentResult = check_document(text, path=path, progress=progress)
    for line in terminal_lines(result, quiet=args.quiet):
        print(line)
    try:
        if args.json is not None:
            _write_atomic(Path(args.json), result.to_json())
        if args.report is not None:
            _write_atomic(Path(args.report) / (Path(path).stem + ".md"), markdown_report(result))
    except OSError as e:
        print(f"doc: cannot write the output ({e.strerror}: {e.filename})", file=sys.stderr)
        return 2
    return 0 if result.ok(strict=args.strict) else 1


def main(argv: list[str] | None = None, prog: str = "python -m derivations.document") -> int:
    """Exit 0 when no step is wrong or unparsed (nor undecided with --strict), 1 else, 2 usage.

    ``prog`` names the command in usage lines (``python -m verify doc`` when run from there).
    """
    try:
        args = _parser(prog).parse_args(argv)
        if args.json is not None and len(args.paths) > 1:
            raise UsageError("--json takes one input file; give one PATH")
        texts = [read_document(p) for p in args.paths]
        report = args.report
        if report is not None and Path(report).exists() and not Path(report).is_dir():
            raise UsageError(f"--report {report}: exists and is not a directory")
    except UsageError as e:
        print(f"doc: {e}", file=sys.stderr)
        return 2
    codes = [_check(p, t, args) for p, t in zip(args.paths, texts, strict=True)]
    return max(codes)
