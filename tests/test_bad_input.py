"""Bad input end to end: library, CLIs and ``check_gradient`` answer right or name the argument."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlp
import verify
from verify import cli
from verify.checks.jax_reference import reference
from verify.mutation.cli import main as mutants_main

X5 = np.arange(15, dtype=np.float64).reshape(5, 3) / 10.0
Y5 = np.eye(2)[[0, 1, 0, 1, 0]]


def _net(**kw: Any) -> mlp.MLP:
    args: dict[str, Any] = {
        "hidden": "sigmoid",
        "output": "softmax",
        "cost": "cross_entropy",
        "init": "large",
        "seed": 0,
    }
    args.update(kw)
    return mlp.MLP([3, 4, 2], **args)


def _finite(result: Any) -> bool:
    dW, db = result
    return all(np.isfinite(g).all() for g in [*dW, *db])


# --- library: every call either answers correctly or names the argument ---------------------------

BAD_CALLS: list[tuple[str, Callable[[mlp.MLP], object], type[Exception], str]] = [
    ("nan X", lambda n: n.gradients(np.full((5, 3), np.nan), Y5), ValueError, "X"),
    ("inf X", lambda n: n.cost(np.full((5, 3), np.inf), Y5), ValueError, "X"),
    ("-inf Y", lambda n: n.gradients(X5, np.full((5, 2), -np.inf)), ValueError, "Y"),
    ("nan in predict", lambda n: n.predict(np.full((2, 3), np.nan)), ValueError, "X"),
    ("empty batch", lambda n: n.gradients(np.zeros((0, 3)), np.zeros((0, 2))), ValueError, "X"),
    ("rows differ", lambda n: n.gradients(X5, Y5[:4]), ValueError, "Y"),
    ("width of X", lambda n: n.gradients(np.ones((5, 4)), Y5), ValueError, "X"),
    ("width of Y", lambda n: n.gradients(X5, np.ones((5, 3))), ValueError, "Y"),
    ("1-D X", lambda n: n.forward(np.ones(3)), ValueError, "X"),
    ("3-D X", lambda n: n.forward(np.ones((5, 3, 1))), ValueError, "X"),
    ("string X", lambda n: n.forward("abc"), TypeError, "X"),
    ("None X", lambda n: n.forward(None), TypeError, "X"),
    ("complex X", lambda n: n.forward(X5 + 0j), TypeError, "X"),
    ("ragged X", lambda n: n.forward([[1.0, 2.0], [3.0]]), TypeError, "X"),
    (
        "labels out of range",
        lambda n: n.accuracy(X5, np.array([0, 1, 2, 0, 1])),
        ValueError,
        "labels",
    ),
    (
        "fractional labels",
        lambda n: n.accuracy(X5, np.array([0.5, 1, 0, 0, 1])),
        ValueError,
        "labels",
    ),
    ("fit epochs -1", lambda n: n.fit(X5, Y5, -1, 2, 0.1), ValueError, "epochs"),
    ("fit batch 0", lambda n: n.fit(X5, Y5, 1, 0, 0.1), ValueError, "batch_size"),
    (
        "fit batch 2.5",
        lambda n: n.fit(X5, Y5, 1, 2.5, 0.1),  # type: ignore[arg-type]
        TypeError,
        "batch_size",
    ),
    ("fit eta nan", lambda n: n.fit(X5, Y5, 1, 2, float("nan")), ValueError, "learning_rate"),
    ("fit eta 0", lambda n: n.fit(X5, Y5, 1, 2, 0.0), ValueError, "learning_rate"),
    ("fit schedule", lambda n: n.fit(X5, Y5, 1, 2, 0.1, schedule="cosine"), ValueError, "schedule"),
    ("fit seed -1", lambda n: n.fit(X5, Y5, 1, 2, 0.1, seed=-1), ValueError, "seed"),
    (
        "fit validation pair",
        lambda n: n.fit(X5, Y5, 1, 2, 0.1, validation=(X5,)),  # type: ignore[arg-type]
        TypeError,
        "validation",
    ),
    (
        "fit validation width",
        lambda n: n.fit(X5, Y5, 1, 2, 0.1, validation=(np.ones((2, 4)), Y5[:2])),
        ValueError,
        "validation[0]",
    ),
    (
        "fit validation nan",
        lambda n: n.fit(X5, Y5, 1, 2, 0.1, validation=(X5, Y5 * np.nan)),
        ValueError,
        "validation[1]",
    ),
    (
        "set_parameters shape",
        lambda n: n.set_parameters([np.ones((4, 4)), np.ones((2, 4))], [np.ones(4), np.ones(2)]),
        ValueError,
        "weights[0]",
    ),
    (
        "set_parameters nan",
        lambda n: n.set_parameters(
            [np.ones((4, 3)), np.ones((2, 4))], [np.ones(4) * np.nan, np.ones(2)]
        ),
        ValueError,
        "weights[0], biases[0]",
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "arg"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_library_input_names_the_argument(
    case: str, call: Callable[[mlp.MLP], object], error: type[Exception], arg: str
) -> None:
    net = _net()
    before = [p.copy() for p in [*net.weights, *net.biases]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way to the error either
        with pytest.raises(error) as info:
            call(net)
    assert str(info.value).startswith(f"{arg}:"), (case, str(info.value))
    assert "Traceback" not in str(info.value)
    for p, q in zip([*net.weights, *net.biases], before, strict=True):
        assert np.array_equal(p, q), f"{case}: a rejected call changed the parameters"


@pytest.mark.parametrize(
    ("kwargs", "error", "arg"),
    [
        ({"hidden": "softmax"}, ValueError, "hidden"),
        ({"hidden": 3}, TypeError, "hidden"),
        ({"output": "tanh"}, ValueError, "output"),
        ({"output": "identity", "cost": "cross_entropy"}, ValueError, "output, cost"),
        ({"dtype": "int32"}, ValueError, "dtype"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"init": "xavier"}, ValueError, "init"),
    ],
)
def test_bad_constructor_arguments(
    kwargs: dict[str, Any], error: type[Exception], arg: str
) -> None:
    with pytest.raises(error, match=rf"^{re.escape(arg)}:"):
        _net(**kwargs)


def _readonly(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    b = a.copy()
    b.setflags(write=False)
    return b


ODD_BUT_VALID: list[tuple[str, Callable[[], tuple[Any, Any]]]] = [
    ("int arrays", lambda: ((X5 * 10).astype(np.int64), Y5.astype(np.int32))),
    ("bool X", lambda: (X5 > 0.5, Y5)),
    ("lists", lambda: (X5.tolist(), Y5.tolist())),
    ("non-contiguous", lambda: (np.repeat(X5, 2, axis=1)[:, ::2], np.asfortranarray(Y5))),
    ("read-only", lambda: (_readonly(X5), _readonly(Y5))),
    ("1-sample batch", lambda: (X5[:1], Y5[:1])),
    ("labels summing to 2", lambda: (X5, 2.0 * Y5)),
    ("soft labels", lambda: (X5, np.full((5, 2), 0.5))),
]


@pytest.mark.parametrize("make", [m for _, m in ODD_BUT_VALID], ids=[n for n, _ in ODD_BUT_VALID])
@pytest.mark.parametrize(("output", "cost"), sorted(mlp.VALID_PAIRS))
def test_odd_but_valid_input_gives_the_reference_gradient(
    make: Callable[[], tuple[Any, Any]], output: str, cost: str
) -> None:
    """Cast, copied or unusual inputs: JAX's gradient at the float64 inputs; inputs intact."""
    X, Y = make()
    snapshot = [np.array(X, copy=True), np.array(Y, copy=True)]
    net = _net(output=output, cost=cost)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dW, db = net.gradients(X, Y)
        c = net.cost(X, Y)
    x64, y64 = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    ref = reference(net.hidden, output, cost, net.weights, net.biases, x64, y64)
    for got, want in zip([*dW, *db], [*ref.dW, *ref.db], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert np.isclose(c, ref.cost, rtol=1e-12)
    assert np.array_equal(np.asarray(X), snapshot[0]) and np.array_equal(np.asarray(Y), snapshot[1])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("output", "cost"), sorted(mlp.VALID_PAIRS))
def test_huge_logits_are_finite_and_right(dtype: str, output: str, cost: str) -> None:
    """Logits of ±1000: cost and gradients finite and equal to the float64 reference."""
    net = mlp.MLP([2, 2], output=output, cost=cost, init="large", dtype=dtype)
    net.set_parameters([np.array([[1000.0, 0.0], [-1000.0, 0.0]])], [np.zeros(2)])
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.5, 0.0]])
    Y = np.eye(2)[[1, 0, 0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dW, db = net.gradients(X, Y)
        c = net.cost(X, Y)
    assert np.isfinite(c) and _finite((dW, db))
    ref = reference((), output, cost, net.weights, net.biases, X, Y)
    assert np.isclose(c, ref.cost, rtol=1e-5 if dtype == "float32" else 1e-12)
    scale = max(1.0, *(float(np.max(np.abs(g))) for g in [*ref.dW, *ref.db]))
    tol = 1e-5 if dtype == "float32" else 1e-12
    for got, want in zip([*dW, *db], [*ref.dW, *ref.db], strict=True):
        assert np.max(np.abs(np.asarray(got, dtype=np.float64) - want)) <= tol * scale


def test_one_sample_fit_and_partial_batch() -> None:
    net = _net()
    hist = net.fit(X5[:1], Y5[:1], epochs=2, batch_size=4, learning_rate=0.1)
    assert len(hist.cost) == 2 and all(np.isfinite(hist.cost))


def test_diverging_fit_is_not_a_silent_nan() -> None:
    """A learning rate far too large: an error naming learning_rate, parameters left finite."""
    net = _net()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, FloatingPointError)) as info:
            net.fit(X5 * 100, Y5, epochs=20, batch_size=5, learning_rate=1e300)
    assert "learning_rate" in str(info.value)
    assert all(np.isfinite(p).all() for p in [*net.weights, *net.biases])


def test_non_finite_error_message_reads_cleanly() -> None:
    with pytest.raises(ValueError) as info:
        _net().forward(np.full((2, 3), np.nan))
    assert "np.int64" not in str(info.value) and "(0, 0)" in str(info.value)


# --- verify.check_gradient on misbehaving user functions ------------------------------------------


def _boom(_x: Any) -> Any:
    raise RuntimeError("user code failed")


@pytest.mark.parametrize(
    ("f", "grad_f", "needle"),
    [
        (_boom, lambda x: 2 * x, "f raised RuntimeError: user code failed"),
        (lambda x: float(x @ x), _boom, "grad_f raised RuntimeError: user code failed"),
        (lambda x: float(x @ x), lambda x: np.ones(3), "shape (3,)"),
        (lambda x: float(x @ x), lambda x: np.full(2, np.nan), "not finite"),
        (lambda x: float("nan"), lambda x: 2 * x, "not finite"),
        (lambda x: x, lambda x: 2 * x, "scalar"),
        (lambda x: "text", lambda x: 2 * x, "real scalar"),
        (lambda x: float(x @ x), lambda x: None, "grad_f"),
    ],
    ids=[
        "f-raises",
        "grad-raises",
        "wrong-shape",
        "nan-grad",
        "nan-f",
        "array-f",
        "str-f",
        "none-grad",
    ],
)
def test_check_gradient_reports_bad_user_functions(
    f: Callable[[Any], Any], grad_f: Callable[[Any], Any], needle: str
) -> None:
    result = verify.check_gradient(f, grad_f, np.array([1.0, 2.0]))
    assert not result.ok
    assert needle in result.message, result.message


def test_check_gradient_still_passes_a_correct_function() -> None:
    assert verify.check_gradient(lambda x: float(x @ x), lambda x: 2 * x, np.array([1.0, 2.0])).ok


# --- CLIs: one-line message, non-zero exit, nothing half-written ------------------------------


def _cli(argv: list[str]) -> tuple[int, str, str]:
    err, out = io.StringIO(), io.StringIO()
    code = cli.main(argv, err=err, out=out)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["frobnicate"], "invalid choice"),
        (["all", "--frobnicate"], "unrecognized arguments"),
        (["--json"], "expected one argument"),
    ],
)
def test_verify_cli_usage_errors(argv: list[str], needle: str) -> None:
    code, out, err = _cli(argv)
    assert code == 2 and out == ""
    assert err.splitlines()[0].startswith("python -m verify: error:") and needle in err
    assert "Traceback" not in err


def test_verify_cli_unwritable_json_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.json"
    code, _, err = _cli(["symbolic", "--quiet", "--json", str(target)])
    assert code != 0 and len(err.strip().splitlines()) == 1 and str(target) in err
    assert list(tmp_path.iterdir()) == []


def test_python_m_verify_unknown_option_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "verify", "all", "--nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0].startswith("python -m verify: error:")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--only", "no_such_mutant"], "unknown mutant"),
        (["--jobs", "0"], "--jobs"),
        (["--json", "/nonexistent-dir/x.json"], "--json"),
        (["--frobnicate"], "unrecognized arguments"),
    ],
)
def test_mutants_cli_errors(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert mutants_main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_mutants_list_is_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert mutants_main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 15 and all(len(line.split()) >= 3 for line in lines)
