"""Scalarising a vector-valued ``f``: its values shared between checks, ``<v, f>``, bisection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from verify.gradient import tree

__all__ = ["Memo", "bisect", "contract"]

_MEMO_MAX_VALUES = 1 << 24
"""Output values :class:`Memo` keeps before it forgets (128 MiB of float64)."""

Array = np.ndarray[Any, Any]


class Memo:
    """``f``'s vector values by the bytes of the point: scalar checks sharing points share calls."""

    def __init__(self, f: Callable[[Any], Any]) -> None:
        self.f = f
        self.calls = 0
        self.shape: tuple[int, ...] | None = None
        self._values: dict[tuple[Any, ...], Array] = {}
        self._stored = 0

    def __call__(self, point: Any) -> Array:
        """``f(point)`` as an array (a copy: ``f`` may reuse its output buffer), computed once.

        TypeError for a non-numeric output, ValueError when its shape changes between points.
        """
        leaves = tree.flatten(point)[0] if isinstance(point, dict | list | tuple) else [point]
        key = tuple((np.asarray(a).dtype.str, np.asarray(a).tobytes()) for a in leaves)
        hit = self._values.get(key)
        if hit is not None:
            return hit
        self.calls += 1
        with np.errstate(all="ignore"):
            out = np.array(self.f(point), copy=True)
        if out.dtype.kind not in "fiuc":
            raise TypeError(f"f must return a real array; got dtype {out.dtype}")
        if self.shape is None:
            self.shape = out.shape
        elif out.shape != self.shape:
            raise ValueError(f"f returned shape {out.shape} here; at x it was {self.shape}")
        if self._stored + out.size > _MEMO_MAX_VALUES:
            self._values.clear()
            self._stored = 0
        self._values[key] = out
        self._stored += out.size
        return out


def contract(v: Array, out: Array) -> Any:
    """``<v, out>`` as a scalar of ``out``'s dtype (float32 stays float32: the check sees it)."""
    dt = out.dtype if out.dtype.kind in "fc" else np.dtype(np.float64)
    return np.sum(v.astype(dt) * out, dtype=dt)


def bisect(n: int, fails: Callable[[int, int], bool]) -> tuple[int | None, int]:
    """One index of ``[0, n)`` whose own check fails, by halving; ``None`` if both halves pass.

    Returns the index and the number of checks run.
    """
    lo, hi, checks = 0, n, 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        checks += 1
        if fails(lo, mid):
            hi = mid
            continue
        checks += 1
        if fails(mid, hi):
            lo = mid
            continue
        return None, checks  # errors cancel between the halves
    return lo, checks
