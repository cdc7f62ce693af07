"""Samplers of valid points for numeric checks: logits, probabilities, one-hot labels, kinks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

from derivations.equivalence import Sampler

__all__ = [
    "combine",
    "kink_sampler",
    "logit_sampler",
    "one_hot_sampler",
    "probability_sampler",
    "simplex_sampler",
    "weight_sampler",
]


def logit_sampler(variables: Sequence[sp.Symbol], scale: float = 30.0) -> Sampler:
    """Pre-activations ``z``: half the draws in ``(-3, 3)``, half with ``|z|`` up to ``scale``."""

    def sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        wide = bool(rng.random() < 0.5)
        bound = scale if wide else 3.0
        return {v: float(rng.uniform(-bound, bound)) for v in variables}

    return sample


def weight_sampler(variables: Sequence[sp.Symbol], bound: float = 1.5) -> Sampler:
    """Weights, biases and inputs uniformly in ``(-bound, bound)``."""

    def sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        return {v: float(rng.uniform(-bound, bound)) for v in variables}

    return sample


def probability_sampler(variables: Sequence[sp.Symbol]) -> Sampler:
    """Each variable independently a probability in ``(0.02, 0.98)``."""

    def sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        return {v: float(rng.uniform(0.02, 0.98)) for v in variables}

    return sample


def simplex_sampler(variables: Sequence[sp.Symbol]) -> Sampler:
    """Draw a strictly positive probability vector (sums to 1) over ``variables``."""

    def sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        p = rng.dirichlet(np.ones(len(variables))) * 0.98 + 0.02 / len(variables)
        return {v: float(x) for v, x in zip(variables, p, strict=True)}

    return sample


def one_hot_sampler(variables: Sequence[sp.Symbol]) -> Sampler:
    """Draw a one-hot label vector over ``variables``."""

    def sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        hot = int(rng.integers(len(variables)))
        return {v: float(k == hot) for k, v in enumerate(variables)}

    return sample


def kink_sampler(variable: sp.Symbol, at: float = 0.0, scale: float = 30.0) -> Sampler:
    """Points near but never on the kink ``at``: ``at ± 10^u`` with ``u`` in (-6, log10(scale))."""

    def sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        sign = 1.0 if rng.random() < 0.5 else -1.0
        return {variable: at + sign * float(10.0 ** rng.uniform(-6.0, np.log10(scale)))}

    return sample


def combine(*samplers: Sampler) -> Sampler:
    """One point from each sampler, merged (later samplers win on shared variables)."""

    def sample(rng: np.random.Generator) -> dict[sp.Symbol, float]:
        point: dict[sp.Symbol, float] = {}
        for s in samplers:
            point.update(s(rng))
        return point

    return sample
