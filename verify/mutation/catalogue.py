"""Catalogue of realistic backprop bugs: exact source edits of ``mlp/`` with where they must show.

Each ``Mutant`` is a list of ``Edit``s (``old`` must occur exactly ``count`` times in the file, or
the runner fails loudly: a catalogue entry whose pattern no longer matches ``mlp/`` is an error,
never a silent pass). ``where`` says which layer the checker should name first, counting from
the output: ``L`` (the output layer), ``L-1`` (the layer below it), ``act:<name>`` (the highest
layer whose hidden activation is ``name``), ``cost`` (the cost value, seen only by finite
differences), ``training`` (SGD semantics, seen only by ``verify.checks.training``) or ``none``
(an equivalent mutant). ``params`` is the parameter block(s) expected to diverge first there.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATALOGUE", "Edit", "Mutant"]


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new`` in ``mlp/<file>``; ``old`` must occur exactly ``count`` times."""

    file: str
    old: str
    new: str
    count: int = 1


@dataclass(frozen=True)
class Mutant:
    """One injected bug."""

    name: str
    description: str
    edits: tuple[Edit, ...]
    where: str
    """Expected first diverging location (see the module docstring)."""
    params: str = "Wb"
    """``W``, ``b`` or ``Wb``: the block(s) expected to fail first at ``where``."""
    equivalent: str = ""
    """Non-empty for an equivalent mutant: the argument why no check can (or should) see it."""
    source: str = ""
    """Where the bug is seen in the wild (paper equation, forum classic)."""


_BP = "backprop.py"
_ACT = "activations.py"
_DEL = "deltas.py"
_TR = "training.py"

CATALOGUE: tuple[Mutant, ...] = (
    Mutant(
        "transpose_in_delta_recurrence",
        "δ^{l-1} = δ^l (W^l)^T instead of δ^l W^l (batch-major eq. 35 with the transpose wrong)",
        (Edit(_BP, "np.matmul(delta, weights[i], out=", "np.matmul(delta, weights[i].T, out="),),
        "L-1",
        source="missing/extra transpose; silent only for square layers",
    ),
    Mutant(
        "transpose_dW",
        "∂C/∂W^l = (a^{l-1})^T δ^l: the transpose of the right block (eq. 36's missing transpose)",
        (
            Edit(
                _BP,
                "matmul_into(delta.T, a[i], ws.dW[i])",
                "matmul_into(a[i].T, delta, ws.dW[i])",
            ),
        ),
        "L",
        "W",
        source="paper eq. (36)",
    ),
    Mutant(
        "sigmoid_prime_of_a",
        "hidden σ'(a^l) instead of σ'(z^l): sigmoid' taken at the activation (eq. 32 as printed)",
        (
            Edit(
                _ACT,
                "    out = _out(a, out)\n    np.subtract(1.0, a, out=out)\n",
                "    a = sigmoid(a)\n    out = _out(a, out)\n    np.subtract(1.0, a, out=out)\n",
            ),
        ),
        "act:sigmoid",
        source="paper eq. (32)",
    ),
    Mutant(
        "output_sigma_prime_of_a",
        "sigmoid+MSE output delta (a - y) σ'(a^L) instead of σ'(z^L)",
        (
            Edit(
                _DEL,
                "    np.multiply(out, a, out=out)\n    np.multiply(out, 1.0 - a, out=out)\n",
                "    s = 1.0 / (1.0 + np.exp(-a))\n    np.multiply(out, s * (1.0 - s), out=out)\n",
            ),
        ),
        "L",
        source="paper eq. (32)",
    ),
    Mutant(
        "dropped_batch_mean",
        "gradient of the batch sum, not the batch mean (1/N dropped)",
        (
            Edit(
                _BP,
                "s = 1.0 / n if scale is None else scale",
                "s = 1.0 if scale is None else scale",
            ),
        ),
        "L",
        source="eq. (7) vs (8): forgetting 1/N",
    ),
    Mutant(
        "bias_grad_wrong_axis",
        "∂C/∂b^l = Σ over outputs (axis=1) instead of over the batch (axis=0)",
        (Edit(_BP, "col_sum(delta, out=ws.db[i])", "np.sum(delta, axis=1, out=ws.db[i])"),),
        "L",
        "b",
        source="classic axis slip; silent when batch == width",
    ),
    Mutant(
        "softmax_jacobian_elementwise",
        "softmax Jacobian used as its diagonal a(1 - a) (elementwise; eq. 16's off-diagonal lost)",
        (
            Edit(
                _ACT,
                "    np.subtract(g, s, out=out)\n    np.multiply(out, a, out=out)\n",
                "    np.multiply(g, 1.0 - a, out=out)\n    np.multiply(out, a, out=out)\n",
            ),
        ),
        "L",
        source="treating softmax like sigmoid",
    ),
    Mutant(
        "sign_flip_cross_entropy_delta",
        "softmax+CE δ^L = y - a instead of a - y (sign flip in the cost derivative)",
        (
            Edit(
                _DEL,
                "    return np.subtract(out, y, out=out)\n",
                "    return np.subtract(y, out, out=out)\n",
            ),
        ),
        "L",
        source="eq. (30) sign",
    ),
    Mutant(
        "sigmoid_ce_delta_as_softmax",
        "sigmoid+CE δ^L = a - y (eq. 39, valid for softmax, reused for independent sigmoids)",
        (
            Edit(
                _DEL,
                "    out = np.subtract(a, 1.0, out=out)\n    return np.multiply(out, y, out=out)\n",
                "    return np.subtract(a, y, out=out)\n",
            ),
        ),
        "L",
        source="paper eq. (39) applied to the wrong output",
    ),
    Mutant(
        "delta_uses_wrong_layer_W",
        "δ^{l-1} = (δ^l W^{l-1}) ⊙ σ'(z^{l-1}): the recurrence uses the wrong layer's W",
        (Edit(_BP, "np.matmul(delta, weights[i], out=", "np.matmul(delta, weights[i - 1], out="),),
        "L-1",
        source="index off by one in eq. (35)",
    ),
    Mutant(
        "dW_uses_a_l",
        "∂C/∂W^l = (δ^l)^T a^l instead of a^{l-1} (eq. 28's a^{L-1} misread)",
        (
            Edit(
                _BP,
                "matmul_into(delta.T, a[i], ws.dW[i])",
                "matmul_into(delta.T, a[i + 1], ws.dW[i])",
            ),
        ),
        "L",
        "W",
        source="course-forum classic",
    ),
    Mutant(
        "relu_prime_strict_at_kink",
        "relu'(z) = [z > 0] instead of the paper's [z >= 0] (eq. 20) at the kink z = 0",
        (
            Edit(
                _ACT,
                "    del a\n    return np.greater_equal(z, 0.0, out=_out(z, out))\n",
                "    del a\n    return np.greater(z, 0.0, out=_out(z, out))\n",
            ),
        ),
        "act:relu",
        source="eq. (20) convention; visible only where some z^l is exactly 0",
    ),
    Mutant(
        "tanh_prime_missing_square",
        "tanh'(z) = 1 - tanh(z) instead of 1 - tanh²(z) (eq. 18)",
        (
            Edit(
                _ACT,
                "    np.multiply(a, a, out=out)\n    np.subtract(1.0, out, out=out)\n",
                "    np.subtract(1.0, a, out=out)\n",
            ),
        ),
        "act:tanh",
        source="eq. (18) typo",
    ),
    Mutant(
        "heaviside_straight_through",
        "Heaviside' = 1 (straight-through) instead of 0 (eq. 22)",
        (
            Edit(
                _ACT,
                "    del a\n    out = _out(z, out)\n    out[...] = 0.0\n    return out\n",
                "    del a\n    out = _out(z, out)\n    out[...] = 1.0\n    return out\n",
            ),
        ),
        "act:heaviside",
        source="eq. (22) vs common practice",
    ),
    Mutant(
        "mse_cost_missing_half",
        "MSE value Σ||a - y||²/N without the 1/2 of eq. (7): gradients no longer match the cost",
        (
            Edit(
                "costs.py",
                "return float(np.sum(r * r) / (2 * a.shape[0]))",
                "return float(np.sum(r * r) / a.shape[0])",
            ),
        ),
        "cost",
        source="eq. (7) vs (29)",
    ),
    Mutant(
        "update_once_per_epoch",
        "Algorithm 1 as printed: average the batch gradients, update once after the batch loop",
        (
            Edit(
                _TR,
                "    correct = 0\n",
                "    correct = 0\n    acc_W: list[FloatArray] = []\n"
                "    acc_b: list[FloatArray] = []\n    batches = 0\n",
            ),
            Edit(
                _TR,
                "        for W, b, step_W, step_b in zip(weights, biases, dW, db, strict=True):\n"
                "            W -= step_W  # W^l <- W^l - η ∂C/∂W^l  (η/N is already inside δ^L)\n"
                "            b -= step_b  # b^l <- b^l - η ∂C/∂b^l\n",
                "        if not acc_W:\n"
                "            acc_W = [np.zeros_like(g) for g in dW]\n"
                "            acc_b = [np.zeros_like(g) for g in db]\n"
                "        for gW, gb, sW, sb in zip(acc_W, acc_b, dW, db, strict=True):\n"
                "            gW += sW\n"
                "            gb += sb\n"
                "        batches += 1\n"
                "    for W, b, gW, gb in zip(weights, biases, acc_W, acc_b, strict=True):\n"
                "        W -= gW / batches\n"
                "        b -= gb / batches\n",
            ),
        ),
        "training",
        source="paper Algorithm 1, line 10",
    ),
    Mutant(
        "lr_schedule_off_by_one",
        "eq. (23) evaluated at i - 1 (epochs counted from 0): η starts at η_0, ends too high",
        (
            Edit(
                "network.py",
                "schedules.learning_rate(schedule, eta0, epoch, epochs)",
                "schedules.learning_rate(schedule, eta0, epoch - 1, epochs)",
            ),
        ),
        "training",
        source="0- vs 1-based epoch counter",
    ),
    Mutant(
        "sgd_step_sum_not_mean",
        "SGD step η Σ_i ∇C_i instead of η (1/m) Σ_i ∇C_i (batch mean dropped in the update)",
        (
            Edit(
                _TR,
                "backward(weights, activations, cost, z, a, wb.y, eta / m, wb)",
                "backward(weights, activations, cost, z, a, wb.y, eta, wb)",
            ),
        ),
        "training",
        source="forgetting 1/batch_size",
    ),
    Mutant(
        "grads_not_zeroed",
        "weight gradients accumulate across mini-batches (buffer never zeroed)",
        (
            Edit(
                _BP,
                "dW=[np.empty((n, m), dtype=dtype, order=order)",
                "dW=[np.zeros((n, m), dtype=dtype, order=order)",
            ),
            Edit(
                _BP,
                "dW[i] = matmul_into(delta.T, a[i], ws.dW[i])",
                "ws.dW[i] += delta.T @ a[i]\n        dW[i] = ws.dW[i]",
            ),
        ),
        "training",
        source="PyTorch forum classic: missing zero_grad()",
    ),
    Mutant(
        "bias_not_updated",
        "the bias update is forgotten (b^l never moves)",
        (
            Edit(
                _TR,
                "            b -= step_b  # b^l <- b^l - η ∂C/∂b^l\n",
                "            pass  # b^l update forgotten\n",
            ),
        ),
        "training",
        source="forum classic",
    ),
    Mutant(
        "shuffle_X_not_Y",
        "inputs are shuffled but labels are taken in the original order",
        (
            Edit(
                _TR,
                "np.take(y, idx, axis=0, out=wb.y)",
                "np.take(y, np.arange(start, start + m), axis=0, out=wb.y)",
            ),
        ),
        "training",
        source="StackOverflow classic",
    ),
    Mutant(
        "last_partial_batch_dropped",
        "the last, smaller mini-batch is skipped",
        (
            Edit(
                _TR,
                "for start in range(0, n, ws.batch):",
                "for start in range(0, n - ws.batch + 1, ws.batch):",
            ),
        ),
        "training",
        source="range(0, N - B + 1, B)",
    ),
    Mutant(
        "softmax_no_shift",
        "softmax without subtracting the row max: the shift cancels in the quotient, so it is "
        "behaviour-preserving (to rounding) for |z| < ~709; past that exp overflows (inf/inf)",
        (Edit(_ACT, "    np.subtract(z, m, out=out)\n", "    np.copyto(out, z)\n"),),
        "L",
        source="forum classic ('forgot to shift softmax')",
    ),
    Mutant(
        "softmax_jacobian_transposed",
        "softmax JVP through the materialised Jacobian J^T instead of J (eq. 16)",
        (
            Edit(
                _ACT,
                "    s = np.sum(g * a, axis=-1, keepdims=True)\n    out = _out(g, out)\n"
                "    np.subtract(g, s, out=out)\n    np.multiply(out, a, out=out)\n",
                "    k = a.shape[-1]\n"
                "    J = a[:, :, None] * (np.eye(k) - a[:, None, :])  # J[b, i, j] = ∂a_i/∂z_j\n"
                "    res = np.einsum('bji,bj->bi', J, g)  # J^T g\n"
                "    out = _out(g, out)\n    out[...] = res\n",
            ),
        ),
        "none",
        equivalent=(
            "eq. (16): ∂a_i/∂z_j = a_i(δ_ij - a_j) is symmetric in i, j, so J^T g = J g exactly; "
            "the mutant differs only by summation order (rounding)."
        ),
        source="row- vs column-Jacobian confusion",
    ),
    Mutant(
        "tanh_prime_factored",
        "tanh' as (1 - a)(1 + a) instead of 1 - a² (eq. 18)",
        (
            Edit(
                _ACT,
                "    np.multiply(a, a, out=out)\n    np.subtract(1.0, out, out=out)\n",
                "    np.multiply(1.0 - a, 1.0 + a, out=out)\n",
            ),
        ),
        "none",
        equivalent="(1 - a)(1 + a) = 1 - a² algebraically; only rounding differs (<= 2 ulp).",
        source="refactoring",
    ),
)
"""Every mutant; ``python -m verify mutants --list`` prints them."""
