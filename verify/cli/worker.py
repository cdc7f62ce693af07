"""The gate's second core: the checks that need no claims, run in a spawned process beside them.

The numeric claim checks need the claims that the symbolic phase builds; the network grid, the
kinks, the training semantics, the digits experiments and the figure's finite-difference curves
do not. ``all`` and ``report`` start those in one spawned process (:func:`start`) while the main
process builds the claims and checks them numerically, then collect them (:meth:`Background.result`)
and add them in the order a serial run gives, so records and reports are the same either way.
A spawned process (not a fork) starts clean: JAX and OpenBLAS threads are never forked.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from verify.results import Record, error_message

if TYPE_CHECKING:
    from verify.checks.experiments import ExperimentResults
    from verify.report.figures import FDCurve

__all__ = [
    "BACKGROUND_ONLY",
    "CLAIM_FREE",
    "Background",
    "Done",
    "Outcome",
    "start",
    "worth_starting",
]

CLAIM_FREE: tuple[str, ...] = ("mlp", "kinks", "training")
"""The numeric groups of :func:`verify.cli.phases.default_sources` that do not read the claims."""
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


def _work() -> Outcome:
    """Run the claim-free groups, the experiments and the FD curves (in the spawned process)."""
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
    return out


class Background:
    """The running background process; :meth:`result` waits for it (once) and shuts it down."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
        self._future: Future[Outcome] = self._pool.submit(_work)
        self._outcome: Outcome | None = None

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
        return self._outcome


def worth_starting() -> bool:
    """Two or more cores, and not switched off with ``DERIVCHECK_SERIAL=1``."""
    return (os.cpu_count() or 1) >= 2 and os.environ.get("DERIVCHECK_SERIAL", "") != "1"


def start() -> Background:
    """Start the claim-free checks in a spawned process."""
    return Background()
