"""``import verify`` loads only the NumPy gradient library; the harness's heavy imports wait."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import verify

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "sympy",
    "jax",
    "matplotlib",
    "sklearn",
    "verify.checks.network",
    "verify.checks.jax_reference",
)


def _loaded_after(code: str) -> list[str]:
    """Heavy modules present in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    report = f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    probe = f"{code}\nimport json, sys\n{report}"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_import_verify_loads_no_sympy_jax_matplotlib_sklearn() -> None:
    assert _loaded_after("import verify") == []
    assert _loaded_after("import verify.gradient") == []
    # the library works without them
    code = (
        "import numpy as np, verify\n"
        "assert verify.check_gradient(lambda x: np.sum(np.sin(x)), np.cos, np.ones(3)).ok"
    )
    assert _loaded_after(code) == []
    jacobian = (
        "import numpy as np, verify\n"
        "assert verify.check_jacobian(np.sin, lambda x: np.diag(np.cos(x)), np.ones(3)).ok"
    )
    assert _loaded_after(jacobian) == []


def test_compare_network_is_imported_on_first_use() -> None:
    assert "verify.checks.network" in _loaded_after("import verify\nverify.compare_network")
    from verify.checks.network import NetworkReport, compare_network

    assert verify.compare_network is compare_network
    assert verify.NetworkReport is NetworkReport


def test_public_surface_is_the_library_only() -> None:
    assert sorted(verify.__all__) == sorted(
        [
            "FULL_MAX_ELEMENTS",
            "ElementCheck",
            "GradientResult",
            "JacobianEntry",
            "JacobianResult",
            "Kink",
            "NetworkReport",
            "assert_gradient",
            "assert_jacobian",
            "assert_jvp",
            "assert_value_and_grad",
            "assert_vjp",
            "check_gradient",
            "check_jacobian",
            "check_jvp",
            "check_value_and_grad",
            "check_vjp",
            "compare_network",
        ]
    )
    for name in ("Record", "summarise", "Hooks", "check_with_hooks"):
        assert not hasattr(verify, name), name


def test_harness_hooks_are_off_the_public_signature() -> None:
    import inspect

    from verify.gradient.check import Hooks, check_with_hooks

    public = set(inspect.signature(verify.check_gradient).parameters)
    assert public == {"f", "grad_f", "x", "mode", "seed", "directions", "promote", "complex_step"}
    assert {"grad_tol", "undecided_ok", "f_terms"} <= set(Hooks.__dataclass_fields__)
    assert "hooks" in inspect.signature(check_with_hooks).parameters
