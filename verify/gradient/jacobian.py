"""Jacobians of vector-valued functions: ``check_jacobian``, ``check_vjp``, ``check_jvp``.

Every check is a scalar gradient check of :func:`~verify.gradient.check.check_gradient`'s
machinery (budgets, kinks, complex step, directional mode, localisation), on a scalarised
function:

- full mode (``n_out * n_in <= JACOBIAN_FULL_MAX_ENTRIES``): one full check per output ``i`` of
  ``f_i`` against row ``i`` of the Jacobian, every entry judged by its own budget. The values of
  ``f`` are shared between the outputs (one vector evaluation per point), so the cost is that of
  differencing ``f`` column by column: 4-5 evaluations per input element.
- directional mode: a seeded random cotangent ``v`` (+-1 per output) and the directional check
  of ``<v, f(x)>`` against ``v^T J`` (its budget takes the rounding of the terms of ``<v, f>``,
  which may cancel; about 5 evaluations of ``f`` whatever the sizes); a failure is bisected
  over the outputs (``v`` restricted to halves, ``O(log n_out)`` more checks, mostly on values
  already computed), then the failing output's check names the input element.
- JVP in directional mode: ``t -> <v, f(x + t u)>`` at ``t = 0`` against ``<v, J u>`` for a seeded
  direction ``u`` (+-1 per input), bisected over outputs and then over inputs (``u`` restricted).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from verify.gradient import scratch, tree
from verify.gradient.check import FULL_MAX_ELEMENTS, Hooks, Mode, check_with_hooks
from verify.gradient.directional import rademacher
from verify.gradient.inputs import Arrays, UserError, label, normalise_x
from verify.gradient.jacobian_result import (
    JacobianEntry,
    JacobianResult,
    Kind,
    Status,
    combine,
    output_label,
    status_of,
)
from verify.gradient.results import GradientResult
from verify.gradient.scalarise import Memo, bisect, contract

__all__ = [
    "JACOBIAN_FULL_MAX_ENTRIES",
    "Check",
    "Rows",
    "assert_jacobian",
    "assert_jvp",
    "assert_vjp",
    "check_jacobian",
    "check_jvp",
    "check_vjp",
]

Array = np.ndarray[Any, Any]
Rows = Callable[[Array], Any]
"""``rows(v)``: the gradient of ``<v, f>`` at x (``v^T J``), in the structure of x."""

JACOBIAN_FULL_MAX_ENTRIES = 16384
"""``mode="auto"`` checks every Jacobian entry up to this many (and at most ``FULL_MAX_ELEMENTS``
input elements); above it, random cotangents (directional mode)."""

def _fail(kind: Kind, message: str, shape: tuple[int, ...], n: int, calls: int) -> JacobianResult:
    """A check that could not run: ``f``, ``jac_f``, ``vjp_f`` or ``jvp_f`` misbehaved."""
    return JacobianResult(kind, "fail", "none", message, shape, n, calls)


def _entries(r: GradientResult, output: tuple[int, ...] | None) -> list[JacobianEntry]:
    """The failing elements of the scalar check ``r`` as Jacobian entries of row ``output``."""
    return [
        JacobianEntry(
            output, e.where(r.single, r.names), e.analytic, e.reference, e.abs_error, e.budget.total
        )
        for e in r.failures
    ]


class Check:
    """One Jacobian-family check in progress: f's memo, x, and the options of the scalar checks."""

    def __init__(self, kind: Kind, f: Callable[[Any], Any], x: Any, options: dict[str, Any]):
        if not callable(f):
            raise TypeError(f"f must be a callable; got {type(f).__name__}")
        self.kind = kind
        self.xs: Arrays = normalise_x(x)  # TypeError/ValueError for a bad x, naming the path
        self.x = x
        self.memo = Memo(f)
        self.seed = int(options.get("seed", 0))
        self.options = options
        self.checks: list[tuple[str, GradientResult]] = []
        self.shape: tuple[int, ...] = ()
        self.v_dtype = np.dtype(np.float64)

    @property
    def n_in(self) -> int:
        """Number of input elements."""
        return self.xs.total

    def start(self) -> JacobianResult | None:
        """Evaluate ``f(x)``; a result saying why when it fails or is not finite."""
        try:
            out = self.memo(self.xs.pack(self.xs.arrays))
        except Exception as exc:
            return self.failed(f"f(x) failed: f raised {type(exc).__name__}: {exc}")
        self.shape = out.shape
        # cotangents in f's dtype (exact: entries 0, +-1): a float32 vjp_f stays float32
        self.v_dtype = out.dtype if out.dtype == np.float32 else np.dtype(np.float64)
        if not np.isfinite(out).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
            return self.failed(f"f(x) is not finite at {output_label(bad)}: {out[bad]}")
        return None

    def failed(self, message: str) -> JacobianResult:
        """A result for a check that could not run (``message`` says why)."""
        return _fail(self.kind, message, self.shape, self.n_in, self.memo.calls)

    def scalar(
        self, name: str, fs: Callable[[Any], Any], grad: Callable[[Any], Any], x: Any,
        mode: Mode, seed: int, f_terms: float = 0.0, grad_tol: Any = None,
    ) -> GradientResult:  # fmt: skip
        """A scalar gradient check of ``fs`` (kept under ``name`` in the result).

        ``f_terms``: magnitude of the terms ``fs`` sums (its rounding, when it cancels);
        ``grad_tol``: bounds on the rounding of ``grad``'s values, shaped like x.
        """
        hooks = Hooks(f_terms=f_terms, grad_tol=grad_tol)
        r = check_with_hooks(
            fs, grad, x, hooks, mode=mode, seed=seed, directions=1,
            promote=bool(self.options.get("promote", True)),
            complex_step=self.options.get("complex_step"),
        )  # fmt: skip
        self.checks.append((name, r))
        return r

    def done(self, mode: str, failures: list[JacobianEntry], message: str) -> JacobianResult:
        """The result from the scalar checks run so far and the located failing entries."""
        status: Status = combine([status_of(r) for _, r in self.checks])
        if failures:
            status = "fail"
        if not message:
            n = len(self.checks)
            passed = (
                f"all {math.prod(self.shape) * self.n_in} Jacobian entries within their error "
                f"budgets ({n} outputs, each checked as a gradient)"
                if mode == "full"
                else f"{n} random projection(s) within their error budgets"
            )
            undecided = [name for name, r in self.checks if status_of(r) == "undecided"]
            message = {
                "pass": passed,
                "undecided": f"undecided by finite differences: {', '.join(undecided[:4])}",
                "fail": "a scalar check failed",
            }[status]
        kinks = sum(len(r.kinks) for _, r in self.checks)
        if kinks:
            message += (
                f"; {kinks} kink(s) found (f not differentiable there; a value between the "
                "one-sided derivatives passes)"
            )
        return JacobianResult(
            self.kind, status, mode, message, self.shape, self.n_in,  # type: ignore[arg-type]
            self.memo.calls, self.checks, failures, self.seed,
        )  # fmt: skip

    def own(self, message: str) -> str:
        """A scalar check's message in the caller's words (``grad_f`` is the row checked)."""
        name = {"jacobian": "jac_f's row", "vjp": "vjp_f(x, v)", "jvp": "the row from jvp_f"}
        return message.replace("grad_f", name[self.kind])

    def unit(self, i: int) -> Array:
        """The one-hot cotangent ``e_i`` shaped like ``f(x)``."""
        v = np.zeros(self.shape, dtype=self.v_dtype)
        v.reshape(-1)[i] = 1.0
        return v

    def output_index(self, i: int) -> tuple[int, ...]:
        """Flat output index ``i`` as an index into ``f(x)``."""
        return tuple(int(j) for j in np.unravel_index(i, self.shape)) if self.shape else ()

    def full(self, rows: Rows) -> JacobianResult:
        """Every entry: a full check of each output ``f_i`` against row ``i``."""
        failures: list[JacobianEntry] = []
        n_out = math.prod(self.shape)
        for i in range(n_out):
            index = self.output_index(i)

            def fs(p: Any, i: int = i) -> Any:
                return self.memo(p).reshape(-1)[i]

            row = rows(self.unit(i))

            def grad(p: Any, row: Any = row) -> Any:
                return row

            r = self.scalar(output_label(index), fs, grad, self.x, "full", 0)
            if r.mode == "none":  # f or the row misbehaved: say so, once
                return self.done("full", [], f"{output_label(index)}: {self.own(r.message)}")
            failures += _entries(r, index)
        n_bad = len({e.output for e in failures})
        message = "" if not failures else (
            f"{len(failures)} of {n_out * self.n_in} Jacobian entries outside their error "
            f"budget, in {n_bad} of {n_out} outputs"
        )  # fmt: skip
        return self.done("full", failures, message)

    def cotangent(self, k: int) -> Array:
        """Cotangent ``k``: +-1 per output, from seed ``seed + k``."""
        u = rademacher([self.shape], self.seed + k)
        v = np.array(u[0], dtype=self.v_dtype)
        scratch.give([u.flat])
        return v

    def directional(self, rows: Rows, directions: int) -> JacobianResult:
        """Random cotangents ``v``: ``<v, f>`` against ``v^T J``; failures bisected over outputs."""
        # directional on the inputs too: its budget takes the rounding of the m terms of <v, f>
        # (f_terms), which may cancel; full mode would judge it by eps |<v, f>| alone
        inner: Mode = "directional"
        f_abs = np.abs(self.memo(self.xs.pack(self.xs.arrays)).astype(np.float64))
        n_out = math.prod(self.shape)
        for k in range(directions):
            v = self.cotangent(k)

            def run(mask: slice, name: str, v: Array = v, k: int = k) -> GradientResult:
                vs = np.zeros_like(v)
                vs.reshape(-1)[mask] = v.reshape(-1)[mask]
                grad = rows(vs)
                terms = float(np.sum(f_abs.reshape(-1)[mask]))
                return self.scalar(
                    name, lambda p: contract(vs, self.memo(p)), lambda p: grad, self.x,
                    inner, self.seed + k, terms,
                )  # fmt: skip

            r = run(slice(None), f"<v, f(x)>, cotangent seed {self.seed + k}")
            if r.mode == "none":
                return self.done("directional", [], self.own(r.message))
            if status_of(r) != "fail":
                continue

            def fails(lo: int, hi: int, run: Any = run, k: int = k) -> bool:
                name = f"<v, f(x)> over outputs {lo}..{hi - 1}, cotangent seed {self.seed + k}"
                return status_of(run(slice(lo, hi), name)) == "fail"

            i, _ = bisect(n_out, fails)
            if i is None:
                return self.done("directional", _entries(r, None), (
                    f"<v, f(x)> fails along cotangent seed {self.seed + k}; the output was not "
                    "isolated (errors cancel between halves of f(x))"
                ))  # fmt: skip
            index = self.output_index(i)
            last = self.checks[-1][1]
            return self.done("directional", _entries(last, index), (
                f"<v, f(x)> fails along cotangent seed {self.seed + k}; failing output located "
                f"by bisection: {output_label(index)}"
            ))  # fmt: skip
        return self.done("directional", [], "")

    def chosen_mode(self) -> str:
        """``full`` or ``directional`` from the ``mode`` option and the Jacobian's size."""
        mode = self.options.get("mode", "auto")
        if mode not in ("auto", "full", "directional"):
            raise ValueError(f"mode must be 'auto', 'full' or 'directional'; got {mode!r}")
        if mode != "auto":
            return str(mode)
        entries = math.prod(self.shape) * self.n_in
        small = self.n_in <= FULL_MAX_ELEMENTS and entries <= JACOBIAN_FULL_MAX_ENTRIES
        return "full" if small else "directional"


def _directions(options: dict[str, Any]) -> int:
    d = options.get("directions", 1)
    if not isinstance(d, int) or isinstance(d, bool) or d < 1:
        raise ValueError(f"directions must be a positive int; got {d!r}")
    return d


def _check_options(options: dict[str, Any]) -> None:
    allowed = {"mode", "seed", "directions", "promote", "complex_step"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"unexpected option(s) {unknown}; allowed: {sorted(allowed)}")
    seed = options.get("seed", 0)
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")


def _jacobian_rows(check: Check, jac: Any) -> Rows:
    """``v -> v^T J`` from a Jacobian in x's structure (each leaf of shape out + leaf shape)."""
    xs, shape = check.xs, check.shape
    if xs.node is not None:
        leaves = tree.match(xs.node, jac, "jac_f")
    elif xs.single:
        leaves = [jac]
    else:
        if not isinstance(jac, list | tuple) or len(jac) != len(xs.arrays):
            raise ValueError(f"jac_f must return a list/tuple of {len(xs.arrays)} arrays like x")
        leaves = list(jac)
    blocks: list[Array] = []
    for k, (j, a) in enumerate(zip(leaves, xs.arrays, strict=True)):
        arr = np.asarray(j)
        name = label(k, None, xs.single, xs.names)
        if arr.shape != shape + a.shape:
            raise ValueError(
                f"jac_f for {name} has shape {arr.shape}; expected f(x).shape + {name}.shape = "
                f"{shape + a.shape}"
            )
        if arr.dtype.kind not in "fiu":
            raise ValueError(f"jac_f for {name} has dtype {arr.dtype}; expected real floats")
        if not np.isfinite(arr).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            raise ValueError(f"jac_f for {name} is not finite at index {bad}")
        blocks.append(arr.reshape(math.prod(shape), *a.shape))

    def rows(v: Array) -> Any:  # in jac_f's dtype: the rounding allowed for it depends on it
        flat = v.reshape(-1)
        return xs.pack([np.tensordot(flat, b, axes=1).astype(b.dtype) for b in blocks])

    return rows


def check_jacobian(
    f: Callable[[Any], Any], jac_f: Callable[[Any], Any], x: Any, **options: Any
) -> JacobianResult:
    """Check ``jac_f(x)``, the Jacobian of a vector-valued ``f``, against finite differences.

    ``f(x)`` is an array of any shape (a scalar too); for one array x, ``jac_f(x)`` has shape
    ``f(x).shape + x.shape``; for a list, tuple or tree x, it has x's structure with each array
    replaced by its block of shape ``f(x).shape + array.shape`` (as ``jax.jacrev`` returns).
    Options: ``mode`` (``auto``, ``full``: every entry; ``directional``: random cotangents),
    ``seed``, ``directions`` (random cotangents), ``promote``, ``complex_step``, as in
    :func:`~verify.gradient.check.check_gradient`. Failures name the entry
    ``d f(x)[i] / d x[j]``.
    """
    _check_options(options)
    check = Check("jacobian", f, x, options)
    directions = _directions(options)
    bad = check.start()
    if bad is not None:
        return bad
    try:
        jac = jac_f(check.xs.pack(check.xs.arrays))
    except Exception as exc:
        return check.failed(f"jac_f raised {type(exc).__name__}: {exc}")
    try:
        rows = _jacobian_rows(check, jac)
    except ValueError as exc:
        return check.failed(str(exc))
    if check.chosen_mode() == "full":
        return check.full(rows)
    return check.directional(rows, directions)


def check_vjp(
    f: Callable[[Any], Any], vjp_f: Callable[[Any, Any], Any], x: Any, **options: Any
) -> JacobianResult:
    """Check ``vjp_f(x, v)`` (``v^T J``, shaped like x) for cotangents ``v`` shaped like ``f(x)``.

    Full mode calls ``vjp_f`` with every one-hot ``v`` (one per output); directional mode with
    seeded +-1 cotangents (and halves of them while bisecting). Options as
    :func:`check_jacobian`.
    """
    _check_options(options)
    check = Check("vjp", f, x, options)
    directions = _directions(options)
    if not callable(vjp_f):
        raise TypeError(f"vjp_f must be a callable; got {type(vjp_f).__name__}")
    bad = check.start()
    if bad is not None:
        return bad
    point = check.xs.pack(check.xs.arrays)

    def rows(v: Array) -> Any:
        try:
            return vjp_f(point, v)
        except Exception as exc:
            raise UserError(f"vjp_f raised {type(exc).__name__}: {exc}") from exc

    return _run(check, rows, directions)


def _run(check: Check, rows: Rows, directions: int) -> JacobianResult:
    """Full or directional mode, turning a misbehaving row function into a failed result."""

    def safe(v: Array) -> Any:
        try:
            return rows(v)
        except UserError as exc:
            raise _RowError(str(exc)) from exc

    try:
        if check.chosen_mode() == "full":
            return check.full(safe)
        return check.directional(safe, directions)
    except _RowError as exc:
        return check.failed(str(exc))


class _RowError(Exception):
    """The user's ``vjp_f``/``jvp_f`` raised (reported as a failed check)."""


def check_jvp(
    f: Callable[[Any], Any], jvp_f: Callable[[Any, Any], Any], x: Any, **options: Any
) -> JacobianResult:
    """Check ``jvp_f(x, u)`` (``J u``, shaped like ``f(x)``) for directions ``u`` shaped like x.

    Full mode builds ``J`` column by column from ``jvp_f`` with every one-hot ``u`` and checks it
    as :func:`check_jacobian` does. Directional mode: see :mod:`verify.gradient.jvp`. Options as
    :func:`check_jacobian`.
    """
    from verify.gradient.jvp import jvp_directional, jvp_rows

    _check_options(options)
    check = Check("jvp", f, x, options)
    directions = _directions(options)
    if not callable(jvp_f):
        raise TypeError(f"jvp_f must be a callable; got {type(jvp_f).__name__}")
    bad = check.start()
    if bad is not None:
        return bad
    if check.chosen_mode() == "full":
        try:
            rows = jvp_rows(check, jvp_f)
        except UserError as exc:
            return check.failed(str(exc))
        return check.full(rows)
    return jvp_directional(check, jvp_f, directions)


def _raise_unless(result: JacobianResult, strict: bool) -> JacobianResult:
    """AssertionError with the report on ``fail`` (and on ``undecided`` when ``strict``)."""
    __tracebackhide__ = True
    if result.status == "fail" or (strict and result.status != "pass"):
        raise AssertionError(str(result))
    return result


def assert_jacobian(
    f: Callable[[Any], Any], jac_f: Callable[[Any], Any], x: Any, *, strict: bool = False,
    **options: Any,
) -> JacobianResult:  # fmt: skip
    """:func:`check_jacobian`, raising AssertionError with the report when it fails."""
    __tracebackhide__ = True
    return _raise_unless(check_jacobian(f, jac_f, x, **options), strict)


def assert_vjp(
    f: Callable[[Any], Any], vjp_f: Callable[[Any, Any], Any], x: Any, *, strict: bool = False,
    **options: Any,
) -> JacobianResult:  # fmt: skip
    """:func:`check_vjp`, raising AssertionError with the report when it fails."""
    __tracebackhide__ = True
    return _raise_unless(check_vjp(f, vjp_f, x, **options), strict)


def assert_jvp(
    f: Callable[[Any], Any], jvp_f: Callable[[Any, Any], Any], x: Any, *, strict: bool = False,
    **options: Any,
) -> JacobianResult:  # fmt: skip
    """:func:`check_jvp`, raising AssertionError with the report when it fails."""
    __tracebackhide__ = True
    return _raise_unless(check_jvp(f, jvp_f, x, **options), strict)
