"""The ``python -m verify`` command table: one handler per subcommand, each running its phases.

``COMMANDS`` maps a subcommand to its handler; :func:`main` parses the options, checks every
output path before any work (an output the command cannot write is a usage error, exit 2), and
calls the handler. ``all``, the correctness gate, is :func:`cmd_all`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TextIO

from verify.cli.index import INDEX_FILE, Entry, build_index, index_bytes, list_lines, load_index
from verify.cli.output import summary_lines, write_json
from verify.cli.phases import Run, Sources, default_sources
from verify.paths import unwritable_dir, unwritable_file

__all__ = [
    "COMMANDS",
    "EXIT_NOT_OK",
    "EXIT_OK",
    "EXIT_USAGE",
    "Command",
    "Invocation",
    "UsageError",
    "main",
]

EXIT_OK = 0
"""Every check gave the expected result (or the command succeeded)."""
EXIT_NOT_OK = 1
"""Some check is not ok, a check group or the reports failed to build, or reports are stale."""
EXIT_USAGE = 2
"""Unknown subcommand or option, or an output path (``--json``, ``--reports-dir``) that cannot be
written: checked before any work, so it fails at once."""

REGENERATE_HINT = "run 'python -m verify report' and commit the result"


class UsageError(Exception):
    """A command-line usage error (exit code 2)."""


@dataclass
class Invocation:
    """One parsed command line: options, streams, and the run that collects the records."""

    run: Run
    out: TextIO
    json_path: Path | None
    reports_dir: Path
    check: bool
    verbose: bool


@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, its handler, and how it uses ``--reports-dir``."""

    help: str
    handler: Callable[[Invocation], int] | None
    """Runs the command on the parsed options (``None``: it parses its own, see ``own``)."""
    reports: str = ""
    """``write`` (checked writable up front), ``read``, or ``""`` (not used)."""
    own: Callable[[list[str]], int] | None = None
    """A command with options of its own: called with the words after its name."""


# --- handlers: one per subcommand -----------------------------------------------------------------


def cmd_all(inv: Invocation) -> int:
    """The gate: symbolic + numeric + experiments, then regenerate the reports; 0 iff all ok.

    The checks that need no claims run in a second process meanwhile (:mod:`verify.cli.worker`).
    """
    return _finish(inv, _every_phase(inv, check=False), gate=True)


def cmd_symbolic(inv: Invocation) -> int:
    """The SymPy verdict of every claim against its recorded expectation."""
    inv.run.preload()
    inv.run.symbolic()
    return _finish(inv, EXIT_OK, gate=True)


def cmd_numeric(inv: Invocation) -> int:
    """The numeric checks (the claims are built first: they feed the claim checks)."""
    inv.run.preload()
    inv.run.records += inv.run.load_claims()
    inv.run.numeric()
    return _finish(inv, EXIT_OK, gate=True)


def cmd_experiments(inv: Invocation) -> int:
    """The paper's training claims on the digits data."""
    inv.run.preload()
    inv.run.run_experiments()
    return _finish(inv, EXIT_OK, gate=True)


def cmd_report(inv: Invocation) -> int:
    """Regenerate the reports (``--check``: compare only); 0 once written, whatever checks say."""
    return _finish(inv, _every_phase(inv, check=inv.check), gate=False)


def cmd_list(inv: Invocation) -> int:
    """Every check, one line each, from the check index (no derivation is built)."""
    run = inv.run
    entries = load_index(inv.reports_dir) if run.sources.indexed else None
    if entries is not None:
        lines = list_lines(entries)
    else:
        if run.sources.indexed:
            run.say(
                f"note: no check index at {inv.reports_dir / INDEX_FILE}: building the claims "
                "(numeric checks shown by group; 'python -m verify report' writes the index)"
            )
        listed = _list_without_index(run)
        if listed is None:
            return EXIT_NOT_OK
        entries, lines = listed
    for line in lines:
        print(line, file=inv.out)
    if inv.json_path is not None:
        try:
            _write_bytes(inv.json_path, index_bytes(entries))
        except OSError as exc:
            return _cannot_write(run.err, "--json", inv.json_path, exc)
    return EXIT_OK


def own_mutants(words: list[str]) -> int:
    """``mutants``: :mod:`verify.mutation.cli`, with its own options."""
    from verify.mutation.cli import main as mutants_main

    return mutants_main(words)


def own_doc(words: list[str]) -> int:
    """``doc``: the derivation checker of :mod:`derivations.document`, with its own options."""
    from derivations.document.cli import main as doc_main

    return doc_main(words, prog="python -m verify doc")


COMMANDS: dict[str, Command] = {
    "all": Command(
        "symbolic + numeric + experiments, then regenerate the reports (the correctness gate)",
        cmd_all,
        reports="write",
    ),
    "symbolic": Command(
        "SymPy verdict of every claim against its recorded expectation", cmd_symbolic
    ),
    "numeric": Command(
        "numeric cross-checks: claims vs JAX and finite differences, the MLP, kinks, SGD",
        cmd_numeric,
    ),
    "experiments": Command(
        "the paper's training claims on scikit-learn's bundled digits data", cmd_experiments
    ),
    "report": Command(
        "regenerate reports/ (with --check: fail if the committed Markdown is stale)",
        cmd_report,
        reports="write",
    ),
    "list": Command("every claim and check, one line each (instant)", cmd_list, reports="read"),
    "mutants": Command(
        "run the harness on a catalogue of backprop bugs planted in a copy of mlp/ "
        "(its own options: python -m verify mutants --help)",
        None,
        own=own_mutants,
    ),
    "doc": Command(
        "check every step of every derivation in your own Markdown, LaTeX or text file "
        "(its own options: python -m verify doc --help)",
        None,
        own=own_doc,
    ),
}
"""Subcommand -> handler, in the order ``--help`` lists them."""


# --- shared steps ---------------------------------------------------------------------------------


def _every_phase(inv: Invocation, *, check: bool) -> int:
    """Every phase of ``all`` and ``report``, then the reports written (or, ``check``, compared)."""
    run = inv.run
    run.start_background()
    run.preload()
    run.symbolic()
    run.numeric()
    run.run_experiments()
    with run.clock.phase("reports"):
        return _reports(inv, check=check)


def _finish(inv: Invocation, status: int, *, gate: bool) -> int:
    """Write ``--json``, print the summary; the exit status (``gate``: 1 unless every check ok)."""
    run = inv.run
    if inv.json_path is not None:
        try:
            write_json(inv.json_path, run.records, run.clock.seconds)
        except OSError as exc:
            return _cannot_write(run.err, "--json", inv.json_path, exc)
    if not run.quiet:
        for line in summary_lines(
            run.records, run.clock.seconds, run.clock.total, verbose=inv.verbose
        ):
            run.say(line)
    if status != EXIT_OK or not gate:
        return status
    return EXIT_OK if all(r.status == "ok" for r in run.records) else EXIT_NOT_OK


def _reports(inv: Invocation, *, check: bool) -> int:
    """Build the reports and the check index; write them, or (``check``) compare with the disk."""
    from verify.report import stale_files, write_reports

    run, reports_dir = inv.run, inv.reports_dir
    try:
        files = run.build_reports(reports_dir)
    except Exception as exc:
        if run.debug:
            raise
        print(f"error: building the reports failed: {type(exc).__name__}: {exc}", file=run.err)
        return EXIT_NOT_OK
    titles = run.sources.titles() if run.sources.titles is not None else {}
    files[INDEX_FILE] = index_bytes(build_index(run.claims, run.records, run.groups, titles))
    if check:
        stale = stale_files(files, reports_dir)
        index = reports_dir / INDEX_FILE
        if not index.is_file() or index.read_bytes() != files[INDEX_FILE]:
            stale.append(INDEX_FILE)
        if stale:
            print(
                f"error: {reports_dir}/ is stale ({', '.join(stale)}): {REGENERATE_HINT}.",
                file=run.err,
            )
            return EXIT_NOT_OK
        run.say(f"[reports    ] {reports_dir}/ is up to date")
        return EXIT_OK
    try:
        written = write_reports(files, reports_dir)
    except OSError as exc:
        return _cannot_write(run.err, "reports to", reports_dir, exc)
    run.say(f"[reports    ] {len(files)} files in {reports_dir}/ ({written} changed)")
    return EXIT_OK


def _list_without_index(run: Run) -> tuple[list[Entry], list[str]] | None:
    """Build the claims to list them (slow); numeric checks as one line per group."""
    run.preload()
    errors = run.load_claims()
    for r in errors:
        print(f"error: {r.id}: {r.message}", file=run.err)
    if errors:
        return None
    entries = [
        Entry(c.id, c.ref, "symbolic", c.family, str(c.expected), c.title) for c in run.claims
    ]
    entries += [
        Entry(f"numeric.{name}", "harness", "numeric", "numeric", "pass", "check group")
        for name, _fn in run.sources.numeric
    ]
    extra: list[str] = []
    try:
        if run.sources.titles is not None:
            entries += [
                Entry(cid, "", "experiment", "experiment", "", title)
                for cid, title in run.sources.titles().items()
            ]
        if run.sources.list_checks is not None:
            extra = list(run.sources.list_checks())
    except Exception as exc:
        print(f"error: listing checks: {type(exc).__name__}: {exc}", file=run.err)
        return None
    lines = list_lines([e for e in entries if e.kind != "experiment"]) + extra
    return entries, lines


def _write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder."""
    directory = path.parent if str(path.parent) else Path()
    with tempfile.NamedTemporaryFile(
        dir=directory, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as fh:
        fh.write(data)
    try:
        Path(fh.name).replace(path)
    except BaseException:
        Path(fh.name).unlink(missing_ok=True)
        raise


def _cannot_write(err: TextIO, what: str, path: Path, exc: OSError | str) -> int:
    reason = exc if isinstance(exc, str) else (exc.strerror or str(exc))
    print(f"error: cannot write {what} {path}: {reason}", file=err)
    return EXIT_USAGE


# --- parsing --------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """``ArgumentParser`` raising :class:`UsageError` instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _parser() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--json", metavar="PATH", type=Path, default=argparse.SUPPRESS,
        help="write machine-readable results to PATH (list: the check index)",
    )  # fmt: skip
    common.add_argument(
        "--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
        help="no progress or summary on stderr (errors are still printed)",
    )  # fmt: skip
    common.add_argument(
        "--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
        help="list every failure with its whole message",
    )  # fmt: skip
    common.add_argument(
        "--reports-dir", metavar="DIR", type=Path, default=argparse.SUPPRESS,
        help="where the reports live (default: reports/ in the current directory)",
    )  # fmt: skip
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS,
        help="let exceptions from check groups propagate with a traceback",
    )  # fmt: skip
    parser = _Parser(
        prog="python -m verify",
        description="derivcheck: check the mathematics of backpropagation in the paper.",
        parents=[common],
        epilog="Exit status: 0 all checks ok, 1 some check not ok (or the reports are stale), "
        "2 usage error, including an output path that cannot be written (checked before any "
        "work). 'report' exits 0 once the reports are written, whatever the checks say "
        "('all' is the gate).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help, parents=[common])
        if name == "report":
            p.add_argument(
                "--check",
                action="store_true",
                help="regenerate in memory, write nothing; exit 1 if the Markdown on disk differs",
            )
    return parser


def _usage(parser: _Parser, message: str, err: TextIO) -> int:
    print(f"{parser.prog}: error: {message}", file=err)
    parser.print_usage(err)
    return EXIT_USAGE


def _path_problem(command: Command, inv: Invocation) -> str:
    """The first output path of this invocation that cannot be written, as an error line."""
    if inv.json_path is not None:
        why = unwritable_file(inv.json_path)
        if why:
            return f"error: cannot write --json {inv.json_path}: {why}"
    rd = inv.reports_dir
    if command.reports == "write" and not inv.check:
        why = unwritable_dir(rd)
        if why:
            return f"error: cannot write reports to {rd}/: {why}"
    elif command.reports and rd.exists() and not rd.is_dir():
        return f"error: --reports-dir {rd}: it is a regular file, not a directory"
    return ""


def main(
    argv: Sequence[str] | None = None,
    *,
    sources: Sources | None = None,
    err: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit status (0 ok, 1 not ok, 2 usage)."""
    err = sys.stderr if err is None else err
    out = sys.stdout if out is None else out
    words = list(sys.argv[1:] if argv is None else argv)
    own = COMMANDS[words[0]].own if words and words[0] in COMMANDS else None
    if own is not None:  # a command with options of its own
        return own(words[1:])
    parser = _parser()
    try:
        args = parser.parse_args(words)
    except UsageError as exc:
        return _usage(parser, str(exc), err)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if args.command is None:
        return _usage(parser, "a command is required: " + ", ".join(COMMANDS), err)
    command = COMMANDS[args.command]
    quiet, debug = getattr(args, "quiet", False), getattr(args, "debug", False)
    inv = Invocation(
        run=Run(sources or default_sources(), err, quiet, debug),
        out=out,
        json_path=getattr(args, "json", None),
        reports_dir=getattr(args, "reports_dir", Path("reports")),
        check=getattr(args, "check", False),
        verbose=getattr(args, "verbose", False),
    )
    problem = _path_problem(command, inv)
    if problem:
        print(problem, file=err)
        return EXIT_USAGE
    assert command.handler is not None  # commands without one were dispatched above
    return command.handler(inv)
