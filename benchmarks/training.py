"""Benchmark 1: one epoch of mini-batch SGD, ``mlp`` beside its peers, and the GEMM roofline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from benchmarks.data import make_dataset
from benchmarks.optional import PeerUnavailableError, import_optional
from benchmarks.peers import PEERS, EpochFn, TrainConfig, Trainer
from benchmarks.roofline import epoch_gemm_flops, gemm_epoch
from benchmarks.tables import fmt_ms, fmt_ratio, markdown_table
from benchmarks.timing import time_round_robin

__all__ = [
    "FULL",
    "OURS",
    "QUICK",
    "ROOFLINE",
    "TARGET_RATIO",
    "TARGET_ROOFLINE",
    "TrainingSettings",
    "run_training",
    "training_table",
]

OURS = "mlp (ours)"
ROOFLINE = "GEMM roofline"
TARGET_RATIO = 1.0
"""Ours / fastest peer must be at most this."""
TARGET_ROOFLINE = 0.60
"""Ours must reach at least this fraction of the GEMM roofline."""


@dataclass(frozen=True)
class TrainingSettings:
    """Problem size of the training benchmark."""

    n: int
    """Training samples N per epoch."""
    sizes: tuple[int, ...]
    batch_size: int
    learning_rate: float
    seed: int
    dtypes: tuple[str, ...]
    cooldown: float = 0.3
    """Untimed sleep before each timed epoch (spinning BLAS/OpenMP threads go idle)."""


FULL = TrainingSettings(
    n=12_800, sizes=(784, 128, 10), batch_size=128, learning_rate=0.1, seed=0,
    dtypes=("float64", "float32"),
)
"""Issue 6: 784-128-10, batch 128, 12,800 samples, both dtypes."""
QUICK = TrainingSettings(
    n=256, sizes=(64, 32, 10), batch_size=64, learning_rate=0.1, seed=0,
    dtypes=("float64", "float32"), cooldown=0.0,
)
"""Tiny sizes for the smoke test (seconds)."""


def run_training(
    settings: TrainingSettings, repeats: int, threads: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """Time every available implementation side by side, per dtype; JSON-serialisable result."""
    cfg = TrainConfig(
        sizes=settings.sizes,
        batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        seed=settings.seed,
        threads=threads,
    )
    flops = epoch_gemm_flops(settings.sizes, settings.n)
    result: dict[str, Any] = {"settings": asdict(settings), "gemm_flops_per_epoch": flops,
                              "dtypes": {}}
    for dtype in settings.dtypes:
        data = make_dataset(settings.n, settings.sizes[0], settings.sizes[-1], settings.seed, dtype)
        trainers: dict[str, Trainer] = {}
        skipped: dict[str, str] = {}
        for name, build in PEERS.items():
            try:
                trainer = build(data, cfg)
                trainer.epoch()  # warm-up (JIT compilation, buffers); a failure skips the peer
            except PeerUnavailableError as exc:
                skipped[name] = str(exc)
            except Exception as exc:
                skipped[name] = f"failed: {type(exc).__name__}: {exc}"
            else:
                trainers[name] = trainer
                continue
            log(f"training {dtype}: {name} skipped: {skipped[name]}")
        fns: dict[str, EpochFn] = {name: t.epoch for name, t in trainers.items()}
        fns[ROOFLINE] = gemm_epoch(
            settings.sizes, settings.n, settings.batch_size, dtype, settings.seed,
            _weight_order(dtype),
        )  # fmt: skip
        fns[ROOFLINE]()  # warm-up
        log(f"training {dtype}: timing {', '.join(fns)} ({repeats} repeats, round-robin)")
        timings = time_round_robin(fns, repeats, warmup=0, cooldown=settings.cooldown)
        result["dtypes"][dtype] = _summarise(
            {name: t.to_json() for name, t in timings.items()}, skipped, flops
        )
        kept = {name: t.weight_dtype() for name, t in trainers.items()}
        result["dtypes"][dtype]["weight_dtypes"] = kept
        for name, actual in kept.items():
            if actual != dtype:
                log(f"training {dtype}: WARNING {name} trained in {actual}, not {dtype}")
    return result


def _weight_order(dtype: str) -> str:
    """The layout ``mlp`` trains ``W^l`` in (``mlp.layout.WEIGHT_ORDER``), "C" without mlp."""
    try:
        layout = import_optional("mlp.layout", "WEIGHT_ORDER")
    except PeerUnavailableError:
        return "C"
    return str(layout.WEIGHT_ORDER[np.dtype(dtype)])


def _summarise(
    timings: dict[str, dict[str, Any]], skipped: dict[str, str], flops: int
) -> dict[str, Any]:
    """Medians to GFLOP/s, ratios ours/peer, the fastest peer and the two targets."""
    median = {name: float(t["median_s"]) for name, t in timings.items()}
    peers = {name: m for name, m in median.items() if name not in (OURS, ROOFLINE)}
    ours = median.get(OURS)
    fastest = min(peers, key=lambda name: peers[name]) if peers else None
    ratios = {name: ours / m for name, m in peers.items()} if ours is not None else {}
    ratio_fastest = ratios.get(fastest) if fastest is not None else None
    roofline_fraction = median[ROOFLINE] / ours if ours is not None else None
    return {
        "timings": timings,
        "skipped": skipped,
        "gflops": {name: flops / m / 1e9 for name, m in median.items()},
        "ratios_ours_over_peer": ratios,
        "fastest_peer": fastest,
        "ratio_vs_fastest": ratio_fastest,
        "roofline_fraction": roofline_fraction,
        "target_ratio_met": None if ratio_fastest is None else ratio_fastest <= TARGET_RATIO,
        "target_roofline_met": None
        if roofline_fraction is None
        else roofline_fraction >= TARGET_ROOFLINE,
    }


def _verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "MISSED")


def training_table(result: dict[str, Any]) -> str:
    """Markdown: one row per dtype and implementation, then the targets per dtype."""
    s = result["settings"]
    rows: list[list[str]] = []
    notes: list[str] = []
    for dtype, r in result["dtypes"].items():
        for name in [*PEERS, ROOFLINE]:
            if name in r["skipped"]:
                why = r["skipped"][name]
                rows.append([dtype, name, "n/a", "n/a", "n/a", "n/a", f"skipped: {why}"])
                continue
            t = r["timings"][name]
            ratio = r["ratios_ours_over_peer"].get(name)
            if name == ROOFLINE and r["roofline_fraction"] is not None:
                note = f"ours at {100 * r['roofline_fraction']:.1f}% of it"
            else:
                note = "fastest peer" if name == r["fastest_peer"] else ""
                actual = r.get("weight_dtypes", {}).get(name, dtype)
                if actual != dtype:
                    note = f"{note}; ran in {actual}!" if note else f"ran in {actual}!"
            rows.append([
                dtype, name, fmt_ms(t["median_s"]), fmt_ms(t["min_s"]),
                f"{r['gflops'][name]:.1f}", fmt_ratio(ratio), note,
            ])
        fraction = r["roofline_fraction"]
        notes.append(
            f"- {dtype}: ours / fastest peer ({r['fastest_peer']}) = "
            f"{fmt_ratio(r['ratio_vs_fastest'])} (target <= {TARGET_RATIO:.1f}: "
            f"{_verdict(r['target_ratio_met'])}); ours at "
            f"{'n/a' if fraction is None else f'{100 * fraction:.1f}%'} of the GEMM roofline "
            f"(target >= {100 * TARGET_ROOFLINE:.0f}%: {_verdict(r['target_roofline_met'])})"
        )
    sizes = "-".join(str(n) for n in s["sizes"])
    title = (
        f"**Training throughput**: one epoch of SGD, {sizes} (sigmoid, softmax + cross-entropy), "
        f"batch {s['batch_size']}, N = {s['n']:,}; median of the repeats; "
        f"GFLOP/s counts the {result['gemm_flops_per_epoch'] / 1e9:.3g} GFLOP of GEMMs per epoch."
    )
    header = ["dtype", "implementation", "median ms", "min ms", "GFLOP/s", "ours / this", "note"]
    return "\n".join([title, "", markdown_table(header, rows), "", *notes])
