"""Where our epoch spends its time: a pyinstrument profile of ``mlp.MLP.fit`` (``--profile``)."""

from __future__ import annotations

from benchmarks.data import make_dataset
from benchmarks.optional import import_optional
from benchmarks.peers import TrainConfig, ours_epoch
from benchmarks.training import TrainingSettings

__all__ = ["profile_ours"]


def profile_ours(settings: TrainingSettings, dtype: str, threads: int, epochs: int = 5) -> str:
    """Profile ``epochs`` epochs of ours after one warm-up; flat self-time text, then the tree.

    Raises :class:`benchmarks.optional.PeerUnavailableError` if pyinstrument or mlp is missing.
    """
    pyinstrument = import_optional("pyinstrument", "Profiler")
    cfg = TrainConfig(settings.sizes, settings.batch_size, settings.learning_rate, settings.seed,
                      threads)
    data = make_dataset(settings.n, settings.sizes[0], settings.sizes[-1], settings.seed, dtype)
    epoch = ours_epoch(data, cfg).epoch
    epoch()
    profiler = pyinstrument.Profiler(interval=0.0002)
    profiler.start()
    for _ in range(epochs):
        epoch()
    profiler.stop()
    flat = profiler.output_text(flat=True, flat_time="self", show_all=True)
    tree = profiler.output_text(show_all=False, short_mode=False)
    heading = f"--- self time per function ({epochs} epochs, {dtype}) ---"
    return f"{heading}\n{flat}\n--- call tree ---\n{tree}"
