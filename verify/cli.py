"""The ``python -m verify`` command line: run the checks, print progress, write JSON and reports."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from verify.results import Record, save_json, summarise

if TYPE_CHECKING:
    from derivations.claims import Claim
    from verify.experiments import ExperimentResults
    from verify.figures import FDCurve

__all__ = [
    "EXIT_NOT_OK",
    "EXIT_OK",
    "EXIT_USAGE",
    "PHASES",
    "Sources",
    "UsageError",
    "default_sources",
    "main",
    "symbolic_records",
    "write_json",
]

EXIT_OK = 0
"""Every check gave the expected result (or the command succeeded)."""
EXIT_NOT_OK = 1
"""Some check is not ok, a module failed, an output could not be written, or reports are stale."""
EXIT_USAGE = 2
"""Unknown subcommand or option."""

PHASES: tuple[str, ...] = ("imports", "symbolic", "numeric", "experiments", "reports")
"""The time split printed in the final summary."""

COMMANDS: dict[str, str] = {
    "all": "symbolic + numeric + experiments, then regenerate the reports (the correctness gate)",
    "symbolic": "SymPy verdict of every claim against its recorded expectation",
    "numeric": "numeric cross-checks: claims vs JAX and finite differences, the MLP, kinks",
    "experiments": "the paper's training claims on scikit-learn's bundled digits data",
    "report": "regenerate reports/ (with --check: fail if the committed Markdown is stale)",
    "list": "the claims and checks, one line each",
    "mutants": "run the harness on a catalogue of backprop bugs planted in a copy of mlp/ "
    "(its own options: python -m verify mutants --help)",
}

REGENERATE_HINT = "run 'python -m verify report' and commit the result"


class UsageError(Exception):
    """A command-line usage error (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """``ArgumentParser`` raising :class:`UsageError` instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _resolve(dotted: str) -> Callable[..., Any]:
    """Return the function ``module.attr`` named by ``dotted`` (imported on first use)."""
    module, _, attr = dotted.rpartition(".")
    fn: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    return fn


@dataclass(frozen=True)
class Sources:
    """Where the checks come from; tests pass small fakes instead of :func:`default_sources`."""

    claims: Callable[[], list[Claim]]
    """All claims of the paper, in paper order."""
    numeric: Sequence[tuple[str, Callable[[list[Claim]], list[Record]]]]
    """Named numeric check groups, each given the claims."""
    experiments: Callable[[], ExperimentResults]
    fd_curves: Callable[[], list[FDCurve]] | None = None
    """Finite-difference error vs step size data for the figure (``None``: no figure)."""
    preload: tuple[str, ...] = ()
    """Modules imported up front so that their import time counts as ``imports``."""
    list_checks: Callable[[], list[str]] | None = None
    """Extra lines for ``list`` (check groups that are not claims)."""


def default_sources() -> Sources:
    """Return the real project: ``derivations`` claims, the ``verify`` harness, experiments."""
    return Sources(
        claims=lambda: list(_resolve("derivations.all_claims")()),
        numeric=(
            ("claims", lambda claims: list(_resolve("verify.claim_checks.check_claims")(claims))),
            ("mlp", lambda _claims: list(_resolve("verify.mlp_checks.check_mlp")())),
            ("kinks", lambda _claims: list(_resolve("verify.kinks.check_kinks")())),
            ("training", lambda _claims: list(_resolve("verify.training_checks.check_training")())),
        ),
        experiments=lambda: _resolve("verify.experiments.run_experiments")(),
        fd_curves=lambda: list(_resolve("verify.figures.default_fd_curves")()),
        preload=(
            "numpy",
            "sympy",
            "jax",
            "derivations",
            "verify.claim_checks",
            "verify.mlp_checks",
            "verify.kinks",
            "verify.training_checks",
            "verify.experiments",
            "verify.report",
            "sklearn.datasets",
            "sklearn.model_selection",
            "matplotlib.pyplot",
        ),
        list_checks=lambda: list(_resolve("verify.experiments.list_experiments")()),
    )


def symbolic_records(claims: Sequence[Claim]) -> list[Record]:
    """One symbolic record per claim: ``ok`` iff the derived verdict is the expected one."""
    records = []
    for c in claims:
        details: dict[str, Any] = {"family": c.family}
        if c.condition:
            details["condition"] = c.condition
        if c.first_wrong_step is not None:
            details["first_wrong_step"] = c.first_wrong_step
        records.append(
            Record(
                id=c.id,
                ref=c.ref,
                kind="symbolic",
                verdict=str(c.verdict),
                expected=str(c.expected),
                status="ok" if c.verdict == c.expected else "unexpected",
                method=str(c.method),
                message=c.title,
                details=details,
            )
        )
    return records


def _error_record(check_id: str, kind: str, exc: BaseException) -> Record:
    """Return a record standing for a check group that could not run."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return Record(
        id=check_id,
        ref="harness",
        kind=kind,  # type: ignore[arg-type]
        verdict="error",
        expected="ok",
        status="error",
        method="harness",
        message=f"{type(exc).__name__}: {first}",
    )


def _bind(
    fn: Callable[[list[Claim]], list[Record]], claims: list[Claim]
) -> Callable[[], list[Record]]:
    """Return ``fn`` with its claims argument bound."""
    return lambda: fn(claims)


class _Clock:
    """Wall-clock time per phase (for the stderr summary only, never for reports)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self.start = time.perf_counter()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - t0

    def since(self, t0: float) -> float:
        return time.perf_counter() - t0

    @property
    def total(self) -> float:
        return time.perf_counter() - self.start


class _Run:
    """One invocation: the records so far, progress output and timings."""

    def __init__(self, sources: Sources, err: TextIO, quiet: bool, debug: bool) -> None:
        self.sources = sources
        self.err = err
        self.quiet = quiet
        self.debug = debug
        self.clock = _Clock()
        self.records: list[Record] = []
        self.claims: list[Claim] = []
        self.experiments: ExperimentResults | None = None

    def say(self, line: str) -> None:
        if not self.quiet:
            print(line, file=self.err, flush=True)

    def progress(self, group: str, records: Sequence[Record], seconds: float) -> None:
        ok = sum(r.status == "ok" for r in records)
        self.say(
            f"[{group:<11}] {len(records):4d} checks: {ok:4d} ok, "
            f"{len(records) - ok:3d} not ok  ({seconds:5.1f} s)"
        )

    def guarded(self, check_id: str, kind: str, fn: Callable[[], list[Record]]) -> list[Record]:
        try:
            return fn()
        except Exception as exc:
            if self.debug:
                raise
            rec = _error_record(check_id, kind, exc)
            self.say(f"error: {check_id}: {rec.message}")
            return [rec]

    def preload(self) -> None:
        os.environ.setdefault("MPLBACKEND", "Agg")  # figures are files, never windows
        with self.clock.phase("imports"):
            for name in self.sources.preload:
                try:
                    importlib.import_module(name)
                except Exception:  # reported by the group that needs it
                    if self.debug:
                        raise

    def load_claims(self) -> list[Record]:
        """Build the claims (symbolic phase); an error record if that fails."""
        with self.clock.phase("symbolic"):
            try:
                self.claims = list(self.sources.claims())
            except Exception as exc:
                if self.debug:
                    raise
                rec = _error_record("symbolic.claims", "symbolic", exc)
                self.say(f"error: symbolic.claims: {rec.message}")
                return [rec]
        return []

    def symbolic(self) -> None:
        t0 = time.perf_counter()
        recs = self.load_claims() + symbolic_records(self.claims)
        self.records += recs
        self.progress("symbolic", recs, self.clock.since(t0))

    def numeric(self) -> None:
        for name, fn in self.sources.numeric:
            t0 = time.perf_counter()
            with self.clock.phase("numeric"):
                recs = self.guarded(f"numeric.{name}", "numeric", _bind(fn, self.claims))
            self.records += recs
            self.progress(f"num/{name}", recs, self.clock.since(t0))

    def run_experiments(self) -> None:
        t0 = time.perf_counter()
        with self.clock.phase("experiments"):
            try:
                self.experiments = self.sources.experiments()
                recs = list(self.experiments.records)
            except Exception as exc:
                if self.debug:
                    raise
                recs = [_error_record("experiment.error", "experiment", exc)]
                self.say(f"error: experiments: {recs[0].message}")
        self.records += recs
        self.progress("experiments", recs, self.clock.since(t0))

    def build_reports(self, reports_dir: Path) -> dict[str, bytes]:
        from verify.report import ReportInputs, build_reports
        from verify.report.reliability import load_reliability

        curves: list[FDCurve] = []
        if self.sources.fd_curves is not None:
            try:
                curves = self.sources.fd_curves()
            except Exception as exc:
                if self.debug:
                    raise
                self.say(f"warning: no finite-difference figure: {type(exc).__name__}: {exc}")
        return build_reports(
            ReportInputs(
                claims=self.claims,
                records=self.records,
                experiments=self.experiments,
                fd_curves=curves,
                reliability=load_reliability(reports_dir / "data"),
            )
        )

    def summary(self) -> None:
        if self.quiet:
            return
        s = summarise(self.records)
        self.say("")
        self.say(f"{'kind':<11} {'total':>6} {'ok':>6} {'not ok':>7}")
        for kind, row in s["by_kind"].items():
            total = row["ok"] + row["unexpected"] + row["error"]
            self.say(f"{kind:<11} {total:6d} {row['ok']:6d} {total - row['ok']:7d}")
        self.say(f"{'all':<11} {s['total']:6d} {s['ok']:6d} {s['not_ok']:7d}")
        bad = [r for r in self.records if r.status != "ok"]
        for r in bad[:25]:
            msg = (r.message.strip().splitlines() or [""])[0]
            msg = msg if len(msg) <= 160 else msg[:157] + "..."
            self.say(f"  NOT OK {r.id} ({r.ref}): {r.verdict}, expected {r.expected}. {msg}")
        if len(bad) > 25:
            self.say(f"  ... and {len(bad) - 25} more (see --json)")
        split = " | ".join(f"{p} {self.clock.seconds[p]:.1f} s" for p in PHASES)
        self.say(f"time: {split} | total {self.clock.total:.1f} s")


def write_json(path: Path, records: Sequence[Record], timings: dict[str, float] | None) -> None:
    """Write ``{"checks": [...], "summary": {...}}`` atomically (temp file + ``os.replace``)."""
    doc: dict[str, Any] = {
        "checks": [r.to_json() for r in records],
        "summary": summarise(list(records)),
    }
    if timings is not None:
        doc["timings"] = {k: round(v, 3) for k, v in timings.items()}
    save_json(path, doc)


def _parser() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        default=argparse.SUPPRESS,
        help="write machine-readable results to PATH",
    )
    common.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress or summary on stderr (errors are still printed)",
    )
    common.add_argument(
        "--reports-dir",
        metavar="DIR",
        type=Path,
        default=argparse.SUPPRESS,
        help="where the reports live (default: reports/ in the current directory)",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="let exceptions from check groups propagate with a traceback",
    )
    parser = _Parser(
        prog="python -m verify",
        description="derivcheck: check the mathematics of backpropagation in the paper.",
        parents=[common],
        epilog="Exit status: 0 all checks ok, 1 some check not ok (or stale/unwritable), 2 usage. "
        "'report' exits 0 once the reports are written, whatever the checks say "
        "('all' is the gate).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, text in COMMANDS.items():
        p = sub.add_parser(name, help=text, description=text, parents=[common])
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
    if words[:1] == ["mutants"]:  # its own options; see verify/mutation/cli.py
        from verify.mutation.cli import main as mutants_main

        return mutants_main(words[1:])
    parser = _parser()
    try:
        args = parser.parse_args(words)
    except UsageError as exc:
        return _usage(parser, str(exc), err)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if args.command is None:
        return _usage(parser, "a command is required: " + ", ".join(COMMANDS), err)

    json_path: Path | None = getattr(args, "json", None)
    reports_dir: Path = getattr(args, "reports_dir", Path("reports"))
    quiet, debug = getattr(args, "quiet", False), getattr(args, "debug", False)
    run = _Run(sources or default_sources(), err, quiet, debug)
    if json_path is not None and not _writable_dir(json_path.parent):
        print(f"error: cannot write --json {json_path}: directory not writable", file=err)
        return EXIT_NOT_OK

    if args.command == "list":
        return _list(run, out)

    run.preload()
    command = args.command
    if command in ("all", "symbolic", "report"):
        run.symbolic()
    elif command == "numeric":
        run.records += run.load_claims()  # the claims feed the numeric checks
    if command in ("all", "numeric", "report"):
        run.numeric()
    if command in ("all", "experiments", "report"):
        run.run_experiments()

    status = EXIT_OK
    if command in ("all", "report"):
        with run.clock.phase("reports"):
            status = _reports(run, reports_dir, check=getattr(args, "check", False))

    if json_path is not None:
        try:
            write_json(json_path, run.records, run.clock.seconds)
        except OSError as exc:
            print(f"error: cannot write --json {json_path}: {exc.strerror or exc}", file=err)
            return EXIT_NOT_OK
    run.summary()
    if status != EXIT_OK:
        return status
    if command == "report":
        return EXIT_OK
    return EXIT_OK if all(r.status == "ok" for r in run.records) else EXIT_NOT_OK


def _writable_dir(directory: Path) -> bool:
    d = directory if str(directory) else Path()
    return d.is_dir() and os.access(d, os.W_OK | os.X_OK)


def _reports(run: _Run, reports_dir: Path, *, check: bool) -> int:
    from verify.report import stale_files, write_reports

    try:
        files = run.build_reports(reports_dir)
    except Exception as exc:
        if run.debug:
            raise
        print(f"error: building the reports failed: {type(exc).__name__}: {exc}", file=run.err)
        return EXIT_NOT_OK
    if check:
        stale = stale_files(files, reports_dir)
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
        print(f"error: cannot write reports to {reports_dir}/: {exc.strerror or exc}", file=run.err)
        return EXIT_NOT_OK
    run.say(f"[reports    ] {len(files)} files in {reports_dir}/ ({written} changed)")
    return EXIT_OK


def _list(run: _Run, out: TextIO) -> int:
    run.preload()
    recs = run.load_claims()
    for c in run.claims:
        line = f"{c.id:<34} {c.ref:<14} {c.family:<12} expected {c.expected!s:<24} {c.title}"
        print(line, file=out)
    for name, _fn in run.sources.numeric:
        print(f"numeric.{name:<26} {'harness':<14} {'numeric':<12} check group", file=out)
    if run.sources.list_checks is not None:
        try:
            for line in run.sources.list_checks():
                print(line, file=out)
        except Exception as exc:
            print(f"error: listing checks: {type(exc).__name__}: {exc}", file=run.err)
            return EXIT_NOT_OK
    for r in recs:
        print(f"error: {r.id}: {r.message}", file=run.err)
    return EXIT_NOT_OK if recs else EXIT_OK
