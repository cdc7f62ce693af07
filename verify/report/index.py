"""``reports/README.md``: what was checked and how, the headline numbers, one row per claim."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from derivations.claims import Claim
from verify.report.evidence import (
    claim_records,
    eq_numbers,
    fmt_claim_errors,
    harness_groups,
    max_errors,
)
from verify.report.experiments_page import claim_text
from verify.report.pages import FAMILIES, family_file
from verify.report.reliability import render_reliability
from verify.report.render import (
    bullet,
    fmt_err,
    heading,
    method_label,
    table,
    verdict_label,
)
from verify.results import Record

if TYPE_CHECKING:
    from verify.checks.experiments import ExperimentResults

__all__ = ["paper_order", "render_index"]

_READ = """\
Each statement of the paper is a *claim* with one verdict:

- **holds**: true as printed.
- **holds if**: true only under a condition the text leaves implicit (the condition is stated; where
  it fails, the entry shows a point and the printed and true values there).
- **holds almost everywhere**: true except on a set of measure zero (e.g. a kink at z = 0).
- **convention**: a choice the mathematics leaves open (e.g. relu'(0)); other common choices are
  named.
- **wrong**: false as printed; the entry gives the corrected form and a point where printed and
  true values differ. *A reading* marks a verdict on how the checker read a sentence that prints
  no formula.
- **definition**: defines a symbol; nothing to prove.

The column *as recorded* says whether the checker's verdict today matches the verdict recorded as
expected in the code (*yes* everywhere means nothing changed; a known erratum is an expected
finding, not a failure). The [errata](errata.md) list every wrong and conditional claim."""

_HOW = """\
Every formula of the paper *Neural networks and Back Propagation* (H. M. M. Vege, 2018) is treated
as a claim to test, not as truth. Three independent lines of evidence:

1. **Symbolic** (`derivations/`): each claim is transcribed as printed; SymPy derives the truth from
   the definition (`sympy.diff`, never typed by hand) and compares. Vector claims are proved for a
   symbolic dimension K (`IndexedBase`, `Sum`, `KroneckerDelta`) where possible, otherwise for each
   K in a range (*enumerated*). Multi-line derivations are judged line by line.
2. **Numeric** (`verify/`): each differentiable claim is evaluated at random points in float64 and
   held against JAX autodiff and against finite differences (central, Richardson-extrapolated,
   with a dtype-aware step); the NumPy MLP's back-propagation (`mlp/`) is checked the same way.
3. **Experiments** (`verify/checks/experiments.py`): the training claims of sec. 5 are run on
   scikit-learn's bundled 8x8 digits with fixed seeds and a fixed train/validation/test split.

Errors below 1e-3 are printed as their power-of-ten bound (`< 1e-15`) so that this page is
byte-identical on every machine. Regenerate with `python -m verify report`; check freshness with
`python -m verify report --check`."""


def _headline(
    claims: Sequence[Claim], records: Sequence[Record], experiments: ExperimentResults | None
) -> str:
    by_verdict = Counter(str(c.verdict) for c in claims)
    order = ["holds", "holds_if", "holds_almost_everywhere", "convention", "wrong", "definition"]
    parts = [f"{by_verdict[v]} {verdict_label(v).strip('*')}" for v in order if by_verdict[v]]
    parts += [f"{n} {v}" for v, n in sorted(by_verdict.items()) if v not in order]
    unexpected = sum(c.verdict is not c.expected for c in claims)
    numeric = [r for r in records if r.kind == "numeric"]
    lines = [f"**{len(claims)} claims checked**: " + ", ".join(parts) + "."]
    lines.append(
        f"Symbolic verdicts as expected: {len(claims) - unexpected} of {len(claims)}"
        + (f" (**{unexpected} unexpected**)." if unexpected else ".")
    )
    if numeric:
        ok = sum(r.status == "ok" for r in numeric)
        lines.append(f"Numeric checks: {ok} of {len(numeric)} give the recorded result.")
    exp = [r for r in records if r.kind == "experiment"]
    if exp:
        ok = sum(r.status == "ok" for r in exp)
        line = f"Experiments on the digits: {ok} of {len(exp)} as expected"
        if experiments is not None:
            best = experiments.run(experiments.selected)
            line += f"; test accuracy {100 * best.test_accuracy:.1f}% ([details](experiments.md))"
        lines.append(line + ".")
    errors = [r for r in records if r.status == "error"]
    if errors:
        lines.append(
            f"**{len(errors)} check groups could not run**: "
            + ", ".join(f"`{r.id}`" for r in errors)
            + "."
        )
    return bullet(lines)


def paper_order(ref: str) -> float:
    """Sort key of a paper reference (``eq. 16`` -> 16; sections between their equations)."""
    try:
        from derivations.registry import paper_position

        return float(paper_position(ref))
    except (ImportError, ValueError):
        numbers = eq_numbers(ref)
        return float(numbers[0]) if numbers else math.inf


def _as_recorded(status: str) -> str:
    """``yes`` when the verdict matches the recorded expectation, else a bold ``NO``."""
    return "yes" if status == "ok" else "**NO**"


def _claims_table(claims: Sequence[Claim], records: Sequence[Record]) -> str:
    rows: list[tuple[float, list[str]]] = []
    for c in claims:
        jax_err, fd_err = fmt_claim_errors(claim_records(c.id, records))
        status = "ok" if c.verdict is c.expected else "unexpected"
        row = [
            c.ref,
            f"[{c.title}]({family_file(c.family)}#{c.id})",
            verdict_label(str(c.verdict)),
            method_label(str(c.method)),
            jax_err,
            fd_err,
            _as_recorded(status),
        ]
        rows.append((paper_order(c.ref), row))
    for r in records:
        if r.kind == "experiment":
            row = [
                r.ref,
                f"[{claim_text(r)}](experiments.md#{r.id})",
                verdict_label(r.verdict),
                "experiment (digits)",
                "—",
                "—",
                _as_recorded(r.status),
            ]
            rows.append((paper_order(r.ref) + 0.01, row))
    ordered = [row for _, row in sorted(rows, key=lambda t: t[0])]
    return table(
        [
            "paper",
            "claim",
            "verdict",
            "method",
            "max error vs JAX",
            "max error vs FD",
            "as recorded",
        ],
        ordered,
    )


def _harness(records: Sequence[Record], claims: Sequence[Claim]) -> str:
    groups = harness_groups(records, [c.id for c in claims])
    if not groups:
        return ""
    rows = []
    for name, recs in groups.items():
        ok = sum(r.status == "ok" for r in recs)
        jax_max, fd_max = max_errors(recs)  # one dtype per group: no float64 filter
        jax_err, fd_err = fmt_err(jax_max, bound=True), fmt_err(fd_max, bound=True)
        refs = ", ".join(dict.fromkeys(r.ref for r in recs))
        rows.append([f"`{name}`", refs, len(recs), ok, len(recs) - ok, jax_err, fd_err])
    total = sum(len(v) for v in groups.values())
    passed = sum(r.status == "ok" for v in groups.values() for r in v)
    return "\n".join(
        [
            heading(2, "Harness checks of the NumPy MLP"),
            "",
            f"{passed} of {total} checks pass: the hand-written back-propagation and training of "
            "`mlp/` against JAX autodiff (float64 and float32) and finite differences, its SGD "
            "against an independent JAX loop, and the kinks of relu and Heaviside. Errors are "
            "absolute, shown as their power-of-ten bound, and each check is judged against its "
            "own error budget (float32 finite differences are coarse by design).",
            "",
            table(
                [
                    "group",
                    "paper",
                    "checks",
                    "pass",
                    "not ok",
                    "max error vs JAX",
                    "max error vs FD",
                ],
                rows,
            ),
        ]
    )


def render_index(
    claims: Sequence[Claim],
    records: Sequence[Record],
    experiments: ExperimentResults | None = None,
    fd_figure: str | None = None,
    reliability: Mapping[str, Any] | None = None,
    verdict_figure: str | None = None,
) -> str:
    """Render ``reports/README.md`` (``fd_figure``: path of the step-size figure, if any)."""
    families = [f for f in FAMILIES if any(c.family == f for c in claims)]
    families += sorted({c.family for c in claims} - set(families))
    pages = [f"[{FAMILIES.get(f, (f.capitalize(), ''))[0]}]({family_file(f)})" for f in families]
    pages.append("[Errata](errata.md): every place where the paper is wrong or needs a condition")
    if experiments is not None:
        pages.append("[Experiments](experiments.md): the training claims on the digits")
    out = [
        heading(1, "derivcheck report: *Neural networks and Back Propagation*"),
        "",
        heading(2, "How to read this report"),
        "",
        _READ,
        "",
        heading(2, "What was checked and how"),
        "",
        _HOW,
        "",
    ]
    if fd_figure:
        out += [
            "Finite differences need a step h: too large and truncation dominates, too small and "
            "rounding does. The harness's step sits at the bottom of the V:",
            "",
            f"![Central-difference error vs step size h, float64 and float32]({fd_figure})",
            "",
        ]
    out += [
        heading(2, "Headline"),
        "",
        _headline(claims, records, experiments),
        "",
    ]
    if verdict_figure:
        out += [
            f"![Every claim of the paper by report page and verdict]({verdict_figure})",
            "",
        ]
    out += [
        heading(2, "Every claim"),
        "",
        "One row per claim, in paper order; the claim links to its derivation and evidence.",
        "",
        _claims_table(claims, records),
        "",
    ]
    harness = _harness(records, claims)
    if harness:
        out += [harness, ""]
    checked = render_reliability(reliability or {})
    if checked:
        out += [checked, ""]
    out += [heading(2, "Pages"), "", bullet(pages), ""]
    return "\n".join(out)
