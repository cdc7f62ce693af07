"""The gradient configurations every mutant runs against, and the layer each should name first."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GRAD_CONFIGS", "GradConfig", "expected_layer"]


@dataclass(frozen=True)
class GradConfig:
    """A gradient configuration run against every mutant (small; square where slips hide)."""

    name: str
    sizes: tuple[int, ...]
    hidden: tuple[str, ...]
    output: str
    cost: str
    batch: int
    seed: int
    special: str = ""
    """``kink``: some relu pre-activations exactly 0; ``huge``: logits beyond ±700."""


GRAD_CONFIGS: tuple[GradConfig, ...] = (
    # square widths and batch == width: transposes and axis slips give silent wrong values
    GradConfig("square", (4, 4, 4, 4), ("tanh", "sigmoid"), "softmax", "cross_entropy", 4, 1),
    GradConfig("relu_kink", (3, 5, 2), ("relu",), "sigmoid", "mse", 6, 2, "kink"),
    GradConfig("softmax_mse", (3, 4, 3), ("sigmoid",), "softmax", "mse", 5, 3),
    GradConfig("sigmoid_ce", (3, 4, 2), ("tanh",), "sigmoid", "cross_entropy", 5, 4),
    GradConfig(
        "heaviside_identity", (3, 4, 3, 2), ("sigmoid", "heaviside"), "identity", "mse", 5, 5
    ),
    GradConfig("huge_logits", (3, 3), (), "softmax", "cross_entropy", 4, 6, "huge"),
)


def expected_layer(where: str, cfg: GradConfig) -> int | None:
    """Return the layer ``where`` names in ``cfg`` (None when ``cfg`` cannot show it)."""
    L = len(cfg.sizes) - 1
    if where == "L":
        return L
    if where == "L-1":
        return L - 1 if L >= 2 else None
    if where.startswith("act:"):
        name = where[4:]
        layers = [i + 1 for i, h in enumerate(cfg.hidden) if h == name]
        return max(layers) if layers else None
    return None
