"""Mutation testing of the checker: inject each catalogued bug into a copy of ``mlp/``, check it.

``python -m verify.mutants`` (``main``) copies ``mlp/`` into a temporary directory per mutant,
applies the mutant's edits (failing loudly if a pattern no longer matches: the catalogue must not
rot silently), and runs ``verify.mlp_checks.compare_network`` on a few gradient configurations
plus ``verify.training_checks`` in one subprocess with that copy first on ``sys.path``. The table
says whether each mutant was detected, by which check, and whether the first diverging layer is
the one the catalogue expects. The unmutated copy runs first and must pass everything.
"""

from __future__ import annotations

import argparse
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verify.mutant_catalogue import CATALOGUE, Mutant

__all__ = [
    "GRAD_CONFIGS",
    "CatalogueError",
    "GradConfig",
    "MutantResult",
    "apply_mutant",
    "classify_survivor",
    "expected_layer",
    "judge",
    "main",
    "mutmut_summary",
    "run_mutant",
]

ROOT = Path(__file__).resolve().parent.parent
"""The project root holding ``mlp/`` and ``verify/``."""


class CatalogueError(RuntimeError):
    """A mutant's pattern does not match ``mlp/`` (the catalogue rotted) or breaks the syntax."""


@dataclass(frozen=True)
class GradConfig:
    """A gradient configuration run against every mutant (small; square where slips hide)."""

    name: str
    sizes: tuple[int, ...]
    hidden: tuple[str, ...]
    output: str
    cost: str
    batch: int
    seed: int
    special: str = ""
    """``kink``: some relu pre-activations exactly 0; ``huge``: logits beyond ±700."""


GRAD_CONFIGS: tuple[GradConfig, ...] = (
    # square widths and batch == width: transposes and axis slips give silent wrong values
    GradConfig("square", (4, 4, 4, 4), ("tanh", "sigmoid"), "softmax", "cross_entropy", 4, 1),
    GradConfig("relu_kink", (3, 5, 2), ("relu",), "sigmoid", "mse", 6, 2, "kink"),
    GradConfig("softmax_mse", (3, 4, 3), ("sigmoid",), "softmax", "mse", 5, 3),
    GradConfig("sigmoid_ce", (3, 4, 2), ("tanh",), "sigmoid", "cross_entropy", 5, 4),
    GradConfig(
        "heaviside_identity", (3, 4, 3, 2), ("sigmoid", "heaviside"), "identity", "mse", 5, 5
    ),
    GradConfig("huge_logits", (3, 3), (), "softmax", "cross_entropy", 4, 6, "huge"),
)


def expected_layer(where: str, cfg: GradConfig) -> int | None:
    """Return the layer ``where`` names in ``cfg`` (None when ``cfg`` cannot show it)."""
    L = len(cfg.sizes) - 1
    if where == "L":
        return L
    if where == "L-1":
        return L - 1 if L >= 2 else None
    if where.startswith("act:"):
        name = where[4:]
        layers = [i + 1 for i, h in enumerate(cfg.hidden) if h == name]
        return max(layers) if layers else None
    return None


# --- applying a mutant ---------------------------------------------------------------------------


def apply_mutant(mutant: Mutant | None, dest: Path, source: Path | None = None) -> Path:
    """Copy ``mlp/`` into ``dest`` and apply ``mutant``'s edits; returns ``dest/mlp``.

    Raises ``CatalogueError`` when an edit's ``old`` text does not occur exactly ``count`` times
    or the mutated file no longer compiles.
    """
    src = (ROOT / "mlp") if source is None else source
    pkg = dest / "mlp"
    shutil.copytree(src, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if mutant is None:
        return pkg
    for edit in mutant.edits:
        path = pkg / edit.file
        if not path.is_file():
            raise CatalogueError(f"{mutant.name}: mlp/{edit.file} does not exist")
        text = path.read_text(encoding="utf-8")
        found = text.count(edit.old)
        if found != edit.count:
            raise CatalogueError(
                f"{mutant.name}: pattern matched {found} times in mlp/{edit.file}, expected "
                f"{edit.count} (mlp/ changed; update verify/mutant_catalogue.py): {edit.old!r}"
            )
        path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")
    for edit in mutant.edits:
        try:
            py_compile.compile(str(pkg / edit.file), doraise=True)
        except py_compile.PyCompileError as err:
            raise CatalogueError(
                f"{mutant.name}: mutated mlp/{edit.file} does not compile: {err}"
            ) from None
    return pkg


# --- the child: runs inside the subprocess, mutant mlp first on sys.path -------------------------


def _child_network(cfg: GradConfig) -> tuple[Any, Any, Any]:
    """Build the network and data of ``cfg`` (imports the possibly mutated ``mlp``)."""
    import numpy as np

    import mlp
    from verify.mlp_checks import sample_data

    net = mlp.MLP(
        list(cfg.sizes),
        hidden=list(cfg.hidden),
        output=cfg.output,
        cost=cfg.cost,
        init="large",
        seed=cfg.seed,
        dtype="float64",
    )
    X, Y = sample_data(cfg.output, cfg.cost, cfg.sizes[0], cfg.sizes[-1], cfg.batch, cfg.seed)
    if cfg.special == "kink":
        # z^1_0 = 0.5 x_0 - 0.5 x_1 + 0.25 x_2 + 0 is exactly 0 for the first two rows
        W = [w.copy() for w in net.weights]
        b = [v.copy() for v in net.biases]
        W[0][0] = [0.5, -0.5, 0.25]
        b[0][0] = 0.0
        X[0] = [1.0, 1.0, 0.0]
        X[1] = [-2.0, -2.0, 0.0]
        net.set_parameters(W, b)
    elif cfg.special == "huge":
        net.set_parameters([w * 400.0 for w in net.weights], list(net.biases))
        if float(np.max(np.abs(net.weights[0] @ X.T))) < 700:
            raise RuntimeError("huge_logits: logits did not reach 700")
    return net, X, Y


def _child(out_path: str) -> int:
    """Run every gradient configuration and the training checks; write JSON to ``out_path``."""
    import mlp

    expected_dir = os.environ.get("DERIVCHECK_MUTANT_DIR", "")
    if expected_dir and not Path(mlp.__file__).resolve().is_relative_to(Path(expected_dir)):
        raise SystemExit(f"child imported mlp from {mlp.__file__}, not from {expected_dir}")
    import warnings

    from verify.mlp_checks import compare_network
    from verify.training_checks import check_training

    warnings.simplefilter("ignore")  # a mutant may overflow; the result, not the warning, counts
    grads: list[dict[str, Any]] = []
    for cfg in GRAD_CONFIGS:
        row: dict[str, Any] = {"config": cfg.name}
        try:
            net, X, Y = _child_network(cfg)
            rep = compare_network(net, X, Y, fd_directions=2, seed=cfg.seed)
            first = rep.first_diverging_layer
            row.update(
                ok=rep.ok,
                crash="",
                forward_ok=rep.forward_ok,
                jax_ok=all(b.ok for b in rep.blocks),
                fd_ok=rep.fd is None or rep.fd.ok,
                first_layer=first,
                first_params="".join(b.param for b in rep.blocks if not b.ok and b.layer == first),
                diagnosis=rep.diagnosis,
                max_abs=rep.max_abs,
            )
        except Exception as exc:  # a crash is a detection too (the shape or the dtype is wrong)
            row.update(
                ok=False,
                crash=f"{type(exc).__name__}: {exc}"[:300],
                first_layer=None,
                first_params="",
                jax_ok=False,
                fd_ok=False,
                forward_ok=False,
                diagnosis="",
            )
        grads.append(row)
    training = [
        {"id": r.id, "ok": r.status == "ok", "status": r.status, "message": r.message[:300]}
        for r in check_training()
    ]
    Path(out_path).write_text(
        json.dumps({"gradients": grads, "training": training}), encoding="utf-8"
    )
    return 0


# --- the parent -------------------------------------------------------------------------------


@dataclass
class MutantResult:
    """Outcome of one mutant (or of the unmutated baseline, ``name == "baseline"``)."""

    name: str
    where: str
    detected: bool
    checks: list[str]
    """What flagged it: ``jax:<config>``, ``fd:<config>``, ``crash:<config>``, ``training.<id>``."""
    localised: str
    """``dW^3 db^3 (square)``-style first diverging blocks, or ``training`` / ``cost`` / ``-``."""
    right_layer: bool | None
    """First diverging layer == the catalogue's expectation in every config that showed it."""
    equivalent: bool
    seconds: float
    error: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Detected iff not equivalent, localised right when it is a gradient bug, no error."""
        if self.error:
            return False
        if self.equivalent:
            return not self.detected
        return self.detected and self.right_layer is not False


def judge(mutant: Mutant | None, raw: dict[str, Any], seconds: float) -> MutantResult:
    """Turn the child's JSON into a ``MutantResult`` against the catalogue's expectation."""
    where = "none" if mutant is None else mutant.where
    checks: list[str] = []
    localised: list[str] = []
    right: bool | None = None
    for row in raw["gradients"]:
        cfg = next(c for c in GRAD_CONFIGS if c.name == row["config"])
        if row["crash"]:
            checks.append(f"crash:{cfg.name}")
            continue
        if not row["jax_ok"] or not row["forward_ok"]:
            checks.append(f"jax:{cfg.name}")
        if not row["fd_ok"]:
            checks.append(f"fd:{cfg.name}")
        first = row["first_layer"]
        if first is not None:
            localised.append(
                " ".join(f"d{p}^{first}" for p in row["first_params"]) + f" ({cfg.name})"
            )
            exp = expected_layer(where, cfg)
            if mutant is not None and where not in ("training", "cost", "none"):
                params_ok = set(row["first_params"]) <= set(mutant.params)
                this = exp is not None and first == exp and params_ok
                right = this if right is None else (right and this)
    for rec in raw["training"]:
        if not rec["ok"]:
            checks.append(rec["id"])
    if mutant is not None and where == "training":
        right = not any(c.startswith(("jax:", "fd:", "crash:")) for c in checks)
        localised = ["training"] if checks else []
    if mutant is not None and where == "cost":
        right = bool(checks) and all(c.startswith(("fd:", "training.")) for c in checks)
        localised = ["cost (finite differences only)"] if checks else []
    return MutantResult(
        name="baseline" if mutant is None else mutant.name,
        where=where,
        detected=bool(checks),
        checks=checks,
        localised="; ".join(localised) or "-",
        right_layer=right,
        equivalent=mutant is not None and bool(mutant.equivalent),
        seconds=seconds,
        details=raw,
    )


def run_mutant(
    mutant: Mutant | None, source: Path | None = None, timeout: float = 300.0
) -> MutantResult:
    """Apply ``mutant`` to a temporary copy of ``source`` (default ``mlp/``); run the child."""
    name = "baseline" if mutant is None else mutant.name
    t0 = time.perf_counter()

    def failed(error: str, seconds: float) -> MutantResult:
        """The result of a run that produced no verdict (catalogue error, timeout, crash)."""
        where = "none" if mutant is None else mutant.where
        equivalent = mutant is not None and bool(mutant.equivalent)
        return MutantResult(name, where, False, [], "-", None, equivalent, seconds, error=error)

    with tempfile.TemporaryDirectory(prefix=f"derivcheck-mutant-{name}-") as tmp:
        tmpdir = Path(tmp)
        try:
            apply_mutant(mutant, tmpdir, source)
        except CatalogueError as err:
            return failed(str(err), 0.0)
        out = tmpdir / "result.json"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(tmpdir), str(ROOT), *filter(None, [env.get("PYTHONPATH", "")])]
        )
        env["DERIVCHECK_MUTANT_DIR"] = str(tmpdir)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.setdefault("JAX_PLATFORMS", "cpu")
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "verify.mutants", "--child", str(out)],
                cwd=tmpdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return failed(f"timed out after {timeout:.0f}s", time.perf_counter() - t0)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0 or not out.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            return failed(f"child exited {proc.returncode}: {tail[0]}", seconds)
        raw = json.loads(out.read_text(encoding="utf-8"))
    return judge(mutant, raw, seconds)


def _table(results: Sequence[MutantResult]) -> str:
    """Fixed-width table: mutant, detected, by which check, localisation, right layer."""
    head = f"{'mutant':<32} {'detected':<9} {'right layer':<12} {'by':<40} localised to"
    lines = [head, "-" * len(head)]
    for r in results:
        det = "ERROR" if r.error else ("yes" if r.detected else "no")
        if r.equivalent:
            det += " (eq.)"
        right = "-" if r.right_layer is None else ("yes" if r.right_layer else "NO")
        by = ", ".join(r.checks[:3]) + (f" +{len(r.checks) - 3}" if len(r.checks) > 3 else "")
        lines.append(f"{r.name:<32} {det:<9} {right:<12} {by or '-':<40} {r.error or r.localised}")
    return "\n".join(lines)


def _summary(results: Sequence[MutantResult]) -> dict[str, Any]:
    behavioural = [r for r in results if not r.equivalent]
    return {
        "mutants": len(results),
        "behaviour_changing": len(behavioural),
        "detected": sum(r.detected for r in behavioural),
        "right_layer": sum(r.right_layer is True for r in behavioural),
        "equivalent": len(results) - len(behavioural),
        "equivalent_flagged": sum(r.detected for r in results if r.equivalent),
        "errors": sum(bool(r.error) for r in results),
        "all_ok": all(r.ok for r in results),
    }


# --- the general mutation tool: mutmut's results, summarised ------------------------------------

MUTMUT_SURVIVED = 0
"""mutmut exit code of a mutant the tests did not kill (other codes: killed, or never run)."""
_NOT_RUN = {None, 5, 33, 34}  # not run / no tests / skipped

SURVIVOR_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("import-time", "module-level constant computed at import; mutmut 3 cannot switch it on"),
    ("buffer", "out=/workspace buffer argument: same values, another allocation (equivalent)"),
    ("zip-strict", "zip(strict=...) flag: equal lengths on every valid input (equivalent)"),
    ("axis+1", "axis=-1 -> +1 on 2-D arrays: the same axis (equivalent)"),
    ("message", "string literal only: message text or an argument label (message not asserted)"),
    ("dtype-copy", "dtype=/copy=/order=/astype argument: same values on every tested input"),
    ("other", "behaviour may change: listed with its diff"),
)
"""How survivors are classified, first match wins."""


def classify_survivor(name: str, diff: str) -> str:
    """Category of one surviving mutant from its name and ``mutmut show`` diff."""
    old = [ln[2:] for ln in diff.splitlines() if ln.startswith("- ")]
    new = [ln[2:] for ln in diff.splitlines() if ln.startswith("+ ")]
    o, n = " ".join(old), " ".join(new)
    if "_exp_cap" in name:
        return "import-time"
    if "strict=True" in o and "strict=True" not in n:
        return "zip-strict"
    if "axis=-1" in o and "axis=+1" in n:
        return "axis+1"
    if "[-1]" in o and "[+1]" in n and ".shape" in o:
        return "axis+1"
    buffers = ("out=", "ws.", "ws)", "wb)", "work", ", None)", "ws is None")
    if any(b in o for b in buffers) and (
        "None" in n or len(n.replace(" ", "")) < len(o.replace(" ", ""))
    ):
        return "buffer"
    if old and new and _strip_strings(o) == _strip_strings(n):
        return "message"
    if "raise " in o and ("(None)" in n or "XX" in n):
        return "message"
    if any(k in o for k in ("dtype=", "copy=", "order=", ".astype(")) and any(
        k in n for k in ("=None", '="c"', "astype(None)", ", )")
    ):
        return "dtype-copy"
    return "other"


def _strip_strings(code: str) -> str:
    """``code`` with every string literal emptied (f-string holes kept)."""
    return re.sub(r"\"[^\"]*\"|'[^']*'", '""', code)


def mutmut_summary(run_dir: Path, mutmut: str = "mutmut") -> dict[str, Any]:
    """Read a finished ``mutmut run`` in ``run_dir``: score, survivors by category with diffs."""
    codes: dict[str, int | None] = {}
    for meta in sorted((run_dir / "mutants").rglob("*.py.meta")):
        codes.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    ran = {k: c for k, c in codes.items() if c not in _NOT_RUN}
    survivors = sorted(k for k, c in ran.items() if c == MUTMUT_SURVIVED)
    by_cat: dict[str, list[dict[str, str]]] = {c: [] for c, _ in SURVIVOR_CATEGORIES}
    for name in survivors:
        proc = subprocess.run(
            [mutmut, "show", name], cwd=run_dir, capture_output=True, text=True, check=False
        )
        diff = "\n".join(
            ln
            for ln in proc.stdout.splitlines()
            if ln.startswith(("- ", "+ ")) and not ln.startswith(("---", "+++"))
        )
        by_cat[classify_survivor(name, diff)].append({"mutant": name, "diff": diff})
    killed = len(ran) - len(survivors)
    return {
        "total": len(codes),
        "run": len(ran),
        "not_run": len(codes) - len(ran),
        "killed": killed,
        "survived": len(survivors),
        "score": round(killed / len(ran), 4) if ran else None,
        "survivors_by_category": {
            c: {
                "count": len(by_cat[c]),
                "meaning": meaning,
                "mutants": by_cat[c] if c == "other" else [m["mutant"] for m in by_cat[c]],
            }
            for c, meaning in SURVIVOR_CATEGORIES
        },
    }


def _merge_json(path: Path, key: str, value: Any) -> None:
    """Set ``data[key] = value`` in the JSON file ``path`` (created if missing), atomically."""
    data: dict[str, Any] = {}
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
    data[key] = value
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    tmp.replace(path)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m verify mutants",
        description="Inject each catalogued backprop bug into a copy of mlp/ and run the checker.",
    )
    p.add_argument("--list", action="store_true", help="print the catalogue and exit")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    p.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    p.add_argument(
        "--mutmut-dir",
        metavar="DIR",
        type=Path,
        help="instead of running: summarise a finished `mutmut run` in DIR into --json",
    )
    p.add_argument("--label", default="after", help="--mutmut-dir: key under 'mutmut' in --json")
    p.add_argument("--note", default="", help="--mutmut-dir: free text stored with the numbers")
    p.add_argument("--child", metavar="OUT", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the mutation catalogue; exit 0 iff every mutant is judged right, 1 if not, 2: error."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed a one-line usage error
        return int(exc.code or 0)
    if args.child:
        return _child(args.child)
    if args.mutmut_dir is not None:
        if not args.json:
            print("error: --mutmut-dir needs --json PATH", file=sys.stderr)
            return 2
        if not (args.mutmut_dir / "mutants").is_dir():
            print(f"error: --mutmut-dir: no mutants/ in {args.mutmut_dir}", file=sys.stderr)
            return 2
        summary = mutmut_summary(args.mutmut_dir, str(Path(sys.executable).parent / "mutmut"))
        summary["note"] = args.note
        path = Path(args.json)
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        section = dict(data.get("mutmut", {}))
        section[args.label] = summary
        _merge_json(path, "mutmut", section)
        print(
            f"mutmut {args.label}: {summary['killed']}/{summary['run']} killed "
            f"(score {summary['score']}), {summary['survived']} survived"
        )
        return 0
    if args.list:
        for m in CATALOGUE:
            tag = " [equivalent]" if m.equivalent else ""
            print(f"{m.name:<32} {m.where:<14} {m.description}{tag}")
        return 0
    mutants: list[Mutant] = list(CATALOGUE)
    if args.only:
        names = {m.name for m in CATALOGUE}
        unknown = sorted(set(args.only) - names)
        if unknown:
            print(f"error: --only: unknown mutant(s) {', '.join(unknown)}", file=sys.stderr)
            return 2
        mutants = [m for m in CATALOGUE if m.name in set(args.only)]
    if args.jobs < 1:
        print("error: --jobs: expected an int >= 1", file=sys.stderr)
        return 2
    json_path = Path(args.json) if args.json else None
    if json_path is not None and not json_path.parent.is_dir():
        print(f"error: --json: directory {json_path.parent} does not exist", file=sys.stderr)
        return 2
    for attempt in (1, 2):
        with tempfile.TemporaryDirectory(prefix="derivcheck-snapshot-") as snap:
            # one snapshot of mlp/, so a concurrent edit cannot make mutants see different sources
            source = apply_mutant(None, Path(snap))
            try:
                _check_patterns(mutants, source)
            except CatalogueError as err:
                if attempt == 1:  # maybe caught mid-save by an editor: look once more, then fail
                    time.sleep(3.0)
                    continue
                print(f"error: {err}", file=sys.stderr)
                return 2
            command = " ".join(["python -m verify mutants", *(argv or sys.argv[1:])])
            return _run(mutants, source, args.jobs, json_path, command)
    return 2


def _check_patterns(mutants: Sequence[Mutant], source: Path) -> None:
    """Apply every mutant once to a scratch copy: ``CatalogueError`` on the first mismatch."""
    for m in mutants:
        with tempfile.TemporaryDirectory(prefix="derivcheck-pattern-") as tmp:
            apply_mutant(m, Path(tmp), source)


def _run(
    mutants: Sequence[Mutant], source: Path, jobs: int, json_path: Path | None, command: str
) -> int:
    """Run the baseline, then the mutants (patterns already checked); print and optionally save."""
    t0 = time.perf_counter()
    baseline = run_mutant(None, source)
    if baseline.error or baseline.detected:
        print(_table([baseline]), file=sys.stderr)
        print(
            "error: the unmutated mlp/ does not pass every check; mutant verdicts would be "
            "meaningless",
            file=sys.stderr,
        )
        return 2
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda m: run_mutant(m, source), mutants))
    print(_table(results))
    summary = _summary(results)
    print(
        f"\n{summary['detected']}/{summary['behaviour_changing']} behaviour-changing mutants "
        f"detected, {summary['right_layer']} localised to the expected layer; "
        f"{summary['equivalent']} equivalent (flagged: {summary['equivalent_flagged']}); "
        f"{time.perf_counter() - t0:.0f} s"
    )
    for m in mutants:
        if m.equivalent:
            print(f"  equivalent {m.name}: {m.equivalent}")
    if json_path is not None:
        payload = {
            "command": command,
            "summary": summary,
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
                    "description": next(m.description for m in CATALOGUE if m.name == r.name),
                    "argument": next(m.equivalent for m in CATALOGUE if m.name == r.name),
                    "crashes": {
                        row["config"]: row["crash"]
                        for row in r.details.get("gradients", [])
                        if row["crash"]
                    },
                }
                for r in results
            ],
        }
        try:
            _merge_json(json_path, "catalogue", payload)
        except OSError as err:
            json_path.with_name(json_path.name + ".tmp").unlink(missing_ok=True)
            print(f"error: --json: cannot write {json_path}: {err.strerror}", file=sys.stderr)
            return 2
    if summary["errors"]:
        return 2
    return 0 if summary["all_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
