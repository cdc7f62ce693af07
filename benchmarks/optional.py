"""Optional imports: a peer or project part that is missing becomes a message, not a crash."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["PeerUnavailableError", "import_optional"]


class PeerUnavailableError(RuntimeError):
    """Something cannot run here (not installed, or its API is missing); the message says why."""


def import_optional(name: str, *attributes: str) -> Any:
    """Import module ``name`` and check it has ``attributes``, else raise PeerUnavailableError."""
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise PeerUnavailableError(f"{name} is not installed ({exc})") from exc
    for attribute in attributes:
        if not hasattr(module, attribute):
            raise PeerUnavailableError(f"{name}.{attribute} does not exist yet")
    return module
