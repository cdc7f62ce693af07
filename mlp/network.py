"""The ``MLP`` class: a multilayer perceptron (sec. 2) trained by back-propagation (sec. 6)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mlp import _validate as v
from mlp import schedules
from mlp.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, FloatArray
from mlp.backprop import Workspace, backward, forward
from mlp.costs import COSTS, cost_value
from mlp.deltas import VALID_PAIRS
from mlp.init import INITS, initialise
from mlp.layout import weight_order
from mlp.training import History, predict_classes, sgd_epoch

__all__ = ["MLP"]


def _quiet() -> np.errstate:
    """Overflow is detected and reported explicitly (``_require_finite``): NumPy stays quiet."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")


def _require_finite(arrays: Sequence[FloatArray], what: str, dtype: np.dtype[Any]) -> None:
    """FloatingPointError if any array holds NaN or ±inf: never a silent NaN."""
    if not all(np.isfinite(arr).all() for arr in arrays):
        raise FloatingPointError(
            f"{what} is not finite: the parameters (weights, biases) or the inputs are too large "
            f"for {dtype.name} (overflow)"
        )


class MLP:
    """Fully connected network ``a^l = σ(W^l a^{l-1} + b^l)`` (eq. 4), batch-major.

    ``layer_sizes = [n_0, ..., n_L]``; ``weights[l-1]`` is ``W^l`` with shape (n_l, n_{l-1}) and
    ``biases[l-1]`` is ``b^l`` with shape (n_l,). ``hidden`` is one activation name for every
    hidden layer or a list with one per hidden layer (sigmoid, tanh, relu, heaviside); ``output`` is
    sigmoid, softmax or identity; ``(output, cost)`` must be in ``VALID_PAIRS``. Everything
    (parameters, buffers, results) is in ``dtype``; inputs are cast once. The cost's name is
    ``cost_name`` (``cost`` is the method that evaluates it).

    Initialisation (``init``, sec. 5.2, see ``mlp.init``) draws from ``default_rng(seed)``. The
    paper's ``"default"`` scheme has variance 1/N_train, the number of training samples: pass
    ``n_train=`` to fix it at construction. Without it the network is drawn with N_train = 1 (the
    same draws as ``"large"``) and, at the first ``fit``, re-drawn from the same seed with
    N_train = len(X), unless the parameters were changed in between (``set_parameters`` or in-place
    edits); ``n_train`` then records the value used.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        hidden: str | Sequence[str] = "sigmoid",
        output: str = "softmax",
        cost: str = "cross_entropy",
        init: str = "default",
        seed: int = 0,
        dtype: Any = "float64",
        n_train: int | None = None,
    ) -> None:
        self.layer_sizes: tuple[int, ...] = tuple(v.check_layer_sizes(layer_sizes))
        n_hidden = len(self.layer_sizes) - 2
        if isinstance(hidden, str):
            names = [hidden] * n_hidden
            if hidden in ACTIVATIONS and hidden not in HIDDEN_ACTIVATIONS:
                raise ValueError(
                    f"hidden: {hidden!r} can only be an output activation; "
                    f"expected one of {sorted(HIDDEN_ACTIVATIONS)}"
                )
            v.check_name(hidden, HIDDEN_ACTIVATIONS, "hidden")
        elif isinstance(hidden, Sequence):
            names = list(hidden)
            if len(names) != n_hidden:
                raise ValueError(
                    f"hidden: expected one name or a list of {n_hidden} names (one per hidden "
                    f"layer of {list(self.layer_sizes)}), got {len(names)}"
                )
        else:
            raise TypeError(f"hidden: expected a name or a list of names, got {type(hidden)}")
        for i, name in enumerate(names):
            if name in ACTIVATIONS and name not in HIDDEN_ACTIVATIONS:
                raise ValueError(
                    f"hidden[{i}]: {name!r} can only be an output activation; "
                    f"expected one of {sorted(HIDDEN_ACTIVATIONS)}"
                )
            v.check_name(name, HIDDEN_ACTIVATIONS, f"hidden[{i}]")
        self.hidden: tuple[str, ...] = tuple(names)
        self.output: str = v.check_name(output, OUTPUT_ACTIVATIONS, "output")
        self.cost_name: str = v.check_name(cost, COSTS, "cost")
        if (self.output, self.cost_name) not in VALID_PAIRS:
            raise ValueError(
                f"output, cost: {(self.output, self.cost_name)!r} is not a valid pair "
                "(an identity output is unbounded, so ln a^L is undefined: use 'mse'); "
                f"expected one of {sorted(VALID_PAIRS)}"
            )
        if self.output == "softmax" and self.layer_sizes[-1] < 2:
            raise ValueError(
                "layer_sizes: a softmax output needs n_L >= 2 (over one unit it is the "
                "constant 1); use output='sigmoid' for a single output"
            )
        self.init: str = v.check_name(init, INITS, "init")
        self.seed: int = v.check_int(seed, "seed", 0)
        self.dtype: np.dtype[Any] = v.as_dtype(dtype)
        self.n_train: int | None = None if n_train is None else v.check_int(n_train, "n_train", 1)
        self._redraw_at_fit = self.init == "default" and self.n_train is None
        self._fit_calls = 0
        self.weights: list[FloatArray]
        self.biases: list[FloatArray]
        self.weights, self.biases = self._draw(self.n_train or 1)

    # --- parameters ----------------------------------------------------------------------------

    @property
    def activations(self) -> tuple[str, ...]:
        """σ of layers 1..L: the hidden names then the output name."""
        return (*self.hidden, self.output)

    def _draw(self, n_train: int) -> tuple[list[FloatArray], list[FloatArray]]:
        return initialise(self.layer_sizes, self.init, self.seed, self.dtype, n_train)

    def set_parameters(self, weights: Sequence[Any], biases: Sequence[Any]) -> None:
        """Replace every ``W^l`` and ``b^l`` (copied, cast to ``dtype``, checked)."""
        L = len(self.layer_sizes) - 1
        if len(weights) != L or len(biases) != L:
            raise ValueError(
                f"weights, biases: expected {L} of each, got {len(weights)} and {len(biases)}"
            )
        new_W: list[FloatArray] = []
        new_b: list[FloatArray] = []
        for layer in range(1, L + 1):
            n, n_prev = self.layer_sizes[layer], self.layer_sizes[layer - 1]
            W = np.array(weights[layer - 1], dtype=self.dtype, copy=True, order="C")
            b = np.array(biases[layer - 1], dtype=self.dtype, copy=True, order="C")
            if W.shape != (n, n_prev):
                raise ValueError(
                    f"weights[{layer - 1}]: expected W^{layer} shape {(n, n_prev)}, got {W.shape}"
                )
            if b.shape != (n,):
                raise ValueError(
                    f"biases[{layer - 1}]: expected b^{layer} shape {(n,)}, got {b.shape}"
                )
            if not (np.isfinite(W).all() and np.isfinite(b).all()):
                raise ValueError(
                    f"weights[{layer - 1}], biases[{layer - 1}]: expected finite values"
                )
            new_W.append(W)
            new_b.append(b)
        self.weights, self.biases = new_W, new_b
        self._redraw_at_fit = False

    # --- inference -----------------------------------------------------------------------------

    def _x(self, X: object, arg: str = "X") -> FloatArray:
        return v.as_matrix(X, arg, self.dtype, self.layer_sizes[0], f"n_0 = {self.layer_sizes[0]}")

    def _xy(
        self, X: object, Y: object, x_arg: str = "X", y_arg: str = "Y"
    ) -> tuple[FloatArray, FloatArray]:
        x = self._x(X, x_arg)
        y = v.as_matrix(Y, y_arg, self.dtype, self.layer_sizes[-1], f"n_L = {self.layer_sizes[-1]}")
        v.check_same_batch(x, y, x_arg, y_arg)
        return x, y

    def forward(self, X: object) -> FloatArray:
        """Output ``a^L`` (batch, n_L) of eq. (6) for inputs ``X`` (batch, n_0)."""
        x = self._x(X)
        with _quiet():
            _, a = forward(self.weights, self.biases, self.activations, x)
        _require_finite(a[-1:], "forward: a^L", self.dtype)
        return a[-1]

    def predict(self, X: object) -> NDArray[np.intp]:
        """Predicted class per row: arg-max of ``a^L``, or ``a^L >= 1/2`` for one sigmoid output."""
        self._require_classes()
        return predict_classes(self.forward(X))

    def cost(self, X: object, Y: object) -> float:
        """Batch-mean cost, eq. (7) / (9) / (11), with logs taken from the logits ``z^L``."""
        x, y = self._xy(X, Y)
        with _quiet():
            z, a = forward(self.weights, self.biases, self.activations, x)
            c = cost_value(self.cost_name, self.output, z[-1], a[-1], y)
        _require_finite([np.asarray(c)], "cost", self.dtype)
        return c

    def gradients(self, X: object, Y: object) -> tuple[list[FloatArray], list[FloatArray]]:
        """``dW, db`` (aligned with ``weights``/``biases``): gradient of the batch-mean cost."""
        x, y = self._xy(X, Y)
        with _quiet():
            ws = Workspace.allocate(self.layer_sizes, x.shape[0], self.dtype)
            z, a = forward(self.weights, self.biases, self.activations, x, ws)
            dW, db = backward(self.weights, self.activations, self.cost_name, z, a, y, ws=ws)
        _require_finite([*dW, *db], "gradients: dW, db", self.dtype)
        return dW, db

    def _require_classes(self) -> None:
        if self.output == "identity":
            raise ValueError(
                "output: accuracy needs classes, but an identity output is a regression"
            )

    def accuracy(self, X: object, labels: object) -> float:
        """Eq. (24): fraction of rows whose predicted class equals the label.

        ``labels``: int class indices (batch,) or one-hot rows (batch, n_L) (arg-max taken). A
        single sigmoid output is a binary classifier thresholded at 1/2 (labels 0/1).
        """
        self._require_classes()
        x = self._x(X)
        y = v.as_labels(labels, self.layer_sizes[-1], x.shape[0])
        return float(np.mean(predict_classes(self.forward(x)) == y))

    # --- training ------------------------------------------------------------------------------

    def fit(
        self,
        X: object,
        Y: object,
        epochs: int,
        batch_size: int,
        learning_rate: float,
        schedule: str = "constant",
        validation: tuple[object, object] | None = None,
        shuffle: bool = True,
        seed: int | None = None,
    ) -> History:
        """Mini-batch SGD (sec. 5, Algorithm 1 with one update per mini-batch); returns ``History``.

        ``learning_rate`` is η_0; ``schedule`` "constant" or "linear" (eq. 23, epochs i = 1..N).
        Epoch i is shuffled by the i-th ``permutation`` of ``default_rng(seed)``; ``seed=None``
        uses ``default_rng((self.seed, k))`` for the network's k-th ``fit`` call (k = 0, 1, ...), so
        repeated ``fit(epochs=1)`` calls see fresh, reproducible orders. ``shuffle=False`` keeps
        the order. ``validation=(X_val, Y_val)`` (same formats as ``X``, ``Y``) adds per-epoch
        validation cost and accuracy. Trains the parameters in place.

        Divergence (a NaN or infinite cost or parameter after an epoch, typically a learning rate
        far too large) raises ``FloatingPointError`` naming ``learning_rate``, with the parameters
        restored to their values before that epoch: never a silent NaN.
        """
        x, y = self._xy(X, Y)
        epochs = v.check_int(epochs, "epochs", 0)
        batch_size = v.check_int(batch_size, "batch_size", 1)
        eta0 = v.check_positive_float(learning_rate, "learning_rate")
        schedule = v.check_name(schedule, schedules.SCHEDULES, "schedule")
        if not isinstance(shuffle, bool | np.bool_):
            raise TypeError(f"shuffle: expected a bool, got {type(shuffle).__name__}")
        rng_seed = (self.seed, self._fit_calls) if seed is None else v.check_int(seed, "seed", 0)
        val = self._validation_set(validation)
        labels = val_labels = None
        if self.output != "identity":
            labels = v.as_labels(y, self.layer_sizes[-1], y.shape[0], "Y")
            if val is not None:
                val_labels = v.as_labels(
                    val[1], self.layer_sizes[-1], val[1].shape[0], "validation[1]"
                )

        self._resolve_default_init(x.shape[0])
        self._fit_calls += 1
        history = History()
        rng = np.random.default_rng(rng_seed)
        layout = weight_order(self.dtype)
        ws = Workspace.allocate(self.layer_sizes, min(batch_size, x.shape[0]), self.dtype, layout)
        # W^l in the dtype's training layout: the same arrays for "C", copies for "F"
        W_train = [np.asarray(W, order=layout) for W in self.weights]
        order = np.arange(x.shape[0])
        for epoch in range(1, epochs + 1):
            eta = schedules.learning_rate(schedule, eta0, epoch, epochs)
            perm = rng.permutation(x.shape[0]) if shuffle else order
            start = [p.copy() for p in (*self.weights, *self.biases)]
            with _quiet():  # divergence is detected below, not warned about
                c, acc = sgd_epoch(
                    W_train, self.biases, self.activations, self.cost_name, x, y, labels,
                    perm, eta, ws,
                )  # fmt: skip
            for W, W_t in zip(self.weights, W_train, strict=True):
                if W_t is not W:
                    np.copyto(W, W_t)
            self._check_epoch(c, epoch, eta0, start)
            history.cost.append(c)
            history.learning_rate.append(eta)
            if acc is not None:
                history.accuracy.append(acc)
            if val is not None:
                self._record_validation(history, val, val_labels)
        return history

    def _validation_set(
        self, validation: tuple[object, object] | None
    ) -> tuple[FloatArray, FloatArray] | None:
        """``fit``'s ``validation=(X_val, Y_val)`` checked and converted (None: no validation)."""
        if validation is None:
            return None
        if not isinstance(validation, tuple | list) or len(validation) != 2:
            raise TypeError("validation: expected a pair (X_val, Y_val)")
        return self._xy(validation[0], validation[1], "validation[0]", "validation[1]")

    def _record_validation(
        self,
        history: History,
        val: tuple[FloatArray, FloatArray],
        val_labels: NDArray[np.intp] | None,
    ) -> None:
        """After an epoch: validation cost (eq. 7, 9, 11) and accuracy (eq. 24) into ``history``."""
        xv, yv = val
        with _quiet():
            z, a = forward(self.weights, self.biases, self.activations, xv)
            c_val = cost_value(self.cost_name, self.output, z[-1], a[-1], yv)
        _require_finite([np.asarray(c_val)], "validation cost", self.dtype)
        history.val_cost.append(c_val)
        if val_labels is not None:
            history.val_accuracy.append(float(np.mean(predict_classes(a[-1]) == val_labels)))

    def _check_epoch(self, cost: float, epoch: int, eta0: float, start: list[FloatArray]) -> None:
        """After an epoch: a non-finite cost or parameter means SGD diverged; undo that epoch."""
        params = [*self.weights, *self.biases]
        if np.isfinite(cost) and all(np.isfinite(p).all() for p in params):
            return
        for dst, src in zip(params, start, strict=True):
            dst[...] = src
        raise FloatingPointError(
            f"learning_rate: SGD diverged in epoch {epoch} (the cost or the parameters became "
            f"NaN or infinite); learning_rate={eta0!r} is probably too large for this data and "
            f"{self.dtype.name}. The parameters are restored to their values before that epoch."
        )

    def _resolve_default_init(self, n_train: int) -> None:
        """At the first ``fit``: re-draw the ``"default"`` init with N_train = ``n_train``."""
        if not self._redraw_at_fit:
            return
        self._redraw_at_fit = False
        W0, b0 = self._draw(1)
        untouched = all(
            np.array_equal(p, q)
            for p, q in zip([*self.weights, *self.biases], [*W0, *b0], strict=True)
        )
        if untouched:
            self.n_train = n_train
            W, b = self._draw(n_train)
            for dst, src in zip([*self.weights, *self.biases], [*W, *b], strict=True):
                dst[...] = src  # in place: references held by callers stay valid

    def __repr__(self) -> str:
        return (
            f"MLP({list(self.layer_sizes)}, hidden={list(self.hidden)!r}, output={self.output!r}, "
            f"cost={self.cost_name!r}, init={self.init!r}, seed={self.seed}, "
            f"dtype={self.dtype.name!r}, n_train={self.n_train})"
        )
