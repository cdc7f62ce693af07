"""``check_jacobian``, ``check_vjp``, ``check_jvp``: vector-valued f, entries (output, input)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verify
from verify.gradient.jacobian import JACOBIAN_FULL_MAX_ENTRIES

Array = np.ndarray[Any, Any]
Z = np.array([0.5, -1.0, 2.0, 0.1])


def softmax(z: Array) -> Array:
    """Softmax, eq. (15)."""
    e = np.exp(z - z.max())
    out: Array = e / e.sum()
    return out


def softmax_jacobian(z: Array) -> Array:
    """Eq. (16): d a_j / d z_k = a_j (delta_jk - a_k)."""
    a = softmax(z)
    out: Array = np.diag(a) - np.outer(a, a)
    return out


def _planted(z: Array) -> Array:
    jac = softmax_jacobian(z).copy()
    jac[2, 1] += 1e-3
    return jac


CASES = {
    "jacobian": (verify.check_jacobian, softmax_jacobian, _planted),
    "vjp": (verify.check_vjp, lambda z, v: v @ softmax_jacobian(z), lambda z, v: v @ _planted(z)),
    "jvp": (verify.check_jvp, lambda z, u: softmax_jacobian(z) @ u, lambda z, u: _planted(z) @ u),
}


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize("mode", ["full", "directional"])
def test_softmax_eq16_passes_and_a_planted_entry_is_named(kind: str, mode: str) -> None:
    check, good, bad = CASES[kind]
    ok = check(softmax, good, Z, mode=mode)
    assert ok.ok and ok.status == "pass" and ok.mode == mode, str(ok)
    wrong = check(softmax, bad, Z, mode=mode)
    assert wrong.status == "fail" and not wrong.ok
    assert [e.where() for e in wrong.failures] == ["d f(x)[2] / d x[1]"], str(wrong)
    entry = wrong.failures[0]
    assert entry.output == (2,) and entry.input == "x[1]"
    assert abs(entry.analytic - entry.reference - 1e-3) < 1e-8
    assert "d f(x)[2] / d x[1]" in str(wrong) and f"check_{kind}: FAIL" in str(wrong)


def test_full_jacobian_costs_what_one_column_sweep_costs() -> None:
    jac = verify.check_jacobian(softmax, softmax_jacobian, Z)
    grad = verify.check_gradient(lambda z: softmax(z)[0], lambda z: softmax_jacobian(z)[0], Z)
    assert jac.mode == "full" and len(jac.checks) == 4
    assert jac.evaluations == grad.evaluations  # shared between the 4 outputs: 5 n + 1
    assert jac.evaluations <= 5 * Z.size + 1


def test_tree_inputs_jacobian_blocks_and_paths() -> None:
    r = np.random.default_rng(0)
    x = {"W": r.normal(size=(3, 2)), "b": r.normal(size=3)}
    a = r.normal(size=2)

    def f(p: dict[str, Array]) -> Array:
        return np.tanh(p["W"] @ a + p["b"])  # f(x) of shape (3,)

    def jac(p: dict[str, Array], bug: bool = False) -> dict[str, Array]:
        d = 1 - f(p) ** 2
        j_w = np.einsum("i,ij,k->ijk", d, np.eye(3), a)  # (3,) + (3, 2)
        if bug:
            j_w[1, 1, 0] += 0.01
        return {"W": j_w, "b": np.diag(d)}

    assert verify.check_jacobian(f, jac, x).ok
    wrong = verify.check_jacobian(f, lambda p: jac(p, True), x)
    assert [e.where() for e in wrong.failures] == ['d f(x)[1] / d x["W"][1, 0]']

    def vjp(p: dict[str, Array], v: Array) -> dict[str, Array]:
        d = (1 - f(p) ** 2) * v
        return {"W": np.outer(d, a), "b": d}

    def jvp(p: dict[str, Array], u: dict[str, Array]) -> Array:
        out: Array = (1 - f(p) ** 2) * (u["W"] @ a + u["b"])
        return out

    for mode in ("full", "directional"):
        assert verify.check_vjp(f, vjp, x, mode=mode).ok
        assert verify.check_jvp(f, jvp, x, mode=mode).ok


def test_large_sizes_go_directional_and_still_locate_the_entry() -> None:
    r = np.random.default_rng(1)
    a = r.normal(size=(60, 2000)) / 40

    def f(x: Array) -> Array:
        out: Array = a @ np.tanh(x)
        return out

    def jac(x: Array) -> Array:
        out: Array = a * (1 - np.tanh(x) ** 2)
        return out

    def planted(x: Array) -> Array:
        j = jac(x)
        j[17, 1234] += 0.05
        return j

    x = r.normal(size=2000)
    assert JACOBIAN_FULL_MAX_ENTRIES < 60 * 2000
    good = verify.check_jacobian(f, jac, x)
    assert good.ok and good.mode == "directional"
    assert good.evaluations < 20  # no column sweep over 2000 inputs
    for check, fn in (
        (verify.check_jacobian, planted),
        (verify.check_vjp, lambda x, v: v @ planted(x)),
        (verify.check_jvp, lambda x, u: planted(x) @ u),
    ):
        wrong = check(f, fn, x)
        assert wrong.status == "fail", str(wrong)
        assert [e.where() for e in wrong.failures] == ["d f(x)[17] / d x[1234]"], str(wrong)
        # 693 / 693 / 322: every failing part of the bisection measures f's noise (14-35 calls)
        assert wrong.evaluations < 800, wrong.evaluations


def test_relu_at_exact_kinks_passes_with_either_convention() -> None:
    x = np.array([-1.0, 0.0, 2.0, 0.0, 0.5])

    def relu(z: Array) -> Array:
        return np.maximum(z, 0.0)

    for convention in (0.0, 1.0):

        def jac(z: Array, c: float = convention) -> Array:
            return np.diag(np.where(z > 0, 1.0, np.where(z == 0, c, 0.0)))

        for mode in ("full", "directional"):
            assert verify.check_jacobian(relu, jac, x, mode=mode).ok
            result = verify.check_jvp(relu, lambda z, u, jac=jac: jac(z) @ u, x, mode=mode)
            assert result.status != "fail", str(result)
    wrong = verify.check_jacobian(relu, lambda z: np.diag(np.where(z >= 0, 2.0, 0.0)), x)
    assert not wrong.ok


def test_scalar_outputs_and_float32() -> None:
    result = verify.check_jacobian(lambda z: np.sum(z**2), lambda z: 2 * z, Z)
    assert result.ok and result.output_shape == ()
    z32 = Z.astype(np.float32)
    assert verify.check_jacobian(softmax, softmax_jacobian, z32).ok
    for mode in ("full", "directional"):
        for kind in sorted(CASES):
            check, good, bad = CASES[kind]
            assert check(softmax, good, z32, mode=mode).ok, (kind, mode)
            assert not check(softmax, bad, z32, mode=mode).ok, (kind, mode)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: verify.check_jacobian(softmax, lambda z: np.eye(3), Z),
         "jac_f for x has shape (3, 3); expected f(x).shape + x.shape = (4, 4)"),
        (lambda: verify.check_jacobian(softmax, lambda z: np.full((4, 4), np.nan), Z),
         "jac_f for x is not finite at index (0, 0)"),
        (lambda: verify.check_jacobian(softmax, lambda z: 1 / 0, Z), "jac_f raised ZeroDivision"),
        (lambda: verify.check_jacobian(lambda z: z / 0.0, softmax_jacobian, Z),
         "f(x) is not finite at f(x)[0]"),
        (lambda: verify.check_jacobian(lambda z: {}["k"], softmax_jacobian, Z),
         "f(x) failed: f raised KeyError"),
        (lambda: verify.check_jacobian(lambda z: np.ones(2 if z[0] == 0.5 else 3),
                                       lambda z: np.zeros((2, 4)), Z),
         "f returned shape (3,) here; at x it was (2,)"),
        (lambda: verify.check_vjp(softmax, lambda z, v: v[:3], Z), "vjp_f(x, v) returned shape"),
        (lambda: verify.check_vjp(softmax, lambda z, v: [v], Z, mode="directional"),
         "vjp_f(x, v) returned shape (1, 4)"),
        (lambda: verify.check_vjp(softmax, lambda z, v: 1 / 0, Z), "vjp_f raised ZeroDivision"),
        (lambda: verify.check_jvp(softmax, lambda z, u: u[:2], Z), "jvp_f returned shape (2,)"),
        (lambda: verify.check_jvp(softmax, lambda z, u: u * np.nan, Z, mode="directional"),
         "jvp_f is not finite at f(x)[0]"),
        (lambda: verify.check_jvp(softmax, lambda z, u: 1 / 0, Z), "jvp_f raised ZeroDivision"),
        (lambda: verify.check_jacobian(lambda p: 2 * p["W"], lambda p: {"V": 1},
                                       {"W": np.ones(2)}),
         "jac_f at x: keys differ from x's (missing keys ['W']; unexpected keys ['V'])"),
    ],
)
def test_misbehaving_functions_give_a_failed_result(call: Any, expected: str) -> None:
    result = call()
    assert result.status == "fail" and not result.ok
    assert expected in result.message, result.message
    assert expected in str(result)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(TypeError, match="float32 or float64"):
        verify.check_jacobian(softmax, softmax_jacobian, np.arange(4))
    with pytest.raises(ValueError, match="mode must be"):
        verify.check_jacobian(softmax, softmax_jacobian, Z, mode="every")
    with pytest.raises(ValueError, match="directions must be a positive int"):
        verify.check_vjp(softmax, lambda z, v: v, Z, directions=0)
    with pytest.raises(TypeError, match="unexpected option"):
        verify.check_jvp(softmax, lambda z, u: u, Z, tolerance=1e-3)
    with pytest.raises(TypeError, match="vjp_f must be a callable"):
        verify.check_vjp(softmax, None, Z)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed must be an int"):
        verify.check_jacobian(softmax, softmax_jacobian, Z, seed="0")


def test_asserts_raise_with_the_report_and_to_dict_is_json_ready() -> None:
    import json

    verify.assert_jacobian(softmax, softmax_jacobian, Z)
    verify.assert_vjp(softmax, CASES["vjp"][1], Z)
    verify.assert_jvp(softmax, CASES["jvp"][1], Z)
    with pytest.raises(AssertionError, match=r"d f\(x\)\[2\] / d x\[1\]"):
        verify.assert_jacobian(softmax, _planted, Z)
    with pytest.raises(AssertionError, match="check_vjp: FAIL"):
        verify.assert_vjp(softmax, CASES["vjp"][2], Z)
    with pytest.raises(AssertionError, match="check_jvp: FAIL"):
        verify.assert_jvp(softmax, CASES["jvp"][2], Z)
    data = verify.check_jacobian(softmax, _planted, Z).to_dict()
    assert json.loads(json.dumps(data))["failures"][0]["output"] == [2]


def test_cotangent_seeds_are_deterministic() -> None:
    a = verify.check_vjp(softmax, CASES["vjp"][1], Z, mode="directional", seed=5, directions=3)
    b = verify.check_vjp(softmax, CASES["vjp"][1], Z, mode="directional", seed=5, directions=3)
    assert str(a) == str(b) and a.ok and len(a.checks) == 3


def test_no_false_alarm_when_the_projection_cancels() -> None:
    """20000 outputs of size 1e4 whose projection <v, f(x)> is about 0: rounding of the terms."""
    from verify.gradient.directional import rademacher

    m = 20000
    v = np.array(rademacher([(m,)], 0)[0])  # the first cotangent of seed 0
    r = np.random.default_rng(0)
    c = 1e4 * (1 + r.random(m))
    c -= v * (v @ c) / m
    w = r.normal(size=(m, 2))

    def f(x: Array) -> Array:
        out: Array = c + np.sin(w @ x) * 1e-2
        return out

    def jac(x: Array) -> Array:
        out: Array = (np.cos(w @ x) * 1e-2)[:, None] * w
        return out

    x = np.array([0.3, -0.7])
    for result in (
        verify.check_jacobian(f, jac, x),
        verify.check_vjp(f, lambda x, v: v @ jac(x), x),
        verify.check_jvp(f, lambda x, u: jac(x) @ u, x),
    ):
        assert result.ok and result.mode == "directional", str(result)
        assert result.evaluations <= 6


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([np.float32, np.float64]),
    kind=st.sampled_from(sorted(CASES)),
    mode=st.sampled_from(["full", "directional"]),
)
def test_random_smooth_maps_pass_and_a_planted_entry_is_found(
    m: int, n: int, seed: int, dtype: Any, kind: str, mode: str
) -> None:
    r = np.random.default_rng(seed)
    a = r.normal(size=(m, n)).astype(dtype)
    x = r.normal(size=n).astype(dtype)
    i, j = int(r.integers(m)), int(r.integers(n))

    def f(z: Array) -> Array:
        out: Array = np.tanh(a @ z)
        return out

    def jac(z: Array, bug: bool = False) -> Array:
        out: Array = (1 - np.tanh(a @ z) ** 2)[:, None] * a
        if bug:
            out = out.copy()
            out[i, j] += 0.05  # far above the float32 resolution
        return out

    makers = {
        "jacobian": (verify.check_jacobian, lambda b: (lambda z: jac(z, b))),
        "vjp": (verify.check_vjp, lambda b: (lambda z, v: v @ jac(z, b))),
        "jvp": (verify.check_jvp, lambda b: (lambda z, u: jac(z, b) @ u)),
    }
    check, make = makers[kind]
    good = check(f, make(False), x, mode=mode, seed=seed)
    assert good.status != "fail", str(good)
    bad = check(f, make(True), x, mode=mode, seed=seed)
    assert bad.status == "fail", str(bad)
    assert [(e.output, e.input) for e in bad.failures] == [((i,), f"x[{j}]")], str(bad)
