"""All claims of the paper in paper order, built once per process; per-claim-module timings."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from derivations.activations import activation_claims
from derivations.backprop import backprop_claims
from derivations.claims import Claim
from derivations.costs import cost_claims
from derivations.deltas import delta_claims
from derivations.network import network, network_claims
from derivations.sec631 import sec631_claims
from derivations.sec633 import ce_softmax_claims
from derivations.slips import slip_claims
from derivations.softmax import softmax_claims
from derivations.table1 import table_claims
from derivations.training import training_claims

__all__ = ["FAMILIES", "all_claims", "claims_by_family", "get", "paper_position", "timings"]

FAMILIES = ("network", "costs", "activations", "deltas", "backprop", "training")
"""Report pages, in paper order."""


def _build_network() -> list[Claim]:
    """Differentiate the composed network once (timed on its own); no claims of its own."""
    network()
    return []


_BUILDERS: tuple[tuple[str, Callable[[], list[Claim]]], ...] = (
    ("network (sympy.diff of eq. 6)", _build_network),
    ("network claims", network_claims),
    ("costs", cost_claims),
    ("activations", activation_claims),
    ("softmax", softmax_claims),
    ("training", training_claims),
    ("Table 1", table_claims),
    ("deltas", delta_claims),
    ("sec. 6.3.3 and eq. 39", ce_softmax_claims),
    ("sec. 6.3.1", sec631_claims),
    ("backprop eq. 32-37", backprop_claims),
    ("slips", slip_claims),
)
"""Claim builders in paper order (sec. 2, 3, 4, 5, 6)."""

_TIMINGS: dict[str, float] = {}


_NON_EQUATION_POSITION = {
    "sec. 2": 6.5,
    "sec. 3.2": 10.5,
    "sec. 4.1.1": 13.5,
    "footnote 1": 15.2,
    "sec. 4.1.2": 15.5,
    "Algorithm 1": 22.5,
    "sec. 5.1": 23.5,
    "sec. 5.2": 23.7,
    "sec. 6.1": 28.5,
    "sec. 6.2": 30.5,
    "Table 1": 30.7,
    "footnote 2": 30.8,
    "sec. 6.3.1": 31.5,
    "sec. 6.3.2": 37.5,
    "sec. 6.3.3": 38.5,
}
"""Where refs that are not equation numbers sit among the equations (1)–(39)."""


def paper_position(ref: str) -> float:
    """Sort key of a ``Claim.ref`` in paper order (``eq. 16`` -> 16, ``sec. 6.2`` -> 30.5)."""
    if ref.startswith("eq. "):
        return float(ref.removeprefix("eq. ").split()[0].rstrip(","))
    try:
        return _NON_EQUATION_POSITION[ref]
    except KeyError:
        raise ValueError(f"ref: no paper position known for {ref!r}") from None


def _ordered(claims: list[Claim]) -> list[Claim]:
    """Stable sort into paper order (ties keep the builders' order)."""
    return sorted(claims, key=lambda c: paper_position(c.ref))


@functools.cache
def _build() -> tuple[Claim, ...]:
    out: list[Claim] = []
    for name, build in _BUILDERS:
        start = time.perf_counter()
        out.extend(build())
        _TIMINGS[name] = time.perf_counter() - start
    ids = [c.id for c in out]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate claim ids: {sorted(duplicates)}")
    return tuple(_ordered(out))


def all_claims() -> list[Claim]:
    """Every claim of the paper, in paper order (built once per process, nothing cached on disk)."""
    return list(_build())


def claims_by_family() -> dict[str, list[Claim]]:
    """Claims grouped by report page (``Claim.family``), families in paper order."""
    groups: dict[str, list[Claim]] = {f: [] for f in FAMILIES}
    for c in _build():
        groups.setdefault(c.family, []).append(c)
    return groups


def get(claim_id: str) -> Claim:
    """Return the claim with id ``claim_id`` (``KeyError`` naming it if there is none)."""
    for c in _build():
        if c.id == claim_id:
            return c
    raise KeyError(f"claim_id: no claim {claim_id!r}")


def timings() -> dict[str, float]:
    """Seconds spent building each claim module (after ``all_claims()`` has run)."""
    _build()
    return dict(_TIMINGS)
