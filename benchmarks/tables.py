"""Markdown tables and number formats for the printed results."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["fmt_ms", "fmt_ratio", "markdown_table"]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render a GitHub Markdown table; numeric-looking columns are right-aligned."""
    if any(len(row) != len(header) for row in rows):
        raise ValueError("rows: every row must have as many cells as the header")

    def numeric(col: int) -> bool:
        cells = [row[col] for row in rows if row[col] not in ("", "n/a", "—")]
        return bool(cells) and all(c.lstrip("~<>≤").strip()[:1].isdigit() for c in cells)

    align = ["---:" if numeric(i) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_ms(seconds: float | None) -> str:
    """Milliseconds with 3 significant digits, ``n/a`` when missing."""
    if seconds is None:
        return "n/a"
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 1000 else f"{ms:.0f}"


def fmt_ratio(ratio: float | None) -> str:
    """Format a ratio to 2 decimals, ``n/a`` when missing."""
    return "n/a" if ratio is None else f"{ratio:.2f}"
