"""Time of the derivation checker: a 100-step document, and 1,000 vs 10,000 lines (linearity)."""

from __future__ import annotations

import sys
import time

import derivations
from derivations.document import DocumentResult

__all__ = ["hundred_steps", "long_document", "main"]

_TEMPLATES = [
    r"(a + {n} b)^2 = a^2 + {m} a b + {s} b^2",
    r"\frac{{d}}{{dx}} x^{{{n}}} = {n} x^{{{p}}}",
    r"\frac{{d}}{{dz}} \tanh({n} z) = {n} (1 - \tanh^2({n} z))",
    r"\sum_{{k=1}}^{{K}} (x_k + {n} y_k) = \sum_{{k=1}}^{{K}} x_k + {n} \sum_{{k=1}}^{{K}} y_k",
    r"\frac{{\partial}}{{\partial x_j}} \sum_{{k=1}}^{{K}} {n} w_k x_k = {n} w_j",
    r"\ln(e^{{{n} u}}) = {n} u",
]


def hundred_steps(n_steps: int = 100) -> str:
    """A document of ``n_steps`` one-step derivations (scalar and index notation)."""
    blocks = []
    for i in range(n_steps):
        n = i % 5 + 2
        line = _TEMPLATES[i % len(_TEMPLATES)].format(n=n, m=2 * n, s=n * n, p=n - 1)
        blocks.append(f"Step {i + 1}.\n\n$${line}$$\n")
    return "\n".join(blocks)


def long_document(lines: int, every: int = 50) -> str:
    """``lines`` lines of prose with one display block every ``every`` lines."""
    out = []
    for i in range(lines):
        if i % every == every - 1:
            out.append(f"$$(x + {i % 7 + 1})^2 = x^2 + {2 * (i % 7 + 1)} x + {(i % 7 + 1) ** 2}$$")
        else:
            out.append(f"Line {i} of prose with $inline$ math and a % sign.")
    return "\n".join(out) + "\n"


def _time(text: str) -> tuple[float, DocumentResult]:
    started = time.perf_counter()
    result = derivations.check_document(text)
    return time.perf_counter() - started, result


def main() -> int:
    """Print the timings; exit 1 if a generated step is not judged ``holds``."""
    _time("$$x + x = 2 x$$")  # imports and the grammar, once
    seconds, result = _time(hundred_steps())
    print(f"100-step document: {seconds:.2f} s, {result.counts()}")
    short_s, short = _time(long_document(1_000))
    long_s, long = _time(long_document(10_000))
    print(f"1,000 lines: {short_s:.2f} s; 10,000 lines: {long_s:.2f} s; "
          f"ratio {long_s / short_s:.1f} for 10x the lines")
    ok = all(r.counts()["holds"] == len(r.steps) for r in (result, short, long))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
