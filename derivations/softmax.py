"""Softmax, eq. (15)–(16) and footnote 1: definition, Jacobian for symbolic K, hidden-layer use."""

from __future__ import annotations

import sympy as sp

from derivations.claims import Claim, Method, NumericSpec, Verdict
from derivations.definitions import softmax
from derivations.equivalence import decide
from derivations.judge import Judgement, define, judge, judge_chain, make_claim
from derivations.sampling import combine, logit_sampler, weight_sampler

__all__ = [
    "ENUMERATED_K",
    "NUMERIC_K",
    "softmax_claims",
]

NUMERIC_K = 4
"""Size of the concrete instance handed to the numeric harness."""
ENUMERATED_K = range(2, 9)
"""Dimensions enumerated when the symbolic-K proof does not close."""
CROSS_CHECK_K = range(2, 5)
"""Dimensions at which a symbolic-K proof is cross-checked (SymPy Sums with KroneckerDelta
have known wrong answers)."""

K = sp.Symbol("K", integer=True, positive=True)
i, j, k = sp.symbols("i j k", integer=True, positive=True)
z = sp.IndexedBase("z")
_index_range = sp.Q.le(1, i) & sp.Q.le(i, K) & sp.Q.le(1, j) & sp.Q.le(j, K)
"""``refine`` assumptions: the indices lie in 1..K (Idx ranges are not used by Sum.doit)."""


def _denominator() -> sp.Expr:
    return sp.Sum(sp.exp(z[k]), (k, 1, K))


def _sm(idx: sp.Expr) -> sp.Expr:
    """Softmax component for symbolic K, eq. (15)."""
    return sp.exp(z[idx]) / _denominator()


def _cases(neq: sp.Expr, eq: sp.Expr) -> sp.Expr:
    """Write the paper's ``{neq if j != i; eq if j = i}`` as ``δ_ij eq + (1 - δ_ij) neq``."""
    d = sp.KroneckerDelta(i, j)
    return d * eq + (1 - d) * neq


def _derivation_lines() -> list[sp.Expr]:
    S = _denominator()
    D = sp.Derivative(_sm(i), z[j])
    return [
        D,
        _cases(D, D),
        _cases(
            -sp.exp(z[j]) * sp.exp(z[i]) / S**2,
            sp.exp(z[j]) / S - sp.exp(z[j]) * sp.exp(z[i]) / S**2,
        ),
        _cases(-_sm(j) * _sm(i), _sm(j) - _sm(j) * _sm(i)),
        _sm(j) * (sp.KroneckerDelta(j, i) - _sm(i)),
    ]


def _concrete(expr: sp.Expr, size: int) -> tuple[sp.Matrix, list[sp.Symbol]]:
    """Build the K x K matrix of ``expr(i, j)`` at ``K = size``, with plain symbols z1..zK."""
    zs = list(sp.symbols(f"z1:{size + 1}", real=True))
    rows = []
    for ii in range(1, size + 1):
        row = []
        for jj in range(1, size + 1):
            e = expr.subs({K: size, i: ii, j: jj}).doit()
            e = e.subs({z[m]: zs[m - 1] for m in range(1, size + 1)})
            row.append(e)
        rows.append(row)
    return sp.Matrix(rows), zs


def _enumerated(
    paper: sp.Expr, truth: sp.Expr, sizes: range = ENUMERATED_K
) -> tuple[bool, list[int]]:
    """Decide ``paper == truth`` for every K in ``sizes``; the list of K where it failed."""
    failed = []
    for size in sizes:
        p, zs = _concrete(paper, size)
        t, _ = _concrete(truth, size)
        if not decide(p, t, zs, logit_sampler(zs)).equal:
            failed.append(size)
    return not failed, failed


def _jacobian_claims() -> list[Claim]:
    truth = sp.diff(_sm(i), z[j])  # ∂σ_i/∂z_j, symbolic K
    lines = _derivation_lines()
    steps, chain = judge_chain(lines, truth, [], assumptions=_index_range)
    paper16 = lines[-1]
    j16 = judge(paper16, truth, [], assumptions=_index_range)
    note = ""
    if j16.verdict is not Verdict.HOLDS or chain.verdict is not Verdict.HOLDS:
        ok, failed = _enumerated(paper16, truth)
        note = f"Symbolic-K proof did not close; enumerated K = 2..8: failed at {failed}."
        j16 = Judgement(
            Verdict.HOLDS if ok else Verdict.WRONG, Method.ENUMERATED, None, None, None, note
        )
    else:
        ok, failed = _enumerated(paper16, truth, CROSS_CHECK_K)
        if not ok:
            raise RuntimeError(f"symbolic-K proof of eq. 16 contradicted at K = {failed}")
        j16 = Judgement(Verdict.HOLDS, Method.SYMBOLIC_GENERAL_K, None, None, None, j16.detail)
        note = (
            "Proved for symbolic K (IndexedBase, Sum, KroneckerDelta; indices refined to "
            "1..K); cross-checked symbolically at every K = 2..4. The paper's index order "
            "σ_j(δ_ji − σ_i) equals the usual σ_i(δ_ij − σ_j): δ is symmetric and the "
            "σ_iσ_j term is too."
        )
        chain = Judgement(
            chain.verdict,
            Method.SYMBOLIC_GENERAL_K,
            chain.residual,
            chain.counterexample,
            chain.condition,
            chain.detail,
        )
    p4, zs = _concrete(paper16, NUMERIC_K)
    definition = softmax(zs)
    t4 = definition.jacobian(zs)
    spec = NumericSpec(
        variables=tuple(zs),
        definition=definition,
        wrt=tuple(zs),
        paper=p4,
        truth=t4,
        sample=logit_sampler(zs),
    )
    return [
        make_claim(
            id="softmax.jacobian.derivation",
            ref="sec. 4.1.2",
            family="activations",
            title="Line-by-line derivation of the softmax Jacobian",
            printed=r"\frac{\partial}{\partial z_j}\sigma_{\text{sm}}(z)_i = \dots = "
            r"\sigma_{\text{sm}}(z)_j(\delta_{ji} - \sigma_{\text{sm}}(z)_i)",
            expected=Verdict.HOLDS,
            judgement=chain,
            paper=paper16,
            truth=truth,
            steps=steps,
            note="Case splits are transcribed as δ_ij·(case j = i) + (1 − δ_ij)·(case j ≠ i).",
            numeric=spec,
        ),
        make_claim(
            id="softmax.jacobian",
            ref="eq. 16",
            family="activations",
            title="Softmax Jacobian ∂σ_i/∂z_j = σ_j(δ_ji − σ_i)",
            printed=r"\frac{\partial}{\partial z_j}(\sigma_{\text{sm}}(z)_i) = "
            r"\sigma_{\text{sm}}(z)_j(\delta_{ji} - \sigma_{\text{sm}}(z)_i)",
            expected=Verdict.HOLDS,
            judgement=j16,
            paper=paper16,
            truth=truth,
            note=note,
            numeric=spec,
        ),
    ]


def _hidden_layer_claim() -> Claim:
    """Footnote 1: 'softmax can only be used in the output layer'."""
    z1 = list(sp.symbols("z1_1:4", real=True))  # hidden pre-activation z^1 (3 units)
    W2 = sp.Matrix(2, 3, sp.symbols("W2_1:3_1:4", real=True))
    b2 = sp.Matrix(sp.symbols("b2_1:3", real=True))
    y = list(sp.symbols("y1:3", real=True))
    a1 = softmax(z1)  # hidden softmax layer
    z2 = W2 * a1 + b2  # linear output layer
    C = sp.Rational(1, 2) * sum(((z2[r] - y[r]) ** 2 for r in range(2)), sp.Integer(0))
    variables = [*z1, *W2, *b2, *y]
    delta2 = sp.Matrix([sp.diff(C, v) for v in b2])
    truth = sp.Matrix([sp.diff(C, v) for v in z1])  # δ^1 = ∂C/∂z^1 by sympy.diff
    J = a1.jacobian(z1)
    corrected = J.T * W2.T * delta2
    hadamard = (W2.T * delta2).multiply_elementwise(sp.Matrix([J[r, r] for r in range(3)]))
    sample = combine(weight_sampler(variables), logit_sampler(z1, scale=5.0))
    check = decide(corrected, truth, variables, sample)
    if not check.equal:
        raise RuntimeError("Jacobian backprop through a hidden softmax does not match sympy.diff")
    j = judge(hadamard, truth, variables, sample)
    return make_claim(
        id="softmax.output_layer_only",
        ref="footnote 1",
        family="activations",
        title="'Softmax can only be used in the output layer' (read as eq. 35's Hadamard form)",
        printed=r"\text{The softmax activation function can only be used in the output layer}",
        expected=Verdict.WRONG,
        judgement=j,
        paper=hadamard,
        truth=truth,
        corrected=corrected,
        corrected_printed="Softmax can be used in any layer: backpropagation passes through it "
        "with its full Jacobian, δ^{l} = J_sm(z^{l})^T (W^{l+1})^T δ^{l+1}, instead of the "
        "Hadamard product with σ'(z^{l}) of eq. 35. Hidden softmax layers are uncommon for "
        "practical reasons, not because the mathematics forbids them.",
        corrected_prose=True,
        method=Method.SYMBOLIC,
        note="Mathematically softmax is a differentiable map R^K -> R^K and works in any layer: "
        "for a hidden softmax layer (3 units) under a linear 2-unit output with MSE, "
        "δ^1 = J_sm(z^1)^T (W^2)^T δ^2 equals ∂C/∂z^1 from sympy.diff (checked). What fails is "
        "only the Hadamard form of eq. 35 with σ'(z) read as the Jacobian diagonal, which the "
        "checker takes as the printed form (residual and counterexample). Hidden softmax "
        "layers are uncommon for practical reasons (footnote 1 links a page on that), not because "
        "backprop cannot pass through them.",
        extra={
            "corrected_checked": True,
            "checker_reading": "the paper prints no formula for a hidden softmax; the checker "
            "applies "
            "eq. 35 to it, with σ'(z) read as the diagonal of the softmax Jacobian",
        },
        numeric=NumericSpec(
            variables=tuple(variables),
            definition=C,
            wrt=tuple(z1),
            paper=hadamard,
            truth=truth,
            sample=sample,
        ),
    )


def softmax_claims() -> list[Claim]:
    """Claims of sec. 4.1.2 (eq. 15, footnote 1, the derivation, eq. 16), in paper order."""
    zs = list(sp.symbols(f"z1:{NUMERIC_K + 1}", real=True))
    definition = softmax(zs)
    return [
        make_claim(
            id="softmax.definition",
            ref="eq. 15",
            family="activations",
            title="Softmax activation",
            printed=r"\sigma_{\text{sm}}(z)_i = \frac{e^{z_i}}{\sum_{k=1}^K e^{z_k}}",
            expected=Verdict.DEFINITION,
            judgement=define(definition, zs),
            paper=_sm(i),
        ),
        _hidden_layer_claim(),
        *_jacobian_claims(),
    ]
