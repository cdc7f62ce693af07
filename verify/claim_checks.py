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

from verify.gradient.budget import (
    CLAIM_RTOL,
    FD_DECISIVE,
    KINK_SLACK,
    fd_budget,
    fd_step,
    kink_step,
)
from verify.gradient.finite_diff import difference, one_sided_jump, richardson
from verify.results import Record, expect_pass

__all__ = [
    "MP_DIGITS",
    "N_POINTS",
    "RTOL",
    "Arbitration",
    "check_claim",
    "check_claims",
]

N_POINTS = 24
"""Sampled points per claim."""
RTOL = CLAIM_RTOL
"""Analytic sides agree when ``|x - ref| <= RTOL * max(1, |ref|)`` (see the budget module)."""
MP_DIGITS = 50
"""Working precision of the arbiter."""
_MAX_ARBITRATIONS = 3


def _components(expr: Any) -> list[sp.Expr]:
    """Flatten a scalar or Matrix expression, row-major."""
    if isinstance(expr, sp.MatrixBase):
        return list(expr)
    return [sp.sympify(expr)]


def _lambdify_list(
    variables: Sequence[sp.Symbol], exprs: Sequence[sp.Expr], modules: str
) -> Callable[..., list[Any]]:
    """One function returning every entry of ``exprs``, for the numpy, jax or mpmath printer.

    Common subexpressions are shared (``cse=True``): the generated code is shorter and SymPy's
    printer, which sorts the terms of every sum it prints, does far less work; this halves the
    time of the numeric claim checks and leaves every verdict as it was.
    """
    fn = sp.lambdify(list(variables), list(exprs), modules=modules, cse=True)
    return fn  # type: ignore[no-any-return]


def _eval_numpy(
    fn: Callable[..., list[Any]], columns: Sequence[np.ndarray[Any, Any]]
) -> np.ndarray[Any, Any]:
    """Evaluate a lambdified list at P points at once: (P, n_components), constants broadcast."""
    with np.errstate(all="ignore"):
        out = fn(*columns)
    P = columns[0].shape[0] if columns else 1
    return np.stack([np.broadcast_to(np.asarray(o, dtype=np.float64), (P,)) for o in out], axis=1)


@dataclass(frozen=True)
class Arbitration:
    """50-digit verdict at one point: the reference value and which float64 sides are off."""

    point: dict[str, float]
    reference: list[float]
    values: dict[str, list[float]]
    wrong: list[str]
    """Sides whose value differs from the 50-digit reference beyond tolerance."""
    paper_mp_wrong: bool
    """The paper's form is wrong even in 50-digit arithmetic (not a float64 rounding effect)."""


class _Spec:
    """A claim's NumericSpec prepared for vectorised evaluation."""

    def __init__(self, claim: Any) -> None:
        spec = claim.numeric
        self.claim = claim
        self.spec = spec
        self.variables: list[sp.Symbol] = list(spec.variables)
        self.wrt: list[sp.Symbol] = list(spec.wrt)
        self.defs = _components(spec.definition)
        self.paper = _components(spec.paper)
        self.truth = _components(spec.truth)
        self.m, self.k = len(self.defs), len(self.wrt)
        size = self.m * max(self.k, 1)
        if len(self.paper) != size or len(self.truth) != size:
            raise ValueError(
                f"{claim.id}: paper/truth have {len(self.paper)}/{len(self.truth)} entries; "
                f"expected {size} (definition {self.m} x wrt {self.k})"
            )
        self.f_def = _lambdify_list(self.variables, self.defs, "numpy")
        self.f_paper = _lambdify_list(self.variables, self.paper, "numpy")
        self.f_truth = _lambdify_list(self.variables, self.truth, "numpy")

    def sample(self, seed: int) -> np.ndarray[Any, Any]:
        rng = np.random.default_rng(seed)
        rows = []
        for _ in range(N_POINTS):
            point = self.spec.sample(rng)
            rows.append([float(point[v]) for v in self.variables])
        return np.asarray(rows, dtype=np.float64)

    def columns(self, points: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]]:
        return [points[:, i] for i in range(points.shape[1])]

    def jax_values(self, points: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """``jax.jacfwd`` of the definition (or its value when ``wrt`` is empty), vmapped."""
        from verify.jax_reference import enable_x64

        enable_x64()
        import jax
        import jax.numpy as jnp

        f = _lambdify_list(self.variables, self.defs, "jax")
        idx = [self.variables.index(w) for w in self.wrt]

        def F(w: Any, x: Any) -> Any:
            args = [x[i] for i in range(len(self.variables))]
            for j, i in enumerate(idx):
                args[i] = w[j]
            return jnp.stack([jnp.asarray(o, dtype=jnp.float64) * jnp.ones(()) for o in f(*args)])

        from verify.jax_reference import FAST_COMPILE

        X = jnp.asarray(points)
        if not idx:
            values = jax.jit(jax.vmap(lambda x: F(jnp.zeros(0), x)), compiler_options=FAST_COMPILE)
            return np.asarray(values(X)).reshape(len(points), -1)
        W = X[:, idx]
        jac = jax.jit(jax.vmap(jax.jacfwd(F)), compiler_options=FAST_COMPILE)
        return np.asarray(jac(W, X)).reshape(len(points), -1)  # (P, m * k)

    def fd_values(
        self, points: np.ndarray[Any, Any]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Richardson central differences of the definition and their error budgets, (P, m*k)."""
        P = points.shape[0]
        if not self.wrt:
            return _eval_numpy(self.f_def, self.columns(points)), np.zeros((P, self.m))
        vals = np.empty((P, self.m, self.k))
        budgets = np.empty((P, self.m, self.k))
        for j, w in enumerate(self.wrt):
            i = self.variables.index(w)
            h = np.array([fd_step(x, np.float64) for x in points[:, i]])

            def at(
                t: np.ndarray[Any, Any], i: int = i
            ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
                moved = points.copy()
                moved[:, i] = points[:, i] + t
                return _eval_numpy(self.f_def, self.columns(moved)), moved[:, i] - points[:, i]

            fp, tp = at(h)
            fm, tm = at(-h)
            fp2, tp2 = at(h / 2)
            fm2, tm2 = at(-h / 2)
            d_h = difference(fp, fm, (tp - tm)[:, None])
            d_h2 = difference(fp2, fm2, (tp2 - tm2)[:, None])
            vals[:, :, j] = richardson(d_h, d_h2)
            scale = np.maximum.reduce([np.abs(fp), np.abs(fm), np.abs(fp2), np.abs(fm2)])
            for p in range(P):
                for c in range(self.m):
                    budgets[p, c, j] = fd_budget(
                        float(d_h[p, c]),
                        float(d_h2[p, c]),
                        float(scale[p, c]),
                        float(h[p]),
                        np.float64,
                        0.0,
                    ).total
        return vals.reshape(P, -1), budgets.reshape(P, -1)

    def arbitrate(
        self,
        point: np.ndarray[Any, Any],
        sides: dict[str, np.ndarray[Any, Any]],
        candidate: Sequence[sp.Expr] | None = None,
    ) -> Arbitration:
        """Evaluate the reference and ``candidate`` (default: paper) at 50 digits; judge sides."""
        import mpmath

        with mpmath.workdps(MP_DIGITS):
            mp_point = [mpmath.mpf(float(x)) for x in point]
            f_def = [sp.lambdify(self.variables, d, modules="mpmath") for d in self.defs]
            ref: list[Any] = []
            for f in f_def:
                if not self.wrt:
                    ref.append(f(*mp_point))
                    continue
                for w in self.wrt:
                    i = self.variables.index(w)
                    order = [0] * len(self.variables)
                    order[i] = 1
                    ref.append(mpmath.diff(lambda *xs, f=f: f(*xs), mp_point, tuple(order)))
            exprs = self.paper if candidate is None else candidate
            paper_mp = _lambdify_list(self.variables, list(exprs), "mpmath")(*mp_point)
            ref_f = [float(r) for r in ref]
            paper_f = [float(v) for v in paper_mp]
        wrong = [
            name
            for name, v in sides.items()
            if not _agree(np.asarray(v, dtype=np.float64), np.asarray(ref_f), RTOL * 10)
        ]
        return Arbitration(
            point={str(v): float(x) for v, x in zip(self.variables, point, strict=True)},
            reference=ref_f,
            values={k: [float(x) for x in v] for k, v in sides.items()},
            wrong=wrong,
            paper_mp_wrong=not _agree(np.asarray(paper_f), np.asarray(ref_f), RTOL),
        )


def _agree(
    a: np.ndarray[Any, Any], ref: np.ndarray[Any, Any], rtol: float, extra: Any = 0.0
) -> bool:
    """Every entry within ``rtol * max(1, |ref|) + extra`` (NaN never agrees)."""
    tol = rtol * np.maximum(1.0, np.abs(ref)) + extra
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.abs(a - ref) <= tol))


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


def check_claim(claim: Any) -> list[Record]:
    """Check one claim with a NumericSpec: its truth, paper, line and kink records."""
    from derivations.claims import Verdict

    spec = _Spec(claim)
    seed = _seed(claim.id)
    points = spec.sample(seed)
    cols = spec.columns(points)
    paper = _eval_numpy(spec.f_paper, cols)
    truth = _eval_numpy(spec.f_truth, cols)
    fd_v, fd_b = spec.fd_values(points)
    base: dict[str, Any] = {"claim": claim.id, "dtype": "float64", "points": N_POINTS, "seed": seed}
    try:
        jax_v = spec.jax_values(points)
    except Exception as exc:  # an expression JAX cannot trace: FD and mpmath still judge
        jax_v = fd_v
        base["jax_unavailable"] = f"{type(exc).__name__}: {exc}"[:200]

    decisive = _fd_decisive(fd_b)
    fd_note = _fd_words(decisive)

    def agree_row(p: int, v: np.ndarray[Any, Any]) -> bool:
        return _agree(v[p], jax_v[p], RTOL) and _agree(v[p], fd_v[p], RTOL, 4 * fd_b[p])

    # --- the derived truth against JAX and FD (must agree everywhere) ---------------------------
    truth_bad = [p for p in range(N_POINTS) if not agree_row(p, truth)]
    arb_t = [
        spec.arbitrate(points[p], {"truth": truth[p], "jax": jax_v[p], "fd": fd_v[p]})
        for p in truth_bad[:_MAX_ARBITRATIONS]
    ]
    t_ok = not truth_bad or all(not a.wrong or a.wrong == ["fd"] for a in arb_t)
    t_msg = (
        f"derived truth agrees with jax.jacfwd and finite differences at {N_POINTS} points"
        + fd_note
        if not truth_bad
        else f"truth/JAX/FD disagree at {len(truth_bad)} points; 50-digit arbiter: "
        + "; ".join(f"wrong: {', '.join(a.wrong) or 'none'}" for a in arb_t)
    )
    records = [
        expect_pass(
            id=f"numeric.{claim.id}.truth",
            ref=claim.ref,
            ok=t_ok,
            method="jax+fd+mpmath",
            message=t_msg,
            details={
                **base,
                "side": "truth",
                "max_err_jax": _err(truth, jax_v),
                "max_err_fd": _err_where(truth, fd_v, decisive),
                "fd_undecided_points": int(N_POINTS - np.count_nonzero(decisive)),
                "arbitrations": [a.__dict__ for a in arb_t],
            },
        )
    ]

    # --- each printed line of a derivation, then the paper's final form ------------------------
    step_records, wrong_lines = _step_records(spec, claim, points, cols, jax_v, agree_row, base)
    paper_bad = [p for p in range(N_POINTS) if not agree_row(p, paper)]
    arb_p = [
        spec.arbitrate(
            points[p], {"paper": paper[p], "truth": truth[p], "jax": jax_v[p], "fd": fd_v[p]}
        )
        for p in paper_bad[:_MAX_ARBITRATIONS]
    ]
    confirmed = [a for a in arb_p if a.paper_mp_wrong]
    shown_wrong = bool(confirmed) or bool(wrong_lines)
    expected = "fail" if claim.verdict is Verdict.WRONG else "pass"
    verdict = "fail" if shown_wrong else "pass"
    if confirmed:
        a = confirmed[0]
        others = [s for s in a.wrong if s != "paper"]
        msg = (
            f"paper's form is wrong at {a.point}: paper {_fmt(a.values['paper'])} vs 50-digit "
            f"reference {_fmt(a.reference)} (truth, JAX, FD "
            + ("agree with the reference)" if not others else f"also off: {', '.join(others)})")
        )
    elif wrong_lines:
        index, a = wrong_lines[0]
        msg = (
            f"final form agrees at {N_POINTS} points, but printed line {index} is wrong at "
            f"{a.point}: {_fmt(a.values['line'])} vs 50-digit reference {_fmt(a.reference)}"
        )
    elif paper_bad:
        msg = (
            f"paper's form differs in float64 at {len(paper_bad)} points, but agrees at 50 digits "
            "(rounding, not a formula error)"
        )
    else:
        msg = (
            f"paper's form agrees with jax.jacfwd and finite differences at {N_POINTS} points"
            + fd_note
        )
    details: dict[str, Any] = {
        **base,
        "side": "paper",
        "max_err_jax": _err(paper, jax_v),
        "max_err_fd": _err_where(paper, fd_v, decisive),
        "fd_undecided_points": int(N_POINTS - np.count_nonzero(decisive)),
        "points_disagreeing": len(paper_bad),
        "arbitrations": [a.__dict__ for a in arb_p],
        "wrong_lines": [i for i, _ in wrong_lines],
    }
    if confirmed:
        details["counterexample"] = confirmed[0].point
    elif wrong_lines:
        details["counterexample"] = wrong_lines[0][1].point
    records.append(
        Record(
            id=f"numeric.{claim.id}.paper",
            ref=claim.ref,
            kind="numeric",
            verdict=verdict,
            expected=expected,
            status="ok" if verdict == expected else "unexpected",
            method="jax+fd+mpmath",
            message=msg,
            details=details,
        )
    )
    records.extend(step_records)
    records.extend(_kink_records(spec, base))
    return records


def _step_records(
    spec: _Spec,
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
            comps = [sp.sympify(c).doit() for c in _components(step.paper)]
        except Exception:  # an unevaluable line is skipped, not fatal
            continue
        free = set().union(*(c.free_symbols for c in comps)) if comps else set()
        if len(comps) != len(spec.truth) or not free <= set(spec.variables):
            continue
        f_line = _lambdify_list(spec.variables, comps, "numpy")
        line = _eval_numpy(f_line, cols)
        bad = [p for p in range(N_POINTS) if not agree_row(p, line)]
        arbs = [
            spec.arbitrate(points[p], {"line": line[p], "jax": jax_v[p]}, comps)
            for p in bad[:_MAX_ARBITRATIONS]
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


def _one_sided(spec: _Spec, point: np.ndarray[Any, Any], i: int, sign: float) -> float:
    """One-sided derivative of the (first) definition along variable ``i`` (``+-inf``: a jump).

    :func:`~verify.gradient.finite_diff.one_sided_jump` at ``h = kink_step(x)``: a jump in the
    function is reported as an infinite one-sided derivative.
    """

    def f(t: float) -> float:
        moved = point.copy()
        moved[i] += t
        return float(_eval_numpy(spec.f_def, [np.array([x]) for x in moved])[0, 0])

    f0 = f(0.0)
    h = kink_step(float(point[i]))
    return one_sided_jump(f, sign, h, f0)


def _kink_records(spec: _Spec, base: dict[str, Any]) -> list[Record]:
    """At each recorded kink: one-sided derivatives, and the paper's value must lie between them."""
    out: list[Record] = []
    for n, kink in enumerate(spec.spec.kinks):
        point = np.array([float(kink.get(v, 0.0)) for v in spec.variables])
        paper = _eval_numpy(spec.f_paper, [np.array([x]) for x in point])[0]
        rows = []
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
                    "left": _json_float(left),
                    "right": _json_float(right),
                    "paper": _json_float(val),
                    "between": inside,
                }
            )
        where = ", ".join(f"{v}={kink.get(v, 0.0):g}" for v in spec.variables)
        desc = "; ".join(
            f"d/d{r['wrt']}: one-sided [{r['left']}, {r['right']}], paper {r['paper']}"
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
                    "one_sided": rows,
                },
            )
        )
    return out


def _json_float(x: float) -> float | str:
    """Infinite values as ``"+inf"``/``"-inf"`` (strict JSON), others unchanged."""
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    return x


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
