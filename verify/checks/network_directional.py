"""Large networks: ``v . J u`` with JAX JVP/VJP along signed random directions, forward FD beside.

The cost does not grow with the parameter count; a failure falls back to
:func:`~verify.checks.network.compare_network` to name the layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from verify.checks.jax_reference import ReluConvention, network
from verify.checks.network import architecture, compare_network
from verify.checks.network_report import NetworkReport
from verify.gradient.budget import (
    GRAD_RTOL,
    displacement_rounding,
    fd_budget,
    fd_step,
    float_dtype,
    machine_eps,
)
from verify.gradient.directional import rademacher
from verify.gradient.finite_diff import central_pair, richardson

__all__ = ["DirectionalReport", "check_network_directional"]


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
    report = DirectionalReport(architecture(Ws, hidden, output, cost), results, ok)
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
