"""Claims of the paper, numerically: printed form and derived truth vs JAX, FD and 50-digit mpmath.

For each claim with a :class:`~derivations.claims.NumericSpec`, at sampled points (saturation
``|z|`` up to 30, near but never on kinks): the paper's form and the derived truth against
``jax.jacfwd`` of the definition (lambdified with ``modules="jax"``) and against Richardson
central differences of the definition. Where float64 values disagree, an mpmath evaluation at 50
digits (``mpmath.diff`` of the definition, paper and truth in 50-digit arithmetic) says WHICH
side is wrong. A claim the derivations call wrong must be shown wrong at a concrete point.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from verify.checks.claim_spec import (
    MAX_ARBITRATIONS,
    MP_DIGITS,
    N_POINTS,
    RTOL,
    Arbitration,
    ClaimSpec,
    agree,
    components,
    eval_numpy,
    lambdify_list,
)
from verify.gradient.budget import (
    FD_DECISIVE,
    KINK_SLACK,
    kink_step,
)
from verify.gradient.finite_diff import one_sided_jump
from verify.results import Record, expect_pass, json_safe

__all__ = [
    "MP_DIGITS",
    "N_POINTS",
    "RTOL",
    "Arbitration",
    "check_claim",
    "check_claims",
]


def _err(a: np.ndarray[Any, Any], ref: np.ndarray[Any, Any]) -> float:
    """Largest ``|a - ref| / max(1, |ref|)`` (NaN propagates as inf)."""
    with np.errstate(invalid="ignore"):
        e = np.abs(a - ref) / np.maximum(1.0, np.abs(ref))
    return float(np.max(np.where(np.isnan(e), np.inf, e), initial=0.0))


def _fd_decisive(fd_b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Points where finite differences can judge: their error budget is below ``FD_DECISIVE``.

    Within one step of a kink the central differences straddle it and Richardson's budget blows
    up; such points are judged by the one-sided kink check, and left out of ``max_err_fd``.
    """
    with np.errstate(invalid="ignore"):
        return np.asarray(np.all(fd_b <= FD_DECISIVE, axis=1))


def _err_where(a: np.ndarray[Any, Any], ref: np.ndarray[Any, Any], rows: Any) -> float:
    """``_err`` over the selected rows only (0 when none is selected)."""
    return _err(a[rows], ref[rows])


def _fd_words(decisive: np.ndarray[Any, Any]) -> str:
    """How many points finite differences judged, for a record's message."""
    undecided = int(np.size(decisive) - np.count_nonzero(decisive))
    if not undecided:
        return ""
    return f" ({undecided} within one FD step of a kink: FD undecided there, see the kink check)"


def _seed(claim_id: str) -> int:
    """Stable per-claim seed (``PYTHONHASHSEED``-independent)."""
    return zlib.crc32(claim_id.encode())


@dataclass(frozen=True)
class _Values:
    """One claim's sampled points and its values there: paper, truth, JAX, FD and FD's budget."""

    spec: ClaimSpec
    points: np.ndarray[Any, Any]
    cols: list[np.ndarray[Any, Any]]
    paper: np.ndarray[Any, Any]
    truth: np.ndarray[Any, Any]
    jax_v: np.ndarray[Any, Any]
    fd_v: np.ndarray[Any, Any]
    fd_b: np.ndarray[Any, Any]
    decisive: np.ndarray[Any, Any]

    def agree_row(self, p: int, v: np.ndarray[Any, Any]) -> bool:
        """``v`` agrees with JAX and with FD (within FD's budget) at point ``p``."""
        return agree(v[p], self.jax_v[p], RTOL) and agree(
            v[p], self.fd_v[p], RTOL, 4 * self.fd_b[p]
        )

    def fd_columns(self, values: np.ndarray[Any, Any]) -> dict[str, Any]:
        """The error columns of a record: against JAX, against FD where FD decides."""
        return {
            "max_err_jax": _err(values, self.jax_v),
            "max_err_fd": _err_where(values, self.fd_v, self.decisive),
            "fd_undecided_points": int(N_POINTS - np.count_nonzero(self.decisive)),
        }


def _evaluate(spec: ClaimSpec, seed: int, base: dict[str, Any]) -> _Values:
    """Sample the claim's points and evaluate every side there (notes JAX failures in ``base``)."""
    points = spec.sample(seed)
    cols = spec.columns(points)
    paper = eval_numpy(spec.f_paper, cols)
    truth = eval_numpy(spec.f_truth, cols)
    fd_v, fd_b = spec.fd_values(points)
    try:
        jax_v = spec.jax_values(points)
    except Exception as exc:  # an expression JAX cannot trace: FD and mpmath still judge
        jax_v = fd_v
        base["jax_unavailable"] = f"{type(exc).__name__}: {exc}"[:200]
    decisive = _fd_decisive(fd_b)
    return _Values(spec, points, cols, paper, truth, jax_v, fd_v, fd_b, decisive)


def _truth_record(claim: Any, v: _Values, base: dict[str, Any]) -> Record:
    """The derived truth against JAX and FD: must agree everywhere (50 digits arbitrate)."""
    truth, jax_v, fd_v = v.truth, v.jax_v, v.fd_v
    truth_bad = [p for p in range(N_POINTS) if not v.agree_row(p, truth)]
    arb_t = [
        v.spec.arbitrate(v.points[p], {"truth": truth[p], "jax": jax_v[p], "fd": fd_v[p]})
        for p in truth_bad[:MAX_ARBITRATIONS]
    ]
    t_ok = not truth_bad or all(not a.wrong or a.wrong == ["fd"] for a in arb_t)
    t_msg = (
        f"derived truth agrees with jax.jacfwd and finite differences at {N_POINTS} points"
        + _fd_words(v.decisive)
        if not truth_bad
        else f"truth/JAX/FD disagree at {len(truth_bad)} points; 50-digit arbiter: "
        + "; ".join(f"wrong: {', '.join(a.wrong) or 'none'}" for a in arb_t)
    )
    return expect_pass(
        id=f"numeric.{claim.id}.truth",
        ref=claim.ref,
        ok=t_ok,
        method="jax+fd+mpmath",
        message=t_msg,
        details={
            **base,
            "side": "truth",
            **v.fd_columns(truth),
            "arbitrations": [a.__dict__ for a in arb_t],
        },
    )


def _paper_message(
    v: _Values,
    confirmed: list[Arbitration],
    wrong_lines: list[tuple[int, Arbitration]],
    paper_bad: list[int],
) -> str:
    """What the paper's form did: wrong at a point, a wrong line, rounding only, or agreement."""
    if confirmed:
        a = confirmed[0]
        others = [s for s in a.wrong if s != "paper"]
        return (
            f"paper's form is wrong at {a.point}: paper {_fmt(a.values['paper'])} vs 50-digit "
            f"reference {_fmt(a.reference)} (truth, JAX, FD "
            + ("agree with the reference)" if not others else f"also off: {', '.join(others)})")
        )
    if wrong_lines:
        index, a = wrong_lines[0]
        return (
            f"final form agrees at {N_POINTS} points, but printed line {index} is wrong at "
            f"{a.point}: {_fmt(a.values['line'])} vs 50-digit reference {_fmt(a.reference)}"
        )
    if paper_bad:
        return (
            f"paper's form differs in float64 at {len(paper_bad)} points, but agrees at 50 digits "
            "(rounding, not a formula error)"
        )
    return (
        f"paper's form agrees with jax.jacfwd and finite differences at {N_POINTS} points"
        + _fd_words(v.decisive)
    )


def _paper_record(
    claim: Any, v: _Values, base: dict[str, Any], wrong_lines: list[tuple[int, Arbitration]]
) -> Record:
    """The paper's final form: shown wrong at a point (or at a line) iff the verdict is wrong."""
    from derivations.claims import Verdict

    paper, truth, jax_v, fd_v = v.paper, v.truth, v.jax_v, v.fd_v
    paper_bad = [p for p in range(N_POINTS) if not v.agree_row(p, paper)]
    arb_p = [
        v.spec.arbitrate(
            v.points[p], {"paper": paper[p], "truth": truth[p], "jax": jax_v[p], "fd": fd_v[p]}
        )
        for p in paper_bad[:MAX_ARBITRATIONS]
    ]
    confirmed = [a for a in arb_p if a.paper_mp_wrong]
    shown_wrong = bool(confirmed) or bool(wrong_lines)
    expected = "fail" if claim.verdict is Verdict.WRONG else "pass"
    verdict = "fail" if shown_wrong else "pass"
    details: dict[str, Any] = {
        **base,
        "side": "paper",
        **v.fd_columns(paper),
        "points_disagreeing": len(paper_bad),
        "arbitrations": [a.__dict__ for a in arb_p],
        "wrong_lines": [i for i, _ in wrong_lines],
    }
    if confirmed:
        details["counterexample"] = confirmed[0].point
    elif wrong_lines:
        details["counterexample"] = wrong_lines[0][1].point
    return Record(
        id=f"numeric.{claim.id}.paper",
        ref=claim.ref,
        kind="numeric",
        verdict=verdict,
        expected=expected,
        status="ok" if verdict == expected else "unexpected",
        method="jax+fd+mpmath",
        message=_paper_message(v, confirmed, wrong_lines, paper_bad),
        details=details,
    )


def check_claim(claim: Any) -> list[Record]:
    """Check one claim with a NumericSpec: its truth, paper, line and kink records."""
    spec = ClaimSpec(claim)
    seed = _seed(claim.id)
    base: dict[str, Any] = {"claim": claim.id, "dtype": "float64", "points": N_POINTS, "seed": seed}
    v = _evaluate(spec, seed, base)
    records = [_truth_record(claim, v, base)]
    # each printed line of a derivation, then the paper's final form
    step_records, wrong_lines = _step_records(
        spec, claim, v.points, v.cols, v.jax_v, v.agree_row, base
    )
    records.append(_paper_record(claim, v, base, wrong_lines))
    records.extend(step_records)
    records.extend(_kink_records(spec, base))
    return records


def _step_records(
    spec: ClaimSpec,
    claim: Any,
    points: np.ndarray[Any, Any],
    cols: list[np.ndarray[Any, Any]],
    jax_v: np.ndarray[Any, Any],
    agree_row: Callable[[int, np.ndarray[Any, Any]], bool],
    base: dict[str, Any],
) -> tuple[list[Record], list[tuple[int, Arbitration]]]:
    """One record per printed line of a derivation (``Claim.steps``) that can be evaluated.

    A line printed as ``d/da (...)`` is evaluated as printed (``doit``). Lines the derivations call
    wrong must be shown wrong at a point (50-digit confirmed); the others must agree.
    """
    from derivations.claims import Verdict

    out: list[Record] = []
    wrong: list[tuple[int, Arbitration]] = []
    for step in claim.steps:
        try:
            comps = [sp.sympify(c).doit() for c in components(step.paper)]
        except Exception:  # an unevaluable line is skipped, not fatal
            continue
        free = set().union(*(c.free_symbols for c in comps)) if comps else set()
        if len(comps) != len(spec.truth) or not free <= set(spec.variables):
            continue
        f_line = lambdify_list(spec.variables, comps, "numpy")
        line = eval_numpy(f_line, cols)
        bad = [p for p in range(N_POINTS) if not agree_row(p, line)]
        arbs = [
            spec.arbitrate(points[p], {"line": line[p], "jax": jax_v[p]}, comps)
            for p in bad[:MAX_ARBITRATIONS]
        ]
        confirmed = [a for a in arbs if a.paper_mp_wrong]
        if confirmed:
            wrong.append((step.index, confirmed[0]))
        expected = "fail" if step.verdict is Verdict.WRONG else "pass"
        verdict = "fail" if confirmed else "pass"
        msg = (
            f"line {step.index} is wrong at {confirmed[0].point}: "
            f"{_fmt(confirmed[0].values['line'])}"
            f" vs 50-digit reference {_fmt(confirmed[0].reference)}"
            if confirmed
            else f"line {step.index} agrees with jax.jacfwd at {N_POINTS} points"
        )
        out.append(
            Record(
                id=f"numeric.{claim.id}.line{step.index}",
                ref=claim.ref,
                kind="numeric",
                verdict=verdict,
                expected=expected,
                status="ok" if verdict == expected else "unexpected",
                method="jax+mpmath",
                message=msg,
                details={
                    **base,
                    "side": f"line {step.index}",
                    "max_err_jax": _err(line, jax_v),
                    **({"counterexample": confirmed[0].point} if confirmed else {}),
                },
            )
        )
    return out, wrong


def _fmt(v: Sequence[float]) -> str:
    return "[" + ", ".join(f"{x:.10g}" for x in v) + "]" if len(v) > 1 else f"{v[0]:.10g}"


def _one_sided(spec: ClaimSpec, point: np.ndarray[Any, Any], i: int, sign: float) -> float:
    """One-sided derivative of the (first) definition along variable ``i`` (``+-inf``: a jump).

    :func:`~verify.gradient.finite_diff.one_sided_jump` at ``h = kink_step(x)``: a jump in the
    function is reported as an infinite one-sided derivative.
    """

    def f(t: float) -> float:
        moved = point.copy()
        moved[i] += t
        return float(eval_numpy(spec.f_def, [np.array([x]) for x in moved])[0, 0])

    f0 = f(0.0)
    h = kink_step(float(point[i]))
    return one_sided_jump(f, sign, h, f0)


def _kink_records(spec: ClaimSpec, base: dict[str, Any]) -> list[Record]:
    """At each recorded kink: one-sided derivatives, and the paper's value must lie between them."""
    out: list[Record] = []
    for n, kink in enumerate(spec.spec.kinks):
        point = np.array([float(kink.get(v, 0.0)) for v in spec.variables])
        paper = eval_numpy(spec.f_paper, [np.array([x]) for x in point])[0]
        rows: list[dict[str, Any]] = []
        ok = True
        for j, w in enumerate(spec.wrt):
            i = spec.variables.index(w)
            left, right = _one_sided(spec, point, i, -1.0), _one_sided(spec, point, i, 1.0)
            lo, hi = min(left, right), max(left, right)
            val = float(paper[j]) if spec.m == 1 else float("nan")
            inside = math.isfinite(val) and lo - KINK_SLACK <= val <= hi + KINK_SLACK
            ok &= inside
            rows.append(
                {
                    "wrt": str(w),
                    "left": left,
                    "right": right,
                    "paper": val,
                    "between": inside,
                }
            )
        where = ", ".join(f"{v}={kink.get(v, 0.0):g}" for v in spec.variables)
        desc = "; ".join(
            f"d/d{r['wrt']}: one-sided [{_signed(r['left'])}, {_signed(r['right'])}], "
            f"paper {_signed(r['paper'])}"
            for r in rows
        )
        out.append(
            expect_pass(
                id=f"numeric.{spec.claim.id}.kink" + (f".{n + 1}" if n else ""),
                ref=spec.claim.ref,
                ok=ok,
                method="one-sided fd",
                message=f"kink at {where}: {desc} ("
                + (
                    "the paper's value lies between them: a valid convention)"
                    if ok
                    else "the paper's value lies OUTSIDE them)"
                ),
                details={
                    **base,
                    "side": "kink",
                    "kink": {str(k): float(v) for k, v in kink.items()},
                    "one_sided": json_safe(rows),
                },
            )
        )
    return out


def _signed(x: float) -> str:
    """A value for a message: an infinite one signed (``+inf``), others as Python prints them."""
    return f"{x:+}" if math.isinf(x) else str(x)


def check_claims(claims: Sequence[Any]) -> list[Record]:
    """Numeric records for every claim with a NumericSpec (``error`` records if one cannot run)."""
    records: list[Record] = []
    for claim in claims:
        if getattr(claim, "numeric", None) is None:
            continue
        try:
            records.extend(check_claim(claim))
        except Exception as exc:  # one broken spec must not hide the others
            records.append(
                Record(
                    id=f"numeric.{claim.id}.paper",
                    ref=claim.ref,
                    kind="numeric",
                    verdict="error",
                    expected="pass",
                    status="error",
                    method="jax+fd+mpmath",
                    message=f"could not evaluate: {type(exc).__name__}: {exc}",
                    details={"claim": claim.id},
                )
            )
    return records
