"""Mini-batch SGD, sec. 5 / Algorithm 1 corrected: one update per mini-batch, with ``History``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mlp.activations import FloatArray
from mlp.backprop import Workspace, backward, forward
from mlp.costs import cost_value

__all__ = ["SCORED_ELEMENTS", "History", "predict_classes", "sgd_epoch"]


@dataclass
class History:
    """Per-epoch record of a ``fit``; entry ``i`` belongs to epoch ``i + 1``.

    ``cost``/``accuracy`` are the training cost and accuracy averaged over the epoch's mini-batches,
    each measured on its batch just before that batch's update (the running mean reported by Keras
    and scikit-learn; it costs no extra forward pass). ``val_cost``/``val_accuracy`` are measured on
    ``validation`` after the epoch (empty without validation). Accuracies are empty for an identity
    (regression) output, which has no classes. ``learning_rate`` is η of each epoch (eq. 23).
    """

    cost: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_cost: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)


SCORED_ELEMENTS = 1 << 16
"""``sgd_epoch`` keeps up to this many entries of ``z^L`` (and of ``a^L``) before scoring them."""


def sgd_epoch(
    weights: Sequence[FloatArray],
    biases: Sequence[FloatArray],
    activations: Sequence[str],
    cost: str,
    x: FloatArray,
    y: FloatArray,
    labels: NDArray[np.intp] | None,
    perm: NDArray[np.intp],
    eta: float,
    ws: Workspace,
) -> tuple[float, float | None]:
    """One epoch of mini-batch SGD in place; returns the running (cost, accuracy or ``None``).

    Visits the samples in the order ``perm`` in batches of ``ws.batch`` rows (the last, smaller
    batch is its own batch). For each batch: forward pass, back-propagation, and the update
    ``W^l -= η ∂C/∂W^l``, ``b^l -= η ∂C/∂b^l`` with the gradient of that batch's mean cost. (The
    paper's Algorithm 1 averages all batch gradients and updates once per epoch, outside the batch
    loop: that is full-batch gradient descent, not SGD.)

    Fast path: the ``Workspace`` is allocated once per fit (the last batch uses row views of it),
    batches are gathered with ``np.take(..., out=)``, and ``η/N`` is folded into δ^L so
    ``backward`` returns the update itself. ``labels`` (class per sample) feed the running accuracy.
    The running cost and accuracy are computed from each batch's kept ``z^L``, ``a^L`` in bulk
    (``SCORED_ELEMENTS``), the same values as batch by batch up to the order of summation.
    """
    n = x.shape[0]
    output = activations[-1]
    cost_sum = 0.0
    correct = 0
    # Each batch's z^L and a^L (before its update) are kept and scored in bulk: one cost and
    # one arg-max per SCORED_ELEMENTS outputs instead of a dozen small calls per batch.
    n_out = ws.a[-1].shape[1]
    capacity = min(n, ws.batch * max(1, SCORED_ELEMENTS // (ws.batch * n_out)))
    z_kept = np.empty((capacity, n_out), dtype=x.dtype)
    a_kept = np.empty_like(z_kept)
    kept = first = 0  # rows held; position in perm of the first of them

    def score() -> None:
        nonlocal cost_sum, correct, kept, first
        rows = perm[first : first + kept]
        cost_sum += kept * cost_value(cost, output, z_kept[:kept], a_kept[:kept], y[rows])
        if labels is not None:
            correct += int(np.count_nonzero(predict_classes(a_kept[:kept]) == labels[rows]))
        first, kept = first + kept, 0

    for start in range(0, n, ws.batch):
        idx = perm[start : start + ws.batch]
        m = idx.shape[0]
        wb = ws if m == ws.batch else ws.head(m)
        # idx is a slice of a permutation of range(n), so always in range: mode="clip" skips the
        # temporary copy numpy makes for out= under the default mode="raise" (~3x faster gather)
        np.take(x, idx, axis=0, out=wb.x, mode="clip")
        np.take(y, idx, axis=0, out=wb.y)
        z, a = forward(weights, biases, activations, wb.x, wb)
        if kept + m > capacity:
            score()
        np.copyto(z_kept[kept : kept + m], z[-1])
        np.copyto(a_kept[kept : kept + m], a[-1])
        kept += m
        dW, db = backward(weights, activations, cost, z, a, wb.y, eta / m, wb)
        for W, b, step_W, step_b in zip(weights, biases, dW, db, strict=True):
            W -= step_W  # W^l <- W^l - η ∂C/∂W^l  (η/N is already inside δ^L)
            b -= step_b  # b^l <- b^l - η ∂C/∂b^l
    score()
    return cost_sum / n, (correct / n if labels is not None else None)


def predict_classes(a_L: FloatArray) -> NDArray[np.intp]:
    """Predicted class per row: arg-max, or ``a >= 1/2`` for a single sigmoid output."""
    if a_L.shape[1] == 1:
        return (a_L[:, 0] >= 0.5).astype(np.intp)
    classes: NDArray[np.intp] = np.argmax(a_L, axis=1)
    return classes
