"""Memory layout of ``W^l`` and ``dW^l`` while training: a tuning for one BLAS build, no formula.

The formulas (:mod:`mlp.backprop`) never look at memory order; they write matrix products with
:func:`matmul_into`, which fills a buffer of either order, and :meth:`mlp.MLP.fit` allocates the
training buffers in :data:`WEIGHT_ORDER`. Shapes stay the paper's: ``W^l`` is (n_l, n_{l-1}).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from mlp.activations import FloatArray

__all__ = ["WEIGHT_ORDER", "matmul_into", "weight_order"]

WEIGHT_ORDER: dict[np.dtype[Any], Literal["C", "F"]] = {
    np.dtype(np.float32): "F",
    np.dtype(np.float64): "C",
}
"""Memory order of ``W^l`` and ``dW^l`` while training (their shape stays (n_l, n_{l-1})).

Fortran order stores ``(W^l)^T`` contiguously, so the forward GEMM ``A^{l-1} (W^l)^T`` reads a
plain row-major matrix and ``(dW^l)^T = (A^{l-1})^T δ^l`` is written as one. On OpenBLAS 0.3.31
(SkylakeX kernels) that makes the 784-128-10 epoch of ``python -m benchmarks --only training``
about 5 % faster in float32 and 12 % slower in float64, hence per dtype. ``MLP.fit`` trains on
copies in this order and writes them back after every epoch."""


def weight_order(dtype: Any) -> Literal["C", "F"]:
    """The training order of ``W^l``/``dW^l`` for ``dtype`` (``"C"`` for a dtype not tuned)."""
    return WEIGHT_ORDER.get(np.dtype(dtype), "C")


def matmul_into(a: FloatArray, b: FloatArray, out: FloatArray) -> FloatArray:
    """``a @ b`` written into ``out`` (returned), whatever ``out``'s memory order.

    A Fortran-ordered ``out`` is filled as ``(b^T a^T)^T``: its transpose is row-major, so BLAS
    writes one contiguous matrix either way (the same values, summed in another kernel order).
    """
    if out.flags.c_contiguous:
        return np.matmul(a, b, out=out)
    return np.matmul(b.T, a.T, out=out.T).T
