"""Report figures as byte-stable PNGs: FD error vs step h, training curves, claims by verdict."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verify.checks.experiments import ExperimentResults

__all__ = [
    "DPI",
    "FDCurve",
    "default_fd_curves",
    "fd_figure",
    "png_bytes",
    "training_figure",
    "verdict_figure",
]

DPI = 100
"""Fixed resolution of every figure."""

_PNG_METADATA: dict[str, Any] = {"Software": None}
"""No matplotlib version string in the PNG: the bytes depend only on the pixels."""


@dataclass(frozen=True)
class FDCurve:
    """Error of a finite-difference derivative against the exact one, as a function of step h."""

    label: str
    """The claim (e.g. ``eq. 14 sigmoid'``)."""
    dtype: str
    """``float64`` or ``float32``."""
    h: tuple[float, ...]
    error: tuple[float, ...]
    """max |FD - exact| (or relative error, as ``error_kind`` says) at each ``h``."""
    chosen_h: float
    """The step the harness uses for this dtype."""
    error_kind: str = "max abs error"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "derivcheck", "path.simplify": False})
    return plt


def png_bytes(fig: Any) -> bytes:
    """Encode ``fig`` as PNG at :data:`DPI` with no varying metadata, then close it."""
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata=_PNG_METADATA)
    plt.close(fig)
    return buf.getvalue()


def fd_figure(curves: Sequence[FDCurve]) -> bytes:
    """Figure 1: the V of finite-difference error vs h (truncation left, rounding right)."""
    if not curves:
        raise ValueError("curves: expected at least one FDCurve, got none")
    plt = _pyplot()
    dtypes = sorted({c.dtype for c in curves}, key=lambda d: (d != "float64", d))
    fig, axes = plt.subplots(1, len(dtypes), figsize=(5.2 * len(dtypes), 4.0), squeeze=False)
    for ax, dtype in zip(axes[0], dtypes, strict=True):
        for i, c in enumerate(c for c in curves if c.dtype == dtype):
            color = f"C{i}"
            err = [max(e, 1e-300) for e in c.error]
            ax.loglog(c.h, err, "o-", ms=3, color=color, label=c.label)
            ax.axvline(c.chosen_h, color=color, ls=":", lw=1)
        chosen = sorted({c.chosen_h for c in curves if c.dtype == dtype})
        ax.set_title(f"{dtype}: chosen h = " + ", ".join(f"{h:.0e}" for h in chosen))
        ax.set_xlabel("step h")
        ax.set_ylabel(next(c.error_kind for c in curves if c.dtype == dtype))
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Central-difference error vs step size (dotted: the step the harness uses)")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.84, wspace=0.25)
    return png_bytes(fig)


def training_figure(results: ExperimentResults) -> bytes:
    """Figure 2: training claims on the digits, validation cost and accuracy per epoch."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13.0, 7.0))
    panels = (
        ("initialisation (sec. 5.2)", ("default", "large", "fan_in")),
        ("learning rate (eq. 23)", ("default", "linear")),
        ("Heaviside hidden layer (eq. 21-22)", ("fan_in", "heaviside")),
    )
    names = {r.spec.name for r in results.runs}
    for col, (title, runs) in enumerate(panels):
        for i, name in enumerate(n for n in runs if n in names):
            run = results.run(name)
            epochs = range(1, len(run.history["val_cost"]) + 1)
            color = f"C{i}"
            axes[0, col].plot(epochs, run.history["cost"], ls="--", lw=1, color=color)
            axes[0, col].plot(epochs, run.history["val_cost"], color=color, label=run.spec.label)
            axes[1, col].plot(epochs, run.history["accuracy"], ls="--", lw=1, color=color)
            axes[1, col].plot(
                epochs, run.history["val_accuracy"], color=color, label=run.spec.label
            )
        axes[0, col].set_title(title)
        axes[0, col].set_yscale("log")
        axes[0, col].set_ylabel("cross-entropy cost")
        axes[1, col].set_ylabel("accuracy")
        axes[1, col].set_xlabel("epoch")
        axes[1, col].set_ylim(0.0, 1.0)
        for ax in axes[:, col]:
            ax.grid(True, alpha=0.3)
        axes[1, col].legend(fontsize=7, loc="lower right")
    s = results.settings
    fig.suptitle(
        f"Digits, MLP {list(s.layer_sizes)}, batch {s.batch_size}, η_0 = {s.learning_rate:g}: "
        "validation (solid) and running training (dashed)"
    )
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.08, top=0.91, wspace=0.25, hspace=0.2)
    return png_bytes(fig)


def _tanh_sweep(z: float, dtype: Any, steps: Sequence[float]) -> FDCurve:
    """Central-difference error of tanh' (eq. 18) at ``z`` in ``dtype``, against float64."""
    import numpy as np

    from verify.gradient.budget import fd_step
    from verify.gradient.finite_diff import difference, scalar_shift

    exact = 1.0 - float(np.tanh(np.float64(z))) ** 2
    shift = scalar_shift(np.tanh, z, dtype)
    errors = []
    for h in steps:
        tp, fp = shift(h)
        tm, fm = shift(-h)
        errors.append(abs(difference(fp, fm, tp - tm) - exact) if tp != tm else abs(exact))
    return FDCurve(
        label=f"eq. (18) tanh' at z = {z:g}",
        dtype=str(np.dtype(dtype)),
        h=tuple(float(h) for h in steps),
        error=tuple(errors),
        chosen_h=fd_step(z, dtype),
    )


def default_fd_curves() -> list[FDCurve]:
    """FD error vs h in float64 and float32: sigmoid' (eq. 14, see ``step_sweep``), tanh'."""
    import numpy as np

    from verify.gradient.finite_diff import step_sweep

    curves = []
    for dtype in (np.float64, np.float32):
        sweep = step_sweep(0.5, dtype)
        curves.append(
            FDCurve(
                label=f"eq. (14) sigmoid' at z = {sweep.x:g}",
                dtype=sweep.dtype,
                h=sweep.steps,
                error=sweep.errors,
                chosen_h=sweep.chosen_step,
            )
        )
        curves.append(_tanh_sweep(1.5, dtype, sweep.steps))
    return curves


_VERDICT_COLOURS: dict[str, str] = {
    "holds": "#4c9f70",
    "holds almost everywhere": "#9cc9a8",
    "holds if": "#e0b040",
    "convention": "#8fa8c8",
    "wrong": "#c8453c",
    "definition": "#c8c8c8",
}
"""Verdict -> bar colour, in the order of the stacked segments (true first, wrong last)."""


def verdict_figure(counts: Mapping[str, Mapping[str, int]]) -> bytes:
    """Figure 3: every claim, one bar per report page, stacked by verdict (counts in the bars)."""
    if not counts:
        raise ValueError("counts: expected claim counts for at least one family, got none")
    plt = _pyplot()
    families = list(counts)
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(families) + 2.0))
    left = [0] * len(families)
    for verdict, colour in _VERDICT_COLOURS.items():
        widths = [int(counts[f].get(verdict, 0)) for f in families]
        if not any(widths):
            continue
        ax.barh(families, widths, left=left, color=colour, label=verdict, edgecolor="white")
        for row, (x0, w) in enumerate(zip(left, widths, strict=True)):
            if w:
                ax.text(x0 + w / 2, row, str(w), ha="center", va="center", fontsize=8)
        left = [x0 + w for x0, w in zip(left, widths, strict=True)]
    ax.invert_yaxis()
    ax.set_xlim(0, max(left) + 0.5)
    ax.set_xlabel("claims")
    ax.set_title("Every claim of the paper, by report page and verdict")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, fontsize=8, frameon=False)
    fig.tight_layout()
    return png_bytes(fig)
