"""Forward pass, eq. (4), and back-propagation, eqs. (32)-(37) corrected: pure, batch-major.

One code path: every product and activation is written into a ``Workspace`` (the caller's, reused
across mini-batches, or one allocated for the call), as scikit-learn's MLP always uses its
buffers. Memory order is not decided here (:mod:`mlp.layout`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from mlp.activations import ACTIVATIONS, FloatArray, col_sum
from mlp.deltas import output_delta
from mlp.layout import matmul_into

__all__ = ["Workspace", "backward", "forward", "gradients"]


@dataclass(frozen=True)
class Workspace:
    """Buffers for ``forward``/``backward`` at one batch size, allocated once and reused.

    ``z[l-1], a[l-1], delta[l-1], work[l-1]`` have shape (batch, n_l) for l = 1..L (note: unlike
    ``forward``'s result, ``a`` here holds a^1..a^L; ``x`` holds a^0); ``dW``/``db`` are shaped like
    the parameters. ``work`` is scratch for σ'(z^l) and the sigmoid.
    """

    x: FloatArray
    y: FloatArray
    z: list[FloatArray]
    a: list[FloatArray]
    delta: list[FloatArray]
    work: list[FloatArray]
    dW: list[FloatArray]  # noqa: N815 (the paper's W)
    db: list[FloatArray]

    @classmethod
    def allocate(
        cls, layer_sizes: Sequence[int], batch: int, dtype: Any, order: Literal["C", "F"] = "C"
    ) -> Workspace:
        """Allocate every buffer for ``batch`` rows of ``dtype``; ``dW`` in memory ``order``."""
        sizes = list(layer_sizes)

        def rows(n: int) -> FloatArray:
            return np.empty((batch, n), dtype=dtype)

        return cls(
            x=rows(sizes[0]),
            y=rows(sizes[-1]),
            z=[rows(n) for n in sizes[1:]],
            a=[rows(n) for n in sizes[1:]],
            delta=[rows(n) for n in sizes[1:]],
            work=[rows(n) for n in sizes[1:]],
            dW=[np.empty((n, m), dtype=dtype, order=order) for m, n in itertools.pairwise(sizes)],
            db=[np.empty(n, dtype=dtype) for n in sizes[1:]],
        )

    @property
    def batch(self) -> int:
        """Rows per buffer."""
        return int(self.x.shape[0])

    def head(self, n: int) -> Workspace:
        """Restrict the same buffers to their first ``n`` rows (views: C-contiguous, no copy)."""
        if not 1 <= n <= self.batch:
            raise ValueError(f"n: expected 1 <= n <= {self.batch}, got {n}")
        return Workspace(
            x=self.x[:n],
            y=self.y[:n],
            z=[b[:n] for b in self.z],
            a=[b[:n] for b in self.a],
            delta=[b[:n] for b in self.delta],
            work=[b[:n] for b in self.work],
            dW=self.dW,
            db=self.db,
        )


def forward(
    weights: Sequence[FloatArray],
    biases: Sequence[FloatArray],
    activations: Sequence[str],
    x: FloatArray,
    ws: Workspace | None = None,
) -> tuple[list[FloatArray], list[FloatArray]]:
    """Forward pass, eqs. (4)-(6): returns ``z = [z^1..z^L]`` and ``a = [a^0 = x, a^1..a^L]``.

    ``weights[l-1]`` is the paper's ``W^l`` with shape (n_l, n_{l-1}) (eq. 4), ``biases[l-1]`` is
    ``b^l`` with shape (n_l,), ``activations[l-1]`` names σ of layer l (the last one is the output
    activation). Batch-major: eq. (4) ``z^l = W^l a^{l-1} + b^l`` reads
    ``Z^l = A^{l-1} (W^l)^T + b^l`` with one row per sample, one GEMM per layer. ``a`` has one
    more entry than ``z``, so ``a[l]`` is ``a^l``. The results are written into the buffers of
    ``ws`` (``x`` with ``ws.batch`` rows, typically ``ws.x``), or of a workspace allocated for
    this call when ``ws`` is ``None``.
    """
    if ws is None:
        ws = Workspace.allocate(_sizes(weights), x.shape[0], x.dtype)
    z: list[FloatArray] = []
    a: list[FloatArray] = [x]
    for i, (W, b, name) in enumerate(zip(weights, biases, activations, strict=True)):
        z_l = np.matmul(a[-1], W.T, out=ws.z[i])  # eq. (4), batch-major
        z_l += b
        a_l = ACTIVATIONS[name].forward(z_l, ws.a[i], ws.work[i])
        z.append(z_l)
        a.append(a_l)
    return z, a


def _sizes(weights: Sequence[FloatArray]) -> list[int]:
    """``[n_0, ..., n_L]`` from the shapes of ``W^1..W^L``."""
    return [int(weights[0].shape[1]), *(int(W.shape[0]) for W in weights)]


def backward(
    weights: Sequence[FloatArray],
    activations: Sequence[str],
    cost: str,
    z: Sequence[FloatArray],
    a: Sequence[FloatArray],
    y: FloatArray,
    scale: float | None = None,
    ws: Workspace | None = None,
) -> tuple[list[FloatArray], list[FloatArray]]:
    """Back-propagation: ``dW, db`` of ``scale · Σ_i C_i`` (default ``scale = 1/N``: batch mean).

    The pure lower-level entry point for the harness and the mutation tests: no input checks, no
    state; arrays must share one float dtype. The results are the ``dW``/``db`` buffers of ``ws``
    (overwritten by the next call), or of a workspace allocated for this call.

    ``z``, ``a`` are ``forward``'s caches (``a[0] = x``), ``y`` the targets (batch, n_L). Steps:

    - δ^L = ∂C_i/∂z^L per sample from ``deltas.output_delta`` (eq. 32 with σ'(z^L), not σ'(a^L);
      fused forms such as eq. 39), then multiplied by ``scale`` once so every GEMM below yields the
      batch mean (or, in training, the SGD step ``η/N · Σ_i``) directly;
    - ∂C/∂W^l = (δ^l)^T a^{l-1}: one GEMM summing over the batch (eqs. 33, 36; eq. 36 misses the
      transpose);
    - ∂C/∂b^l = Σ_i δ^l_i (eqs. 34, 37, which print W for b);
    - δ^{l-1} = (δ^l W^l) ⊙ σ'(z^{l-1}) (eq. 35, batch-major), σ' from the cached z and a.
    """
    L = len(weights)
    if not (len(z) == L and len(a) == L + 1 and len(activations) == L):
        raise ValueError(
            f"z, a, activations: expected {L}, {L + 1}, {L} entries, "
            f"got {len(z)}, {len(a)}, {len(activations)}"
        )
    n = y.shape[0]
    s = 1.0 / n if scale is None else scale
    if ws is None:
        ws = Workspace.allocate(_sizes(weights), n, y.dtype)
    dW: list[FloatArray] = [np.empty(0)] * L
    db: list[FloatArray] = [np.empty(0)] * L

    # δ^L, per sample, then scaled (eqs. 31/32/39 and deltas.py)
    delta = output_delta(activations[-1], cost, z[-1], a[-1], y, ws.delta[-1])
    delta *= s
    for layer in range(L, 0, -1):  # the paper's l = L..1; list index i = l - 1
        i = layer - 1
        # eqs. (33)/(36): (δ^l)^T a^{l-1}, summed over the batch
        dW[i] = matmul_into(delta.T, a[i], ws.dW[i])
        db[i] = col_sum(delta, out=ws.db[i])  # eqs. (34)/(37): Σ over the batch
        if layer > 1:
            # eq. (35): δ^{l-1} = (δ^l W^l) ⊙ σ'(z^{l-1})
            derivative = ACTIVATIONS[activations[i - 1]].derivative
            assert derivative is not None  # hidden activations are elementwise
            delta_prev = np.matmul(delta, weights[i], out=ws.delta[i - 1])
            delta_prev *= derivative(z[i - 1], a[i], ws.work[i - 1])
            delta = delta_prev
    return dW, db


def gradients(
    weights: Sequence[FloatArray],
    biases: Sequence[FloatArray],
    activations: Sequence[str],
    cost: str,
    x: FloatArray,
    y: FloatArray,
) -> tuple[list[FloatArray], list[FloatArray]]:
    """``dW, db`` of the batch-mean cost at ``(x, y)``: ``forward`` then ``backward``.

    No input checks (``MLP.gradients`` validates); arrays must already share one float dtype.
    """
    ws = Workspace.allocate(_sizes(weights), x.shape[0], x.dtype)
    z, a = forward(weights, biases, activations, x, ws)
    return backward(weights, activations, cost, z, a, y, ws=ws)
