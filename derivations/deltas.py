"""Output deltas: chain rule (25)–(28), MSE+sigmoid (31), MSE+softmax (38), CE+softmax (39)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from derivations.claims import Claim, Method, NumericSpec, Step, Verdict
from derivations.definitions import ce, mse, sigmoid_vector, softmax
from derivations.equivalence import decide
from derivations.judge import Judgement, define, judge, make_claim
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


def _chain_rule_claims() -> list[Claim]:
    layer = _Layer()
    v, s = layer.variables, layer.sample
    elementwise = (
        "elementwise output activation (∂a_i/∂z_j = 0 for i ≠ j): holds for sigmoid, "
        "fails for softmax"
    )
    t_sm, t_sig = layer.dW_truth(softmax, mse), layer.dW_truth(sigmoid_vector, mse)
    p_sm, p_sig = layer.eq25(softmax, mse), layer.eq25(sigmoid_vector, mse)
    j25 = judge(p_sm, t_sm, v, s, conditional=(p_sig, t_sig), condition=elementwise)
    # eq. 26: (∂C/∂a ⊙ ∂a/∂z) ∂z/∂W with ∂z/∂W = a^{L−1} (eq. 28).
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
        elementwise + "; and the product with ∂z/∂W = a^{L−1} read as the outer product "
        "(· (a^{L−1})^T)"
    )
    j26 = judge(strict26, t_sm, v, s, conditional=(reading26, t_sig), condition=cond26)
    # eq. 28: ∂z/∂W = a^{L−1}.
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
    return [
        make_claim(
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
        ),
        make_claim(
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
        ),
        make_claim(
            id="deltas.activation_derivative",
            ref="eq. 27",
            family="deltas",
            title="∂a^L/∂z^L = ∂σ(z^L)/∂z^L",
            printed=r"\frac{\partial \mathbf{a}^L}{\partial \mathbf{z}^L} = "
            r"\frac{\partial}{\partial \mathbf{z}^L}(\sigma(\mathbf{z}^L))",
            expected=Verdict.DEFINITION,
            judgement=define(a_sig, list(layer.Z)),
            paper=a_sig.jacobian(list(layer.Z)),
        ),
        make_claim(
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
        ),
    ]


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


def _ce_softmax_claims() -> list[Claim]:
    """Sec. 6.3.3 and eq. (39), for symbolic K, and the left-hand side as printed."""
    S = sp.Sum(sp.exp(z_[k]), (k, 1, K))

    def a(q: Any) -> Any:
        return sp.exp(z_[q]) / S

    q_range = sp.Q.le(1, i) & sp.Q.le(i, K)
    truth = sp.diff(-sp.Sum(y_[k] * sp.log(a(k)), (k, 1, K)), z_[i])  # ∂C/∂z_i
    Y = sp.Sum(y_[k], (k, 1, K))

    def without_i(f: Callable[[Any], Any]) -> Any:
        """Σ_{k≠i} f(k), transcribed as Σ_k f(k) − f(i)."""
        return sp.Sum(f(k), (k, 1, K)) - f(i)

    lines = [
        sp.Sum((-y_[k] / a(k)) * a(i) * (sp.KroneckerDelta(i, k) - a(k)), (k, 1, K)),
        -(y_[i] / a(i)) * a(i) * (1 - a(i)) - without_i(lambda q: (y_[q] / a(q)) * (-a(i) * a(q))),
        -y_[i] + y_[i] * a(i) - without_i(lambda q: y_[q] * (-a(i))),
        -y_[i] + Y * a(i),
        a(i) - y_[i],
    ]
    condition = "Σ_k y_k = 1 (labels are a probability vector, e.g. one-hot)"
    steps: list[Step] = []
    verdicts = []
    for n, line in enumerate(lines, start=1):
        d = decide(line, truth, [], assumptions=q_range)
        if d.equal:
            steps.append(Step(index=n, paper=line, verdict=Verdict.HOLDS))
            verdicts.append(Verdict.HOLDS)
            continue
        residual = sp.simplify(collapse(d.residual))
        under = sp.simplify(residual.subs(Y, 1))
        verdict = Verdict.HOLDS_IF if under == 0 else Verdict.WRONG
        verdicts.append(verdict)
        steps.append(
            Step(
                index=n,
                paper=line,
                verdict=verdict,
                residual=residual,
                condition=condition if verdict is Verdict.HOLDS_IF else None,
            )
        )
    final = steps[-1]
    # A concrete counterexample (K = 3) for the unconditional failure: labels not summing to 1.
    Zc = sp.Matrix(sp.symbols(f"z1:{OUTPUTS + 1}", real=True))
    yc = sp.Matrix(sp.symbols(f"y1:{OUTPUTS + 1}", real=True))
    ac = softmax(Zc)
    Cc = ce(ac, yc)
    truth_c = sp.Matrix([sp.diff(Cc, q) for q in Zc])
    paper_c = ac - yc
    dc = decide(
        paper_c,
        truth_c,
        [*Zc, *yc],
        combine(logit_sampler(list(Zc), 5.0), weight_sampler(list(yc), 1.0)),
    )
    labels_sum_to_one = {yc[-1]: 1 - sp.Add(*yc[:-1])}
    if not decide(
        paper_c.subs(labels_sum_to_one),
        truth_c.subs(labels_sum_to_one),
        [*Zc, *yc],
        combine(logit_sampler(list(Zc), 5.0), weight_sampler(list(yc), 1.0)),
    ).equal:
        raise RuntimeError("symbolic-K proof of eq. 39 contradicted at K = 3")
    j39 = Judgement(
        final.verdict,
        Method.SYMBOLIC_GENERAL_K,
        final.residual,
        dc.counterexample,
        condition if final.verdict is Verdict.HOLDS_IF else None,
        "residual (Σ_k y_k − 1) a_i vanishes when the labels sum to 1",
    )
    one_hot = combine(logit_sampler(list(Zc), 30.0), one_hot_sampler(list(yc)))
    spec = NumericSpec(
        variables=(*Zc, *yc),
        definition=Cc,
        wrt=tuple(Zc),
        paper=paper_c,
        truth=truth_c,
        sample=one_hot,
    )
    # The left-hand side as printed: a product ∂C/∂a_j ∂a_j/∂z_j (diagonal term only). It opens
    # the derivation too (its line 1), judged at K = 3 because SymPy cannot simplify the mixed
    # j/i sums for symbolic K.
    lhs = sp.Matrix([(-yc[r] / ac[r]) * sp.diff(ac[r], Zc[r]) for r in range(OUTPUTS)])
    j_lhs = judge(lhs, truth_c, [*Zc, *yc], one_hot)
    lhs_step = Step(
        index=1,
        paper=lhs,
        verdict=j_lhs.verdict,
        residual=j_lhs.residual,
        note="the left-hand side ∂C/∂a_j ∂a_j/∂z_j, a single term, where the sum over k of "
        "∂C/∂a_k ∂a_k/∂z_i is meant (the same left-hand side as eq. 39; shown at K = 3 with "
        "one-hot labels, index j read as i)",
    )
    steps = [
        lhs_step,
        *(Step(s.index + 1, s.paper, s.verdict, s.residual, s.condition, s.note) for s in steps),
    ]
    verdicts = [j_lhs.verdict, *verdicts]
    chain_verdict = (
        Verdict.WRONG
        if Verdict.WRONG in verdicts
        else (Verdict.HOLDS_IF if Verdict.HOLDS_IF in verdicts else Verdict.HOLDS)
    )
    return [
        make_claim(
            id="deltas.ce_softmax.derivation",
            ref="sec. 6.3.3",
            family="deltas",
            title="CE + softmax delta, line by line (symbolic K)",
            printed=r"\frac{\partial \mathcal{C}_{\text{CE}}}{\partial a_{j,\text{SM}}^L}"
            r"\frac{\partial a_{j,\text{SM}}^L}{\partial z_j^L} = "
            r"\sum_k\left(-\frac{y_k}{a_k^L}\right)a_i^L(\delta_{ik} - a_k^L) = \dots = "
            r"-y_i + \left(\sum_k y_k\right)a_i^L = a_i^L - y_i",
            expected=Verdict.WRONG,
            judgement=Judgement(
                chain_verdict,
                Method.SYMBOLIC_GENERAL_K,
                j_lhs.residual,
                j_lhs.counterexample,
                None,
                "see steps",
            ),
            paper=lines[-1],
            truth=truth,
            steps=tuple(steps),
            corrected=sp.Symbol("Σ_k ∂C/∂a_k ∂a_k/∂z_i"),
            corrected_printed=r"\frac{\partial \mathcal{C}_{\text{CE}}}{\partial z_i^L} = "
            r"\sum_{k=1}^{K} \frac{\partial \mathcal{C}_{\text{CE}}}{\partial a_k^L}"
            r"\frac{\partial a_k^L}{\partial z_i^L} = "
            r"\sum_{k=1}^{K}\left(-\frac{y_k}{a_k^L}\right)a_i^L(\delta_{ik} - a_k^L) = "
            r"\dots = a_i^L - y_i \quad\text{if } \sum_k y_k = 1",
            note="Line 1 is the printed left-hand side, the same wrong one as eq. 39. From line 2 "
            "on, Σ_{k≠i} is transcribed as Σ_k − (term k = i): lines 2 to 5 hold identically, "
            "the last line needs Σ_k y_k = 1, which the text uses explicitly.",
            numeric=NumericSpec(
                variables=(*Zc, *yc),
                definition=Cc,
                wrt=tuple(Zc),
                paper=lhs,
                truth=truth_c,
                sample=one_hot,
            ),
            extra={"shown": (lhs, truth_c), "numeric_paper_line": 1},
        ),
        make_claim(
            id="deltas.ce_softmax",
            ref="eq. 39",
            family="deltas",
            title="δ_i^L = a_i^L − y_i for CE + softmax",
            printed=r"\frac{\partial \mathcal{C}_{\text{CE}}}{\partial a_{j,\text{SM}}^L}"
            r"\frac{\partial a_{j,\text{SM}}^L}{\partial z_j^L} = a_i^L - y_i",
            expected=Verdict.HOLDS_IF,
            judgement=j39,
            paper=lines[-1],
            truth=truth,
            note="Right-hand side judged as ∂C/∂z_i (what the derivation computes). The printed "
            "left-hand side is a different quantity: see the entry 'Left-hand side of eq. 39'.",
            extra={"shown": (paper_c, truth_c)},
            numeric=spec,
        ),
        make_claim(
            id="deltas.ce_softmax.lhs",
            ref="eq. 39",
            family="deltas",
            title="Left-hand side of eq. 39: a product with index j for a sum over k, index i",
            printed=r"\frac{\partial \mathcal{C}_{\text{CE}}}{\partial a_{j,\text{SM}}^L}"
            r"\frac{\partial a_{j,\text{SM}}^L}{\partial z_j^L}",
            expected=Verdict.WRONG,
            judgement=j_lhs,
            paper=lhs,
            truth=truth_c,
            corrected=sp.Symbol("Σ_k ∂C/∂a_k ∂a_k/∂z_i"),
            corrected_printed=r"\frac{\partial \mathcal{C}_{\text{CE}}}{\partial z_i^L} = "
            r"\sum_{k=1}^{K} \frac{\partial \mathcal{C}_{\text{CE}}}{\partial a_k^L}"
            r"\frac{\partial a_k^L}{\partial z_i^L} = a_i^L - y_i",
            note="As printed the left-hand side is the single diagonal term −y_j(1 − a_j), not "
            "∂C/∂z_i = Σ_k ∂C/∂a_k ∂a_k/∂z_i; and it is indexed by j while the right-hand side "
            "is indexed by i. (Shown at K = 3 with one-hot labels.)",
            numeric=NumericSpec(
                variables=(*Zc, *yc),
                definition=Cc,
                wrt=tuple(Zc),
                paper=lhs,
                truth=truth_c,
                sample=one_hot,
            ),
        ),
    ]


def collapse(expr: Any) -> Any:
    """Collapse Kronecker deltas in a residual (re-exported helper for symbolic-K lines)."""
    from derivations.equivalence import collapse_kronecker

    return collapse_kronecker(expr) if expr.has(sp.KroneckerDelta) else expr


def delta_claims() -> list[Claim]:
    """Claims of sec. 6 on output deltas (eq. 25–28, 31, 38, 39), in paper order."""
    return [
        *_chain_rule_claims(),
        _mse_sigmoid_claim(),
        _mse_softmax_claim(),
        *_ce_softmax_claims(),
    ]
