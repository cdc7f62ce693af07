"""One Markdown page per claim family: statement, SymPy truth, verdict, line-by-line, evidence."""

from __future__ import annotations

from collections.abc import Sequence

from derivations.claims import Claim, Verdict
from verify.report.corrected import corrected_lines
from verify.report.counterexample import counterexample_lines, printed_lines, reading_mark
from verify.report.evidence import claim_records, fmt_claim_errors, max_errors
from verify.report.render import (
    display_math,
    fmt_err,
    heading,
    method_label,
    table,
    verdict_label,
)
from verify.results import Record

__all__ = ["FAMILIES", "family_file", "render_claim", "render_family_page"]

FAMILIES: dict[str, tuple[str, str]] = {
    "network": ("Network and forward pass", "Sec. 2: the layer map, the forward pass, gradients."),
    "costs": (
        "Cost functions",
        "Sec. 3 and 6.1-6.2: quadratic and cross-entropy costs and their derivatives.",
    ),
    "activations": (
        "Activation functions",
        "Sec. 4: sigmoid, softmax, tanh, relu, Heaviside and their derivatives.",
    ),
    "deltas": (
        "Output deltas",
        "Sec. 6.3: the output error δ^L for each cost/activation pair of Table 1.",
    ),
    "backprop": (
        "Back-propagation",
        "Sec. 6: the chain rule, the δ recurrence and the weight and bias gradients.",
    ),
    "training": (
        "Training",
        "Sec. 5: Algorithm 1, the learning-rate schedule, weight initialisation and accuracy.",
    ),
}
"""Family -> (page title, one-line scope), in report order."""


def family_file(family: str) -> str:
    """File name of a family's page (``activations.md``)."""
    return f"{family}.md"


def _chain(claim: Claim) -> list[str]:
    first = claim.first_wrong_step
    out = [
        f"**Derivation line by line** ({len(claim.steps)} printed lines; "
        + ("first wrong line: " + str(first) if first is not None else "no wrong line")
        + "):",
        "",
    ]
    for s in claim.steps:
        mark = " ← first wrong line" if s.index == first else ""
        if s.condition and s.verdict is Verdict.HOLDS_IF:
            cond = f" {s.condition}"  # "holds if <condition>"
        else:
            cond = f" (if {s.condition})" if s.condition else ""
        note = f" {s.note}" if s.note else ""
        out += [f"Line {s.index}: {verdict_label(str(s.verdict))}{cond}{mark}.{note}", ""]
        out += [display_math(s.paper), ""]
        if s.residual is not None and s.verdict is Verdict.WRONG:
            out += ["Printed minus true:", "", display_math(s.residual), ""]
    return out


def _evidence(records: Sequence[Record]) -> list[str]:
    if not records:
        return []
    rows = []
    for r in records:
        jax_err, fd_err = max_errors([r])
        side = r.details.get("side", "")
        points = r.details.get("points", "")
        dtype = r.details.get("dtype", "")
        rows.append(
            [
                f"`{r.id}`",
                side,
                dtype,
                points,
                f"{r.verdict} (expected {r.expected})",
                fmt_err(jax_err),
                fmt_err(fd_err),
                "yes" if r.status == "ok" else "**NO**",
            ]
        )
    headers = [
        "check",
        "form",
        "dtype",
        "points",
        "verdict",
        "max error vs JAX",
        "max error vs FD",
        "as recorded",
    ]
    return [
        "**Numeric evidence** (the printed form and the derived truth against JAX autodiff and "
        "finite differences; a wrong form is expected to fail):",
        "",
        table(headers, rows),
        "",
    ]


def render_claim(claim: Claim, records: Sequence[Record]) -> str:
    """Render the section of one claim."""
    verdict = str(claim.verdict)
    status = "ok" if claim.verdict is claim.expected else "unexpected"
    out = [
        f'<a id="{claim.id}"></a>',
        "",
        heading(3, f"{claim.ref}: {claim.title}"),
        "",
        f"**Verdict: {verdict_label(verdict).strip('*')}{reading_mark(claim)}** · method: "
        f"{method_label(str(claim.method))} · expected {verdict_label(str(claim.expected))} · "
        f"as recorded: {'yes' if status == 'ok' else '**NO**'} · id `{claim.id}`",
        "",
    ]
    out += printed_lines(claim, label="As printed in the paper")
    if claim.truth is not None:
        out += ["Derived by SymPy (the truth):", "", display_math(claim.truth), ""]
    if claim.condition:
        what = "Excluded set" if claim.verdict is Verdict.HOLDS_ALMOST_EVERYWHERE else "Condition"
        out += [f"{what}: {claim.condition}", ""]
    out += corrected_lines(claim, label="Corrected form", full=True)
    if claim.residual is not None and claim.verdict in (Verdict.WRONG, Verdict.HOLDS_IF):
        out += ["Printed minus true:", "", display_math(claim.residual), ""]
    out += counterexample_lines(claim, label="Counterexample")
    if claim.steps:
        out += _chain(claim)
    if claim.note:
        out += [f"Note: {claim.note}", ""]
    out += _evidence(claim_records(claim.id, records))
    return "\n".join(out).rstrip() + "\n"


def render_family_page(
    family: str, claims: Sequence[Claim], records: Sequence[Record], extra: str = ""
) -> str:
    """Render one family's page: a table of its claims, then one section per claim."""
    title, scope = FAMILIES.get(family, (family.capitalize(), ""))
    mine = [c for c in claims if c.family == family]
    rows = []
    for c in mine:
        jax_err, fd_err = fmt_claim_errors(claim_records(c.id, records))
        rows.append(
            [
                c.ref,
                f"[{c.title}](#{c.id})",
                verdict_label(str(c.verdict)),
                method_label(str(c.method)),
                jax_err,
                fd_err,
            ]
        )
    out = [
        heading(1, title),
        "",
        f"{scope} Generated by `python -m verify report`; see the [index](README.md) and the "
        "[errata](errata.md).",
        "",
    ]
    if rows:
        out += [
            table(
                ["paper", "claim", "verdict", "method", "max error vs JAX", "max error vs FD"], rows
            ),
            "",
        ]
    out += [render_claim(c, records) for c in mine]
    if extra:
        out += ["", extra.rstrip(), ""]
    return "\n".join(out).rstrip() + "\n"
