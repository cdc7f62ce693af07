"""NumPy backprop (``mlp``) against the JAX reference and finite differences, block by block.

``compare_network(net, X, Y)`` (public as ``verify.compare_network``) works on any object with the
MLP API (a user's network, a mutant). Its directional variant for large networks is
:mod:`verify.checks.network_directional`; the grid the gate runs is :mod:`verify.checks.grid`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from verify.checks.jax_reference import Reference, ReluConvention, reference
from verify.checks.network_report import BlockError, NetworkReport
from verify.checks.samples import cost_in_place
from verify.gradient.budget import (
    RUNNING_SAFETY,
    cost_terms,
    float_dtype,
    machine_eps,
    network_tolerances,
)
from verify.gradient.check import GradientResult, Hooks, check_with_hooks

__all__ = ["BlockError", "NetworkReport", "architecture", "compare_network"]


def _attr(net: Any, names: Sequence[str], what: str) -> Any:
    for n in names:
        if hasattr(net, n):
            return getattr(net, n)
    raise TypeError(f"net: expected an MLP-like object with a {what} attribute ({names[0]})")


def _block(
    layer: int,
    param: str,
    g: np.ndarray[Any, Any],
    ref: np.ndarray[Any, Any],
    tol: np.ndarray[Any, Any],
) -> BlockError:
    """Compare one block elementwise against the allowed error ``tol`` (see :func:`_tolerance`)."""
    g = np.asarray(g, dtype=np.float64)
    if g.shape != ref.shape:
        hint = " (transposed?)" if g.shape == ref.shape[::-1] and g.ndim == 2 else ""
        note = f"shape {g.shape}, expected {ref.shape}{hint}"
        return BlockError(
            layer, param, math.inf, math.inf, (), math.nan, math.nan, 0.0, False, note=note
        )
    err = np.abs(g - ref)
    bad = ~np.isfinite(g)
    ratio = np.where(bad, np.inf, err / tol)
    worst = (
        tuple(int(i) for i in np.unravel_index(int(np.argmax(ratio)), g.shape)) if g.size else ()
    )
    scale = float(np.max(np.abs(ref), initial=0.0))
    max_abs = float(np.max(np.where(bad, np.inf, err), initial=0.0))
    ok = bool(np.all(ratio <= 1.0))
    factor = None
    if not ok and np.all(np.isfinite(g)):
        denom = float(np.sum(ref * ref))
        if denom > 0:
            s = float(np.sum(g * ref)) / denom
            resid = float(np.linalg.norm(g - s * ref))
            if resid <= 1e-3 * float(np.linalg.norm(g)) and abs(s - 1.0) > 1e-3:
                factor = s
    return BlockError(
        layer,
        param,
        max_abs,
        max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf),
        worst,
        float(g[worst]) if g.size else 0.0,
        float(ref[worst]) if g.size else 0.0,
        float(tol[worst]) if g.size else 0.0,
        ok,
        factor,
    )


def _diagnose(blocks: list[BlockError], batch: int, L: int) -> tuple[int | None, str]:
    """Name the first diverging layer from the output and what the failure pattern suggests."""
    failing = {(b.layer, b.param) for b in blocks if not b.ok}
    if not failing:
        return None, ""
    first = max(layer for layer, _ in failing)
    w_bad, b_bad = (first, "W") in failing, (first, "b") in failing
    eq = "eqs. (32)-(34)" if first == L else "eqs. (35)-(37)"
    if w_bad and b_bad:
        what = f"delta^{first} diverges (both dW^{first} and db^{first}; {eq})"
    elif w_bad:
        what = (
            f"db^{first} matches, so delta^{first} is right; dW^{first} = delta^{first} "
            f"(a^{first - 1})^T is wrong ({eq}: transpose, or the wrong a^{first - 1})"
        )
    else:
        what = f"dW^{first} matches but db^{first} does not (sum of delta^{first} over the batch)"
    blk = next(b for b in blocks if (b.layer, b.param) in failing and b.layer == first)
    if blk.note:
        what += f"; {blk.name}: {blk.note}"
    if blk.factor is not None:
        s = blk.factor
        hint = ""
        if abs(s + 1) < 1e-3:
            hint = " (a sign flip)"
        elif abs(s - batch) < 1e-3 * batch:
            hint = f" (= N = {batch}: the batch mean was dropped)"
        elif batch > 0 and abs(s - 1.0 / batch) < 1e-3 / batch:
            hint = " (= 1/N: divided by the batch size twice)"
        what += f"; numpy = {s:.6g} x reference{hint}"
    below = sorted({layer for layer, _ in failing if layer < first}, reverse=True)
    if below:
        what += f"; layers below also diverge ({', '.join(map(str, below))}): propagated"
    return first, f"first diverging layer from the output: {first}. " + what


def compare_network(
    net: Any,
    X: Any,
    Y: Any,
    *,
    hidden: Sequence[str] | None = None,
    output: str | None = None,
    cost: str | None = None,
    relu: ReluConvention = "paper",
    fd_directions: int = 2,
    seed: int = 0,
) -> NetworkReport:
    """Compare ``net.gradients(X, Y)`` with JAX (every block) and with finite differences.

    ``net`` needs ``weights``, ``biases``, ``gradients``, ``cost``, ``forward`` and (unless given
    here) ``hidden``, ``output``, ``cost_name``. Finite differences perturb the parameters in
    place and restore them exactly. ``fd_directions=0`` skips them.
    """
    Ws = list(_attr(net, ["weights"], "weights"))
    bs = list(_attr(net, ["biases"], "biases"))
    if len(Ws) != len(bs) or not Ws:
        raise ValueError("net: expected as many weights as biases (at least one layer)")
    L = len(Ws)
    hidden_t = tuple(hidden if hidden is not None else _attr(net, ["hidden"], "hidden"))
    output_s = output if output is not None else str(_attr(net, ["output"], "output"))
    cost_s = cost if cost is not None else str(_attr(net, ["cost_name", "cost_"], "cost_name"))
    if len(hidden_t) != L - 1:
        raise ValueError(f"hidden: expected {L - 1} names for {L} layers; got {len(hidden_t)}")
    dt = float_dtype(getattr(net, "dtype", Ws[0].dtype), name="net.dtype")
    Xc = np.asarray(X, dtype=dt)
    Yc = np.asarray(Y, dtype=dt)
    if Xc.ndim != 2 or Yc.ndim != 2 or Xc.shape[0] != Yc.shape[0]:
        raise ValueError(
            f"X, Y: expected (batch, n_0) and (batch, n_L); got {Xc.shape}, {Yc.shape}"
        )
    ref = reference(hidden_t, output_s, cost_s, Ws, bs, Xc, Yc, relu)
    dW, db = net.gradients(Xc, Yc)
    allowed = network_tolerances(
        (ref.bound_W, ref.bound_b), (ref.slope_W, ref.slope_b), [*ref.dW, *ref.db], Ws, bs, Xc, dt
    )
    rtol, tol_W, tol_b, fd_tol = allowed.rtol, allowed.W, allowed.b, allowed.fd
    blocks: list[BlockError] = []
    notes: list[str] = []
    if len(dW) != L or len(db) != L:
        notes.append(f"net.gradients returned {len(dW)} dW and {len(db)} db for {L} layers")
    for layer in range(L, 0, -1):
        k = layer - 1
        for param, got, r, tol in (
            ("W", dW[k] if k < len(dW) else np.full(0, np.nan), ref.dW[k], tol_W[k]),
            ("b", db[k] if k < len(db) else np.full(0, np.nan), ref.db[k], tol_b[k]),
        ):
            blocks.append(_block(layer, param, got, r, tol))
    a_np = np.asarray(net.forward(Xc), dtype=np.float64)
    f_err = float(np.max(np.abs(a_np - ref.a_L))) if a_np.shape == ref.a_L.shape else math.inf
    f_ok = f_err <= rtol * max(1.0, float(np.max(np.abs(ref.a_L)))) * 4
    c_err = abs(float(net.cost(Xc, Yc)) - ref.cost)
    first, diagnosis = _diagnose(blocks, Xc.shape[0], L)
    if not f_ok:
        diagnosis = "forward pass a^L diverges from the reference. " + diagnosis
    report = NetworkReport(
        architecture=architecture(Ws, hidden_t, output_s, cost_s),
        dtype=str(dt),
        blocks=blocks,
        forward_max_abs=f_err,
        forward_ok=f_ok,
        cost_abs_error=c_err,
        first_diverging_layer=first,
        diagnosis=diagnosis,
        batch=int(Xc.shape[0]),
        rtol=rtol,
        notes=notes,
    )
    if fd_directions > 0 and len(dW) == L and len(db) == L:
        _finite_differences(
            report, net, (Ws, bs, hidden_t, output_s, cost_s), (Xc, Yc), ref, [*dW, *db],
            fd_tol, fd_directions, seed,
        )  # fmt: skip
    return report


def _finite_differences(
    report: NetworkReport,
    net: Any,
    model: tuple[list[Any], list[Any], tuple[str, ...], str, str],
    data: tuple[Any, Any],
    ref: Reference,
    grads: list[Any],
    fd_tol: list[Any],
    fd_directions: int,
    seed: int,
) -> None:
    """Add the directional FD of ``net.cost`` to ``report``, and FD's arbitration on a failure.

    A float32 network is differenced through a float64 twin when one can be built. When the
    blocks diverge, FD of the JAX gradient says which side it agrees with.
    """
    Ws, bs, hidden_t, output_s, cost_s = model
    Xc, Yc = data
    tols = [RUNNING_SAFETY * t for t in fd_tol]
    shapes_ok = all(np.shape(g) == np.shape(t) for g, t in zip(grads, tols, strict=True))
    f_terms = cost_terms(cost_s, ref.z_L, ref.a_L, Yc)
    fd_net, fd_Ws, fd_bs, fd_X, fd_Y = net, Ws, bs, Xc, Yc
    twin = _float64_twin(net, Ws, bs, hidden_t, output_s, cost_s, Xc, Yc)
    if twin is not None:  # difference a float32 network's cost in float64 (promote)
        fd_net, fd_Ws, fd_bs = twin, list(twin.weights), list(twin.biases)
        fd_X, fd_Y = Xc.astype(np.float64), Yc.astype(np.float64)
        report.notes.append("finite differences of the cost in float64 (a float64 twin)")
    problem = _CostFD(fd_net, fd_Ws, fd_bs, fd_X, fd_Y, tols if shapes_ok else None, f_terms)
    report.fd = _fd(problem, grads, directions=fd_directions, seed=seed)
    if report.fd.undecided and report.fd.ok:
        seeds = ", ".join(str(d.seed) for d in report.fd.undecided)
        report.notes.append(
            f"undecided by FD along seed(s) {seeds} (error over the Richardson budget but "
            "within the conservative one, or at a kink within every secant slope); JAX decides"
        )
    if report.first_diverging_layer is not None:
        arbiter = dataclasses.replace(problem, tols=tols)  # the JAX gradient's own allowance
        ref_grads = [*ref.dW, *ref.db]
        report.fd_arbiter = _fd(arbiter, ref_grads, directions=fd_directions, seed=seed)
        if report.fd_arbiter.ok and not report.fd.ok:
            report.diagnosis += " Finite differences side with JAX: the NumPy gradient is wrong."
        elif report.fd.ok and not report.fd_arbiter.ok:
            report.diagnosis += " Finite differences side with NumPy: the reference disagrees."


def _float64_twin(
    net: Any,
    Ws: Sequence[Any],
    bs: Sequence[Any],
    hidden: Sequence[str],
    output: str,
    cost: str,
    X: Any,
    Y: Any,
) -> Any | None:
    """A float64 copy of a float32 network (same class, same parameters), or None.

    Built as ``type(net)(sizes, hidden=..., output=..., cost=..., dtype="float64")`` and
    ``set_parameters``; used only if its cost agrees with ``net.cost`` to float32 accuracy (the
    same function, computed more precisely). Float32 finite differences with relu kinks within
    a step are what FD cannot resolve; in float64 the step is ~1000 times smaller.
    """
    if np.dtype(getattr(net, "dtype", Ws[0].dtype)) != np.float32:
        return None
    try:
        sizes = [int(Ws[0].shape[1]), *[int(W.shape[0]) for W in Ws]]
        twin = type(net)(sizes, hidden=list(hidden), output=output, cost=cost, dtype="float64")
        twin.set_parameters(
            [np.asarray(W, dtype=np.float64) for W in Ws],
            [np.asarray(b, dtype=np.float64) for b in bs],
        )
        c64 = float(twin.cost(X.astype(np.float64), Y.astype(np.float64)))
        c32 = float(net.cost(X, Y))
    except Exception:  # a user's class with another constructor: stay in float32
        return None
    eps32 = machine_eps(np.float32)
    if not (np.isfinite(c64) and abs(c64 - c32) <= 64 * eps32 * max(1.0, abs(c64))):
        return None
    return twin


def architecture(Ws: Sequence[Any], hidden: Sequence[str], output: str, cost: str) -> str:
    """``[3, 5, 2] hidden=tanh output=softmax cost=cross_entropy``: a report's first line."""
    sizes = [Ws[0].shape[1], *[W.shape[0] for W in Ws]]
    acts = "/".join(hidden) if hidden else "-"
    return f"{sizes} hidden={acts} output={output} cost={cost}"


@dataclass(frozen=True)
class _CostFD:
    """What the directional FD of ``net.cost`` needs: the network, its data, the allowances.

    ``Ws``/``bs`` are the arrays perturbed in place; ``tols`` the blocks' allowed errors
    (:func:`~verify.gradient.budget.block_tolerance`), the analytic side's rounding; ``f_terms``
    the cost's rounding in units of eps (:func:`~verify.gradient.budget.cost_terms`).
    """

    net: Any
    Ws: list[Any]
    bs: list[Any]
    X: Any
    Y: Any
    tols: list[Any] | None
    f_terms: float


def _fd(problem: _CostFD, grads: list[Any], *, directions: int, seed: int) -> GradientResult:
    """Directional FD of ``net.cost`` against ``grads`` (parameters perturbed in place).

    A direction FD cannot decide does not fail: the NumPy-vs-JAX blocks are the primary judge.
    """
    p = problem
    with cost_in_place(p.net, p.X, p.Y, [*p.Ws, *p.bs]) as (f, saved):
        return check_with_hooks(
            f,
            lambda _p: grads,
            saved,
            Hooks(grad_tol=p.tols, undecided_ok=True, f_terms=p.f_terms),
            mode="directional",
            directions=directions,
            seed=seed,
            promote=False,
        )
