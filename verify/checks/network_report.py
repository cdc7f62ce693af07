"""What :func:`~verify.checks.network.compare_network` finds: one ``BlockError`` per block."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from verify.gradient.check import GradientResult
from verify.results import json_safe

__all__ = ["BlockError", "NetworkReport"]


@dataclass(frozen=True)
class BlockError:
    """NumPy vs JAX for one parameter block: ``dW^l`` or ``db^l``."""

    layer: int
    """``l`` in 1..L, as in the paper."""
    param: str
    """``W`` or ``b``."""
    max_abs: float
    max_rel: float
    """``max_abs`` over the largest |entry| of the JAX block."""
    worst_index: tuple[int, ...]
    analytic: float
    """NumPy value at ``worst_index``."""
    reference: float
    """JAX value at ``worst_index``."""
    budget: float
    """Allowed error at ``worst_index`` (dtype table times the term-magnitude bound)."""
    ok: bool
    factor: float | None = None
    """When the block is a clean multiple of the reference: NumPy / JAX (e.g. -1, or N)."""
    note: str = ""
    """Structural problems (wrong shape, non-finite entries)."""

    @property
    def name(self) -> str:
        """``dW^3``."""
        return f"d{self.param}^{self.layer}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (non-finite numbers as strings, :func:`verify.results.json_safe`)."""
        out: dict[str, Any] = json_safe(
            {
                "block": self.name,
                "layer": self.layer,
                "param": self.param,
                "max_abs": self.max_abs,
                "max_rel": self.max_rel,
                "worst_index": list(self.worst_index),
                "analytic": self.analytic,
                "reference": self.reference,
                "budget": self.budget,
                "ok": self.ok,
                "factor": self.factor,
                "note": self.note,
            }
        )
        return out


@dataclass
class NetworkReport:
    """Outcome of :func:`compare_network`; ``str(report)`` is readable."""

    architecture: str
    dtype: str
    blocks: list[BlockError]
    """Output layer first (``dW^L, db^L, dW^{L-1}, ...``)."""
    forward_max_abs: float
    forward_ok: bool
    cost_abs_error: float
    first_diverging_layer: int | None
    """The first layer, counting from the output, where NumPy and JAX gradients diverge."""
    diagnosis: str
    fd: GradientResult | None = None
    """Directional finite differences of ``net.cost`` against ``net.gradients``."""
    fd_arbiter: GradientResult | None = None
    """On divergence: the same finite differences against the JAX gradients (who is right)."""
    batch: int = 0
    rtol: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Forward pass, every block and the finite-difference check agree."""
        fd_ok = self.fd is None or self.fd.ok
        return self.forward_ok and all(b.ok for b in self.blocks) and fd_ok

    @property
    def max_abs(self) -> float:
        """Largest NumPy-vs-JAX gradient error over all blocks."""
        return max(b.max_abs for b in self.blocks)

    @property
    def max_rel(self) -> float:
        """Largest blockwise relative error."""
        return max(b.max_rel for b in self.blocks)

    def __str__(self) -> str:
        """Readable report: verdict, one line per block, diagnosis."""
        lines = [
            f"compare_network: {'PASS' if self.ok else 'FAIL'} {self.architecture} ({self.dtype}, "
            f"batch {self.batch}; rtol {self.rtol:.2g} x term bound)",
            f"  forward a^L max |error| {self.forward_max_abs:.3g} "
            f"({'ok' if self.forward_ok else 'DIVERGES'}), cost |error| {self.cost_abs_error:.3g}",
        ]
        for b in self.blocks:
            tag = "ok  " if b.ok else "FAIL"
            idx = ", ".join(str(i) for i in b.worst_index)
            lines.append(
                f"  {tag} {b.name:<6} max abs {b.max_abs:.3g}, rel {b.max_rel:.3g}; worst [{idx}]: "
                f"numpy {b.analytic:.8g} vs jax {b.reference:.8g} (budget {b.budget:.3g})"
                + (f"; numpy = {b.factor:.6g} x jax" if b.factor is not None else "")
                + (f"; {b.note}" if b.note else "")
            )
        if self.fd is not None and self.fd.mode == "none":
            lines.append(f"  finite differences not run: {self.fd.message}")
        elif self.fd is not None:
            state = "ok" if self.fd.ok else "FAIL"
            if self.fd.ok and self.fd.undecided:
                state = "ok (undecided along some; JAX decides)"
            lines.append(
                f"  finite differences of net.cost along {len(self.fd.directions)} directions: "
                f"{state} (seeds {', '.join(str(d.seed) for d in self.fd.directions)})"
            )
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_details(self) -> dict[str, Any]:
        """JSON-ready summary for ``Record.details`` (non-finite numbers as strings)."""
        out: dict[str, Any] = json_safe(
            {
                "architecture": self.architecture,
                "dtype": self.dtype,
                "batch": self.batch,
                "rtol": self.rtol,
                "max_abs_err_jax": self.max_abs,
                "max_rel_err_jax": self.max_rel,
                "forward_max_abs": self.forward_max_abs,
                "cost_abs_error": self.cost_abs_error,
                "first_diverging_layer": self.first_diverging_layer,
                "diagnosis": self.diagnosis,
                "blocks": [b.to_dict() for b in self.blocks],
                "fd": None
                if self.fd is None
                else {
                    "ok": self.fd.ok,
                    "max_abs_err_fd": self.fd.max_abs_error,
                    "directions": [d.to_dict() for d in self.fd.directions],
                },
            }
        )
        return out
