"""The checked document for people: terminal lines and a Markdown report (GitHub math fences)."""

from __future__ import annotations

from itertools import groupby

from derivations.document.records import DocumentResult, StepRecord

__all__ = ["markdown_report", "terminal_lines"]

_MARK = {"holds": "✓", "holds_if": "✓ if", "definition": "def", "wrong": "✗",
         "undecided": "?", "unparsed": "unparsed"}


def _block_verdict(steps: list[StepRecord]) -> str:
    verdicts = {s.verdict for s in steps}
    for v in ("unparsed", "wrong", "undecided", "holds_if", "holds"):
        if v in verdicts:
            return v
    return "definition"


def terminal_lines(result: DocumentResult, *, quiet: bool = False) -> list[str]:
    """One line per derivation, then each step that does not hold, then a summary."""
    out: list[str] = []
    name = result.file or "<text>"
    if not quiet:
        for block, group in groupby(result.steps, key=lambda s: s.block):
            steps = list(group)
            verdict = _block_verdict(steps)
            tag = next((s.tag for s in steps if s.tag), None)
            where = f"{name}:{steps[0].line}"
            label = f" eq. ({tag})" if tag else ""
            first = result.first_wrong(block)
            extra = f", first wrong step {first}" if first else ""
            what = "notation block" if block == 0 else f"block {block}{label}"
            out.append(f"{where}: {what}: {verdict} ({len(steps)} step"
                       f"{'s' if len(steps) != 1 else ''}{extra})")
            for s in steps:
                if s.verdict in ("holds", "definition"):
                    continue
                out.append(f"  line {s.line}, step {s.step}: {s.verdict}")
                if s.lhs or s.rhs:
                    out.append(f"    {s.lhs}  =  {s.rhs}")
                out.append(f"    {s.message}")
    c = result.counts()
    out.append(
        f"{name}: {result.blocks} display blocks, {len(result.steps)} steps: "
        f"{c['holds']} hold, {c['holds_if']} hold under a condition, {c['wrong']} wrong, "
        f"{c['undecided']} undecided, {c['unparsed']} unparsed, {c['definition']} definitions"
        f" ({result.seconds:.1f} s)"
    )
    return out


def _math(latex: str) -> str:
    return f"```math\n{latex}\n```"


def markdown_report(result: DocumentResult) -> str:
    """A report in the style of ``reports/``: one section per derivation, steps marked."""
    name = result.file or "the document"
    c = result.counts()
    lines = [f"# Derivation check: {name}", "",
             f"{result.blocks} display blocks, {len(result.steps)} steps: {c['holds']} hold, "
             f"{c['holds_if']} hold under a condition, **{c['wrong']} wrong**, "
             f"{c['undecided']} undecided, {c['unparsed']} unparsed, "
             f"{c['definition']} definitions.", ""]
    for block, group in groupby(result.steps, key=lambda s: s.block):
        steps = list(group)
        tag = next((s.tag for s in steps if s.tag), None)
        title = "Notation block" if block == 0 else f"Block {block}" + (
            f", eq. ({tag})" if tag else "")
        lines += [f"## {title} (line {steps[0].line}): {_block_verdict(steps)}", ""]
        for s in steps:
            lines.append(f"- step {s.step}, line {s.line}: **{s.verdict}** "
                         f"{_MARK.get(s.verdict, '')}")
            if s.lhs or s.rhs:
                lines += ["", _math(f"{s.lhs} = {s.rhs}"), ""]
            if s.verdict not in ("holds", "definition") or s.after_wrong:
                lines.append(f"  {s.message}")
            if s.autograd is not None:
                agree = "agrees" if s.autograd["agrees"] else "DISAGREES"
                lines.append(f"  JAX autodiff of the derivative {agree} with this line "
                             f"(autodiff {s.autograd['autodiff']:.6g}, this line "
                             f"{s.autograd['claimed']:.6g}).")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
