"""Mutation testing of the checker: plant catalogued bugs in a copy of ``mlp/``, show each caught.

Modules, one job each: :mod:`~verify.mutation.catalogue` (the bugs, as exact source edits),
:mod:`~verify.mutation.configs` (the gradient configurations every mutant runs against),
:mod:`~verify.mutation.apply` (copy ``mlp/`` and apply one mutant), :mod:`~verify.mutation.child`
(the subprocess that runs the harness on the mutated copy), :mod:`~verify.mutation.runner`
(baseline, mutants in parallel, verdicts, progress), :mod:`~verify.mutation.table` (the terminal
table), :mod:`~verify.mutation.mutmut` (a general mutation tool's results, summarised) and
:mod:`~verify.mutation.cli` (``python -m verify mutants``).
"""
