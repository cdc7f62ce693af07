"""Independent JAX (float64) reference: the network of eq. (4)-(6), activations, costs, autodiff.

Written from the paper with ``jax.numpy`` only; nothing is imported from ``mlp``. Jitted functions
are cached per (depth, output, cost, relu convention) with the hidden activations selected at run
time, so architectures differing only in their hidden activations share one compilation per shape.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from verify.gradient.budget import SLOPE_ERROR

__all__ = [
    "CLASSIC_EMITTERS",
    "COSTS",
    "FAST_COMPILE",
    "HIDDEN",
    "ONE_THREAD_XLA",
    "OUTPUTS",
    "SLOPE_ERROR",
    "Reference",
    "activation",
    "enable_x64",
    "fast_compile",
    "network",
    "reference",
]

HIDDEN = ("sigmoid", "tanh", "relu", "heaviside")
"""Hidden activations, eqs. (13), (17), (19), (21)."""
OUTPUTS = ("sigmoid", "softmax", "identity")
"""Output activations, eqs. (13), (15) and the identity."""
COSTS = ("mse", "cross_entropy", "binary_cross_entropy")
"""Costs, eqs. (7), (9), (11) (batch means)."""

FAST_COMPILE: dict[str, Any] = {
    "xla_backend_optimization_level": 0,
    "xla_llvm_disable_expensive_passes": True,
}
"""XLA options: these graphs are tiny and run once or twice, so compile time is what counts."""
CLASSIC_EMITTERS: dict[str, Any] = {"xla_cpu_use_fusion_emitters": False}
"""XLA's newer CPU fusion emitters (MLIR) cost about a third more compile time than its classic
ones on these graphs (the values agree to the last bits); older XLA builds know only the classic
ones and no such option."""


@functools.cache
def fast_compile() -> dict[str, Any]:
    """:data:`FAST_COMPILE`, with :data:`CLASSIC_EMITTERS` where this XLA build knows them."""
    enable_x64()
    import jax

    options = {**FAST_COMPILE, **CLASSIC_EMITTERS}
    try:
        jax.jit(lambda t: t + 1, compiler_options=options)(0.0)
    except RuntimeError:  # "No such compile option"
        return dict(FAST_COMPILE)
    return options


ReluConvention = Literal["paper", "jax"]
"""``paper``: relu'(0) = 1 (eq. 20, via ``custom_jvp``); ``jax``: ``jax.nn.relu`` (relu'(0) = 0)."""


ONE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
"""XLA's CPU flags for computing on the calling thread only."""


def xla_on_one_thread() -> None:
    """Ask XLA to compute on one thread (before JAX starts; idempotent).

    The reference's values then do not depend on how many cores the machine has (XLA's
    multi-threaded kernels split sums by thread, which moves the last bits), and two processes
    of the gate do not spin idle threads on each other's core. Flags the user set are kept, and
    nothing changes once JAX has started.
    """
    import os

    flags = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in flags and "multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {ONE_THREAD_XLA}".strip()


def enable_x64() -> None:
    """Switch JAX to float64 (the reference precision), on one XLA thread; idempotent."""
    xla_on_one_thread()
    import jax

    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]


@functools.cache
def _activations() -> dict[str, Callable[[Any], Any]]:
    """Build the elementwise activations in jax.numpy (once; imports JAX on first use)."""
    enable_x64()
    import jax
    import jax.numpy as jnp

    def sigmoid(z: Any) -> Any:
        """Sigmoid, eq. (13), from ``e = exp(-|z|) <= 1``: ``1/(1+e)`` or ``e/(1+e)``.

        No overflow and a finite gradient, accurate to a few ulps *relative* in both tails, and
        so is its autodiff slope ``e/(1+e)^2`` (no ``1 - a`` cancellation; the earlier form
        ``(1 + tanh(z/2))/2`` lost ``eps/a`` relative for ``z << 0``). ``-|z|`` is written as a
        ``where`` so that its derivative at 0 is 1 (``σ'(0) = 1/4``), not ``abs``'s 0.
        """
        pos = z >= 0
        e = jnp.exp(jnp.where(pos, -z, z))
        return jnp.where(pos, 1.0 / (1.0 + e), e / (1.0 + e))

    @jax.custom_jvp
    def relu_paper(z: Any) -> Any:
        """Relu, eq. (19), with the paper's relu'(0) = 1 (eq. 20)."""
        return jnp.where(z >= 0, z, jnp.zeros_like(z))

    @relu_paper.defjvp
    def _relu_paper_jvp(primals: Any, tangents: Any) -> Any:
        (z,), (dz,) = primals, tangents
        return relu_paper(z), jnp.where(z >= 0, dz, jnp.zeros_like(dz))

    @jax.custom_jvp
    def heaviside(z: Any) -> Any:
        """Heaviside, eq. (21), H(0) = 1; derivative 0 everywhere, eq. (22)."""
        return jnp.where(z >= 0, jnp.ones_like(z), jnp.zeros_like(z))

    @heaviside.defjvp
    def _heaviside_jvp(primals: Any, tangents: Any) -> Any:
        (z,), (dz,) = primals, tangents
        return heaviside(z), jnp.zeros_like(dz)

    return {
        "sigmoid": sigmoid,
        "tanh": jnp.tanh,
        "relu": relu_paper,
        "relu_jax": jax.nn.relu,
        "heaviside": heaviside,
        "identity": lambda z: z,
    }


def activation(name: str, relu: ReluConvention = "paper") -> Callable[[Any], Any]:
    """Elementwise activation ``name`` in JAX (``relu`` per the chosen convention at 0)."""
    acts = _activations()
    key = "relu_jax" if (name == "relu" and relu == "jax") else name
    if key not in acts:
        raise ValueError(
            f"name: expected one of {sorted(set(HIDDEN) | {'identity'})}; got {name!r}"
        )
    return acts[key]


def _log_output(output: str, z: Any) -> tuple[Any, Any]:
    """``(ln a, ln(1 - a))`` of the output activation, from the logits ``z`` (stable)."""
    import jax.numpy as jnp

    if output == "sigmoid":
        return -jnp.logaddexp(0.0, -z), -jnp.logaddexp(0.0, z)
    if output != "softmax":
        raise ValueError(f"output {output!r} has no logarithm (use cost 'mse')")
    lse = _logsumexp(z)
    # ln(1 - a_k) = ln(sum_{j != k} e^{z_j}) - ln(sum_j e^{z_j}): no cancellation when a_k -> 1.
    K = z.shape[-1]
    others = jnp.where(jnp.eye(K, dtype=bool), -jnp.inf, z[..., None, :])
    return z - lse, _logsumexp(others)[..., 0] - lse


def _logsumexp(z: Any) -> Any:
    """``ln sum_k e^{z_k}`` over the last axis (kept), shifted by the finite maximum."""
    import jax.numpy as jnp

    m = jnp.max(z, axis=-1, keepdims=True)
    m = jnp.where(jnp.isfinite(m), m, 0.0)
    return m + jnp.log(jnp.sum(jnp.exp(z - m), axis=-1, keepdims=True))


def _output(output: str, z: Any) -> Any:
    """Output activation ``a^L = σ_f(z^L)``: softmax eq. (15), sigmoid eq. (13) or identity."""
    import jax.numpy as jnp

    if output == "softmax":
        e = jnp.exp(z - jnp.max(z, axis=-1, keepdims=True))
        return e / jnp.sum(e, axis=-1, keepdims=True)
    if output == "sigmoid":
        return _activations()["sigmoid"](z)
    if output == "identity":
        return z
    raise ValueError(f"output: expected one of {OUTPUTS}; got {output!r}")


def _cost(cost: str, output: str, z: Any, a: Any, Y: Any) -> Any:
    """Batch-mean cost: MSE eq. (7), cross entropy eq. (9), binary cross entropy eq. (11)."""
    import jax.numpy as jnp

    n = z.shape[0]
    if cost == "mse":
        return jnp.sum((a - Y) ** 2) / (2.0 * n)
    log_a, log_1m_a = _log_output(output, z)
    if cost == "cross_entropy":
        return -jnp.sum(Y * log_a) / n
    if cost == "binary_cross_entropy":
        return -jnp.sum(Y * log_a + (1.0 - Y) * log_1m_a) / n
    raise ValueError(f"cost: expected one of {COSTS}; got {cost!r}")


@dataclass(frozen=True)
class Reference:
    """JAX float64 results at one point: cost, output, gradients and per-element rounding scales.

    ``bound_W[l-1]``/``bound_b[l-1]`` bound the magnitudes of the terms summed into each entry of
    dW^l / db^l (``|δ|`` propagated through ``|W|`` and ``|σ'|``): the scale against which a
    finite-precision gradient's rounding is judged.
    """

    cost: float
    a_L: np.ndarray[Any, Any]  # noqa: N815 - the paper's symbols
    dW: list[np.ndarray[Any, Any]]  # noqa: N815 - the paper's symbols
    db: list[np.ndarray[Any, Any]]
    delta: list[np.ndarray[Any, Any]]
    """Per-sample ``∂C/∂z^l`` (already divided by the batch size N), layers 1..L."""
    bound_W: list[np.ndarray[Any, Any]]  # noqa: N815 - the paper's symbols
    bound_b: list[np.ndarray[Any, Any]]
    slope_W: list[np.ndarray[Any, Any]] = field(default_factory=list)  # noqa: N815
    """Running bound, in units of the working ``eps``, of the absolute error that the rounding of
    ``σ'(z^l)`` (eq. 14: ``a(1-a)``, eq. 18: ``1-a²``) puts into dW^l; see :data:`SLOPE_ERROR`."""
    slope_b: list[np.ndarray[Any, Any]] = field(default_factory=list)
    """Same for db^l."""
    z_L: np.ndarray[Any, Any] = field(default_factory=lambda: np.zeros((0, 0)))  # noqa: N815
    """The output logits ``z^L`` (batch-major)."""


@dataclass(frozen=True)
class Network:
    """Jitted JAX functions of one architecture (shared by every check of that architecture)."""

    hidden: tuple[str, ...]
    output: str
    cost: str
    relu: ReluConvention
    evaluate: Callable[..., Any]
    """``(Ws, bs, X, Y) -> (cost, a^L, dWs, dbs, deltas, bound_Ws, bound_bs, slope_Ws, slope_bs,
    z^L)``."""
    cost_fn: Callable[..., Any]
    """``(Ws, bs, X, Y) -> cost`` (jitted)."""
    cost_jvp: Callable[..., Any]
    """``(Ws, bs, tWs, tbs, X, Y) -> (cost, <grad C, t>)`` forward mode (jitted)."""
    forward_jvp: Callable[..., Any]
    """``(Ws, bs, tWs, tbs, X) -> (a^L, J t)`` forward mode of the network output (jitted)."""
    forward_vjp: Callable[..., Any]
    """``(Ws, bs, X, v) -> (v^T J)`` as ``(dWs, dbs)``, reverse mode of the output (jitted)."""


@functools.cache
def network(
    hidden: tuple[str, ...], output: str, cost: str, relu: ReluConvention = "paper"
) -> Network:
    """Return the jitted functions of an architecture (cached by its key).

    The hidden activations are chosen at run time (one-hot masks over :data:`HIDDEN`), so every
    architecture with the same depth, output and cost shares one compiled function per shape.
    """
    for i, h in enumerate(hidden):
        if h not in HIDDEN:
            raise ValueError(f"hidden[{i}]: expected one of {HIDDEN}; got {h!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output: expected one of {OUTPUTS}; got {output!r}")
    if cost not in COSTS:
        raise ValueError(f"cost: expected one of {COSTS}; got {cost!r}")
    fns = _compiled(len(hidden) + 1, output, cost, relu)
    masks = np.eye(len(HIDDEN))[[HIDDEN.index(h) for h in hidden]].reshape(len(hidden), len(HIDDEN))
    return Network(
        hidden=hidden,
        output=output,
        cost=cost,
        relu=relu,
        evaluate=functools.partial(fns["evaluate"], masks),
        cost_fn=functools.partial(fns["cost_fn"], masks),
        cost_jvp=functools.partial(fns["cost_jvp"], masks),
        forward_jvp=functools.partial(fns["forward_jvp"], masks),
        forward_vjp=functools.partial(fns["forward_vjp"], masks),
    )


def _rounding_bounds(
    act: Callable[[Any, Any], Any],
    masks: Any,
    Ws: Sequence[Any],
    zs: Sequence[Any],
    as_: Sequence[Any],
    deltas: Sequence[Any],
    Y: Any,
    n: int,
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Term-magnitude bounds of eq. (33)-(35) for rounding, layers 1..L (traced inside jit).

    |δ| propagated backwards through |W| and |σ'| bounds the terms of ∂C/∂W^l and ∂C/∂b^l
    (``bound_W``, ``bound_b``); r bounds (in units of eps) the error the rounding of σ' puts
    into δ^l (``slope_W``, ``slope_b``); ``n`` is the batch size of the mean cost.
    """
    import jax
    import jax.numpy as jnp

    d_abs = jnp.abs(deltas[-1]) + (jnp.abs(as_[-1]) + jnp.abs(Y)) / n
    # r: running bound (units of eps) of the error the rounding of σ' puts into δ^l:
    # δ^l = (δ^{l+1} W^{l+1}) ⊙ σ'(z^l), so r^l = (r^{l+1} |W|) ⊙ |σ'| + (|δ^{l+1}| |W|) ⊙ e_σ'
    # with e_σ' from SLOPE_ERROR (first order; r^L = 0, the output δ is in d_abs above).
    r = jnp.zeros_like(d_abs)
    bound_W, bound_b, slope_W, slope_b = [], [], [], []
    for k in range(len(Ws) - 1, -1, -1):
        bound_W.append(d_abs.T @ jnp.abs(as_[k]))
        bound_b.append(jnp.sum(d_abs, axis=0))
        slope_W.append(r.T @ jnp.abs(as_[k]))
        slope_b.append(jnp.sum(r, axis=0))
        if k > 0:
            m = masks[k - 1]
            slope = jax.jvp(lambda z, m=m: act(m, z), (zs[k - 1],), (jnp.ones_like(zs[k - 1]),))[1]
            a_k = jnp.abs(as_[k])
            e_slope = sum(
                m[j] * (c[0] + c[1] * a_k + c[2] * a_k * a_k)
                for j, c in enumerate(SLOPE_ERROR[h] for h in HIDDEN)
            )
            back = d_abs @ jnp.abs(Ws[k])
            r = (r @ jnp.abs(Ws[k])) * jnp.abs(slope) + back * e_slope
            d_abs = back * jnp.abs(slope)
    return bound_W[::-1], bound_b[::-1], slope_W[::-1], slope_b[::-1]


@functools.cache
def _compiled(
    n_layers: int, output: str, cost: str, relu: ReluConvention
) -> dict[str, Callable[..., Any]]:
    """Jitted functions of a depth-``n_layers`` network; the first argument is the masks array."""
    enable_x64()
    import jax
    import jax.numpy as jnp

    basis = [activation(h, relu) for h in HIDDEN]

    def act(m: Any, z: Any) -> Any:
        """Hidden activation selected by the one-hot row ``m`` (the other terms are exact zeros)."""
        return sum(m[j] * f(z) for j, f in enumerate(basis))

    def layers(
        masks: Any, Ws: Sequence[Any], bs: Sequence[Any], X: Any, shifts: Sequence[Any] | None
    ) -> Any:
        """Forward pass eq. (4): ``z^l = a^{l-1} W^l^T + b^l`` (batch-major); zs and as."""
        a = X
        zs, as_ = [], [X]
        for k, (W, b) in enumerate(zip(Ws, bs, strict=True)):
            z = a @ W.T + b
            if shifts is not None:
                z = z + shifts[k]
            zs.append(z)
            a = act(masks[k], z) if k < n_layers - 1 else _output(output, z)
            as_.append(a)
        return zs, as_

    def total(masks: Any, Ws: Any, bs: Any, shifts: Any, X: Any, Y: Any) -> Any:
        zs, as_ = layers(masks, Ws, bs, X, shifts)
        return _cost(cost, output, zs[-1], as_[-1], Y), (zs, as_)

    grad_all = jax.value_and_grad(total, argnums=(1, 2, 3), has_aux=True)

    def evaluate(masks: Any, Ws: Any, bs: Any, X: Any, Y: Any) -> Any:
        shifts = [jnp.zeros((X.shape[0], W.shape[0]), dtype=X.dtype) for W in Ws]
        (c, (zs, as_)), (dWs, dbs, deltas) = grad_all(masks, Ws, bs, shifts, X, Y)
        bound_W, bound_b, slope_W, slope_b = _rounding_bounds(
            act, masks, Ws, zs, as_, deltas, Y, X.shape[0]
        )
        return (
            c,
            as_[-1],
            dWs,
            dbs,
            deltas,
            bound_W,
            bound_b,
            slope_W,
            slope_b,
            zs[-1],
        )

    def cost_fn(masks: Any, Ws: Any, bs: Any, X: Any, Y: Any) -> Any:
        zs, as_ = layers(masks, Ws, bs, X, None)
        return _cost(cost, output, zs[-1], as_[-1], Y)

    def cost_jvp(masks: Any, Ws: Any, bs: Any, tWs: Any, tbs: Any, X: Any, Y: Any) -> Any:
        return jax.jvp(lambda W, b: cost_fn(masks, W, b, X, Y), (Ws, bs), (tWs, tbs))

    def out(masks: Any, Ws: Any, bs: Any, X: Any) -> Any:
        return layers(masks, Ws, bs, X, None)[1][-1]

    def forward_jvp(masks: Any, Ws: Any, bs: Any, tWs: Any, tbs: Any, X: Any) -> Any:
        return jax.jvp(lambda W, b: out(masks, W, b, X), (Ws, bs), (tWs, tbs))

    def forward_vjp(masks: Any, Ws: Any, bs: Any, X: Any, v: Any) -> Any:
        _, pullback = jax.vjp(lambda W, b: out(masks, W, b, X), Ws, bs)
        return pullback(v)

    fns: dict[str, Callable[..., Any]] = {
        "evaluate": evaluate,
        "cost_fn": cost_fn,
        "cost_jvp": cost_jvp,
        "forward_jvp": forward_jvp,
        "forward_vjp": forward_vjp,
    }
    return {k: jax.jit(f, compiler_options=fast_compile()) for k, f in fns.items()}


def _f64(arrays: Sequence[Any]) -> list[np.ndarray[Any, Any]]:
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def reference(
    hidden: Sequence[str],
    output: str,
    cost: str,
    Ws: Sequence[Any],
    bs: Sequence[Any],
    X: Any,
    Y: Any,
    relu: ReluConvention = "paper",
) -> Reference:
    """Evaluate the JAX float64 reference at ``(W^l, b^l)``, inputs ``X`` and targets ``Y``."""
    net = network(tuple(hidden), output, cost, relu)
    c, a_L, dWs, dbs, deltas, bW, bb, sW, sb, z_L = net.evaluate(
        _f64(Ws), _f64(bs), np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    )
    return Reference(
        cost=float(c),
        a_L=np.asarray(a_L),
        dW=_f64(dWs),
        db=_f64(dbs),
        delta=_f64(deltas),
        bound_W=_f64(bW),
        bound_b=_f64(bb),
        slope_W=_f64(sW),
        slope_b=_f64(sb),
        z_L=np.asarray(z_L, dtype=np.float64),
    )
