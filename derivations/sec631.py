"""Sec. 6.3.1: the displayed gradients of the sigmoid-output network vs sympy.diff of eq. (6)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from derivations.claims import Claim, NumericSpec, Step, Verdict
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
)
from derivations.sampling import weight_sampler

__all__ = ["READING", "judge_net", "net_counterexample", "net_spec", "sec631_claims"]

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


def net_counterexample(net: Network, j: Judgement) -> Judgement:
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


def judge_net(net: Network, paper: Any, truth: Any, **kwargs: Any) -> Judgement:
    """Judge in the z-variables of ``net`` (σ = tanh, σ_f = sigmoid); counterexample as a point."""
    j = judge(paper, truth, net.z_variables, net.sample_z, functions=CONCRETE, **kwargs)
    return net_counterexample(net, j)


def _judge_sig(net: Network, paper: Any, truth: Any, **kwargs: Any) -> Judgement:
    j = judge(paper, truth, _sig_variables(net), _sig_sample, functions=CONCRETE, **kwargs)
    return net_counterexample(net, j)


def net_spec(
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


@dataclass(frozen=True)
class _Displays:
    """The symbols every display of sec. 6.3.1 is built from (sigmoid output, L = 3)."""

    net: Network = field(default_factory=network)

    @functools.cached_property
    def aL(self) -> sp.Matrix:
        """a^L = σ_sig(z^L), as the symbols sL_k."""
        return _sig(self.net.a[self.net.L])

    @functools.cached_property
    def dW(self) -> dict[int, sp.Matrix]:
        """∂C/∂W^l by sympy.diff of eq. (6), sigmoid output."""
        return {layer: _sig(self.net.dW[layer]) for layer in self.net.dW}

    @functools.cached_property
    def db(self) -> dict[int, sp.Matrix]:
        """∂C/∂b^l = δ^l by sympy.diff of eq. (6), sigmoid output."""
        return {layer: _sig(self.net.db[layer]) for layer in self.net.db}

    @functools.cached_property
    def sp_(self) -> dict[int, sp.Matrix]:
        """σ'(z^l) of the hidden layers."""
        return {layer: self.net.sigma_prime(layer) for layer in range(1, self.net.L)}

    @functools.cached_property
    def deltaL(self) -> sp.Matrix:
        """δ^L = (a^L − y) ⊙ a^L(1 − a^L), as printed."""
        aL, y = self.aL, self.net.y
        return (aL - y).multiply_elementwise(aL).multiply_elementwise(sp.ones(*aL.shape) - aL)

    @functools.cached_property
    def row_Lm1(self) -> sp.Matrix:
        """δ^L W^L σ'(z^{L−1}) in the row reading (see READING), factors left to right."""
        L = self.net.L
        return (self.deltaL.T * self.net.W[L]).multiply_elementwise(self.sp_[L - 1].T)

    @functools.cached_property
    def row_Lm2(self) -> sp.Matrix:
        """δ^L W^L σ'(z^{L−1}) W^{L−1} σ'(z^{L−2}) in the row reading."""
        L = self.net.L
        return (self.row_Lm1 * self.net.W[L - 1]).multiply_elementwise(self.sp_[L - 2].T)

    @functools.cached_property
    def outer_A(self) -> sp.Matrix:
        """δ^L (a^{L−1})^T: display A in the outer-product reading."""
        return self.deltaL * self.net.a[self.net.L - 1].T

    @functools.cached_property
    def reading_C(self) -> sp.Matrix:
        """(δ^L W^L σ'(z^{L−1}))^T (a^{L−2})^T: display C in the componentwise reading."""
        return self.row_Lm1.T * self.net.a[self.net.L - 2].T

    def chain(self, lines: Sequence[Any], truth: sp.Matrix) -> tuple[tuple[Step, ...], Judgement]:
        """Judge the printed lines of one display against ``truth`` (sigmoid output)."""
        return judge_chain(lines, truth, _sig_variables(self.net), _sig_sample, functions=CONCRETE)

    def strict_line(
        self, strict: Any, reading: Any, truth: sp.Matrix
    ) -> tuple[Any, dict[str, Any]]:
        """A printed line judged as printed, and under READING if it fails so."""
        return (strict, {"conditional": (reading, truth), "condition": READING})

    def claim(
        self,
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
    ) -> Claim:
        """One display: ``strict`` as printed (None if it conforms) against ``truth``."""
        net = self.net
        if strict is None:
            j = _judge_sig(net, reading, truth)
        else:
            j = _judge_sig(net, strict, truth, conditional=(reading, truth), condition=READING)
        if chain is not None:
            j = chain
        expected = Verdict.HOLDS if strict is None else Verdict.HOLDS_IF
        return make_claim(
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
            numeric=net_spec(net, reading, truth, wrt),
            extra={"reading": reading} if strict is not None else {},
        )


def _display_A(d: _Displays) -> Claim:
    """Display A: ∂C/∂W^L, two lines (chain-rule factors, then the formula)."""
    L, a, W, dW, db = d.net.L, d.net.a, d.net.W, d.dW, d.db
    d_vec = db[L]  # (∂C/∂a ⊙ ∂a/∂z) computed from its factors = δ^L by the chain rule
    strict_A = product(("((a^L−y)⊙a^L(1−a^L))", d.deltaL), ("a^{L−1}", a[L - 1]))
    stepsA, chainA = d.chain(
        [
            (
                product(("(∂C/∂a ⊙ ∂a/∂z)", d_vec), ("∂z/∂W = a^{L−1}", a[L - 1])),
                {"conditional": (d_vec * a[L - 1].T, dW[L]), "condition": READING},
            ),
            d.strict_line(strict_A, d.outer_A, dW[L]),
        ],
        dW[L],
    )
    return d.claim(
        "deltas.mse_sigmoid.dW_L",
        "∂C/∂W^L = ((a^L − y) ⊙ a^L(1 − a^L)) a^{L−1}",
        r"\frac{\partial C}{\partial W^L} = \left((\mathbf{a}^L - \mathbf{y}) \odot "
        r"\mathbf{a}^L(1 - \mathbf{a}^L)\right)\mathbf{a}^{L-1}",
        strict_A,
        d.outer_A,
        dW[L],
        W[L],
        steps=stepsA,
        chain=net_counterexample(d.net, chainA),
        note="As a matrix product of two column vectors it is undefined; it holds as the outer "
        "product (the transpose appears only in eq. 33).",
    )


def _display_B(d: _Displays) -> Claim:
    """Display B: ∂C/∂b^L = ((a^L − y) ⊙ a^L(1 − a^L)) × 1."""
    L, db = d.net.L, d.db
    stepsB, chainB = d.chain([db[L], d.deltaL], db[L])
    return d.claim(
        "deltas.mse_sigmoid.db_L",
        "∂C/∂b^L = ((a^L − y) ⊙ a^L(1 − a^L)) × 1",
        r"\frac{\partial C}{\partial \mathbf{b}^L} = \left((\mathbf{a}^L - \mathbf{y}) \odot "
        r"\mathbf{a}^L(1 - \mathbf{a}^L)\right) \times 1",
        None,
        d.deltaL,
        db[L],
        d.net.b[L],
        steps=stepsB,
        chain=chainB,
    )


def _display_C(d: _Displays) -> Claim:
    """Display C: ∂C/∂W^{L−1}, three lines (two chain-rule products, then the formula)."""
    net, aL, dW = d.net, d.aL, d.dW
    L, a, W, y = net.L, net.a, net.W, net.y
    short, long = _jacobian_chain(net, L - 1)
    short, long = _sig(short), _sig(long)
    strict_C = product(
        ("(a^L−y)", aL - y),
        ("a^L", aL),
        ("(1−a^L)", sp.ones(*aL.shape) - aL),
        ("W^L", W[L]),
        ("σ'(z^{L−1})", d.sp_[L - 1]),
        ("a^{L−2}", a[L - 2]),
    )
    stepsC, chainC = d.chain(
        [short, long, d.strict_line(strict_C, d.reading_C, dW[L - 1])], dW[L - 1]
    )
    return d.claim(
        "backprop.sec631.dW_Lminus1.derivation",
        "∂C/∂W^{L−1}: chain rule, then (a^L − y) a^L(1 − a^L) W^L σ'(z^{L−1}) a^{L−2}",
        r"\frac{\partial C}{\partial W^{L-1}} = \dots = (\mathbf{a}^L - \mathbf{y})\mathbf{a}^L"
        r"(1 - \mathbf{a}^L) W^L \sigma'_{\text{sig}}(\mathbf{z}^{L-1})\mathbf{a}^{L-2}",
        strict_C,
        d.reading_C,
        dW[L - 1],
        W[L - 1],
        steps=stepsC,
        chain=net_counterexample(d.net, chainC),
        note="Lines 1–2 (products of Jacobians computed by sympy.diff, contracted as matrices) "
        "hold as printed; line 3 needs the componentwise reading.",
    )


def _display_E(d: _Displays) -> list[Claim]:
    """Display E: ∂C/∂W^L = δ^L a^{L−1}, ∂C/∂b^L = δ^L ("for the L − 1 layer", sic)."""
    L, a, W = d.net.L, d.net.a, d.net.W
    return [
        d.claim(
            "backprop.sec631.dW_L",
            "∂C/∂W^L = δ^L a^{L−1}",
            r"\frac{\partial C}{\partial W^L} = \delta^L\mathbf{a}^{L-1}",
            product(("δ^L", d.deltaL), ("a^{L−1}", a[L - 1])),
            d.outer_A,
            d.dW[L],
            W[L],
            note="The text introduces this as 'for the L − 1 layer'; it is layer L.",
        ),
        d.claim(
            "backprop.sec631.db_L",
            "∂C/∂b^L = δ^L",
            r"\frac{\partial C}{\partial \mathbf{b}^L} = \delta^L",
            None,
            d.deltaL,
            d.db[L],
            d.net.b[L],
        ),
    ]


def _display_F(d: _Displays) -> list[Claim]:
    """Display F: layer L − 1 ("for the L − 2 layer", sic)."""
    L, a, W, sp_ = d.net.L, d.net.a, d.net.W, d.sp_
    return [
        d.claim(
            "backprop.sec631.dW_Lminus1",
            "∂C/∂W^{L−1} = δ^L W^L σ'(z^{L−1}) a^{L−2}",
            r"\frac{\partial C}{\partial W^{L-1}} = \delta^L W^L \sigma'_{\text{sig}}"
            r"(\mathbf{z}^{L-1})\mathbf{a}^{L-2}",
            product(
                ("δ^L", d.deltaL), ("W^L", W[L]), ("σ'(z^{L−1})", sp_[L - 1]), ("a^{L−2}", a[L - 2])
            ),
            d.reading_C,
            d.dW[L - 1],
            W[L - 1],
            note="The text introduces this as 'for the L − 2 layer'; it is layer L − 1.",
        ),
        d.claim(
            "backprop.sec631.db_Lminus1",
            "∂C/∂b^{L−1} = δ^L W^L σ'(z^{L−1})",
            r"\frac{\partial C}{\partial \mathbf{b}^{L-1}} = \delta^L W^L \sigma'_{\text{sig}}"
            r"(\mathbf{z}^{L-1})",
            product(("δ^L", d.deltaL), ("W^L", W[L]), ("σ'(z^{L−1})", sp_[L - 1])),
            d.row_Lm1.T,
            d.db[L - 1],
            d.net.b[L - 1],
        ),
    ]


def _display_G(d: _Displays) -> Claim:
    """Display G: ∂C/∂W^{L−2}, two lines."""
    L, a, W, sp_, dW = d.net.L, d.net.a, d.net.W, d.sp_, d.dW
    _, long2 = _jacobian_chain(d.net, L - 2)
    reading_G = d.row_Lm2.T * a[L - 3].T
    strict_G = product(
        ("δ^L", d.deltaL),
        ("W^L", W[L]),
        ("σ'(z^{L−1})", sp_[L - 1]),
        ("W^{L−1}", W[L - 1]),
        ("σ'(z^{L−2})", sp_[L - 2]),
        ("a^{L−3}", a[L - 3]),
    )
    stepsG, chainG = d.chain(
        [_sig(long2), d.strict_line(strict_G, reading_G, dW[L - 2])], dW[L - 2]
    )
    return d.claim(
        "backprop.sec631.dW_Lminus2.derivation",
        "∂C/∂W^{L−2} = δ^L W^L σ'(z^{L−1}) W^{L−1} σ'(z^{L−2}) a^{L−3}",
        r"\frac{\partial C}{\partial W^{L-2}} = \dots = \delta^L W^L \sigma'_{\text{sig}}"
        r"(\mathbf{z}^{L-1}) W^{L-1}\sigma'_{\text{sig}}(\mathbf{z}^{L-2})\mathbf{a}^{L-3}",
        strict_G,
        reading_G,
        dW[L - 2],
        W[L - 2],
        steps=stepsG,
        chain=net_counterexample(d.net, chainG),
    )


def _display_H(d: _Displays) -> list[Claim]:
    """Display H: δ^{L−1}, δ^{L−2} (each judged with the true δ of the layer above)."""
    L, W, sp_, db = d.net.L, d.net.W, d.sp_, d.db
    true_row = {layer: db[layer].T for layer in db}
    return [
        d.claim(
            "backprop.sec631.delta_Lminus1",
            "δ^{L−1} = δ^L W^L σ'(z^{L−1})",
            r"\delta^{L-1} = \delta^L W^L \sigma'_{\text{sig}}(\mathbf{z}^{L-1})",
            product(("δ^L", db[L]), ("W^L", W[L]), ("σ'(z^{L−1})", sp_[L - 1])),
            ((true_row[L] * W[L]).multiply_elementwise(sp_[L - 1].T)).T,
            db[L - 1],
            d.net.b[L - 1],
        ),
        d.claim(
            "backprop.sec631.delta_Lminus2",
            "δ^{L−2} = δ^{L−1} W^{L−1} σ'(z^{L−2})",
            r"\delta^{L-2} = \delta^{L-1} W^{L-1} \sigma'_{\text{sig}}(\mathbf{z}^{L-2})",
            product(("δ^{L−1}", db[L - 1]), ("W^{L−1}", W[L - 1]), ("σ'(z^{L−2})", sp_[L - 2])),
            ((true_row[L - 1] * W[L - 1]).multiply_elementwise(sp_[L - 2].T)).T,
            db[L - 2],
            d.net.b[L - 2],
        ),
    ]


def _display_I(d: _Displays) -> list[Claim]:
    """Display I: ∂C/∂W^{L−1} = δ^{L−1} a^{L−2}, ∂C/∂W^{L−2} = δ^{L−2} a^{L−3}."""
    L, a, db = d.net.L, d.net.a, d.db
    out = []
    for layer, label in ((L - 1, "Lminus1"), (L - 2, "Lminus2")):
        k = L - layer
        out.append(
            d.claim(
                f"backprop.sec631.dW_{label}.delta_form",
                f"∂C/∂W^{{L−{k}}} = δ^{{L−{k}}} a^{{L−{k + 1}}}",
                rf"\frac{{\partial C}}{{\partial W^{{L-{k}}}}} = \delta^{{L-{k}}}"
                rf"\mathbf{{a}}^{{L-{k + 1}}}",
                product((f"δ^{{L−{k}}}", db[layer]), (f"a^{{L−{k + 1}}}", a[layer - 1])),
                db[layer] * a[layer - 1].T,
                d.dW[layer],
                d.net.W[layer],
            )
        )
    return out


def sec631_claims() -> list[Claim]:
    """The displayed equations of sec. 6.3.1 (MSE cost, sigmoid output, L = 3), in print order."""
    d = _Displays()
    return [
        _display_A(d),
        _display_B(d),
        _display_C(d),
        *_display_E(d),
        *_display_F(d),
        _display_G(d),
        *_display_H(d),
        *_display_I(d),
    ]
