"""Decide whether a printed formula equals a derived one: SymPy first, then 50-digit mpmath."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from derivations.claims import Method
from derivations.compiled import lambdify
from derivations.sampling import Sampler, uniform_sampler

__all__ = [
    "Decision",
    "Sampler",
    "ShapeError",
    "ShapeMismatch",
    "collapse_kronecker",
    "decide",
    "shape_of",
    "uniform_sampler",
]

_SIMPLIFY_OPS_LIMIT = 400
"""Above this many operations, ``simplify`` is skipped (too slow) and mpmath decides."""


class ShapeError(sp.Symbol):  # type: ignore[misc]
    """A printed product whose factors do not conform: ``ShapeError('δ^l 4x1 · a^{l-1} 3x1')``.

    It stands for the printed expression (which has no value); ``decide`` reports it as the
    residual, since paper and truth differ everywhere.
    """

    def words(self) -> str:
        """Reader words: ``δ^3 (3×1) times a^2 (2×1)``."""
        described = str(self.name).removeprefix("ShapeError(").removesuffix(")")
        parts = []
        for factor in described.split(" · "):
            symbol, _, shape = factor.rpartition(" ")
            parts.append(f"{symbol} ({shape.replace('x', '×')})")
        return " times ".join(parts)


class ShapeMismatch(sp.Symbol):  # type: ignore[misc]
    """Residual of a printed form whose shape differs from the truth's.

    E.g. ``ShapeMismatch('ShapeMismatch(paper=(3, 1), truth=(3, 2))')``.
    """

    def words(self) -> str:
        """Reader words: ``the printed form is 3×1, the derived one 3×2``."""
        found = re.findall(r"(paper|truth)=(\(.*?\)|scalar)", str(self.name))
        shapes = {k: v.strip("()").replace(", ", "×") for k, v in found}
        printed, derived = shapes.get("paper", "?"), shapes.get("truth", "?")
        return f"the printed form is {printed}, the derived one {derived}"


@dataclass(frozen=True)
class Decision:
    """Outcome of comparing a printed formula with its derived truth."""

    equal: bool
    method: Method
    residual: sp.Expr | sp.Matrix | None
    """``paper - truth`` simplified (``None`` when equal); ``ShapeMismatch(...)`` symbol if shapes
    differ."""
    counterexample: dict[str, float] | None
    """For ``equal=False``: a point (variable name -> value) where paper and truth differ."""
    detail: str = ""


def shape_of(expr: sp.Expr | sp.Matrix) -> tuple[int, int] | None:
    """Shape of a SymPy matrix, ``None`` for a scalar expression."""
    if isinstance(expr, sp.MatrixBase):
        rows, cols = expr.shape
        return (int(rows), int(cols))
    return None


def collapse_kronecker(expr: sp.Expr) -> sp.Expr:
    """Use each ``KroneckerDelta(p, q)`` factor of a term to set ``q = p`` in the rest of it.

    SymPy leaves ``(f(i) - f(j)) * KroneckerDelta(i, j)`` alone although it is identically 0;
    this rewrite is exact for integer indices (the factor vanishes unless ``p = q``).
    """
    expr = sp.expand(expr)
    out: list[sp.Expr] = []
    for term in sp.Add.make_args(expr):
        deltas = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.KroneckerDelta)]
        if not deltas:
            out.append(term)
            continue
        delta = deltas[0]
        p, q = delta.args
        rest = sp.Mul(*[f for f in sp.Mul.make_args(term) if f is not delta])
        target, source = (p, q) if isinstance(q, sp.Symbol) else (q, p)
        if isinstance(source, sp.Symbol):
            rest = collapse_kronecker(rest.subs(source, target))
            out.append(sp.KroneckerDelta(p, q) * rest)
        else:
            out.append(term)
    return sp.expand(sp.Add(*out))


def _entries(expr: sp.Expr | sp.Matrix) -> list[sp.Expr]:
    if isinstance(expr, sp.MatrixBase):
        return list(expr)
    return [sp.sympify(expr)]


def _rebuild(entries: list[sp.Expr], like: sp.Expr | sp.Matrix) -> sp.Expr | sp.Matrix:
    shape = shape_of(like)
    if shape is None:
        return entries[0]
    return sp.Matrix(shape[0], shape[1], entries)


def _concretise(expr: sp.Expr, functions: Mapping[Any, sp.Lambda] | None) -> sp.Expr:
    if not functions:
        return expr
    for f, lam in functions.items():
        expr = expr.subs(f, lam)
    return expr.doit()


def _exp_atoms_cancel(entry: sp.Expr) -> bool:
    """Whether ``entry`` is 0 as a rational function once each ``exp(u)`` is a fresh symbol.

    Sound for proving zero (an identity in independent symbols survives any substitution);
    a ``False`` proves nothing.
    """
    atoms: dict[sp.Expr, sp.Symbol] = {}

    def atom(e: sp.Expr) -> sp.Symbol:
        return atoms.setdefault(e, sp.Dummy(f"E{len(atoms)}"))

    replaced = entry.replace(lambda e: isinstance(e, sp.exp), atom)
    numerator, _ = sp.fraction(sp.together(replaced))
    return bool(sp.expand(numerator) == 0)


def _cheap_zero(entry: sp.Expr, assumptions: Any) -> sp.Expr:
    """Cheap normal form of one residual entry: doit, refine, Kronecker collapse, expand."""
    entry = entry.doit()
    if assumptions is not None:
        entry = sp.refine(entry, assumptions)
    if entry.has(sp.KroneckerDelta):
        entry = collapse_kronecker(entry)
    return sp.expand(entry)


def _symbolic_zero(entry: sp.Expr, assumptions: Any) -> sp.Expr:
    """Try harder (exp atoms, simplify) to reduce an entry already through ``_cheap_zero``."""
    if entry == 0:
        return entry
    if entry.has(sp.exp) and _exp_atoms_cancel(entry):
        return sp.Integer(0)
    if sp.count_ops(entry) <= _SIMPLIFY_OPS_LIMIT:
        simplified = sp.simplify(entry)
        if assumptions is not None:
            simplified = sp.refine(simplified, assumptions)
        if simplified.has(sp.KroneckerDelta):
            simplified = collapse_kronecker(simplified)
        return sp.simplify(simplified) if simplified != 0 else simplified
    return entry


def _numeric_residuals(
    entries: list[sp.Expr],
    variables: Sequence[sp.Symbol],
    sample: Sampler,
    n_points: int,
    dps: int,
    seed: int,
) -> tuple[float, dict[sp.Symbol, float] | None]:
    """|residual| at the first sampled point where it is non-zero, and that point.

    Stops at the first such point (deterministic for a given ``seed``); ``(0.0, None)`` if the
    residual vanishes at all ``n_points`` points.
    """
    rng = np.random.default_rng(seed)
    f = lambdify(list(variables), entries, "mpmath")
    worst = 0.0
    worst_point: dict[sp.Symbol, float] | None = None
    tol = mpmath.mpf(10) ** (-(dps - 15))
    with mpmath.workdps(dps):
        for _ in range(n_points):
            point = sample(rng)
            missing = [str(v) for v in variables if v not in point]
            if missing:
                raise ValueError(f"sample: the drawn point lacks variables {missing}")
            args = [mpmath.mpf(point[v]) for v in variables]
            values = f(*args)
            size = max((abs(mpmath.mpmathify(v)) for v in values), default=mpmath.mpf(0))
            if size > tol:
                worst = float(size)
                worst_point = point
                break
    return worst, worst_point


def decide(
    paper: sp.Expr | sp.Matrix,
    truth: sp.Expr | sp.Matrix,
    variables: Sequence[sp.Symbol],
    sample: Sampler | None = None,
    *,
    functions: Mapping[Any, sp.Lambda] | None = None,
    assumptions: Any = None,
    n_points: int = 20,
    dps: int = 50,
    seed: int = 0,
) -> Decision:
    """Decide ``paper == truth`` identically in ``variables``.

    Order: shapes; ``expand``/``simplify`` of the residual (with ``refine(assumptions)`` and
    Kronecker-delta collapsing); then, before anything is called unequal, ``n_points`` sampled
    points evaluated with mpmath at ``dps`` digits (``functions`` maps abstract SymPy functions,
    e.g. ``sigma``, to concrete ``Lambda``s for this step). A non-zero residual confirmed at a
    point gives ``equal=False`` with that point as counterexample; a residual that vanishes at
    every point but does not simplify to 0 is settled by ``Expr.equals`` or, failing that,
    reported equal with ``Method.NUMERIC`` (evidence, not proof).
    """
    if not isinstance(variables, (list, tuple)):
        raise TypeError(f"variables: expected a list or tuple of SymPy symbols, got {variables!r}")
    if n_points < 1:
        raise ValueError(f"n_points: expected a positive integer, got {n_points}")
    if sample is None:
        sample = uniform_sampler(variables)
    mismatch = _shape_mismatch(paper, truth, sample, seed)
    if mismatch is not None:
        return mismatch
    raw = [p - t for p, t in zip(_entries(paper), _entries(truth), strict=True)]
    return _decide_residual(
        paper, raw, variables, sample, functions, assumptions, n_points, dps, seed
    )


def _shape_mismatch(
    paper: sp.Expr | sp.Matrix, truth: sp.Expr | sp.Matrix, sample: Sampler, seed: int
) -> Decision | None:
    """``equal=False`` if the shapes differ (a printed shape error is its residual), else None."""
    shape_p, shape_t = shape_of(paper), shape_of(truth)
    if not (isinstance(paper, ShapeError) or shape_p != shape_t):
        return None
    anywhere = sample(np.random.default_rng(seed))
    mismatch = (
        paper
        if isinstance(paper, ShapeError)
        else ShapeMismatch(
            f"ShapeMismatch(paper={shape_p or 'scalar'}, truth={shape_t or 'scalar'})"
        )
    )
    return Decision(
        equal=False,
        method=Method.SYMBOLIC,
        residual=mismatch,
        counterexample={str(k): v for k, v in anywhere.items()},
        detail="shapes differ: the printed expression cannot equal the derived one anywhere",
    )


def _decide_residual(
    paper: sp.Expr | sp.Matrix,
    raw: list[sp.Expr],
    variables: Sequence[sp.Symbol],
    sample: Sampler,
    functions: Mapping[Any, sp.Lambda] | None,
    assumptions: Any,
    n_points: int,
    dps: int,
    seed: int,
) -> Decision:
    """Decide the entries ``raw`` of paper − truth: cheap expansion, sampled points, simplify.

    See ``decide`` for the order; ``paper`` only gives the residual its shape.
    """
    cheap = [_cheap_zero(e, assumptions) for e in raw]
    if all(e == 0 for e in cheap):
        return Decision(True, Method.SYMBOLIC, None, None, "residual expands to 0")
    symbolic_dimension = any(e.has(sp.Indexed) or e.has(sp.Sum) for e in cheap)
    point: dict[sp.Symbol, float] | None = None
    worst = 0.0
    if not symbolic_dimension:
        # Numbers first: a clearly non-zero residual needs no simplify (which can be slow).
        numeric = [_concretise(e, functions) for e in cheap]
        worst, point = _numeric_residuals(numeric, variables, sample, n_points, dps, seed)
    reduced = cheap if point is not None else [_symbolic_zero(e, assumptions) for e in cheap]
    # Report the shorter of the reduced and the raw residual (expansion can blow up).
    shown = [
        r if sp.count_ops(r) <= sp.count_ops(e) else e for r, e in zip(reduced, raw, strict=True)
    ]
    if point is None and all(e == 0 for e in reduced):
        return Decision(True, Method.SYMBOLIC, None, None, "residual simplifies to 0")
    if symbolic_dimension:
        # Symbolic-dimension expressions cannot be sampled: let the caller enumerate K instead.
        return Decision(
            False, Method.SYMBOLIC, _rebuild(shown, paper), None, "undecided symbolically"
        )
    numeric = [_concretise(e, functions) for e in reduced]
    if point is not None:
        return Decision(
            equal=False,
            method=Method.SYMBOLIC,
            residual=_rebuild(shown, paper),
            counterexample={str(k): v for k, v in point.items()},
            detail=f"non-zero residual confirmed with mpmath ({dps} digits): "
            f"|paper - truth| = {worst:.3g}",
        )
    if all(e == 0 or e.equals(0) is True for e in numeric):
        return Decision(True, Method.SYMBOLIC, None, None, "residual is 0 by Expr.equals")
    return Decision(
        True,
        Method.NUMERIC,
        None,
        None,
        f"residual vanishes at {n_points} points with {dps} digits but did not simplify to 0",
    )
