"""Shared symbolic definitions: sigmoid (13), softmax (15), MSE (8), cross entropy (10)."""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

__all__ = ["ce", "mse", "sigmoid", "sigmoid_vector", "softmax"]


def sigmoid(x: sp.Expr) -> sp.Expr:
    """Sigmoid, eq. (13)."""
    return 1 / (1 + sp.exp(-x))


def sigmoid_vector(Z: sp.Matrix) -> sp.Matrix:
    """Elementwise sigmoid of a column z, eq. (13)."""
    return Z.applyfunc(sigmoid)


def softmax(z: Iterable[sp.Expr]) -> sp.Matrix:
    """Softmax of z as a column, eq. (15): e^{z_i} / sum_k e^{z_k}."""
    zs = list(z)
    total = sp.Add(*[sp.exp(e) for e in zs])
    return sp.Matrix([sp.exp(e) / total for e in zs])


def mse(a: Iterable[sp.Expr], y: Iterable[sp.Expr]) -> sp.Expr:
    """Per-sample quadratic cost, eq. (8): (1/2) sum_k (a_k - y_k)^2."""
    return sp.Rational(1, 2) * sp.Add(*[(p - q) ** 2 for p, q in zip(a, y, strict=True)])


def ce(a: Iterable[sp.Expr], y: Iterable[sp.Expr]) -> sp.Expr:
    """Per-sample cross entropy, eq. (10): -sum_k y_k ln a_k."""
    return -sp.Add(*[q * sp.log(p) for p, q in zip(a, y, strict=True)])
