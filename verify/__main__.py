"""Entry point of ``python -m verify``: see :mod:`verify.cli`."""

from verify.cli import main

raise SystemExit(main())
