"""Every claim: verdict == expected, eq. (1)-(39) covered, evidence for wrong claims.

The claims are built once per test process (the ``paper_claims`` fixture), when a test here first
needs them, and every test that uses them runs in the same process (see ``tests/conftest.py``); each
claim is its own subtest, so a failure names the claim.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest
import sympy as sp

import derivations
from derivations import Claim, Verdict
from derivations.registry import FAMILIES, paper_position

AGREEING = {
    Verdict.HOLDS,
    Verdict.HOLDS_IF,
    Verdict.HOLDS_ALMOST_EVERYWHERE,
    Verdict.CONVENTION,
    Verdict.DEFINITION,
}


def test_verdict_is_expected(paper_claims: list[Claim], subtests: pytest.Subtests) -> None:
    for claim in paper_claims:
        with subtests.test(claim.id):
            assert claim.verdict is claim.expected, (
                f"{claim.id}: {claim.verdict} != {claim.expected}"
            )


def test_every_numbered_equation_has_a_claim(paper_claims: list[Claim]) -> None:
    numbers = set()
    for c in paper_claims:
        m = re.fullmatch(r"eq\. (\d+)", c.ref)
        if m:
            numbers.add(int(m.group(1)))
    assert numbers == set(range(1, 40))


def test_ids_unique_families_known_and_paper_order(paper_claims: list[Claim]) -> None:
    ids = [c.id for c in paper_claims]
    assert len(ids) == len(set(ids))
    assert {c.family for c in paper_claims} <= set(FAMILIES)
    positions = [paper_position(c.ref) for c in paper_claims]
    assert positions == sorted(positions)
    grouped = derivations.claims_by_family()
    assert sum(len(v) for v in grouped.values()) == len(paper_claims)
    assert list(grouped)[: len(FAMILIES)] == list(FAMILIES)


def test_wrong_claims_carry_evidence(paper_claims: list[Claim], subtests: pytest.Subtests) -> None:
    wrong = [c for c in paper_claims if c.verdict is Verdict.WRONG]
    assert wrong
    for claim in wrong:
        with subtests.test(claim.id):
            assert claim.corrected is not None
            assert claim.residual is not None
            assert claim.counterexample, "a wrong claim needs a concrete point"
            assert all(isinstance(v, float) for v in claim.counterexample.values())


def test_conditional_verdicts_state_their_condition(
    paper_claims: list[Claim], subtests: pytest.Subtests
) -> None:
    conditional = (Verdict.HOLDS_IF, Verdict.HOLDS_ALMOST_EVERYWHERE)
    claims = [c for c in paper_claims if c.verdict in conditional]
    assert claims
    for claim in claims:
        with subtests.test(claim.id):
            assert claim.condition


def test_chains_report_the_first_wrong_line(paper_claims: list[Claim]) -> None:
    binary = derivations.get("costs.ce.binary.derivative")
    assert binary.first_wrong_step == 1
    assert binary.steps[-1].verdict is Verdict.HOLDS  # right end, wrong middle: still reported
    assert binary.verdict is Verdict.WRONG
    assert derivations.get("activations.sigmoid.derivation").first_wrong_step is None
    assert derivations.get("softmax.jacobian.derivation").first_wrong_step is None
    ce = derivations.get("deltas.ce_softmax.derivation")
    # line 1 is the printed left-hand side (one product, index j, as in eq. 39): wrong
    assert [s.verdict for s in ce.steps] == [Verdict.WRONG] + [Verdict.HOLDS] * 4 + [
        Verdict.HOLDS_IF
    ]
    assert ce.first_wrong_step == 1 and ce.verdict is Verdict.WRONG


def test_specific_findings(paper_claims: list[Claim]) -> None:
    assert derivations.get("softmax.jacobian").method == "symbolic_general_K"
    assert derivations.get("backprop.dW_layer").residual.name.startswith("ShapeError")
    assert derivations.get("training.algorithm.sgd").extra["printed_update_is_full_batch"]
    mse_softmax = derivations.get("deltas.mse_softmax")
    assert all(mse_softmax.extra["fixed_i_readings_wrong"])
    relu = derivations.get("activations.relu.derivative")
    assert relu.extra["one_sided"] == (0.0, 1.0)
    assert relu.extra["paper_at_0"] == 1.0


def test_the_same_list_every_call(paper_claims: list[Claim]) -> None:
    assert [c.id for c in derivations.all_claims()] == [c.id for c in paper_claims]
    assert set(derivations.timings()) >= {"costs", "deltas", "training"}


def test_get_unknown_claim_names_it(paper_claims: list[Claim]) -> None:
    with pytest.raises(KeyError, match=r"no\.such"):
        derivations.get("no.such")


def _evaluator(claim: Claim) -> Callable[[dict[sp.Symbol, float]], tuple[np.ndarray, np.ndarray]]:
    spec = claim.numeric
    assert spec is not None
    f_paper, f_truth = spec.lambdify(spec.paper), spec.lambdify(spec.truth)

    def evaluate(point: dict[sp.Symbol, float]) -> tuple[np.ndarray, np.ndarray]:
        args = [point[v] for v in spec.variables]
        paper = np.asarray(f_paper(*args), dtype=float)
        truth = np.asarray(f_truth(*args), dtype=float)
        return paper, truth

    return evaluate


def _numeric(claims: list[Claim]) -> list[Claim]:
    out = [c for c in claims if c.numeric is not None]
    assert out
    return out


def test_numeric_spec_agrees_iff_verdict_agrees(
    paper_claims: list[Claim], subtests: pytest.Subtests
) -> None:
    for claim in _numeric(paper_claims):
        with subtests.test(claim.id):
            _agrees_iff_verdict_agrees(claim)


def _agrees_iff_verdict_agrees(claim: Claim) -> None:
    spec = claim.numeric
    assert spec is not None
    rng = np.random.default_rng(0)
    evaluate = _evaluator(claim)
    gaps = []
    for _ in range(8):
        point = spec.sample(rng)
        assert set(point) == set(spec.variables)
        paper, truth = evaluate(point)
        assert paper.shape == truth.shape
        assert np.all(np.isfinite(truth))
        gaps.append(float(np.max(np.abs(paper - truth) / (1.0 + np.abs(truth)))))
    if claim.verdict in AGREEING:
        assert max(gaps) < 1e-9, f"{claim.id}: {claim.verdict} but numbers differ by {max(gaps)}"
    else:
        assert max(gaps) > 1e-6, f"{claim.id}: wrong but numbers agree at every sampled point"


def test_counterexample_separates_paper_and_truth(
    paper_claims: list[Claim], subtests: pytest.Subtests
) -> None:
    checked = 0
    for claim in _numeric(paper_claims):
        if claim.verdict is not Verdict.WRONG:
            continue
        spec = claim.numeric
        assert spec is not None and claim.counterexample is not None
        names = {str(v): v for v in spec.variables}
        if not set(names) <= set(claim.counterexample):
            continue  # counterexample given in the claim's own instance, not the numeric one
        with subtests.test(claim.id):
            point = {names[k]: claim.counterexample[k] for k in names}
            paper, truth = _evaluator(claim)(point)
            assert not np.allclose(paper, truth, rtol=1e-9, atol=1e-12)
        checked += 1
    assert checked >= 12  # the wrong claims whose counterexample is in the numeric instance


def test_identity_specs_define_the_truth(
    paper_claims: list[Claim], subtests: pytest.Subtests
) -> None:
    identities = [c for c in _numeric(paper_claims) if c.numeric is not None and not c.numeric.wrt]
    assert identities
    for claim in identities:
        spec = claim.numeric
        assert spec is not None
        with subtests.test(claim.id):
            point = spec.sample(np.random.default_rng(1))
            args = [point[v] for v in spec.variables]
            definition = np.asarray(spec.lambdify(spec.definition)(*args), dtype=float)
            truth = np.asarray(spec.lambdify(spec.truth)(*args), dtype=float)
            np.testing.assert_allclose(definition, truth, rtol=1e-12)


def test_tests_of_the_claims_share_one_process(
    paper_claims: list[Claim], request: pytest.FixtureRequest
) -> None:
    """Under ``-n auto --dist loadgroup`` every test using the claims carries the group suffix."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run by pytest-xdist with --dist loadgroup")
    assert request.node.nodeid.endswith("@paper-claims"), (
        f"{request.node.nodeid}: the claims would be built in every test process"
    )
