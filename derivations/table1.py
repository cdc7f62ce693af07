"""Table 1 and footnote 2: which (cost, output activation) pairs differ; the binary pair."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from derivations.claims import Claim, Method, NumericSpec, Verdict
from derivations.definitions import ce, mse, sigmoid_vector, softmax
from derivations.deltas import OUTPUTS
from derivations.equivalence import Sampler, decide
from derivations.judge import judge, make_claim
from derivations.sampling import combine, logit_sampler, one_hot_sampler

__all__ = ["table_claims"]


@dataclass(frozen=True)
class _Binary:
    """The single-sigmoid model of sec. 6.2: cost eq. (11), ∂C/∂z, and the checker's reading."""

    zb: sp.Symbol
    yb: sp.Symbol
    cost_b: sp.Expr
    truth_b: sp.Expr
    paper_b: sp.Expr

    def sample_b(self, rng: np.random.Generator) -> dict[sp.Symbol, float]:
        # |z| <= 8: the unfused product loses all digits to cancellation near σ(z) = 1.
        return {self.zb: float(rng.uniform(-8, 8)), self.yb: float(rng.integers(2))}


def _binary() -> _Binary:
    """The binary pair the paper derives in sec. 6.2: a single sigmoid with eq. 11."""
    zb, yb = sp.Symbol("z", real=True), sp.Symbol("y", real=True)
    s = 1 / (1 + sp.exp(-zb))
    cost_b = -yb * sp.log(s) - (1 - yb) * sp.log(1 - s)
    truth_b = sp.diff(cost_b, zb)
    a_b = sp.Symbol("a", positive=True)
    paper_b = ((a_b - yb) / (a_b * (1 - a_b)) * (a_b * (1 - a_b))).subs(a_b, s)  # sec 6.2 × eq. 14
    return _Binary(zb, yb, cost_b, truth_b, paper_b)


def _k2_example(b: _Binary) -> tuple[list[str], str]:
    """K = 2 at y = (0, 1), z = (0.4, -0.2): CE (eq. 10) over two sigmoids vs the sec. 6.2 model."""
    truth_b, zb, yb = b.truth_b, b.zb, b.yb
    z2, y2 = sp.symbols("z1:3", real=True), sp.symbols("y1:3", real=True)
    c_two = ce(sigmoid_vector(sp.Matrix(z2)), sp.Matrix(y2))
    at = {z2[0]: sp.Rational(2, 5), z2[1]: sp.Rational(-1, 5), y2[0]: 0, y2[1]: 1}
    two_sig = [f"{float(sp.diff(c_two, q).subs(at)) + 0.0:.3f}".replace("0.000", "0") for q in z2]
    single = f"{float(truth_b.subs({zb: at[z2[0]], yb: at[y2[0]]})):.3f}"
    return two_sig, single


def _table1_claim(Z: sp.Matrix, y: sp.Matrix, sample: Sampler, b: _Binary) -> Claim:
    """Table 1: the output deltas of all four (cost, output) pairs, by sympy.diff, are distinct."""
    pairs = {
        ("MSE", "sigmoid"): (mse, sigmoid_vector),
        ("MSE", "softmax"): (mse, softmax),
        ("CE", "sigmoid"): (ce, sigmoid_vector),
        ("CE", "softmax"): (ce, softmax),
    }
    deltas = {
        name: sp.Matrix([sp.diff(cost(act(Z), y), q) for q in Z])
        for name, (cost, act) in pairs.items()
    }
    distinct: list[tuple[str, str]] = []
    for name, d in deltas.items():
        if not any(decide(d, deltas[o], [*Z, *y], sample).equal for o in distinct):
            distinct.append(name)
    printed_rows = [("MSE", "sigmoid"), ("MSE", "softmax"), ("CE", "softmax")]
    missing = [p for p in distinct if p not in printed_rows]
    j_table = judge(sp.Integer(len(printed_rows)), sp.Integer(len(distinct)), [], None)
    two_sig, single = _k2_example(b)
    return make_claim(
        id="deltas.table1",
        ref="Table 1",
        family="deltas",
        title="Three (cost, output activation) pairs; text: 'four ... (in reality only three)'",
        printed=r"\text{MSE/Sigmoid, MSE/Softmax, CE/Softmax}",
        expected=Verdict.WRONG,
        judgement=j_table,
        method=Method.INSPECTION,
        paper=sp.Integer(len(printed_rows)),
        truth=sp.Integer(len(distinct)),
        corrected=sp.Symbol("rows: MSE/sigmoid, MSE/softmax, CE/softmax, CE/sigmoid"),
        corrected_printed="Four (cost, output activation) pairs with four distinct output "
        "deltas: MSE/sigmoid, MSE/softmax, CE/softmax and CE/sigmoid (the last one "
        "missing from Table 1; it is not a special case of CE/softmax).",
        corrected_prose=True,
        counterexample={
            "K": float(OUTPUTS),
            "rows_printed": float(len(printed_rows)),
            "distinct_output_deltas": float(len(distinct)),
        },
        note=f"Output deltas ∂C/∂z derived by sympy.diff at K = {OUTPUTS} for all four "
        f"pairs: {len(distinct)} distinct functions; missing from the table: "
        f"{', '.join(f'{cost} + {act}' for cost, act in missing)}. "
        "CE (eq. 10) over K independent sigmoids has δ_j = −y_j(1 − a_j), not a − y. The "
        "single-sigmoid model of sec. 6.2 (one output, eq. 11) does not supply the missing "
        "row: σ(z) = softmax((z, 0))_1, so it is the two-class softmax, a CE + softmax case. "
        f"Even at K = 2 the two models differ: at y = (0, 1), z = (0.4, −0.2), eq. 10 with "
        f"two sigmoids gives δ = ({two_sig[0]}, {two_sig[1]}), the sec. 6.2 model on the first "
        f"output (a = σ(0.4), y = 0) gives δ = a − y = {single}. So the table needs the "
        "fourth row, and footnote 2 (below) does not remove it.",
        extra={"distinct_pairs": distinct, "missing_rows": missing},
    )


def _footnote2_claim(Z: sp.Matrix) -> Claim:
    """Footnote 2: sigmoid output = special case of softmax. K = 2: σ(z) = softmax((z, 0))_1."""
    z1 = sp.Symbol("z", real=True)
    k2 = decide(
        1 / (1 + sp.exp(-z1)), softmax(sp.Matrix([z1, 0]))[0], [z1], logit_sampler([z1])
    ).equal
    fn2_sample = logit_sampler(list(Z), 5.0)
    j_fn2 = judge(sp.Add(*sigmoid_vector(Z)), sp.Integer(1), list(Z), fn2_sample)
    return make_claim(
        id="deltas.table1.footnote2",
        ref="footnote 2",
        family="deltas",
        title="'For multiclass CE, a sigmoid output is a special case of softmax'",
        printed=r"\text{sigmoidal activation as final layer is simply a special case of the "
        r"softmax function}",
        expected=Verdict.WRONG,
        judgement=j_fn2,
        paper=sp.Add(*sigmoid_vector(Z)),
        truth=sp.Integer(1),
        corrected=sp.Eq(1 / (1 + sp.exp(-z1)), softmax(sp.Matrix([z1, 0]))[0]),
        corrected_printed="Only for binary classification (K = 2) is a sigmoid output a "
        "special case of softmax: σ(z) = softmax((z, 0))_1. For multiclass outputs (K > 2) "
        "the K sigmoids need not sum to 1, so they are no softmax of any z.",
        corrected_prose=True,
        note=f"True only for K = 2: σ(z) = softmax((z, 0))_1 (checked: "
        f"{'holds' if k2 else 'does not hold'}). For K > 2 "
        "(multiclass) K sigmoid outputs need not sum to 1 (Σ_k σ(z_k) − 1 ≠ 0 at the "
        "counterexample), so they are no softmax of any z.",
        numeric=NumericSpec(
            variables=tuple(Z),
            definition=sp.Integer(1),
            wrt=(),
            paper=sp.Add(*sigmoid_vector(Z)),
            truth=sp.Integer(1),
            sample=fn2_sample,
        ),
    )


def _binary_claim(b: _Binary) -> Claim:
    """Sec. 6.2: the binary CE + sigmoid delta, read as (a − y)/(a(1 − a)) × σ' = a − y."""
    zb, yb, cost_b, truth_b, paper_b, sample_b = (
        b.zb,
        b.yb,
        b.cost_b,
        b.truth_b,
        b.paper_b,
        b.sample_b,
    )
    return make_claim(
        id="deltas.ce_sigmoid_binary",
        ref="sec. 6.2",
        family="deltas",
        title="Binary CE + sigmoid delta (a reading: (a − y)/(a(1 − a)) × σ' = a − y)",
        printed=r"\frac{a^L - y}{a^L(1-a^L)}\cdot a^L(1 - a^L) = a^L - y",
        expected=Verdict.HOLDS,
        judgement=judge(paper_b, truth_b, [zb, yb], sample_b),
        paper=paper_b,
        truth=truth_b,
        note="Not printed as a delta: the checker's reading, the product of the sec. 6.2 "
        "result and eq. 14 (the single-sigmoid model, i.e. the two-class softmax). Derived: "
        "∂C²_CE/∂z = σ(z) − y. In float64, with a = σ(z) computed first, the unfused "
        "product equals a − y to rounding until σ(z) rounds to 1 (z above about 36.7), "
        "where a(1 − a) = 0 and it returns NaN (sampled |z| <= 8). Both forms lose relative "
        "accuracy for y = 1 as z grows, since a − 1 cancels: about 1e-12 at z = 10, 4e-8 at "
        "z = 20, 1e-3 at z = 30 (the exact value is −σ(−z)); computing δ from z, not from a, "
        "avoids it.",
        extra={
            "checker_reading": "the paper prints ∂C/∂a for the binary cost (sec. 6.2) and σ' "
            "(eq. 14) but never their product; the checker multiplies them"
        },
        numeric=NumericSpec(
            variables=(zb, yb),
            definition=cost_b,
            wrt=(zb,),
            paper=paper_b,
            truth=truth_b,
            sample=sample_b,
        ),
    )


def table_claims() -> list[Claim]:
    """Table 1, footnote 2, and the binary CE + sigmoid pair of sec. 6.2."""
    Z = sp.Matrix(sp.symbols(f"z1:{OUTPUTS + 1}", real=True))
    y = sp.Matrix(sp.symbols(f"y1:{OUTPUTS + 1}", real=True))
    sample = combine(logit_sampler(list(Z), 5.0), one_hot_sampler(list(y)))
    b = _binary()
    return [_table1_claim(Z, y, sample, b), _footnote2_claim(Z), _binary_claim(b)]
