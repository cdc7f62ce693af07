"""Sec. 6.3.3 and eq. (39): the CE + softmax output delta, line by line for symbolic K."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

from derivations.claims import Claim, Method, NumericSpec, Step, Verdict
from derivations.definitions import ce, softmax
from derivations.deltas import OUTPUTS, K, i, k, y_, z_
from derivations.equivalence import collapse_kronecker, decide
from derivations.judge import Judgement, judge, make_claim
from derivations.sampling import combine, logit_sampler, one_hot_sampler, weight_sampler

__all__ = ["ce_softmax_claims", "collapse"]

CONDITION = "Σ_k y_k = 1 (labels are a probability vector, e.g. one-hot)"
"""Side condition of the last line of sec. 6.3.3 (and of eq. 39)."""


def collapse(expr: Any) -> Any:
    """Collapse Kronecker deltas in a residual (helper for symbolic-K lines)."""
    return collapse_kronecker(expr) if expr.has(sp.KroneckerDelta) else expr


def _softmax_k(q: Any) -> Any:
    """a_q = e^{z_q} / Σ_k e^{z_k}, eq. (20) for symbolic K."""
    return sp.exp(z_[q]) / sp.Sum(sp.exp(z_[k]), (k, 1, K))


def _truth() -> Any:
    """∂C/∂z_i of the CE cost (eq. 10) through softmax, by sympy.diff for symbolic K."""
    a = _softmax_k
    return sp.diff(-sp.Sum(y_[k] * sp.log(a(k)), (k, 1, K)), z_[i])


def _printed_lines() -> list[Any]:
    """The five printed lines of the sec. 6.3.3 derivation (Σ_{k≠i} as Σ_k − term i)."""
    a = _softmax_k
    Y = sp.Sum(y_[k], (k, 1, K))

    def without_i(f: Callable[[Any], Any]) -> Any:
        """Σ_{k≠i} f(k), transcribed as Σ_k f(k) − f(i)."""
        return sp.Sum(f(k), (k, 1, K)) - f(i)

    return [
        sp.Sum((-y_[k] / a(k)) * a(i) * (sp.KroneckerDelta(i, k) - a(k)), (k, 1, K)),
        -(y_[i] / a(i)) * a(i) * (1 - a(i)) - without_i(lambda q: (y_[q] / a(q)) * (-a(i) * a(q))),
        -y_[i] + y_[i] * a(i) - without_i(lambda q: y_[q] * (-a(i))),
        -y_[i] + Y * a(i),
        a(i) - y_[i],
    ]


def _judge_lines(lines: list[Any], truth: Any) -> tuple[list[Step], list[Verdict]]:
    """Each printed line against ∂C/∂z_i for symbolic K; a failing line is retried at Σ y = 1."""
    q_range = sp.Q.le(1, i) & sp.Q.le(i, K)
    Y = sp.Sum(y_[k], (k, 1, K))
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
                condition=CONDITION if verdict is Verdict.HOLDS_IF else None,
            )
        )
    return steps, verdicts


@dataclass(frozen=True)
class _Instance:
    """The concrete K = 3 instance: softmax outputs, CE cost and its true gradient in z."""

    Zc: sp.Matrix
    yc: sp.Matrix
    ac: sp.Matrix
    Cc: sp.Expr
    truth_c: sp.Matrix

    @property
    def one_hot(self) -> Any:
        return combine(logit_sampler(list(self.Zc), 30.0), one_hot_sampler(list(self.yc)))

    def spec(self, paper: sp.Matrix) -> NumericSpec:
        """Numeric instance over (z, y) with one-hot labels: ``paper`` against ∂C/∂z."""
        return NumericSpec(
            variables=(*self.Zc, *self.yc),
            definition=self.Cc,
            wrt=tuple(self.Zc),
            paper=paper,
            truth=self.truth_c,
            sample=self.one_hot,
        )


def _instance() -> _Instance:
    Zc = sp.Matrix(sp.symbols(f"z1:{OUTPUTS + 1}", real=True))
    yc = sp.Matrix(sp.symbols(f"y1:{OUTPUTS + 1}", real=True))
    ac = softmax(Zc)
    Cc = ce(ac, yc)
    return _Instance(Zc, yc, ac, Cc, sp.Matrix([sp.diff(Cc, q) for q in Zc]))


def _eq39_judgement(inst: _Instance, final: Step) -> Judgement:
    """Eq. (39)'s verdict from the last line, with a K = 3 counterexample (labels not summing to 1).

    Also cross-checks the symbolic-K proof at K = 3 with labels that do sum to 1.
    """
    Zc, yc = inst.Zc, inst.yc
    paper_c = inst.ac - yc
    dc = decide(
        paper_c,
        inst.truth_c,
        [*Zc, *yc],
        combine(logit_sampler(list(Zc), 5.0), weight_sampler(list(yc), 1.0)),
    )
    labels_sum_to_one = {yc[-1]: 1 - sp.Add(*yc[:-1])}
    if not decide(
        paper_c.subs(labels_sum_to_one),
        inst.truth_c.subs(labels_sum_to_one),
        [*Zc, *yc],
        combine(logit_sampler(list(Zc), 5.0), weight_sampler(list(yc), 1.0)),
    ).equal:
        raise RuntimeError("symbolic-K proof of eq. 39 contradicted at K = 3")
    return Judgement(
        final.verdict,
        Method.SYMBOLIC_GENERAL_K,
        final.residual,
        dc.counterexample,
        CONDITION if final.verdict is Verdict.HOLDS_IF else None,
        "residual (Σ_k y_k − 1) a_i vanishes when the labels sum to 1",
    )


def _printed_lhs(inst: _Instance) -> sp.Matrix:
    """The left-hand side as printed, ∂C/∂a_j ∂a_j/∂z_j: the diagonal term only (K = 3)."""
    ac, yc, Zc = inst.ac, inst.yc, inst.Zc
    return sp.Matrix([(-yc[r] / ac[r]) * sp.diff(ac[r], Zc[r]) for r in range(OUTPUTS)])


def _chain_verdict(verdicts: list[Verdict]) -> Verdict:
    """A derivation is as good as its worst line."""
    return (
        Verdict.WRONG
        if Verdict.WRONG in verdicts
        else (Verdict.HOLDS_IF if Verdict.HOLDS_IF in verdicts else Verdict.HOLDS)
    )


def ce_softmax_claims() -> list[Claim]:
    """Sec. 6.3.3 and eq. (39), for symbolic K, and the left-hand side as printed."""
    truth = _truth()
    lines = _printed_lines()
    steps, verdicts = _judge_lines(lines, truth)
    inst = _instance()
    j39 = _eq39_judgement(inst, steps[-1])
    # The left-hand side as printed opens the derivation too (its line 1), judged at K = 3
    # because SymPy cannot simplify the mixed j/i sums for symbolic K.
    lhs = _printed_lhs(inst)
    j_lhs = judge(lhs, inst.truth_c, [*inst.Zc, *inst.yc], inst.one_hot)
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
    chain_verdict = _chain_verdict([j_lhs.verdict, *verdicts])
    return [
        _derivation_claim(lines, truth, steps, chain_verdict, j_lhs, inst, lhs),
        _eq39_claim(lines, truth, j39, inst),
        _lhs_claim(j_lhs, inst, lhs),
    ]


def _derivation_claim(
    lines: list[Any],
    truth: Any,
    steps: list[Step],
    chain_verdict: Verdict,
    j_lhs: Judgement,
    inst: _Instance,
    lhs: sp.Matrix,
) -> Claim:
    """The derivation of sec. 6.3.3, line by line (line 1 = the printed left-hand side)."""
    return make_claim(
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
        numeric=inst.spec(lhs),
        extra={"shown": (lhs, inst.truth_c), "numeric_paper_line": 1},
    )


def _eq39_claim(lines: list[Any], truth: Any, j39: Judgement, inst: _Instance) -> Claim:
    """Eq. (39), right-hand side judged as ∂C/∂z_i."""
    return make_claim(
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
        extra={"shown": (inst.ac - inst.yc, inst.truth_c)},
        numeric=inst.spec(inst.ac - inst.yc),
    )


def _lhs_claim(j_lhs: Judgement, inst: _Instance, lhs: sp.Matrix) -> Claim:
    """Eq. (39)'s left-hand side as printed (K = 3)."""
    return make_claim(
        id="deltas.ce_softmax.lhs",
        ref="eq. 39",
        family="deltas",
        title="Left-hand side of eq. 39: a product with index j for a sum over k, index i",
        printed=r"\frac{\partial \mathcal{C}_{\text{CE}}}{\partial a_{j,\text{SM}}^L}"
        r"\frac{\partial a_{j,\text{SM}}^L}{\partial z_j^L}",
        expected=Verdict.WRONG,
        judgement=j_lhs,
        paper=lhs,
        truth=inst.truth_c,
        corrected=sp.Symbol("Σ_k ∂C/∂a_k ∂a_k/∂z_i"),
        corrected_printed=r"\frac{\partial \mathcal{C}_{\text{CE}}}{\partial z_i^L} = "
        r"\sum_{k=1}^{K} \frac{\partial \mathcal{C}_{\text{CE}}}{\partial a_k^L}"
        r"\frac{\partial a_k^L}{\partial z_i^L} = a_i^L - y_i",
        note="As printed the left-hand side is the single diagonal term −y_j(1 − a_j), not "
        "∂C/∂z_i = Σ_k ∂C/∂a_k ∂a_k/∂z_i; and it is indexed by j while the right-hand side "
        "is indexed by i. (Shown at K = 3 with one-hot labels.)",
        numeric=inst.spec(lhs),
    )
