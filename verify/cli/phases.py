"""The phases of a run (imports, symbolic, numeric, experiments, reports), where checks come from.

:func:`default_sources` names the real project with ordinary imports, made inside the functions
so that ``python -m verify list`` or a usage error never pays for SymPy, JAX or matplotlib.
"""

from __future__ import annotations

import functools
import importlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from verify.cli.worker import (
    BACKGROUND_ONLY,
    CLAIM_FREE,
    SHARED,
    Background,
    Done,
    start,
    worth_starting,
)
from verify.results import Record, error_message

if TYPE_CHECKING:
    from derivations.claims import Claim
    from verify.checks.experiments import ExperimentResults
    from verify.report.figures import FDCurve

__all__ = ["PHASES", "Clock", "Run", "Sources", "default_sources", "symbolic_records"]

PHASES: tuple[str, ...] = ("imports", "symbolic", "numeric", "experiments", "reports")
"""The time split printed in the final summary."""


def _claims() -> list[Claim]:
    from derivations import all_claims

    return list(all_claims())


def _numeric_claims(claims: list[Claim]) -> list[Record]:
    from verify.checks.claims import check_claims

    return list(check_claims(claims))


def _numeric_mlp(_claims: list[Claim]) -> list[Record]:
    from verify.checks.grid import check_mlp

    return list(check_mlp())


def _numeric_kinks(_claims: list[Claim]) -> list[Record]:
    from verify.checks.kinks import check_kinks

    return list(check_kinks())


def _numeric_training(_claims: list[Claim]) -> list[Record]:
    from verify.checks.training import check_training

    return list(check_training())


def _experiments() -> ExperimentResults:
    from verify.checks.experiments import run_experiments

    return run_experiments()


def _fd_curves() -> list[FDCurve]:
    from verify.report.figures import default_fd_curves

    return list(default_fd_curves())


def _experiment_lines() -> list[str]:
    from verify.checks.experiments import list_experiments

    return list(list_experiments())


def _experiment_titles() -> dict[str, str]:
    from verify.checks.experiments import EXPERIMENTS

    return {cid: claim for cid, (_ref, _expected, claim) in EXPERIMENTS.items()}


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
    """Extra lines for ``list`` when there is no check index (check groups that are not claims)."""
    titles: Callable[[], dict[str, str]] | None = None
    """Titles of checks that are not claims (the experiments), for the check index."""
    indexed: bool = False
    """``list`` reads the check index that ``report`` writes (the real project; fakes build)."""
    parallel: bool = False
    """``all`` and ``report`` run the claim-free checks in a second process (the real project)."""


def default_sources() -> Sources:
    """Return the real project: ``derivations`` claims, the ``verify`` harness, experiments."""
    return Sources(
        claims=_claims,
        numeric=(
            ("claims", _numeric_claims),
            ("mlp", _numeric_mlp),
            ("kinks", _numeric_kinks),
            ("training", _numeric_training),
        ),
        experiments=_experiments,
        fd_curves=_fd_curves,
        preload=(
            "numpy",
            "sympy",
            "jax",
            "derivations",
            "verify.checks.claims",
            "verify.checks.grid",
            "verify.checks.kinks",
            "verify.checks.training",
            "verify.checks.experiments",
            "verify.report",
            "sklearn.datasets",
            "sklearn.model_selection",
            "matplotlib.pyplot",
        ),
        list_checks=_experiment_lines,
        titles=_experiment_titles,
        indexed=True,
        parallel=True,
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


def error_record(check_id: str, kind: str, exc: BaseException) -> Record:
    """Return a record standing for a check group that could not run."""
    return Record(
        id=check_id,
        ref="harness",
        kind=kind,  # type: ignore[arg-type]
        verdict="error",
        expected="ok",
        status="error",
        method="harness",
        message=error_message(exc),
    )


class Clock:
    """Wall-clock time per phase (for the stderr summary only, never for reports)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self.start = time.perf_counter()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Add the time spent inside the ``with`` block to phase ``name``."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - t0

    @property
    def total(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.start


class Run:
    """One invocation: the records so far (with the numeric group of each), progress, timings."""

    def __init__(self, sources: Sources, err: TextIO, quiet: bool, debug: bool) -> None:
        self.sources = sources
        self.err = err
        self.quiet = quiet
        self.debug = debug
        self.clock = Clock()
        self.records: list[Record] = []
        self.groups: dict[str, str] = {}
        """Numeric record id -> the group that made it (``claims``, ``mlp``, ...)."""
        self.claims: list[Claim] = []
        self.experiments: ExperimentResults | None = None
        self.background: Background | None = None
        """The claim-free checks running in a second process (see :mod:`verify.cli.worker`)."""

    def start_background(self) -> None:
        """Start the claim-free checks beside the claims, when the sources and cores allow it.

        Not with ``--debug``: a traceback from the other process could not be shown as raised.
        """
        if self.sources.parallel and not self.debug and worth_starting():
            self.background = start()

    def say(self, line: str) -> None:
        """A progress line on stderr (not with ``--quiet``)."""
        if not self.quiet:
            print(line, file=self.err, flush=True)

    def progress(self, group: str, records: Sequence[Record], seconds: float) -> None:
        """``[num/mlp    ]   35 checks:   35 ok,   0 not ok  (3.1 s)``."""
        ok = sum(r.status == "ok" for r in records)
        self.say(
            f"[{group:<11}] {len(records):4d} checks: {ok:4d} ok, "
            f"{len(records) - ok:3d} not ok  ({seconds:5.1f} s)"
        )

    def guarded(self, check_id: str, kind: str, fn: Callable[[], list[Record]]) -> list[Record]:
        """``fn()``, or one error record when it raises (the traceback with ``--debug``)."""
        try:
            return fn()
        except Exception as exc:
            if self.debug:
                raise
            rec = error_record(check_id, kind, exc)
            self.say(f"error: {check_id}: {rec.message}")
            return [rec]

    def preload(self) -> None:
        """Import the heavy modules up front, timed as the ``imports`` phase."""
        os.environ.setdefault("MPLBACKEND", "Agg")  # figures are files, never windows
        with self.clock.phase("imports"):
            skip = BACKGROUND_ONLY if self.background is not None else frozenset()
            for name in self.sources.preload:
                if name in skip:
                    continue
                try:
                    importlib.import_module(name)
                except Exception:  # reported by the group that needs it
                    if self.debug:
                        raise

    def load_claims(self) -> list[Record]:
        """Build the claims (symbolic phase); an error record if that fails."""
        with self.clock.phase("symbolic"):
            recs = self.guarded("symbolic.claims", "symbolic", self._claims)
        return [r for r in recs if r.status == "error"]

    def _claims(self) -> list[Record]:
        self.claims = list(self.sources.claims())
        return []

    def symbolic(self) -> None:
        """Phase ``symbolic``: build the claims, one record per claim."""
        t0 = time.perf_counter()
        recs = self.load_claims() + symbolic_records(self.claims)
        self.records += recs
        self.progress("symbolic", recs, time.perf_counter() - t0)

    def numeric(self) -> None:
        """Phase ``numeric``: every numeric group in turn (the claims must be loaded).

        With a background process, the claim-free groups are its results, added where a serial
        run would put them (the time shown is the group's own, in the other process), and the
        claims are checked by both processes (:meth:`Background.share`).
        """
        done: dict[str, Done] = {}
        for name, fn in self.sources.numeric:
            t0 = time.perf_counter()
            with self.clock.phase("numeric"):
                if self.background is not None and name in CLAIM_FREE:
                    if not done:
                        done = {d.name: d for d in self.background.result().groups}
                    recs, seconds = done[name].records, done[name].seconds
                elif self.background is not None and name == SHARED:
                    share = functools.partial(self.background.share, self.claims)
                    recs = self.guarded(f"numeric.{name}", "numeric", share)
                    seconds = time.perf_counter() - t0
                else:
                    recs = self.guarded(f"numeric.{name}", "numeric", _bind(fn, self.claims))
                    seconds = time.perf_counter() - t0
            self.records += recs
            self.groups.update(dict.fromkeys((r.id for r in recs), name))
            self.progress(f"num/{name}", recs, seconds)

    def run_experiments(self) -> None:
        """Phase ``experiments``: the training experiments on the digits data."""
        t0 = time.perf_counter()
        error: Record | None = None
        with self.clock.phase("experiments"):
            if self.background is not None:
                outcome = self.background.result()
                self.experiments, error = outcome.experiments, outcome.experiments_error
                seconds = outcome.experiments_seconds
            else:
                try:
                    self.experiments = self.sources.experiments()
                except Exception as exc:
                    if self.debug:
                        raise
                    error = error_record("experiment.error", "experiment", exc)
                seconds = time.perf_counter() - t0
        if error is not None:
            recs = [error]
            self.say(f"error: experiments: {error.message}")
        else:
            recs = list(self.experiments.records) if self.experiments is not None else []
        self.records += recs
        self.progress("experiments", recs, seconds)

    def build_reports(self, reports_dir: Path) -> dict[str, bytes]:
        """The report files (relative path -> bytes) from this run's records."""
        from verify.report import ReportInputs, build_reports
        from verify.report.reliability import load_reliability

        curves: list[FDCurve] = []
        figures: dict[str, bytes] = {}
        if self.background is not None:
            outcome = self.background.result()
            curves, figures = outcome.curves or [], outcome.figures
            if outcome.curves_error:
                self.say(f"warning: no finite-difference figure: {outcome.curves_error}")
        elif self.sources.fd_curves is not None:
            try:
                curves = self.sources.fd_curves()
            except Exception as exc:
                if self.debug:
                    raise
                self.say(f"warning: no finite-difference figure: {error_message(exc)}")
        return build_reports(
            ReportInputs(
                claims=self.claims,
                records=self.records,
                experiments=self.experiments,
                fd_curves=curves,
                reliability=load_reliability(reports_dir / "data"),
                figures=figures,
            )
        )


def _bind(
    fn: Callable[[list[Claim]], list[Record]], claims: list[Claim]
) -> Callable[[], list[Record]]:
    """Return ``fn`` with its claims argument bound."""
    return lambda: fn(claims)
