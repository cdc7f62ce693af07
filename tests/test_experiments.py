"""Experiments on the digits: the fixed split, the verdict logic, a short real run."""

from __future__ import annotations

import numpy as np
import pytest

from verify.checks.experiments import (
    EXPERIMENTS,
    RUNS,
    Run,
    Settings,
    judge,
    list_experiments,
    load_split,
    run_experiments,
)


def test_split_is_fixed_and_disjoint() -> None:
    a, b = load_split(), load_split()
    assert a.sizes == {"train": 1149, "validation": 288, "test": 360}
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert a.X_train.min() >= 0.0 and a.X_train.max() <= 1.0
    assert len(a.y_train) + len(a.y_val) + len(a.y_test) == 1797


def _run(
    name: str,
    val_acc: list[float],
    *,
    lr: list[float] | None = None,
    change: float = 1.0,
    test: float = 0.97,
) -> Run:
    spec = next(s for s in RUNS if s.name == name)
    n = len(val_acc)
    hist = {
        "cost": [1.0] * n,
        "accuracy": val_acc,
        "val_cost": [1.0 - v for v in val_acc],
        "val_accuracy": val_acc,
        "learning_rate": lr or [1.0] * n,
    }
    return Run(spec, hist, test, change)


def _runs(**over: Run) -> list[Run]:
    eq23 = [1.0 * (1 - i / 4) for i in (1, 2, 3)]
    base = {
        "default": _run("default", [0.5, 0.9, 0.96]),
        "large": _run("large", [0.2, 0.8, 0.95], test=0.95),
        "fan_in": _run("fan_in", [0.6, 0.9, 0.97], test=0.975),
        "linear": _run("linear", [0.5, 0.9, 0.955], lr=eq23),
        "heaviside": _run("heaviside", [0.3, 0.6, 0.7], change=0.0, test=0.7),
    }
    base.update(over)
    return list(base.values())


def test_judge_expected_verdicts() -> None:
    selected, records = judge(_runs(), Settings(epochs=3))
    assert selected == "fan_in"
    got = {r.id: (r.verdict, r.status) for r in records}
    assert got == {
        "experiment.init_converge": ("holds", "ok"),
        "experiment.schedule": ("holds", "ok"),
        "experiment.heaviside": ("hidden_frozen", "ok"),
        "experiment.test_accuracy": ("pass", "ok"),
    }
    assert set(got) == set(EXPERIMENTS)
    assert all(r.kind == "experiment" and r.expected == EXPERIMENTS[r.id][1] for r in records)


def test_judge_detects_failures() -> None:
    runs = _runs(
        large=_run("large", [0.1, 0.5, 0.80], test=0.8),
        linear=_run("linear", [0.5, 0.9, 0.96], lr=[1.0, 1.0, 1.0]),
        heaviside=_run("heaviside", [0.3, 0.6, 0.7], change=0.1),
        fan_in=_run("fan_in", [0.6, 0.9, 0.97], test=0.90),
    )
    _, records = judge(runs, Settings(epochs=3))
    got = {r.id: (r.verdict, r.status) for r in records}
    assert got["experiment.init_converge"] == ("does_not_hold", "unexpected")
    assert got["experiment.schedule"] == ("does_not_hold", "unexpected")
    assert got["experiment.heaviside"] == ("hidden_learns", "unexpected")
    assert got["experiment.test_accuracy"] == ("fail", "unexpected")


def test_short_real_run_is_deterministic() -> None:
    s = Settings(epochs=3)
    a, b = run_experiments(s), run_experiments(s)
    assert [r.history for r in a.runs] == [r.history for r in b.runs]
    assert a.records == b.records
    assert a.run("heaviside").hidden_change == 0.0
    assert a.run("default").hidden_change > 0.0
    lin = a.run("linear").history["learning_rate"]
    assert lin == pytest.approx([1.0 * (1 - i / 4) for i in (1, 2, 3)], rel=1e-12)
    assert all(len(r.history["val_accuracy"]) == 3 for r in a.runs)


def test_run_lookup_and_listing() -> None:
    results = run_experiments(Settings(epochs=1))
    with pytest.raises(KeyError, match="no run called 'nope'"):
        results.run("nope")
    assert [line.split()[0] for line in list_experiments()] == list(EXPERIMENTS)
