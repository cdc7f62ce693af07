"""One step between vector/matrix formulas: shapes first, then entries at 50 digits."""

from __future__ import annotations

from typing import TypeAlias

import lark
import sympy as sp

from derivations.document.judging import Outcome
from derivations.document.vectors import (
    NotVectorError,
    ShapeError,
    Value,
    VectorReader,
    describe,
    reader_words,
    sample_difference,
)

__all__ = ["Side", "judge_vector_step", "read_side"]

Side: TypeAlias = "sp.Matrix | ShapeError"


def read_side(reader: VectorReader, tree: lark.Tree, text: str) -> Side:
    """The matrix of one side, or the shape error that stops it; ``NotVectorError`` propagates."""
    try:
        return reader.read(tree, text)
    except ShapeError as e:
        return e
    except (RecursionError, ZeroDivisionError, sp.SympifyError, ValueError, TypeError, KeyError,
            AttributeError, IndexError) as e:
        # Outside what the vector reading supports (a layer that is not a number, ...):
        # the scalar reading takes the chain and says what it can.
        raise NotVectorError(type(e).__name__) from e


def _sizes(reader: VectorReader) -> str:
    shapes = reader.shapes
    top = shapes.layer_value("L")
    inst = ", ".join(f"{k} = {v}" for k, v in reader.instance().items())
    sizes = ", ".join(f"n_{k} = {shapes.size('n', k)}" for k in range(top, -1, -1))
    return f"checked at {inst}, {sizes}"


def _bias_hint(reader: VectorReader, value: Value) -> str:
    """``δ^l`` where ``∂C/∂W^l`` is written: say which gradient the right side is."""
    if "b" not in reader.shapes.names or reader.shapes.names["b"].label is None:
        return ""
    for layer in range(reader.shapes.layer_value("L"), 0, -1):
        try:
            grad = reader.derivative_of("b", layer)
        except (NotVectorError, ShapeError):
            return ""
        if grad.shape == value.shape and sample_difference(grad, value) is None:
            return f"; it is ∂C/∂b^{layer} at this instance, the bias gradient"
    return ""


def judge_vector_step(reader: VectorReader, left: Side, right: Side, lhs_text: str,
                      rhs_text: str) -> Outcome:
    """``holds`` / ``wrong`` (shapes or an entry, with both values) / ``undecided``."""
    where = _sizes(reader)
    for side, word in ((left, "left"), (right, "right")):
        if isinstance(side, ShapeError):
            return Outcome("wrong", "shapes", f"the {word} side is not defined: {side} "
                           f"({where})")
    assert not isinstance(left, ShapeError) and not isinstance(right, ShapeError)
    lw, rw = reader_words(lhs_text), reader_words(rhs_text)
    if left.shape != right.shape:
        return Outcome("wrong", "shapes", f"the left side {lw} is {describe(left.shape)}, the "
                       f"right side {rw} {describe(right.shape)}: they cannot be equal"
                       f"{_bias_hint(reader, right)} ({where})",
                       counterexample={"left shape": list(left.shape),
                                       "right shape": list(right.shape)})
    unknown = set(reader.gradient.values())
    lu, ru = left.free_symbols & unknown, right.free_symbols & unknown
    if bool(lu) != bool(ru):
        return Outcome("undecided", "none", "the cost is not defined as a function of a^L, "
                       "so ∂C/∂a^L is an unknown vector, and it appears on one side only")
    try:
        got = sample_difference(left, right)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as e:
        return Outcome("undecided", "none", f"the entries could not be evaluated at the sample "
                       f"points ({type(e).__name__}), {where}")
    if got is None:
        return Outcome("holds", "numeric", f"every entry agrees at 50 digits at three random "
                       f"points (σ the logistic sigmoid; weights, biases, inputs and ∂C/∂a^L "
                       f"free), {where}")
    i, j, lv, rv = got
    entry = f"entry {i + 1}" if left.cols == 1 else f"entry ({i + 1}, {j + 1})"
    return Outcome("wrong", "numeric", f"{entry} differs: left {lv:.6g}, right {rv:.6g} "
                   f"({where})", counterexample={"entry": [i + 1, j + 1], "lhs": lv,
                                                 "rhs": rv})
