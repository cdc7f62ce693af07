"""Turn decisions into verdicts: one printed statement or one printed line against the truth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from derivations.claims import Claim, Method, NumericSpec, Step, Verdict
from derivations.equivalence import Decision, Sampler, decide

__all__ = [
    "Judgement",
    "chain_verdict",
    "define",
    "judge",
    "judge_chain",
    "judge_step",
    "make_claim",
]


@dataclass(frozen=True)
class Judgement:
    """A computed verdict with the evidence behind it."""

    verdict: Verdict
    method: Method
    residual: sp.Expr | sp.Matrix | None
    counterexample: dict[str, float] | None
    condition: str | None
    detail: str


def _subs(expr: sp.Expr | sp.Matrix, given: Mapping[Any, Any]) -> sp.Expr | sp.Matrix:
    return expr.subs(dict(given))


def judge(
    paper: sp.Expr | sp.Matrix,
    truth: sp.Expr | sp.Matrix,
    variables: Sequence[sp.Symbol],
    sample: Sampler | None = None,
    *,
    given: Mapping[Any, Any] | None = None,
    condition: str | None = None,
    conditional: tuple[sp.Expr | sp.Matrix, sp.Expr | sp.Matrix] | None = None,
    functions: Mapping[Any, sp.Lambda] | None = None,
    assumptions: Any = None,
) -> Judgement:
    """Verdict of ``paper`` against ``truth``.

    ``holds`` when they are identical; otherwise ``holds_if`` when they agree under the side
    condition (``given``: a substitution applied to both, e.g. ``{y2: 1 - y1}``; or
    ``conditional``: a (paper, truth) pair describing the conditioned case, e.g. an elementwise
    activation instead of softmax), described by ``condition``; otherwise ``wrong``. The
    unconditional residual and counterexample are kept for ``holds_if`` and ``wrong``.
    """
    if (given is not None or conditional is not None) and not condition:
        raise ValueError("condition: a side condition needs a human-readable description")
    first: Decision = decide(
        paper, truth, variables, sample, functions=functions, assumptions=assumptions
    )
    if first.equal:
        return Judgement(Verdict.HOLDS, first.method, None, None, None, first.detail)
    second: Decision | None = None
    if given is not None:
        second = decide(
            _subs(paper, given),
            _subs(truth, given),
            variables,
            sample,
            functions=functions,
            assumptions=assumptions,
        )
    elif conditional is not None:
        second = decide(
            conditional[0],
            conditional[1],
            variables,
            sample,
            functions=functions,
            assumptions=assumptions,
        )
    if second is not None and second.equal:
        return Judgement(
            Verdict.HOLDS_IF,
            second.method,
            first.residual,
            first.counterexample,
            condition,
            f"unconditionally: {first.detail}; under the condition: {second.detail}",
        )
    return Judgement(
        Verdict.WRONG, first.method, first.residual, first.counterexample, None, first.detail
    )


def judge_step(
    index: int,
    paper: sp.Expr | sp.Matrix,
    truth: sp.Expr | sp.Matrix,
    variables: Sequence[sp.Symbol],
    sample: Sampler | None = None,
    *,
    note: str = "",
    **kwargs: Any,
) -> Step:
    """One printed line of a derivation judged against the truth (not against the line before)."""
    j = judge(paper, truth, variables, sample, **kwargs)
    return Step(
        index=index,
        paper=paper,
        verdict=j.verdict,
        residual=j.residual,
        condition=j.condition,
        note=(note + ("; " if note else "") + j.detail) if j.verdict is not Verdict.HOLDS else note,
    )


def judge_chain(
    lines: Sequence[sp.Expr | sp.Matrix | tuple[sp.Expr | sp.Matrix, dict[str, Any]]],
    truth: sp.Expr | sp.Matrix,
    variables: Sequence[sp.Symbol],
    sample: Sampler | None = None,
    **kwargs: Any,
) -> tuple[tuple[Step, ...], Judgement]:
    """Judge every printed line against ``truth``; return the steps and the chain's judgement.

    A line may be ``(expr, options)`` with per-line ``judge`` options (e.g. a ``given``).
    The chain's judgement carries the first wrong line's residual and counterexample, so one
    slip is reported once, at its line, even when the last line is right.
    """
    steps: list[Step] = []
    judgements: list[Judgement] = []
    for index, line in enumerate(lines, start=1):
        expr, options = line if isinstance(line, tuple) else (line, {})
        j = judge(expr, truth, variables, sample, **{**kwargs, **options})
        judgements.append(j)
        steps.append(
            Step(
                index=index,
                paper=expr,
                verdict=j.verdict,
                residual=j.residual,
                condition=j.condition,
                note="" if j.verdict is Verdict.HOLDS else j.detail,
            )
        )
    verdict = chain_verdict(steps)
    pick = next((j for j in judgements if j.verdict is verdict), judgements[-1])
    methods = {j.method for j in judgements}
    method = Method.NUMERIC if Method.NUMERIC in methods else pick.method
    chain = Judgement(
        verdict, method, pick.residual, pick.counterexample, pick.condition, pick.detail
    )
    return tuple(steps), chain


def define(expr: sp.Expr | sp.Matrix, variables: Sequence[sp.Symbol]) -> Judgement:
    """Judge a definition: only checked to be a well-formed expression in ``variables``."""
    free = expr.free_symbols - set(variables)
    if free:
        raise ValueError(f"definition uses symbols outside its variables: {sorted(map(str, free))}")
    return Judgement(Verdict.DEFINITION, Method.DEFINITION, None, None, None, "definition")


def chain_verdict(steps: Sequence[Step]) -> Verdict:
    """Combine lines: ``wrong`` if any line is, ``holds_if`` if any line needs a condition."""
    if not steps:
        raise ValueError("steps: a derivation needs at least one printed line")
    verdicts = {s.verdict for s in steps}
    if Verdict.WRONG in verdicts:
        return Verdict.WRONG
    if Verdict.HOLDS_IF in verdicts:
        return Verdict.HOLDS_IF
    return Verdict.HOLDS


def make_claim(
    *,
    id: str,
    ref: str,
    family: str,
    title: str,
    printed: str,
    expected: Verdict,
    judgement: Judgement | None = None,
    verdict: Verdict | None = None,
    method: Method | None = None,
    paper: sp.Expr | sp.Matrix | None = None,
    truth: sp.Expr | sp.Matrix | None = None,
    steps: tuple[Step, ...] = (),
    condition: str | None = None,
    corrected: sp.Expr | sp.Matrix | None = None,
    residual: sp.Expr | sp.Matrix | None = None,
    counterexample: Mapping[str, float] | None = None,
    note: str = "",
    numeric: NumericSpec | None = None,
    extra: Mapping[str, Any] | None = None,
    corrected_printed: str = "",
    corrected_prose: bool = False,
    corrected_instance: str = "",
) -> Claim:
    """Assemble a ``Claim``; the verdict comes from ``judgement`` (or an explicit computed one).

    A ``wrong`` claim must carry ``corrected``, ``residual``, ``counterexample`` and
    ``corrected_printed`` (the corrected statement in the paper's notation, for readers).
    """
    if judgement is not None:
        verdict = verdict or judgement.verdict
        method = method or judgement.method
        residual = residual if residual is not None else judgement.residual
        counterexample = counterexample if counterexample is not None else judgement.counterexample
        condition = condition or judgement.condition
    if verdict is None or method is None:
        raise ValueError(f"{id}: verdict and method are required without a judgement")
    if verdict is Verdict.WRONG and (
        corrected is None or residual is None or counterexample is None
    ):
        raise ValueError(f"{id}: a wrong claim needs corrected, residual and counterexample")
    if verdict is Verdict.WRONG and not corrected_printed.strip():
        raise ValueError(f"{id}: a wrong claim needs corrected_printed (the paper's notation)")
    if verdict in (Verdict.HOLDS_IF, Verdict.HOLDS_ALMOST_EVERYWHERE) and not condition:
        raise ValueError(f"{id}: verdict {verdict} needs a condition")
    return Claim(
        id=id,
        ref=ref,
        family=family,
        title=title,
        verdict=verdict,
        expected=expected,
        method=method,
        paper=paper,
        truth=truth,
        steps=steps,
        condition=condition,
        corrected=corrected,
        residual=residual,
        counterexample=counterexample,
        note=note,
        printed=printed,
        numeric=numeric,
        extra=dict(extra or {}),
        corrected_printed=corrected_printed.strip(),
        corrected_prose=corrected_prose,
        corrected_instance=corrected_instance,
    )
