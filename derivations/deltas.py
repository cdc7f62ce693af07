"""Output deltas: chain rule (25)–(28), MSE+sigmoid (31), MSE+softmax (38); CE+softmax is sec633."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from derivations.claims import Claim, NumericSpec, Step, Verdict
from derivations.definitions import mse, sigmoid_vector, softmax
from derivations.equivalence import decide
from derivations.judge import define, judge, make_claim
from derivations.network import product
from derivations.sampling import combine, logit_sampler, one_hot_sampler, weight_sampler

__all__ = ["OUTPUTS", "delta_claims"]

OUTPUTS = 3
"""K, outputs of the concrete output layer."""
INPUTS = 2
"""n_{L-1}, inputs of the concrete output layer (distinct from K: transposes are shape errors)."""

_t = sp.Dummy("t")
K = sp.Symbol("K", integer=True, positive=True)
i, j, k = sp.symbols("i j k", integer=True, positive=True)
z_, y_ = sp.IndexedBase("z"), sp.IndexedBase("y")

Activation = Callable[[sp.Matrix], sp.Matrix]


class _Layer:
    """Output layer z = W a^{L−1} + b in z-form (Z stands for z; b = Z − W a^{L−1})."""

    def __init__(self, outputs: int = OUTPUTS, inputs: int = INPUTS) -> None:
        self.W = sp.Matrix(outputs, inputs, lambda r, c: sp.Symbol(f"W_{r + 1}_{c + 1}", real=True))
        self.a_prev = sp.Matrix(sp.symbols(f"a_prev1:{inputs + 1}", real=True))
        self.b = sp.Matrix(sp.symbols(f"b1:{outputs + 1}", real=True))
        self.Z = sp.Matrix(sp.symbols(f"z1:{outputs + 1}", real=True))
        self.y = sp.Matrix(sp.symbols(f"y1:{outputs + 1}", real=True))
        self.A = sp.Matrix(sp.symbols(f"A1:{outputs + 1}", positive=True))
        self.z_expr = self.W * self.a_prev + self.b

    @property
    def variables(self) -> list[sp.Symbol]:
        return [*self.W, *self.a_prev, *self.Z, *self.y]

    def sample(self, rng: np.random.Generator) -> dict[sp.Symbol, float]:
        return combine(
            weight_sampler([*self.W, *self.a_prev]),
            logit_sampler(list(self.Z), 5.0),
            one_hot_sampler(list(self.y)),
        )(rng)

    def to_z(self, expr: Any) -> Any:
        """Substitute b = Z − W a^{L−1} (exact; also inside exp(2 z) and the like)."""
        wa = self.W * self.a_prev
        return expr.subs({self.b[r]: self.Z[r] - wa[r] for r in range(self.b.rows)})

    def dW_truth(self, act: Activation, cost: Callable[[sp.Matrix, sp.Matrix], sp.Expr]) -> Any:
        """∂C/∂W by sympy.diff of C(act(W a + b)), in z-form."""
        C = cost(act(self.z_expr), self.y)
        return self.to_z(self.W.applyfunc(lambda w: sp.diff(C, w)))

    def eq25(self, act: Activation, cost: Callable[[sp.Matrix, sp.Matrix], sp.Expr]) -> Any:
        """Eq. (25) entrywise: ∂C/∂a_j · ∂a_j/∂z_j · ∂z_j/∂W_jk, each factor by sympy.diff."""
        a = act(self.Z)
        C_a = cost(self.A, self.y)
        at_a = dict(zip(self.A, a, strict=True))
        out = sp.zeros(*self.W.shape)
        for r in range(self.W.rows):
            dC_da = sp.diff(C_a, self.A[r]).subs(at_a)
            da_dz = sp.diff(a[r], self.Z[r])
            for c in range(self.W.cols):
                out[r, c] = dC_da * da_dz * self.to_z(sp.diff(self.z_expr[r], self.W[r, c]))
        return out


def _layer_spec(layer: _Layer, act: Activation, paper: Any, truth: Any) -> NumericSpec:
    """Numeric instance over (W, a^{L−1}, b, y): paper/truth as gradient columns over W."""
    back = dict(zip(layer.Z, layer.z_expr, strict=True))
    variables = (*layer.W, *layer.a_prev, *layer.b, *layer.y)
    return NumericSpec(
        variables=variables,
        definition=mse(act(layer.z_expr), layer.y),
        wrt=tuple(layer.W),
        paper=sp.Matrix(list(paper)).xreplace(back),
        truth=sp.Matrix(list(truth)).xreplace(back),
        sample=combine(weight_sampler(variables), one_hot_sampler(list(layer.y))),
    )


ELEMENTWISE = (
    "elementwise output activation (∂a_i/∂z_j = 0 for i ≠ j): holds for sigmoid, fails for softmax"
)
"""Condition under which the one-term chain rule of eq. (25)-(26) holds."""


def _eq25(layer: _Layer, t_sm: Any, t_sig: Any) -> Claim:
    """Eq. (25): one term of the chain rule, against sympy.diff (softmax and sigmoid outputs)."""
    v, s = layer.variables, layer.sample
    p_sm, p_sig = layer.eq25(softmax, mse), layer.eq25(sigmoid_vector, mse)
    j25 = judge(p_sm, t_sm, v, s, conditional=(p_sig, t_sig), condition=ELEMENTWISE)
    return make_claim(
        id="deltas.chain_rule",
        ref="eq. 25",
        family="deltas",
        title="∂C/∂W_jk = ∂C/∂a_j · ∂a_j/∂z_j · ∂z_j/∂W_jk (one term of the chain rule)",
        printed=r"\frac{\partial \mathcal{C}}{\partial W_{jk}^L} = \frac{\partial \mathcal{C}}"
        r"{\partial a_j^L}\frac{\partial a_j^L}{\partial z_j^L}\frac{\partial z_j^L}"
        r"{\partial W_{jk}^L}",
        expected=Verdict.HOLDS_IF,
        judgement=j25,
        paper=p_sig,
        truth=t_sig,
        note="The full chain rule is Σ_i ∂C/∂a_i ∂a_i/∂z_j ∂z_j/∂W_jk; the printed form keeps "
        f"only i = j. Shown on a {OUTPUTS}x{INPUTS} output layer with MSE: equal for sigmoid, "
        "different for softmax (residual and counterexample are the softmax case).",
        numeric=_layer_spec(layer, sigmoid_vector, p_sig, t_sig),
        extra={"softmax_paper": p_sm, "softmax_truth": t_sm, "shown": (p_sm, t_sm)},
    )


def _eq26(layer: _Layer, t_sm: Any, t_sig: Any) -> Claim:
    """Eq. (26): (∂C/∂a ⊙ ∂a/∂z) ∂z/∂W with ∂z/∂W = a^{L−1} (eq. 28)."""
    v, s = layer.variables, layer.sample
    a_sig = sigmoid_vector(layer.Z)
    jac_sm = softmax(layer.Z).jacobian(list(layer.Z))
    grad_sm = sp.Matrix([sp.diff(mse(layer.A, layer.y), q) for q in layer.A]).subs(
        dict(zip(layer.A, softmax(layer.Z), strict=True))
    )
    strict26 = product(
        ("∂C/∂a ⊙ ∂a/∂z", jac_sm * 0 + grad_sm * sp.ones(1, OUTPUTS)),
        ("∂z/∂W = a^{L−1}", layer.a_prev),
    )
    grad_sig = (a_sig - layer.y).multiply_elementwise(
        sp.Matrix([sp.diff(a_sig[r], layer.Z[r]) for r in range(OUTPUTS)])
    )
    reading26 = grad_sig * layer.a_prev.T
    cond26 = (
        ELEMENTWISE + "; and the product with ∂z/∂W = a^{L−1} read as the outer product "
        "(· (a^{L−1})^T)"
    )
    j26 = judge(strict26, t_sm, v, s, conditional=(reading26, t_sig), condition=cond26)
    return make_claim(
        id="deltas.chain_rule.hadamard",
        ref="eq. 26",
        family="deltas",
        title="∂C/∂W^L = (∂C/∂a^L ⊙ ∂a^L/∂z^L) ∂z^L/∂W^L",
        printed=r"\frac{\partial \mathcal{C}}{\partial W^L} = \left(\frac{\partial \mathcal{C}}"
        r"{\partial \mathbf{a}^L} \odot \frac{\partial \mathbf{a}^L}{\partial \mathbf{z}^L}"
        r"\right)\frac{\partial \mathbf{z}^L}{\partial W^L}",
        expected=Verdict.HOLDS_IF,
        judgement=j26,
        paper=strict26,
        truth=t_sig,
        note="For softmax ∂a/∂z is a full K x K Jacobian: no Hadamard product with the "
        "gradient reproduces the chain rule.",
        extra={"shown": (strict26, t_sm)},
        numeric=_layer_spec(layer, sigmoid_vector, reading26, t_sig),
    )


def _eq27(layer: _Layer) -> Claim:
    """Eq. (27): ∂a^L/∂z^L = ∂σ(z^L)/∂z^L, a definition."""
    a_sig = sigmoid_vector(layer.Z)
    return make_claim(
        id="deltas.activation_derivative",
        ref="eq. 27",
        family="deltas",
        title="∂a^L/∂z^L = ∂σ(z^L)/∂z^L",
        printed=r"\frac{\partial \mathbf{a}^L}{\partial \mathbf{z}^L} = "
        r"\frac{\partial}{\partial \mathbf{z}^L}(\sigma(\mathbf{z}^L))",
        expected=Verdict.DEFINITION,
        judgement=define(a_sig, list(layer.Z)),
        paper=a_sig.jacobian(list(layer.Z)),
    )


def _eq28(layer: _Layer) -> Claim:
    """Eq. (28): ∂z^L/∂W^L = a^{L−1}, read componentwise (the full derivative is a 3-tensor)."""
    v, s = layer.variables, layer.sample
    tensor = sp.Matrix(
        OUTPUTS, OUTPUTS * INPUTS, lambda r, c: sp.diff(layer.z_expr[r], list(layer.W)[c])
    )
    diagonal = sp.Matrix(OUTPUTS, INPUTS, lambda r, c: sp.diff(layer.z_expr[r], layer.W[r, c]))
    off_diagonal_zero = all(
        tensor[r, c] == 0
        for r in range(OUTPUTS)
        for c in range(OUTPUTS * INPUTS)
        if c // INPUTS != r
    )
    reading28 = sp.ones(OUTPUTS, 1) * layer.a_prev.T
    j28 = judge(
        layer.a_prev,
        tensor,
        v,
        s,
        conditional=(reading28, diagonal),
        condition="read componentwise: ∂z_j/∂W_jk = a_k^{L−1} (the full derivative is "
        "the 3-tensor ∂z_i/∂W_jk = δ_ij a_k^{L−1})",
    )
    return make_claim(
        id="deltas.dz_dW",
        ref="eq. 28",
        family="deltas",
        title="∂z^L/∂W^L = a^{L−1}",
        printed=r"\frac{\partial \mathbf{z}^L}{\partial W^L} = \mathbf{a}^{L-1}",
        expected=Verdict.HOLDS_IF,
        judgement=j28,
        paper=layer.a_prev,
        truth=tensor,
        note="Off-diagonal entries ∂z_i/∂W_jk (i ≠ j) are all 0"
        + (" (checked)." if off_diagonal_zero else ": NOT so, some are non-zero."),
    )


def _chain_rule_claims() -> list[Claim]:
    """Eq. (25)-(28) on a concrete output layer with MSE."""
    layer = _Layer()
    t_sm, t_sig = layer.dW_truth(softmax, mse), layer.dW_truth(sigmoid_vector, mse)
    return [_eq25(layer, t_sm, t_sig), _eq26(layer, t_sm, t_sig), _eq27(layer), _eq28(layer)]


def _mse_sigmoid_claim() -> Claim:
    Z = sp.Matrix(sp.symbols(f"z1:{OUTPUTS + 1}", real=True))
    y = sp.Matrix(sp.symbols(f"y1:{OUTPUTS + 1}", real=True))
    a = sigmoid_vector(Z)
    C = mse(a, y)
    truth = sp.Matrix([sp.diff(C, q) for q in Z])
    paper = (a - y).multiply_elementwise(a).multiply_elementwise(sp.ones(OUTPUTS, 1) - a)
    sample = combine(logit_sampler(list(Z)), one_hot_sampler(list(y)))
    return make_claim(
        id="deltas.mse_sigmoid",
        ref="eq. 31",
        family="deltas",
        title="δ^L = (a^L − y) a^L (1 − a^L) for MSE + sigmoid",
        printed=r"\delta^L = (\mathbf{a}^L - \mathbf{y})\mathbf{a}^L(1 - \mathbf{a}^L)",
        expected=Verdict.HOLDS,
        judgement=judge(paper, truth, [*Z, *y], sample),
        paper=paper,
        truth=truth,
        note="Products are elementwise (written with ⊙ just above).",
        numeric=NumericSpec(
            variables=(*Z, *y), definition=C, wrt=tuple(Z), paper=paper, truth=truth, sample=sample
        ),
    )


def _mse_softmax_claim() -> Claim:
    """Sec. 6.3.2 and eq. (38): a free index i and a missing sum over outputs."""
    Z = sp.Matrix(sp.symbols(f"z1:{OUTPUTS + 1}", real=True))
    y = sp.Matrix(sp.symbols(f"y1:{OUTPUTS + 1}", real=True))
    a = softmax(Z)
    C = mse(a, y)
    truth = sp.Matrix([sp.diff(C, q) for q in Z])
    sample = combine(logit_sampler(list(Z), 5.0), one_hot_sampler(list(y)))

    def printed(ii: int, jj: int) -> sp.Expr:
        return (a[jj] - y[jj]) * a[jj] * (sp.KroneckerDelta(jj, ii) - a[ii])

    diagonal = sp.Matrix([printed(r, r) for r in range(OUTPUTS)])  # i = j: no free index left
    fixed_i_wrong = [
        not decide(
            sp.Matrix([printed(ii, r) for r in range(OUTPUTS)]), truth, [*Z, *y], sample
        ).equal
        for ii in range(OUTPUTS)
    ]
    corrected = sp.Matrix(
        [
            sp.Add(
                *[(a[q] - y[q]) * a[q] * (sp.KroneckerDelta(q, r) - a[r]) for q in range(OUTPUTS)]
            )
            for r in range(OUTPUTS)
        ]
    )
    if not decide(corrected, truth, [*Z, *y], sample).equal:
        raise RuntimeError("eq. 38 corrected form does not match sympy.diff")
    general = _general_k_mse_softmax()
    j = judge(diagonal, truth, [*Z, *y], sample)
    steps = tuple(
        Step(
            index=n,
            paper=diagonal,
            verdict=j.verdict,
            residual=j.residual,
            note="free index i read as i = j (the printed left-hand side ∂C/∂a_j ∂a_j/∂z_j)",
        )
        for n in (1, 2)
    )
    return make_claim(
        id="deltas.mse_softmax",
        ref="eq. 38",
        family="deltas",
        title="δ_j^L = (a_j − y_j) σ_j (δ_ji − σ_i) for MSE + softmax",
        printed=r"\delta_j^L = (a_j^L - y_j)\sigma_{\text{sm}}(z)_j(\delta_{ji} - "
        r"\sigma_{\text{sm}}(z)_i)",
        expected=Verdict.WRONG,
        judgement=j,
        paper=diagonal,
        truth=truth,
        steps=steps,
        corrected=corrected,
        corrected_printed=r"\delta_j^L = \sum_{i=1}^{K} (a_i^L - y_i)\, a_i^L (\delta_{ij} - "
        r"a_j^L) = a_j^L\Big((a_j^L - y_j) - \sum_{i=1}^{K} (a_i^L - y_i)\, a_i^L\Big)",
        note="The index i is left free and the sum over outputs is missing: the chain rule "
        "needs δ_j = Σ_i (a_i − y_i) a_i (δ_ij − a_j). Judged with i = j (residual and "
        f"counterexample) and for every fixed i = 1..{OUTPUTS}: wrong in all "
        f"{sum(fixed_i_wrong)} readings. Corrected form checked against sympy.diff at "
        f"K = {OUTPUTS} and {general}.",
        numeric=NumericSpec(
            variables=(*Z, *y),
            definition=C,
            wrt=tuple(Z),
            paper=diagonal,
            truth=truth,
            sample=sample,
        ),
        extra={"corrected_checked": True, "fixed_i_readings_wrong": fixed_i_wrong},
    )


def _general_k_mse_softmax() -> str:
    """Check the corrected eq. (38) for symbolic K; say how it went."""
    S = sp.Sum(sp.exp(z_[k]), (k, 1, K))

    def sm(q: Any) -> Any:
        return sp.exp(z_[q]) / S

    C = sp.Rational(1, 2) * sp.Sum((sm(k) - y_[k]) ** 2, (k, 1, K))
    truth = sp.diff(C, z_[j])
    corrected = sp.Sum((sm(k) - y_[k]) * sm(k) * (sp.KroneckerDelta(k, j) - sm(j)), (k, 1, K))
    d = decide(corrected, truth, [], assumptions=sp.Q.le(1, j) & sp.Q.le(j, K))
    return "for symbolic K" if d.equal else "(symbolic K undecided by SymPy)"


def delta_claims() -> list[Claim]:
    """Claims of sec. 6 on output deltas (eq. 25–28, 31, 38), in paper order (eq. 39: sec633)."""
    return [
        *_chain_rule_claims(),
        _mse_sigmoid_claim(),
        _mse_softmax_claim(),
    ]
