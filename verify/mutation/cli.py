"""``python -m verify mutants``: run the catalogue (progress on stderr, table on stdout) or list it.

Exit status: 0 every mutant judged right, 1 some mutant missed or localised wrong, 2 usage error
(unknown mutant, bad option, an output path that cannot be written, a rotted catalogue entry, or
an unmutated ``mlp/`` that does not pass).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from verify.mutation.apply import CatalogueError, apply_mutant, check_patterns
from verify.mutation.catalogue import CATALOGUE, Mutant
from verify.mutation.configs import GRAD_CONFIGS
from verify.mutation.mutmut import mutmut_summary
from verify.mutation.runner import MutantResult, run_all, run_mutant, summary
from verify.mutation.table import table
from verify.paths import unwritable_file
from verify.results import merge_json

__all__ = ["main"]

EXIT_OK, EXIT_NOT_OK, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m verify mutants",
        description="Inject each catalogued backprop bug into a copy of mlp/ and run the checker.",
    )
    p.add_argument("--list", action="store_true", help="print the catalogue and exit")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    p.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    p.add_argument(
        "--mutmut-dir",
        metavar="DIR",
        type=Path,
        help="instead of running: summarise a finished `mutmut run` in DIR into --json",
    )
    p.add_argument("--label", default="after", help="--mutmut-dir: key under 'mutmut' in --json")
    p.add_argument("--note", default="", help="--mutmut-dir: free text stored with the numbers")
    return p


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _mutmut(args: argparse.Namespace) -> int:
    """Summarise a finished ``mutmut run`` into the ``mutmut`` section of ``--json``."""
    if not args.json:
        return _error("--mutmut-dir needs --json PATH")
    if not (args.mutmut_dir / "mutants").is_dir():
        return _error(f"--mutmut-dir: no mutants/ in {args.mutmut_dir}")
    path = Path(args.json)
    problem = unwritable_file(path)
    if problem:
        return _error(f"--json: cannot write {path}: {problem}")
    result = mutmut_summary(args.mutmut_dir, str(Path(sys.executable).parent / "mutmut"))
    result["note"] = args.note
    merge_json(path, ("mutmut", args.label), result)
    print(
        f"mutmut {args.label}: {result['killed']}/{result['run']} killed "
        f"(score {result['score']}), {result['survived']} survived"
    )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the mutation catalogue; exit 0 iff every mutant is judged right, 1 if not, 2: error."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed a one-line usage error
        return int(exc.code or 0)
    if args.mutmut_dir is not None:
        return _mutmut(args)
    if args.list:
        for m in CATALOGUE:
            tag = " [equivalent]" if m.equivalent else ""
            print(f"{m.name:<32} {m.where:<14} {m.description}{tag}")
        return EXIT_OK
    mutants: list[Mutant] = list(CATALOGUE)
    if args.only:
        unknown = sorted(set(args.only) - {m.name for m in CATALOGUE})
        if unknown:
            return _error(f"--only: unknown mutant(s) {', '.join(unknown)}")
        mutants = [m for m in CATALOGUE if m.name in set(args.only)]
    if args.jobs < 1:
        return _error("--jobs: expected an int >= 1")
    json_path = Path(args.json) if args.json else None
    problem = unwritable_file(json_path) if json_path is not None else ""
    if json_path is not None and problem:
        return _error(f"--json: cannot write {json_path}: {problem}")
    for attempt in (1, 2):
        with tempfile.TemporaryDirectory(prefix="derivcheck-snapshot-") as snap:
            # one snapshot of mlp/, so a concurrent edit cannot make mutants see different sources
            source = apply_mutant(None, Path(snap))
            try:
                check_patterns(mutants, source)
            except CatalogueError as err:
                if attempt == 1:  # maybe caught mid-save by an editor: look once more, then fail
                    time.sleep(3.0)
                    continue
                return _error(str(err))
            command = " ".join(["python -m verify mutants", *(argv or sys.argv[1:])])
            return _run(mutants, source, args.jobs, json_path, command, quiet=args.quiet)
    return EXIT_USAGE


def _say(quiet: bool) -> Any:
    def say(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr, flush=True)

    return say


def _run(
    mutants: Sequence[Mutant],
    source: Path,
    jobs: int,
    json_path: Path | None,
    command: str,
    *,
    quiet: bool = False,
) -> int:
    """Run the baseline, then the mutants (patterns already checked); print and optionally save."""
    t0 = time.perf_counter()
    say = _say(quiet)
    say(f"baseline: the unmutated mlp/ through every check ({len(GRAD_CONFIGS)} configurations)")
    baseline = run_mutant(None, source)
    if baseline.error or baseline.detected:
        print(table([baseline]), file=sys.stderr)
        return _error(
            "the unmutated mlp/ does not pass every check; mutant verdicts would be meaningless"
        )
    say(f"baseline passes ({baseline.seconds:.0f} s); {len(mutants)} mutants, {jobs} at a time")
    results = run_all(mutants, source, jobs, say)
    print(table(results))
    counts = summary(results)
    print(
        f"\n{counts['detected']}/{counts['behaviour_changing']} behaviour-changing mutants "
        f"detected, {counts['right_layer']} localised to the expected layer; "
        f"{counts['equivalent']} equivalent (flagged: {counts['equivalent_flagged']}); "
        f"{time.perf_counter() - t0:.0f} s"
    )
    for m in mutants:
        if m.equivalent:
            print(f"  equivalent {m.name}: {m.equivalent}")
    if json_path is not None:
        try:
            merge_json(json_path, ("catalogue",), _payload(results, counts, command))
        except OSError as err:
            return _error(f"--json: cannot write {json_path}: {err.strerror}")
    if counts["errors"]:
        return EXIT_USAGE
    return EXIT_OK if counts["all_ok"] else EXIT_NOT_OK


def _payload(
    results: Sequence[MutantResult], counts: dict[str, Any], command: str
) -> dict[str, Any]:
    """The ``catalogue`` section of ``--json``."""
    by_name = {m.name: m for m in CATALOGUE}
    return {
        "command": command,
        "summary": counts,
        "configs": [c.__dict__ for c in GRAD_CONFIGS],
        "mutants": [
            {
                "name": r.name,
                "where": r.where,
                "detected": r.detected,
                "checks": r.checks,
                "localised": r.localised,
                "right_layer": r.right_layer,
                "equivalent": r.equivalent,
                "error": r.error,
                "description": by_name[r.name].description,
                "argument": by_name[r.name].equivalent,
                "crashes": {
                    row["config"]: row["crash"]
                    for row in r.details.get("gradients", [])
                    if row["crash"]
                },
            }
            for r in results
        ],
    }
