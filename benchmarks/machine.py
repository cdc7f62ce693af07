"""The machine a result was measured on: BLAS kernel and threads (threadpoolctl), versions."""

from __future__ import annotations

import importlib
import os
import platform
import re
import sys
from importlib import metadata
from typing import Any

__all__ = ["ENV_VARS", "ThreadLimit", "blas_threads", "machine_info", "machine_summary"]

ENV_VARS: tuple[str, ...] = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "XLA_FLAGS",
)
"""Environment variables that change which kernels run or how many threads they use."""

_PACKAGES: tuple[str, ...] = ("numpy", "scikit-learn", "torch", "jax", "jaxlib", "threadpoolctl")


def _threadpool_info() -> list[dict[str, Any]]:
    """List (via threadpoolctl) the loaded BLAS/OpenMP libraries (empty if it is missing)."""
    importlib.import_module("numpy")  # only loaded libraries are listed: load NumPy's BLAS
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        return []
    info: list[dict[str, Any]] = threadpoolctl.threadpool_info()
    return info


def _numpy_blas(info: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Pick the BLAS entry that NumPy itself loaded (NumPy wheels bundle ``scipy_openblas64_``)."""
    import numpy as np

    numpy_dir = os.path.dirname(os.path.dirname(np.__file__))  # noqa: PTH120
    blas = [lib for lib in info if lib.get("user_api") == "blas"]
    for lib in blas:
        if str(lib.get("filepath", "")).startswith(os.path.join(numpy_dir, "numpy")):  # noqa: PTH118
            return lib
    return blas[0] if blas else None


def blas_threads() -> int:
    """Threads NumPy's BLAS uses (the count every peer is given); CPU count if unknown."""
    lib = _numpy_blas(_threadpool_info())
    if lib is not None and isinstance(lib.get("num_threads"), int):
        return int(lib["num_threads"])
    return os.cpu_count() or 1


class ThreadLimit:
    """``n`` threads for every peer: CPU affinity, NumPy's BLAS pool and XLA's flags.

    The process is pinned to ``n`` of its CPUs (``os.sched_setaffinity``; threads started later,
    such as XLA's and PyTorch's pools, inherit it: the only limit JAX reliably obeys), NumPy's
    BLAS gets ``n`` threads (threadpoolctl) and, if JAX is not imported yet, XLA_FLAGS asks for
    ``n`` intra-op threads. PyTorch is given ``n`` by its builder. :meth:`restore` undoes the
    affinity of the calling thread and the BLAS limit (pools already started stay pinned).
    """

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        self.n = n
        self._affinity: set[int] | None = None
        if hasattr(os, "sched_setaffinity"):
            self._affinity = set(os.sched_getaffinity(0))
            os.sched_setaffinity(0, sorted(self._affinity)[:n])
        if "jax" not in sys.modules:
            flags = "--xla_cpu_multi_thread_eigen=false" if n == 1 else ""
            flags = f"{flags} intra_op_parallelism_threads={n}".strip()
            os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flags}".strip()
        importlib.import_module("numpy")
        threadpoolctl = importlib.import_module("threadpoolctl")
        self._limiter = threadpoolctl.threadpool_limits(limits=n, user_api="blas")

    def restore(self) -> None:
        """Give the calling thread its CPUs back and NumPy's BLAS its thread count."""
        self._limiter.restore_original_limits()
        if self._affinity is not None:
            os.sched_setaffinity(0, self._affinity)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _peer_info() -> dict[str, Any]:
    """BLAS and threads of the peers already imported (PyTorch, JAX); never imports them."""
    peers: dict[str, Any] = {}
    torch = sys.modules.get("torch")
    if torch is not None:
        config = str(torch.__config__.show())
        blas = re.search(r"BLAS_INFO=([^,\s]+)", config)
        peers["torch"] = {
            "blas": blas.group(1) if blas else None,
            "num_threads": int(torch.get_num_threads()),
        }
    jax = sys.modules.get("jax")
    if jax is not None:
        device = jax.devices()[0]
        peers["jax"] = {"backend": str(jax.default_backend()),
                        "device": str(getattr(device, "device_kind", device))}
    return peers


def machine_info() -> dict[str, Any]:
    """JSON-serialisable description of the machine, its BLAS and the relevant environment."""
    info = _threadpool_info()
    numpy_blas = _numpy_blas(info)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "numpy_blas": None
        if numpy_blas is None
        else {
            key: numpy_blas.get(key)
            for key in ("internal_api", "version", "architecture", "num_threads", "prefix")
        },
        "threadpools": [
            {
                key: lib.get(key)
                for key in ("user_api", "internal_api", "prefix", "version", "architecture",
                            "num_threads")
            }
            for lib in info
        ],
        "peers": _peer_info(),
        "env": {name: os.environ.get(name) for name in ENV_VARS},
        "versions": {name: _version(name) for name in _PACKAGES},
    }


def machine_summary(info: dict[str, Any]) -> str:
    """One Markdown paragraph: CPUs, NumPy's BLAS kernel and threads, the OpenBLAS variables."""
    blas = info.get("numpy_blas") or {}
    env = info.get("env", {})
    env_text = ", ".join(f"{k}={v}" for k, v in env.items() if v is not None) or "none set"
    peers = info.get("peers", {})
    torch = peers.get("torch")
    peer_text = "" if torch is None else (
        f" PyTorch BLAS: {torch.get('blas')}, {torch.get('num_threads')} threads."
    )
    return (
        f"Machine: {info.get('cpu_count')} CPUs ({info.get('processor')}), Python "
        f"{info.get('python')}; NumPy BLAS: {blas.get('internal_api', 'unknown')} "
        f"{blas.get('version', '')} kernel `{blas.get('architecture', 'unknown')}`, "
        f"{blas.get('num_threads', '?')} threads; environment: {env_text}.{peer_text}"
    )
