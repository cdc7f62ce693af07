"""GEMM roofline: the pure matrix products of one epoch, and their operation count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from benchmarks.peers import EpochFn

__all__ = ["epoch_gemm_flops", "gemm_epoch"]


def epoch_gemm_flops(sizes: Sequence[int], n: int) -> int:
    """FLOPs of the GEMMs in one epoch of ``n`` samples (2 per multiply-add).

    Per layer l: forward z^l = a^{l-1} W^lT (eq. 4) and dC/dW^l = delta^lT a^{l-1}; for l >= 2
    also delta^{l-1} = delta^l W^l (eq. 35). For 784-128-10 that is 5 GEMMs per batch.
    """
    flops = 0
    for layer in range(1, len(sizes)):
        products = 3 if layer >= 2 else 2
        flops += products * 2 * n * sizes[layer] * sizes[layer - 1]
    return flops


def gemm_epoch(
    sizes: Sequence[int], n: int, batch_size: int, dtype: str, seed: int, order: str = "C"
) -> EpochFn:
    """Build the GEMMs of one epoch with the same shapes, buffers preallocated, nothing else.

    ``order``: memory order of ``W^l`` and ``dW^l``, as ``mlp.layout.WEIGHT_ORDER`` trains them
    (in Fortran order ``(dW^l)^T = (a^{l-1})^T δ^l`` is the product written row-major).
    """
    if order not in ("C", "F"):
        raise ValueError(f"order must be 'C' or 'F', got {order!r}")
    rng = np.random.default_rng(seed)
    X = rng.random((n, sizes[0])).astype(dtype)
    pairs = zip(sizes[1:], sizes[:-1], strict=True)
    layout: Literal["C", "F"] = "F" if order == "F" else "C"
    W = [rng.standard_normal((n_l, n_prev)).astype(dtype, order=layout) for n_l, n_prev in pairs]
    dW = [np.empty_like(w) for w in W]  # same order as w
    starts = list(range(0, n, batch_size))
    buffers: dict[int, tuple[list[NDArray[np.floating]], list[NDArray[np.floating]]]] = {}
    for start in starts:
        m = min(batch_size, n - start)
        if m not in buffers:
            # a^l (forward outputs) and delta^l (backward), one pair per layer, reused every batch
            a = [rng.random((m, width)).astype(dtype) for width in sizes[1:]]
            delta = [rng.standard_normal((m, width)).astype(dtype) for width in sizes[1:]]
            buffers[m] = (a, delta)

    def epoch() -> None:
        L = len(W)
        for start in starts:
            x = X[start : start + batch_size]
            a, delta = buffers[x.shape[0]]
            for k in range(L):  # forward: z^l = a^{l-1} W^lT (eq. 4), layer l = k + 1
                np.matmul(x if k == 0 else a[k - 1], W[k].T, out=a[k])
            for k in reversed(range(L)):  # backward: dW^l, then delta^{l-1} = delta^l W^l (eq. 35)
                a_prev = x if k == 0 else a[k - 1]
                if order == "C":
                    np.matmul(delta[k].T, a_prev, out=dW[k])
                else:
                    np.matmul(a_prev.T, delta[k], out=dW[k].T)
                if k > 0:
                    np.matmul(delta[k], W[k], out=delta[k - 1])

    return epoch
