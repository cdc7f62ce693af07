"""``python -m derivations [--verbose]``: every claim's verdict (and build time per module)."""

from __future__ import annotations

import argparse
import sys
import time

from derivations.registry import all_claims, timings


def main(argv: list[str] | None = None) -> int:
    """Print the verdicts; exit 1 if any computed verdict differs from the expected one."""
    parser = argparse.ArgumentParser(
        prog="python -m derivations",
        description="Print the SymPy verdict of every claim of the paper, in paper order, and "
        "whether it matches the verdict recorded as expected (exit status 1 if one does not).",
    )
    parser.add_argument("--verbose", action="store_true", help="also print build times")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    claims = all_claims()
    total = time.perf_counter() - start
    print(f"{'as recorded':<12}{'paper':<13}{'claim':<41}{'verdict':<25}method")
    for c in claims:
        flag = "yes" if c.as_expected else "NO "
        step = f" (first wrong line {c.first_wrong_step})" if c.first_wrong_step else ""
        verdict = c.verdict.value.replace("_", " ")
        print(
            f"{flag:<12}{c.ref:<13}{c.id:<41}{verdict:<25}{c.method.value.replace('_', ' ')}{step}"
        )
    if args.verbose:
        for name, seconds in timings().items():
            print(f"time {name:<12} {seconds:6.2f} s")
        print(f"time {'total':<12} {total:6.2f} s")
    bad = [c.id for c in claims if not c.as_expected]
    if bad:
        print(f"unexpected verdicts: {bad}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
