"""Every case of the external-code corpus, in a fixed order."""

from __future__ import annotations

from functools import cache

from tests.external import charrnn, cs231n, float32, kinks, micrograd, nielsen, sklearn_mlp
from tests.external.adapt import Case

__all__ = ["FAMILIES", "all_cases", "by_name"]

FAMILIES = ("nielsen", "micrograd", "sklearn", "cs231n", "charrnn", "float32", "kinks")


@cache
def all_cases() -> tuple[Case, ...]:
    """Correct and bugged cases of every family (built once per process)."""
    out: list[Case] = []
    for module in (nielsen, micrograd, sklearn_mlp, cs231n, charrnn, float32, kinks):
        out += module.cases()
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise RuntimeError("case names must be unique")
    return tuple(out)


def by_name(name: str) -> Case:
    """The case called ``name``."""
    for case in all_cases():
        if case.name == name:
            return case
    raise KeyError(name)
