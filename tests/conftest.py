"""Shared pytest configuration: Hypothesis profiles, JAX in float64, the claims and the notes."""

import os
from pathlib import Path
from typing import Any

import pytest

PROFILES = {"default": 60, "soak": 5000}
"""Hypothesis profiles (``HYPOTHESIS_PROFILE``): examples per property test; both derandomised."""


def pytest_configure(config: pytest.Config) -> None:
    """JAX in float64 and the Hypothesis profiles, in each process that runs tests.

    Not in pytest-xdist's controller, which only hands tests out: importing JAX and Hypothesis
    there cost two seconds of the start-up, on a core the test processes need.
    """
    if config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        return
    import jax
    from hypothesis import HealthCheck, settings

    jax.config.update("jax_enable_x64", True)
    for name, examples in PROFILES.items():
        settings.register_profile(
            name,
            deadline=None,
            max_examples=examples,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow],
        )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


CLAIMS_GROUP = "paper-claims"
"""The xdist group of every test that uses ``paper_claims``: one process builds the claims."""


@pytest.fixture(scope="session")
def paper_claims() -> Any:
    """Every claim of the paper (built on first use in this process: about 8 s of SymPy)."""
    import derivations

    return derivations.all_claims()


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Send every test that needs the paper's claims to one process (``--dist loadgroup``)."""
    for item in items:
        if "paper_claims" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(CLAIMS_GROUP))


@pytest.fixture(scope="session")
def paper_notation_result() -> Any:
    """The document checker's result on examples/paper/backprop-notes-notation.txt (once: ~15 s)."""
    import derivations

    root = Path(__file__).resolve().parents[1]
    path = root / "examples" / "paper" / "backprop-notes-notation.txt"
    return derivations.check_document(path.read_text(encoding="utf-8"), path=str(path))
