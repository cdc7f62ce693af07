"""The subprocess of one mutant run: the harness on the (mutated) ``mlp`` first on ``sys.path``.

``python -m verify.mutation.child OUT`` builds every gradient configuration with the ``mlp`` it
imports, runs ``compare_network`` on each and the training checks, and writes JSON to ``OUT``.
A crash of the mutated code is recorded as a detection, never raised.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

from verify.mutation.configs import GRAD_CONFIGS, GradConfig
from verify.results import save_json

__all__ = ["main", "network_for"]


def network_for(cfg: GradConfig) -> tuple[Any, Any, Any]:
    """Build the network and data of ``cfg`` (imports the possibly mutated ``mlp``)."""
    import numpy as np

    import mlp
    from verify.checks.samples import sample_data

    net = mlp.MLP(
        list(cfg.sizes),
        hidden=list(cfg.hidden),
        output=cfg.output,
        cost=cfg.cost,
        init="large",
        seed=cfg.seed,
        dtype="float64",
    )
    X, Y = sample_data(cfg.output, cfg.cost, cfg.sizes[0], cfg.sizes[-1], cfg.batch, cfg.seed)
    if cfg.special == "kink":
        # z^1_0 = 0.5 x_0 - 0.5 x_1 + 0.25 x_2 + 0 is exactly 0 for the first two rows
        W = [w.copy() for w in net.weights]
        b = [v.copy() for v in net.biases]
        W[0][0] = [0.5, -0.5, 0.25]
        b[0][0] = 0.0
        X[0] = [1.0, 1.0, 0.0]
        X[1] = [-2.0, -2.0, 0.0]
        net.set_parameters(W, b)
    elif cfg.special == "huge":
        net.set_parameters([w * 400.0 for w in net.weights], list(net.biases))
        if float(np.max(np.abs(net.weights[0] @ X.T))) < 700:
            raise RuntimeError("huge_logits: logits did not reach 700")
    return net, X, Y


def _gradient_row(cfg: GradConfig) -> dict[str, Any]:
    """One configuration's outcome; a crash of the mutated code is a detection too."""
    from verify.checks.network import compare_network

    row: dict[str, Any] = {"config": cfg.name}
    try:
        net, X, Y = network_for(cfg)
        rep = compare_network(net, X, Y, fd_directions=2, seed=cfg.seed)
        first = rep.first_diverging_layer
        row.update(
            ok=rep.ok,
            crash="",
            forward_ok=rep.forward_ok,
            jax_ok=all(b.ok for b in rep.blocks),
            fd_ok=rep.fd is None or rep.fd.ok,
            first_layer=first,
            first_params="".join(b.param for b in rep.blocks if not b.ok and b.layer == first),
            diagnosis=rep.diagnosis,
            max_abs=rep.max_abs,
        )
    except Exception as exc:  # the shape or the dtype is wrong
        row.update(
            ok=False,
            crash=f"{type(exc).__name__}: {exc}"[:300],
            first_layer=None,
            first_params="",
            jax_ok=False,
            fd_ok=False,
            forward_ok=False,
            diagnosis="",
        )
    return row


def main(out_path: str) -> int:
    """Run every gradient configuration and the training checks; write JSON to ``out_path``."""
    import mlp

    expected_dir = os.environ.get("DERIVCHECK_MUTANT_DIR", "")
    if expected_dir and not Path(mlp.__file__).resolve().is_relative_to(Path(expected_dir)):
        raise SystemExit(f"child imported mlp from {mlp.__file__}, not from {expected_dir}")
    from verify.checks.training import check_training

    warnings.simplefilter("ignore")  # a mutant may overflow; the result, not the warning, counts
    grads = [_gradient_row(cfg) for cfg in GRAD_CONFIGS]
    training = [
        {"id": r.id, "ok": r.status == "ok", "status": r.status, "message": r.message[:300]}
        for r in check_training()
    ]
    save_json(Path(out_path), {"gradients": grads, "training": training})
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m verify.mutation.child OUT.json")
    raise SystemExit(main(sys.argv[1]))
