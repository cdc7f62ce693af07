"""Samplers of valid points for numeric checks: logits, probabilities, one-hot labels, kinks.

Each sampler is a small frozen dataclass called with a ``numpy.random.Generator``: a claim that
holds one can be pickled, so the gate can check it numerically in its second process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

__all__ = [
    "Sampler",
    "combine",
    "complement",
    "integer_sampler",
    "kink_sampler",
    "logit_sampler",
    "one_hot_sampler",
    "probability_sampler",
    "simplex_sampler",
    "uniform_sampler",
    "weight_sampler",
]

Point = dict[sp.Symbol, float]
Sampler = Callable[[np.random.Generator], Point]
"""Draws one valid point (symbol -> float) from a ``numpy.random.Generator``."""


@dataclass(frozen=True)
class _Logits:
    variables: tuple[sp.Symbol, ...]
    scale: float

    def __call__(self, rng: np.random.Generator) -> Point:
        wide = bool(rng.random() < 0.5)
        bound = self.scale if wide else 3.0
        return {v: float(rng.uniform(-bound, bound)) for v in self.variables}


@dataclass(frozen=True)
class _Uniform:
    variables: tuple[sp.Symbol, ...]
    low: float
    high: float

    def __call__(self, rng: np.random.Generator) -> Point:
        return {v: float(rng.uniform(self.low, self.high)) for v in self.variables}


@dataclass(frozen=True)
class _Integers:
    variable: sp.Symbol
    low: int
    high: int

    def __call__(self, rng: np.random.Generator) -> Point:
        return {self.variable: float(rng.integers(self.low, self.high))}


@dataclass(frozen=True)
class _Simplex:
    variables: tuple[sp.Symbol, ...]

    def __call__(self, rng: np.random.Generator) -> Point:
        n = len(self.variables)
        p = rng.dirichlet(np.ones(n)) * 0.98 + 0.02 / n
        return {v: float(x) for v, x in zip(self.variables, p, strict=True)}


@dataclass(frozen=True)
class _OneHot:
    variables: tuple[sp.Symbol, ...]

    def __call__(self, rng: np.random.Generator) -> Point:
        hot = int(rng.integers(len(self.variables)))
        return {v: float(k == hot) for k, v in enumerate(self.variables)}


@dataclass(frozen=True)
class _NearKink:
    variable: sp.Symbol
    at: float
    scale: float

    def __call__(self, rng: np.random.Generator) -> Point:
        sign = 1.0 if rng.random() < 0.5 else -1.0
        distance = float(10.0 ** rng.uniform(-6.0, np.log10(self.scale)))
        return {self.variable: self.at + sign * distance}


@dataclass(frozen=True)
class _Combined:
    samplers: tuple[Sampler, ...]

    def __call__(self, rng: np.random.Generator) -> Point:
        point: Point = {}
        for s in self.samplers:
            point.update(s(rng))
        return point


@dataclass(frozen=True)
class _Complement:
    base: Sampler
    source: sp.Symbol
    target: sp.Symbol

    def __call__(self, rng: np.random.Generator) -> Point:
        point = self.base(rng)
        point[self.target] = 1.0 - point[self.source]
        return point


def uniform_sampler(
    variables: Sequence[sp.Symbol], low: float = 0.05, high: float = 0.95
) -> Sampler:
    """Each of ``variables`` uniformly from ``(low, high)``."""
    return _Uniform(tuple(variables), low, high)


def integer_sampler(variable: sp.Symbol, low: int, high: int) -> Sampler:
    """``variable`` a whole number in ``[low, high)`` (a sample count, a 0/1 label)."""
    return _Integers(variable, low, high)


def logit_sampler(variables: Sequence[sp.Symbol], scale: float = 30.0) -> Sampler:
    """Pre-activations ``z``: half the draws in ``(-3, 3)``, half with ``|z|`` up to ``scale``."""
    return _Logits(tuple(variables), scale)


def weight_sampler(variables: Sequence[sp.Symbol], bound: float = 1.5) -> Sampler:
    """Weights, biases and inputs uniformly in ``(-bound, bound)``."""
    return uniform_sampler(variables, -bound, bound)


def probability_sampler(variables: Sequence[sp.Symbol]) -> Sampler:
    """Each variable independently a probability in ``(0.02, 0.98)``."""
    return uniform_sampler(variables, 0.02, 0.98)


def simplex_sampler(variables: Sequence[sp.Symbol]) -> Sampler:
    """Draw a strictly positive probability vector (sums to 1) over ``variables``."""
    return _Simplex(tuple(variables))


def one_hot_sampler(variables: Sequence[sp.Symbol]) -> Sampler:
    """Draw a one-hot label vector over ``variables``."""
    return _OneHot(tuple(variables))


def kink_sampler(variable: sp.Symbol, at: float = 0.0, scale: float = 30.0) -> Sampler:
    """Points near but never on the kink ``at``: ``at ± 10^u`` with ``u`` in (-6, log10(scale))."""
    return _NearKink(variable, at, scale)


def combine(*samplers: Sampler) -> Sampler:
    """One point from each sampler, merged (later samplers win on shared variables)."""
    return _Combined(samplers)


def complement(base: Sampler, source: sp.Symbol, target: sp.Symbol) -> Sampler:
    """Points of ``base`` with ``target`` set to ``1 - source`` (two outputs that sum to 1)."""
    return _Complement(base, source, target)
