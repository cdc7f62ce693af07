"""NumPy backprop (``mlp``) against the JAX reference and finite differences, block by block.

``compare_network(net, X, Y)`` works on any object with the MLP API (a user's network, a mutant);
``check_mlp()`` runs the grid of architectures and returns ``Record``s.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from verify.gradient.budget import (
    GRAD_RTOL,
    RUNNING_SAFETY,
    cost_terms,
    displacement_rounding,
    fd_budget,
    fd_step,
    float_dtype,
    machine_eps,
    network_tolerances,
)
from verify.gradient.check import GradientResult, Hooks, check_with_hooks
from verify.gradient.directional import rademacher
from verify.gradient.finite_diff import central_pair, richardson
from verify.jax_reference import ReluConvention, network, reference
from verify.results import Record, expect_pass

__all__ = [
    "BlockError",
    "Config",
    "DirectionalReport",
    "NetworkReport",
    "check_mlp",
    "check_network_directional",
    "compare_network",
    "cost_in_place",
    "default_grid",
    "sample_data",
]


@dataclass(frozen=True)
class BlockError:
    """NumPy vs JAX for one parameter block: ``dW^l`` or ``db^l``."""

    layer: int
    """``l`` in 1..L, as in the paper."""
    param: str
    """``W`` or ``b``."""
    max_abs: float
    max_rel: float
    """``max_abs`` over the largest |entry| of the JAX block."""
    worst_index: tuple[int, ...]
    analytic: float
    """NumPy value at ``worst_index``."""
    reference: float
    """JAX value at ``worst_index``."""
    budget: float
    """Allowed error at ``worst_index`` (dtype table times the term-magnitude bound)."""
    ok: bool
    factor: float | None = None
    """When the block is a clean multiple of the reference: NumPy / JAX (e.g. -1, or N)."""
    note: str = ""
    """Structural problems (wrong shape, non-finite entries)."""

    @property
    def name(self) -> str:
        """``dW^3``."""
        return f"d{self.param}^{self.layer}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (non-finite numbers as ``None``)."""
        out: dict[str, Any] = _finite_json(
            {
                "block": self.name,
                "layer": self.layer,
                "param": self.param,
                "max_abs": self.max_abs,
                "max_rel": self.max_rel,
                "worst_index": list(self.worst_index),
                "analytic": self.analytic,
                "reference": self.reference,
                "budget": self.budget,
                "ok": self.ok,
                "factor": self.factor,
                "note": self.note,
            }
        )
        return out


@dataclass
class NetworkReport:
    """Outcome of :func:`compare_network`; ``str(report)`` is readable."""

    architecture: str
    dtype: str
    blocks: list[BlockError]
    """Output layer first (``dW^L, db^L, dW^{L-1}, ...``)."""
    forward_max_abs: float
    forward_ok: bool
    cost_abs_error: float
    first_diverging_layer: int | None
    """The first layer, counting from the output, where NumPy and JAX gradients diverge."""
    diagnosis: str
    fd: GradientResult | None = None
    """Directional finite differences of ``net.cost`` against ``net.gradients``."""
    fd_arbiter: GradientResult | None = None
    """On divergence: the same finite differences against the JAX gradients (who is right)."""
    batch: int = 0
    rtol: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Forward pass, every block and the finite-difference check agree."""
        fd_ok = self.fd is None or self.fd.ok
        return self.forward_ok and all(b.ok for b in self.blocks) and fd_ok

    @property
    def max_abs(self) -> float:
        """Largest NumPy-vs-JAX gradient error over all blocks."""
        return max(b.max_abs for b in self.blocks)

    @property
    def max_rel(self) -> float:
        """Largest blockwise relative error."""
        return max(b.max_rel for b in self.blocks)

    def __str__(self) -> str:
        """Readable report: verdict, one line per block, diagnosis."""
        lines = [
            f"compare_network: {'PASS' if self.ok else 'FAIL'} {self.architecture} ({self.dtype}, "
            f"batch {self.batch}; rtol {self.rtol:.2g} x term bound)",
            f"  forward a^L max |error| {self.forward_max_abs:.3g} "
            f"({'ok' if self.forward_ok else 'DIVERGES'}), cost |error| {self.cost_abs_error:.3g}",
        ]
        for b in self.blocks:
            tag = "ok  " if b.ok else "FAIL"
            idx = ", ".join(str(i) for i in b.worst_index)
            lines.append(
                f"  {tag} {b.name:<6} max abs {b.max_abs:.3g}, rel {b.max_rel:.3g}; worst [{idx}]: "
                f"numpy {b.analytic:.8g} vs jax {b.reference:.8g} (budget {b.budget:.3g})"
                + (f"; numpy = {b.factor:.6g} x jax" if b.factor is not None else "")
                + (f"; {b.note}" if b.note else "")
            )
        if self.fd is not None and self.fd.mode == "none":
            lines.append(f"  finite differences not run: {self.fd.message}")
        elif self.fd is not None:
            state = "ok" if self.fd.ok else "FAIL"
            if self.fd.ok and self.fd.undecided:
                state = "ok (undecided along some; JAX decides)"
            lines.append(
                f"  finite differences of net.cost along {len(self.fd.directions)} directions: "
                f"{state} (seeds {', '.join(str(d.seed) for d in self.fd.directions)})"
            )
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_details(self) -> dict[str, Any]:
        """JSON-ready summary for ``Record.details`` (non-finite numbers as ``None``)."""
        out: dict[str, Any] = _finite_json(
            {
                "architecture": self.architecture,
                "dtype": self.dtype,
                "batch": self.batch,
                "rtol": self.rtol,
                "max_abs_err_jax": self.max_abs,
                "max_rel_err_jax": self.max_rel,
                "forward_max_abs": self.forward_max_abs,
                "cost_abs_error": self.cost_abs_error,
                "first_diverging_layer": self.first_diverging_layer,
                "diagnosis": self.diagnosis,
                "blocks": [b.to_dict() for b in self.blocks],
                "fd": None
                if self.fd is None
                else {
                    "ok": self.fd.ok,
                    "max_abs_err_fd": self.fd.max_abs_error,
                    "directions": [d.to_dict() for d in self.fd.directions],
                },
            }
        )
        return out


def _finite_json(d: Any) -> Any:
    """``d`` with every non-finite float replaced by ``None`` (strict JSON), recursively."""
    if isinstance(d, dict):
        return {k: _finite_json(v) for k, v in d.items()}
    if isinstance(d, list | tuple):
        return [_finite_json(v) for v in d]
    if isinstance(d, float) and not math.isfinite(d):
        return None
    return d


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
        architecture=_arch(Ws, hidden_t, output_s, cost_s),
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
        tols = [RUNNING_SAFETY * t for t in fd_tol]
        grads = [*dW, *db]
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
        if first is not None:
            arbiter = dataclasses.replace(problem, tols=tols)  # the JAX gradient's own allowance
            ref_grads = [*ref.dW, *ref.db]
            report.fd_arbiter = _fd(arbiter, ref_grads, directions=fd_directions, seed=seed)
            if report.fd_arbiter.ok and not report.fd.ok:
                report.diagnosis += (
                    " Finite differences side with JAX: the NumPy gradient is wrong."
                )
            elif report.fd.ok and not report.fd_arbiter.ok:
                report.diagnosis += " Finite differences side with NumPy: the reference disagrees."
    return report


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


def _arch(Ws: Sequence[Any], hidden: Sequence[str], output: str, cost: str) -> str:
    sizes = [Ws[0].shape[1], *[W.shape[0] for W in Ws]]
    acts = "/".join(hidden) if hidden else "-"
    return f"{sizes} hidden={acts} output={output} cost={cost}"


@contextmanager
def cost_in_place(
    net: Any, X: Any, Y: Any, live: list[np.ndarray[Any, Any]]
) -> Iterator[tuple[Callable[[list[np.ndarray[Any, Any]]], float], list[np.ndarray[Any, Any]]]]:
    """``f(params) = net.cost(X, Y)`` with ``params`` written into ``live`` (the net's own arrays).

    Yields ``(f, saved)``, ``saved`` a copy of ``live`` on entry (the point to check at), and
    writes ``saved`` back into ``live`` on exit, so the network is left exactly as it was.
    """
    saved = [p.copy() for p in live]

    def f(params: list[np.ndarray[Any, Any]]) -> float:
        for dst, src in zip(live, params, strict=True):
            dst[...] = src
        return float(net.cost(X, Y))

    try:
        yield f, saved
    finally:
        for dst, src in zip(live, saved, strict=True):
            dst[...] = src


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


# --- fast mode: JVP / VJP along signed random directions --------------------------------------


@dataclass
class DirectionalReport:
    """``v . J u`` checks of a large network: cost independent of the parameter count."""

    architecture: str
    directions: list[dict[str, Any]]
    ok: bool
    fallback: NetworkReport | None = None
    """Blockwise full comparison, run only when a direction fails (localises the error)."""

    def __str__(self) -> str:
        """One line per direction, then the fallback's report when a direction failed."""
        lines = [f"check_network_directional: {'PASS' if self.ok else 'FAIL'} {self.architecture}"]
        for d in self.directions:
            lines.append(
                f"  seed {d['seed']}: <grad C, u> numpy {d['numpy_dot']:.12g} vs JAX JVP "
                f"{d['jax_jvp']:.12g} (budget {d['budget']:.2g}); v.Ju JVP {d['vJu_jvp']:.12g} "
                f"vs VJP {d['vJu_vjp']:.12g} vs FD {d['vJu_fd']:.12g} "
                f"({'ok' if d['ok'] else 'FAIL'})"
            )
        if self.fallback is not None:
            lines.append(str(self.fallback))
        return "\n".join(lines)


def check_network_directional(
    net: Any,
    X: Any,
    Y: Any,
    *,
    directions: int = 3,
    seed: int = 0,
    relu: ReluConvention = "paper",
) -> DirectionalReport:
    """Check ``<grad C, u>`` (NumPy) against JAX's JVP and ``v . J u`` (JVP vs VJP vs FD of a^L).

    Directions ``u`` (parameters) and ``v`` (outputs) are Rademacher from seeds ``seed + k``.
    On a failure, falls back to :func:`compare_network` to name the diverging block.
    """
    Ws, bs = list(net.weights), list(net.biases)
    hidden, output, cost = tuple(net.hidden), str(net.output), str(net.cost_name)
    dt = float_dtype(getattr(net, "dtype", Ws[0].dtype), name="net.dtype")
    Xc, Yc = np.asarray(X, dtype=dt), np.asarray(Y, dtype=dt)
    fn = network(hidden, output, cost, relu)
    W64 = [np.asarray(w, dtype=np.float64) for w in Ws]
    b64 = [np.asarray(b, dtype=np.float64) for b in bs]
    X64, Y64 = Xc.astype(np.float64), Yc.astype(np.float64)
    dW, db = net.gradients(Xc, Yc)
    g = [np.asarray(a, dtype=np.float64) for a in [*dW, *db]]
    rtol = GRAD_RTOL[dt]
    results: list[dict[str, Any]] = []
    ok = True
    L = len(Ws)
    a_np = np.asarray(net.forward(Xc), dtype=np.float64)
    for k in range(directions):
        s = seed + k
        u = rademacher([p.shape for p in [*W64, *b64]], s)
        v = np.random.default_rng(s + 10_000).choice(np.array([-1.0, 1.0]), size=a_np.shape)
        np_dot = float(sum(float(np.sum(gi * ui)) for gi, ui in zip(g, u, strict=True)))
        _, jvp_c = fn.cost_jvp(W64, b64, u[:L], u[L:], X64, Y64)
        _, Ju = fn.forward_jvp(W64, b64, u[:L], u[L:], X64)
        vJ_W, vJ_b = fn.forward_vjp(W64, b64, X64, v)
        vJu_jvp = float(np.sum(v * np.asarray(Ju)))
        vJu_vjp = float(
            sum(float(np.sum(np.asarray(a) * b)) for a, b in zip([*vJ_W, *vJ_b], u, strict=True))
        )
        # Independent per-entry rounding (each <= rtol x its block's largest entry): 4 sigma.
        abs_g = float(
            np.sqrt(sum(gi.size * float(np.max(np.abs(gi), initial=0.0)) ** 2 for gi in g))
        )
        tol_grad = 4 * rtol * abs_g + 16 * machine_eps(dt) * abs(float(jvp_c))
        tol_jac = 1e-9 * max(1.0, abs(vJu_jvp))
        abs_vJ = sum(float(np.sum(np.abs(np.asarray(a)))) for a in [*vJ_W, *vJ_b])
        fd, fd_tol = _forward_fd(net, Ws, bs, Xc, u, v, dt, abs_vJ)
        d_ok = (
            abs(np_dot - float(jvp_c)) <= tol_grad
            and abs(vJu_jvp - vJu_vjp) <= tol_jac
            and abs(fd - vJu_jvp) <= fd_tol
        )
        ok &= d_ok
        results.append(
            {
                "seed": s,
                "numpy_dot": np_dot,
                "jax_jvp": float(jvp_c),
                "budget": tol_grad,
                "vJu_jvp": vJu_jvp,
                "vJu_vjp": vJu_vjp,
                "vJu_fd": fd,
                "fd_budget": fd_tol,
                "ok": d_ok,
            }
        )
    report = DirectionalReport(_arch(Ws, hidden, output, cost), results, ok)
    if not ok:
        report.fallback = compare_network(net, Xc, Yc, relu=relu, fd_directions=1, seed=seed)
    return report


def _forward_fd(
    net: Any,
    Ws: list[Any],
    bs: list[Any],
    X: Any,
    u: list[np.ndarray[Any, Any]],
    v: np.ndarray[Any, Any],
    dt: np.dtype[Any],
    abs_vJ: float,
) -> tuple[float, float]:
    """``v . (a^L(θ + h u) - a^L(θ - h u)) / 2h`` (Richardson) with ``net.forward``, and its budget.

    The budget adds the rounding of ``θ + h u`` in the network's dtype (``eps |θ| / h`` per entry,
    weighted by ``|v J|``) to the usual truncation and cancellation terms.
    """
    live = [*Ws, *bs]
    saved = [p.copy() for p in live]
    theta = max(float(np.max(np.abs(p), initial=0.0)) for p in saved)
    h = fd_step(theta, dt)

    def vf(t: float) -> float:
        for dst, src, ui in zip(live, saved, u, strict=True):
            dst[...] = (src + dt.type(t) * ui.astype(dt)).astype(dt)
        return float(np.sum(v * np.asarray(net.forward(X), dtype=np.float64)))

    try:
        d_h, d_h2 = central_pair(lambda t: (t, vf(t)), h)
        scale = float(np.sum(np.abs(np.asarray(net.forward(X), dtype=np.float64))))
    finally:
        for dst, src in zip(live, saved, strict=True):
            dst[...] = src
    budget = fd_budget(d_h, d_h2, scale, h, dt, 0.0).total
    budget += displacement_rounding(dt, theta, h, abs_vJ)
    return richardson(d_h, d_h2), budget


# --- the grid -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """One architecture of the grid."""

    sizes: tuple[int, ...]
    hidden: tuple[str, ...]
    output: str
    cost: str
    dtype: str
    batch: int
    seed: int

    @property
    def id(self) -> str:
        """Record id, e.g. ``mlp.grad.sigmoid.softmax.cross_entropy.d3.float64``."""
        h = "-".join(dict.fromkeys(self.hidden)) or "none"
        return f"mlp.grad.{h}.{self.output}.{self.cost}.d{len(self.sizes) - 1}.{self.dtype}"


def sample_data(
    output: str, cost: str, n_in: int, n_out: int, batch: int, seed: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Draw inputs and targets suited to ``(output, cost)``: one-hot, 0/1 or real targets."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, n_in))
    if output == "softmax" and cost == "cross_entropy":
        Y = np.eye(n_out)[rng.integers(0, n_out, size=batch)]
    elif cost in ("binary_cross_entropy", "cross_entropy"):
        Y = (rng.random((batch, n_out)) < 0.5).astype(np.float64)
    elif output == "identity":
        Y = rng.normal(size=(batch, n_out))
    else:
        Y = rng.random((batch, n_out))
    return X, Y


_FAMILIES: tuple[tuple[tuple[int, ...], int], ...] = (
    ((3, 5, 3), 1),
    ((5, 4, 6, 3), 4),
    ((4, 6, 3, 5, 3), 7),
    ((6, 3, 1), 16),
    ((3, 5, 4, 3), 4),
    ((5, 6, 3), 7),
    ((4, 3, 5, 6, 3), 16),
)
"""(layer sizes, batch) per (output, cost) pair: depths L = 2..4, widths 1..6, batches 1..16."""


def default_grid() -> list[Config]:
    """Return the grid: every hidden activation x every valid (output, cost) pair, and more.

    Each pair gets one shape family (depth 2-4, its own widths and batch size) shared by its four
    hidden activations, which alternate float64/float32; JAX compiles once per family. Extras:
    L = 1 networks, mixed hidden activations, a batch of 64.
    """
    import mlp

    pairs = sorted(mlp.VALID_PAIRS)
    configs: list[Config] = []
    for p, (out, cost) in enumerate(pairs):
        sizes, batch = _FAMILIES[p % len(_FAMILIES)]
        if out != "sigmoid" and sizes[-1] == 1:
            sizes = (*sizes[:-1], 3)  # one output unit only makes sense for a sigmoid
        for h, hidden in enumerate(("sigmoid", "tanh", "relu", "heaviside")):
            dtype = "float64" if (p + h) % 2 == 0 else "float32"
            configs.append(
                Config(sizes, (hidden,) * (len(sizes) - 2), out, cost, dtype, batch, 10 * p + h)
            )
    configs.append(Config((4, 3), (), "softmax", "cross_entropy", "float64", 5, 201))
    configs.append(Config((4, 1), (), "sigmoid", "binary_cross_entropy", "float32", 5, 202))
    configs.append(
        Config(
            (4, 6, 3, 5, 3),
            ("relu", "tanh", "sigmoid"),
            "softmax",
            "cross_entropy",
            "float64",
            16,
            203,
        )
    )
    configs.append(
        Config(
            (4, 6, 3, 5, 3),
            ("tanh", "heaviside", "sigmoid"),
            "softmax",
            "cross_entropy",
            "float32",
            16,
            204,
        )
    )
    configs.append(Config((6, 6, 3), ("sigmoid",), "softmax", "cross_entropy", "float64", 64, 205))
    return configs


def _record(cfg: Config, report: NetworkReport) -> Record:
    verdict = "pass" if report.ok else "fail"
    fd_note = ""
    if report.fd is not None:
        fd_note = (
            f"; FD along {len(report.fd.directions)} directions {'ok' if report.fd.ok else 'FAIL'}"
        )
    message = (
        f"{report.architecture} {cfg.dtype}: max |numpy - jax| {report.max_abs:.2g} "
        f"(rel {report.max_rel:.2g}){fd_note}"
    )
    if not report.ok:
        message += f". {report.diagnosis}"
    details = report.to_details()
    details["seed"] = cfg.seed
    return Record(
        id=cfg.id,
        ref="eqs. (32)-(37)",
        kind="numeric",
        verdict=verdict,
        expected="pass",
        status="ok" if report.ok else "unexpected",
        method="jax+fd",
        message=message,
        details=details,
    )


def check_mlp(configs: Sequence[Config] | None = None, *, fd_directions: int = 2) -> list[Record]:
    """``net.gradients`` vs JAX (every block) and FD (directions) for each configuration."""
    import mlp

    records: list[Record] = []
    seen: dict[str, int] = {}
    for cfg in default_grid() if configs is None else configs:
        net = mlp.MLP(
            list(cfg.sizes),
            hidden=list(cfg.hidden),
            output=cfg.output,
            cost=cfg.cost,
            init="large",
            seed=cfg.seed,
            dtype=cfg.dtype,
        )
        X, Y = sample_data(cfg.output, cfg.cost, cfg.sizes[0], cfg.sizes[-1], cfg.batch, cfg.seed)
        try:
            report = compare_network(net, X, Y, fd_directions=fd_directions, seed=cfg.seed)
            rec = _record(cfg, report)
        except Exception as exc:  # one broken configuration must not hide the others
            rec = Record(
                id=cfg.id,
                ref="eqs. (32)-(37)",
                kind="numeric",
                verdict="error",
                expected="pass",
                status="error",
                method="jax+fd",
                message=f"{type(exc).__name__}: {exc}",
                details={"seed": cfg.seed},
            )
        n = seen.get(rec.id, 0)
        seen[rec.id] = n + 1
        if n:
            rec = Record(**{**rec.__dict__, "id": f"{rec.id}.{n + 1}"})
        records.append(rec)
    records.extend(_directional_records())
    return records


def _directional_records() -> list[Record]:
    """Fast mode on a larger network (the paper's digits shape [64, 32, 10]) in both dtypes."""
    import mlp

    out: list[Record] = []
    for dtype in ("float64", "float32"):
        net = mlp.MLP(
            [64, 32, 10],
            hidden="sigmoid",
            output="softmax",
            cost="cross_entropy",
            init="large",
            seed=7,
            dtype=dtype,
        )
        X, Y = sample_data("softmax", "cross_entropy", 64, 10, 32, 7)
        rep = check_network_directional(net, X, Y, directions=3, seed=7)
        msg = (
            f"{rep.architecture} {dtype}: <grad C, u> NumPy vs JAX JVP and v.Ju JVP vs VJP "
            f"along {len(rep.directions)} Rademacher directions"
        )
        out.append(
            expect_pass(
                id=f"mlp.directional.sigmoid.softmax.cross_entropy.{dtype}",
                ref="eqs. (32)-(37)",
                ok=rep.ok,
                method="jvp+vjp",
                message=msg
                if rep.ok or rep.fallback is None
                else msg + ". " + rep.fallback.diagnosis,
                details={"directions": rep.directions, "architecture": rep.architecture},
            )
        )
    return out
