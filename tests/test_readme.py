"""The README's gradient-check example runs as printed and passes."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_gradient_check_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    example = next(b for b in blocks if "verify.check_gradient" in b)
    namespace: dict[str, object] = {}
    exec(compile(example, str(README), "exec"), namespace)
    assert namespace["result"].ok  # type: ignore[attr-defined]


def test_quick_start_has_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    commands = [
        line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")
    ]
    assert commands == ['pip install -e ".[test]" && python -m verify all', "python -m pytest"]
