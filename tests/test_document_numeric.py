"""The document checker's numeric instances: the time limit per step, the instances of a step."""

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


def test_instances_share_the_sums_and_keep_each_index() -> None:
    """concretise works out the sums once at the sizes; each instance still has its own index."""
    import sympy as sp

    from derivations.document.context import Context
    from derivations.document.numeric import concretise

    j, k = sp.symbols("j k", integer=True)
    K = sp.Symbol("K", integer=True)
    y = sp.IndexedBase("y")
    expr = sp.Sum(sp.KroneckerDelta(j, k) * y[k] ** 2, (k, 1, K))
    out = concretise([expr], Context(sizes={"K": 3}))
    assert [fixed for _, fixed, _ in out] == [{"K": 3, "j": 1}, {"K": 3, "j": 2}, {"K": 3, "j": 3}]
    assert [str(done[0]) for done, _, _ in out] == ["y_1**2", "y_2**2", "y_3**2"]
    assert len(concretise([expr], Context(sizes={"K": 3}), limit=1)) == 1


def test_instances_of_a_sum_that_needs_its_index_first() -> None:
    """A part that cannot be worked out before its index is known is left to each instance."""
    import sympy as sp

    from derivations.document.context import Context
    from derivations.document.numeric import concretise

    class Picky(sp.Function):
        def doit(self, **hints: object) -> sp.Expr:
            if not self.args[0].is_Integer:
                raise ValueError("needs a number")
            return 10 * self.args[0]

    j = sp.Symbol("j", integer=True)
    out = concretise([Picky(j) + 1], Context())
    assert [done[0] for done, _, _ in out] == [11, 21, 31]
