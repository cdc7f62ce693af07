"""A failing user test shows the report, not the library's frames (``__tracebackhide__``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

USER_TESTS = '''
import numpy as np
import verify

def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()

def wrong_jacobian(z):
    a = softmax(z)
    return np.diag(a) + np.outer(a, a)  # sign slip in eq. (16)

Z = np.array([0.5, -1.0, 2.0])

def test_gradient():
    verify.assert_gradient(lambda x: float(np.sum(x**2)), lambda x: 3 * x, np.ones(3))

def test_value_and_grad():
    verify.assert_value_and_grad(lambda x: (float(np.sum(x**2)), 3 * x), np.ones(3))

def test_jacobian():
    verify.assert_jacobian(softmax, wrong_jacobian, Z)

def test_vjp():
    verify.assert_vjp(softmax, lambda z, v: v @ wrong_jacobian(z), Z)

def test_jvp():
    verify.assert_jvp(softmax, lambda z, u: wrong_jacobian(z) @ u, Z)
'''


@pytest.mark.slow  # runs a second pytest on a user's test file
@pytest.mark.parametrize("tb", ["auto", "long"])
def test_failing_user_tests_show_the_report_without_library_source(
    tmp_path: Path, tb: str
) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--tb={tb}", "-q",
         str(tmp_path / "test_user.py")],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "5 failed" in text, text
    for report in (
        "check_gradient: FAIL",
        "check_jacobian: FAIL",
        "check_vjp: FAIL",
        "check_jvp: FAIL",
        "failing elements: 3: x[0], x[1], x[2]",
    ):
        assert report in text
    # the library's frames are hidden: none of its source lines or files appear
    assert "raise AssertionError(str(result))" not in text
    assert "__tracebackhide__" not in text
    assert "verify/gradient/" not in text
    assert "verify" + os.sep + "gradient" not in text
