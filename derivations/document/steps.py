r"""Split a display block into rows and relation chains: ``A = B = C`` and ``&= D \\\\`` lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Chain", "Part", "split_block", "unbalanced"]

_WRAPPERS = re.compile(
    r"\\(begin|end)\{(aligned|split|gathered|alignedat|array)\}(\{[^{}]*\})?"
    r"|\\(label|tag\*?)\{[^{}]*\}|\\nonumber|\\notag"
)
_RELATIONS = [
    (":=", ":="), ("\\coloneqq", ":="), ("\\equiv", ":="), ("\\triangleq", ":="),
    ("\\approx", "≈"), ("\\leq", "≤"), ("\\geq", "≥"), ("\\le", "≤"), ("\\ge", "≥"),
    ("\\neq", "≠"), ("=", "="), ("<", "<"), (">", ">"),
]
_TAG = r"(?:(?<=\s)|(?<=^)|(?<=quad))\(\s*[0-9]+[a-z]?\s*\)"
"""An equation number ``(14)`` after a space or ``\\quad`` (never ``f(2)``)."""
_TRAILER = re.compile(rf"(\\q?quad|\\[,;!]|~|{_TAG}|[.,;]|\s)+$")


@dataclass
class Part:
    """One side of a relation: its text and the file offset where it starts."""

    text: str
    start: int


@dataclass
class Chain:
    """``parts[0] rel[0] parts[1] rel[1] ...``; ``own_lhs``: the chain starts with a left side."""

    parts: list[Part] = field(default_factory=list)
    relations: list[str] = field(default_factory=list)
    tag: str | None = None


def _tags(text: str) -> tuple[str, str | None]:
    tag = None
    m = re.search(r"\\tag\*?\{([^{}]*)\}", text)
    if m:
        tag = m.group(1).strip()
    m2 = re.search(r"\(\s*([0-9]+[a-z]?)\s*\)\s*[.,;]?\s*$", text)
    if m2 and re.search(r"(\\q?quad|\\,|~|^|\s)\s*\(\s*[0-9]+[a-z]?\s*\)\s*[.,;]?\s*$", text):
        tag = tag or m2.group(1)
    return text, tag


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _rows(text: str) -> list[tuple[int, int]]:
    r"""(start, end) of each top-level ``\\\\`` row; environments and groups are not split."""
    rows: list[tuple[int, int]] = []
    depth = 0
    env = 0
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            if text.startswith("\\begin", i):
                env += 1
            elif text.startswith("\\end", i):
                env -= 1
            elif text.startswith("\\\\", i) and depth == 0 and env == 0:
                rows.append((start, i))
                start = i + 2
                i += 2
                continue
            i += 2
            continue
        if ch in "{":
            depth += 1
        elif ch in "}":
            depth -= 1
        i += 1
    rows.append((start, n))
    return rows


_COMMAND_RELATIONS = {r: rel for r, rel in _RELATIONS if r.startswith("\\")}


def _split_row(text: str, offset: int) -> tuple[list[Part], list[str]]:
    """Parts and relations of one row at top level (outside braces, parentheses, cases)."""
    parts: list[Part] = []
    relations: list[str] = []
    depth = env = start = i = 0
    n = len(text)

    def cut(at: int, width: int, rel: str) -> None:
        nonlocal start
        parts.append(Part(text[start:at], offset + start))
        relations.append(rel)
        start = at + width

    while i < n:
        ch = text[i]
        top = depth == 0 and env == 0
        if ch == "\\":
            m = re.match(r"\\[a-zA-Z]+", text[i:])
            cmd = m.group() if m else text[i : i + 2]
            if cmd == "\\begin":
                env += 1
            elif cmd == "\\end":
                env -= 1
            elif top and cmd in _COMMAND_RELATIONS:
                cut(i, len(cmd), _COMMAND_RELATIONS[cmd])
            i += len(cmd)
            continue
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif top and text.startswith(":=", i):
            cut(i, 2, ":=")
            i += 2
            continue
        elif top and ch in "=<>":
            cut(i, 1, ch)
        elif top and ch == "&":
            text = text[:i] + " " + text[i + 1 :]
        i += 1
    parts.append(Part(text[start:], offset + start))
    return parts, relations


def _clean(part: Part) -> Part:
    r"""Strip ``&``, a trailing ``\\quad (14)`` tag and punctuation; keep the start offset."""
    text = _TRAILER.sub(lambda m: " " * len(m.group()), part.text)
    lead = len(text) - len(text.lstrip())
    return Part(text.strip(), part.start + lead)


def unbalanced(text: str) -> tuple[int, str] | None:
    r"""The first ``\\begin{env}`` without its ``\\end{env}`` (offset, env), or ``None``."""
    stack: list[tuple[int, str]] = []
    for m in re.finditer(r"\\(begin|end)\s*\{([a-zA-Z*]+)\}", text):
        if m.group(1) == "begin":
            stack.append((m.start(), m.group(2)))
        elif stack and stack[-1][1] == m.group(2):
            stack.pop()
        else:
            return m.start(), m.group(2)
    return stack[0] if stack else None


def split_block(text: str, start: int) -> list[Chain]:
    """The relation chains of a block whose text starts at file offset ``start``."""
    body = _blank(text, _WRAPPERS)
    chains: list[Chain] = []
    for row_start, row_end in _rows(body):
        row = body[row_start:row_end]
        _, tag = _tags(text[row_start:row_end])
        if not row.strip():
            continue
        parts, relations = _split_row(row, start + row_start)
        cleaned = [_clean(p) for p in parts]
        if cleaned[0].text == "" and relations and chains:
            chain = chains[-1]
            chain.parts.extend(cleaned[1:])
            chain.relations.extend(relations)
            chain.tag = chain.tag or tag
            continue
        chains.append(Chain(cleaned, relations, tag))
    return chains
