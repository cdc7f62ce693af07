"""Kinks: relu and Heaviside at exactly 0 (eqs. 19-22), one-sided derivatives vs every convention.

A derivative at a kink passes when it lies in the closed interval of the one-sided derivatives
(never a false failure) and every check reports those one-sided values (never a silent pass).
Heaviside layers: no gradient flows through them (every upstream gradient exactly 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from verify.gradient.budget import KINK_STEP
from verify.gradient.check import check_gradient
from verify.gradient.finite_diff import one_sided_jump
from verify.results import Record, expect_pass

__all__ = ["check_kinks", "one_sided_at", "scalar_kink_records"]


def one_sided_at(
    f: Callable[[float], float], x: float = 0.0, h: float = KINK_STEP
) -> tuple[float, float]:
    """Left and right derivatives of ``f`` at ``x``; ``+-inf`` when ``f`` jumps there.

    A jump shows as a difference quotient that doubles when ``h`` halves
    (:func:`~verify.gradient.finite_diff.one_sided_jump`).
    """
    f0 = f(x)

    def g(t: float) -> float:
        return f(x + t)

    return one_sided_jump(g, -1.0, h, f0), one_sided_jump(g, 1.0, h, f0)


def _j(x: float) -> float | str:
    """JSON-safe float (infinities as strings)."""
    return ("+inf" if x > 0 else "-inf") if math.isinf(x) else x


def _interval_record(
    rid: str, ref: str, what: str, left: float, right: float, value: float, note: str
) -> Record:
    lo, hi = min(left, right), max(left, right)
    ok = lo <= value <= hi
    msg = (
        f"{what} at 0: one-sided derivatives [{_j(left)}, {_j(right)}], analytic {value:g} "
        + ("lies between them" if ok else "lies OUTSIDE them")
        + (f" ({note})" if note else "")
    )
    return expect_pass(
        id=rid,
        ref=ref,
        ok=ok,
        method="one-sided fd",
        message=msg,
        details={
            "left": _j(left),
            "right": _j(right),
            "analytic": value,
            "x": 0.0,
            "dtype": "float64",
        },
    )


def scalar_kink_records() -> list[Record]:
    """relu'(0) and H'(0) from the paper (eqs. 20, 22), JAX (both relu conventions) and ``mlp``."""
    import jax

    from mlp.activations import heaviside_prime, relu_prime
    from verify.jax_reference import activation

    def relu(z: float) -> float:
        return max(z, 0.0)  # eq. (19)

    def step(z: float) -> float:
        return 1.0 if z >= 0 else 0.0  # eq. (21), H(0) = 1

    zero = np.zeros(1)
    values = {
        "relu": {
            "paper": (1.0, "eq. (20): relu'(0) = 1"),
            "jax_paper": (float(jax.grad(activation("relu", "paper"))(0.0)), "custom_jvp, paper"),
            "jax_native": (float(jax.grad(activation("relu", "jax"))(0.0)), "jax.nn.relu: 0"),
            "mlp": (float(relu_prime(zero, zero)[0]), "mlp.activations.relu_prime"),
        },
        "heaviside": {
            "paper": (0.0, "eq. (22): H' = 0"),
            "jax": (float(jax.grad(activation("heaviside"))(0.0)), "custom_jvp"),
            "mlp": (float(heaviside_prime(zero, zero)[0]), "mlp.activations.heaviside_prime"),
        },
    }
    out: list[Record] = []
    for name, f, ref in (("relu", relu, "eqs. 19-20"), ("heaviside", step, "eqs. 21-22")):
        left, right = one_sided_at(f)
        for who, (value, note) in values[name].items():
            out.append(
                _interval_record(
                    f"kinks.{name}.{who}", ref, f"{name}' ({who})", left, right, value, note
                )
            )
    return out


def _relu_network_record() -> Record:
    """Check an MLP with z^1 = 0 for one sample: net.gradients vs one-sided FD and both JAX."""
    import mlp
    from verify.jax_reference import reference
    from verify.mlp_checks import cost_in_place

    net = mlp.MLP(
        [3, 4, 2], hidden="relu", output="softmax", cost="cross_entropy", init="large", seed=5
    )
    Ws, bs = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    bs[0][:] = 0.0
    net.set_parameters(Ws, bs)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3, 3))
    X[0] = 0.0  # z^1 = W^1 * 0 + 0 = 0: every hidden unit of sample 0 sits on the kink
    Y = np.eye(2)[[0, 1, 1]]
    dW, db = net.gradients(X, Y)
    with cost_in_place(net, X, Y, [*net.weights, *net.biases]) as (f, saved):
        res = check_gradient(f, lambda _p: [*dW, *db], saved, mode="full", complex_step=False)
    paper = reference(net.hidden, "softmax", "cross_entropy", saved[:2], saved[2:], X, Y, "paper")
    native = reference(net.hidden, "softmax", "cross_entropy", saved[:2], saved[2:], X, Y, "jax")
    d_paper = max(
        float(np.max(np.abs(a - b)))
        for a, b in zip([*dW, *db], [*paper.dW, *paper.db], strict=True)
    )
    d_native = float(np.max(np.abs(db[0] - native.db[0])))
    ok = res.ok and d_paper < 1e-12 and len(res.kinks) > 0
    kinks = [
        {
            "array": k.array,
            "index": list(k.index),
            "left": k.left,
            "right": k.right,
            "analytic": k.analytic,
            "accepted": k.accepted,
        }
        for k in res.kinks
    ]
    msg = (
        f"relu MLP with z^1 = 0 for one sample: {len(res.kinks)} kinks found by one-sided "
        f"differences, net.gradients within them ({'ok' if res.ok else 'FAIL'}); equals JAX with "
        f"relu'(0) = 1 (max diff {d_paper:.1e}); JAX's native relu'(0) = 0 changes db^1 by "
        f"{d_native:.3g} and is also a valid choice"
    )
    return expect_pass(
        id="kinks.mlp.relu_at_zero",
        ref="eqs. 19-20",
        ok=ok,
        method="one-sided fd+jax",
        message=msg,
        details={
            "kinks": kinks,
            "max_err_jax": d_paper,
            "native_db1_diff": d_native,
            "dtype": "float64",
        },
    )


def _heaviside_network_record() -> Record:
    """Check a Heaviside hidden layer: every gradient at or below it is exactly 0."""
    import mlp
    from verify.jax_reference import reference
    from verify.mlp_checks import cost_in_place

    net = mlp.MLP(
        [3, 4, 4, 2],
        hidden=["tanh", "heaviside"],
        output="sigmoid",
        cost="mse",
        init="large",
        seed=6,
    )
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(5, 3)), rng.random((5, 2))
    dW, db = net.gradients(X, Y)
    ref = reference(net.hidden, "sigmoid", "mse", net.weights, net.biases, X, Y)
    upstream = [dW[0], dW[1], db[0], db[1]]  # layers 1 and 2 (the Heaviside layer is layer 2)
    jax_up = [ref.dW[0], ref.dW[1], ref.db[0], ref.db[1]]
    with cost_in_place(net, X, Y, [*net.weights[:2], *net.biases[:2]]) as (f, saved):
        res = check_gradient(f, lambda _p: upstream, saved, mode="full", complex_step=False)
    np_zero = all(not np.any(g) for g in upstream)
    jax_zero = all(not np.any(g) for g in jax_up)
    top_nonzero = bool(np.any(dW[2]))
    ok = np_zero and jax_zero and res.ok and top_nonzero
    msg = (
        "Heaviside hidden layer (layer 2 of [3, 4, 4, 2]): dW^1, db^1, dW^2, db^2 are exactly 0 in "
        f"NumPy ({np_zero}) and JAX ({jax_zero}); finite differences agree ({res.ok}); dW^3 is "
        f"non-zero ({top_nonzero}): no gradient flows through a Heaviside layer (eq. 22)"
    )
    return expect_pass(
        id="kinks.mlp.heaviside_blocks_gradient",
        ref="eqs. 21-22",
        ok=ok,
        method="exact zero+fd",
        message=msg,
        details={
            "numpy_zero": np_zero,
            "jax_zero": jax_zero,
            "fd_ok": res.ok,
            "max_err_fd": res.max_abs_error,
            "dtype": "float64",
        },
    )


def check_kinks() -> list[Record]:
    """Scalar kinks (relu, Heaviside at 0, every convention) and MLPs sitting on them."""
    return [*scalar_kink_records(), _relu_network_record(), _heaviside_network_record()]
