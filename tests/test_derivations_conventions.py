"""Conventions at kinks recorded in the claims agree with what JAX actually does."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import derivations

pytestmark = pytest.mark.usefixtures("paper_claims")  # in the process that built the claims


def test_jax_relu_gradient_at_zero_is_what_the_claim_records() -> None:
    claim = derivations.get("activations.relu.derivative")
    jax_at_0 = float(jax.grad(jax.nn.relu)(0.0))
    assert jax_at_0 == claim.extra["jax_at_0"] == 0.0
    assert claim.extra["paper_at_0"] == 1.0  # the paper picks the right derivative
    assert float(jax.grad(jax.nn.relu)(1e-6)) == 1.0
    assert float(jax.grad(jax.nn.relu)(-1e-6)) == 0.0


def test_heaviside_passes_no_gradient_in_jax() -> None:
    claim = derivations.get("activations.heaviside.derivative")
    assert claim.condition and "z = 0" in claim.condition

    def step(x: jax.Array) -> jax.Array:
        return jnp.heaviside(x, 1.0)

    for x in (-1.0, -1e-6, 1e-6, 1.0):
        assert float(jax.grad(step)(x)) == 0.0
