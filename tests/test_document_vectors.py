"""Vector/matrix notation in the document checker: declared shapes, the network, eqs. (32)-(37)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import derivations
from derivations.document.records import StepRecord

ROOT = Path(__file__).resolve().parents[1]
NETWORK = r"""vector a^l, z^l, b^l, \delta^l: n_l
vector y: n_L
matrix W^l: n_l x n_{l-1}
size n_l = 3, n_{l-1} = 2
network z^l = W^l a^{l-1} + b^l; a^l = \sigma(z^l)
network \delta^l = \frac{\partial C}{\partial z^l}"""


def one(step: str, notation: str = NETWORK) -> StepRecord:
    records = [r for r in derivations.check_steps([step], notation=notation) if r.block]
    assert len(records) == 1, records
    return records[0]


@pytest.fixture(scope="module")
def paper(paper_notation_result: Any) -> dict[str, StepRecord]:
    steps = paper_notation_result.steps
    return {s.tag: s for s in steps if s.tag in {str(n) for n in range(29, 38)}}


@pytest.mark.slow  # the whole notation copy of the paper (shared with test_document.py)
def test_paper_eqs_32_to_37_through_the_vector_reading(paper: dict[str, StepRecord]) -> None:
    verdicts = {tag: paper[tag].verdict for tag in ("32", "33", "34", "35", "36", "37")}
    assert verdicts == {"32": "wrong", "33": "holds", "34": "wrong", "35": "holds",
                        "36": "wrong", "37": "wrong"}
    assert "entry 1 differs" in paper["32"].message  # σ'(a^L) is not σ'(z^L)
    assert paper["33"].method == "numeric" and "50 digits" in paper["33"].message
    assert "is a 4 x 3 matrix, the right side δ^L a column of 2" in paper["34"].message
    assert "the bias gradient" in paper["34"].message
    assert ("δ^l is a column of 4, a^{l-1} a column of 3: the product is not defined; "
            "(a^{l-1})^T makes it a 4 x 3 matrix") in paper["36"].message
    assert "the bias gradient" in paper["37"].message and paper["37"].method == "shapes"
    # eq. (29) has an undefined cost on one side only: never wrong, never a pass.
    assert paper["29"].verdict == "undecided" and "unknown vector" in paper["29"].message


def test_correct_weight_gradient_and_bias_gradient_hold() -> None:
    r = one(r"\frac{\partial C}{\partial W^L} = \delta^L (\mathbf{a}^{L-1})^\top")
    assert r.verdict == "holds"
    assert one(r"\frac{\partial C}{\partial \mathbf{b}^l} = \delta^l").verdict == "holds"
    assert one(r"\frac{\partial C}{\partial W^l} = \delta^l (a^{l-1})^T").verdict == "holds"
    r = one(r"\delta^L = \nabla_{\mathbf{a}} C \odot \sigma'(\mathbf{z}^L)")
    assert r.verdict == "holds"


def test_missing_transpose_is_a_shape_error_in_reader_words() -> None:
    r = one(r"\frac{\partial C}{\partial W^l} = \delta^l \mathbf{a}^{l-1}")
    assert r.verdict == "wrong" and r.method == "shapes"
    assert ("δ^l is a column of 3, a^{l-1} a column of 2: the product is not defined; "
            "(a^{l-1})^T makes it a 3 x 2 matrix") in r.message


def test_hadamard_versus_matrix_product_slips() -> None:
    r = one(r"\delta^{l-1} = (W^l)^T \delta^l \sigma'(z^{l-1})")
    assert r.verdict == "wrong"
    assert ("(W^l)^T δ^l is a column of 2, σ'(z^{l-1}) a column of 2: the product is not "
            "defined") in r.message
    assert "entry by entry (⊙) it is a column of 2" in r.message
    r = one(r"\delta^{l-1} = ((W^l)^T \odot \delta^l) \odot \sigma'(z^{l-1})")
    assert r.verdict == "wrong"
    assert "(W^l)^T is a 2 x 3 matrix, δ^l a column of 3: they cannot be multiplied entry by "\
        "entry" in r.message
    assert one(r"\delta^{l-1} = ((W^l)^T \delta^l) \odot \sigma'(z^{l-1})").verdict == "holds"
    r = one(r"\delta^{l-1} = ((W^l)^T \delta^l) \odot \sigma(z^{l-1})")
    assert r.verdict == "wrong" and r.method == "numeric" and r.counterexample is not None


def test_a_chain_names_its_first_wrong_step() -> None:
    records = [r for r in derivations.check_steps(
        [r"\frac{\partial C}{\partial W^L} = \delta^L \mathbf{a}^{L-1}",
         r"= \delta^L (\mathbf{a}^{L-1})^T"], notation=NETWORK) if r.block]
    assert [r.verdict for r in records] == ["wrong", "wrong"]


def test_scalar_steps_are_unchanged_beside_declared_vectors() -> None:
    records = derivations.check_steps([r"x + x = 2x"], notation=NETWORK)
    assert [r.verdict for r in records] == ["holds"]
    # an entry of a declared vector is read by the scalar (index) reading
    r = one(r"\frac{\partial C}{\partial W_{jk}^L} = \delta_j^L a_k^{L-1}")
    assert r.verdict == "undecided"


@pytest.mark.parametrize(("line", "expected"), [
    ("matrix W^l: n_l", "expected 'matrix W^l: n_l x n_{l-1}'"),
    ("vector a^k: n_l", "the layer of a^k must be a label letter"),
    ("vector a^l n_l", "expected 'vector a^l, z^l: n_l'"),
    ("vector a^l: m", "a^l: expected a size such as n_l or 3"),
    ("layer L = x", "not a number"),
    ("size n_{L-1} = three", "expected 'size K = 3' or 'size n_{L-1} = 3'"),
    ("network z^l W^l a^{l-1}", "expected 'network z^l = W^l a^{l-1} + b^l"),
    ('componentwise "from here"', 'expected componentwise "from this text"'),
    ("size n_L = 40", "a layer size between 1 and 8"),
    ("layer L = 12", "layers between 0 and 5"),
])
def test_bad_shape_declarations_say_what_was_expected(line: str, expected: str) -> None:
    records = derivations.check_steps(["x = x"], notation=line)
    bad = [r for r in records if r.verdict == "unparsed"]
    assert len(bad) == 1 and expected in bad[0].message, bad


def test_a_network_that_does_not_fit_its_shapes_is_said_at_once() -> None:
    bad = NETWORK.replace("W^l a^{l-1}", "(W^l)^T a^{l-1}")
    records = derivations.check_steps(["x = x"], notation=bad)
    msgs = [r.message for r in records if r.verdict == "unparsed"]
    assert len(msgs) == 1 and "the network does not fit the declared shapes" in msgs[0]
    assert "(W^l)^T is a 2 x 3 matrix" in msgs[0] or "the product is not defined" in msgs[0]
    records = derivations.check_steps(["x = x"], notation=NETWORK.replace("+ b^l", "+ q^l"))
    assert any("cannot be read" in r.message for r in records if r.verdict == "unparsed")


def test_declared_sizes_and_layers_are_used() -> None:
    notation = NETWORK.replace("size n_l = 3, n_{l-1} = 2", "layer L = 2, l = L\nsize n_L = 5, "
                               "n_{L-1} = 2")
    r = one(r"\frac{\partial C}{\partial W^l} = \delta^l \mathbf{a}^{l-1}", notation)
    assert "δ^l is a column of 5, a^{l-1} a column of 2" in r.message
    assert "checked at L = 2, l = 2" in r.message


def test_componentwise_stretch_is_read_as_scalars() -> None:
    notation = NETWORK + '\ncomponentwise "ignore shapes" .. "shapes again"'
    text = (f"```derivcheck\n{notation}\n```\nWe ignore shapes here.\n\n"
            "$$\\frac{\\partial C}{\\partial W^l} = \\delta^l \\mathbf{a}^{l-1}$$\n\n"
            "Now shapes again.\n\n"
            "$$\\frac{\\partial C}{\\partial W^l} = \\delta^l \\mathbf{a}^{l-1}$$\n")
    steps = [s for s in derivations.check_document(text).steps if s.block]
    assert [s.verdict for s in steps] == ["undecided", "wrong"]
