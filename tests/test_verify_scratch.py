"""verify.gradient.scratch: arrays kept between checks, per thread, capped; repeatable."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

import verify
from verify.gradient import scratch


def test_given_arrays_are_taken_again_and_views_are_not_kept() -> None:
    a = scratch.take((1000,), np.float64)
    before = scratch.kept_bytes()
    scratch.give([a, a[:10], None])  # the view is not ours to recycle
    assert scratch.kept_bytes() == before + a.nbytes
    assert scratch.take((1000,), np.float64) is a
    assert scratch.take((1000,), np.float32) is not a  # shape and dtype must match
    ro = np.zeros(1000)
    ro.flags.writeable = False
    scratch.give([ro])
    assert scratch.take((1000,), np.float64) is not ro


def test_kept_bytes_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scratch, "MAX_KEPT_BYTES", 10_000)
    scratch.give([np.empty(1000) for _ in range(3)])  # 24 kB: the oldest go first
    assert scratch.kept_bytes() <= 10_000


def test_threads_keep_their_own_arrays() -> None:
    mine = np.empty(777)
    scratch.give([mine])
    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(scratch.take((777,), np.float64)))
    thread.start()
    thread.join()
    assert seen[0] is not mine
    assert scratch.take((777,), np.float64) is mine


def test_repeated_checks_on_kept_arrays_are_identical() -> None:
    rng = np.random.default_rng(2)
    x = [rng.normal(size=(60, 50)), rng.normal(size=50)]

    def f(p: list[np.ndarray]) -> float:
        return float(np.sum(np.tanh(p[0])) + np.sum(p[1] ** 3))

    def grad(p: list[np.ndarray]) -> list[np.ndarray]:
        return [1 - np.tanh(p[0]) ** 2, 3 * p[1] ** 2]

    def wrong(p: list[np.ndarray]) -> list[np.ndarray]:
        g = grad(p)
        g[0][5, 7] += 0.1
        return g

    runs = [str(verify.check_gradient(f, g, x)) for g in (grad, wrong, grad, wrong)]
    assert runs[0] == runs[2] and runs[1] == runs[3]
    assert runs[0].startswith("check_gradient: PASS") and "x[0][5, 7]" in runs[1]
