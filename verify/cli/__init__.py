"""The ``python -m verify`` command line: a table of subcommands, each running phases of checks.

:mod:`~verify.cli.commands` (the table, the handlers, ``main``; ``all`` is ``cmd_all``),
:mod:`~verify.cli.phases` (the phases and where checks come from), :mod:`~verify.cli.output`
(the end-of-run summary and ``--json``), :mod:`~verify.cli.index` (the check index ``list``
reads); output paths are checked before any work by :mod:`verify.paths`.
"""

from verify.cli.commands import (
    COMMANDS,
    EXIT_NOT_OK,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    main,
)
from verify.cli.output import write_json
from verify.cli.phases import PHASES, Sources, default_sources, symbolic_records

__all__ = [
    "COMMANDS",
    "EXIT_NOT_OK",
    "EXIT_OK",
    "EXIT_USAGE",
    "PHASES",
    "Sources",
    "UsageError",
    "default_sources",
    "main",
    "symbolic_records",
    "write_json",
]
