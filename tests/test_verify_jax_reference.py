"""The JAX reference's compile options: the fast ones this XLA build accepts, never an error."""

import jax
import pytest

import verify.checks.jax_reference as jr


def test_fast_compile_takes_the_classic_emitters_only_where_xla_knows_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jr.fast_compile.cache_clear()
    try:
        options = jr.fast_compile()
        assert options in (jr.FAST_COMPILE, {**jr.FAST_COMPILE, **jr.CLASSIC_EMITTERS})
        assert float(jax.jit(lambda t: 2 * t, compiler_options=options)(1.5)) == 3.0
        monkeypatch.setattr(jr, "CLASSIC_EMITTERS", {"xla_cpu_no_such_option": False})
        jr.fast_compile.cache_clear()
        assert jr.fast_compile() == jr.FAST_COMPILE  # an older XLA: left out, not an error
    finally:
        monkeypatch.undo()
        jr.fast_compile.cache_clear()
