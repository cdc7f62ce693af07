"""First pass over a document: which superscripts are layer labels, which letters are sizes."""

from __future__ import annotations

import re
from collections import defaultdict

import lark

from derivations.document.context import Context
from derivations.document.convert import _flatten, _is_partial
from derivations.document.labels import normal_label
from derivations.document.names import Name, name_of, script_items, source_of

__all__ = ["label_text", "survey"]

_TRANSPOSE = {"T", "\\top", "\\intercal", "\\mathsf{T}", "\\mathrm{T}"}


def _written(name: Name, text: str) -> str:
    assert name.sup is not None
    written = source_of(name.sup, text).strip()
    if written.startswith("{") and written.endswith("}"):
        written = written[1:-1]
    return written.replace(" ", "")


def label_text(ctx: Context, name: Name, text: str) -> str | None:
    r"""The superscript of ``name`` if it is a label (``a^L``, ``W^{l-1}``), else ``None``.

    A label: text (``^{\\text{out}}``), letters all declared label letters (``l``, ``L`` by
    default), a bold symbol's superscript, or a name the survey found differentiated against,
    on the left of a definition, or written with several different superscripts.
    """
    if name.sup is None or (name.key() == "e" and "e" not in ctx.definitions):
        return None
    written = _written(name, text)
    if written in _TRANSPOSE or not written:
        return None
    if "\\text" in written or "\\mathrm" in written:
        return re.sub(r"\\(text|mathrm)\{([^{}]*)\}", r"\2", written)
    letters = set(re.findall(r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", written)))
    if letters and letters <= ctx.label_letters:
        return normal_label(written)
    if name.key() in ctx.labelled or name.bold:
        return written
    return None


def _walk(node: lark.Tree | lark.Token) -> list[lark.Tree]:
    out: list[lark.Tree] = []
    stack: list[lark.Tree | lark.Token] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, lark.Tree):
            out.append(n)
            stack.extend(n.children)
    return out


def _numeric(s: str) -> bool:
    return bool(re.fullmatch(r"[-+]?\d+", s))


def survey(ctx: Context, parsed: list[tuple[lark.Tree, str, bool]]) -> None:
    """Fill ``ctx.labelled`` and ``ctx.sizes`` from every parsed formula.

    ``parsed`` holds (tree, source text, whether it is the left side of a row).
    """
    seen: dict[str, set[str]] = defaultdict(set)
    for tree, text, is_lhs in parsed:
        if is_lhs:
            top = tree.children[0] if tree.data == "start" else tree
            first = _flatten(top, "mul")[0]
            name = name_of(first)
            if name is not None and name.sup is not None:
                ctx.labelled.add(name.key())
        for node in _walk(tree):
            if node.data == "frac":
                _survey_frac(ctx, node, text)
            elif node.data == "superscript":
                name = name_of(node)
                if name is not None and name.sup is not None:
                    seen[name.key()].add(_written(name, text))
            elif node.data == "bigop":
                for lim in node.children[1].children:
                    if lim.data == "lim_sup":
                        items = script_items(lim.children[0])
                        if len(items) == 1:
                            src = source_of(items[0], text).strip()
                            if re.fullmatch(r"[A-Za-z]", src):
                                ctx.sizes.setdefault(src, None)
    for key, scripts in seen.items():
        if key == "e":
            continue
        written = scripts - _TRANSPOSE
        if len(written) >= 2 and any(not _numeric(s) for s in written):
            ctx.labelled.add(key)


def _survey_frac(ctx: Context, node: lark.Tree, text: str) -> None:
    for part in (node.children[1], node.children[2]):
        inner = part.children[0] if isinstance(part, lark.Tree) and part.data == "arg" else part
        items = _flatten(inner, "mul")
        if not items or not _is_partial(items[0]):
            return
        for item in items[1:]:
            name = name_of(item)
            if (name is not None and name.sup is not None and not _is_partial(item)
                    and not _numeric(_written(name, text))):
                ctx.labelled.add(name.key())
