"""Hypothesis: random correct (f, grad_f) pairs never fail; errors above the resolution always do.

Default profile: 60 examples per test; ``HYPOTHESIS_PROFILE=soak`` runs 5000. The pairs are
``f(x) = sum_j a_j phi_j(B_j . x + c_j)`` with smooth ``phi`` computed in float32 or float64,
behind float32 or float64 inputs, returning a Python float, a NumPy scalar or a 0-d array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import verify

_PHI: dict[str, tuple[Any, Any]] = {
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "sin": (np.sin, np.cos),
    "softplus": (np.logaddexp.reduce, None),  # placeholder, replaced below
    "square": (lambda z: z * z, lambda z: 2 * z),
    "log1p_sq": (lambda z: np.log1p(z * z), lambda z: 2 * z / (1 + z * z)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
}
_PHI["softplus"] = (lambda z: np.logaddexp(0, z), lambda z: 1 / (1 + np.exp(-z)))


@dataclass(frozen=True)
class Case:
    """One random smooth problem: the function, its gradient, the point."""

    f: Any
    grad: Any
    x: Any
    compute: str
    boundary: str
    drawn: str = ""
    """The :class:`Draw` it was built from (``repr``): what reproduces a failing example."""


@dataclass(frozen=True)
class Draw:
    """The drawn parameters of a :class:`Case` (printed by Hypothesis: enough to rebuild it)."""

    seed: int
    n: int
    phi: tuple[str, ...]
    compute: str
    interface: str
    boundary: str
    split: bool
    scale: float


def build(d: Draw) -> Case:
    """The correct (f, grad_f, x) drawn as ``d``: ``f = sum_j a_j phi_j(B_j . x + c_j)``."""
    n, m, names = d.n, len(d.phi), d.phi
    rng = np.random.default_rng(d.seed)
    dt = np.dtype(d.compute)
    B = (rng.normal(size=(m, n)) / np.sqrt(n)).astype(dt)
    c = rng.normal(size=m).astype(dt)
    a = rng.normal(size=m).astype(dt)
    x = (d.scale * rng.normal(size=n)).astype(d.interface)
    boundary = d.boundary

    def flat(p: Any) -> np.ndarray:
        parts = p if isinstance(p, list) else [p]
        return np.concatenate([np.asarray(q, dt).reshape(-1) for q in parts])

    def f(p: Any) -> Any:
        z = B @ flat(p) + c
        v = sum(a[j] * _PHI[name][0](z[j]) for j, name in enumerate(names))
        if boundary == "float":
            return float(v)
        return dt.type(v) if boundary == "numpy" else np.asarray(v, dtype=dt)

    def grad(p: Any) -> Any:
        z = B @ flat(p) + c
        slopes = np.array([a[j] * _PHI[name][1](z[j]) for j, name in enumerate(names)], dt)
        g = B.T @ slopes
        if isinstance(p, list):
            k = p[0].size
            return [g[:k].reshape(p[0].shape), g[k:].reshape(p[1].shape)]
        return g

    split = d.split and n > 1
    point: Any = [x[: n // 2], x[n // 2 :]] if split else x
    return Case(f, grad, point, d.compute, boundary, repr(d))


@st.composite
def cases(draw: st.DrawFn, max_n: int = 24) -> Case:
    """A correct (f, grad_f, x): compute and interface dtypes, output type, shapes all drawn."""
    seed = draw(st.integers(0, 2**31 - 1))
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, 6))
    names = draw(st.lists(st.sampled_from(sorted(_PHI)), min_size=m, max_size=m))
    compute = draw(st.sampled_from(["float32", "float64"]))
    interface = draw(st.sampled_from(["float32", "float64"]))
    boundary = draw(st.sampled_from(["float", "numpy", "0d"]))
    split = draw(st.booleans()) and n > 1
    scale = draw(st.sampled_from([0.1, 1.0, 3.0]))
    return build(Draw(seed, n, tuple(names), compute, interface, boundary, split, scale))


def _planted(case: Case, result: verify.GradientResult, k: int) -> Any:
    """``case.grad`` with element ``k`` (flat over x) off by 3 times the stated resolution."""

    def wrong(p: Any) -> Any:
        g = case.grad(p)
        parts = [np.array(q, dtype=np.float64) for q in (g if isinstance(g, list) else [g])]
        sizes = np.cumsum([q.size for q in parts])
        a = int(np.searchsorted(sizes, k, side="right"))
        i = k - (int(sizes[a - 1]) if a else 0)
        scale = float(np.max(np.abs(parts[a])))
        parts[a].reshape(-1)[i] += 3.0 * result.resolution * scale
        return parts if isinstance(g, list) else parts[0]

    return wrong


@given(case=cases(), data=st.data())
def test_random_correct_pairs_pass_and_errors_above_the_resolution_fail(
    case: Case, data: st.DataObject
) -> None:
    """Full mode: 0 false alarms; an error of 3x the resolution at any element: a FAIL there."""
    result = verify.check_gradient(case.f, case.grad, case.x)
    assert result.status == "pass", str(result)
    total = result.n_elements
    if not np.isfinite(result.resolution) or result.resolution > 1.0:
        return  # an array below what finite differences resolve: nothing relative to plant
    k = data.draw(st.integers(0, total - 1))
    bad = verify.check_gradient(case.f, _planted(case, result, k), case.x)
    assert bad.status == "fail", f"planted at {k}:\n{bad}\ncorrect run:\n{result}"


def _directional_pair(case: Case, seed: int) -> None:
    """No FAIL on the correct pair; its planted error never passes silently (see below)."""
    result = verify.check_gradient(case.f, case.grad, case.x, mode="directional", seed=seed)
    # no false alarm; rarely undecided (float32 noise along u that the noise estimate missed)
    assert result.status != "fail", str(result)
    if result.status == "undecided" or not np.isfinite(result.resolution):
        return
    # a single-element error e: |<e, u>| = |e_k| exactly (u_k = +-1), so 3x the resolution of
    # ||grad_f||_2 is always over the budget
    g = case.grad(case.x)
    parts = [np.asarray(q, np.float64).reshape(-1) for q in (g if isinstance(g, list) else [g])]
    norm = float(np.sqrt(sum(np.dot(q, q) for q in parts)))
    if norm == 0.0:
        return  # grad_f is exactly 0 (f flat to float32 precision): nothing relative to plant

    def wrong(p: Any) -> Any:
        out = case.grad(p)
        qs = [np.array(q, dtype=np.float64) for q in (out if isinstance(out, list) else [out])]
        qs[0].reshape(-1)[0] += 3.0 * result.resolution * norm
        return qs if isinstance(out, list) else qs[0]

    bad = verify.check_gradient(case.f, wrong, case.x, mode="directional", seed=seed)
    # Never a silent pass: a fail (almost always); or undecided (noise of float32 f taken for
    # kinks along u, or a wide budget after f's noise was measured), which says why; or a pass
    # whose own stated resolution admits the error (a kink limits it, and the report says so).
    planted = 3.0 * result.resolution
    assert bad.status != "pass" or bad.resolution >= planted, f"{bad}\ncorrect run:\n{result}"


@given(case=cases(max_n=6), seed=st.integers(0, 2**16))
def test_random_correct_pairs_pass_in_directional_mode(case: Case, seed: int) -> None:
    """The same problems along random directions: never a FAIL; a planted error never passes
    silently."""
    _directional_pair(case, seed)


# The soak profile's two failures (f in float32 behind a float64 interface, |x| up to 6.5) while
# the directional check measured f's noise only after a failure or a kink of the whole direction:
_SOAK_PHI = {
    "false_fail": ("log1p_sq", "sin", "softplus", "softplus", "sigmoid", "sigmoid"),
    "silent_pass": ("softplus", "softplus", "sin", "log1p_sq", "sigmoid", "softplus"),
}


def test_float32_noise_in_an_array_checked_on_its_own_is_no_false_alarm() -> None:
    """Seed 1 of a correct 4-element pair: the whole direction passed, x[1]'s own check (beside
    x[0]'s larger gradient) took f's rounding for float64's, found a kink in the float32 noise,
    and its finer retries, of a still smaller budget, said FAIL."""
    phi = _SOAK_PHI["false_fail"]
    case = build(Draw(333, 4, phi, "float32", "float64", "float", True, 3.0))
    _directional_pair(case, 1)


def test_a_planted_error_above_the_resolution_does_not_pass_a_clean_looking_check() -> None:
    """Seed 12: with the planted error, the check passed on a budget mostly truncation (the
    float32 noise of f, seen as |D(h) - D(h/2)|) without measuring that noise, while the finite
    difference itself was off by more than the budget."""
    phi = _SOAK_PHI["silent_pass"]
    case = build(Draw(333, 4, phi, "float32", "float64", "float", False, 3.0))
    _directional_pair(case, 12)


def test_float32_f_flat_to_its_precision_is_no_false_alarm() -> None:
    """A saturated float32 tanh: every value of f along u is the same float32 number, ECnoise
    finds no level, and the check assumed float64 rounding: FAIL. Its values' precision
    bounds the noise now."""
    draw = Draw(793947611, 2, ("tanh",), "float32", "float64", "numpy", True, 3.0)
    _directional_pair(build(draw), 10542)


def test_float32_f_whose_noise_levels_disagree_is_no_false_alarm() -> None:
    """Float32 values along u whose levels at two spacings disagree (``undetected``): FAIL
    before the precision of the values bounded the noise."""
    phi = ("sigmoid", "sigmoid", "softplus", "sigmoid", "softplus", "log1p_sq")
    draw = Draw(1294019590, 5, phi, "float32", "float64", "0d", False, 1.0)
    _directional_pair(build(draw), 43596)


def test_a_zero_gradient_has_nothing_to_plant() -> None:
    """grad_f exactly 0 (a saturated float32 tanh): the correct pair passes; no error to plant."""
    draw = Draw(1739613524, 6, ("tanh",), "float32", "float64", "numpy", True, 3.0)
    _directional_pair(build(draw), 19342)
