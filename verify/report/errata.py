"""``reports/errata.md``: every place the paper is wrong or needs a condition, with evidence."""

from __future__ import annotations

from collections.abc import Sequence

from derivations.claims import Claim, Method, Verdict
from verify.report.corrected import corrected_lines
from verify.report.counterexample import counterexample_lines, printed_lines, reading_mark
from verify.report.evidence import claim_records, fmt_claim_errors, paper_side
from verify.report.experiments_page import claim_text
from verify.report.pages import family_file
from verify.report.render import display_math, heading, latex, method_label, verdict_label
from verify.results import Record

__all__ = ["MAX_ERRATA_LATEX", "errata_claims", "render_errata"]

MAX_ERRATA_LATEX = 300
"""Longest SymPy LaTeX shown in the errata; longer instances stay on the family pages."""

_CONDITIONAL = (Verdict.HOLDS_IF, Verdict.HOLDS_ALMOST_EVERYWHERE)


def errata_claims(claims: Sequence[Claim]) -> list[Claim]:
    """Claims that belong in the errata: wrong, conditional, or with a wrong printed line."""
    return [
        c
        for c in claims
        if c.verdict is Verdict.WRONG or c.verdict in _CONDITIONAL or c.first_wrong_step is not None
    ]


def _found(claim: Claim, records: Sequence[Record]) -> str:
    if claim.method is Method.INSPECTION:
        text = "How it was found: by reading the printed statement against what the text says "
        text += "elsewhere (there is no formula to differentiate)"
    else:
        text = "How it was found: SymPy derived the true form from the definitions and compared "
        text += f"it with the printed one ({method_label(str(claim.method))})"
    backing = paper_side(claim_records(claim.id, records))
    if backing:
        jax_err, fd_err = fmt_claim_errors(backing)
        points = sum(int(r.details.get("points", 0)) for r in backing)
        bad = sum(int(r.details.get("points_disagreeing", 0)) for r in backing)
        identity = claim.numeric is not None and not claim.numeric.wrt
        # An identity spec differentiates nothing: the printed form meets the definition itself.
        ref = "the defining expression evaluated in JAX (float64)" if identity else "JAX autodiff"
        fd = "" if identity else f"; finite differences: {fd_err}"
        if points and not bad:
            where = f"at all {points} random points"
            if claim.verdict in _CONDITIONAL:
                where += " drawn where the condition holds"
            subject = "the printed form"
            if claim.first_wrong_step is not None:
                subject = "the final line (not the wrong one)"
            text += f"; numerically, {subject} agrees with {ref} {where} "
            text += f"(largest difference {jax_err}{fd})"
        else:
            line = claim.extra.get("numeric_paper_line")
            subject = f"printed line {line}" if line else "the printed form"
            text += f"; numerically, {subject} differs from {ref} by up to {jax_err}"
            text += f" ({fd.removeprefix('; ')})" if fd else ""
            if points:
                text += f", at {bad} of {points} random points"
    return text + "."


def _entry(claim: Claim, records: Sequence[Record]) -> list[str]:
    out = [
        heading(3, f"{claim.ref}: {claim.title}"),
        "",
        f"Verdict: {verdict_label(str(claim.verdict))}{reading_mark(claim)}. "
        f"[Full derivation]({family_file(claim.family)}#{claim.id}).",
        "",
    ]
    out += printed_lines(claim)
    if claim.verdict is Verdict.WRONG:
        out += corrected_lines(claim, label="Corrected", full=False)
    elif claim.verdict in _CONDITIONAL:
        what = "except on" if claim.verdict is Verdict.HOLDS_ALMOST_EVERYWHERE else "only if"
        out += [f"Holds {what}: {claim.condition or '(condition not recorded)'}.", ""]
        if claim.corrected is not None and len(latex(claim.corrected)) < MAX_ERRATA_LATEX:
            out += ["In general:", "", display_math(claim.corrected), ""]
    first = claim.first_wrong_step
    if first is not None:
        step = next(s for s in claim.steps if s.index == first)
        where = f"line {first} of {len(claim.steps)}"
        link = f"[full derivation]({family_file(claim.family)}#{claim.id})"
        shown = [(step.paper, "as a SymPy instance"), (step.residual, "printed minus true")]
        if all(e is None or len(latex(e)) < MAX_ERRATA_LATEX for e, _ in shown):
            out += [f"First wrong line of the derivation: {where}:", "", display_math(step.paper)]
            out += [""]
            if step.residual is not None:
                out += ["Printed minus true:", "", display_math(step.residual), ""]
        else:
            out += [
                f"First wrong line of the derivation: {where} (as a SymPy instance it is too long "
                f"to show here: see the {link}).",
                "",
            ]
    out += counterexample_lines(claim)
    out += [_found(claim, records), ""]
    if claim.note:
        out += [f"Note: {claim.note}", ""]
    return out


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def render_errata(claims: Sequence[Claim], records: Sequence[Record]) -> str:
    """Render the whole ``errata.md``."""
    wrong = [c for c in claims if c.verdict is Verdict.WRONG]
    slips = [
        c
        for c in wrong
        if c.first_wrong_step is not None and c.steps and c.steps[-1].verdict is not Verdict.WRONG
    ]
    lines_only = [
        c
        for c in claims
        if c.verdict is not Verdict.WRONG
        and c.first_wrong_step is not None
        and c.verdict not in _CONDITIONAL
    ]
    conditional = [c for c in claims if c.verdict in _CONDITIONAL]
    conventions = [c for c in claims if c.verdict is Verdict.CONVENTION]
    experiments = [r for r in records if r.kind == "experiment" and r.verdict == "does_not_hold"]
    counts = [f"{_count(len(wrong), 'claim is', 'claims are')} wrong as printed"]
    if slips:
        counts[0] += (
            f" ({len(slips)} of them a slip inside a derivation whose final line is right: "
            + ", ".join(c.ref for c in slips)
            + ")"
        )
    if conditional:
        counts.append(f"{len(conditional)} hold only under a condition")
    if lines_only:
        counts.append(
            f"{len(lines_only)} reach a true conclusion through a wrong line that the verdict "
            "does not count"
        )
    if conventions:
        counts.append(f"{len(conventions)} are a choice the text makes without comparing it")
    summary = counts[0] if len(counts) == 1 else ", ".join(counts[:-1]) + " and " + counts[-1]
    out = [
        heading(1, "Errata"),
        "",
        f"{summary}. Each entry: the printed form, the corrected form, a counterexample where "
        "there is one, and how the checker found it. Back to the [index](README.md).",
        "",
    ]
    for title, group in (
        ("Wrong as printed", wrong),
        ("True only under a condition", conditional),
        ("A wrong line in a derivation whose conclusion holds", lines_only),
        ("A choice, not a fact (convention)", conventions),
    ):
        if group:
            out += [heading(2, title), ""]
            for c in group:
                out += _entry(c, records)
    if experiments:
        out += [heading(2, "Training claims not borne out on data"), ""]
        for r in experiments:
            out += [
                heading(3, f"{r.ref}: {claim_text(r)}"),
                "",
                f"[Experiment](experiments.md#{r.id}): {verdict_label(r.verdict)}. {r.message}.",
                "",
            ]
    return "\n".join(out).rstrip() + "\n"
