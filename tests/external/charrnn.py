"""A vanilla character RNN in the style of min-char-rnn (our own code): tanh, softmax, BPTT.

``h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)``, ``p_t = softmax(Why h_t + by)``, loss
``sum_t -log p_t[target_t]``; column vectors, dict params ``Wxh, Whh, Why, bh, by``. The
backward pass runs through time with ``dhnext`` carrying the recurrent term.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.external.adapt import Bug, Case

__all__ = ["BUGS", "cases", "loss_fun"]

Arr = np.ndarray[Any, Any]
VOCAB, HIDDEN = 5, 4
INPUTS = [0, 3, 1, 4, 2, 1]
TARGETS = [3, 1, 4, 2, 1, 0]


def loss_fun(p: dict[str, Arr], hprev: Arr, bug: str | None = None) -> tuple[float, dict[str, Arr]]:
    """Forward over the sequence and backpropagation through time (``bug``: one slip)."""
    Wxh, Whh, Why, bh, by = p["Wxh"], p["Whh"], p["Why"], p["bh"], p["by"]
    xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
    loss = 0.0
    for t, ch in enumerate(INPUTS):
        xs[t] = np.zeros((VOCAB, 1))
        xs[t][ch] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        ys = Why @ hs[t] + by
        ys = ys - ys.max()
        ps[t] = np.exp(ys) / np.sum(np.exp(ys))
        loss += -float(np.log(ps[t][TARGETS[t], 0]))
    g = {k: np.zeros_like(v) for k, v in p.items()}
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(INPUTS))):
        dy = np.copy(ps[t])
        dy[INPUTS[t] if bug == "dy_at_input_not_target" else TARGETS[t]] -= 1
        g["Why"] += dy @ hs[t].T
        g["by"] += dy
        dh = Why.T @ dy
        if bug != "bptt_missing_recurrent_term":
            dh = dh + dhnext
        dhraw = ((1 - hs[t]) if bug == "tanh_prime_one_minus_h" else (1 - hs[t] * hs[t])) * dh
        g["bh"] += dhraw
        g["Wxh"] += dhraw @ xs[t].T
        h_prev = hs[t] if bug == "whh_uses_h_t" else hs[t - 1]
        g["Whh"] += h_prev @ dhraw.T if bug == "whh_missing_transpose" else dhraw @ h_prev.T
        dhnext = Whh @ dhraw if bug == "dhnext_missing_transpose" else Whh.T @ dhraw
    return loss, g


BUGS: list[Bug] = [
    Bug("bptt_missing_recurrent_term", "dh = Why^T dy without dhnext: no gradient through time",
        ("Whh",)),
    Bug("tanh_prime_one_minus_h", "tanh' = 1 - h instead of 1 - h^2", ("Wxh",)),
    Bug("whh_uses_h_t", "dWhh from h_t instead of h_{t-1} (off by one time step)", ("Whh",)),
    Bug("whh_missing_transpose", "dWhh = h_{t-1} dhraw^T: the outer product transposed",
        ("Whh",)),
    Bug("dhnext_missing_transpose", "dhnext = Whh dhraw without the transpose", ("bh",)),
    Bug("dy_at_input_not_target", "softmax gradient subtracts 1 at the input character, not "
        "the target", ("Why",)),
]


def make_case(bug: Bug | None, seed: int = 2) -> Case:
    """min-char-rnn-style loss over a 6-step sequence, 5 characters, 4 hidden units."""
    rng = np.random.default_rng(seed)
    params = {
        "Wxh": 0.6 * rng.standard_normal((HIDDEN, VOCAB)),
        "Whh": 0.6 * rng.standard_normal((HIDDEN, HIDDEN)),
        "Why": 0.6 * rng.standard_normal((VOCAB, HIDDEN)),
        "bh": 0.1 * rng.standard_normal((HIDDEN, 1)),
        "by": 0.1 * rng.standard_normal((VOCAB, 1)),
    }
    hprev = 0.5 * rng.standard_normal((HIDDEN, 1))
    name = None if bug is None else bug.name

    def value_and_grad(p: Any) -> tuple[float, Any]:
        return loss_fun(p, hprev, name)

    label = "charrnn/vanilla" if bug is None else f"charrnn/vanilla/{bug.name}"
    return Case(label, params, lambda p: loss_fun(p, hprev, name)[0],
                lambda p: loss_fun(p, hprev, name)[1], value_and_grad, bug,
                lambda p: loss_fun(p, hprev, None)[1], family="charrnn")


def cases() -> list[Case]:
    """Correct + 6 BPTT bugs."""
    return [make_case(None)] + [make_case(b) for b in BUGS]
