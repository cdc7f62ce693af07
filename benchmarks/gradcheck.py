"""Benchmark 2: cost of the harness's gradient check against one forward+backward pass, by size.

The directional (fast) mode should cost a constant number of passes whatever the parameter
count P; the full finite-difference mode costs O(P) passes and is timed on small sizes only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.optional import PeerUnavailableError, import_optional
from benchmarks.tables import fmt_ms, fmt_ratio, markdown_table
from benchmarks.timing import frozen_heap, time_once

__all__ = [
    "FLAT_SLOPE",
    "FULL",
    "QUICK",
    "TARGET_RATIO",
    "GradcheckSettings",
    "gradcheck_table",
    "run_gradcheck",
    "sizes_for",
]

TARGET_RATIO = 10.0
"""A directional check must cost at most this many forward+backward passes."""
FLAT_SLOPE = 0.15
"""|d log(ratio) / d log(P)| below this counts as flat in the parameter count."""

Array = NDArray[np.float64]


@dataclass(frozen=True)
class GradcheckSettings:
    """Sizes of the gradient-check benchmark."""

    parameter_counts: tuple[int, ...]
    """Target parameter counts P (the network is sized to come close)."""
    full_max: int
    """The full finite-difference check runs (once: it takes seconds) only where P <= this."""
    batch: int
    n_out: int
    seed: int


FULL = GradcheckSettings(
    parameter_counts=(1_000, 3_000, 10_000, 20_000, 100_000, 300_000, 1_000_000),
    full_max=25_000, batch=32, n_out=10, seed=0,
)
QUICK = GradcheckSettings(
    parameter_counts=(300, 3_000), full_max=1_000, batch=8, n_out=10, seed=0
)


def sizes_for(P: int, n_out: int) -> tuple[int, int, int]:
    """Layer sizes (w, w, n_out) whose parameter count w^2 + w + n_out*w + n_out is nearest P."""
    if P < 1:
        raise ValueError(f"P must be a positive int, got {P!r}")
    w = max(1, round((-(1 + n_out) + math.sqrt((1 + n_out) ** 2 - 4 * (n_out - P))) / 2))
    return (w, w, n_out)


def _parameter_count(sizes: tuple[int, ...]) -> int:
    return sum(sizes[k] * sizes[k - 1] + sizes[k] for k in range(1, len(sizes)))


class _Problem:
    """One network, one batch, and the f / grad_f pair the harness checks (calls counted)."""

    def __init__(self, mlp: Any, sizes: tuple[int, ...], batch: int, seed: int) -> None:
        self.net = mlp.MLP(list(sizes), hidden="sigmoid", output="softmax",
                           cost="cross_entropy", init="fan_in", seed=seed, dtype="float64")
        rng = np.random.default_rng(seed)
        self.X = rng.standard_normal((batch, sizes[0]))
        self.Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)]
        self.x0: list[Array] = []
        for W, b in zip(self.net.weights, self.net.biases, strict=True):
            self.x0 += [np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)]
        self.f_calls = 0
        self.grad_calls = 0

    def _load(self, params: list[Array]) -> None:
        """Write ``params`` into the network's own arrays, in place.

        ``set_parameters`` would validate and allocate fresh copies on every call (about a pass of
        memory traffic at 10^6 parameters): an ``f`` written for speed copies in place, so the
        ratio measures the checker rather than the network's setter.
        """
        Ws, bs = params[0::2], params[1::2]
        for layer, (W, b) in enumerate(zip(Ws, bs, strict=True)):
            np.copyto(self.net.weights[layer], W)
            np.copyto(self.net.biases[layer], b)

    def f(self, params: list[Array]) -> float:
        """Batch-mean cross-entropy at ``params`` (eq. 9)."""
        self.f_calls += 1
        self._load(params)
        return float(self.net.cost(self.X, self.Y))

    def grad_f(self, params: list[Array]) -> list[Array]:
        """Backprop gradient at ``params``: one forward and one backward pass."""
        self.grad_calls += 1
        self._load(params)
        dW, db = self.net.gradients(self.X, self.Y)
        out: list[Array] = []
        for g_W, g_b in zip(dW, db, strict=True):
            out += [g_W, g_b]
        return out


def _check(verify: Any, problem: _Problem, mode: str, seed: int, out: list[Any]) -> None:
    """One ``verify.check_gradient`` call on ``problem``; its result appended to ``out``."""
    out.append(verify.check_gradient(problem.f, problem.grad_f, problem.x0, mode=mode, seed=seed))


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    return float(np.median([time_once(fn) for _ in range(repeats)]))


def _slope(P: list[int], y: list[float]) -> float | None:
    """Least-squares slope of log(y) against log(P) (None with fewer than 2 points)."""
    if len(P) < 2:
        return None
    return float(np.polyfit(np.log(P), np.log(y), 1)[0])


def _measure(
    mlp: Any, verify: Any, jax_check: Callable[..., Any] | None, settings: GradcheckSettings,
    target: int, repeats: int, log: Callable[[str], None],
) -> dict[str, Any]:
    """One size: a forward+backward pass, the directional check and (small P) the full check.

    ``jax_check``: ``verify.checks.network_directional.check_network_directional`` if it exists
    (v.Ju with JAX JVP/VJP, compile excluded by a warm-up call), else None.
    """
    sizes = sizes_for(target, settings.n_out)
    P = _parameter_count(sizes)
    problem = _Problem(mlp, sizes, settings.batch, settings.seed)
    x0 = problem.x0
    problem.grad_f(x0)  # warm-up: caches, first-call allocations
    t_pass = _median_time(partial(problem.grad_f, x0), 2 * repeats + 1)
    row: dict[str, Any] = {"target": target, "P": P, "sizes": list(sizes), "pass_s": t_pass}
    for mode in ("directional", "full"):
        if mode == "full" and settings.full_max < P:
            continue
        checks: list[Any] = []
        check = partial(_check, verify, problem, mode, settings.seed, checks)
        if mode == "directional":
            check()  # warm-up
            timed = repeats
        else:
            timed = 1  # seconds long: one run, no warm-up
        seconds = []
        for _ in range(timed):
            problem.f_calls = problem.grad_calls = 0
            seconds.append(time_once(check))
        calls = {"f": problem.f_calls, "grad_f": problem.grad_calls}
        t_check = float(np.median(seconds))
        row[mode] = {
            "check_s": t_check,
            "ratio": t_check / t_pass,
            "ok": bool(getattr(checks[-1], "ok", False)),
            "calls": calls,
        }
        log(f"gradcheck P={P:,} {mode}: {t_check * 1e3:.3g} ms = "
            f"{t_check / t_pass:.3g} passes (ok={row[mode]['ok']}, calls {calls})")
    if jax_check is not None:
        problem._load(x0)
        report = jax_check(problem.net, problem.X, problem.Y)  # warm-up: JAX compiles here
        t_jax = _median_time(partial(jax_check, problem.net, problem.X, problem.Y), repeats)
        row["jax_directional"] = {"check_s": t_jax, "ratio": t_jax / t_pass,
                                  "ok": bool(getattr(report, "ok", False))}
        log(f"gradcheck P={P:,} JAX v.Ju: {t_jax * 1e3:.3g} ms = {t_jax / t_pass:.3g} passes")
    return row


def run_gradcheck(
    settings: GradcheckSettings, repeats: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """Time ``verify.check_gradient`` (directional and full) against ``net.gradients``."""
    result: dict[str, Any] = {"settings": asdict(settings), "rows": [], "skipped": None}
    try:
        mlp = import_optional("mlp", "MLP")
        verify = import_optional("verify", "check_gradient")
    except PeerUnavailableError as exc:
        log(f"gradcheck skipped: {exc}")
        result["skipped"] = str(exc)
        return result
    try:
        jax_check = import_optional(
            "verify.checks.network_directional", "check_network_directional"
        )
        check_network: Callable[..., Any] | None = jax_check.check_network_directional
    except PeerUnavailableError as exc:
        log(f"gradcheck: no JAX v.Ju column: {exc}")
        check_network = None
    with frozen_heap():
        for target in settings.parameter_counts:
            result["rows"].append(
                _measure(mlp, verify, check_network, settings, target, repeats, log)
            )
    for mode in ("directional", "full"):
        rows = [r for r in result["rows"] if mode in r]
        result[f"{mode}_slope"] = _slope([r["P"] for r in rows], [r[mode]["ratio"] for r in rows])
    directional = [r["directional"]["ratio"] for r in result["rows"]]
    slope = result["directional_slope"]
    result["target_ratio_met"] = bool(directional) and max(directional) <= TARGET_RATIO
    result["target_flat_met"] = slope is not None and abs(slope) <= FLAT_SLOPE
    return result


def gradcheck_table(result: dict[str, Any]) -> str:
    """Markdown: one row per size, directional and full check side by side."""
    title = (
        "**Gradient-check scaling**: `verify.check_gradient` on an MLP w-w-10 (sigmoid, softmax + "
        f"cross-entropy, float64, batch {result['settings']['batch']}); "
        "ratio = check time / one forward+backward pass (`net.gradients`)."
    )
    if result["skipped"]:
        return f"{title}\n\nSkipped: {result['skipped']}"
    rows = []
    for r in result["rows"]:
        d = r["directional"]
        full = r.get("full")
        jax_d = r.get("jax_directional")
        rows.append([
            f"{r['P']:,}", "-".join(str(n) for n in r["sizes"]), fmt_ms(r["pass_s"]),
            fmt_ms(d["check_s"]), fmt_ratio(d["ratio"]),
            f"{d['calls']['f']} + {d['calls']['grad_f']}", "yes" if d["ok"] else "NO",
            "—" if full is None else fmt_ms(full["check_s"]),
            "—" if full is None else fmt_ratio(full["ratio"]),
            "—" if full is None else str(full["calls"]["f"]),
            "—" if jax_d is None else fmt_ratio(jax_d["ratio"]),
        ])
    header = ["P", "sizes", "pass ms", "directional ms", "directional / pass",
              "calls f + grad_f", "passed",
              "full ms", "full / pass", "full: f calls", "JAX v.Ju / pass"]

    def slope(name: str) -> str:
        value = result.get(f"{name}_slope")
        return "n/a" if value is None else f"{value:.2f}"

    notes = [
        f"- directional: max ratio {max(r['directional']['ratio'] for r in result['rows']):.2f} "
        f"(target <= {TARGET_RATIO:.0f}: {'met' if result['target_ratio_met'] else 'MISSED'}); "
        f"log-log slope of the ratio in P {slope('directional')} (flat: |slope| <= {FLAT_SLOPE}: "
        f"{'met' if result['target_flat_met'] else 'MISSED'})",
        f"- full: log-log slope of the ratio in P {slope('full')} (O(P) growth is slope ~1)",
        "- JAX v.Ju: `verify.checks.network_directional.check_network_directional` (JAX JVP/VJP "
        "in float64 beside the NumPy gradient, 3 directions; compile excluded)",
    ]
    return "\n".join([title, "", markdown_table(header, rows), "", *notes])
