"""The per-step time limit of the document checker, eq. by eq.: it must fire in ordinary code."""

import gc
import time
from types import FrameType
from typing import Any

import pytest

from derivations.document.numeric import StepTimeoutError, time_limit


def test_time_limit_fires_in_plain_code() -> None:
    with pytest.raises(StepTimeoutError), time_limit(0.05):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pass


def test_time_limit_is_not_lost_in_a_garbage_collector_callback() -> None:
    """A limit that runs out inside a gc callback (JAX registers one) is raised after it.

    An exception raised there is swallowed by Python; the step then ran on with no limit.
    """
    calls: list[FrameType | None] = []

    def slow_callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and not calls:
            calls.append(None)
            time.sleep(0.2)  # the limit runs out here

    gc.callbacks.append(slow_callback)
    try:
        start = time.monotonic()
        with pytest.raises(StepTimeoutError), time_limit(0.05):
            gc.collect()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                pass
        assert calls
        assert time.monotonic() - start < 2
    finally:
        gc.callbacks.remove(slow_callback)


def test_time_limit_is_not_lost_in_a_finaliser() -> None:
    """The same for ``__del__``, whose exceptions Python also swallows."""

    class Slow:
        def __del__(self) -> None:
            time.sleep(0.2)

    start = time.monotonic()
    with pytest.raises(StepTimeoutError), time_limit(0.05):
        Slow()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pass
    assert time.monotonic() - start < 2
