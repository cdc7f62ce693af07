"""The equivalence decider catches deliberately wrong formulas and accepts true identities."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from derivations import Method, decide
from derivations.equivalence import ShapeError, collapse_kronecker, uniform_sampler
from derivations.network import CONCRETE, network, product, sigma, sigma_f, sigma_prime
from derivations.sampling import logit_sampler

z = sp.Symbol("z", real=True)


def _s(x: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-x))


def test_sigmoid_derivative_with_wrong_sign_is_wrong() -> None:
    truth = sp.diff(_s(z), z)
    d = decide(_s(z) * (1 + _s(z)), truth, [z], logit_sampler([z]))
    assert not d.equal
    assert d.counterexample is not None and "z" in d.counterexample
    assert d.residual is not None
    point = d.counterexample["z"]
    gap = (_s(z) * (1 + _s(z)) - truth).subs(z, point)
    assert abs(float(gap)) > 1e-12


def test_sigmoid_derivative_right_form_is_proved() -> None:
    d = decide(_s(z) * (1 - _s(z)), sp.diff(_s(z), z), [z], logit_sampler([z]))
    assert d.equal and d.method is Method.SYMBOLIC


def test_softmax_jacobian_without_off_diagonal_terms_is_wrong() -> None:
    zs = list(sp.symbols("z1:4", real=True))
    total = sp.Add(*[sp.exp(v) for v in zs])
    s = sp.Matrix([sp.exp(v) / total for v in zs])
    truth = s.jacobian(zs)
    diagonal_only = sp.diag(*[s[r] * (1 - s[r]) for r in range(3)])
    d = decide(diagonal_only, truth, zs, logit_sampler(zs))
    assert not d.equal and d.counterexample
    full = sp.Matrix(3, 3, lambda r, c: s[r] * (sp.KroneckerDelta(r, c) - s[c]))
    assert decide(full, truth, zs, logit_sampler(zs)).equal


def test_dropped_transpose_in_the_recurrence_is_a_shape_error() -> None:
    net = network()
    L = net.L
    dropped = product(("W^L", net.W[L]), ("δ^L", net.db[L]))  # W δ instead of W^T δ
    assert isinstance(dropped, ShapeError)
    d = decide(dropped, net.db[L - 1], net.z_variables, net.sample_z)
    assert not d.equal and d.residual == dropped and d.counterexample


def test_dropped_transpose_with_square_weights_is_caught_numerically() -> None:
    W = sp.Matrix(2, 2, sp.symbols("W1:3_1:3", real=True))
    delta = sp.Matrix(sp.symbols("d1:3", real=True))
    variables = [*W, *delta]
    d = decide(W * delta, W.T * delta, variables, uniform_sampler(variables, -1, 1))
    assert not d.equal and d.counterexample


def test_sigma_prime_at_a_instead_of_z_is_wrong() -> None:
    net = network()
    L = net.L
    at_a = (net.a[L] - net.y).multiply_elementwise(
        net.a[L].applyfunc(lambda e: sigma_prime(sigma_f, e))
    )
    d = decide(at_a, net.db[L], net.z_variables, net.sample_z, functions=CONCRETE)
    assert not d.equal and d.counterexample
    at_z = (net.a[L] - net.y).multiply_elementwise(net.sigma_prime(L))
    assert decide(at_z, net.db[L], net.z_variables, net.sample_z, functions=CONCRETE).equal


def test_hidden_sigma_prime_at_a_is_wrong_too() -> None:
    net = network()
    rec_at_a = (net.W[2].T * net.db[2]).multiply_elementwise(
        net.a[1].applyfunc(lambda e: sigma_prime(sigma, e))
    )
    d = decide(rec_at_a, net.db[1], net.z_variables, net.sample_z, functions=CONCRETE)
    assert not d.equal


def test_kronecker_sum_identity_needs_the_collapse() -> None:
    i, j = sp.symbols("i j", integer=True, positive=True)
    f = sp.Function("f")
    expr = (f(i) - f(j)) * sp.KroneckerDelta(i, j)
    assert collapse_kronecker(expr) == 0
    assert decide(f(i) * sp.KroneckerDelta(i, j), f(j) * sp.KroneckerDelta(i, j), []).equal


def test_hard_to_simplify_identity_is_still_equal() -> None:
    x = sp.Symbol("x", real=True)
    paper = sp.tanh(x) ** 2 + 1 / sp.cosh(x) ** 2
    d = decide(paper, sp.Integer(1), [x], uniform_sampler([x], -5, 5))
    assert d.equal


def test_shape_mismatch_is_reported() -> None:
    d = decide(sp.Matrix([z]), sp.Matrix([[z, z]]), [z])
    assert not d.equal and "ShapeMismatch" in str(d.residual)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(TypeError, match="variables"):
        decide(z, z, z)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_points"):
        decide(z, z, [z], n_points=0)


@given(st.integers(-5, 5), st.integers(-5, 5), st.integers(0, 3))
def test_polynomial_slips_are_found_exactly_when_present(c0: int, c1: int, power: int) -> None:
    x = sp.Symbol("x", real=True)
    truth = (x + 1) ** 3
    slip = c0 + c1 * x**power
    d = decide(sp.expand(truth) + slip, truth, [x], uniform_sampler([x], -2, 2))
    assert d.equal == (sp.expand(slip) == 0)
    if not d.equal:
        assert d.counterexample is not None
        value = float(slip.subs(x, d.counterexample["x"]))
        assert abs(value) > 0


def test_decisions_are_deterministic() -> None:
    truth = sp.diff(_s(z), z)
    a = decide(_s(z) * (1 + _s(z)), truth, [z], logit_sampler([z]))
    b = decide(_s(z) * (1 + _s(z)), truth, [z], logit_sampler([z]))
    assert a.counterexample == b.counterexample
    assert np.isfinite(list(a.counterexample.values())).all()  # type: ignore[union-attr]


def test_sampler_missing_a_variable_is_named() -> None:
    x, w = sp.symbols("x w", real=True)
    with pytest.raises(ValueError, match="lacks variables"):
        decide(x * w, x + w, [x, w], uniform_sampler([x]))
