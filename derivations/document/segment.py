"""Find the display-math blocks of a Markdown, LaTeX or plain-text file, with their positions."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

__all__ = ["Block", "SourceMap", "segment"]


@dataclass(frozen=True)
class Block:
    """One display block: ``text`` starts at file offset ``start``.

    ``kind`` is ``math``, ``notation`` (a derivcheck notation block) or ``broken`` (an opening
    delimiter without its closing one; ``text`` then says what is missing).
    """

    index: int
    text: str
    start: int
    kind: str = "math"


class SourceMap:
    """File offsets to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of ``offset``."""
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1


_ENVS = "equation|align|alignat|flalign|gather|multline|eqnarray|displaymath|math"
_PATTERN = re.compile(
    r"(?P<fence>^[ \t]*(?P<ticks>```+|~~~+)[ \t]*(?P<info>[^\n]*)\n"
    r"(?P<fbody>.*?)(?P<fclose>^[ \t]*(?P=ticks)[ \t]*$|\Z))"
    r"|(?P<html><!--[ \t]*derivcheck\b(?P<hbody>.*?)(?P<hclose>-->|\Z))"
    r"|(?P<texnote>^[ \t]*%+[ \t]*derivcheck:(?P<tbody>[^\n]*))"
    r"|(?P<texcomment>(?<!\\)%[^\n]*)"
    r"|(?P<dollars>\$\$(?P<dbody>.*?)(?P<dclose>\$\$|\Z))"
    r"|(?P<bracket>\\\[(?P<bbody>.*?)(?P<bclose>\\\]|\Z))"
    rf"|(?P<env>\\begin\{{(?P<name>{_ENVS})(?P<star>\*?)\}}(?P<ebody>.*?)"
    r"(?P<eclose>\\end\{(?P=name)(?P=star)\}|\Z))",
    re.MULTILINE | re.DOTALL,
)


def _blank_comments(body: str) -> str:
    """LaTeX comments inside math become spaces (offsets kept)."""
    return re.sub(r"(?<!\\)%[^\n]*", lambda m: " " * len(m.group()), body)


def segment(text: str, *, tex: bool = False) -> list[Block]:
    """Every display block in file order (math blocks numbered 1, 2, ...; notation blocks 0)."""
    blocks: list[Block] = []
    count = 0

    def add(body: str, start: int, kind: str = "math") -> None:
        nonlocal count
        if kind != "notation":
            count += 1
        blocks.append(Block(count if kind != "notation" else 0, body, start, kind))

    for m in _PATTERN.finditer(text):
        if m.group("fence") is not None:
            info = m.group("info").strip().lower()
            if info == "math":
                kind = "math" if m.group("fclose") else "broken"
                add(m.group("fbody") if kind == "math" else "a ```math fence without its "
                    "closing ```", m.start("fbody"), kind)
            elif info == "derivcheck":
                add(m.group("fbody"), m.start("fbody"), "notation")
        elif m.group("html") is not None:
            add(m.group("hbody"), m.start("hbody"), "notation")
        elif m.group("texnote") is not None:
            add(m.group("tbody"), m.start("tbody"), "notation")
        elif m.group("texcomment") is not None:
            if not tex:
                # Outside LaTeX a % is an ordinary character: rescan after it.
                continue
        elif m.group("dollars") is not None:
            if m.group("dclose"):
                add(_blank_comments(m.group("dbody")) if tex else m.group("dbody"),
                    m.start("dbody"))
            else:
                add("a $$ without its closing $$", m.start(), "broken")
        elif m.group("bracket") is not None:
            if m.group("bclose"):
                add(_blank_comments(m.group("bbody")), m.start("bbody"))
            else:
                add("a \\[ without its closing \\]", m.start(), "broken")
        elif m.group("env") is not None:
            env = m.group("name") + m.group("star")
            if m.group("eclose"):
                add(_blank_comments(m.group("ebody")), m.start("ebody"))
            else:
                add(f"a \\begin{{{env}}} without its \\end{{{env}}}", m.start(), "broken")
    return blocks
