"""Entry point of ``python -m verify``: see :mod:`verify.cli` (the command table).

SymPy orders the factors of an expression holding ``Dummy`` symbols, and the claims' sampling
visits ``free_symbols`` (a set), in an order that depends on Python's string hashing. The reports
must be byte-identical from run to run, so the command re-executes itself once with
``PYTHONHASHSEED=0`` (as CI does) when the hash seed is not already fixed to 0.
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, "-m", "verify", *sys.argv[1:]])

from verify.cli import main  # after the re-exec: nothing heavy is imported twice

raise SystemExit(main())
