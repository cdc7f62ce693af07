"""check_gradient / assert_gradient: passes on right gradients, fails (and localises) wrong ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import verify
from verify.gradient.check import FULL_MAX_ELEMENTS


def _layer(X: np.ndarray) -> tuple[Any, Any]:
    """f([W, b]) = mean tanh(X W^T + b) summed over units; its hand gradient."""
    n = X.shape[0]

    def f(p: list[np.ndarray]) -> Any:
        W, b = p
        return np.sum(np.tanh(X @ W.T + b)) / n

    def grad(p: list[np.ndarray]) -> list[np.ndarray]:
        W, b = p
        delta = (1 - np.tanh(X @ W.T + b) ** 2) / n
        return [(delta.T @ X).astype(W.dtype), delta.sum(axis=0).astype(b.dtype)]

    return f, grad


@given(
    n_in=st.integers(1, 5),
    n_out=st.integers(1, 4),
    batch=st.integers(1, 6),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_passes_on_correct_gradients(
    n_in: int, n_out: int, batch: int, dtype: Any, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, n_in))
    f, grad = _layer(X)
    p = [rng.normal(size=(n_out, n_in)).astype(dtype), rng.normal(size=n_out).astype(dtype)]
    verify.assert_gradient(f, grad, p)
    verify.assert_gradient(f, grad, p, mode="directional", seed=seed)


@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
    which=st.sampled_from(["sign", "scale", "transpose_square"]),
)
def test_fails_on_wrong_gradients_and_names_the_element(dtype: Any, seed: int, which: str) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(4, 3))
    f, grad = _layer(X)
    p = [rng.normal(size=(3, 3)).astype(dtype), rng.normal(size=3).astype(dtype)]

    def broken(q: list[np.ndarray]) -> list[np.ndarray]:
        dW, db = grad(q)
        if which == "sign":
            db = -db
        elif which == "scale":
            dW = dW * 4  # a dropped batch mean
        else:
            dW = dW.T.copy()
        return [dW, db]

    if which == "transpose_square" and np.allclose(grad(p)[0], grad(p)[0].T, rtol=1e-3):
        return
    if which == "sign" and np.max(np.abs(grad(p)[1])) < 1e-3:
        return
    result = verify.check_gradient(f, broken, p)
    assert not result.ok
    expected_array = 1 if which == "sign" else 0
    assert result.failing_arrays == [expected_array]
    assert isinstance(result.worst, verify.ElementCheck)
    assert result.worst.array == expected_array
    assert f"x[{expected_array}]" in str(result)
    with pytest.raises(AssertionError, match="FAIL"):
        verify.assert_gradient(f, broken, p)


def test_directional_mode_localises_one_wrong_element_in_a_large_input() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 40))  # 2400 elements: auto picks directional
    assert x.size > FULL_MAX_ELEMENTS
    f = lambda x: float(np.sum(np.sin(x)))  # noqa: E731

    def bad(x: np.ndarray) -> np.ndarray:
        g = np.cos(x)
        g[17, 23] += 0.5
        return g

    ok = verify.check_gradient(f, np.cos, x)
    # one direction by default: f(x) and f(x +- h u), f(x +- h/2 u)
    assert ok.ok and ok.mode == "directional" and ok.evaluations == 5
    for directions, seeds in ((1, [5]), (3, [5, 6, 7])):
        result = verify.check_gradient(f, bad, x, seed=5, directions=directions)
        assert not result.ok
        assert isinstance(result.worst, verify.ElementCheck)
        assert result.worst.index == (17, 23)
        assert "x[17, 23]" in str(result)
        assert [d.seed for d in result.directions] == seeds


@given(
    n=st.integers(1, 8),
    seed=st.integers(0, 2**16),
    convention=st.sampled_from([0.0, 1.0, 0.5]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_never_fails_at_relu_kinks_with_a_convention(
    n: int, seed: int, convention: float, dtype: Any
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n).astype(dtype)
    x[rng.random(n) < 0.5] = 0.0  # exact kinks
    w = rng.normal(size=n)

    def f(x: np.ndarray) -> Any:
        return np.sum(w * np.maximum(x, 0))

    def grad(x: np.ndarray) -> np.ndarray:
        return w * np.where(x > 0, 1.0, np.where(x == 0, convention, 0.0))

    result = verify.check_gradient(f, grad, x)
    assert result.ok, str(result)
    assert len(result.kinks) == int(np.count_nonzero(x == 0))


def test_kink_outside_one_sided_derivatives_fails() -> None:
    x = np.array([0.0, 1.0])
    result = verify.check_gradient(
        lambda x: np.sum(np.maximum(x, 0)), lambda x: np.array([2.0, 1.0]), x
    )
    assert not result.ok
    assert result.kinks and not result.kinks[0].accepted
    assert "REJECTED" in str(result)


@pytest.mark.parametrize(
    ("f", "grad", "needle"),
    [
        (lambda x: x, np.cos, "scalar"),
        (lambda x: 1 / 0, np.cos, "ZeroDivisionError"),
        (lambda x: np.nan, np.cos, "not finite"),
        (lambda x: np.sum(x), lambda x: np.ones(2), "shape"),
        (lambda x: np.sum(x), lambda x: np.full(x.shape, np.nan), "not finite"),
        (lambda x: np.sum(x), lambda x: 1 / 0, "grad_f raised"),
    ],
)
def test_misbehaving_functions_give_a_clear_failed_result(f: Any, grad: Any, needle: str) -> None:
    result = verify.check_gradient(f, grad, np.ones(3))
    assert not result.ok
    assert needle in str(result)


def test_structure_and_transpose_hints() -> None:
    p = [np.ones((2, 3)), np.ones(2)]
    f = lambda p: float(np.sum(p[0]) + np.sum(p[1]))  # noqa: E731
    r1 = verify.check_gradient(f, lambda p: np.ones(3), p)
    assert not r1.ok and "list/tuple" in r1.message
    r2 = verify.check_gradient(f, lambda p: [np.ones((3, 2)), np.ones(2)], p)
    assert not r2.ok and "transposed?" in r2.message
    r3 = verify.check_gradient(f, lambda p: [np.ones((2, 3))], p)
    assert not r3.ok and "1 arrays" in r3.message


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(TypeError, match="float32 or float64"):
        verify.check_gradient(np.sum, np.ones_like, np.arange(3))
    with pytest.raises(ValueError, match="mode"):
        verify.check_gradient(np.sum, np.ones_like, np.ones(3), mode="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="directions"):
        verify.check_gradient(np.sum, np.ones_like, np.ones(3), directions=0)
    with pytest.raises(ValueError, match="finite"):
        verify.check_gradient(np.sum, np.ones_like, np.array([1.0, np.nan]))


def test_domain_boundary_shrinks_the_step() -> None:
    x = np.array([1e-7, 2.0])  # log(x - h) undefined for the default step
    result = verify.check_gradient(lambda x: np.sum(np.log(x)), lambda x: 1 / x, x)
    assert result.ok, str(result)


def test_float32_function_falls_back_to_float32_differences() -> None:
    x = np.linspace(-1, 1, 5).astype(np.float32)
    f = lambda x: np.sum(np.tanh(x.astype(np.float32)))  # noqa: E731
    result = verify.check_gradient(f, lambda x: (1 - np.tanh(x) ** 2).astype(np.float32), x)
    assert result.ok and result.fd_dtype == "float32"
    wrong = verify.check_gradient(f, lambda x: (1 - np.tanh(x)).astype(np.float32), x)
    assert not wrong.ok


def _relu_sum(n: int, kinks: float, convention: float) -> tuple[Any, Any, Any, np.ndarray]:
    """``f = sum(w * relu(x))`` with a fraction ``kinks`` of x exactly at 0, ``relu'(0) = c``."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    x[rng.random(n) < kinks] = 0.0
    w = rng.normal(size=n)

    def f(x: np.ndarray) -> Any:
        return np.sum(w * np.maximum(x, 0))

    def grad(x: np.ndarray) -> np.ndarray:
        return w * np.where(x > 0, 1.0, np.where(x == 0, convention, 0.0))

    def wrong(x: np.ndarray) -> np.ndarray:
        return grad(x) + 3.0 * w * (x == 0)  # outside [0, w] at every kink

    return f, grad, wrong, x


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("convention", [0.0, 0.5, 1.0])
def test_directional_mode_accepts_kink_conventions_and_rejects_others(
    convention: float, seed: int
) -> None:
    """10 exact kinks in 3000: u is split until every part is smooth or one coordinate."""
    f, grad, wrong, x = _relu_sum(3000, 0.003, convention)
    result = verify.check_gradient(f, grad, x, seed=seed)
    assert result.ok and result.mode == "directional" and not result.undecided
    assert all(d.kink is not None and d.parts > 0 for d in result.directions)
    bad = verify.check_gradient(f, wrong, x, seed=seed)
    assert not bad.ok and not bad.undecided
    assert bad.kinks and not bad.kinks[0].accepted
    assert isinstance(bad.worst, verify.ElementCheck) and x[bad.worst.index] == 0.0


@pytest.mark.parametrize("convention", [0.0, 1.0])
def test_directional_mode_never_rejects_a_convention_at_many_kinks(convention: float) -> None:
    """900 exact kinks: FD along u cannot tell a valid relu'(0) from a wrong one (their sum along
    u may leave [D-, D+]); splitting gives up at MAX_SETTLE_CHECKS: undecided, never a FAIL."""
    f, grad, wrong, x = _relu_sum(3000, 0.3, convention)
    for seed in range(3):
        result = verify.check_gradient(f, grad, x, seed=seed)
        assert not result.ok and result.undecided == result.directions
        assert "undecided" in result.message and not result.failures
    bad = verify.check_gradient(f, wrong, x)
    assert not bad.ok and not bad.undecided
    assert isinstance(bad.worst, verify.ElementCheck) and x[bad.worst.index] == 0.0


@given(
    n=st.integers(2, 300),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
def test_directional_kinks_accept_any_valid_subgradient_and_locate_one_wrong_value(
    n: int, data: st.DataObject, seed: int
) -> None:
    """Up to 4 exact relu kinks, each with its own valid relu'(0) in [0, 1]: always a PASS; one
    kink given a value outside [0, 1]: a FAIL located at that element."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    w = rng.normal(size=n)
    kinks = data.draw(st.lists(st.integers(0, n - 1), max_size=4, unique=True))
    x[kinks] = 0.0
    c = np.zeros(n)
    c[kinks] = data.draw(st.lists(st.floats(0, 1), min_size=len(kinks), max_size=len(kinks)))

    def f(x: np.ndarray) -> Any:
        return np.sum(w * np.maximum(x, 0))

    def grad(x: np.ndarray) -> np.ndarray:
        return w * np.where(x > 0, 1.0, np.where(x == 0, c, 0.0))

    result = verify.check_gradient(f, grad, x, mode="directional", seed=seed)
    assert result.ok, str(result)
    if kinks:
        k = kinks[0]
        outside = data.draw(st.sampled_from([-0.5, 1.5, 3.0]))

        def wrong(x: np.ndarray) -> np.ndarray:
            g = grad(x)
            g[k] = w[k] * outside
            return g

        bad = verify.check_gradient(f, wrong, x, mode="directional", seed=seed)
        assert not bad.ok and not bad.undecided, str(bad)
        assert isinstance(bad.worst, verify.ElementCheck) and bad.worst.index == (k,)


_shapes = st.lists(
    st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple), min_size=1, max_size=3
)


@given(
    shapes=_shapes,
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
    as_tuple=st.booleans(),
)
def test_many_shapes_pass_when_right_and_name_the_corrupted_element(
    shapes: list[tuple[int, ...]], dtype: Any, seed: int, as_tuple: bool
) -> None:
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=s).astype(dtype) for s in shapes]
    coef = [rng.normal(size=s) for s in shapes]

    def f(p: Any) -> Any:
        # Coupled across arrays: sin of the sum times a weighted quadratic.
        s = sum(float(np.sum(c * a)) for c, a in zip(coef, p, strict=True))
        return np.sin(s) + sum(np.sum(c * a * a) for c, a in zip(coef, p, strict=True))

    def grad(p: Any) -> list[np.ndarray]:
        s = sum(float(np.sum(c * a)) for c, a in zip(coef, p, strict=True))
        return [
            np.asarray(np.cos(s) * c + 2 * c * a, dtype=a.dtype)
            for c, a in zip(coef, p, strict=True)
        ]

    x = tuple(xs) if as_tuple else xs
    verify.assert_gradient(f, grad, x)
    k = int(rng.integers(len(shapes)))
    idx = tuple(int(rng.integers(n)) for n in shapes[k])

    def broken(p: Any) -> list[np.ndarray]:
        g = grad(p)
        g[k] = np.array(g[k], copy=True)
        g[k][idx] += np.asarray(0.5 + abs(g[k][idx]), dtype=g[k].dtype)
        return g

    result = verify.check_gradient(f, broken, x)
    assert not result.ok
    assert isinstance(result.worst, verify.ElementCheck)
    assert (result.worst.array, result.worst.index) == (k, idx)
    assert f"x[{k}]" in str(result)


@pytest.mark.parametrize("seed", [0, 1, 7, 12345])
def test_rademacher_is_one_random_bit_per_entry(seed: int) -> None:
    """u from the bits of one ``rng.bytes`` draw over all arrays in order (most significant bit
    first), 1 -> -1: reproducible by hand; the arrays are views of ``u.flat``."""
    from verify.gradient.directional import rademacher

    shapes: list[tuple[int, ...]] = [(3, 5), (7,), (), (2, 3, 1), (995,)]
    sizes = [int(np.prod(shape)) for shape in shapes]
    raw = np.random.default_rng(seed).bytes((sum(sizes) + 7) // 8)
    bits = [(byte >> (7 - j)) & 1 for byte in raw for j in range(8)]
    expected, start = [], 0
    for shape, n in zip(shapes, sizes, strict=True):
        chunk = bits[start : start + n]
        expected.append(np.array([-1.0 if b else 1.0 for b in chunk]).reshape(shape))
        start += n
    got = rademacher(shapes, seed)
    assert got.flat.shape == (sum(sizes),)
    assert all(np.shares_memory(u, got.flat) for u in got if u.size)
    assert [u.shape for u in got] == [u.shape for u in expected]
    assert all(
        u.dtype == np.float64 and np.array_equal(u, e) for u, e in zip(got, expected, strict=True)
    )
    big = rademacher([(100_000,)], seed)[0]
    assert set(np.unique(big)) == {-1.0, 1.0}
    assert abs(float(big.mean())) < 0.02  # balanced: 1/sqrt(n) = 0.003
    assert not np.array_equal(big, rademacher([(100_000,)], seed + 1)[0])


def test_directional_check_repeats_exactly_on_one_objective() -> None:
    """Buffers reused across directions: checking the same direction twice gives equal results."""
    from verify.gradient.directional import check_direction, rademacher
    from verify.gradient.inputs import Objective, normalise_x

    rng = np.random.default_rng(3)
    x = [rng.standard_normal((4, 3)), rng.standard_normal(5)]

    def f(v: list[np.ndarray[Any, Any]]) -> float:
        return float(np.sum(np.sin(v[0])) + np.sum(v[1] ** 3))

    grads = [np.cos(x[0]), 3.0 * x[1] ** 2]
    obj = Objective(f, normalise_x(x), np.float64)
    f0 = obj.value()
    u = rademacher([a.shape for a in x], 5)
    first = check_direction(obj, grads, u, 5, f0)
    other = check_direction(obj, grads, rademacher([a.shape for a in x], 6), 6, f0)
    again = check_direction(obj, grads, u, 5, f0)
    assert first.ok and other.ok and first == again
    assert [a.tolist() for a in obj.work] == [a.tolist() for a in x]  # x itself untouched


@pytest.mark.parametrize("mode", ["full", "directional"])
def test_fortran_ordered_and_transposed_inputs(mode: Any) -> None:
    """x in Fortran order or as a transposed view: elements are named in x's own indexing (the
    full mode used to perturb a copy of such an x and failed every element)."""
    base = np.random.default_rng(4).normal(size=(20, 30))

    def f(v: np.ndarray) -> float:
        return float(np.sum(np.sin(v)))

    def wrong(v: np.ndarray) -> np.ndarray:
        g = np.cos(v)
        g[3, 2] += 0.25
        return g

    for x in (np.asfortranarray(base), base.T):
        ok = verify.check_gradient(f, np.cos, x, mode=mode)
        assert ok.ok, str(ok)
        bad = verify.check_gradient(f, wrong, x, mode=mode)
        assert not bad.ok
        assert isinstance(bad.worst, verify.ElementCheck) and bad.worst.index == (3, 2)


def test_f_and_grad_f_get_read_only_inputs() -> None:
    """A function that writes into its input fails the check with a message, instead of
    moving the point being checked."""
    x = np.linspace(-1.0, 1.0, 2000)

    def f_writes(v: np.ndarray) -> float:
        v *= 1.0
        return float(np.sum(np.sin(v)))

    res = verify.check_gradient(f_writes, np.cos, x)
    assert not res.ok and "read-only" in res.message

    def grad_writes(v: np.ndarray) -> np.ndarray:
        np.cos(v, out=v)
        return v

    res = verify.check_gradient(lambda v: float(np.sum(np.sin(v))), grad_writes, x)
    assert not res.ok and "read-only" in res.message


@given(
    n=st.integers(1100, 3000),
    scale=st.sampled_from([1e-3, 1.0, 1e3, 1e6]),
    offset=st.sampled_from([0.0, 1.0, 1e4]),
    error=st.sampled_from([0.0, 0.0, 1e-7, 1e-4]),
    seed=st.integers(0, 2**16),
)
def test_float64_displacement_shortcut_agrees_with_exact_displacements(
    n: int, scale: float, offset: float, error: float, seed: int
) -> None:
    """float64: <g, x +- s u - x> is taken as +-s <g, u> when the bound on the rounding of
    x +- s u cannot change the verdict; the verdict then equals the one from exact
    displacements (``Hooks.exact_displacements``), and the errors differ by at most that
    bound."""
    from verify.gradient.check import Hooks, check_with_hooks

    rng = np.random.default_rng(seed)
    w = rng.normal(size=n)
    x = offset + scale * rng.normal(size=n)

    def f(v: np.ndarray) -> float:
        return float(np.sum(w * np.tanh((v - offset) / scale)))

    def grad(v: np.ndarray) -> np.ndarray:
        return (w / scale) * (1.0 - np.tanh((v - offset) / scale) ** 2) * (1.0 + error)

    fast = verify.check_gradient(f, grad, x, seed=seed)
    exact = check_with_hooks(f, grad, x, Hooks(exact_displacements=True), seed=seed)
    assert fast.ok == exact.ok
    a, b = fast.directions[0], exact.directions[0]
    assert b.displacement == 0.0
    # a direction settled in parts reports the sum of its parts' comparisons: one rounding each
    slack = 1e-12 * abs(a.analytic) * max(1, a.parts)
    assert abs(a.abs_error - b.abs_error) <= a.displacement + slack
    if error == 0.0:  # a right gradient: passes, or FD cannot decide (steps too coarse)
        assert fast.ok or fast.undecided
    if error == 1e-4 and b.budget.total < 1e-5 * abs(b.analytic):  # resolved by this step
        assert not fast.ok


def test_directional_mode_resolves_a_float64_array_beside_a_float32_one() -> None:
    """The float32 array's rounding allowance (0.017 here) would hide a 0.01 error in the float64
    array along a direction over all of x: that array is checked on its own too."""
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(40, 30)).astype(np.float32), rng.normal(size=30)]

    def f(p: list[np.ndarray]) -> float:
        return float(np.sum(np.sin(p[0].astype(np.float64))) + np.sum(p[1] ** 3))

    def grad(p: list[np.ndarray]) -> list[np.ndarray]:
        return [np.cos(p[0].astype(np.float64)).astype(np.float32), 3 * p[1] ** 2]

    def wrong(p: list[np.ndarray]) -> list[np.ndarray]:
        a, b = grad(p)
        b[7] += 0.01
        return [a, b]

    ok = verify.check_gradient(f, grad, x, mode="directional")
    assert ok.ok and ok.evaluations == 9  # 5, and 4 along u restricted to x[1]
    bad = verify.check_gradient(f, wrong, x, mode="directional")
    assert not bad.ok and bad.failing_arrays == [1]
    assert isinstance(bad.worst, verify.ElementCheck) and bad.worst.index == (7,)


def test_a_truncation_dominated_pass_is_retried_with_a_finer_step() -> None:
    """x = 10^4 + 10^-3 noise: the step from max |x| is 60x the scale f varies on, so the
    first budget is mostly truncation (0.3 % of the derivative) and let a 1e-4 relative error
    pass; steps 8x and 64x finer resolve it."""
    rng = np.random.default_rng(1)
    n, offset, scale = 1100, 1e4, 1e-3
    w = rng.normal(size=n)
    x = offset + scale * rng.normal(size=n)

    def f(v: np.ndarray) -> float:
        return float(np.sum(w * np.tanh((v - offset) / scale)))

    def grad(v: np.ndarray) -> np.ndarray:
        return (w / scale) * (1.0 - np.tanh((v - offset) / scale) ** 2)

    ok = verify.check_gradient(f, grad, x, seed=1)
    d = ok.directions[0]
    assert ok.ok and d.budget.total < 1e-5 * abs(d.analytic) and ok.evaluations == 21
    assert d.budget.noise == 0.0
    assert not verify.check_gradient(f, lambda v: grad(v) * (1 + 1e-4), x, seed=1).ok


def test_a_check_that_never_compared_says_so_in_reader_words() -> None:
    def f(x: Any) -> float:
        raise RuntimeError("boom")

    result = verify.check_gradient(f, lambda x: x, np.ones(3))
    text = str(result)
    assert result.status == "fail" and "boom" in text
    assert text.splitlines()[0] == "check_gradient: FAIL (no comparison made, 3 elements)"
    assert "none mode" not in text and "evaluations of f" not in text
