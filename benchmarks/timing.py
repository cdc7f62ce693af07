"""Wall-clock timing: peers timed round-robin in one process, summarised by their median."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["Timing", "frozen_heap", "time_once", "time_round_robin"]


@dataclass(frozen=True)
class Timing:
    """Seconds per repeat of one timed callable."""

    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        """Median over repeats (the number every ratio uses)."""
        return statistics.median(self.seconds)

    @property
    def min(self) -> float:
        """Fastest repeat."""
        return min(self.seconds)

    @property
    def max(self) -> float:
        """Slowest repeat."""
        return max(self.seconds)

    def to_json(self) -> dict[str, float | list[float]]:
        """Raw numbers for the results file."""
        return {
            "median_s": self.median,
            "min_s": self.min,
            "max_s": self.max,
            "repeats_s": list(self.seconds),
        }


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Move every object alive now out of the collector's reach (``gc.freeze``) for a while.

    With PyTorch, JAX and SymPy loaded, a full ``gc.collect()`` walks millions of objects; frozen,
    the collection before each timed call only sees what the benchmark itself allocated.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def time_once(fn: Callable[[], object]) -> float:
    """Seconds taken by one call of ``fn`` (garbage collected before, collector off during)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    finally:
        if enabled:
            gc.enable()


def time_round_robin(
    fns: Mapping[str, Callable[[], object]], repeats: int, warmup: int = 1, cooldown: float = 0.0
) -> dict[str, Timing]:
    """Time every callable ``repeats`` times, interleaved so machine noise hits all alike.

    Each callable first runs ``warmup`` times untimed (JIT compilation, buffer allocation, caches).
    ``cooldown`` seconds of sleep (untimed) before each timed call let the previous library's
    worker threads stop spinning (OpenBLAS and OpenMP busy-wait after a parallel region and
    would steal a core from the next implementation on a small machine).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be a positive int, got {repeats!r}")
    if warmup < 0:
        raise ValueError(f"warmup must be a non-negative int, got {warmup!r}")
    if cooldown < 0:
        raise ValueError(f"cooldown must be >= 0 seconds, got {cooldown!r}")
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    with frozen_heap():
        for _ in range(repeats):
            for name, fn in fns.items():
                if cooldown:
                    time.sleep(cooldown)
                samples[name].append(time_once(fn))
    return {name: Timing(tuple(s)) for name, s in samples.items()}
