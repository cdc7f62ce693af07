"""Join numeric records to claims: the checks behind a claim, worst errors, harness groups."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from verify.report.render import fmt_err
from verify.results import Record

__all__ = [
    "FD_KEYS",
    "JAX_KEYS",
    "claim_records",
    "eq_numbers",
    "float64_only",
    "fmt_claim_errors",
    "harness_groups",
    "max_detail",
    "max_errors",
    "paper_side",
]

JAX_KEYS: tuple[str, ...] = ("max_err_jax", "max_abs_err_jax", "err_jax", "jax_error", "error_jax")
"""``details`` keys holding an error against JAX autodiff (the first present is used)."""
FD_KEYS: tuple[str, ...] = ("max_err_fd", "max_abs_err_fd", "err_fd", "fd_error", "error_fd")
"""``details`` keys holding an error against finite differences."""

_RANGE = re.compile(r"(\d+)\s*(?:[-–]|to)\s*(\d+)")
_INT = re.compile(r"\d+")


def eq_numbers(ref: str) -> list[int]:
    """Equation numbers named by a reference: ``eq. 16`` -> [16], ``eqs. 33-34`` -> [33, 34]."""
    if "eq" not in ref.lower():
        return []
    numbers: list[int] = []
    rest = ref
    for m in _RANGE.finditer(ref):
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo <= hi <= lo + 40:
            numbers += range(lo, hi + 1)
    rest = _RANGE.sub(" ", ref)
    numbers += [int(n) for n in _INT.findall(rest)]
    return sorted(set(numbers))


def claim_records(claim_id: str, records: Iterable[Record]) -> list[Record]:
    """Numeric records backing ``claim_id``: same id, an id under it, or ``details["claim"]``."""
    prefix = claim_id + "."
    return [
        r
        for r in records
        if r.kind == "numeric"
        and (r.id == claim_id or r.id.startswith(prefix) or r.details.get("claim") == claim_id)
    ]


def _lookup(details: dict[str, Any], keys: Sequence[str]) -> Any:
    """First of ``keys`` in ``details`` or in a dict nested one level down (``details["fd"]``)."""
    for k in keys:
        if k in details:
            return details[k]
    for v in details.values():
        if isinstance(v, dict):
            for k in keys:
                if k in v:
                    return v[k]
    return None


def max_detail(records: Sequence[Record], keys: Sequence[str]) -> float | None:
    """Largest value under the first matching key of ``keys`` over ``records`` (NaN wins)."""
    best: float | None = None
    for r in records:
        v = _lookup(r.details, keys)
        if isinstance(v, int | float) and not isinstance(v, bool):
            x = abs(float(v))
            if math.isnan(x):
                return math.nan
            best = x if best is None else max(best, x)
    return best


def float64_only(records: Sequence[Record]) -> list[Record]:
    """Keep the float64 records when dtypes are recorded (float32 errors are larger by design)."""
    typed = [r for r in records if "dtype" in r.details]
    if not typed:
        return list(records)
    return [r for r in records if r.details.get("dtype", "float64") == "float64"]


def max_errors(records: Sequence[Record]) -> tuple[float | None, float | None]:
    """(worst error vs JAX, worst error vs finite differences) over ``records``."""
    return max_detail(records, JAX_KEYS), max_detail(records, FD_KEYS)


def harness_groups(records: Iterable[Record], claim_ids: Iterable[str]) -> dict[str, list[Record]]:
    """Numeric records not tied to a claim, grouped by the first two parts of their id and dtype."""
    ids = set(claim_ids)
    groups: dict[str, list[Record]] = {}
    for r in records:
        if r.kind != "numeric" or r.details.get("claim") in ids:
            continue
        if r.id in ids or any(r.id.startswith(i + ".") for i in ids):
            continue
        key = ".".join(r.id.split(".")[:2])
        dtype = r.details.get("dtype")
        if isinstance(dtype, str):
            key += f" ({dtype})"
        groups.setdefault(key, []).append(r)
    return dict(sorted(groups.items()))


def paper_side(records: Sequence[Record]) -> list[Record]:
    """Keep the checks of the claim as printed (``details["side"] == "paper"``) when sides exist.

    The harness checks both the printed form and the derived truth; the index reports how far the
    *printed* formula is from autodiff (large for a wrong claim, rounding-level otherwise).
    """
    sided = [r for r in records if "side" in r.details]
    if not sided:
        return list(records)
    return [r for r in records if r.details.get("side") == "paper"]


def fmt_claim_errors(records: Sequence[Record]) -> tuple[str, str]:
    """Return the printed form's worst float64 errors vs JAX and FD, byte-stably (``—``: none)."""
    jax_err, fd_err = max_errors(float64_only(paper_side(records)))
    return fmt_err(jax_err), fmt_err(fd_err)
