"""SGD semantics of ``MLP.fit`` (sec. 5, Algorithm 1, eq. 23) against an independent JAX loop.

Gradient checks cannot see training bugs (an update outside the batch loop, a forgotten bias
update, shuffled inputs with unshuffled labels, a schedule one epoch off). These checks can:

- ``sgd_reference``: mini-batch SGD written from sec. 5 with JAX float64 gradients, one step
  ``θ <- θ - η ∇C_batch`` per mini-batch (the last, partial batch included); ``MLP.fit`` with
  ``shuffle=False`` must land on the same parameters;
- the learning rates recorded in ``History`` against eq. (23) computed here;
- label alignment: full-batch gradient descent does not depend on the sample order, so a shuffled
  full-batch fit must equal an unshuffled one (a permutation-invariance check, RNG-free);
- the shuffled epoch against the reference driven by ``default_rng(seed).permutation`` (what
  ``fit`` documents).

``check_training()`` returns ``Record``s (kind ``numeric``) for ``verify all``; it uses whatever
``mlp`` is importable, so the mutation runner can point it at a mutant copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from verify.checks.jax_reference import network
from verify.results import Record, expect_pass

__all__ = [
    "PARAM_RTOL",
    "TrainingCase",
    "check_training",
    "eq23_learning_rate",
    "param_error",
    "sgd_reference",
    "training_cases",
]

F64 = NDArray[np.float64]

PARAM_RTOL = 1e-9
"""Allowed ``max |θ_mlp - θ_ref| / max(1, max |θ_ref|)`` after a few float64 SGD steps: NumPy and
JAX round differently (~1e-16 per step), a real SGD bug moves parameters by ~η|∇C| >> 1e-9."""


def eq23_learning_rate(eta0: float, epoch: int, n_epochs: int, schedule: str) -> float:
    """Eq. (23): ``η(i) = η_0 (1 - i / (1 + N_epochs))`` for ``i = 1..N``; ``η_0`` if constant."""
    if schedule == "constant":
        return eta0
    if schedule == "linear":
        return eta0 * (1.0 - epoch / (1.0 + n_epochs))
    raise ValueError(f"schedule: expected 'constant' or 'linear', got {schedule!r}")


def sgd_reference(
    hidden: Sequence[str],
    output: str,
    cost: str,
    weights: Sequence[Any],
    biases: Sequence[Any],
    X: Any,
    Y: Any,
    *,
    epochs: int,
    batch_size: int,
    eta0: float,
    schedule: str = "constant",
    permutations: Callable[[int], NDArray[np.intp]] | None = None,
) -> tuple[list[F64], list[F64]]:
    """Mini-batch SGD from sec. 5 with JAX float64 gradients of each batch's mean cost.

    Epoch ``i`` (1-based) visits rows in the order ``permutations(i)`` (default: 0..N-1) in
    batches of ``batch_size`` (the last may be smaller) and applies one update per batch with
    ``η(i)`` of eq. (23). Returns the final ``(W^1..W^L, b^1..b^L)`` in float64.
    """
    net = network(tuple(hidden), output, cost, "paper")
    Ws = [np.array(w, dtype=np.float64) for w in weights]
    bs = [np.array(b, dtype=np.float64) for b in biases]
    x = np.asarray(X, dtype=np.float64)
    y = np.asarray(Y, dtype=np.float64)
    n = x.shape[0]
    for epoch in range(1, epochs + 1):
        eta = eq23_learning_rate(eta0, epoch, epochs, schedule)
        order = np.arange(n) if permutations is None else permutations(epoch)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            _, _, dWs, dbs, *_ = net.evaluate(Ws, bs, x[idx], y[idx])
            Ws = [w - eta * np.asarray(g) for w, g in zip(Ws, dWs, strict=True)]
            bs = [b - eta * np.asarray(g) for b, g in zip(bs, dbs, strict=True)]
    return Ws, bs


def param_error(
    weights: Sequence[Any], biases: Sequence[Any], ref_W: Sequence[Any], ref_b: Sequence[Any]
) -> tuple[float, str]:
    """Largest scaled parameter difference and the block where it occurs (``W^2``, ``b^1``)."""
    worst, where = 0.0, ""
    for name, got, ref in (("W", weights, ref_W), ("b", biases, ref_b)):
        for layer, (g, r) in enumerate(zip(got, ref, strict=True), start=1):
            g64 = np.asarray(g, dtype=np.float64)
            r = np.asarray(r, dtype=np.float64)
            if g64.shape != r.shape:
                return float("inf"), f"{name}^{layer} (shape {g64.shape} vs {r.shape})"
            scale = max(1.0, float(np.max(np.abs(r), initial=0.0)))
            err = float(np.max(np.abs(g64 - r), initial=0.0)) / scale
            if not np.isfinite(err):
                return float("inf"), f"{name}^{layer} (non-finite)"
            if err > worst:
                worst, where = err, f"{name}^{layer}"
    return worst, where


@dataclass(frozen=True)
class TrainingCase:
    """One small training problem: architecture, data, SGD settings."""

    name: str
    sizes: tuple[int, ...]
    hidden: tuple[str, ...]
    output: str
    cost: str
    n: int
    batch_size: int
    epochs: int
    eta0: float
    schedule: str
    seed: int

    def data(self) -> tuple[F64, F64]:
        """Draw inputs and one-hot / 0-1 / real targets from ``default_rng(seed)``."""
        rng = np.random.default_rng(self.seed)
        X = rng.normal(size=(self.n, self.sizes[0]))
        k = self.sizes[-1]
        if self.output == "softmax":
            Y = np.eye(k)[rng.integers(0, k, size=self.n)]
        elif self.output == "sigmoid":
            Y = (rng.random((self.n, k)) < 0.5).astype(np.float64)
        else:
            Y = rng.normal(size=(self.n, k))
        return X, Y

    def network(self) -> Any:
        """Build a fresh float64 ``mlp.MLP`` (``init="large"``: no re-draw at fit)."""
        import mlp

        return mlp.MLP(
            list(self.sizes),
            hidden=list(self.hidden),
            output=self.output,
            cost=self.cost,
            init="large",
            seed=self.seed,
            dtype="float64",
        )


def training_cases() -> list[TrainingCase]:
    """Small problems: a partial last batch, a batch wider than n_0, both schedules."""
    return [
        TrainingCase(
            "sigmoid.softmax.cross_entropy",
            (3, 4, 3),
            ("sigmoid",),
            "softmax",
            "cross_entropy",
            7,
            3,
            2,
            0.5,
            "constant",
            11,
        ),
        TrainingCase(
            "tanh.sigmoid.mse.linear",
            (2, 3, 2),
            ("tanh",),
            "sigmoid",
            "mse",
            5,
            3,
            3,
            0.8,
            "linear",
            12,
        ),
    ]


def _record(rid: str, ref: str, ok: bool, message: str, details: dict[str, Any]) -> Record:
    return expect_pass(
        id=rid,
        ref=ref,
        ok=ok,
        method="sgd-reference",
        message=message,
        details=details,
    )


def _error_record(rid: str, ref: str, exc: Exception) -> Record:
    return Record(
        id=rid,
        ref=ref,
        kind="numeric",
        verdict="error",
        expected="pass",
        status="error",
        method="sgd-reference",
        message=f"{type(exc).__name__}: {exc}",
        details={},
    )


def _fit_against_reference(case: TrainingCase, seed: int | None) -> tuple[float, str]:
    """``net.fit`` and ``sgd_reference`` from the same start; ``param_error`` between them.

    ``seed=None``: ``fit(shuffle=False)`` against the reference in data order. Otherwise
    ``fit(shuffle=True, seed=seed)`` against the reference fed ``default_rng(seed)``'s
    per-epoch permutations.
    """
    X, Y = case.data()
    net = case.network()
    W0 = [w.copy() for w in net.weights]
    b0 = [b.copy() for b in net.biases]
    shuffle = {"shuffle": False} if seed is None else {"shuffle": True, "seed": seed}
    net.fit(
        X,
        Y,
        epochs=case.epochs,
        batch_size=case.batch_size,
        learning_rate=case.eta0,
        schedule=case.schedule,
        **shuffle,
    )
    permutations = None
    if seed is not None:
        rng = np.random.default_rng(seed)
        perms = [rng.permutation(case.n) for _ in range(case.epochs)]
        permutations = lambda i: perms[i - 1]  # noqa: E731
    ref_W, ref_b = sgd_reference(
        case.hidden,
        case.output,
        case.cost,
        W0,
        b0,
        X,
        Y,
        epochs=case.epochs,
        batch_size=case.batch_size,
        eta0=case.eta0,
        schedule=case.schedule,
        permutations=permutations,
    )
    return param_error(net.weights, net.biases, ref_W, ref_b)


def _check_epochs(case: TrainingCase) -> Record:
    """``fit(shuffle=False)`` against ``sgd_reference`` (same start, same order)."""
    err, where = _fit_against_reference(case, seed=None)
    ok = err <= PARAM_RTOL
    msg = (
        f"{case.epochs} epochs of fit(shuffle=False), N={case.n}, batch {case.batch_size}, "
        f"{case.schedule} η: max scaled |θ - θ_ref| {err:.2g} (budget {PARAM_RTOL:.0e})"
    )
    if not ok:
        msg += f"; worst block {where}"
    return _record(
        f"training.sgd.{case.name}",
        "sec. 5, Algorithm 1",
        ok,
        msg,
        {"max_scaled_param_error": err, "worst_block": where, "case": case.name},
    )


def _check_schedule(case: TrainingCase) -> Record:
    """``History.learning_rate`` against eq. (23) evaluated here."""
    X, Y = case.data()
    net = case.network()
    hist = net.fit(
        X,
        Y,
        epochs=case.epochs,
        batch_size=case.batch_size,
        learning_rate=case.eta0,
        schedule=case.schedule,
        shuffle=False,
    )
    expected = [
        eq23_learning_rate(case.eta0, i, case.epochs, case.schedule)
        for i in range(1, case.epochs + 1)
    ]
    got = [float(e) for e in hist.learning_rate]
    ok = len(got) == len(expected) and bool(np.allclose(got, expected, rtol=1e-12, atol=0.0))
    msg = f"History.learning_rate {got} vs eq. (23) {expected}"
    return _record(
        f"training.schedule.{case.name}", "eq. 23", ok, msg, {"recorded": got, "expected": expected}
    )


def _check_alignment(case: TrainingCase) -> Record:
    """Full-batch GD is order-invariant: a shuffled fit must equal an unshuffled one."""
    X, Y = case.data()
    nets = [case.network(), case.network()]
    for net, shuffle in zip(nets, (False, True), strict=True):
        net.fit(
            X,
            Y,
            epochs=2,
            batch_size=case.n,
            learning_rate=case.eta0,
            shuffle=shuffle,
            seed=case.seed + 1,
        )
    ref_W = [np.asarray(w, dtype=np.float64) for w in nets[0].weights]
    ref_b = [np.asarray(b, dtype=np.float64) for b in nets[0].biases]
    err, where = param_error(nets[1].weights, nets[1].biases, ref_W, ref_b)
    ok = err <= PARAM_RTOL
    msg = (
        f"full-batch fit, shuffled vs unshuffled (labels must follow their inputs): "
        f"max scaled difference {err:.2g}"
    )
    if not ok:
        msg += f"; worst block {where}"
    return _record(
        f"training.alignment.{case.name}",
        "sec. 5 (shuffle data)",
        ok,
        msg,
        {"max_scaled_param_error": err, "worst_block": where},
    )


def _check_shuffled(case: TrainingCase) -> Record:
    """Compare a shuffled fit with the reference fed ``default_rng(seed).permutation``."""
    seed = case.seed + 2
    err, where = _fit_against_reference(case, seed=seed)
    ok = err <= PARAM_RTOL
    msg = (
        f"fit(shuffle=True, seed={seed}) vs the reference on default_rng({seed}) "
        f"permutations: max scaled |θ - θ_ref| {err:.2g}"
    )
    if not ok:
        msg += f"; worst block {where}"
    return _record(
        f"training.shuffled.{case.name}",
        "sec. 5 (shuffle data)",
        ok,
        msg,
        {"max_scaled_param_error": err, "worst_block": where, "seed": seed},
    )


CHECKS: tuple[tuple[str, str, Callable[[TrainingCase], Record]], ...] = (
    ("sgd", "sec. 5, Algorithm 1", _check_epochs),
    ("schedule", "eq. 23", _check_schedule),
    ("alignment", "sec. 5 (shuffle data)", _check_alignment),
    ("shuffled", "sec. 5 (shuffle data)", _check_shuffled),
)


def check_training(cases: Sequence[TrainingCase] | None = None) -> list[Record]:
    """Every training check on every case; an exception becomes an ``error`` record."""
    records: list[Record] = []
    for case in training_cases() if cases is None else cases:
        for kind, ref, check in CHECKS:
            try:
                records.append(check(case))
            except Exception as exc:  # a broken fit must not hide the other checks
                records.append(_error_record(f"training.{kind}.{case.name}", ref, exc))
    return records
