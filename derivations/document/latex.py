"""The LaTeX grammar (lark, LALR): one display-math expression to a parse tree with positions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import lark

__all__ = ["LatexSyntaxError", "parse_latex"]

_GRAMMAR = r"""
start: expr

?expr: sum
?sum: term
    | sum PLUS term   -> add
    | sum MINUS term  -> sub
?term: signed
     | term MULOP signed -> binop
?signed: juxt
       | MINUS signed -> neg
       | PLUS signed  -> pos
?juxt: postfix
     | juxt postfix -> mul
     | bigop
     | juxt bigop   -> mul
bigop: SUMOP limits juxt
limits: (lim_sub | lim_sup)*
lim_sub: "_" script
lim_sup: "^" script

?postfix: atom
        | postfix "_" script -> subscript
        | postfix "^" script -> superscript
        | postfix PRIME      -> prime

script: "{" script_body? "}"
      | LETTER | NUMBER | CMD | TEXT | PRIME
script_body: relation ("," relation)*
relation: expr (REL expr)*

?atom: NUMBER          -> number
     | LETTER          -> letter
     | CMD             -> command
     | TEXT            -> text
     | LPAR arglist ")" -> paren
     | "[" expr "]"    -> paren
     | "{" expr "}"    -> group
     | FRAC arg arg    -> frac
     | SQRT arg        -> sqrt
     | FONT arg        -> font
     | BRACE arg       -> underbrace
     | DOTS            -> dots
     | "⟦" expr "⟧"    -> abs
     | cases
arg: "{" expr "}" | LETTER | NUMBER | CMD
arglist: expr ("," expr)*
cases: BEGIN_CASES case_row (ROWSEP case_row)* ROWSEP? END_CASES
case_row: expr COMMA? (AMP cond?)?
cond: relation (COMMA relation)* COMMA?

PLUS: "+"
MINUS: "-"
LPAR: "("
AMP: "&"
COMMA: ","
PRIME: /'+/
ROWSEP: "\\\\"
NUMBER: /\d+(\.\d+)?|\.\d+/
LETTER: /[a-zA-Z]/
FRAC.3: /\\[dt]?frac(?![a-zA-Z])/
SQRT.3: /\\sqrt(?![a-zA-Z])/
FONT.3: /\\(mathbf|boldsymbol|bm|mathcal|mathit|mathsf|mathbb|vec)(?![a-zA-Z])/
      | /\\(hat|bar|tilde|widehat|overline)(?![a-zA-Z])/
BRACE.3: /\\(underbrace|overbrace)(?![a-zA-Z])/
TEXT.3: /\\(text|textrm|textit|textbf|mathrm|operatorname)\s*\{[^{}]*\}/
SUMOP.3: /\\(sum|prod)(?![a-zA-Z])/
MULOP.3: /\\(cdot|times|odot|circ|div|ast)(?![a-zA-Z])/ | "/" | "*"
REL.3: /\\(neq|ne|leq|le|geq|ge|in|notin|to|mapsto)(?![a-zA-Z])/ | "=" | "<" | ">"
DOTS.3: /\\(dots|cdots|ldots|vdots|ddots)(?![a-zA-Z])/
BEGIN_CASES.3: /\\begin\s*\{cases\}/
END_CASES.3: /\\end\s*\{cases\}/
CMD: /\\[a-zA-Z]+/
SPACING.4: /\\(left|right|bigl|bigr|Bigl|Bigr|big|Big|bigg|Bigg)(?![a-zA-Z])/
         | /\\(displaystyle|textstyle|limits|nolimits|quad|qquad)(?![a-zA-Z])|\\[,;:! ]/
%ignore SPACING
%ignore /\s+/
"""


@dataclass(frozen=True)
class LatexSyntaxError(ValueError):
    """Malformed or unsupported LaTeX: ``column`` (0-based) in the text, what was expected."""

    message: str
    column: int

    def __str__(self) -> str:
        return self.message


@cache
def _parser() -> lark.Lark:
    return lark.Lark(_GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


_UNSUPPORTED = {
    r"\|": "norms \\| \\| are not read (write the sum of squares)",
    "\\begin{pmatrix}": "matrix environments are not read (declare shapes in the notation block)",
    "\\begin{bmatrix}": "matrix environments are not read (declare shapes in the notation block)",
}

_WORDS = {
    "RPAR": "')'",
    "LPAR": "'('",
    "RBRACE": "'}'",
    "LBRACE": "'{'",
    "RSQB": "']'",
    "LSQB": "'['",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "ROWSEP": "'\\\\'",
    "AMP": "'&'",
    "COMMA": "','",
    "END_CASES": "\\end{cases}",
    "NUMBER": "a number",
    "LETTER": "a letter",
    "CMD": "a command",
    "MULOP": "an operator",
    "REL": "a relation",
    "_CIRCUMFLEX": "'^'",
    "__ANON_0": "'_'",
    "$END": "the end of the formula",
}


def _expected(tokens: set[str]) -> str:
    named = sorted({_WORDS.get(t, t.lower()) for t in tokens})
    if len(named) > 6:
        named = [*named[:6], "..."]
    return ", ".join(named)


def _bars(text: str) -> str:
    """``|r|`` -> ``⟦r⟧`` (same length): which bar opens and which closes, by brace depth."""
    if "|" not in text:
        return text
    out = list(text)
    depth = 0
    open_at: list[int] = []
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "|" and not (i and text[i - 1] == "\\"):
            if open_at and open_at[-1] == depth:
                open_at.pop()
                out[i] = "⟧"
            else:
                open_at.append(depth)
                out[i] = "⟦"
    return "".join(out)


def parse_latex(text: str) -> lark.Tree:
    """Parse one expression (no top-level ``=``); :class:`LatexSyntaxError` with the column."""
    for bad, why in _UNSUPPORTED.items():
        at = text.find(bad)
        if at >= 0:
            raise LatexSyntaxError(why, at)
    depth = 0
    for at, ch in enumerate(text):
        if ch == "{" and (at == 0 or text[at - 1] != "\\"):
            depth += 1
        elif ch == "}" and (at == 0 or text[at - 1] != "\\"):
            depth -= 1
            if depth < 0:
                raise LatexSyntaxError("a '}' closes a brace that was never opened", at)
    if depth > 0:
        raise LatexSyntaxError(f"{depth} unclosed '{{' (a brace is missing)", len(text))
    try:
        return _parser().parse(_bars(text))
    except lark.UnexpectedCharacters as e:
        at = int(e.pos_in_stream or 0)
        raise LatexSyntaxError(f"unexpected character {text[at]!r}", at) from None
    except lark.UnexpectedToken as e:
        pos = e.token.start_pos if e.token.start_pos is not None else len(text)
        shown = str(e.token).replace("⟦", "|").replace("⟧", "|")
        got = "the end of the formula" if e.token.type == "$END" else repr(shown)
        expected = _expected(set(e.expected))
        raise LatexSyntaxError(f"unexpected {got}; expected {expected}", int(pos)) from None
    except lark.UnexpectedEOF as e:
        raise LatexSyntaxError(
            f"the formula ends early; expected {_expected(set(e.expected))}", len(text)
        ) from None
