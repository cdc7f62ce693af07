"""Shared pytest configuration: Hypothesis profiles, JAX in float64, the paper's notation copy."""

import os
from pathlib import Path
from typing import Any

import jax
import pytest
from hypothesis import HealthCheck, settings

jax.config.update("jax_enable_x64", True)

settings.register_profile(
    "default",
    deadline=None,
    max_examples=60,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "soak",
    deadline=None,
    max_examples=5000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def paper_notation_result() -> Any:
    """The document checker's result on examples/paper/backprop-notes-notation.txt (once: ~15 s)."""
    import derivations

    root = Path(__file__).resolve().parents[1]
    path = root / "examples" / "paper" / "backprop-notes-notation.txt"
    return derivations.check_document(path.read_text(encoding="utf-8"), path=str(path))
