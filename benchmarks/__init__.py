"""Benchmarks: training, gradient-check scaling, ``verify all``, peer checkers, the dev loop."""

from __future__ import annotations

__all__ = ["BENCHMARKS"]

BENCHMARKS: tuple[str, ...] = ("training", "gradcheck", "verify", "peers-gradcheck", "loop")
"""The benchmark names accepted by ``python -m benchmarks --only``."""
