"""The index's "How the checker is checked" section, from the data in ``reports/data/``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from verify.report.render import heading, table

__all__ = ["DATA_FILES", "load_reliability", "render_reliability"]

DATA_FILES: tuple[str, ...] = ("mutation.json", "soak.json", "bad_input.json")
"""Files under ``reports/data/`` from runs too slow for ``verify all`` (each names its command)."""


def load_reliability(data_dir: Path) -> dict[str, Any]:
    """Read whichever of ``DATA_FILES`` exist (a missing file leaves its part out)."""
    out: dict[str, Any] = {}
    for name in DATA_FILES:
        path = data_dir / name
        if path.is_file():
            out[name.removesuffix(".json")] = json.loads(path.read_text(encoding="utf-8"))
    return out


def _mutants(data: Mapping[str, Any]) -> list[str]:
    cat = data.get("catalogue")
    if not cat:
        return []
    s = cat["summary"]
    rows = []
    for m in cat["mutants"]:
        if m["equivalent"]:
            found, layer = "equivalent (argued)", "—"
        else:
            found = "yes" if m["detected"] else "**no**"
            layer = {True: "yes", False: "**no**"}.get(m.get("right_layer"), "—")
        rows.append([f"`{m['name']}`", m["description"], found, m["localised"] or "—", layer])
    lines = [
        heading(3, "Planted bugs"),
        "",
        f"**{s['detected']} of {s['behaviour_changing']}** behaviour-changing mutants of `mlp/` "
        f"detected, {s['right_layer']} of them localised to the layer the bug is in; "
        f"{s['equivalent']} equivalent mutants argued in the catalogue and flagged "
        f"{s['equivalent_flagged']} times. Each mutant is a source edit of a temporary copy of "
        "`mlp/` (`verify/mutation/catalogue.py`), run through the harness in a subprocess. "
        f"Reproduce: `{cat['command']}`.",
        "",
        table(["mutant", "bug", "detected", "localised to", "right layer"], rows),
        "",
    ]
    mm = data.get("mutmut")
    if mm and "before" in mm and "after" in mm:
        b, a = mm["before"], mm["after"]
        lines += [
            f"A general mutation tool (mutmut) over `mlp/` against the test suite: "
            f"{a['killed']} of {a['run']} mutants killed ({100 * a['score']:.1f}%; "
            f"{b['killed']} ({100 * b['score']:.1f}%) before tests were added for the mutants "
            "it first left alive). Survivors by category and the commands are in "
            "[`data/mutation.json`](data/mutation.json) (too slow for CI; run by hand).",
            "",
        ]
    return lines


def _soak(data: Mapping[str, Any]) -> list[str]:
    hyp, scan = data.get("hypothesis"), data.get("scan")
    lines = [heading(3, "False alarms"), ""]
    if hyp:
        lines += [
            f"**{hyp['total_failures']} failures in {hyp['total_examples']:,} Hypothesis "
            "examples** of correct networks on hard inputs (saturated units, pre-activations on "
            f"or 1e-12 from a kink, float32). Reproduce: `{hyp['command']}`.",
            "",
        ]
    if scan:
        regions = scan["regions"]
        rows = [[f"`{k}`", v["examples"], v["failures"]] for k, v in sorted(regions.items())]
        before = data.get("before_budget_fix", {}).get("regions", {})
        if before:
            for row, (k, _) in zip(rows, sorted(regions.items()), strict=True):
                row.append(before.get(k, {}).get("failures", "—"))
        head = ["region", "cases", "false alarms"] + (
            ["false alarms of an earlier harness (smaller error allowances)"] if before else []
        )
        lines += [
            f"A scan that does not stop at the first failure (`{scan['command']}`):",
            "",
            table(head, rows),
            "",
        ]
    return lines


def _bad_input(data: Mapping[str, Any]) -> list[str]:
    return [
        heading(3, "Bad input"),
        "",
        f"**{data['cases']} bad-input cases** ({data['what']}) each give a correct result or a "
        "clear error naming the argument: never a silent NaN, never an internal traceback. "
        f"Count: `{data['command']}`.",
        "",
    ]


def render_reliability(data: Mapping[str, Any]) -> str:
    """The section, or ``""`` when there is no data."""
    parts: list[str] = []
    if "mutation" in data:
        parts += _mutants(data["mutation"])
    if "soak" in data:
        parts += _soak(data["soak"])
    if "bad_input" in data:
        parts += _bad_input(data["bad_input"])
    if not parts:
        return ""
    intro = (
        "A checker is worth its detection power and its silence on correct code. These figures "
        "come from runs too slow for `verify all`, committed in [`data/`](data/)."
    )
    return "\n".join([heading(2, "How the checker is checked"), "", intro, "", *parts]).rstrip()
