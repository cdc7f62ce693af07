"""Learning-rate schedules, sec. 5.1: constant and the linear decay of eq. (23)."""

from __future__ import annotations

__all__ = ["SCHEDULES", "constant", "learning_rate", "linear"]

SCHEDULES: frozenset[str] = frozenset({"constant", "linear"})
"""Schedule names."""


def constant(eta0: float, epoch: int, n_epochs: int) -> float:
    """Constant learning rate ``η = η_0`` (sec. 5.1)."""
    del epoch, n_epochs
    return eta0


def linear(eta0: float, epoch: int, n_epochs: int) -> float:
    """Eq. (23): ``η(i) = η_0 (1 - i / (1 + N_epochs))`` for epochs ``i = 1..N_epochs``.

    Decreases linearly; the last epoch uses ``η_0 / (1 + N_epochs)`` > 0, never 0.
    """
    return eta0 * (1.0 - epoch / (1.0 + n_epochs))


def learning_rate(schedule: str, eta0: float, epoch: int, n_epochs: int) -> float:
    """Return η for epoch ``epoch`` (1-based) of ``n_epochs`` under ``schedule``."""
    if schedule == "constant":
        return constant(eta0, epoch, n_epochs)
    if schedule == "linear":
        return linear(eta0, epoch, n_epochs)
    raise ValueError(f"schedule: expected one of {sorted(SCHEDULES)}, got {schedule!r}")
