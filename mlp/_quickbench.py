"""Quick epoch-time check (issue 6): ``python -m mlp._quickbench [float64|float32] [repeats]``."""

from __future__ import annotations

import gc
import os
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from mlp.network import MLP

__all__: list[str] = []

N, SIZES, BATCH, ETA, SEED = 12_800, (784, 128, 10), 128, 0.1, 0


def _data(dtype: str) -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(SEED)
    X = rng.random((N, SIZES[0]))
    labels = np.argmax((X - 0.5) @ rng.standard_normal((SIZES[0], SIZES[-1])), axis=1)
    return X.astype(dtype), labels, np.eye(SIZES[-1], dtype=dtype)[labels]


def _ours(X: Any, labels: Any, Y: Any) -> Callable[[], None]:
    net = MLP(list(SIZES), init="fan_in", seed=SEED, dtype=str(X.dtype))

    def epoch() -> None:
        net.fit(X, Y, epochs=1, batch_size=BATCH, learning_rate=ETA)

    return epoch


def _sklearn(X: Any, labels: Any, Y: Any) -> Callable[[], None]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=SIZES[1:-1], activation="logistic", solver="sgd", alpha=0.0,
        batch_size=BATCH, learning_rate_init=ETA, momentum=0.0, nesterovs_momentum=False,
        random_state=SEED,
    )  # fmt: skip
    classes = np.arange(SIZES[-1])

    def epoch() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(X, labels, classes=classes)

    return epoch


def _blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    counts = [int(p["num_threads"]) for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts, default=os.cpu_count() or 1)


def _torch(X: Any, labels: Any, Y: Any) -> Callable[[], None]:
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(_blas_threads())  # the same thread count as NumPy's BLAS
    dtype = {"float32": torch.float32, "float64": torch.float64}[str(X.dtype)]
    model = torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Sigmoid(), torch.nn.Linear(SIZES[1], SIZES[2])
    ).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=ETA)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(labels)
    gen = torch.Generator().manual_seed(SEED)

    def epoch() -> None:
        perm = torch.randperm(N, generator=gen)
        for start in range(0, N, BATCH):
            idx = perm[start : start + BATCH]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(Xt.index_select(0, idx)), yt.index_select(0, idx)).backward()
            opt.step()

    return epoch


def main(argv: list[str]) -> None:
    """Time one epoch per implementation, round-robin, and print the ratios.

    One epoch of mini-batch SGD, 784-128-10 (sigmoid hidden, softmax + cross entropy), batch 128,
    12,800 seeded samples, no momentum: ``MLP.fit(epochs=1)`` against scikit-learn's
    ``MLPClassifier(solver="sgd").partial_fit`` and, if installed, PyTorch CPU; best and median of
    the repeats, wall time and process CPU time. On a shared, loaded machine multi-threaded BLAS
    wall times are erratic; ``OPENBLAS_NUM_THREADS=1`` with the CPU times is the robust
    comparison. The formal suite, with more peers and the machine record, is
    ``python -m benchmarks``.
    """
    dtype = argv[0] if argv else "float64"
    repeats = int(argv[1]) if len(argv) > 1 else 7
    X, labels, Y = _data(dtype)
    print(f"{dtype}: BLAS threads {_blas_threads()}, {repeats} repeats, round-robin")
    impls: dict[str, Callable[[], None]] = {"mlp": _ours(X, labels, Y)}
    impls["sklearn"] = _sklearn(X, labels, Y)
    try:
        impls["torch"] = _torch(X, labels, Y)
    except ImportError:
        print("torch not installed: skipped")
    wall: dict[str, list[float]] = {k: [] for k in impls}
    cpu: dict[str, list[float]] = {k: [] for k in impls}
    for f in impls.values():
        f()  # warm-up
    for _ in range(repeats):
        for name, f in impls.items():
            gc.collect()
            gc.disable()
            t0, c0 = time.perf_counter(), time.process_time()
            f()
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - t0)
            gc.enable()
    for label, times in (("wall", wall), ("cpu", cpu)):
        best = {k: min(v) for k, v in times.items()}
        for name, v in times.items():
            ratio = best["mlp"] / best[name]
            print(f"{dtype} {label:4s} {name:8s} best {best[name] * 1e3:7.1f} ms  median "
                  f"{float(np.median(v)) * 1e3:7.1f} ms  mlp/this {ratio:.2f}")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
