"""Backprop recurrence, eq. (32)–(37), and the sec. 6.3.1 displays vs sympy.diff of eq. (6)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sympy as sp

from derivations.claims import Claim, Method, NumericSpec, Step, Verdict
from derivations.definitions import mse, softmax
from derivations.equivalence import ShapeError, decide
from derivations.judge import Judgement, judge, judge_chain, make_claim
from derivations.network import (
    CONCRETE,
    SIGMOID,
    Network,
    as_subs,
    network,
    product,
    sigma,
    sigma_f,
    sigma_prime,
)
from derivations.sampling import weight_sampler

__all__ = ["READING", "backprop_claims", "sec631_claims"]

READING = (
    "componentwise reading announced in sec. 6.3 ('we will mostly ignore that we are dealing "
    "with vectors and matrices'): δ is a row vector (δ W is (W^T δ)^T), juxtaposition with "
    "σ'(z) or a^L(1 − a^L) is the Hadamard product, and a trailing a^{l−1} is the outer "
    "product δ^T (a^{l−1})^T (∂C/∂W_jk = δ_j a_k)"
)
"""Side condition under which the sec. 6.3.1 displays hold."""


_s = sp.Symbol("s", positive=True)
SIGMOID_PRIME_IN_S = sp.factor(
    sp.diff(SIGMOID(_s), _s).subs(sp.exp(-_s), (1 - sp.Symbol("u")) / sp.Symbol("u"))
).subs(sp.Symbol("u"), _s)
"""σ_sig'(z) written in s = σ_sig(z): sympy.diff of eq. (13), with e^{−z} = (1 − s)/s."""


def _output_sigmoid(net: Network) -> sp.Matrix:
    """Symbols sL_k standing for σ_sig(z^L_k) (each in (0, 1); z^L_k = logit(sL_k))."""
    return sp.Matrix(net.y.rows, 1, lambda r, _c: sp.Symbol(f"sL_{r + 1}", positive=True))


def _sig(expr: Any) -> Any:
    """Specialise the output activation to the sigmoid (sec. 6.3.1), polynomially.

    σ_f(z^L_k) becomes the symbol sL_k and σ_f'(z^L_k) becomes SIGMOID_PRIME_IN_S at sL_k:
    both derived from eq. (13), so the displays reduce to polynomials (no exp to cancel).
    """
    net = network()
    S = _output_sigmoid(net)
    index = {z: k for k, z in enumerate(net.Z[net.L])}

    def is_output_derivative(e: Any) -> bool:
        return isinstance(e, sp.Subs) and e.expr.has(sigma_f) and e.point[0] in index

    expr = expr.replace(
        is_output_derivative, lambda e: SIGMOID_PRIME_IN_S.subs(_s, S[index[e.point[0]]])
    )
    return expr.xreplace({sigma_f(z): S[k] for z, k in index.items()})


def _sig_variables(net: Network) -> list[sp.Symbol]:
    L = net.L
    return [v for v in net.z_variables if v not in set(net.Z[L])] + list(_output_sigmoid(net))


def _sig_sample(rng: Any) -> dict[sp.Symbol, float]:
    net = network()
    point = net.sample_z(rng)
    for z in net.Z[net.L]:
        point.pop(z)
    for s in _output_sigmoid(net):
        point[s] = float(rng.uniform(0.02, 0.98))
    return point


def _flat_row(m: sp.Matrix) -> sp.Matrix:
    return m.reshape(1, m.rows * m.cols)


def _counterexample(net: Network, j: Judgement) -> Judgement:
    """Express a z-form counterexample as a network point (x, W, b, y; tanh/sigmoid)."""
    if j.counterexample is None or not any(k.startswith("Z") for k in j.counterexample):
        return j
    point = dict(j.counterexample)
    for k, s in enumerate(_output_sigmoid(net)):
        if str(s) in point:  # z^L = logit(σ(z^L))
            p = point.pop(str(s))
            point[str(net.Z[net.L][k])] = float(sp.log(p / (1 - p)))
    point = net.z_to_bias(point)
    return Judgement(j.verdict, j.method, j.residual, point, j.condition, j.detail)


def _judge(net: Network, paper: Any, truth: Any, **kwargs: Any) -> Judgement:
    j = judge(paper, truth, net.z_variables, net.sample_z, functions=CONCRETE, **kwargs)
    return _counterexample(net, j)


def _judge_sig(net: Network, paper: Any, truth: Any, **kwargs: Any) -> Judgement:
    j = judge(paper, truth, _sig_variables(net), _sig_sample, functions=CONCRETE, **kwargs)
    return _counterexample(net, j)


def _spec(
    net: Network, paper: Any, truth: Any, wrt: sp.Matrix, *, sigmoid_out: bool = False
) -> NumericSpec:
    """Build the concrete instance (σ = tanh, σ_f = sigmoid) in the primitive variables.

    Paper and truth are flattened to a gradient column over ``wrt``.
    """
    back = {s: sigma_f(z) for s, z in zip(_output_sigmoid(net), net.Z[net.L], strict=True)}

    def concrete(e: Any) -> Any:
        return net.concrete(e.xreplace(back))

    column = sp.Matrix(list(wrt))
    shape = (len(column), 1)
    return NumericSpec(
        variables=tuple(net.parameters),
        definition=_concrete_cost(),
        wrt=tuple(column),
        paper=concrete(sp.Matrix(list(paper)).reshape(*shape)),
        truth=concrete(sp.Matrix(list(truth)).reshape(*shape)),
        sample=weight_sampler(net.parameters),
    )


@functools.cache
def _concrete_cost() -> sp.Expr:
    """Eq. (8) of the composed network with σ = tanh, σ_f = sigmoid (primitive variables)."""
    net = network()
    cost_z = sp.Rational(1, 2) * sp.Add(
        *[(net.a[net.L][r] - net.y[r]) ** 2 for r in range(net.y.rows)]
    )
    return net.concrete(cost_z)


def _jacobian_chain(net: Network, layer: int) -> tuple[sp.Matrix, sp.Matrix]:
    """The printed chain-rule products for ∂C/∂W^layer: (short form, fully expanded form).

    Each factor is a Jacobian computed by sympy.diff; the product is reshaped to W's shape.
    """
    L = net.L
    A = sp.Matrix(sp.symbols(f"A1:{net.y.rows + 1}", real=True))
    cost_a = sp.Rational(1, 2) * sp.Add(*[(A[r] - net.y[r]) ** 2 for r in range(A.rows)])
    dC_da = sp.Matrix([[sp.diff(cost_a, v) for v in A]]).subs(dict(zip(A, net.a[L], strict=True)))
    da_dz = {k: net.a[k].jacobian(list(net.Z[k])) for k in range(1, L + 1)}
    dz_da = {k: net.W[k] for k in range(2, L + 1)}  # jacobian of W^k a^{k-1} + b^k in a^{k-1}
    Wl = net.W[layer]
    flat = list(Wl)
    dzl_dW = net.z_form[layer].jacobian(flat)
    # z^L as a function of W^layer through the intermediate layers (short form of the chain).
    e = net.z_form[layer]
    for k in range(layer, L):  # a^k = σ(z^k) is a hidden layer for every k < L
        e = net.W[k + 1] * e.applyfunc(sigma) + net.b[k + 1]
    dzL_dW = net.to_z(e.jacobian(flat))
    short = dC_da * da_dz[L] * dzL_dW
    long = dC_da * da_dz[L]
    for k in range(L, layer, -1):
        long = long * dz_da[k] * da_dz[k - 1]
    long = long * dzl_dW
    return as_subs(short.reshape(Wl.rows, Wl.cols)), as_subs(long.reshape(Wl.rows, Wl.cols))


def sec631_claims() -> list[Claim]:
    """The displayed equations of sec. 6.3.1 (MSE cost, sigmoid output, L = 3)."""
    net = network()
    L, y, W = net.L, net.y, net.W
    aL = _sig(net.a[L])
    a = {layer: net.a[layer] for layer in range(L)}
    dW = {layer: _sig(net.dW[layer]) for layer in net.dW}
    db = {layer: _sig(net.db[layer]) for layer in net.db}
    sp_ = {layer: net.sigma_prime(layer) for layer in range(1, L)}
    deltaL = (aL - y).multiply_elementwise(aL).multiply_elementwise(sp.ones(*aL.shape) - aL)
    # Row readings (see READING), built from the printed factors left to right.
    rowL = deltaL.T
    row_Lm1 = (rowL * W[L]).multiply_elementwise(sp_[L - 1].T)
    row_Lm2 = (row_Lm1 * W[L - 1]).multiply_elementwise(sp_[L - 2].T)
    true_row = {layer: db[layer].T for layer in db}
    out: list[Claim] = []

    def add(
        id: str,
        title: str,
        printed: str,
        strict: Any,
        reading: Any,
        truth: sp.Matrix,
        wrt: sp.Matrix,
        note: str = "",
        steps: Sequence[Step] = (),
        chain: Judgement | None = None,
    ) -> None:
        if strict is None:
            j = _judge_sig(net, reading, truth)
        else:
            j = _judge_sig(net, strict, truth, conditional=(reading, truth), condition=READING)
        if chain is not None:
            j = chain
        expected = Verdict.HOLDS if strict is None else Verdict.HOLDS_IF
        out.append(
            make_claim(
                id=id,
                ref="sec. 6.3.1",
                family="backprop" if "backprop" in id else "deltas",
                title=title,
                printed=printed,
                expected=expected,
                judgement=j,
                paper=strict if strict is not None else reading,
                truth=truth,
                steps=tuple(steps),
                note=note,
                numeric=_spec(net, reading, truth, wrt),
                extra={"reading": reading} if strict is not None else {},
            )
        )

    # Display A: ∂C/∂W^L, two lines.
    d_vec = db[L]  # (∂C/∂a ⊙ ∂a/∂z) computed from its factors = δ^L by the chain rule
    outer_A = deltaL * a[L - 1].T
    strict_A = product(("((a^L−y)⊙a^L(1−a^L))", deltaL), ("a^{L−1}", a[L - 1]))
    stepsA, chainA = judge_chain(
        [
            (
                product(("(∂C/∂a ⊙ ∂a/∂z)", d_vec), ("∂z/∂W = a^{L−1}", a[L - 1])),
                {"conditional": (d_vec * a[L - 1].T, dW[L]), "condition": READING},
            ),
            (strict_A, {"conditional": (outer_A, dW[L]), "condition": READING}),
        ],
        dW[L],
        _sig_variables(net),
        _sig_sample,
        functions=CONCRETE,
    )
    add(
        "deltas.mse_sigmoid.dW_L",
        "∂C/∂W^L = ((a^L − y) ⊙ a^L(1 − a^L)) a^{L−1}",
        r"\frac{\partial C}{\partial W^L} = \left((\mathbf{a}^L - \mathbf{y}) \odot "
        r"\mathbf{a}^L(1 - \mathbf{a}^L)\right)\mathbf{a}^{L-1}",
        strict_A,
        outer_A,
        dW[L],
        W[L],
        steps=stepsA,
        chain=_counterexample(net, chainA),
        note="As a matrix product of two column vectors it is undefined; it holds as the outer "
        "product (the transpose appears only in eq. 33).",
    )
    # Display B: ∂C/∂b^L.
    stepsB, chainB = judge_chain(
        [d_vec, deltaL], db[L], _sig_variables(net), _sig_sample, functions=CONCRETE
    )
    add(
        "deltas.mse_sigmoid.db_L",
        "∂C/∂b^L = ((a^L − y) ⊙ a^L(1 − a^L)) × 1",
        r"\frac{\partial C}{\partial \mathbf{b}^L} = \left((\mathbf{a}^L - \mathbf{y}) \odot "
        r"\mathbf{a}^L(1 - \mathbf{a}^L)\right) \times 1",
        None,
        deltaL,
        db[L],
        net.b[L],
        steps=stepsB,
        chain=chainB,
    )
    # Display C: ∂C/∂W^{L−1}, three lines (two chain-rule products, then the formula).
    short, long = _jacobian_chain(net, L - 1)
    short, long = _sig(short), _sig(long)
    strict_C = product(
        ("(a^L−y)", aL - y),
        ("a^L", aL),
        ("(1−a^L)", sp.ones(*aL.shape) - aL),
        ("W^L", W[L]),
        ("σ'(z^{L−1})", sp_[L - 1]),
        ("a^{L−2}", a[L - 2]),
    )
    reading_C = row_Lm1.T * a[L - 2].T
    stepsC, chainC = judge_chain(
        [short, long, (strict_C, {"conditional": (reading_C, dW[L - 1]), "condition": READING})],
        dW[L - 1],
        _sig_variables(net),
        _sig_sample,
        functions=CONCRETE,
    )
    add(
        "backprop.sec631.dW_Lminus1.derivation",
        "∂C/∂W^{L−1}: chain rule, then (a^L − y) a^L(1 − a^L) W^L σ'(z^{L−1}) a^{L−2}",
        r"\frac{\partial C}{\partial W^{L-1}} = \dots = (\mathbf{a}^L - \mathbf{y})\mathbf{a}^L"
        r"(1 - \mathbf{a}^L) W^L \sigma'_{\text{sig}}(\mathbf{z}^{L-1})\mathbf{a}^{L-2}",
        strict_C,
        reading_C,
        dW[L - 1],
        W[L - 1],
        steps=stepsC,
        chain=_counterexample(net, chainC),
        note="Lines 1–2 (products of Jacobians computed by sympy.diff, contracted as matrices) "
        "hold as printed; line 3 needs the componentwise reading.",
    )
    # Display E: ∂C/∂W^L = δ^L a^{L−1}, ∂C/∂b^L = δ^L ("for the L − 1 layer", sic).
    add(
        "backprop.sec631.dW_L",
        "∂C/∂W^L = δ^L a^{L−1}",
        r"\frac{\partial C}{\partial W^L} = \delta^L\mathbf{a}^{L-1}",
        product(("δ^L", deltaL), ("a^{L−1}", a[L - 1])),
        outer_A,
        dW[L],
        W[L],
        note="The text introduces this as 'for the L − 1 layer'; it is layer L.",
    )
    add(
        "backprop.sec631.db_L",
        "∂C/∂b^L = δ^L",
        r"\frac{\partial C}{\partial \mathbf{b}^L} = \delta^L",
        None,
        deltaL,
        db[L],
        net.b[L],
    )
    # Display F: layer L − 1 ("for the L − 2 layer", sic).
    add(
        "backprop.sec631.dW_Lminus1",
        "∂C/∂W^{L−1} = δ^L W^L σ'(z^{L−1}) a^{L−2}",
        r"\frac{\partial C}{\partial W^{L-1}} = \delta^L W^L \sigma'_{\text{sig}}"
        r"(\mathbf{z}^{L-1})\mathbf{a}^{L-2}",
        product(("δ^L", deltaL), ("W^L", W[L]), ("σ'(z^{L−1})", sp_[L - 1]), ("a^{L−2}", a[L - 2])),
        reading_C,
        dW[L - 1],
        W[L - 1],
        note="The text introduces this as 'for the L − 2 layer'; it is layer L − 1.",
    )
    add(
        "backprop.sec631.db_Lminus1",
        "∂C/∂b^{L−1} = δ^L W^L σ'(z^{L−1})",
        r"\frac{\partial C}{\partial \mathbf{b}^{L-1}} = \delta^L W^L \sigma'_{\text{sig}}"
        r"(\mathbf{z}^{L-1})",
        product(("δ^L", deltaL), ("W^L", W[L]), ("σ'(z^{L−1})", sp_[L - 1])),
        row_Lm1.T,
        db[L - 1],
        net.b[L - 1],
    )
    # Display G: ∂C/∂W^{L−2}, two lines.
    _, long2 = _jacobian_chain(net, L - 2)
    reading_G = row_Lm2.T * a[L - 3].T
    strict_G = product(
        ("δ^L", deltaL),
        ("W^L", W[L]),
        ("σ'(z^{L−1})", sp_[L - 1]),
        ("W^{L−1}", W[L - 1]),
        ("σ'(z^{L−2})", sp_[L - 2]),
        ("a^{L−3}", a[L - 3]),
    )
    stepsG, chainG = judge_chain(
        [_sig(long2), (strict_G, {"conditional": (reading_G, dW[L - 2]), "condition": READING})],
        dW[L - 2],
        _sig_variables(net),
        _sig_sample,
        functions=CONCRETE,
    )
    add(
        "backprop.sec631.dW_Lminus2.derivation",
        "∂C/∂W^{L−2} = δ^L W^L σ'(z^{L−1}) W^{L−1} σ'(z^{L−2}) a^{L−3}",
        r"\frac{\partial C}{\partial W^{L-2}} = \dots = \delta^L W^L \sigma'_{\text{sig}}"
        r"(\mathbf{z}^{L-1}) W^{L-1}\sigma'_{\text{sig}}(\mathbf{z}^{L-2})\mathbf{a}^{L-3}",
        strict_G,
        reading_G,
        dW[L - 2],
        W[L - 2],
        steps=stepsG,
        chain=_counterexample(net, chainG),
    )
    # Display H: δ^{L−1}, δ^{L−2} (each judged with the true δ of the layer above).
    add(
        "backprop.sec631.delta_Lminus1",
        "δ^{L−1} = δ^L W^L σ'(z^{L−1})",
        r"\delta^{L-1} = \delta^L W^L \sigma'_{\text{sig}}(\mathbf{z}^{L-1})",
        product(("δ^L", db[L]), ("W^L", W[L]), ("σ'(z^{L−1})", sp_[L - 1])),
        ((true_row[L] * W[L]).multiply_elementwise(sp_[L - 1].T)).T,
        db[L - 1],
        net.b[L - 1],
    )
    add(
        "backprop.sec631.delta_Lminus2",
        "δ^{L−2} = δ^{L−1} W^{L−1} σ'(z^{L−2})",
        r"\delta^{L-2} = \delta^{L-1} W^{L-1} \sigma'_{\text{sig}}(\mathbf{z}^{L-2})",
        product(("δ^{L−1}", db[L - 1]), ("W^{L−1}", W[L - 1]), ("σ'(z^{L−2})", sp_[L - 2])),
        ((true_row[L - 1] * W[L - 1]).multiply_elementwise(sp_[L - 2].T)).T,
        db[L - 2],
        net.b[L - 2],
    )
    # Display I: ∂C/∂W^{L−1} = δ^{L−1} a^{L−2}, ∂C/∂W^{L−2} = δ^{L−2} a^{L−3}.
    for layer, label in ((L - 1, "Lminus1"), (L - 2, "Lminus2")):
        k = L - layer
        add(
            f"backprop.sec631.dW_{label}.delta_form",
            f"∂C/∂W^{{L−{k}}} = δ^{{L−{k}}} a^{{L−{k + 1}}}",
            rf"\frac{{\partial C}}{{\partial W^{{L-{k}}}}} = \delta^{{L-{k}}}"
            rf"\mathbf{{a}}^{{L-{k + 1}}}",
            product((f"δ^{{L−{k}}}", db[layer]), (f"a^{{L−{k + 1}}}", a[layer - 1])),
            db[layer] * a[layer - 1].T,
            dW[layer],
            W[layer],
        )
    return out


def _softmax_delta_checked() -> str:
    """Check δ^L = J_sm(z)^T ∇_a C against sympy.diff (K = 3, MSE); say what the Hadamard gives."""
    z = sp.Matrix(sp.symbols("z1:4", real=True))
    y = sp.Matrix(sp.symbols("y1:4", real=True))
    a = softmax(z)
    grad = a - y  # ∇_a C for MSE (eq. 29)
    jac = a.jacobian(list(z))
    truth = sp.Matrix([sp.diff(mse(a, y), q) for q in z])
    if not decide(jac.T * grad, truth, [*z, *y]).equal:
        raise RuntimeError("δ^L = J^T ∇_a C does not match sympy.diff for softmax")
    diagonal = grad.multiply_elementwise(sp.Matrix([jac[r, r] for r in range(3)]))
    if decide(diagonal, truth, [*z, *y]).equal:
        raise RuntimeError("the Hadamard form with the Jacobian diagonal should fail for softmax")
    return "; the Hadamard product with the Jacobian diagonal is wrong there"


def backprop_claims() -> list[Claim]:
    """Eq. (32)–(37): the summary equations, judged as printed with column vectors."""
    net = network()
    L, y, W, a, dW, db = net.L, net.y, net.W, net.a, net.dW, net.db
    out: list[Claim] = []
    # eq. 32
    paper32 = (a[L] - y).multiply_elementwise(a[L].applyfunc(lambda e: sigma_prime(sigma_f, e)))
    corrected32 = (a[L] - y).multiply_elementwise(net.sigma_prime(L))
    _require(net, corrected32, db[L], "eq. 32 corrected")
    out.append(
        make_claim(
            id="backprop.delta_output",
            ref="eq. 32",
            family="backprop",
            title="δ^L = ∇_a C ⊙ σ'(a^L)",
            printed=r"\delta^L = \nabla_{\mathbf{a}}^L \mathcal{C} \odot \sigma'(\mathbf{a}^L)",
            expected=Verdict.WRONG,
            judgement=_judge(net, paper32, db[L]),
            paper=paper32,
            truth=db[L],
            corrected=corrected32,
            corrected_printed=r"\delta^L = \nabla_{\mathbf{a}}\mathcal{C} \odot "
            r"\sigma'(\mathbf{z}^L) \text{ for an elementwise output activation; for softmax "
            r"} \delta^L = J_{\text{sm}}(\mathbf{z}^L)^T \nabla_{\mathbf{a}}\mathcal{C}",
            note="Two corrections. σ' must be evaluated at z^L, not at a^L = σ(z^L) (sec. 6.3.1 "
            "and eq. 35 use z); counterexample with σ_f = sigmoid, σ = tanh. And the Hadamard "
            "form needs an elementwise output activation, a condition the text states for eq. "
            "35 only: for softmax ∂a/∂z is the full Jacobian J_sm and δ^L = J_sm^T ∇_a C "
            f"(checked against sympy.diff at K = 3 with MSE{_softmax_delta_checked()}).",
            numeric=_spec(net, paper32, db[L], net.b[L]),
            extra={"corrected_checked": True},
        )
    )
    # eq. 33
    paper33 = db[L] * a[L - 1].T
    out.append(
        make_claim(
            id="backprop.dW_output",
            ref="eq. 33",
            family="backprop",
            title="∂C/∂W^L = δ^L (a^{L−1})^T",
            printed=r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial W^L} = \delta^L "
            r"(\mathbf{a}^{L-1})^T",
            expected=Verdict.HOLDS,
            judgement=_judge(net, paper33, dW[L]),
            paper=paper33,
            truth=dW[L],
            note="δ^L taken as the true ∂C/∂b^L, so eq. 32's slip is not counted twice.",
            numeric=_spec(net, paper33, dW[L], W[L]),
        )
    )
    # eq. 34 and 37: a bias gradient printed under ∂C/∂W.
    for ref, cid, l_paper, title, printed, fixed in (
        (
            "eq. 34",
            "backprop.db_output",
            L,
            "∂C/∂W^l = δ^L (printed W^l for b^L)",
            r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial W^l} = \delta^L",
            r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial \mathbf{b}^L} = \delta^L",
        ),
        (
            "eq. 37",
            "backprop.db_layer",
            L - 1,
            "∂C/∂W^l = δ^l (printed W for b)",
            r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial W^l} = \delta^l",
            r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial \mathbf{b}^l} = \delta^l",
        ),
    ):
        j = _judge(net, db[l_paper], dW[l_paper])
        out.append(
            make_claim(
                id=cid,
                ref=ref,
                family="backprop",
                title=title,
                printed=printed,
                expected=Verdict.WRONG,
                judgement=j,
                paper=db[l_paper],
                truth=dW[l_paper],
                corrected=sp.Eq(sp.Symbol(f"dC/db{l_paper}"), sp.Symbol(f"delta{l_paper}")),
                corrected_printed=fixed,
                note=f"Left-hand side as printed is ∂C/∂W (shape {dW[l_paper].shape}); δ has shape "
                f"{db[l_paper].shape}. δ^l is ∂C/∂b^l: the checker's δ is sympy.diff of the cost "
                f"with respect to b^{l_paper}. Corrected: ∂C/∂b^l = δ^l"
                + (" (and the printed l/L mix-up: ∂C/∂b^L = δ^L)." if ref == "eq. 34" else "."),
                extra={"judged_at_layer": l_paper},
            )
        )
    # eq. 35, for l = L and l = L − 1 (δ^l taken as the true ∂C/∂b^l).
    rec = sp.Matrix.vstack(
        *[
            (W[layer].T * db[layer]).multiply_elementwise(net.sigma_prime(layer - 1))
            for layer in range(L, 1, -1)
        ]
    )
    truth35 = sp.Matrix.vstack(*[db[layer - 1] for layer in range(L, 1, -1)])
    wrt35 = sp.Matrix.vstack(*[net.b[layer - 1] for layer in range(L, 1, -1)])
    out.append(
        make_claim(
            id="backprop.delta_recurrence",
            ref="eq. 35",
            family="backprop",
            title="δ^{l−1} = ((W^l)^T δ^l) ⊙ σ'(z^{l−1})",
            printed=r"\delta^{l-1} = \left((W^l)^T\delta^l\right) \odot \sigma'(\mathbf{z}^{l-1})",
            expected=Verdict.HOLDS,
            judgement=_judge(net, rec, truth35),
            paper=rec,
            truth=truth35,
            note=f"Checked for l = L and l = L − 1 (stacked), widths {net_widths(net)}, abstract σ "
            "and σ_f. Requires an elementwise σ (not softmax: see footnote 1's claim).",
            numeric=_spec(net, rec, truth35, wrt35),
        )
    )
    # eq. 36: δ^l a^{l−1} without transpose — shape-invalid at every layer.
    invalid = [
        product((f"δ^{layer}", db[layer]), (f"a^{layer - 1}", a[layer - 1]))
        for layer in range(L, 0, -1)
    ]
    if not all(isinstance(p, ShapeError) for p in invalid):
        raise RuntimeError("eq. 36 unexpectedly conforms: widths must make it a shape error")
    for layer in range(1, L + 1):
        _require(net, db[layer] * a[layer - 1].T, dW[layer], f"eq. 36 corrected at l = {layer}")
    out.append(
        make_claim(
            id="backprop.dW_layer",
            ref="eq. 36",
            family="backprop",
            title="∂C/∂W^l = δ^l a^{l−1} (no transpose)",
            printed=r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial W^l} = "
            r"\delta^l\mathbf{a}^{l-1}",
            expected=Verdict.WRONG,
            judgement=_judge(net, invalid[0], dW[L]),
            paper=invalid[0],
            truth=dW[L],
            corrected=db[L] * a[L - 1].T,
            corrected_printed=r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial W^l} = "
            r"\delta^l (\mathbf{a}^{l-1})^T",
            note="With column vectors δ^l a^{l−1} is undefined at every layer "
            f"({'; '.join(p.words() for p in invalid if isinstance(p, ShapeError))}); "
            "eq. 33 has the transpose. Corrected "
            "δ^l (a^{l−1})^T checked against sympy.diff at every layer.",
            extra={"corrected_checked": True},
        )
    )
    return out


def net_widths(net: Network) -> tuple[int, ...]:
    """Widths n_0..n_L of ``net``."""
    return (net.x.rows, *[net.W[layer].rows for layer in range(1, net.L + 1)])


def _require(net: Network, expr: Any, truth: Any, what: str) -> None:
    d = decide(expr, truth, net.z_variables, net.sample_z, functions=CONCRETE)
    if not d.equal:
        raise RuntimeError(f"{what} does not match sympy.diff: {d.detail}")
    if d.method is not Method.SYMBOLIC:
        raise RuntimeError(f"{what} matched only numerically")
