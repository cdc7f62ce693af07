"""``reports/experiments.md`` and the training page's summary: sec. 5's claims on the digits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from verify.report.render import fmt_pct, heading, table, verdict_label
from verify.results import Record

if TYPE_CHECKING:
    from verify.checks.experiments import ExperimentResults

__all__ = ["TRAINING_FIGURE", "claim_text", "render_experiments", "render_training_summary"]

TRAINING_FIGURE = "figures/training.png"
"""Path of the training-curves figure, relative to ``reports/``."""


def claim_text(record: Record) -> str:
    """Return the paper's claim an experiment record tests (its message when unknown)."""
    from verify.checks.experiments import EXPERIMENTS

    entry = EXPERIMENTS.get(record.id)
    return entry[2] if entry else record.message


def _g3(x: float) -> str:
    return f"{x:.3g}"


def _setup(results: ExperimentResults) -> str:
    s = results.settings
    n = results.split_sizes
    return (
        "Data: scikit-learn's `load_digits` (1797 8x8 images of 10 digits, bundled with "
        "scikit-learn, no download), pixel values scaled to [0, 1], split by stratified "
        f"`train_test_split(random_state={s.split_seed})` into {n['train']} training, "
        f"{n['validation']} validation and {n['test']} test samples. Network: the project's NumPy "
        f"MLP {list(s.layer_sizes)}, softmax output, cross-entropy cost, mini-batch SGD with one "
        f"update per mini-batch of {s.batch_size}, η_0 = {s.learning_rate:g}, {s.epochs} epochs, "
        f"seed {s.seed} for initialisation and shuffling. The test set is used once, for the run "
        f"chosen on validation (mean validation accuracy, then cost, over the last "
        f"{s.select_window} epochs)."
    )


def _runs_table(results: ExperimentResults) -> str:
    rows = []
    for r in results.runs:
        h = r.history
        rows.append(
            [
                r.spec.name + (" (selected)" if r.spec.name == results.selected else ""),
                r.spec.init,
                r.spec.hidden,
                r.spec.schedule,
                _g3(h["val_cost"][0]),
                _g3(h["val_cost"][-1]),
                fmt_pct(h["val_accuracy"][0]),
                fmt_pct(h["val_accuracy"][-1]),
                fmt_pct(r.test_accuracy),
            ]
        )
    return table(
        [
            "run",
            "init",
            "hidden",
            "η schedule",
            "val cost, epoch 1",
            "val cost, last",
            "val accuracy, epoch 1",
            "val accuracy, last",
            "test accuracy",
        ],
        rows,
    )


def _verdicts(results: ExperimentResults, anchors: bool) -> list[str]:
    out: list[str] = []
    for rec in results.records:
        if anchors:
            out += [f'<a id="{rec.id}"></a>', ""]
        out += [
            heading(3, f"{rec.ref}: {claim_text(rec)}"),
            "",
            f"**Verdict: {verdict_label(rec.verdict).strip('*')}** (expected "
            f"{verdict_label(rec.expected)}: "
            f"{'as recorded' if rec.status == 'ok' else '**NOT as recorded**'}). {rec.message}.",
            "",
        ]
        if anchors and rec.details:
            out += [
                table(
                    ["quantity", "value"],
                    [[k.replace("_", " "), _value(v)] for k, v in rec.details.items()],
                ),
                "",
            ]
    return out


def _value(v: object) -> str:
    """A detail value in reader form: ``yes``/``no`` for booleans, ``0`` not ``0.0``."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def render_experiments(results: ExperimentResults) -> str:
    """Render the whole ``experiments.md``."""
    out = [
        heading(1, "Experiments: the training claims of sec. 5 on real data"),
        "",
        _setup(results),
        "",
        f"![Validation and training cost and accuracy per epoch]({TRAINING_FIGURE})",
        "",
        heading(2, "Runs"),
        "",
        _runs_table(results),
        "",
        heading(2, "Verdicts"),
        "",
        *_verdicts(results, anchors=True),
        "Back to the [index](README.md) or the [training page](training.md).",
    ]
    return "\n".join(out).rstrip() + "\n"


def render_training_summary(results: ExperimentResults) -> str:
    """Render the section appended to ``training.md``: each training claim's verdict."""
    out = [
        heading(2, "On real data: the digits"),
        "",
        _setup(results),
        "",
        f"![Validation and training cost and accuracy per epoch]({TRAINING_FIGURE})",
        "",
        *_verdicts(results, anchors=False),
        "Per-run numbers and every quantity behind the verdicts: [experiments](experiments.md).",
    ]
    return "\n".join(out).rstrip() + "\n"
