"""Benchmark suite: training throughput, gradient-check scaling, ``verify all``, peer checkers."""

from __future__ import annotations

__all__ = ["BENCHMARKS"]

BENCHMARKS: tuple[str, ...] = ("training", "gradcheck", "verify", "peers-gradcheck")
"""The benchmark names accepted by ``python -m benchmarks --only``."""
