"""Smaller slips of a line-by-line re-reading: indices, vector notation, gaps in Algorithm 1."""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations.claims import Claim, Method, NumericSpec, Verdict
from derivations.definitions import ce, mse
from derivations.judge import Judgement, judge, make_claim
from derivations.sampling import (
    combine,
    one_hot_sampler,
    probability_sampler,
    uniform_sampler,
    weight_sampler,
)

__all__ = ["slip_claims"]

K = 3
"""Outputs of the concrete vectors (the slips do not depend on K)."""

L = sp.Symbol("L", integer=True, positive=True)


def _layers_sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
    return {L: float(rng.integers(2, 10))}


def _count_claim(
    *,
    id: str,
    ref: str,
    family: str,
    title: str,
    printed: str,
    printed_count: int,
    needed: int,
    what: str,
    corrected_printed: str,
    note: str,
    prose: bool = False,
) -> Claim:
    """A statement that gives ``printed_count`` of something where ``needed`` are required."""
    paper, truth = sp.Integer(printed_count), sp.Integer(needed)
    return make_claim(
        id=id,
        ref=ref,
        family=family,
        title=title,
        printed=printed,
        expected=Verdict.WRONG,
        judgement=judge(paper, truth, [], None),
        method=Method.INSPECTION,
        paper=paper,
        truth=truth,
        corrected=sp.Symbol(what),
        corrected_printed=corrected_printed,
        corrected_prose=prose,
        counterexample={f"{what} printed": float(printed_count), f"{what} needed": float(needed)},
        note=note,
    )


def _network_slips() -> list[Claim]:
    # "an input layer, and L - 1 hidden layers, where L is the total number of layers in addition
    # to an output layer": counting the input layer gives L + 1 layers, not L.
    with_input = 1 + (L - 1) + 1
    without_input = (L - 1) + 1
    j_layers = judge(
        with_input,
        L,
        [L],
        _layers_sample,
        conditional=(without_input, L),
        condition="the input layer is not counted: L counts the layers that have weights "
        "(L − 1 hidden and the output), as eq. 6 has W^1, …, W^L",
    )
    return [
        make_claim(
            id="network.layer_count",
            ref="sec. 2",
            family="network",
            title="'An input layer, and L − 1 hidden layers, where L is the total number of "
            "layers'",
            printed=r"\text{an input layer, and } L - 1 \text{ hidden layers, where } L "
            r"\text{ is the total number of layers in addition to an output layer}",
            expected=Verdict.HOLDS_IF,
            judgement=j_layers,
            paper=with_input,
            truth=L,
            note="Input, L − 1 hidden and one output layer are L + 1 layers. Eq. 6 (W^1 to W^L) "
            "counts only the layers with weights, so L is the number of weight layers.",
        ),
        _count_claim(
            id="network.gradient_indices",
            ref="sec. 2",
            family="network",
            title="∇_{j,W}^l C = ∂C/∂W_j^l: one index on a matrix",
            printed=r"\nabla_{j,W}^l \mathcal{C} = \frac{\partial \mathcal{C}}{\partial W_j^l}",
            printed_count=1,
            needed=2,
            what="indices of W^l",
            corrected_printed=r"\nabla_{jk,W}^l \mathcal{C} = "
            r"\frac{\partial \mathcal{C}}{\partial W_{jk}^l}",
            note="W^l is an n_l × n_{l−1} matrix: a component needs a row j and a column k, as "
            "eq. 25 later writes (∂C/∂W_jk^L). The bias gradient ∂C/∂b_j^l rightly has one.",
        ),
    ]


def _vector_cost_slips() -> list[Claim]:
    a = sp.Matrix(sp.symbols(f"a1:{K + 1}", positive=True))
    y = sp.Matrix(sp.symbols(f"y1:{K + 1}", real=True))
    variables = [*a, *y]
    sample = combine(probability_sampler(list(a)), one_hot_sampler(list(y)))
    out: list[Claim] = []
    for cid, ref, title, printed, elementwise, cost, result, reading, note in (
        (
            "costs.mse.derivative.vector_square",
            "sec. 6.1",
            "∂/∂a (½ (a^L − y)²) = a^L − y: the square of a vector",
            r"\frac{\partial}{\partial \mathbf{a}^L}\left(\frac{1}{2}(\mathbf{a}^L - "
            r"\mathbf{y})^2\right) = \mathbf{a}^L - \mathbf{y}",
            (a - y).applyfunc(lambda e: e**2 / 2),
            mse(a, y),
            a - y,
            "(a^L − y)² is read as the squared norm ‖a^L − y‖² of eq. 8",
            "The square of a column vector is undefined; read elementwise it is a vector whose "
            "derivative is the K × K matrix diag(a − y), not the vector a − y. The result "
            "(eq. 29) is the gradient of ½‖a − y‖², the cost of eq. 8.",
        ),
        (
            "costs.ce.derivative.vector_product",
            "sec. 6.2",
            "∂/∂a (−y ln a^L) = −y/a^L: a product of two vectors",
            r"\frac{\partial}{\partial \mathbf{a}^L}(-\mathbf{y}\ln \mathbf{a}^L) = "
            r"-\frac{\mathbf{y}}{\mathbf{a}^L}",
            -y.multiply_elementwise(a.applyfunc(sp.log)),
            ce(a, y),
            -y.multiply_elementwise(a.applyfunc(lambda e: 1 / e)),
            "−y ln a^L is read as the inner product −y · ln a^L = −Σ_k y_k ln a_k of eq. 10",
            "The product of two column vectors is undefined; read elementwise it is a vector "
            "whose derivative is the matrix diag(−y/a). The result (eq. 30) is the gradient of "
            "the inner product −Σ_k y_k ln a_k, the cost of eq. 10.",
        ),
    ):
        as_printed = elementwise.jacobian(list(a))
        gradient = sp.Matrix([sp.diff(cost, v) for v in a])
        j = judge(
            as_printed,
            result,
            variables,
            sample,
            conditional=(gradient, result),
            condition=reading,
        )
        out.append(
            make_claim(
                id=cid,
                ref=ref,
                family="costs",
                title=title,
                printed=printed,
                expected=Verdict.HOLDS_IF,
                judgement=j,
                paper=as_printed,
                truth=result,
                note=note,
                numeric=NumericSpec(
                    variables=tuple(variables),
                    definition=cost,
                    wrt=tuple(a),
                    paper=gradient,
                    truth=result,
                    sample=sample,
                ),
            )
        )
    return out


def _algorithm_slips() -> list[Claim]:
    w, g, eta = sp.symbols("W g eta", real=True)

    update_sample = combine(weight_sampler([w, g]), uniform_sampler([eta], 0.01, 0.9))

    printed_update = w - g  # step 10: "update weights W^l ... with these averages"
    sgd_update = w - eta * g
    return [
        make_claim(
            id="training.algorithm.learning_rate",
            ref="Algorithm 1",
            family="training",
            title="Step 10 updates W^l and b^l 'with these averages': η is never used",
            printed=r"\text{1: Initialize learning rate } \eta \text{; 10: update weights } W^l "
            r"\text{ and biases } b^l \text{ with these averages}",
            expected=Verdict.WRONG,
            judgement=judge(printed_update, sgd_update, [w, g, eta], update_sample),
            method=Method.INSPECTION,
            paper=printed_update,
            truth=sgd_update,
            corrected=sgd_update,
            corrected_printed=r"W^l \leftarrow W^l - \eta\, \overline{\nabla W^l}, \quad "
            r"b^l \leftarrow b^l - \eta\, \overline{\nabla b^l}",
            note="Step 1 initialises η and step 11 updates it, but no step uses it: read "
            "literally, step 10 moves W by the averaged gradient itself (η = 1), not by η times "
            "it as sec. 5.1 says ('we did so by a learning rate parameter η'). Shown for one "
            "weight W with averaged gradient g.",
            numeric=NumericSpec(
                variables=(w, g, eta),
                definition=sgd_update,
                wrt=(),
                paper=printed_update,
                truth=sgd_update,
                sample=update_sample,
            ),
        ),
        _count_claim(
            id="training.algorithm.initialisation",
            ref="Algorithm 1",
            family="training",
            title="Algorithm 1 has no step that initialises W^l and b^l",
            printed=r"\text{1: Initialize learning rate } \eta\text{. 2: Initialize with input "
            r"data and labels. 3: for } i_{\text{epoch}} \dots",
            printed_count=0,
            needed=1,
            what="initialisation steps for W and b",
            corrected_printed="Add a step before the epoch loop: initialise every W^l and b^l "
            "(sec. 5.2: 'large' or 'default').",
            prose=True,
            note="The forward pass of step 7 needs W^l and b^l, and sec. 5.2 describes two ways "
            "to draw them, but the algorithm never does.",
        ),
    ]


def _accuracy_slip() -> Claim:
    t, y_label = sp.symbols("t y", integer=True, nonnegative=True)
    # As printed, I(t_i = y_i) with y_i the one-hot label vector of sec. 3: a class index against
    # a vector is never equal. Read with y_i as the class index (argmax), it is the usual count.
    j = Judgement(
        Verdict.HOLDS_IF,
        Method.INSPECTION,
        None,
        None,
        "y_i is read as the class index of sample i (the argmax of its one-hot label), and t_i "
        "as the predicted class (the argmax of a^L)",
        "inspection",
    )
    return make_claim(
        id="training.accuracy.labels",
        ref="eq. 24",
        family="training",
        title="I(t_i = y_i): the prediction against a label that is a one-hot vector elsewhere",
        printed=r"I(t_i = y_i)",
        expected=Verdict.HOLDS_IF,
        judgement=j,
        paper=sp.Eq(t, y_label),
        truth=sp.Eq(t, y_label),
        note="Everywhere else y_i is the label vector (one-hot, Σ_k y_k = 1); a predicted "
        "class t_i cannot equal a vector. Eq. 24 counts correct predictions once both are "
        "class indices.",
    )


def _layer_label_slip() -> Claim:
    printed, meant = L - 1, L
    return make_claim(
        id="backprop.sec631.layer_labels",
        ref="sec. 6.3.1",
        family="backprop",
        title="'For the L − 1 layer we get ∂C/∂W^L', 'for the L − 2 layer ... ∂C/∂W^{L−1}'",
        printed=r"\text{Using this, for the } L - 1 \text{ layer we get } "
        r"\frac{\partial \mathcal{C}}{\partial W^L} = \delta^L \mathbf{a}^{L-1}",
        expected=Verdict.WRONG,
        judgement=judge(printed, meant, [L], _layers_sample),
        method=Method.INSPECTION,
        paper=printed,
        truth=meant,
        corrected=meant,
        corrected_printed="'For the layer L we get ∂C/∂W^L = δ^L (a^{L−1})^T', and 'for the "
        "layer L − 1' for the gradients of W^{L−1} and b^{L−1}.",
        corrected_prose=True,
        note="Both labels are one layer off: the gradients that follow are those of W^L, b^L "
        "and then of W^{L−1}, b^{L−1} (the formulas themselves are judged in their own entries).",
    )


def slip_claims() -> list[Claim]:
    """Claims for the smaller slips (sec. 2, 6.1, 6.2, 6.3.1, Algorithm 1, eq. 24)."""
    return [
        *_network_slips(),
        *_vector_cost_slips(),
        *_algorithm_slips(),
        _accuracy_slip(),
        _layer_label_slip(),
    ]
