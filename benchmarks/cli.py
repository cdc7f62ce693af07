"""Command line: ``python -m benchmarks [--quick] [--repeats N] [--only NAME] [--profile] ...``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from benchmarks import BENCHMARKS, gradcheck, peers_gradcheck, training
from benchmarks.gradcheck import gradcheck_table, run_gradcheck
from benchmarks.hotspots import profile_ours
from benchmarks.loop import QUICK_LOOP, loop_table, run_loop
from benchmarks.machine import ThreadLimit, blas_threads, machine_info, machine_summary
from benchmarks.optional import PeerUnavailableError
from benchmarks.peers_gradcheck import peers_gradcheck_table, run_peers_gradcheck
from benchmarks.training import run_training, training_table
from benchmarks.verify_all import run_verify_all, verify_table

__all__ = ["DEFAULT_REPEATS", "RESULTS_DIR", "main"]

RESULTS_DIR = Path(__file__).resolve().parent / "results"
"""Where the raw JSON goes by default (gitignored except .gitkeep)."""
DEFAULT_REPEATS: dict[str, int] = {"training": 7, "gradcheck": 5, "verify": 3, "loop": 1}
"""Repeats per benchmark when ``--repeats`` is not given (``--quick``: 2, 2, 1)."""
_QUICK_REPEATS: dict[str, int] = {"training": 2, "gradcheck": 2, "verify": 1, "loop": 1}


class _Parser(argparse.ArgumentParser):
    """Usage errors: one line and the usage on stderr, exit code 2, no traceback."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _parser() -> _Parser:
    parser = _Parser(
        prog="python -m benchmarks",
        description="derivcheck benchmarks: training throughput vs peers, gradient-check "
        "scaling, `verify all` end to end, and derivcheck beside torch/JAX gradient checkers "
        "on the external corpus. Prints Markdown tables; saves raw JSON.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes (seconds); for smoke tests, not for numbers")
    parser.add_argument("--repeats", type=_positive_int, default=None, metavar="N",
                        help="timed repeats per measurement of training and gradcheck (default: "
                        f"{DEFAULT_REPEATS['training']} and {DEFAULT_REPEATS['gradcheck']})")
    parser.add_argument("--verify-repeats", type=_positive_int, default=None, metavar="N",
                        help="runs of `verify all` (about 30 s each; default "
                        f"{DEFAULT_REPEATS['verify']})")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}")
    parser.add_argument("--threads", type=_positive_int, default=None, metavar="N",
                        help="pin the run to N CPUs and give NumPy's BLAS, PyTorch and JAX N "
                        "threads (default: NumPy's BLAS default, given to PyTorch too)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile our training epoch with pyinstrument (text to stdout)")
    parser.add_argument("--out", type=Path, default=None, metavar="PATH",
                        help=f"JSON results file (default {RESULTS_DIR}/bench[-quick].json)")
    return parser


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    """Atomic write: a temp file in the same directory, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2, sort_keys=True)
            fh.write("\n")
        Path(tmp).chmod(0o644)  # mkstemp creates 0600; results are ordinary files
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _profiles(settings: training.TrainingSettings, threads: int) -> dict[str, str]:
    """Pyinstrument text per dtype (or the reason it cannot run)."""
    profiles: dict[str, str] = {}
    for dtype in settings.dtypes:
        _log(f"profiling mlp (ours), {dtype}")
        try:
            profiles[dtype] = profile_ours(settings, dtype, threads)
        except PeerUnavailableError as exc:
            profiles[dtype] = f"profile skipped: {exc}"
    return profiles


def _unwritable(path: Path) -> str | None:
    """Why ``path`` cannot be written (None if it can): probed with a temp file beside it."""
    if path.is_dir():
        return "it is a directory, expected a file path"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        return str(exc.strerror or exc)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected benchmarks, print their tables, save the JSON; 0 on success."""
    args = _parser().parse_args(argv)
    selected = [name for name in BENCHMARKS if args.only is None or name in args.only]
    defaults = _QUICK_REPEATS if args.quick else DEFAULT_REPEATS
    repeats = {name: args.repeats or defaults[name] for name in ("training", "gradcheck")}
    repeats["verify"] = args.verify_repeats or defaults["verify"]
    repeats["loop"] = defaults["loop"]
    out: Path = args.out or RESULTS_DIR / ("bench-quick.json" if args.quick else "bench.json")
    problem = _unwritable(out)
    if problem is not None:  # fail before minutes of timing, not after
        _log(f"python -m benchmarks: error: cannot write --out {out}: {problem}")
        return 2
    limit = None if args.threads is None else ThreadLimit(args.threads)
    try:
        payload = _run(args, selected, repeats)
    finally:
        if limit is not None:
            limit.restore()
    try:
        _write_json(out, payload)
    except OSError as exc:
        _log(f"python -m benchmarks: error: cannot write --out {out}: {exc.strerror or exc}")
        return 2
    _log(f"raw results: {out}")
    return 0


def _run(args: argparse.Namespace, selected: list[str], repeats: dict[str, int]) -> dict[str, Any]:
    """Run the benchmarks, print the machine line and the tables; the JSON payload."""
    threads = blas_threads()
    payload: dict[str, Any] = {"options": {"quick": args.quick, "repeats": repeats,
                                           "only": selected, "threads": threads}}
    tables: list[str] = []
    if "training" in selected:
        settings = training.QUICK if args.quick else training.FULL
        payload["training"] = run_training(settings, repeats["training"], threads, _log)
        tables.append(training_table(payload["training"]))
        if args.profile:
            payload["profile"] = _profiles(settings, threads)
            tables += [f"```text\n{text}\n```" for text in payload["profile"].values()]
    if "gradcheck" in selected:
        gc_settings = gradcheck.QUICK if args.quick else gradcheck.FULL
        payload["gradcheck"] = run_gradcheck(gc_settings, repeats["gradcheck"], _log)
        tables.append(gradcheck_table(payload["gradcheck"]))
    if "verify" in selected:
        env = None if args.threads is None else {
            "OPENBLAS_NUM_THREADS": str(args.threads), "OMP_NUM_THREADS": str(args.threads),
        }
        payload["verify"] = run_verify_all(
            repeats["verify"], _log, subcommand="symbolic" if args.quick else "all", env=env
        )
        tables.append(verify_table(payload["verify"]))
    if "peers-gradcheck" in selected:
        pg_settings = peers_gradcheck.QUICK if args.quick else peers_gradcheck.FULL
        payload["peers_gradcheck"] = run_peers_gradcheck(pg_settings, _log)
        tables.append(peers_gradcheck_table(payload["peers_gradcheck"]))
    if "loop" in selected:
        payload["loop"] = run_loop(repeats["loop"], _log, only=QUICK_LOOP if args.quick else None)
        tables.append(loop_table(payload["loop"]))
    payload["machine"] = machine_info()  # after the peers loaded: lists their thread pools too
    print(machine_summary(payload["machine"]), end="\n\n")
    print("\n\n".join(tables))
    return payload
