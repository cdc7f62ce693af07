"""The paper's training claims (sec. 5) tested on real data: scikit-learn's bundled 8x8 digits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from verify.results import Record

__all__ = [
    "EXPERIMENTS",
    "RUNS",
    "ExperimentResults",
    "Run",
    "RunSpec",
    "Settings",
    "Split",
    "judge",
    "list_experiments",
    "load_split",
    "run_experiments",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Settings:
    """Everything that fixes the experiments (all seeds explicit: results are reproducible)."""

    layer_sizes: tuple[int, ...] = (64, 32, 10)
    epochs: int = 60
    batch_size: int = 32
    learning_rate: float = 1.0
    seed: int = 0
    """Seed of every network's initialisation and of its epoch shuffles."""
    split_seed: int = 0
    """``random_state`` of both ``train_test_split`` calls."""
    test_fraction: float = 0.2
    val_fraction: float = 0.2
    """Fraction of the remaining (non-test) samples held out for validation."""
    converge_tolerance: float = 0.02
    """Largest final validation-accuracy gap between inits still called "converged"."""
    schedule_tolerance: float = 0.02
    """Largest final validation-accuracy loss of eq. (23) against a constant η still "as good"."""
    target_accuracy: float = 0.95
    """Test accuracy the network selected on validation must reach."""
    select_window: int = 10
    """Model selection: mean validation accuracy (then cost) over this many last epochs."""


@dataclass(frozen=True)
class RunSpec:
    """One training run: a network configuration of sec. 5."""

    name: str
    label: str
    init: str = "default"
    hidden: str = "sigmoid"
    schedule: str = "constant"


RUNS: tuple[RunSpec, ...] = (
    RunSpec("default", 'init "default" N(0, 1/N_train)', init="default"),
    RunSpec("large", 'init "large" N(0, 1)', init="large"),
    RunSpec("fan_in", 'init "fan_in" N(0, 1/n_{l-1})', init="fan_in"),
    RunSpec("linear", "eq. (23) linear η, init default", init="default", schedule="linear"),
    RunSpec("heaviside", "Heaviside hidden layer, init fan_in", init="fan_in", hidden="heaviside"),
)
"""The runs, all sigmoid hidden / softmax output / cross-entropy unless said otherwise."""

EXPERIMENTS: dict[str, tuple[str, str, str]] = {
    "experiment.init_converge": (
        "sec. 5.2",
        "holds",
        'inits "large" and "default" converge at large epoch times (empirical: decided on data)',
    ),
    "experiment.schedule": (
        "eq. 23",
        "holds",
        "eq. (23), η falling linearly to η_0/(N_epochs + 1), trains as well as a constant η",
    ),
    "experiment.heaviside": (
        "eq. 22",
        "hidden_frozen",
        "with σ' = 0 (eq. 22) backprop never changes a Heaviside hidden layer",
    ),
    "experiment.test_accuracy": (
        "eq. 24",
        "pass",
        "the network selected on validation reaches the target test accuracy",
    ),
}
"""Experiment check id -> (paper reference, expected verdict, the claim tested)."""


class _History(Protocol):
    cost: list[float]
    accuracy: list[float]
    val_cost: list[float]
    val_accuracy: list[float]
    learning_rate: list[float]


class _Model(Protocol):
    weights: list[Any]
    biases: list[Any]

    def fit(
        self,
        X: object,
        Y: object,
        epochs: int,
        batch_size: int,
        learning_rate: float,
        schedule: str = ...,
        validation: tuple[object, object] | None = ...,
        shuffle: bool = ...,
        seed: int | None = ...,
    ) -> _History: ...

    def accuracy(self, X: object, labels: object) -> float: ...


ModelFactory = Callable[[RunSpec, Settings, int], _Model]
"""``factory(spec, settings, n_train)``: an untrained network for a run."""


@dataclass(frozen=True)
class Split:
    """The fixed train / validation / test split of the digits (inputs scaled to [0, 1])."""

    X_train: FloatArray
    y_train: NDArray[np.intp]
    X_val: FloatArray
    y_val: NDArray[np.intp]
    X_test: FloatArray
    y_test: NDArray[np.intp]

    @property
    def sizes(self) -> dict[str, int]:
        """Number of samples per part."""
        return {
            "train": len(self.y_train),
            "validation": len(self.y_val),
            "test": len(self.y_test),
        }


@dataclass(frozen=True)
class Run:
    """The outcome of one :class:`RunSpec`."""

    spec: RunSpec
    history: dict[str, list[float]]
    """Per-epoch ``cost``, ``accuracy``, ``val_cost``, ``val_accuracy``, ``learning_rate``."""
    test_accuracy: float
    hidden_change: float
    """max |W^1_final - W^1_init| and |b^1_final - b^1_init|: zero iff layer 1 never moved."""


@dataclass(frozen=True)
class ExperimentResults:
    """All runs, the selected network, and one :class:`Record` per training claim."""

    settings: Settings
    split_sizes: dict[str, int]
    runs: tuple[Run, ...]
    selected: str
    """Name of the run chosen on validation (see ``Settings.select_window``) for the test set."""
    records: tuple[Record, ...] = field(default=())

    def run(self, name: str) -> Run:
        """Return the run called ``name``."""
        for r in self.runs:
            if r.spec.name == name:
                return r
        names = [r.spec.name for r in self.runs]
        raise KeyError(f"name: no run called {name!r}; expected one of {names}")


def load_split(settings: Settings | None = None) -> Split:
    """``load_digits`` (bundled with scikit-learn, no download) split by ``train_test_split``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    s = settings or Settings()
    digits = load_digits()
    X = np.asarray(digits.data, dtype=np.float64) / 16.0
    y = np.asarray(digits.target, dtype=np.intp)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=s.test_fraction, random_state=s.split_seed, stratify=y
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=s.val_fraction, random_state=s.split_seed, stratify=y_rest
    )
    return Split(X_train, y_train, X_val, y_val, X_test, y_test)


def _mlp_factory(spec: RunSpec, settings: Settings, n_train: int) -> _Model:
    """Build the project's NumPy MLP (sigmoid/softmax/cross-entropy unless the run says so)."""
    from mlp import MLP

    model: _Model = MLP(
        list(settings.layer_sizes),
        hidden=spec.hidden,
        output="softmax",
        cost="cross_entropy",
        init=spec.init,
        seed=settings.seed,
        dtype="float64",
        n_train=n_train,
    )
    return model


def _one_hot(labels: NDArray[np.intp], k: int) -> FloatArray:
    out: FloatArray = np.eye(k, dtype=np.float64)[labels]
    return out


def _train(spec: RunSpec, split: Split, settings: Settings, factory: ModelFactory) -> Run:
    k = settings.layer_sizes[-1]
    model = factory(spec, settings, len(split.y_train))
    W1_init = np.array(model.weights[0], dtype=np.float64, copy=True)
    b1_init = np.array(model.biases[0], dtype=np.float64, copy=True)
    hist = model.fit(
        split.X_train,
        _one_hot(split.y_train, k),
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        schedule=spec.schedule,
        validation=(split.X_val, _one_hot(split.y_val, k)),
        seed=settings.seed,
    )
    change = max(
        float(np.max(np.abs(np.asarray(model.weights[0]) - W1_init))),
        float(np.max(np.abs(np.asarray(model.biases[0]) - b1_init))),
    )
    return Run(
        spec=spec,
        history={
            "cost": list(hist.cost),
            "accuracy": list(hist.accuracy),
            "val_cost": list(hist.val_cost),
            "val_accuracy": list(hist.val_accuracy),
            "learning_rate": list(hist.learning_rate),
        },
        test_accuracy=float(model.accuracy(split.X_test, split.y_test)),
        hidden_change=change,
    )


def _record(check_id: str, verdict: str, message: str, details: dict[str, Any]) -> Record:
    ref, expected, _claim = EXPERIMENTS[check_id]
    return Record(
        id=check_id,
        ref=ref,
        kind="experiment",
        verdict=verdict,
        expected=expected,
        status="ok" if verdict == expected else "unexpected",
        method="experiment (digits)",
        message=message,
        details=details,
    )


def _r3(x: float) -> float:
    """Three significant digits (stable against last-bit differences)."""
    return float(f"{x:.3g}")


def _init_record(by: dict[str, Run], settings: Settings) -> Record:
    """Weight initialisation: large and default initial weights converge to the same accuracy."""
    d, g = by["default"], by["large"]
    gap_first = abs(d.history["val_accuracy"][0] - g.history["val_accuracy"][0])
    gap_last = abs(d.history["val_accuracy"][-1] - g.history["val_accuracy"][-1])
    converged = gap_last <= settings.converge_tolerance
    details: dict[str, Any] = {
        "epochs": settings.epochs,
        "val_accuracy_gap_first_epoch": _r3(gap_first),
        "val_accuracy_gap_last_epoch": _r3(gap_last),
        "tolerance": settings.converge_tolerance,
    }
    for r in (d, g, by.get("fan_in")):
        if r is not None:
            details[f"val_accuracy_{r.spec.name}"] = _r3(r.history["val_accuracy"][-1])
            details[f"val_cost_{r.spec.name}"] = _r3(r.history["val_cost"][-1])
    return _record(
        "experiment.init_converge",
        "holds" if converged else "does_not_hold",
        f"Validation accuracy large vs default: {100 * g.history['val_accuracy'][0]:.1f}% vs "
        f"{100 * d.history['val_accuracy'][0]:.1f}% after epoch 1, "
        f"{100 * g.history['val_accuracy'][-1]:.1f}% vs "
        f"{100 * d.history['val_accuracy'][-1]:.1f}% after {settings.epochs} epochs "
        f"(gap {100 * gap_first:.1f} -> {100 * gap_last:.1f} points; validation cost "
        f"{g.history['val_cost'][-1]:.3g} vs {d.history['val_cost'][-1]:.3g})",
        details,
    )


def _schedule_record(by: dict[str, Run], settings: Settings) -> Record:
    """Eq. (23): the linear schedule is followed, and trains as well as a constant η."""
    d, lin = by["default"], by["linear"]
    n = settings.epochs
    eta0 = settings.learning_rate
    eq23 = [eta0 * (1.0 - i / (1.0 + n)) for i in range(1, n + 1)]
    follows = bool(np.allclose(lin.history["learning_rate"], eq23, rtol=1e-12, atol=0.0))
    loss = d.history["val_accuracy"][-1] - lin.history["val_accuracy"][-1]
    as_good = loss <= settings.schedule_tolerance
    return _record(
        "experiment.schedule",
        "holds" if follows and as_good else "does_not_hold",
        f"The learning rate η falls from {eq23[0]:.3g} to {eq23[-1]:.3g} = η_0/(N+1) "
        "(never 0); final validation "
        f"accuracy {100 * lin.history['val_accuracy'][-1]:.1f}% vs constant "
        f"{100 * d.history['val_accuracy'][-1]:.1f}%",
        {
            "eta_first": _r3(eq23[0]),
            "eta_last": _r3(eq23[-1]),
            "follows_eq23": follows,
            "val_accuracy_linear": _r3(lin.history["val_accuracy"][-1]),
            "val_accuracy_constant": _r3(d.history["val_accuracy"][-1]),
            "tolerance": settings.schedule_tolerance,
        },
    )


def _heaviside_record(by: dict[str, Run]) -> Record:
    """Heaviside hidden units (derivative 0 almost everywhere): the hidden layer never learns."""
    h = by["heaviside"]
    return _record(
        "experiment.heaviside",
        "hidden_frozen" if h.hidden_change == 0.0 else "hidden_learns",
        f"Max change of W^1, b^1 over training: {h.hidden_change:.3g}; only the output layer "
        f"learns: test accuracy {100 * h.test_accuracy:.1f}% (sigmoid: "
        f"{100 * by['fan_in'].test_accuracy:.1f}%)",
        {
            "hidden_change": _r3(h.hidden_change),
            "test_accuracy_heaviside": _r3(h.test_accuracy),
            "test_accuracy_sigmoid": _r3(by["fan_in"].test_accuracy),
        },
    )


def _accuracy_record(runs: Sequence[Run], settings: Settings) -> tuple[Run, Record]:
    """Select the run by validation only, then report its test accuracy against the target."""
    candidates = [r for r in runs if r.spec.hidden != "heaviside"]
    w = settings.select_window

    def score(r: Run) -> tuple[float, float]:
        return (
            -float(np.mean(r.history["val_accuracy"][-w:])),
            float(np.mean(r.history["val_cost"][-w:])),
        )

    best = min(candidates, key=score)
    return best, _record(
        "experiment.test_accuracy",
        "pass" if best.test_accuracy >= settings.target_accuracy else "fail",
        f"Run {best.spec.name!r} (best mean validation accuracy over the last {w} epochs) "
        "reaches test accuracy "
        f"{100 * best.test_accuracy:.1f}% (target {100 * settings.target_accuracy:.0f}%)",
        {
            "selected": best.spec.name,
            "test_accuracy": _r3(best.test_accuracy),
            "target": settings.target_accuracy,
        },
    )


def judge(runs: Sequence[Run], settings: Settings) -> tuple[str, tuple[Record, ...]]:
    """Verdicts on the training claims from finished runs; returns (selected run, records)."""
    by = {r.spec.name: r for r in runs}
    best, accuracy = _accuracy_record(runs, settings)
    records = (
        _init_record(by, settings),
        _schedule_record(by, settings),
        _heaviside_record(by),
        accuracy,
    )
    return best.spec.name, records


def run_experiments(
    settings: Settings | None = None,
    factory: ModelFactory | None = None,
    split: Split | None = None,
) -> ExperimentResults:
    """Train every run of :data:`RUNS` on the digits and judge the training claims."""
    from threadpoolctl import threadpool_limits

    s = settings or Settings()
    data = split or load_split(s)
    make = factory or _mlp_factory
    # One BLAS thread: the same summation order on every machine (byte-stable reports), and
    # faster for these small matrices than threads fighting over a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        runs = tuple(_train(spec, data, s, make) for spec in RUNS)
    selected, records = judge(runs, s)
    return ExperimentResults(
        settings=s, split_sizes=data.sizes, runs=runs, selected=selected, records=records
    )


def list_experiments() -> list[str]:
    """One line per experiment check, for ``python -m verify list``."""
    return [
        f"{cid:<34} {ref:<14} {'experiment':<12} expected {expected:<24} {claim}"
        for cid, (ref, expected, claim) in EXPERIMENTS.items()
    ]
