"""One epoch of mini-batch SGD per implementation: ``mlp`` (ours) and its peers, same network.

Every builder returns a :class:`Trainer` whose ``epoch()`` trains one more epoch on the same data
(sigmoid hidden layers, softmax output, cross-entropy cost, no momentum, no regularisation,
shuffled each epoch). A peer that is not installed raises :class:`PeerUnavailableError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.data import Dataset
from benchmarks.optional import import_optional

__all__ = [
    "PEERS",
    "EpochFn",
    "TrainConfig",
    "Trainer",
    "jax_epoch",
    "ours_epoch",
    "sklearn_epoch",
    "torch_epoch",
]

EpochFn = Callable[[], None]


@dataclass(frozen=True)
class Trainer:
    """One implementation ready to train: ``epoch()`` runs one more epoch."""

    epoch: EpochFn
    weight_dtype: Callable[[], str]
    """The dtype its first weight matrix actually has (checks that a peer kept float32)."""


@dataclass(frozen=True)
class TrainConfig:
    """The network and SGD settings every implementation is given."""

    sizes: tuple[int, ...]
    """Layer widths n_0, ..., n_L (eq. 4)."""
    batch_size: int
    learning_rate: float
    seed: int
    threads: int
    """Threads for the peers that take a count (PyTorch); NumPy's BLAS count."""


def ours_epoch(data: Dataset, cfg: TrainConfig) -> Trainer:
    """``mlp.MLP.fit(epochs=1)``: the project's NumPy backprop (fan-in init)."""
    mlp = import_optional("mlp", "MLP")
    dtype = str(data.X.dtype)
    net = mlp.MLP(
        list(cfg.sizes),
        hidden="sigmoid",
        output="softmax",
        cost="cross_entropy",
        init="fan_in",
        seed=cfg.seed,
        dtype=dtype,
    )

    def epoch() -> None:
        net.fit(
            data.X,
            data.Y,
            epochs=1,
            batch_size=cfg.batch_size,
            learning_rate=cfg.learning_rate,
            schedule="constant",
            seed=cfg.seed,
        )

    return Trainer(epoch, lambda: str(net.weights[0].dtype))


def sklearn_epoch(data: Dataset, cfg: TrainConfig) -> Trainer:
    """scikit-learn ``MLPClassifier(solver="sgd")``: one ``partial_fit`` pass per epoch.

    It keeps float32 inputs in float32 (its weights take the input dtype).
    """
    nn = import_optional("sklearn.neural_network")
    exceptions = import_optional("sklearn.exceptions")
    model = nn.MLPClassifier(
        hidden_layer_sizes=cfg.sizes[1:-1],
        activation="logistic",
        solver="sgd",
        alpha=0.0,
        batch_size=cfg.batch_size,
        learning_rate="constant",
        learning_rate_init=cfg.learning_rate,
        momentum=0.0,
        nesterovs_momentum=False,
        max_iter=1,
        shuffle=True,
        random_state=cfg.seed,
    )
    classes = np.arange(cfg.sizes[-1])

    def epoch() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", exceptions.ConvergenceWarning)
            model.partial_fit(data.X, data.labels, classes=classes)

    return Trainer(epoch, lambda: str(model.coefs_[0].dtype))


def torch_epoch(data: Dataset, cfg: TrainConfig) -> Trainer:
    """PyTorch CPU: ``nn.Sequential(Linear, Sigmoid, ..., Linear)``, CrossEntropyLoss, plain SGD."""
    torch = import_optional("torch")
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    dtype = {"float32": torch.float32, "float64": torch.float64}[str(data.X.dtype)]
    layers: list[Any] = []
    for layer in range(1, len(cfg.sizes)):
        layers.append(torch.nn.Linear(cfg.sizes[layer - 1], cfg.sizes[layer]))
        if layer < len(cfg.sizes) - 1:
            layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers).to(dtype)
    optimiser = torch.optim.SGD(model.parameters(), lr=cfg.learning_rate, momentum=0.0)
    loss_fn = torch.nn.CrossEntropyLoss()
    X = torch.from_numpy(np.ascontiguousarray(data.X))
    labels = torch.from_numpy(data.labels)
    generator = torch.Generator().manual_seed(cfg.seed)
    n, B = data.n, cfg.batch_size

    def epoch() -> None:
        perm = torch.randperm(n, generator=generator)
        for start in range(0, n, B):
            idx = perm[start : start + B]
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(model(X.index_select(0, idx)), labels.index_select(0, idx))
            loss.backward()
            optimiser.step()

    return Trainer(epoch, lambda: str(model[0].weight.dtype).removeprefix("torch."))


def jax_epoch(data: Dataset, cfg: TrainConfig) -> Trainer:
    """JAX: a ``jax.jit``-compiled SGD step (batch gather, grad, update); compiled at warm-up."""
    jax = import_optional("jax")
    jnp = import_optional("jax.numpy")
    jax.config.update("jax_enable_x64", True)
    dtype = data.X.dtype
    rng = np.random.default_rng(cfg.seed)
    params = []
    for n_l, n_prev in zip(cfg.sizes[1:], cfg.sizes[:-1], strict=True):
        W = rng.standard_normal((n_l, n_prev)) / np.sqrt(n_prev)  # fan-in init, W^l (n_l, n_{l-1})
        params.append((jnp.asarray(W, dtype=dtype), jnp.zeros(n_l, dtype=dtype)))
    eta = cfg.learning_rate

    def cost(params: Any, x: Any, y: Any) -> Any:
        a = x
        for W, b in params[:-1]:
            a = jax.nn.sigmoid(a @ W.T + b)
        W, b = params[-1]
        log_a = jax.nn.log_softmax(a @ W.T + b, axis=1)
        return -jnp.mean(jnp.sum(y * log_a, axis=1))

    def sgd_step(params: Any, X: Any, Y: Any, idx: Any) -> Any:
        grads = jax.grad(cost)(params, X[idx], Y[idx])
        return jax.tree_util.tree_map(lambda p, g: p - eta * g, params, grads)

    step = jax.jit(sgd_step, donate_argnums=0)
    X = jax.device_put(data.X)
    Y = jax.device_put(data.Y)
    n, B = data.n, cfg.batch_size
    state = {"params": params}

    def epoch() -> None:
        perm = rng.permutation(n)
        p = state["params"]
        for start in range(0, n, B):
            p = step(p, X, Y, perm[start : start + B])
        state["params"] = jax.block_until_ready(p)

    return Trainer(epoch, lambda: str(state["params"][0][0].dtype))


PEERS: dict[str, Callable[[Dataset, TrainConfig], Trainer]] = {
    "mlp (ours)": ours_epoch,
    "scikit-learn": sklearn_epoch,
    "PyTorch": torch_epoch,
    "JAX jit": jax_epoch,
}
"""Implementations in table order; the first is ours."""
