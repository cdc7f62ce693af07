"""The grid of networks the gate runs: every (hidden, output, cost) pair, float64 and float32."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from verify.checks.network import compare_network
from verify.checks.network_directional import check_network_directional
from verify.checks.network_report import NetworkReport
from verify.checks.samples import sample_data
from verify.results import Record, expect_pass

__all__ = ["Config", "check_mlp", "default_grid"]


@dataclass(frozen=True)
class Config:
    """One architecture of the grid."""

    sizes: tuple[int, ...]
    hidden: tuple[str, ...]
    output: str
    cost: str
    dtype: str
    batch: int
    seed: int

    @property
    def id(self) -> str:
        """Record id, e.g. ``mlp.grad.sigmoid.softmax.cross_entropy.d3.float64``."""
        h = "-".join(dict.fromkeys(self.hidden)) or "none"
        return f"mlp.grad.{h}.{self.output}.{self.cost}.d{len(self.sizes) - 1}.{self.dtype}"


_FAMILIES: tuple[tuple[tuple[int, ...], int], ...] = (
    ((3, 5, 3), 1),
    ((5, 4, 6, 3), 4),
    ((4, 6, 3, 5, 3), 7),
    ((6, 3, 1), 16),
    ((3, 5, 4, 3), 4),
    ((5, 6, 3), 7),
    ((4, 3, 5, 6, 3), 16),
)
"""(layer sizes, batch) per (output, cost) pair: depths L = 2..4, widths 1..6, batches 1..16."""


def default_grid() -> list[Config]:
    """Return the grid: every hidden activation x every valid (output, cost) pair, and more.

    Each pair gets one shape family (depth 2-4, its own widths and batch size) shared by its four
    hidden activations, which alternate float64/float32; JAX compiles once per family. Extras:
    L = 1 networks, mixed hidden activations, a batch of 64.
    """
    import mlp

    pairs = sorted(mlp.VALID_PAIRS)
    configs: list[Config] = []
    for p, (out, cost) in enumerate(pairs):
        sizes, batch = _FAMILIES[p % len(_FAMILIES)]
        if out != "sigmoid" and sizes[-1] == 1:
            sizes = (*sizes[:-1], 3)  # one output unit only makes sense for a sigmoid
        for h, hidden in enumerate(("sigmoid", "tanh", "relu", "heaviside")):
            dtype = "float64" if (p + h) % 2 == 0 else "float32"
            configs.append(
                Config(sizes, (hidden,) * (len(sizes) - 2), out, cost, dtype, batch, 10 * p + h)
            )
    configs.append(Config((4, 3), (), "softmax", "cross_entropy", "float64", 5, 201))
    configs.append(Config((4, 1), (), "sigmoid", "binary_cross_entropy", "float32", 5, 202))
    configs.append(
        Config(
            (4, 6, 3, 5, 3),
            ("relu", "tanh", "sigmoid"),
            "softmax",
            "cross_entropy",
            "float64",
            16,
            203,
        )
    )
    configs.append(
        Config(
            (4, 6, 3, 5, 3),
            ("tanh", "heaviside", "sigmoid"),
            "softmax",
            "cross_entropy",
            "float32",
            16,
            204,
        )
    )
    configs.append(Config((6, 6, 3), ("sigmoid",), "softmax", "cross_entropy", "float64", 64, 205))
    return configs


def _record(cfg: Config, report: NetworkReport) -> Record:
    verdict = "pass" if report.ok else "fail"
    fd_note = ""
    if report.fd is not None:
        fd_note = (
            f"; FD along {len(report.fd.directions)} directions {'ok' if report.fd.ok else 'FAIL'}"
        )
    message = (
        f"{report.architecture} {cfg.dtype}: max |numpy - jax| {report.max_abs:.2g} "
        f"(rel {report.max_rel:.2g}){fd_note}"
    )
    if not report.ok:
        message += f". {report.diagnosis}"
    details = report.to_details()
    details["seed"] = cfg.seed
    return Record(
        id=cfg.id,
        ref="eqs. (32)-(37)",
        kind="numeric",
        verdict=verdict,
        expected="pass",
        status="ok" if report.ok else "unexpected",
        method="jax+fd",
        message=message,
        details=details,
    )


def check_mlp(configs: Sequence[Config] | None = None, *, fd_directions: int = 2) -> list[Record]:
    """``net.gradients`` vs JAX (every block) and FD (directions) for each configuration."""
    import mlp

    records: list[Record] = []
    seen: dict[str, int] = {}
    for cfg in default_grid() if configs is None else configs:
        net = mlp.MLP(
            list(cfg.sizes),
            hidden=list(cfg.hidden),
            output=cfg.output,
            cost=cfg.cost,
            init="large",
            seed=cfg.seed,
            dtype=cfg.dtype,
        )
        X, Y = sample_data(cfg.output, cfg.cost, cfg.sizes[0], cfg.sizes[-1], cfg.batch, cfg.seed)
        try:
            report = compare_network(net, X, Y, fd_directions=fd_directions, seed=cfg.seed)
            rec = _record(cfg, report)
        except Exception as exc:  # one broken configuration must not hide the others
            rec = Record(
                id=cfg.id,
                ref="eqs. (32)-(37)",
                kind="numeric",
                verdict="error",
                expected="pass",
                status="error",
                method="jax+fd",
                message=f"{type(exc).__name__}: {exc}",
                details={"seed": cfg.seed},
            )
        n = seen.get(rec.id, 0)
        seen[rec.id] = n + 1
        if n:
            rec = Record(**{**rec.__dict__, "id": f"{rec.id}.{n + 1}"})
        records.append(rec)
    records.extend(_directional_records())
    return records


def _directional_records() -> list[Record]:
    """Fast mode on a larger network (the paper's digits shape [64, 32, 10]) in both dtypes."""
    import mlp

    out: list[Record] = []
    for dtype in ("float64", "float32"):
        net = mlp.MLP(
            [64, 32, 10],
            hidden="sigmoid",
            output="softmax",
            cost="cross_entropy",
            init="large",
            seed=7,
            dtype=dtype,
        )
        X, Y = sample_data("softmax", "cross_entropy", 64, 10, 32, 7)
        rep = check_network_directional(net, X, Y, directions=3, seed=7)
        msg = (
            f"{rep.architecture} {dtype}: <grad C, u> NumPy vs JAX JVP and v.Ju JVP vs VJP "
            f"along {len(rep.directions)} Rademacher directions"
        )
        out.append(
            expect_pass(
                id=f"mlp.directional.sigmoid.softmax.cross_entropy.{dtype}",
                ref="eqs. (32)-(37)",
                ok=rep.ok,
                method="jvp+vjp",
                message=msg
                if rep.ok or rep.fallback is None
                else msg + ". " + rep.fallback.diagnosis,
                details={"directions": rep.directions, "architecture": rep.architecture},
            )
        )
    return out
