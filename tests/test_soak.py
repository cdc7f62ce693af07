"""No false alarms: correct networks on hard inputs through ``compare_network`` (JAX + FD).

Marked slow (``python -m pytest -m slow`` or CI runs it). Default profile: 60 examples per test.
The big run: ``HYPOTHESIS_PROFILE=soak python -m pytest -m slow tests/test_soak.py`` (5000
examples per test). ``python tests/test_soak.py --scan N`` counts
failures region by region without stopping at the first one and writes
``reports/data/soak.json``. Shapes come from a small set so JAX compiles each architecture once.

Regions: moderate weights (float64 with exact and near relu/heaviside kinks, float32 without),
saturated units (weights x8, x30) and float32 at kinks; every test asserts the whole report. The
explicit examples are the false alarms this soak found in the harness (FD near saturation,
saturated sigmoid blocks, float32 FD at a kink); they were strict xfails until the budget fixes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st

import mlp
from verify.checks.network import NetworkReport, compare_network
from verify.checks.samples import sample_data

pytestmark = pytest.mark.slow  # the Hypothesis soak; `python -m pytest -m slow` or CI runs it

PAIRS: list[tuple[str, str]] = sorted(mlp.VALID_PAIRS)
HIDDEN = ("sigmoid", "tanh", "relu", "heaviside")


@dataclass(frozen=True)
class Case:
    """One correct network and its data, fully determined by these fields."""

    depth: int
    act: str
    output: str
    cost: str
    dtype: str
    batch: int
    w_scale: float
    kink: str
    """``none``; ``exact``: one hidden pre-activation is exactly 0; ``near``: it is ±1e-12."""
    seed: int

    def build(self) -> tuple[mlp.MLP, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Return the network (weights scaled by ``w_scale``) and inputs/targets."""
        sizes = [3] + [4] * (self.depth - 1) + [2]
        net = mlp.MLP(
            sizes,
            hidden=self.act,
            output=self.output,
            cost=self.cost,
            init="large",
            seed=self.seed,
            dtype=self.dtype,
        )
        W = [w * self.w_scale for w in net.weights]
        b = [v * self.w_scale for v in net.biases]
        X, Y = sample_data(self.output, self.cost, 3, 2, self.batch, self.seed)
        if self.kink != "none" and self.depth > 1:
            X[0] = [1.0, 1.0, 0.0]
            W[0][0] = [0.5, -0.5, 0.25]  # z^1_0 = 0.5 - 0.5 + b: exactly b for sample 0
            b[0][0] = 0.0 if self.kink == "exact" else (1e-12 if self.seed % 2 else -1e-12)
        net.set_parameters(W, b)
        return net, X, Y

    def check(self) -> NetworkReport:
        """Run the harness's comparison (JAX blocks and 2 FD directions)."""
        net, X, Y = self.build()
        return compare_network(net, X, Y, fd_directions=2, seed=self.seed)


REGIONS: dict[str, dict[str, list[Any]]] = {
    "moderate": {"w_scale": [0.1, 1.0], "dtype": ["float64"], "kink": ["none", "exact", "near"]},
    "moderate_float32": {"w_scale": [0.1, 1.0], "dtype": ["float32"], "kink": ["none"]},
    "saturated": {"w_scale": [8.0, 30.0], "dtype": ["float64", "float32"], "kink": ["none"]},
    "float32_kinks": {"w_scale": [0.1, 1.0], "dtype": ["float32"], "kink": ["exact", "near"]},
}
"""Where the checker is expected never to fail (first two) and the known false-alarm regions."""


def cases(region: str) -> st.SearchStrategy[Case]:
    """Hypothesis strategy over one region."""
    r = REGIONS[region]
    return st.builds(
        lambda depth, act, pair, dtype, batch, w, kink, seed: Case(
            depth, act, pair[0], pair[1], dtype, batch, w, kink, seed
        ),
        st.integers(1, 3),
        st.sampled_from(HIDDEN),
        st.sampled_from(PAIRS),
        st.sampled_from(r["dtype"]),
        st.sampled_from([1, 5]),
        st.sampled_from(r["w_scale"]),
        st.sampled_from(r["kink"]),
        st.integers(0, 2**16),
    )


def _assert_ok(case: Case) -> None:
    note(repr(case))
    report = case.check()
    assert report.ok, f"{case}\n{report}"


@given(st.one_of(cases("moderate"), cases("moderate_float32")))
def test_no_false_alarm_moderate(case: Case) -> None:
    """NumPy vs JAX (forward pass and every block) never fails; FD is pinned separately below."""
    note(repr(case))
    report = case.check()
    assert report.forward_ok and all(b.ok for b in report.blocks), f"{case}\n{report}"


@example(Case(3, "relu", "softmax", "binary_cross_entropy", "float64", 1, 1.0, "none", 3))
@example(Case(3, "relu", "softmax", "cross_entropy", "float32", 1, 0.1, "none", 290))
@given(st.one_of(cases("moderate"), cases("moderate_float32")))
def test_fd_no_false_alarm_moderate(case: Case) -> None:
    _assert_ok(case)


@example(Case(1, "sigmoid", "sigmoid", "cross_entropy", "float64", 1, 30.0, "none", 0))
@example(Case(2, "sigmoid", "identity", "mse", "float64", 1, 8.0, "none", 16547))
@given(cases("saturated"))
def test_no_false_alarm_saturated(case: Case) -> None:
    _assert_ok(case)


@example(Case(2, "relu", "softmax", "mse", "float32", 5, 1.0, "exact", 14))
@given(cases("float32_kinks"))
def test_no_false_alarm_float32_kinks(case: Case) -> None:
    _assert_ok(case)


# --- counting scan: every example, no shrinking, results in reports/data/soak.json --------------


def scan(n: int, seed: int) -> dict[str, Any]:
    """Run ``n`` random cases per region; count failures by kind (jax / fd / forward)."""
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    for region, r in REGIONS.items():
        kinds: Counter[str] = Counter()
        first: list[dict[str, Any]] = []
        for _ in range(n):
            pair = PAIRS[int(rng.integers(len(PAIRS)))]
            case = Case(
                int(rng.integers(1, 4)),
                HIDDEN[int(rng.integers(4))],
                pair[0],
                pair[1],
                r["dtype"][int(rng.integers(len(r["dtype"])))],
                [1, 5][int(rng.integers(2))],
                r["w_scale"][int(rng.integers(len(r["w_scale"])))],
                r["kink"][int(rng.integers(len(r["kink"])))],
                int(rng.integers(0, 2**16)),
            )
            rep = case.check()
            if not rep.ok:
                kind = "+".join(
                    k
                    for k, bad in (
                        ("forward", not rep.forward_ok),
                        ("jax", not all(b.ok for b in rep.blocks)),
                        ("fd", rep.fd is not None and not rep.fd.ok),
                    )
                    if bad
                )
                kinds[kind] += 1
                if len(first) < 3:
                    first.append(asdict(case))
        out[region] = {
            "examples": n,
            "failures": sum(kinds.values()),
            "by_check": dict(kinds),
            "first_failing_cases": first,
        }
    return out


def _main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python tests/test_soak.py")
    p.add_argument("--scan", type=int, default=1000, help="cases per region")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=Path("reports/data/soak.json"))
    p.add_argument("--hypothesis", type=Path, help="merge a JSON of the hypothesis soak run")
    args = p.parse_args(argv)
    data: dict[str, Any] = {
        "scan": {
            "command": f"python tests/test_soak.py --scan {args.scan} --seed {args.seed}",
            "regions": scan(args.scan, args.seed),
        },
    }
    if args.hypothesis is not None:
        data["hypothesis"] = json.loads(args.hypothesis.read_text(encoding="utf-8"))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(data["scan"]["regions"], indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
