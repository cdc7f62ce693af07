"""verify.kinks and verify.gradient.finite_diff: one-sided derivatives, conventions, the V curve."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verify.gradient.budget import fd_step, machine_eps
from verify.gradient.finite_diff import complex_step, derivative, step_sweep, step_sweeps
from verify.kinks import check_kinks, one_sided_at


def test_check_kinks_all_as_expected() -> None:
    records = check_kinks()
    assert all(r.status == "ok" for r in records), [(r.id, r.message) for r in records]
    by_id = {r.id: r for r in records}
    assert by_id["kinks.relu.jax_native"].details["analytic"] == 0.0
    assert by_id["kinks.relu.mlp"].details["analytic"] == 1.0
    assert by_id["kinks.heaviside.paper"].details["left"] == "+inf"
    assert "exactly 0" in by_id["kinks.mlp.heaviside_blocks_gradient"].message


def test_one_sided_at_classic_kinks() -> None:
    assert one_sided_at(abs) == pytest.approx((-1.0, 1.0))
    left, right = one_sided_at(lambda z: 1.0 if z >= 0 else 0.0)
    assert math.isinf(left) and left > 0 and right == 0.0
    assert one_sided_at(lambda z: z * z, 1.0) == pytest.approx((2.0, 2.0), abs=1e-9)


@given(x=st.floats(-20, 20), dtype=st.sampled_from([np.float32, np.float64]))
def test_derivative_is_within_its_own_budget(x: float, dtype: type) -> None:
    cd = derivative(np.tanh, x, dtype)
    exact = 1.0 - math.tanh(x) ** 2
    assert abs(cd.value - exact) <= cd.budget(dtype).total + 1e-300


def test_complex_step_is_exact_for_analytic_functions() -> None:
    x = 0.7
    assert complex_step(lambda z: np.exp(z) * np.sin(z), x) == pytest.approx(
        math.exp(x) * (math.sin(x) + math.cos(x)), rel=1e-15
    )


def test_step_sweep_has_the_v_shape() -> None:
    for sweep in step_sweeps():
        errors = np.array(sweep.errors)
        steps = np.array(sweep.steps)
        best = steps[int(np.argmin(errors))]
        eps = machine_eps(sweep.dtype)
        assert errors[0] > 100 * errors.min() and errors[-1] > 100 * errors.min()
        assert eps**0.5 / 100 < best < eps**0.2 * 100  # the bottom of the V
        assert sweep.chosen_step == fd_step(sweep.x, sweep.dtype)
        assert sweep.richardson_error <= sweep.chosen_error * 10
    f64, f32 = step_sweeps()
    assert f32.chosen_error > f64.chosen_error
    with pytest.raises(ValueError, match="num"):
        step_sweep(num=1)
    with pytest.raises(TypeError, match="float32 or float64"):
        step_sweep(dtype=np.int32)
