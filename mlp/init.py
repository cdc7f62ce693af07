"""Weight initialisation, sec. 5.2: "large", "default" (the paper's 1/N_train) and "fan_in"."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlp.activations import FloatArray

__all__ = ["INITS", "init_std", "initialise"]

INITS: frozenset[str] = frozenset({"large", "default", "fan_in"})
"""Initialisation scheme names."""


def init_std(init: str, n_prev: int, n_train: int) -> tuple[float, float]:
    """Return the standard deviations ``(std_W, std_b)`` of the Gaussians for one layer.

    - ``"large"``: W, b ~ N(0, 1) (sec. 5.2, "(0, 1)").
    - ``"default"``: W, b ~ N(0, 1/N_train) (sec. 5.2, "(0, 1/N_train)", read as (mean, variance)
      like its "(0, 1)"). The paper scales by the number of *training samples*, not by the layer's
      fan-in as is usual; this implements the paper's scheme.
    - ``"fan_in"``: W ~ N(0, 1/n_{l-1}), b = 0 (the usual LeCun scheme, for comparison).
    """
    if init == "large":
        return 1.0, 1.0
    if init == "default":
        s = float(1.0 / np.sqrt(n_train))
        return s, s
    if init == "fan_in":
        return float(1.0 / np.sqrt(n_prev)), 0.0
    raise ValueError(f"init: expected one of {sorted(INITS)}, got {init!r}")


def initialise(
    layer_sizes: Sequence[int],
    init: str,
    seed: int,
    dtype: np.dtype[Any] | type[np.floating[Any]],
    n_train: int = 1,
) -> tuple[list[FloatArray], list[FloatArray]]:
    """Draw ``W^l`` (n_l, n_{l-1}) and ``b^l`` (n_l,) for l = 1..L from ``default_rng(seed)``.

    Every scheme draws the same standard normals in the same order (W^1, b^1, W^2, b^2, ...) in
    float64 and scales them by ``init_std``, then casts to ``dtype``: "large" and "default" differ
    only by the factor 1/sqrt(N_train), and float32 is float64 rounded.
    """
    if n_train < 1:
        raise ValueError(f"n_train: expected a positive int, got {n_train!r}")
    rng = np.random.default_rng(seed)
    weights: list[FloatArray] = []
    biases: list[FloatArray] = []
    for n_prev, n in itertools.pairwise(layer_sizes):
        std_W, std_b = init_std(init, n_prev, n_train)
        W = rng.standard_normal((n, n_prev)) * std_W
        b = rng.standard_normal(n) * std_b
        weights.append(np.ascontiguousarray(W, dtype=dtype))
        biases.append(np.ascontiguousarray(b, dtype=dtype))
    return weights, biases
