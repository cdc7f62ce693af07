"""The gate's second core: the checks that need no claims, run in a spawned process beside them.

The numeric claim checks need the claims that the symbolic phase builds; the network grid, the
kinks, the training semantics, the digits experiments and the figure's finite-difference curves
do not. ``all`` and ``report`` start those in one spawned process (:func:`start`) while the main
process builds the claims, then collect them (:meth:`Background.result`) and add them in the order
a serial run gives, so records and reports are the same either way. Once the claims are built,
both processes check them numerically, from opposite ends of the list (:meth:`Background.share`).
A spawned process (not a fork) starts clean: JAX and OpenBLAS threads are never forked. While
both run, each runs BLAS on one thread (:func:`one_blas_thread`); the JAX reference always runs
on one XLA thread (:func:`verify.checks.jax_reference.enable_x64`).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from verify.results import Record, error_message

if TYPE_CHECKING:
    from derivations.claims import Claim
    from verify.checks.experiments import ExperimentResults
    from verify.report.figures import FDCurve

__all__ = [
    "BACKGROUND_ONLY",
    "CLAIM_FREE",
    "SHARED",
    "Background",
    "Done",
    "Outcome",
    "one_blas_thread",
    "share",
    "start",
    "worth_starting",
]

CLAIM_FREE: tuple[str, ...] = ("mlp", "kinks", "training")
"""The numeric groups of :func:`verify.cli.phases.default_sources` that do not read the claims."""
ClaimT = TypeVar("ClaimT")
"""A claim (tests pass stand-ins): anything with a ``numeric`` attribute."""

SHARED = "claims"
"""The numeric group that both processes work on once the claims are built, claim by claim."""
BACKGROUND_ONLY: frozenset[str] = frozenset({"sklearn.datasets", "sklearn.model_selection"})
"""Preloaded modules that only the background process uses (the digits data of the experiments):
the main process does not import them while it has a background process."""


@dataclass(frozen=True)
class Done:
    """One numeric group run in the background: its records and its own wall time."""

    name: str
    records: list[Record]
    seconds: float


@dataclass
class Outcome:
    """Everything the background process made; an error text where a part raised."""

    groups: list[Done] = field(default_factory=list)
    experiments: ExperimentResults | None = None
    experiments_error: Record | None = None
    experiments_seconds: float = 0.0
    curves: list[FDCurve] | None = None
    curves_error: str = ""
    figures: dict[str, bytes] = field(default_factory=dict)
    """The figures of the experiments and the curves, drawn here (empty if drawing failed: the
    main process then draws them)."""


class Limit(Protocol):
    """A thread limit in force (threadpoolctl's), until it is restored."""

    def restore_original_limits(self) -> None:
        """Put the thread counts back."""


def one_blas_thread() -> Limit:
    """BLAS on one thread in this process; returns the limit, to restore it.

    Two processes share two cores, and OpenBLAS's idle worker threads spin for a while after each
    call, on the core the other process is using. The records are the same with any BLAS thread
    count (a test compares a parallel run with a serial one).
    """
    from threadpoolctl import threadpool_limits

    limit: Limit = threadpool_limits(limits=1, user_api="blas")
    return limit


def _work() -> Outcome:
    """Run the claim-free groups, the experiments and the FD curves (in the spawned process)."""
    one_blas_thread()  # for the life of this process (XLA: jax_reference.enable_x64)
    from verify.cli.phases import default_sources, error_record

    sources = default_sources()
    out = Outcome()
    for name, fn in sources.numeric:
        if name not in CLAIM_FREE:
            continue
        t0 = time.perf_counter()
        try:
            recs = list(fn([]))
        except Exception as exc:
            recs = [error_record(f"numeric.{name}", "numeric", exc)]
        out.groups.append(Done(name, recs, time.perf_counter() - t0))
    t0 = time.perf_counter()
    try:
        out.experiments = sources.experiments()
    except Exception as exc:
        out.experiments_error = error_record("experiment.error", "experiment", exc)
    out.experiments_seconds = time.perf_counter() - t0
    if sources.fd_curves is not None:
        try:
            out.curves = list(sources.fd_curves())
        except Exception as exc:
            out.curves_error = error_message(exc)
    try:
        from verify.report import draw_figures

        out.figures = draw_figures(out.experiments, out.curves or [])
    except Exception:  # the main process draws them again, and reports what goes wrong
        out.figures = {}
    return out


def _check_claim(claim: Claim) -> list[Record]:
    """The numeric records of one claim (in either process)."""
    from verify.checks.claims import check_claims

    return check_claims([claim])


def share(
    pool: Executor,
    claims: Sequence[ClaimT],
    check: Callable[[ClaimT], list[Record]],
) -> list[Record]:
    """``check`` every claim with a numeric spec: here from the front, in ``pool`` from the back.

    Every such claim is queued in ``pool``, last claim first, behind whatever the pool is already
    running (the claim-free checks). This process then goes through the claims in order and
    checks each one whose job has not started yet (cancelling that job); the others are the
    pool's. Each claim's records depend on that claim alone (seeded by its id), so the list is
    the one a serial run gives. A pool that is broken, or whose process died, leaves its claims
    to this process.
    """
    todo = [c for c in claims if getattr(c, "numeric", None) is not None]
    queued: list[Future[list[Record]] | None] = []
    for claim in reversed(todo):
        try:
            queued.append(pool.submit(check, claim))
        except RuntimeError:  # the pool is broken or shut down: this process checks the rest
            queued.append(None)
    jobs = queued[::-1]
    parts: list[list[Record] | None] = [None] * len(todo)
    for n, (claim, job) in enumerate(zip(todo, jobs, strict=True)):
        if job is None or job.cancel():
            parts[n] = check(claim)
    for n, job in enumerate(jobs):
        if parts[n] is None and job is not None:
            try:
                parts[n] = job.result()
            except Exception:  # the process died: nothing of this claim came back
                parts[n] = check(todo[n])
    return [r for part in parts if part is not None for r in part]


class Background:
    """The running background process; :meth:`result` waits for it (once) and shuts it down."""

    def __init__(self) -> None:
        self._limit = one_blas_thread()  # here until the background is done
        ctx = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
        self._future: Future[Outcome] = self._pool.submit(_work)
        self._outcome: Outcome | None = None

    def share(self, claims: Sequence[Claim]) -> list[Record]:
        """The numeric records of ``claims``, checked by both processes (:func:`share`)."""
        return share(self._pool, claims, _check_claim)

    def result(self) -> Outcome:
        """The background outcome; a process that died gives one error per part it owed."""
        if self._outcome is None:
            try:
                self._outcome = self._future.result()
            except Exception as exc:
                from verify.cli.phases import error_record

                self._outcome = Outcome(
                    groups=[
                        Done(n, [error_record(f"numeric.{n}", "numeric", exc)], 0.0)
                        for n in CLAIM_FREE
                    ],
                    experiments_error=error_record("experiment.error", "experiment", exc),
                    curves_error=error_message(exc),
                )
            finally:
                self._pool.shutdown(wait=True)
                self._limit.restore_original_limits()
        return self._outcome


def worth_starting() -> bool:
    """Two or more cores this process may use, and not switched off with ``DERIVCHECK_SERIAL=1``."""
    return _usable_cores() >= 2 and os.environ.get("DERIVCHECK_SERIAL", "") != "1"


def _usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def start() -> Background:
    """Start the claim-free checks in a spawned process."""
    return Background()
