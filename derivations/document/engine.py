"""Check a whole document: blocks, steps, definitions in order, one record per step."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import lark
import sympy as sp

from derivations.document.autograd import second_opinion
from derivations.document.context import Context, Definition
from derivations.document.convert import (
    ConversionError,
    Converter,
    Derivative,
    _flatten,
    _unwrap_paren,
)
from derivations.document.judging import Outcome, judge
from derivations.document.latex import LatexSyntaxError, parse_latex
from derivations.document.names import name_of
from derivations.document.notation import apply_notation
from derivations.document.records import DocumentResult, StepRecord
from derivations.document.segment import SourceMap, segment
from derivations.document.steps import Chain, Part, split_block, unbalanced
from derivations.document.survey import survey
from derivations.document.vector_steps import judge_vector_step, read_side
from derivations.document.vectors import NotVectorError, VectorReader, mentions_shapes

__all__ = ["check_document", "check_steps"]

Progress = Callable[[int, int], None]


@dataclass
class _Parsed:
    part: Part
    tree: lark.Tree | None = None
    error: tuple[str, int] | None = None
    """(message, file offset) when the part could not be parsed or read."""
    expr: sp.Expr | None = None
    derivatives: list[Derivative] = field(default_factory=list)


def _parse(part: Part) -> _Parsed:
    if not part.text:
        return _Parsed(part, error=("nothing between two relations", part.start))
    try:
        return _Parsed(part, tree=parse_latex(part.text))
    except LatexSyntaxError as e:
        return _Parsed(part, error=(e.message, part.start + e.column))


def _convert(p: _Parsed, conv: Converter) -> None:
    if p.tree is None or p.expr is not None or p.error is not None:
        return
    try:
        p.expr = conv.convert(p.tree, p.part.text)
        p.derivatives = list(conv.derivatives)
    except ConversionError as e:
        p.error = (e.message, p.part.start + e.column)
    except (TypeError, ValueError, AttributeError, IndexError, RecursionError) as e:
        p.error = (f"cannot be read ({type(e).__name__})", p.part.start)


def _definition(lhs: _Parsed, rhs: sp.Expr, conv: Converter, forced: bool,
                line: int) -> Definition | None:
    """The definition a chain's first step makes, if its left side introduces a new name."""
    if lhs.tree is None:
        return None
    ctx = conv.ctx
    conv.text = lhs.part.text
    items = _flatten(lhs.tree.children[0], "mul")
    name = name_of(items[0])
    if name is None or name.primes or conv.builtin(name) is not None or len(items) > 2:
        return None
    label = conv.label_of(name)
    if name.sup is not None and label is None:
        return None
    key = name.key(label)
    if (key in ctx.definitions and not forced) or name.base.startswith("\\"):
        return None
    if rhs.has(ctx.symbol(key)):
        return None
    if len(items) == 1 and name.indices and key in ctx.bases and rhs.has(ctx.bases[key]):
        return None  # s_i = ... s_k ...: a recursion, not a definition
    try:
        if len(items) == 1:
            if name.base == "δ" and len(name.indices) == 2 and label is None:
                return None
            idx = conv.indices(name.indices)
            if not all(isinstance(i, sp.Symbol) for i in idx):
                return None
            return Definition(key, rhs, line, indices=tuple(idx), source=lhs.part.text,
                              forced=forced)
        unwrapped = _unwrap_paren(items[1])
        if unwrapped is None:
            return None
        if name.indices:
            # f_1(x) = ...: the subscript is part of the function's name, as in a call.
            key += "_" + ",".join(str(i) for i in conv.indices(name.indices))
            if key in ctx.definitions and not forced:
                return None
        paren, ops = unwrapped
        args = [c for c in paren.children if isinstance(c, lark.Tree)]
        if args and args[0].data == "arglist":
            args = list(args[0].children)
        params = []
        for a in args:
            an = name_of(a)
            if an is None or an.indices or an.primes:
                return None
            params.append(ctx.symbol(an.key(conv.label_of(an) if an.sup is not None else None)))
        out_index = None
        for op in ops:
            if op.data != "subscript":
                return None
            from derivations.document.names import script_items

            idx = conv.indices(script_items(op.children[1]))
            if len(idx) != 1 or not isinstance(idx[0], sp.Symbol):
                return None
            out_index = idx[0]
    except ConversionError:
        return None
    ctx.functions.add(key)
    return Definition(key, rhs, line, params=tuple(params), out_index=out_index,
                      source=lhs.part.text, forced=forced)


def _safe_judge(left: sp.Expr, right: sp.Expr, ctx: Context) -> Outcome:
    try:
        return judge(left, right, ctx)
    except Exception as e:
        return Outcome("undecided", "none", "neither SymPy nor the numbers could evaluate "
                       f"this step ({type(e).__name__})")


def _condition_like(lhs: _Parsed, rhs: _Parsed) -> bool:
    r"""``\\sum_k y_k = 1``: a constant on one side and no derivative anywhere."""
    if lhs.expr is None or rhs.expr is None or lhs.derivatives or rhs.derivatives:
        return False
    return bool(lhs.expr.is_number) != bool(rhs.expr.is_number)


class _Checker:
    def __init__(self, text: str, path: str | None) -> None:
        self.text = text
        self.map = SourceMap(text)
        self.ctx = Context()
        self.records: list[StepRecord] = []
        self.tex = bool(path and path.lower().endswith((".tex", ".ltx")))
        self.vectors = VectorReader(self.ctx)
        self.scalar_regions: list[tuple[int, int]] | None = None

    def pos(self, offset: int) -> tuple[int, int]:
        return self.map.position(offset)

    def record(self, block: int, step: int, lhs: _Parsed, rhs: _Parsed, o: Outcome,
               tag: str | None, *, after_wrong: bool = False,
               autograd: dict[str, object] | None = None) -> None:
        line, col = self.pos(rhs.part.start)
        self.records.append(StepRecord(
            line=line, column=col, block=block, step=step, lhs=lhs.part.text,
            rhs=rhs.part.text, verdict=o.verdict, message=o.message, condition=o.condition,
            counterexample=o.counterexample, method=o.method, tag=tag, autograd=autograd,
            after_wrong=after_wrong,
        ))

    def chain(self, block: int, first_step: int, chain: Chain, parsed: list[_Parsed]) -> int:
        """Judge one chain; returns the number of the next step."""
        at = chain.parts[0].start
        if self.scalar_regions is None:
            self.scalar_regions = self.ctx.shapes.scalar_regions(self.text)
        scalar = any(a <= at < b for a, b in self.scalar_regions)
        if not scalar and any(p.tree is not None and mentions_shapes(p.tree, self.ctx)
                              for p in parsed):
            got = self.vector_chain(block, first_step, chain, parsed)
            if got is not None:
                return got
        conv = Converter(self.ctx)
        step = first_step
        defined_here = False
        first_wrong: int | None = None
        for s, rel in enumerate(chain.relations, start=1):
            lhs, rhs = parsed[s - 1], parsed[s]
            _convert(rhs, conv)
            if s == 1 and rel in ("=", ":=") and rhs.expr is not None:
                line = self.pos(rhs.part.start)[0]
                d = _definition(lhs, rhs.expr, conv, rel == ":=", line)
                if d is not None:
                    self.ctx.definitions[d.name] = d
                    defined_here = True
                    self.record(block, step, lhs, rhs, Outcome(
                        "definition", "definition", f"defines {d.name}"), chain.tag)
                    step += 1
                    continue
            _convert(lhs, conv)
            o = self.judge_pair(lhs, rhs, rel)
            if (o.verdict == "wrong" and len(chain.relations) == 1 and _condition_like(lhs, rhs)
                    and not self.ctx.assumptions):
                o = Outcome("undecided", o.method, "this reads as a condition on the variables "
                            "(a constant on one side, no derivative), not as a derivation step; "
                            "declare it with 'assume' in the notation block if steps rely on it"
                            f" ({o.message})")
            if o.verdict == "wrong" and first_wrong is None:
                first_wrong = step
            elif first_wrong is not None:
                o = self.after(o, first_wrong, parsed[1 if defined_here else 0], rhs)
            rebinds = o.verdict == "holds_if" or o.message.startswith(
                "the two sides share no variable")
            if s == 1 and len(chain.relations) == 1 and rebinds and rhs.expr is not None:
                o = self.rebind(lhs, rhs, conv, o)
            self.record(block, step, lhs, rhs, o, chain.tag,
                        after_wrong=first_wrong is not None and first_wrong < step,
                        autograd=self.autograd(parsed, defined_here, rhs))
            step += 1
        return step

    def vector_chain(self, block: int, first_step: int, chain: Chain,
                     parsed: list[_Parsed]) -> int | None:
        """A chain with declared vectors/matrices, read at the checking instance.

        ``None`` when one of its parts is outside the vector reading (the scalar reading takes it).
        """
        if any(p.tree is None for p in parsed) or any(r not in ("=", ":=")
                                                      for r in chain.relations):
            return None
        try:
            sides = [read_side(self.vectors, p.tree, p.part.text) for p in parsed
                     if p.tree is not None]
        except NotVectorError:
            return None
        step, first_wrong = first_step, None
        for s in range(1, len(parsed)):
            lhs, rhs = parsed[s - 1], parsed[s]
            o = judge_vector_step(self.vectors, sides[s - 1], sides[s], lhs.part.text,
                                  rhs.part.text)
            if o.verdict == "wrong" and first_wrong is None:
                first_wrong = step
            elif first_wrong is not None and o.verdict == "holds":
                o = Outcome(o.verdict, o.method, o.message + f" (but it follows from step "
                            f"{first_wrong}, which is wrong)")
            self.record(block, step, lhs, rhs, o, chain.tag,
                        after_wrong=first_wrong is not None and first_wrong < step)
            step += 1
        return step

    def rebind(self, lhs: _Parsed, rhs: _Parsed, conv: Converter, o: Outcome) -> Outcome:
        items = _flatten(lhs.tree.children[0], "mul") if lhs.tree is not None else []
        name = name_of(items[0]) if len(items) == 1 else None
        if name is None or name.indices:
            return o
        conv.text = lhs.part.text
        key = name.key(conv.label_of(name))
        if key in self.ctx.definitions and rhs.expr is not None:
            old = self.ctx.definitions[key]
            self.ctx.definitions[key] = Definition(key, rhs.expr, self.pos(rhs.part.start)[0])
            return Outcome(o.verdict, o.method, o.message + f"; {key} (defined on line "
                           f"{old.line}) is read as this right-hand side from here on")
        return o

    def after(self, o: Outcome, first: int, anchor: _Parsed, rhs: _Parsed) -> Outcome:
        if o.verdict in ("holds", "holds_if"):
            return Outcome(o.verdict, o.method, o.message + f" (but it follows from step "
                           f"{first}, which is wrong)", o.condition, o.counterexample)
        if o.verdict == "wrong" and anchor.expr is not None and rhs.expr is not None:
            back = _safe_judge(anchor.expr, rhs.expr, self.ctx)
            if back.verdict == "holds":
                return Outcome(o.verdict, o.method, o.message + "; this line agrees with "
                               f"the start of the derivation again: it silently repairs the "
                               f"slip of step {first}", o.condition, o.counterexample)
        return o

    def autograd(self, parsed: list[_Parsed], defined_here: bool,
                 rhs: _Parsed) -> dict[str, object] | None:
        anchor = parsed[1 if defined_here else 0]
        if (anchor.expr is None or rhs.expr is None or len(anchor.derivatives) != 1
                or not anchor.part.text.lstrip("-( ").startswith(("\\frac", "\\dfrac"))):
            return None
        return second_opinion(anchor.derivatives[0], rhs.expr, self.ctx)

    def judge_pair(self, lhs: _Parsed, rhs: _Parsed, rel: str) -> Outcome:
        for side in (rhs, lhs):
            if side.error is not None:
                if side is lhs and rhs.error is None and lhs is not rhs:
                    line, col = self.pos(side.error[1])
                    return Outcome("undecided", "none", f"the left side (line {line}, column "
                                   f"{col}) could not be read: {side.error[0]}")
                line, col = self.pos(side.error[1])
                return Outcome("unparsed", "none",
                               f"line {line}, column {col}: {side.error[0]}")
        if rel not in ("=", ":="):
            return Outcome("undecided", "none",
                           f"only equalities are checked; this step is '{rel}'")
        assert lhs.expr is not None and rhs.expr is not None
        return _safe_judge(lhs.expr, rhs.expr, self.ctx)

    def run(self, progress: Progress | None) -> DocumentResult:
        started = time.perf_counter()
        blocks = segment(self.text, tex=self.tex)
        for b in blocks:
            if b.kind == "notation":
                for err in apply_notation(b.text, b.start, self.ctx):
                    line, col = self.pos(err.offset)
                    self.records.append(StepRecord(line, 0, 0, err.text, "", "unparsed",
                                                   f"notation block, line {line}: "
                                                   f"{err.message}", column=col))
        math = [b for b in blocks if b.kind != "notation"]
        prepared: list[tuple[int, list[tuple[Chain, list[_Parsed]]]]] = []
        for b in math:
            if b.kind == "broken":
                line, col = self.pos(b.start)
                self.records.append(StepRecord(line, b.index, 1, "", "", "unparsed",
                                               f"line {line}, column {col}: {b.text}",
                                               column=col))
                continue
            broken = unbalanced(b.text)
            if broken is not None:
                line, col = self.pos(b.start + broken[0])
                self.records.append(StepRecord(
                    line, b.index, 1, "", "", "unparsed",
                    f"line {line}, column {col}: a \\begin{{{broken[1]}}} without its "
                    f"\\end{{{broken[1]}}} (or an \\end without its \\begin)", column=col))
                continue
            chains = [(c, [_parse(p) for p in c.parts]) for c in split_block(b.text, b.start)]
            prepared.append((b.index, chains))
        survey(self.ctx, [(p.tree, p.part.text, i == 0) for _, chains in prepared
                          for _, ps in chains for i, p in enumerate(ps) if p.tree is not None])
        lines: dict[int, int] = {}
        for n, (block, chains) in enumerate(prepared):
            if progress is not None:
                progress(n + 1, len(prepared))
            step = 1
            for chain, parsed in chains:
                lines.setdefault(block, self.pos(chain.parts[0].start)[0])
                step = self.chain(block, step, chain, parsed)
        ordered = sorted(self.records, key=lambda r: r.block)  # stable: steps keep their order
        return DocumentResult(None, tuple(ordered), len(math), lines,
                              time.perf_counter() - started)


def check_document(text: str, *, path: str | None = None,
                   progress: Progress | None = None) -> DocumentResult:
    """Check every derivation of a Markdown, LaTeX or plain-text document.

    ``text`` is the document; ``path`` (only its suffix is used: ``.tex`` enables LaTeX
    comments) is echoed as ``file`` in the result. Returns one record per step.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected the document as a str, got {type(text).__name__}")
    result = _Checker(text, path).run(progress)
    return DocumentResult(path, result.steps, result.blocks, result.block_lines, result.seconds)


def check_steps(steps: Sequence[str], *, notation: str = "") -> list[StepRecord]:
    """Check a derivation given as its lines: ``["f(x) = x^2", "f'(x) = 2x"]`` or a chain.

    Each string is one display row (``A = B = C`` or ``= D`` continuing the previous one);
    ``notation`` is an optional notation block. Returns the records of every step.
    """
    if isinstance(steps, str) or not all(isinstance(s, str) for s in steps):
        raise TypeError("steps: expected a list of LaTeX strings, one per line")
    rows = [("&" + s.strip() if s.strip().startswith("=") else s) for s in steps]
    body = "\\begin{aligned}" + " \\\\\n".join(rows) + "\\end{aligned}"
    text = (f"```derivcheck\n{notation}\n```\n" if notation else "") + f"$$\n{body}\n$$\n"
    return list(check_document(text).steps)
