"""The test processes run as conftest.py says: JAX in float64, the chosen Hypothesis profile."""

import os

import jax
from hypothesis import settings


def test_jax_is_float64_and_hypothesis_runs_the_chosen_profile() -> None:
    assert jax.config.jax_enable_x64
    profile = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
    assert settings.default.max_examples == profile.max_examples
    assert settings.default.derandomize and settings.default.deadline is None
