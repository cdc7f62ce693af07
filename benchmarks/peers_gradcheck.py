"""Benchmark 4: derivcheck beside torch ``gradcheck`` and JAX ``check_grads`` on external code.

The same cases (``tests/external``: correct and planted-bug gradients of Nielsen-style,
micrograd-style, scikit-learn, CS231n-style, min-char-rnn-style, float32 and relu-at-kink code)
are given to every checker through the same flat list of float64 arrays: torch sees the
hand-written gradient as the backward of an ``autograd.Function``, JAX as the ``custom_vjp`` of a
``pure_callback``. Printed per checker: bugs detected, false alarms on correct gradients, and
evaluations of ``f``. A checker that is not installed is skipped with a line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from benchmarks.optional import PeerUnavailableError, import_optional
from benchmarks.tables import markdown_table

__all__ = [
    "CHECKERS",
    "FULL",
    "QUICK",
    "EvaluationCapError",
    "PeersGradcheckSettings",
    "peers_gradcheck_table",
    "run_peers_gradcheck",
]

FlatF = Callable[[list[Any]], float]
FlatGrad = Callable[[list[Any]], list[Any]]
CHECKERS: tuple[str, ...] = (
    "derivcheck",
    "torch gradcheck",
    "torch gradcheck fast_mode",
    "jax check_grads",
)
"""Row names: ``verify.check_gradient`` (defaults), ``torch.autograd.gradcheck`` with its defaults
and with ``fast_mode=True``, ``jax.test_util.check_grads(order=1, modes=["rev"])``."""


@dataclass(frozen=True)
class PeersGradcheckSettings:
    """Which cases run."""

    include_heavy: bool
    """Also the 10^5-coordinate cases (seconds each for derivcheck)."""
    torch_full_max: int
    """torch's default gradcheck builds the whole Jacobian (2 evaluations per coordinate): it
    runs only up to this many coordinates."""
    names: tuple[str, ...] = ()
    """Only the cases whose name starts with one of these (empty: all)."""
    max_f_evals: int = 12_000
    """A checker still evaluating ``f`` after this many calls on one case is stopped (torch's
    ``fast_mode``, having found a mismatch, rebuilds the whole Jacobian for its message)."""


FULL = PeersGradcheckSettings(include_heavy=True, torch_full_max=5_000)
QUICK = PeersGradcheckSettings(
    include_heavy=False, torch_full_max=5_000,
    names=("nielsen/network", "cs231n/two_layer", "float32/mlp_MLP_float32"),
)


class EvaluationCapError(RuntimeError):
    """A checker went past ``max_f_evals`` evaluations of ``f`` on one case."""


class _Counted:
    """``f`` and ``grad`` on a flat list of float64 arrays, evaluations of ``f`` counted."""

    def __init__(self, f: FlatF, grad: FlatGrad, cap: int) -> None:
        self._f, self._grad, self._cap = f, grad, cap
        self.f_calls = 0

    def f(self, xs: list[Any]) -> float:
        self.f_calls += 1
        if self.f_calls > self._cap:
            raise EvaluationCapError(f"stopped after {self._cap:,} evaluations of f")
        return float(self._f([np.asarray(x) for x in xs]))

    def grad(self, xs: list[Any]) -> list[Any]:
        return [np.asarray(g, dtype=np.float64) for g in self._grad([np.asarray(x) for x in xs])]


def _derivcheck(verify: Any, fn: _Counted, x0: list[Any]) -> tuple[str, str]:
    result = verify.check_gradient(fn.f, fn.grad, x0)
    state = getattr(result, "status", None) or ("pass" if result.ok else "fail")
    return str(state), result.message


def _torch_runner(fast: bool) -> Callable[[_Counted, list[Any]], tuple[str, str]]:
    torch = import_optional("torch", "autograd")

    def run(fn: _Counted, x0: list[Any]) -> tuple[str, str]:
        def forward(ctx: Any, *leaves: Any) -> Any:
            ctx.save_for_backward(*leaves)
            value = fn.f([t.detach().numpy() for t in leaves])
            return torch.tensor(value, dtype=torch.float64)

        def backward(ctx: Any, grad_out: Any) -> Any:
            grads = fn.grad([t.detach().numpy() for t in ctx.saved_tensors])
            return tuple(grad_out * torch.from_numpy(g) for g in grads)

        # f forward, the hand-written gradient as its backward
        Hand: Any = type("Hand", (torch.autograd.Function,),
                         {"forward": staticmethod(forward), "backward": staticmethod(backward)})
        inputs = tuple(torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in x0)
        ok = torch.autograd.gradcheck(Hand.apply, inputs, fast_mode=fast, raise_exception=False)
        return ("pass" if ok else "fail"), ""

    return run


def _jax_runner() -> Callable[[_Counted, list[Any]], tuple[str, str]]:
    jax = import_optional("jax", "custom_vjp", "pure_callback")
    test_util = import_optional("jax.test_util", "check_grads")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def run(fn: _Counted, x0: list[Any]) -> tuple[str, str]:
        shapes = tuple(jax.ShapeDtypeStruct(np.shape(x), jnp.float64) for x in x0)
        scalar = jax.ShapeDtypeStruct((), jnp.float64)

        def value(*leaves: Any) -> Any:
            return np.float64(fn.f(list(leaves)))

        def grads(*leaves: Any) -> Any:
            return tuple(fn.grad(list(leaves)))

        def primal(*leaves: Any) -> Any:
            return jax.pure_callback(value, scalar, *leaves)

        f = jax.custom_vjp(primal)

        def f_fwd(*leaves: Any) -> Any:
            return f(*leaves), leaves

        def f_bwd(res: Any, g: Any) -> Any:
            return tuple(g * gi for gi in jax.pure_callback(grads, shapes, *res))

        f.defvjp(f_fwd, f_bwd)
        try:
            test_util.check_grads(f, tuple(jnp.asarray(x, dtype=jnp.float64) for x in x0),
                                  order=1, modes=["rev"])
        except AssertionError as exc:
            return "fail", " ".join(str(exc).split())[:160]
        return "pass", ""

    return run


def _runners(log: Callable[[str], None]) -> tuple[dict[str, Any], dict[str, str]]:
    """Checker name -> runner, and checker name -> why it is skipped."""
    runners: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    try:
        verify = import_optional("verify", "check_gradient")
        runners["derivcheck"] = lambda fn, x0: _derivcheck(verify, fn, x0)
    except PeerUnavailableError as exc:
        skipped["derivcheck"] = str(exc)
    for name, fast in (("torch gradcheck", False), ("torch gradcheck fast_mode", True)):
        try:
            runners[name] = _torch_runner(fast)
        except PeerUnavailableError as exc:
            skipped[name] = str(exc)
    try:
        runners["jax check_grads"] = _jax_runner()
    except PeerUnavailableError as exc:
        skipped["jax check_grads"] = str(exc)
    for name, why in skipped.items():
        log(f"peers-gradcheck: {name} skipped: {why}")
    return runners, skipped


def _selected(cases: Sequence[Any], settings: PeersGradcheckSettings) -> list[Any]:
    out = []
    for case in cases:
        if case.heavy and not settings.include_heavy:
            continue
        if settings.names and not case.name.startswith(settings.names):
            continue
        out.append(case)
    return out


def _one(runner: Any, case: Any, checker: str, settings: PeersGradcheckSettings,
         ) -> dict[str, Any]:
    f_flat, grad_flat, x0, _ = case.flat()
    x64 = [np.asarray(x, dtype=np.float64) for x in x0]
    size = sum(x.size for x in x64)
    if checker == "torch gradcheck" and size > settings.torch_full_max:
        return {"verdict": "skipped", "f_evals": 0, "seconds": 0.0,
                "message": f"{size:,} coordinates: the full Jacobian needs {2 * size:,} "
                           "evaluations of f"}
    fn = _Counted(f_flat, grad_flat, settings.max_f_evals)
    start = time.perf_counter()
    try:
        verdict, message = runner(fn, x0 if checker == "derivcheck" else x64)
    except EvaluationCapError as exc:
        verdict, message = "capped", str(exc)
    except Exception as exc:  # a peer crashing on a case is a result, not a benchmark failure
        if isinstance(exc.__cause__ or exc.__context__, EvaluationCapError):
            verdict, message = "capped", str(exc.__cause__ or exc.__context__)
        else:
            verdict, message = "error", f"{type(exc).__name__}: {exc}"[:160]
    return {"verdict": verdict, "f_evals": fn.f_calls, "seconds": time.perf_counter() - start,
            "message": message}


def run_peers_gradcheck(settings: PeersGradcheckSettings, log: Callable[[str], None],
                        ) -> dict[str, Any]:
    """Every installed checker on every selected corpus case; per-case verdicts and totals."""
    result: dict[str, Any] = {"settings": asdict(settings), "cases": [], "summary": {},
                              "skipped": {}}
    try:
        corpus = import_optional("tests.external.corpus", "all_cases")
    except PeerUnavailableError as exc:  # run from outside the repository
        log(f"peers-gradcheck skipped: {exc}")
        result["skipped"] = {name: str(exc) for name in CHECKERS}
        return result
    runners, result["skipped"] = _runners(log)
    for case in _selected(corpus.all_cases(), settings):
        row: dict[str, Any] = {"name": case.name, "correct": case.correct, "checkers": {}}
        for checker in CHECKERS:
            if checker in runners:
                row["checkers"][checker] = _one(runners[checker], case, checker, settings)
        result["cases"].append(row)
        verdicts = ", ".join(f"{k}: {v['verdict']}" for k, v in row["checkers"].items())
        log(f"peers-gradcheck {case.name}: {verdicts}")
    for checker in runners:
        result["summary"][checker] = _summary(result["cases"], checker)
    return result


def _summary(rows: list[dict[str, Any]], checker: str) -> dict[str, Any]:
    runs = [(r["correct"], r["checkers"][checker]) for r in rows
            if r["checkers"][checker]["verdict"] != "skipped"]
    bugs = [v for correct, v in runs if not correct]
    good = [v for correct, v in runs if correct]
    evals = [v["f_evals"] for _, v in runs]
    return {
        "bugs": len(bugs),
        "detected": sum(v["verdict"] == "fail" for v in bugs),
        "correct": len(good),
        "false_alarms": sum(v["verdict"] == "fail" for v in good),
        "undecided": sum(v["verdict"] == "undecided" for _, v in runs),
        "errors": sum(v["verdict"] == "error" for _, v in runs),
        "capped": sum(v["verdict"] == "capped" for _, v in runs),
        "skipped": len(rows) - len(runs),
        "f_evals_total": int(sum(evals)),
        "f_evals_median": float(np.median(evals)) if evals else None,
        "seconds": float(sum(v["seconds"] for _, v in runs)),
    }


def peers_gradcheck_table(result: dict[str, Any]) -> str:
    """Markdown: one row per checker (detection, false alarms, evaluations of f)."""
    title = (
        "**Gradient checkers on the external corpus** (`tests/external`): the same hand-written "
        "gradients through derivcheck, torch `gradcheck` and JAX `check_grads`; detected = "
        "bugs failed, false alarms = correct gradients failed."
    )
    rows = []
    for checker in CHECKERS:
        s = result["summary"].get(checker)
        if s is None:
            why = result["skipped"].get(checker, "not run")
            rows.append([checker, "n/a", "n/a", "n/a", "n/a", "n/a", f"skipped: {why}"])
            continue
        notes = []
        if s["undecided"]:
            notes.append(f"undecided: {s['undecided']}")
        if s["errors"]:
            notes.append(f"raised: {s['errors']}")
        if s["capped"]:
            notes.append(f"stopped at {result['settings']['max_f_evals']:,} evaluations: "
                         f"{s['capped']}")
        if s["skipped"]:
            notes.append(f"not run (too large): {s['skipped']}")
        median = "n/a" if s["f_evals_median"] is None else f"{s['f_evals_median']:.0f}"
        rows.append([
            checker, f"{s['detected']} / {s['bugs']}", f"{s['false_alarms']} / {s['correct']}",
            median, f"{s['f_evals_total']:,}", f"{s['seconds']:.2f}", "; ".join(notes),
        ])
    header = ["checker", "detected", "false alarms", "f evals (median per case)",
              "f evals (total)", "seconds", "notes"]
    missed = _missed(result)
    lines = [title, "", markdown_table(header, rows)]
    if missed:
        lines += ["", *missed]
    return "\n".join(lines)


def _missed(result: dict[str, Any]) -> list[str]:
    """One line per checker: which bugs it missed and which correct cases it failed."""
    out = []
    for checker in CHECKERS:
        if checker not in result["summary"]:
            continue
        miss = [r["name"] for r in result["cases"] if not r["correct"]
                and r["checkers"][checker]["verdict"] not in ("fail", "skipped", "capped")]
        alarms = [r["name"] for r in result["cases"] if r["correct"]
                  and r["checkers"][checker]["verdict"] == "fail"]
        if miss or alarms:
            out.append(f"- {checker}: missed {', '.join(miss) or 'none'}; "
                       f"false alarms {', '.join(alarms) or 'none'}")
    return out
