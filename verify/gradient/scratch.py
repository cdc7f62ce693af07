"""Scratch arrays kept between gradient checks (per thread), so large checks skip page faults."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["MAX_KEPT_BYTES", "give", "kept_bytes", "take"]

MAX_KEPT_BYTES = 1 << 28
"""At most this many bytes of scratch arrays are kept per thread (least recently given first out).

A fresh array of 10^6 float64 costs about a millisecond of page faults on its first writes, more
than the network's pass in ``python -m benchmarks --only gradcheck``; a check of that size uses
half a dozen of them.
"""

Key = tuple[tuple[int, ...], str]


class _Kept(threading.local):
    """One thread's free arrays by (shape, dtype), least recently given first."""

    def __init__(self) -> None:
        self.arrays: OrderedDict[Key, list[np.ndarray[Any, Any]]] = OrderedDict()
        self.nbytes = 0


_kept = _Kept()


def take(shape: tuple[int, ...], dtype: Any) -> np.ndarray[Any, Any]:
    """An array of ``shape`` and ``dtype`` with undefined contents: a kept one, else a new one."""
    key = (tuple(int(n) for n in shape), np.dtype(dtype).str)
    stack = _kept.arrays.get(key)
    if stack:
        out = stack.pop()
        _kept.nbytes -= out.nbytes
        if not stack:
            del _kept.arrays[key]
        return out
    return np.empty(shape, dtype=dtype)


def give(arrays: Iterable[np.ndarray[Any, Any] | None]) -> None:
    """Keep ``arrays`` for later :func:`take` calls; the caller must not use them afterwards."""
    for a in arrays:
        if a is None or not a.flags.owndata or not a.flags.writeable:
            continue  # views and read-only arrays are not ours to recycle
        key = (a.shape, a.dtype.str)
        _kept.arrays.setdefault(key, []).append(a)
        _kept.arrays.move_to_end(key)
        _kept.nbytes += a.nbytes
    while _kept.nbytes > MAX_KEPT_BYTES and _kept.arrays:
        _, stack = _kept.arrays.popitem(last=False)
        _kept.nbytes -= sum(a.nbytes for a in stack)


def kept_bytes() -> int:
    """Bytes currently kept by this thread."""
    return _kept.nbytes
