"""JVP checks: ``J`` column by column from ``jvp_f`` (full), or along lines ``x + t u``.

Directional mode checks the scalar ``phi(t) = <v, f(x + t s u)>`` at ``t = 0`` (``u`` and ``v``
seeded +-1, ``s = max(1, max |x|)`` so that the step in ``t`` is the step x itself would get)
against ``s <v, jvp_f(x, u)>``, with :func:`~verify.gradient.check.check_gradient`'s machinery on
the one coordinate ``t`` (budget including the rounding of the terms of ``<v, f>``, one-sided
derivatives at a kink; kinks at several coordinates along ``u`` are judged against the one-sided
derivatives of ``phi``, which ``mode="full"`` avoids). A failure is
bisected over the outputs (``v`` restricted), then over the inputs (``u`` restricted): about
``2 log2(n_out) + 2 log2(n_in)`` line checks, on values of ``f`` mostly already computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from verify.gradient import scratch
from verify.gradient.directional import rademacher
from verify.gradient.inputs import UserError, label
from verify.gradient.jacobian import Check, Rows
from verify.gradient.jacobian_result import JacobianEntry, JacobianResult, output_label, status_of
from verify.gradient.results import GradientResult
from verify.gradient.scalarise import bisect, contract

__all__ = ["jvp_directional", "jvp_rows"]

Array = np.ndarray[Any, Any]


def _split(check: Check, flat: Array) -> list[Array]:
    """A flat vector over all input elements as arrays shaped like x's."""
    out, start = [], 0
    for a in check.xs.arrays:
        out.append(flat[start : start + a.size].reshape(a.shape))
        start += a.size
    return out


def _input_label(check: Check, j: int) -> str:
    """The path of flat input element ``j``: ``x["W1"][3, 0]``."""
    start = 0
    for k, a in enumerate(check.xs.arrays):
        if j < start + a.size:
            index = tuple(int(i) for i in np.unravel_index(j - start, a.shape))
            return label(k, index, check.xs.single, check.xs.names)
        start += a.size
    raise IndexError(j)  # pragma: no cover - j is always in range


def _jvp(check: Check, jvp_f: Callable[[Any, Any], Any], u: Array) -> Array:
    """``jvp_f(x, u)`` for a flat ``u``, validated (UserError naming what is wrong)."""
    xs = check.xs
    # u in x's dtypes (exact: entries 0, +-1): a float32 jvp_f keeps computing in float32
    u_tree = xs.pack([p.astype(a.dtype) for p, a in zip(_split(check, u), xs.arrays, strict=True)])
    try:
        out = np.asarray(jvp_f(xs.pack(xs.arrays), u_tree))
    except Exception as exc:
        raise UserError(f"jvp_f raised {type(exc).__name__}: {exc}") from exc
    if out.shape != check.shape:
        raise UserError(f"jvp_f returned shape {out.shape}; expected f(x).shape = {check.shape}")
    if out.dtype.kind not in "fiu":
        raise UserError(f"jvp_f returned dtype {out.dtype}; expected real floats")
    if not np.isfinite(out).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        raise UserError(f"jvp_f is not finite at {output_label(bad)}")
    return out


def jvp_rows(check: Check, jvp_f: Callable[[Any, Any], Any]) -> Rows:
    """``v -> v^T J`` with ``J`` built column by column: ``jvp_f(x, e_j)`` for every input ``j``."""
    n = check.n_in
    columns = []
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        columns.append(_jvp(check, jvp_f, e).reshape(-1))
    dtype = np.result_type(*columns)  # jvp_f's dtype: the rounding allowed for the rows
    jac = np.stack(columns, axis=1).astype(dtype)

    def rows(v: Array) -> Any:
        return check.xs.pack(_split(check, (v.reshape(-1) @ jac).astype(dtype)))

    return rows


class _Line:
    """Line checks ``t -> <v_S, f(x + t s u_T)>`` for restrictions S of outputs, T of inputs."""

    def __init__(self, check: Check, jvp_f: Callable[[Any, Any], Any], k: int) -> None:
        self.check, self.jvp_f, self.k = check, jvp_f, k
        xs = check.xs
        u = rademacher([(check.n_in,)], check.seed + k)
        self.u = np.array(u[0], copy=True)
        scratch.give([u.flat])
        self.v = check.cotangent(k)
        self.s = max(1.0, max(float(np.max(np.abs(a))) for a in xs.arrays))
        dtypes = {a.dtype for a in xs.arrays}
        self.t0 = np.zeros(1, dtype=dtypes.pop() if len(dtypes) == 1 else np.float64)
        self.f_abs = np.abs(check.memo(xs.pack(xs.arrays)).astype(np.float64)).reshape(-1)

    def run(self, outputs: slice, inputs: slice, name: str) -> tuple[GradientResult, float]:
        """The line check (kept in the result), and ``s u_j`` when ``inputs`` is one element."""
        check = self.check
        vs = np.zeros_like(self.v)
        vs.reshape(-1)[outputs] = self.v.reshape(-1)[outputs]
        us = np.zeros_like(self.u)
        us[inputs] = self.u[inputs]
        ju = _jvp(check, self.jvp_f, us)
        dt = ju.dtype if ju.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        analytic = self.s * float(np.sum(vs * ju.astype(np.float64)))
        # jvp_f's rounding: its dtype's eps on every term of <v, J u> (they may cancel)
        rounding = 4.0 * float(np.finfo(dt).eps) * self.s * float(np.sum(np.abs(vs * ju)))
        parts = _split(check, us * self.s)
        arrays = check.xs.arrays

        def phi(t: Any) -> Any:
            t0 = np.asarray(t).reshape(-1)[0]
            moved = [
                a.astype(np.result_type(a, t0)) + t0 * d for a, d in zip(arrays, parts, strict=True)
            ]
            return contract(vs, check.memo(check.xs.pack(moved)))

        terms = float(np.sum(self.f_abs[outputs]))
        r = check.scalar(
            name, phi, lambda t: np.array([analytic], dtype=dt), self.t0, "directional",
            check.seed + self.k, terms, np.array([rounding]),
        )  # fmt: skip
        return r, self.s * float(us[inputs][0]) if inputs.stop is not None else self.s


def jvp_directional(
    check: Check, jvp_f: Callable[[Any, Any], Any], directions: int
) -> JacobianResult:
    """Line checks along seeded ``u``, ``v``; a failure is bisected to one ``(output, input)``."""
    n_out, n_in = math.prod(check.shape), check.n_in
    try:
        for k in range(directions):
            line = _Line(check, jvp_f, k)
            seeds = f"direction and cotangent seed {check.seed + k}"
            r, _ = line.run(slice(None), slice(None), f"<v, f(x + t u)>, {seeds}")
            if r.mode == "none":
                return check.done("directional", [], r.message)
            if status_of(r) != "fail":
                continue

            def out_fails(lo: int, hi: int, line: _Line = line) -> bool:
                name = f"<v, f(x + t u)> over outputs {lo}..{hi - 1}"
                return status_of(line.run(slice(lo, hi), slice(None), name)[0]) == "fail"

            i, _ = bisect(n_out, out_fails)
            if i is None:
                return check.done("directional", [], (
                    f"<v, J u> fails along {seeds}; the output was not isolated (errors cancel "
                    "between halves of f(x))"
                ))  # fmt: skip
            index = check.output_index(i)
            one = slice(i, i + 1)

            at = output_label(index)

            def in_fails(
                lo: int, hi: int, line: _Line = line, one: slice = one, at: str = at
            ) -> bool:
                name = f"{at} along u over inputs {lo}..{hi - 1}"
                return status_of(line.run(one, slice(lo, hi), name)[0]) == "fail"

            j, _ = bisect(n_in, in_fails)
            if j is None:
                return check.done("directional", [], (
                    f"<v, J u> fails along {seeds} at output {output_label(index)}; the input "
                    "element was not isolated (errors cancel between halves of x)"
                ))  # fmt: skip
            last, scale = line.run(one, slice(j, j + 1), f"{output_label(index)} along x[{j}]")
            where = _input_label(check, j)
            entries = [
                JacobianEntry(
                    index,
                    where,
                    e.analytic / scale,
                    e.reference / scale,
                    e.abs_error / abs(scale),
                    e.budget.total / abs(scale),
                )
                for e in last.failures
            ]
            return check.done("directional", entries, (
                f"<v, J u> fails along {seeds}; failing entry located by bisection: "
                f"d {output_label(index)} / d {_input_label(check, j)}"
            ))  # fmt: skip
    except UserError as exc:
        return check.failed(str(exc))
    return check.done("directional", [], "")
