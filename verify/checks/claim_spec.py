"""A claim's NumericSpec made numeric: sides lambdified, points sampled, 50-digit arbitration."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from derivations.compiled import lambdify
from verify.gradient.budget import (
    CLAIM_RTOL,
    fd_budget,
    fd_step,
)
from verify.gradient.finite_diff import difference, richardson

__all__ = [
    "MAX_ARBITRATIONS",
    "MP_DIGITS",
    "N_POINTS",
    "RTOL",
    "Arbitration",
    "ClaimSpec",
    "agree",
    "components",
    "eval_numpy",
    "lambdify_list",
]


N_POINTS = 24
"""Sampled points per claim."""
RTOL = CLAIM_RTOL
"""Analytic sides agree when ``|x - ref| <= RTOL * max(1, |ref|)`` (see the budget module)."""
MP_DIGITS = 50
"""Working precision of the arbiter."""
MAX_ARBITRATIONS = 3
"""Points per failing side re-evaluated in 50-digit arithmetic."""


def components(expr: Any) -> list[sp.Expr]:
    """Flatten a scalar or Matrix expression, row-major."""
    if isinstance(expr, sp.MatrixBase):
        return list(expr)
    return [sp.sympify(expr)]


def lambdify_list(
    variables: Sequence[sp.Symbol], exprs: Sequence[sp.Expr], modules: str
) -> Callable[..., list[Any]]:
    """One function returning every entry of ``exprs``, for the numpy, jax or mpmath printer.

    Common subexpressions are shared (``cse=True``, found once for a list that is lambdified for
    NumPy and then for JAX): the generated code is shorter and SymPy's printer, which sorts the
    terms of every sum it prints, does far less work; this halves the time of the numeric claim
    checks and leaves every verdict as it was.
    """
    return lambdify(variables, list(exprs), modules, cse=True)


def eval_numpy(
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


class ClaimSpec:
    """A claim's NumericSpec prepared for vectorised evaluation."""

    def __init__(self, claim: Any) -> None:
        spec = claim.numeric
        self.claim = claim
        self.spec = spec
        self.variables: list[sp.Symbol] = list(spec.variables)
        self.wrt: list[sp.Symbol] = list(spec.wrt)
        self.defs = components(spec.definition)
        self.paper = components(spec.paper)
        self.truth = components(spec.truth)
        self.m, self.k = len(self.defs), len(self.wrt)
        size = self.m * max(self.k, 1)
        if len(self.paper) != size or len(self.truth) != size:
            raise ValueError(
                f"{claim.id}: paper/truth have {len(self.paper)}/{len(self.truth)} entries; "
                f"expected {size} (definition {self.m} x wrt {self.k})"
            )
        self.f_def = lambdify_list(self.variables, self.defs, "numpy")
        self.f_paper = lambdify_list(self.variables, self.paper, "numpy")
        self.f_truth = lambdify_list(self.variables, self.truth, "numpy")

    def sample(self, seed: int) -> np.ndarray[Any, Any]:
        """``N_POINTS`` points (rows) from the spec's samplers, seeded."""
        rng = np.random.default_rng(seed)
        rows = []
        for _ in range(N_POINTS):
            point = self.spec.sample(rng)
            rows.append([float(point[v]) for v in self.variables])
        return np.asarray(rows, dtype=np.float64)

    def columns(self, points: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]]:
        """One column per variable, for the lambdified functions."""
        return [points[:, i] for i in range(points.shape[1])]

    def jax_values(self, points: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """``jax.jacfwd`` of the definition (or its value when ``wrt`` is empty), vmapped."""
        from verify.checks.jax_reference import enable_x64

        enable_x64()
        import jax
        import jax.numpy as jnp

        f = lambdify_list(self.variables, self.defs, "jax")
        idx = [self.variables.index(w) for w in self.wrt]

        def F(w: Any, x: Any) -> Any:
            args = [x[i] for i in range(len(self.variables))]
            for j, i in enumerate(idx):
                args[i] = w[j]
            return jnp.stack([jnp.asarray(o, dtype=jnp.float64) * jnp.ones(()) for o in f(*args)])

        from verify.checks.jax_reference import fast_compile

        X = jnp.asarray(points)
        if not idx:
            value = jax.vmap(lambda x: F(jnp.zeros(0), x))
            values = jax.jit(value, compiler_options=fast_compile())
            return np.asarray(values(X)).reshape(len(points), -1)
        W = jnp.asarray(points[:, idx])  # picked in NumPy: an eager JAX gather compiles per index
        jac = jax.jit(jax.vmap(jax.jacfwd(F)), compiler_options=fast_compile())
        return np.asarray(jac(W, X)).reshape(len(points), -1)  # (P, m * k)

    def fd_values(
        self, points: np.ndarray[Any, Any]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Richardson central differences of the definition and their error budgets, (P, m*k)."""
        P = points.shape[0]
        if not self.wrt:
            return eval_numpy(self.f_def, self.columns(points)), np.zeros((P, self.m))
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
                return eval_numpy(self.f_def, self.columns(moved)), moved[:, i] - points[:, i]

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

    @functools.cached_property
    def _mp_defs(self) -> list[Callable[..., Any]]:
        """The definition's entries for mpmath, made once for every arbitration of the claim."""
        return [lambdify(self.variables, d, "mpmath") for d in self.defs]

    @functools.cached_property
    def _mp_paper(self) -> Callable[..., list[Any]]:
        """The paper's form for mpmath (made once, like :attr:`_mp_defs`)."""
        return lambdify_list(self.variables, self.paper, "mpmath")

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
            ref: list[Any] = []
            for f in self._mp_defs:
                if not self.wrt:
                    ref.append(f(*mp_point))
                    continue
                for w in self.wrt:
                    i = self.variables.index(w)
                    order = [0] * len(self.variables)
                    order[i] = 1
                    ref.append(mpmath.diff(lambda *xs, f=f: f(*xs), mp_point, tuple(order)))
            f_paper = (
                self._mp_paper
                if candidate is None
                else lambdify_list(self.variables, list(candidate), "mpmath")
            )
            paper_mp = f_paper(*mp_point)
            ref_f = [float(r) for r in ref]
            paper_f = [float(v) for v in paper_mp]
        wrong = [
            name
            for name, v in sides.items()
            if not agree(np.asarray(v, dtype=np.float64), np.asarray(ref_f), RTOL * 10)
        ]
        return Arbitration(
            point={str(v): float(x) for v, x in zip(self.variables, point, strict=True)},
            reference=ref_f,
            values={k: [float(x) for x in v] for k, v in sides.items()},
            wrong=wrong,
            paper_mp_wrong=not agree(np.asarray(paper_f), np.asarray(ref_f), RTOL),
        )


def agree(
    a: np.ndarray[Any, Any], ref: np.ndarray[Any, Any], rtol: float, extra: Any = 0.0
) -> bool:
    """Every entry within ``rtol * max(1, |ref|) + extra`` (NaN never agrees)."""
    tol = rtol * np.maximum(1.0, np.abs(ref)) + extra
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.abs(a - ref) <= tol))
