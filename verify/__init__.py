"""derivcheck's checker: the public gradient checker (``verify.gradient``) and the paper's harness.

``import verify`` loads only the NumPy library in :mod:`verify.gradient`; ``compare_network`` and
``NetworkReport`` (JAX reference of an MLP) are imported from :mod:`verify.checks.network` on
first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from verify.gradient import (
    FULL_MAX_ELEMENTS,
    ElementCheck,
    GradientResult,
    JacobianEntry,
    JacobianResult,
    Kink,
    assert_gradient,
    assert_jacobian,
    assert_jvp,
    assert_value_and_grad,
    assert_vjp,
    check_gradient,
    check_jacobian,
    check_jvp,
    check_value_and_grad,
    check_vjp,
)

if TYPE_CHECKING:
    from verify.checks.network import NetworkReport, compare_network

__all__ = [
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

_LAZY = {"NetworkReport": "verify.checks.network", "compare_network": "verify.checks.network"}
"""Public names whose modules import JAX: loaded on first attribute access (PEP 562)."""


def __getattr__(name: str) -> Any:
    """``verify.compare_network`` / ``verify.NetworkReport``, imported when first used."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'verify' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, including the lazy ones."""
    return sorted({*globals(), *__all__})
