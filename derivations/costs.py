"""Cost functions and their derivatives: eq. (7)–(12), (29), (30), binary CE lines of sec. 6.2."""

from __future__ import annotations

import sympy as sp

from derivations.claims import Claim, Method, NumericSpec, Verdict
from derivations.definitions import ce, mse
from derivations.equivalence import Sampler, decide
from derivations.judge import Judgement, define, judge, judge_chain, make_claim
from derivations.sampling import (
    combine,
    complement,
    integer_sampler,
    one_hot_sampler,
    probability_sampler,
    simplex_sampler,
)

__all__ = ["NUMERIC_K", "NUMERIC_N", "cost_claims"]

NUMERIC_N = 3
"""Samples in the concrete instance of eq. (7) and (9)."""
NUMERIC_K = 3
"""Outputs in the concrete vector instances."""

K = sp.Symbol("K", integer=True, positive=True)
j, k = sp.symbols("j k", integer=True, positive=True)
a_, y_ = sp.IndexedBase("a"), sp.IndexedBase("y")
_index_range = sp.Q.le(1, j) & sp.Q.le(j, K)

a = sp.Symbol("a", positive=True)
y = sp.Symbol("y", real=True)


def _vec(name: str, size: int, start: int = 1) -> list[sp.Symbol]:
    return list(sp.symbols(f"{name}{start}:{start + size}", real=True))


def _dataset(n_samples: int, size: int) -> tuple[list[list[sp.Symbol]], list[list[sp.Symbol]]]:
    """Symbols a_{i,k}, y_{i,k} for samples i = 0..n_samples (index 0 included on purpose)."""
    A = [list(sp.symbols(f"a{i}_1:{size + 1}", positive=True)) for i in range(n_samples + 1)]
    Y = [list(sp.symbols(f"y{i}_1:{size + 1}", real=True)) for i in range(n_samples + 1)]
    return A, Y


def _dataset_sampler(A: list[list[sp.Symbol]], Y: list[list[sp.Symbol]]) -> Sampler:
    parts = [simplex_sampler(row) for row in A] + [one_hot_sampler(row) for row in Y]
    return combine(*parts)


def _mean_claim(
    *,
    id: str,
    ref: str,
    title: str,
    printed: str,
    per_sample: object,
    corrected_printed: str,
) -> Claim:
    """Eq. (7)/(9): sum over i = 0..N normalised by N, against the mean over the N samples."""
    N = NUMERIC_N
    A, Y = _dataset(N, NUMERIC_K)
    per = per_sample  # callable (a_row, y_row) -> expr (eq. 8 or eq. 10)
    assert callable(per)
    scale = sp.Rational(1, 2 * N) if "MSE" in title else sp.Rational(1, N)
    inner = 2 if "MSE" in title else 1
    paper = scale * sp.Add(*[inner * per(A[i], Y[i]) for i in range(0, N + 1)])
    truth = sp.Add(*[per(A[i], Y[i]) for i in range(1, N + 1)]) / N  # mean of eq. 8 / eq. 10
    corrected = scale * sp.Add(*[inner * per(A[i], Y[i]) for i in range(1, N + 1)])
    variables = [v for row in A + Y for v in row]
    sample = _dataset_sampler(A, Y)
    jd = judge(paper, truth, variables, sample)
    return make_claim(
        id=id,
        ref=ref,
        family="costs",
        title=title,
        printed=printed,
        expected=Verdict.WRONG,
        judgement=jd,
        paper=paper,
        truth=truth,
        corrected=corrected,
        corrected_printed=corrected_printed,
        note=f"Sum over i = 0..N has N + 1 terms but is divided by N (shown at N = {N}, "
        f"K = {NUMERIC_K}): the residual is the extra i = 0 term. If all N + 1 terms were equal "
        "to c the 'average' would be (N + 1) c / N. Corrected: i = 1..N (or 0..N − 1).",
        numeric=NumericSpec(
            variables=tuple(variables),
            definition=truth,
            wrt=(),
            paper=paper,
            truth=truth,
            sample=sample,
        ),
        extra={"corrected_checked": True},
    )


def _general_k(paper: sp.Expr, cost: sp.Expr) -> Judgement:
    """``paper`` against ∂cost/∂a_j for symbolic K (IndexedBase + Sum + KroneckerDelta)."""
    truth = sp.diff(cost, a_[j])
    jd = judge(paper, truth, [], assumptions=_index_range)
    if jd.verdict is Verdict.HOLDS:
        return Judgement(Verdict.HOLDS, Method.SYMBOLIC_GENERAL_K, None, None, None, jd.detail)
    return jd


def _vector_spec(
    cost: sp.Expr, paper: list[sp.Expr], A: list[sp.Symbol], Y: list[sp.Symbol]
) -> NumericSpec:
    truth = sp.Matrix([sp.diff(cost, v) for v in A])
    return NumericSpec(
        variables=(*A, *Y),
        definition=cost,
        wrt=tuple(A),
        paper=sp.Matrix(paper),
        truth=truth,
        sample=combine(probability_sampler(A), one_hot_sampler(Y)),
    )


def _derivative_claims() -> list[Claim]:
    A = list(sp.symbols(f"a1:{NUMERIC_K + 1}", positive=True))
    Y = _vec("y", NUMERIC_K)
    # eq. 29
    mse_general = sp.Rational(1, 2) * sp.Sum((a_[k] - y_[k]) ** 2, (k, 1, K))
    j29 = _general_k(a_[j] - y_[j], mse_general)
    steps29, _ = judge_chain(
        [sp.Derivative(sp.Rational(1, 2) * (a_[j] - y_[j]) ** 2, a_[j]), a_[j] - y_[j]],
        sp.diff(mse_general, a_[j]),
        [],
        assumptions=_index_range,
    )
    # eq. 30
    ce_general = -sp.Sum(y_[k] * sp.log(a_[k]), (k, 1, K))
    j30 = _general_k(-y_[j] / a_[j], ce_general)
    # Cross-check the symbolic-K proofs at K = NUMERIC_K (SymPy Sums with KroneckerDelta have
    # known wrong answers): the concrete vectors must agree too.
    for cost, paper_k in (
        (mse(A, Y), [p - q for p, q in zip(A, Y, strict=True)]),
        (ce(A, Y), [-q / p for p, q in zip(A, Y, strict=True)]),
    ):
        gradient = sp.Matrix([sp.diff(cost, v) for v in A])
        if not decide(sp.Matrix(paper_k), gradient, [*A, *Y]).equal:
            raise RuntimeError("symbolic-K cost derivative contradicted at concrete K")
    steps30, _ = judge_chain(
        [sp.Derivative(-y_[j] * sp.log(a_[j]), a_[j]), -y_[j] / a_[j]],
        sp.diff(ce_general, a_[j]),
        [],
        assumptions=_index_range,
    )
    return [
        make_claim(
            id="costs.mse.derivative",
            ref="eq. 29",
            family="costs",
            title="Quadratic cost derivative ∂C/∂a = a − y",
            printed=r"\frac{\partial \mathcal{C}_{\text{MSE}}}{\partial \mathbf{a}^L} = "
            r"\mathbf{a}^L - \mathbf{y}",
            expected=Verdict.HOLDS,
            judgement=j29,
            paper=a_[j] - y_[j],
            truth=sp.diff(mse_general, a_[j]),
            steps=steps29,
            note="Proved componentwise for symbolic K. Per-sample cost (eq. 8): with the 1/N of "
            "eq. 7 each sample's gradient carries a factor 1/N.",
            numeric=_vector_spec(mse(A, Y), [p - q for p, q in zip(A, Y, strict=True)], A, Y),
        ),
        make_claim(
            id="costs.ce.derivative",
            ref="eq. 30",
            family="costs",
            title="Cross-entropy derivative ∂C/∂a = −y/a",
            printed=r"\frac{\partial \mathcal{C}_{\text{CE}}}{\partial \mathbf{a}^L} = "
            r"-\frac{\mathbf{y}}{\mathbf{a}^L}",
            expected=Verdict.HOLDS,
            judgement=j30,
            paper=-y_[j] / a_[j],
            truth=sp.diff(ce_general, a_[j]),
            steps=steps30,
            note="Proved componentwise for symbolic K (the division is elementwise; a_k > 0).",
            numeric=_vector_spec(ce(A, Y), [-q / p for p, q in zip(A, Y, strict=True)], A, Y),
        ),
    ]


def _binary_derivative_claim() -> Claim:
    """Sec. 6.2: three printed lines for ∂C²_CE/∂a."""
    cost = -y * sp.log(a) - (1 - y) * sp.log(1 - a)  # eq. 11
    truth = sp.diff(cost, a)
    lines = [
        -sp.Derivative(y * sp.log(a) - (1 - y) * sp.log(1 - a), a),
        (1 - y) / (1 - a) - y / a,
        (a - y) / (a * (1 - a)),
    ]

    sample = combine(probability_sampler([a]), integer_sampler(y, 0, 2))

    steps, chain = judge_chain(lines, truth, [a, y], sample)
    corrected = -sp.Derivative(y * sp.log(a) + (1 - y) * sp.log(1 - a), a)
    return make_claim(
        id="costs.ce.binary.derivative",
        ref="sec. 6.2",
        family="costs",
        title="Binary cross-entropy derivative, three printed lines",
        printed=r"\frac{\partial \mathcal{C}^2_{\text{CE}}}{\partial a^L} = -\frac{\partial}"
        r"{\partial a^L}(y\ln a^L - (1-y)\ln(1-a^L)) = \frac{1-y}{1-a^L} - \frac{y}{a^L} = "
        r"\frac{a^L - y}{a^L(1-a^L)}",
        expected=Verdict.WRONG,
        judgement=chain,
        paper=lines[-1],
        truth=truth,
        steps=steps,
        corrected=corrected,
        corrected_printed=r"\frac{\partial \mathcal{C}^2_{\text{CE}}}{\partial a^L} = "
        r"-\frac{\partial}{\partial a^L}\big(y\ln a^L + (1-y)\ln(1-a^L)\big) = "
        r"\frac{1-y}{1-a^L} - \frac{y}{a^L} = \frac{a^L - y}{a^L(1-a^L)}",
        corrected_instance="line 1, symbolic a and y",
        note="Line 1 pulls the minus sign of eq. 11 out front but keeps the inner minus: "
        "−(y ln a − (1 − y) ln(1 − a)) is not eq. 11 (which is −y ln a − (1 − y) ln(1 − a)); "
        "lines 2 and 3 are right, so the slip does not propagate. The numerical check evaluates "
        "line 1 (the wrong one) as the printed form.",
        numeric=NumericSpec(
            variables=(a, y),
            definition=cost,
            wrt=(a,),
            paper=lines[0].doit(),
            truth=truth,
            sample=sample,
        ),
        extra={"numeric_paper_line": 1},
    )


def _label_sum_claim() -> Claim:
    """Sec. 3.2: the label-sum remark Σ_{k=0}^K y_k = 1 against eq. (10)'s labels k = 1..K."""
    Y0 = _vec("y", NUMERIC_K + 1, start=0)  # y0..yK: the printed sum starts at k = 0
    label_paper = sp.Add(*Y0)
    label_truth = sp.Add(*Y0[1:])  # eq. 10 labels are k = 1..K
    label_sample = combine(one_hot_sampler(Y0[1:]), probability_sampler(Y0[:1]))
    j_label = judge(label_paper, label_truth, Y0, label_sample)
    return make_claim(
        id="costs.ce.label_sum",
        ref="sec. 3.2",
        family="costs",
        title="Label normalisation written Σ_{k=0}^K y_k = 1",
        printed=r"\sum_{k=0}^K y_k = 1",
        expected=Verdict.WRONG,
        judgement=j_label,
        paper=label_paper,
        truth=label_truth,
        corrected=label_truth,
        corrected_printed=r"\sum_{k=1}^{K} y_k = 1",
        corrected_instance=f"K = {NUMERIC_K}, the left-hand side",
        note=f"Eq. 10 indexes the K labels k = 1..K; the printed sum has K + 1 terms and adds "
        f"a y_0 that is not a label (shown at K = {NUMERIC_K}). "
        "Corrected: Σ_{k=1}^K y_k = 1.",
        numeric=NumericSpec(
            variables=tuple(Y0),
            definition=label_truth,
            wrt=(),
            paper=label_paper,
            truth=label_truth,
            sample=label_sample,
        ),
    )


def _binary_ce_claim() -> Claim:
    """Eq. (11) derived from eq. (10) with K = 2, line by line."""
    y1, y2 = sp.symbols("y1 y2", real=True)
    a1, a2 = sp.symbols("a1 a2", positive=True)
    truth = ce([a1, a2], [y1, y2])  # eq. 10 with K = 2
    lines = [
        -sp.Sum(sp.IndexedBase("y")[k] * sp.log(sp.IndexedBase("a")[k]), (k, 1, 2))
        .doit()
        .subs(
            {
                sp.IndexedBase("y")[1]: y1,
                sp.IndexedBase("y")[2]: y2,
                sp.IndexedBase("a")[1]: a1,
                sp.IndexedBase("a")[2]: a2,
            }
        ),
        -y1 * sp.log(a1) - y2 * sp.log(a2),
        -y1 * sp.log(a1) - (1 - y1) * sp.log(1 - a1),  # eq. 11 after relabelling y1 -> y, a1 -> a
    ]

    sample = combine(one_hot_sampler([y1, y2]), probability_sampler([a1, a2]))

    condition = (
        "y1 + y2 = 1 and a1 + a2 = 1 ('the same can be done for the output': true for a "
        "2-unit softmax output or a single sigmoid with a2 := 1 − a1)"
    )
    steps, chain = judge_chain(
        [*lines[:2], (lines[2], {"given": {y2: 1 - y1, a2: 1 - a1}, "condition": condition})],
        truth,
        [y1, y2, a1, a2],
        sample,
    )

    cond_sample = complement(sample, a1, a2)

    return make_claim(
        id="costs.ce.binary",
        ref="eq. 11",
        family="costs",
        title="Binary cross entropy from eq. 10 with K = 2",
        printed=r"\mathcal{C}^2_{\text{CE}} = -y\ln a - (1 - y)\ln(1 - a)",
        expected=Verdict.HOLDS_IF,
        judgement=chain,
        paper=lines[-1],
        truth=truth,
        steps=steps,
        note="Needs both y2 = 1 − y1 (labels) and a2 = 1 − a1 (outputs); the text justifies "
        "only the first ('the same can be done for the output').",
        numeric=NumericSpec(
            variables=(y1, y2, a1, a2),
            definition=truth,
            wrt=(),
            paper=lines[-1],
            truth=truth,
            sample=cond_sample,
        ),
    )


def _binary_claims() -> list[Claim]:
    """Sec. 3.2: the label-sum remark and eq. (11) derived from eq. (10) with K = 2."""
    return [_label_sum_claim(), _binary_ce_claim()]


def cost_claims() -> list[Claim]:
    """Claims of sec. 3 (eq. 7–12) and sec. 6.1–6.2 (eq. 29, 30, binary lines), in paper order."""
    A, Y = _dataset(0, NUMERIC_K)
    return [
        _mean_claim(
            id="costs.mse.full",
            ref="eq. 7",
            title="Full MSE cost 1/(2N) Σ_{i=0}^N ‖a_i − y_i‖²",
            printed=r"\mathcal{C}_{\text{MSE}} = \frac{1}{2N}\sum_{i=0}^N "
            r"\|\mathbf{a}_i - \mathbf{y}_i\|_2^2",
            per_sample=mse,
            corrected_printed=r"\mathcal{C}_{\text{MSE}} = \frac{1}{2N}\sum_{i=1}^{N} "
            r"\|\mathbf{a}_i - \mathbf{y}_i\|_2^2",
        ),
        make_claim(
            id="costs.mse.sample",
            ref="eq. 8",
            family="costs",
            title="Per-sample MSE cost",
            printed=r"\mathcal{C}_{\text{MSE}} = \frac{1}{2}\|\mathbf{a}_i - \mathbf{y}_i\|_2^2",
            expected=Verdict.DEFINITION,
            judgement=define(mse(A[0], Y[0]), [*A[0], *Y[0]]),
            paper=mse(A[0], Y[0]),
            note="The same symbol C_MSE is reused for the per-sample cost (no 1/N).",
        ),
        _mean_claim(
            id="costs.ce.full",
            ref="eq. 9",
            title="Full cross entropy −1/N Σ_{i=0}^N Σ_k y ln a",
            printed=r"\mathcal{C}_{\text{CE}} = -\frac{1}{N}\sum_{i=0}^N\sum_{k=1}^K "
            r"y_{ik}\ln a_{ik}",
            per_sample=ce,
            corrected_printed=r"\mathcal{C}_{\text{CE}} = -\frac{1}{N}\sum_{i=1}^{N}"
            r"\sum_{k=1}^{K} y_{ik}\ln a_{ik}",
        ),
        make_claim(
            id="costs.ce.sample",
            ref="eq. 10",
            family="costs",
            title="Per-sample cross entropy",
            printed=r"\mathcal{C}_{\text{CE}} = -\sum_{k=1}^K y_k \ln a_k",
            expected=Verdict.DEFINITION,
            judgement=define(ce(A[0], Y[0]), [*A[0], *Y[0]]),
            paper=ce(A[0], Y[0]),
        ),
        *_binary_claims(),
        make_claim(
            id="costs.eq12",
            ref="eq. 12",
            family="costs",
            title="Equation (12) is empty",
            printed="",
            expected=Verdict.DEFINITION,
            verdict=Verdict.DEFINITION,
            method=Method.INSPECTION,
            note="Equation number (12) is printed on an empty display line after eq. 11: "
            "nothing to check; recorded so that every number (1)–(39) has an entry.",
        ),
        *_derivative_claims(),
        _binary_derivative_claim(),
    ]
