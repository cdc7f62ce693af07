"""Entry point: ``python -m benchmarks`` (see benchmarks/README.md)."""

from __future__ import annotations

from benchmarks.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
