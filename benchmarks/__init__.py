"""Benchmark suite (issue 6): training throughput, gradient-check scaling, ``verify all`` timing."""

from __future__ import annotations

__all__ = ["BENCHMARKS"]

BENCHMARKS: tuple[str, ...] = ("training", "gradcheck", "verify")
"""The benchmark names accepted by ``python -m benchmarks --only``."""
