"""Names in the notes: a letter with its font, text subscripts, layer label, indices and primes."""

from __future__ import annotations

from dataclasses import dataclass, field

import lark

__all__ = [
    "FUNCTION_COMMANDS",
    "GREEK",
    "Name",
    "name_of",
    "script_items",
    "source_of",
    "token_text",
]

GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "ell": "ℓ",
}
"""Greek letters (and ``\\ell``) as variable names; ``\\pi`` is the constant."""

FUNCTION_COMMANDS = {
    "ln",
    "log",
    "exp",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "arctan",
    "arcsin",
    "arccos",
    "max",
    "min",
    "sgn",
    "sign",
}
"""Commands that name a function (read with their argument: ``\\ln a``, ``\\tanh(z)``)."""

_DISTINCT_FONTS = {
    "hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304",
    "tilde": "\u0303",
}
"""Decorations that make a different symbol (``\\hat{y}`` is not ``y``); bold and calligraphic
letters are the same symbol as the plain letter (the notes mix ``\\mathbf{a}^L`` and ``a^L``)."""


def token_text(tree: lark.Tree | lark.Token) -> str:
    """The single token of a leaf node (``letter``, ``command``, ``text``, ``number``)."""
    if isinstance(tree, lark.Token):
        return str(tree)
    first = tree.children[0]
    return token_text(first)


def source_of(tree: lark.Tree | lark.Token, text: str) -> str:
    """The source text a node was parsed from (positions are propagated by the parser)."""
    if isinstance(tree, lark.Token):
        return str(tree)
    meta = tree.meta
    if getattr(meta, "empty", True):
        return ""
    return text[meta.start_pos : meta.end_pos]


def text_content(token: str) -> str:
    r"""``\\text{ sig }`` -> ``sig``."""
    return token[token.index("{") + 1 : -1].strip()


@dataclass
class Name:
    r"""A symbol as written: ``a_{j,\\text{SM}}^L``: base a, text SM, index j, superscript L."""

    base: str
    bold: bool = False
    texts: list[str] = field(default_factory=list)
    indices: list[lark.Tree | lark.Token] = field(default_factory=list)
    sup: lark.Tree | lark.Token | None = None
    primes: int = 0

    def key(self, label: str | None = None) -> str:
        """Readable identity without indices: ``a_SM^L``, ``σ_sig``, ``W^{l-1}``."""
        out = self.base
        if self.texts:
            out += "_" + ",".join(self.texts)
        if label:
            out += "^" + (label if len(label) == 1 else "{" + label + "}")
        return out


def _base_of(atom: lark.Tree) -> tuple[str, bool] | None:
    kind = atom.data
    if kind == "letter":
        return token_text(atom), False
    if kind == "command":
        word = token_text(atom)[1:]
        if word in FUNCTION_COMMANDS:
            return "\\" + word, False
        return (GREEK[word], False) if word in GREEK else None
    if kind == "text":
        return text_content(token_text(atom)), False
    if kind == "font":
        font = token_text(atom.children[0])[1:]
        inner = atom.children[1]
        leaf = inner.children[0] if isinstance(inner, lark.Tree) and inner.children else None
        if isinstance(leaf, lark.Tree) and leaf.data in ("letter", "command", "text", "font"):
            got = _base_of(leaf)
        elif isinstance(leaf, lark.Token) and leaf.type in ("LETTER", "CMD"):
            word = str(leaf)
            plain = GREEK.get(word[1:]) if word.startswith("\\") else word
            if plain is None:
                return None
            got = (plain, False)
        else:
            return None
        if got is None:
            return None
        base = got[0]
        if font in _DISTINCT_FONTS:
            return f"{base}{_DISTINCT_FONTS[font]}", False
        if font == "mathcal":
            return base, False
        return base, font in ("mathbf", "boldsymbol", "bm", "vec")
    return None


def script_items(script: lark.Tree) -> list[lark.Tree | lark.Token]:
    """The comma-separated items of a sub/superscript; a single token is one item."""
    if not script.children:
        return []
    only = script.children[0]
    if isinstance(only, lark.Token):
        return [only]
    if only.data == "script_body":
        return list(only.children)
    return [only]


def name_of(tree: lark.Tree | lark.Token) -> Name | None:
    """Read a postfix chain as a name, or ``None`` if its base is not a letter-like atom."""
    if isinstance(tree, lark.Token):
        return None
    ops: list[lark.Tree] = []
    node = tree
    while node.data in ("subscript", "superscript", "prime"):
        ops.append(node)
        child = node.children[0]
        if not isinstance(child, lark.Tree):
            return None
        node = child
    got = _base_of(node)
    if got is None:
        return None
    name = Name(base=got[0], bold=got[1])
    for op in reversed(ops):
        if op.data == "prime":
            name.primes += len(str(op.children[1]))
        elif op.data == "superscript":
            name.sup = op.children[1]
        else:
            for item in script_items(op.children[1]):
                if _is_text(item):
                    name.texts.append(text_content(_text_token(item)))
                else:
                    name.indices.append(item)
    return name


def _text_token(item: lark.Tree | lark.Token) -> str:
    if isinstance(item, lark.Token):
        return str(item)
    node: lark.Tree | lark.Token = item
    while isinstance(node, lark.Tree) and len(node.children) == 1:
        node = node.children[0]
    return token_text(node)


def _is_text(item: lark.Tree | lark.Token) -> bool:
    if isinstance(item, lark.Token):
        return item.type == "TEXT"
    node: lark.Tree | lark.Token = item
    while isinstance(node, lark.Tree) and len(node.children) == 1:
        if node.data == "text":
            return True
        node = node.children[0]
    return isinstance(node, lark.Token) and node.type == "TEXT"
