"""The generated ``reports/``: index, one page per family, errata, experiments and figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from verify.report.errata import render_errata
from verify.report.files import FRESHNESS_SUFFIXES, stale_files, write_reports
from verify.report.index import render_index
from verify.report.pages import FAMILIES, family_file, render_family_page
from verify.results import Record

if TYPE_CHECKING:
    from derivations.claims import Claim
    from verify.checks.experiments import ExperimentResults
    from verify.report.figures import FDCurve

__all__ = [
    "FD_FIGURE",
    "FRESHNESS_SUFFIXES",
    "ReportInputs",
    "build_reports",
    "draw_figures",
    "stale_files",
    "write_reports",
]

FD_FIGURE = "figures/fd_step.png"
"""Path of the finite-difference step-size figure, relative to ``reports/``."""
VERDICT_FIGURE = "figures/verdicts.png"
"""Path of the figure of every claim by page and verdict, relative to ``reports/``."""


@dataclass(frozen=True)
class ReportInputs:
    """Everything the reports are made of (no timings, paths or hostnames: byte-stable)."""

    claims: Sequence[Claim]
    records: Sequence[Record]
    experiments: ExperimentResults | None = None
    fd_curves: Sequence[FDCurve] = field(default=())
    reliability: Mapping[str, Any] = field(default_factory=dict)
    """Committed figures from ``reports/data/`` (``verify.report.reliability.load_reliability``)."""
    figures: Mapping[str, bytes] = field(default_factory=dict)
    """Figures already drawn from these inputs (:func:`draw_figures`: the gate's second process
    draws them while the claims are built); the others are drawn here."""


def draw_figures(
    experiments: ExperimentResults | None, fd_curves: Sequence[FDCurve]
) -> dict[str, bytes]:
    """The figures that need no claims: path -> PNG (the step-size figure, the training one)."""
    out: dict[str, bytes] = {}
    if fd_curves:
        from verify.report.figures import fd_figure

        out[FD_FIGURE] = fd_figure(fd_curves)
    if experiments is not None:
        from verify.report.experiments_page import TRAINING_FIGURE
        from verify.report.figures import training_figure

        out[TRAINING_FIGURE] = training_figure(experiments)
    return out


def _verdict_counts(claims: Sequence[Claim]) -> dict[str, dict[str, int]]:
    """Page title -> verdict label -> number of claims, pages in paper order."""
    from verify.report.render import verdict_label

    out: dict[str, dict[str, int]] = {}
    order = [f for f in FAMILIES if any(c.family == f for c in claims)]
    order += sorted({c.family for c in claims} - set(order))
    for family in order:
        title = FAMILIES.get(family, (family.capitalize(), ""))[0]
        bucket = out.setdefault(title, {})
        for c in claims:
            if c.family == family:
                label = verdict_label(str(c.verdict)).strip("*")
                bucket[label] = bucket.get(label, 0) + 1
    return out


def build_reports(inputs: ReportInputs) -> dict[str, bytes]:
    """Render every report file in memory: relative path -> bytes (UTF-8 Markdown or PNG)."""
    from verify.report.experiments_page import (
        TRAINING_FIGURE,
        render_experiments,
        render_training_summary,
    )

    claims, records, results = list(inputs.claims), list(inputs.records), inputs.experiments
    given = inputs.figures
    drawn = {
        **draw_figures(
            None if TRAINING_FIGURE in given else results,
            () if FD_FIGURE in given else inputs.fd_curves,
        ),
        **given,
    }
    files: dict[str, bytes] = {}
    fd_png = drawn.get(FD_FIGURE)
    if fd_png is not None:
        files[FD_FIGURE] = fd_png
    verdict_png: bytes | None = None
    if claims:
        from verify.report.figures import verdict_figure

        verdict_png = verdict_figure(_verdict_counts(claims))
        files[VERDICT_FIGURE] = verdict_png
    files["README.md"] = render_index(
        claims,
        records,
        results,
        fd_figure=FD_FIGURE if fd_png else None,
        verdict_figure=VERDICT_FIGURE if verdict_png else None,
        reliability=inputs.reliability,
    ).encode()
    families = [f for f in FAMILIES if any(c.family == f for c in claims)]
    families += sorted({c.family for c in claims} - set(families))
    if results is not None and "training" not in families:
        families.append("training")
    for family in families:
        extra = render_training_summary(results) if family == "training" and results else ""
        files[family_file(family)] = render_family_page(family, claims, records, extra).encode()
    files["errata.md"] = render_errata(claims, records).encode()
    if results is not None:
        files["experiments.md"] = render_experiments(results).encode()
        files[TRAINING_FIGURE] = drawn[TRAINING_FIGURE]
    return files
