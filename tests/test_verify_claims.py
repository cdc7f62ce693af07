"""verify.checks.claims: wrong formulas shown wrong at a point; the arbiter names the side."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy as sp

from derivations.claims import Claim, Method, NumericSpec, Verdict
from verify.checks.claims import check_claim, check_claims

z, y = sp.symbols("z y", real=True)
SIG = 1 / (1 + sp.exp(-z))


def _sample(rng: Any) -> dict[sp.Symbol, float]:
    wide = rng.random() < 0.5
    return {z: float(rng.uniform(-30, 30) if wide else rng.uniform(-3, 3))}


def _claim(paper: Any, truth: Any, verdict: Verdict, cid: str = "test.sigmoid") -> Claim:
    spec = NumericSpec(
        variables=(z,), definition=SIG, wrt=(z,), paper=paper, truth=truth, sample=_sample
    )
    return Claim(
        id=cid,
        ref="eq. 14",
        family="activations",
        title="t",
        verdict=verdict,
        expected=verdict,
        method=Method.SYMBOLIC,
        numeric=spec,
    )


def _by_side(records: list[Any]) -> dict[str, Any]:
    return {r.id.rsplit(".", 1)[1]: r for r in records}


def test_holding_claim_passes_including_saturation() -> None:
    recs = _by_side(check_claim(_claim(SIG * (1 - SIG), sp.diff(SIG, z), Verdict.HOLDS)))
    assert recs["paper"].verdict == "pass" and recs["paper"].status == "ok"
    assert recs["truth"].verdict == "pass" and recs["truth"].status == "ok"
    assert recs["paper"].details["max_err_jax"] < 1e-12


def test_wrong_claim_is_shown_wrong_at_a_concrete_point() -> None:
    recs = _by_side(check_claim(_claim(SIG * (1 + SIG), sp.diff(SIG, z), Verdict.WRONG)))
    paper = recs["paper"]
    assert paper.verdict == "fail" and paper.expected == "fail" and paper.status == "ok"
    point = paper.details["counterexample"]
    zval = point["z"]
    s = 1 / (1 + np.exp(-zval))
    assert abs(s * (1 + s) - s * (1 - s)) > 1e-6  # really a counterexample
    assert "agree with the reference" in paper.message  # truth, JAX, FD are right


def test_a_wrong_truth_is_named_by_the_arbiter() -> None:
    recs = _by_side(check_claim(_claim(SIG * (1 - SIG), SIG * (1 + SIG), Verdict.HOLDS)))
    truth = recs["truth"]
    assert truth.status == "unexpected"
    assert "wrong: truth" in truth.message
    assert all(a["wrong"] == ["truth"] for a in truth.details["arbitrations"])


def test_unexpectedly_holding_wrong_claim_is_flagged() -> None:
    recs = _by_side(check_claim(_claim(SIG * (1 - SIG), sp.diff(SIG, z), Verdict.WRONG)))
    assert recs["paper"].verdict == "pass" and recs["paper"].status == "unexpected"


def test_broken_spec_gives_an_error_record() -> None:
    bad = _claim(sp.Matrix([1, 2]), sp.diff(SIG, z), Verdict.HOLDS, cid="test.bad")
    recs = check_claims([bad])
    assert len(recs) == 1 and recs[0].status == "error" and "expected 1" in recs[0].message


@pytest.fixture(scope="module")
def real_records(paper_claims: list[Any]) -> list[Any]:
    return check_claims(paper_claims)


@pytest.mark.slow  # every claim of the paper, as 'python -m verify numeric' checks them
def test_every_real_claim_gives_its_expected_numeric_result(real_records: list[Any]) -> None:
    assert real_records
    bad = [(r.id, r.message) for r in real_records if r.status != "ok"]
    assert not bad, bad
    ids = {r.id for r in real_records}
    assert "numeric.activations.relu.derivative.kink" in ids
    assert {r.details["claim"] for r in real_records} >= {"softmax.jacobian", "costs.ce.derivative"}


@pytest.mark.slow
def test_wrong_real_claims_have_counterexamples(real_records: list[Any]) -> None:
    for r in real_records:
        if r.id.endswith(".paper") and r.expected == "fail":
            assert r.verdict == "fail" and "counterexample" in r.details, r.id
