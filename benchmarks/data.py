"""Seeded synthetic classification data shaped like MNIST (784 inputs, 10 classes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Dataset", "make_dataset"]


@dataclass(frozen=True)
class Dataset:
    """Inputs ``X`` (batch-major), integer ``labels`` and their one-hot ``Y``, all one dtype."""

    X: NDArray[np.floating]
    labels: NDArray[np.int64]
    Y: NDArray[np.floating]

    @property
    def n(self) -> int:
        """Number of samples N."""
        return int(self.X.shape[0])


def make_dataset(n: int, n_in: int, n_out: int, seed: int, dtype: str) -> Dataset:
    """``n`` samples with pixel-like inputs in [0, 1) labelled by a random linear teacher.

    The same ``seed`` gives the same data in both dtypes (drawn in float64, then cast once).
    """
    if n < 1 or n_in < 1 or n_out < 2:
        raise ValueError(f"n, n_in >= 1 and n_out >= 2 expected, got {n=}, {n_in=}, {n_out=}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    rng = np.random.default_rng(seed)
    X = rng.random((n, n_in))
    teacher = rng.standard_normal((n_in, n_out))
    labels = np.argmax((X - 0.5) @ teacher + rng.standard_normal((n, n_out)), axis=1)
    Y = np.zeros((n, n_out))
    Y[np.arange(n), labels] = 1.0
    return Dataset(X=X.astype(dtype), labels=labels.astype(np.int64), Y=Y.astype(dtype))
