"""Concrete instances (sizes and free indices fixed) and the 50-digit mpmath arbiter."""

from __future__ import annotations

import gc
import itertools
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import FrameType

import mpmath
import numpy as np
import sympy as sp

from derivations.compiled import lambdify
from derivations.document.context import Context
from derivations.document.unfolding import rename_bound

__all__ = [
    "Instance",
    "StepTimeoutError",
    "compare",
    "concretise",
    "instances",
    "time_limit",
    "value_text",
]

DEFAULT_SIZE = 3
"""Sizes (``K``, ``N``) are checked at 3 unless the notation block says otherwise."""
_MAX_INSTANCES = 27


class StepTimeoutError(Exception):
    """A symbolic computation ran over its time budget."""


def _swallowing(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs inside a gc callback (JAX has one) or a ``__del__``."""
    callbacks = {getattr(cb, "__code__", None) for cb in gc.callbacks}
    while frame is not None:
        code = frame.f_code
        if code in callbacks or code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`StepTimeoutError` after ``seconds`` (main thread only; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def _raise(signum: int, frame: FrameType | None) -> None:
        if _swallowing(frame):
            # Python swallows an exception raised in a garbage-collector callback or a
            # finaliser: try again a moment later, back in ordinary code.
            signal.setitimer(signal.ITIMER_REAL, 0.005)
            return
        raise StepTimeoutError

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Instance:
    """Both sides with sizes and free indices fixed, indexed entries as plain symbols."""

    left: sp.Expr
    right: sp.Expr
    fixed: dict[str, int]
    entries: dict[sp.Symbol, sp.Expr]
    """Plain symbol -> the indexed entry it stands for (``y_2`` -> ``y[2]``)."""


def _entry_symbol(ix: sp.Indexed) -> sp.Symbol:
    idx = ",".join(str(i) for i in ix.indices)
    return sp.Symbol(f"{ix.base.label}_{idx}", real=True)


def flatten_entries(expr: sp.Expr, table: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    """Replace each concrete ``y[2]`` by a symbol ``y_2`` (recorded in ``table``)."""
    mapping: dict[sp.Expr, sp.Expr] = {}
    for ix in expr.atoms(sp.Indexed):
        if all(i.is_Integer for i in ix.indices):
            s = _entry_symbol(ix)
            table[s] = ix
            mapping[ix] = s
    return expr.xreplace(mapping) if mapping else expr


def concretise(
    exprs: list[sp.Expr], ctx: Context, limit: int = _MAX_INSTANCES
) -> list[tuple[list[sp.Expr], dict[str, int], dict[sp.Symbol, sp.Expr]]]:
    """Each assignment of the free indices (1..size) at the declared sizes, sums expanded.

    Returns (expressions with indexed entries as symbols, the fixed values, entry table), for
    the first ``limit`` assignments.
    """
    free = set().union(*(e.free_symbols for e in exprs))
    sizes = {s for s in free if s.name in ctx.sizes and s.is_integer}
    size_values = {s: sp.Integer(ctx.sizes.get(s.name) or DEFAULT_SIZE) for s in sizes}
    free_idx = sorted((s for s in free if s.is_integer and s not in sizes), key=str)
    top = max([int(v) for v in size_values.values()] or [DEFAULT_SIZE])
    # The sums and derivatives are worked out once at the sizes, with the free indices still
    # symbols; each instance then only puts its indices in (and finishes what needed them).
    sized = [rename_bound(e).xreplace(size_values) for e in exprs]
    with suppress(ValueError, TypeError, NotImplementedError):  # else each instance does it
        sized = [e.doit() for e in sized]
    out: list[tuple[list[sp.Expr], dict[str, int], dict[sp.Symbol, sp.Expr]]] = []
    for values in itertools.product(range(1, top + 1), repeat=len(free_idx)):
        if len(out) >= limit:
            break
        fixed = dict(zip(free_idx, map(sp.Integer, values), strict=True))
        table: dict[sp.Symbol, sp.Expr] = {}
        done = [flatten_entries(e.xreplace(fixed).doit(), table) for e in sized]
        shown = {str(k): int(v) for k, v in {**size_values, **fixed}.items()}
        out.append((done, shown, table))
    return out


def instances(left: sp.Expr, right: sp.Expr, ctx: Context) -> list[Instance]:
    """Both sides at every assignment of the free indices (see :func:`concretise`)."""
    return [
        Instance(e[0], e[1], fixed, table) for e, fixed, table in concretise([left, right], ctx)
    ]


def _kinked(expr: sp.Expr) -> set[sp.Symbol]:
    out: set[sp.Symbol] = set()
    for p in expr.atoms(sp.Piecewise, sp.Heaviside, sp.Abs, sp.sign, sp.Max, sp.Min):
        out |= {s for s in p.free_symbols if isinstance(s, sp.Symbol)}
    return out


def sample_point(
    variables: list[sp.Symbol], ctx: Context, rng: np.random.Generator, wide: set[sp.Symbol]
) -> dict[sp.Symbol, float]:
    """A random point: declared domains, (-3, 3) near kinks, else (0.05, 0.95)."""
    point: dict[sp.Symbol, float] = {}
    for v in variables:
        key = v.name.split("_", 1)[0] if v.name not in ctx.domains else v.name
        lo, hi = ctx.domains.get(v.name, ctx.domains.get(key, (0.05, 0.95)))
        if v in wide and v.name not in ctx.domains:
            lo, hi = -3.0, 3.0
        point[v] = float(rng.uniform(lo, hi))
    return point


@dataclass(frozen=True)
class Difference:
    """A point where the two sides differ: the point and both values."""

    point: dict[str, float]
    left: complex | float
    right: complex | float


def _num(v: object) -> mpmath.mpc | None:
    try:
        x = mpmath.mpmathify(v)
    except (TypeError, ValueError):
        return None
    if not mpmath.isfinite(x):
        return None
    return x


def compare(
    left: sp.Expr,
    right: sp.Expr,
    ctx: Context,
    *,
    n_points: int = 12,
    seed: int = 0,
    dps: int = 50,
) -> tuple[Difference | None, int]:
    """First sampled point where the sides differ beyond rounding; and how many points counted.

    Points where a side is undefined (a log of a negative number, a division by 0) are skipped.
    """
    variables = sorted(
        (s for s in left.free_symbols | right.free_symbols if isinstance(s, sp.Symbol)),
        key=str,
    )
    wide = _kinked(left) | _kinked(right)
    f = lambdify(variables, [left, right], "mpmath")
    rng = np.random.default_rng(seed)
    counted = 0
    with mpmath.workdps(dps):
        tol = mpmath.mpf(10) ** (-(dps - 20))
        for _ in range(n_points * 3):
            if counted >= n_points:
                break
            point = sample_point(variables, ctx, rng, wide)
            try:
                a, b = f(*[mpmath.mpf(point[v]) for v in variables])
            except (ZeroDivisionError, ValueError, TypeError, OverflowError, NameError):
                continue
            x, y = _num(a), _num(b)
            if x is None or y is None:
                continue
            if mpmath.im(x) != 0 or mpmath.im(y) != 0:
                if abs(x - y) <= tol * (1 + abs(x) + abs(y)):
                    counted += 1
                continue
            counted += 1
            if abs(x - y) > tol * (1 + abs(x) + abs(y)):
                return Difference(
                    {str(k): v for k, v in point.items()}, float(x), float(y)
                ), counted
    return None, counted


def value_text(v: float | complex) -> str:
    """A value for people: 4 significant digits."""
    if isinstance(v, complex):
        return f"{v.real:.4g}{v.imag:+.4g}i"
    return f"{v:.4g}"
