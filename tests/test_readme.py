"""Every Python snippet of the README runs as printed; the gradient-check example passes."""

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_gradient_check_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    example = next(b for b in blocks if "verify.check_gradient" in b)
    namespace: dict[str, object] = {}
    exec(compile(example, str(README), "exec"), namespace)
    assert namespace["result"].ok  # type: ignore[attr-defined]


def _block(marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return next(b for b in blocks if marker in b)


def test_value_and_grad_tree_example_runs() -> None:
    namespace: dict[str, object] = {}
    exec(compile(_block("verify.check_value_and_grad"), str(README), "exec"), namespace)
    result = namespace["result"]
    assert result.ok, str(result)  # type: ignore[attr-defined]
    assert result.names == ('x["W1"]', 'x["b1"]', 'x["w2"]')  # type: ignore[attr-defined]


def test_softmax_jacobian_example_runs() -> None:
    import verify

    namespace: dict[str, object] = {}
    exec(compile(_block("verify.check_jacobian"), str(README), "exec"), namespace)
    result = namespace["result"]
    assert result.ok and result.mode == "full", str(result)  # type: ignore[attr-defined]
    assert result.evaluations == 21  # type: ignore[attr-defined]  # the README says so
    z, softmax, jac = namespace["z"], namespace["softmax"], namespace["softmax_jacobian"]
    assert verify.check_vjp(softmax, lambda z, v: v @ jac(z), z).ok  # type: ignore[operator]
    assert verify.check_jvp(softmax, lambda z, u: jac(z) @ u, z).ok  # type: ignore[operator]

def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_every_python_snippet_runs_as_printed() -> None:
    blocks = _python_blocks()
    assert len(blocks) >= 2
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, str(README), "exec"), namespace)


def test_mlp_snippet_trains_on_the_digits() -> None:
    example = next(b for b in _python_blocks() if "from mlp import MLP" in b)
    namespace: dict[str, object] = {}
    exec(compile(example, str(README), "exec"), namespace)
    net = namespace["net"]
    accuracy = net.accuracy(namespace["Xt"], namespace["labels"])  # type: ignore[attr-defined]
    assert accuracy > 0.85


def test_derivations_cli_help_is_plain_and_output_has_a_header(
    capsys: pytest.CaptureFixture[str], paper_claims: Any
) -> None:
    """``python -m derivations`` prints every claim (``paper_claims``: built once, in the
    process of the other tests that need them)."""
    from derivations.__main__ import main

    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "``" not in text and "verdict" in text
    assert main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["as", "recorded", "paper", "claim", "verdict", "method"]
    assert len(lines) == 1 + len(paper_claims)


def test_quick_start_has_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    commands = [
        line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")
    ]
    assert commands == ['pip install -e ".[test]" && python -m verify all', "python -m pytest"]
