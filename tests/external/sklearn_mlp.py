"""scikit-learn's own MLP gradients (``_backprop``, ``_loss_grad_lbfgs``) behind the corpus API.

The estimator is fitted for one iteration only to set its attributes (layer count, output
activation, label binarizer, the packing offsets of the L-BFGS solver); the parameters under test
are then written into ``coefs_`` / ``intercepts_`` and sklearn's private gradient is called.
Planted bugs sit where users put their own code next to sklearn's: an overridden
``_compute_loss_grad`` (the per-layer gradient step) or the wrapper converting the result.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from tests.external.adapt import Bug, Case

__all__ = ["BUGS", "UPSTREAM", "cases"]

Arr = np.ndarray[Any, Any]


def _buggy_layer_grad(est: Any, bug: str | None, layer: int, sw_sum: float,
                      activations: list[Arr], deltas: list[Arr], coef_grads: list[Arr],
                      intercept_grads: list[Arr]) -> None:
    """The per-layer step ``dW = (A^T delta + alpha W) / n``, ``db = sum(delta) / n``, bugged."""
    a_in = activations[layer + 1] if bug == "layer_off_by_one" and layer == 1 else (
        activations[layer])
    data = a_in.T @ deltas[layer]
    W = est.coefs_[layer]
    if bug == "alpha_not_averaged":
        coef_grads[layer] = data / sw_sum + est.alpha * W
    elif bug == "alpha_missing":
        coef_grads[layer] = data / sw_sum
    elif bug == "alpha_doubled":
        coef_grads[layer] = (data + 2 * est.alpha * W) / sw_sum
    else:
        coef_grads[layer] = (data + est.alpha * W) / sw_sum
    scale = 1.0 if bug == "intercept_not_averaged" else 1.0 / sw_sum
    intercept_grads[layer] = np.sum(deltas[layer], axis=0) * scale


def _subclass(base: type, bug: str | None) -> type:
    """``base`` with ``_compute_loss_grad`` overridden (the override plants ``bug``)."""

    def _compute_loss_grad(self: Any, layer: int, sw_sum: float, activations: list[Arr],
                           deltas: list[Arr], coef_grads: list[Arr],
                           intercept_grads: list[Arr]) -> None:
        _buggy_layer_grad(self, bug, layer, sw_sum, activations, deltas, coef_grads,
                          intercept_grads)

    if bug is None or bug.startswith("wrapper_"):
        return base
    return type(f"Custom{base.__name__}", (base,), {"_compute_loss_grad": _compute_loss_grad})


def _fitted(est: Any, X: Arr, y: Arr) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return est


def _backprop(est: Any, X: Arr, Y: Arr) -> tuple[float, list[Arr], list[Arr]]:
    n = est.n_layers_ - 1
    activations: list[Any] = [X] + [None] * n
    deltas: list[Any] = [None] * n
    coef_grads: list[Any] = [None] * n
    intercept_grads: list[Any] = [None] * n
    loss, cg, ig = est._backprop(X, Y, None, activations, deltas, coef_grads, intercept_grads)
    return float(loss), cg, ig


def classifier_case(bug: Bug | None) -> Case:
    """MLPClassifier 4-4-4-3 (tanh, softmax, log loss, alpha 0.3): params [coefs_, intercepts_]."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((6, 4))
    labels = np.array([0, 1, 2, 0, 1, 2])
    bug_name = None if bug is None else bug.name
    est = _fitted(_subclass(MLPClassifier, bug_name)(
        hidden_layer_sizes=(4, 4), activation="tanh", alpha=0.3, solver="lbfgs", max_iter=1,
        random_state=0), X, labels)
    ref = _fitted(MLPClassifier(hidden_layer_sizes=(4, 4), activation="tanh", alpha=0.3,
                                solver="lbfgs", max_iter=1, random_state=0), X, labels)
    Y = est._label_binarizer.transform(labels).astype(np.float64)
    params = [[rng.standard_normal(c.shape) for c in est.coefs_],
              [rng.standard_normal(b.shape) for b in est.intercepts_]]

    def run(model: Any, p: Any, wrapper_bug: str | None) -> tuple[float, Any]:
        coefs, intercepts = p
        model.coefs_ = [np.array(c, dtype=np.float64) for c in coefs]
        model.intercepts_ = [np.array(b, dtype=np.float64) for b in intercepts]
        loss, cg, ig = _backprop(model, X, Y)
        cg, ig = list(cg), list(ig)
        if wrapper_bug == "wrapper_transposes_coef":
            cg[1] = cg[1].T  # W^l layout (n_l, n_{l-1}) mixed up with sklearn's (fan_in, fan_out)
        elif wrapper_bug == "wrapper_swaps_intercepts":
            ig[0], ig[1] = ig[1], ig[0]
        return loss, [cg, ig]

    def value_and_grad(p: Any) -> tuple[float, Any]:
        return run(est, p, bug_name)

    def f(p: Any) -> float:
        coefs, intercepts = p
        est.coefs_ = [np.array(c, dtype=np.float64) for c in coefs]
        est.intercepts_ = [np.array(b, dtype=np.float64) for b in intercepts]
        return _backprop(est, X, Y)[0]

    label = "sklearn/classifier" if bug is None else f"sklearn/classifier/{bug.name}"
    return Case(label, params, f, lambda p: value_and_grad(p)[1], value_and_grad, bug,
                lambda p: run(ref, p, None)[1], family="sklearn")


def regressor_case(bug: Bug | None, n_outputs: int = 1) -> Case:
    """MLPRegressor 3-5-n_outputs (logistic, squared error) through ``_loss_grad_lbfgs``.

    Params: the packed float64 vector that scipy's L-BFGS sees (one array).
    """
    rng = np.random.default_rng(7)
    X = rng.standard_normal((8, 3))
    y = rng.standard_normal((8, n_outputs))
    y_fit = y[:, 0] if n_outputs == 1 else y
    bug_name = None if bug is None else bug.name
    kwargs: dict[str, Any] = {"hidden_layer_sizes": (5,), "activation": "logistic",
                              "alpha": 0.2, "solver": "lbfgs", "max_iter": 1, "random_state": 0}
    est = _fitted(_subclass(MLPRegressor, bug_name)(**kwargs), X, y_fit)
    ref = _fitted(MLPRegressor(**kwargs), X, y_fit)
    size = sum(c.size for c in est.coefs_) + sum(b.size for b in est.intercepts_)
    params = rng.standard_normal(size)

    def run(model: Any, p: Arr) -> tuple[float, Arr]:
        n = model.n_layers_ - 1
        loss, grad = model._loss_grad_lbfgs(
            np.array(p, dtype=np.float64), X, y, None, [X] + [None] * n, [None] * n,
            [None] * n, [None] * n,
        )
        return float(loss), np.asarray(grad)

    def value_and_grad(p: Any) -> tuple[float, Any]:
        return run(est, p)

    name = "sklearn/regressor" + ("" if n_outputs == 1 else f"_{n_outputs}_outputs")
    label = name if bug is None else f"{name}/{bug.name}"
    return Case(label, params, lambda p: run(est, p)[0], lambda p: run(est, p)[1],
                value_and_grad, bug, lambda p: run(ref, p)[1], family="sklearn")


_FIRST_INTERCEPT = 3 * 5 + 5 * 1
"""Packed vector of the regressor: coefs (15 + 5), then intercepts (5 + 1)."""

BUGS: dict[str, list[Bug]] = {
    "classifier": [
        Bug("alpha_not_averaged", "L2 term alpha W not divided by n with the data term",
            (0, 0)),
        Bug("alpha_missing", "L2 term alpha W left out of the coefficient gradient", (0, 2)),
        Bug("alpha_doubled", "2 alpha W for a loss of (alpha / 2) ||W||^2", (0, 1)),
        Bug("intercept_not_averaged", "intercept gradient summed over the batch, not averaged",
            (1, 2)),
        Bug("layer_off_by_one", "coefficient gradient of layer 1 from the activations of layer "
            "2 (a^l for a^{l-1}; square layers keep the shape)", (0, 1)),
        Bug("wrapper_transposes_coef", "wrapper hands back coef_grads[1] transposed (layout "
            "(fan_in, fan_out) mixed up with W^l)", (0, 1)),
        Bug("wrapper_swaps_intercepts", "wrapper pairs the intercept gradients of layers 0 and "
            "1 the wrong way round", (1, 0)),
    ],
    "regressor": [
        Bug("intercept_not_averaged", "intercept gradient summed over the batch, not averaged",
            (), (_FIRST_INTERCEPT,)),
        Bug("alpha_missing", "L2 term alpha W left out of the coefficient gradient", (), (0,)),
    ],
}


UPSTREAM = Bug(
    "upstream_multioutput_scale",
    "not planted: scikit-learn's squared-error loss averages over the outputs while "
    "_backprop's gradient sums over them, so with 2 outputs the gradient is twice that of the "
    "loss returned with it (open upstream as scikit-learn issue 8349)",
    (), (_FIRST_INTERCEPT + 5,),
)
"""A real inconsistency in scikit-learn 1.9 that the corpus found; no correct twin exists."""


def upstream_case() -> Case:
    """The 2-output regressor as scikit-learn ships it: its gradient is not its loss's."""
    case = regressor_case(None, n_outputs=2)
    return Case(case.name + "/" + UPSTREAM.name, case.params, case.f, case.grad,
                case.value_and_grad, UPSTREAM, None, family="sklearn")


def cases() -> list[Case]:
    """Classifier: correct + 7 bugs; regressor (packed L-BFGS vector): correct + 2 bugs, and
    scikit-learn's own multi-output inconsistency."""
    out = [classifier_case(None)] + [classifier_case(b) for b in BUGS["classifier"]]
    out += [regressor_case(None)] + [regressor_case(b) for b in BUGS["regressor"]]
    out.append(upstream_case())
    return out
