"""One JSON rule for every file the project writes: strict JSON, non-finite floats as strings."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from verify.checks.kinks import check_kinks
from verify.checks.network_report import BlockError
from verify.results import dumps, json_safe, merge_json


def test_the_rule() -> None:
    data = {"a": math.inf, "b": -math.inf, "c": math.nan, 1: (np.float32(2.0), np.int64(3))}
    assert json_safe(data) == {"a": "inf", "b": "-inf", "c": "nan", "1": [2.0, 3]}
    text = dumps(data)
    assert "Infinity" not in text and "NaN" not in text


def test_every_writer_follows_it(tmp_path: Path) -> None:
    """The network blocks, the kinks and the mutation file write infinities the same way."""
    block = BlockError(1, "W", math.inf, math.inf, (), math.nan, math.nan, 0.0, False)
    assert block.to_dict()["max_abs"] == "inf" and block.to_dict()["max_rel"] == "inf"
    kinks = {r.id: r for r in check_kinks()}
    assert kinks["kinks.heaviside.paper"].details["left"] == "inf"
    path = tmp_path / "m.json"
    merge_json(path, ("catalogue", "summary"), {"x": math.inf, "y": [math.nan]})
    text = path.read_text()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text) == {"catalogue": {"summary": {"x": "inf", "y": ["nan"]}}}
