"""What the network checks draw on: inputs and targets per (output, cost), the cost as f(params)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["cost_in_place", "sample_data"]


def sample_data(
    output: str, cost: str, n_in: int, n_out: int, batch: int, seed: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Draw inputs and targets suited to ``(output, cost)``: one-hot, 0/1 or real targets."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, n_in))
    if output == "softmax" and cost == "cross_entropy":
        Y = np.eye(n_out)[rng.integers(0, n_out, size=batch)]
    elif cost in ("binary_cross_entropy", "cross_entropy"):
        Y = (rng.random((batch, n_out)) < 0.5).astype(np.float64)
    elif output == "identity":
        Y = rng.normal(size=(batch, n_out))
    else:
        Y = rng.random((batch, n_out))
    return X, Y


@contextmanager
def cost_in_place(
    net: Any, X: Any, Y: Any, live: list[np.ndarray[Any, Any]]
) -> Iterator[tuple[Callable[[list[np.ndarray[Any, Any]]], float], list[np.ndarray[Any, Any]]]]:
    """``f(params) = net.cost(X, Y)`` with ``params`` written into ``live`` (the net's own arrays).

    Yields ``(f, saved)``, ``saved`` a copy of ``live`` on entry (the point to check at), and
    writes ``saved`` back into ``live`` on exit, so the network is left exactly as it was.
    """
    saved = [p.copy() for p in live]

    def f(params: list[np.ndarray[Any, Any]]) -> float:
        for dst, src in zip(live, params, strict=True):
            dst[...] = src
        return float(net.cost(X, Y))

    try:
        yield f, saved
    finally:
        for dst, src in zip(live, saved, strict=True):
            dst[...] = src
