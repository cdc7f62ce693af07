"""Input plumbing for gradient checks: normalise x, call f and grad_f defensively, perturb x."""

from __future__ import annotations

import collections
import contextlib
import itertools
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from verify.gradient import scratch, tree
from verify.gradient.budget import float_dtype
from verify.gradient.finite_diff import COMPLEX_STEP, Shift

__all__ = [
    "RECENT_VALUES",
    "Arrays",
    "Objective",
    "UserError",
    "evaluate_grad",
    "label",
    "normalise_x",
]

Structure = Literal["single", "list", "tuple", "tree"]
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_REAL_KINDS = "fiu"
"""dtype kinds accepted as real numbers: floating, signed and unsigned integer (not bool)."""

RECENT_VALUES = 16
""":attr:`Objective.recent` keeps this many of the last values of ``f``."""


class UserError(Exception):
    """``f`` or ``grad_f`` misbehaved (raised, wrong shape, NaN): ``ok=False``, not a crash."""


def label(
    array: int, index: tuple[int, ...] | None, single: bool, names: Sequence[str] = ()
) -> str:
    """``x[2, 0]`` for a single array, ``x[1][2, 0]`` for element ``(2, 0)`` of array 1.

    ``names``: the path of each array when x is a tree (``x["W1"][3, 0]``, ``x[1][0][2]``).
    """
    head = names[array] if names else ("x" if single else f"x[{array}]")
    if index is None:
        return head
    return head + ("[" + ", ".join(str(i) for i in index) + "]" if index else "")


@dataclass
class Arrays:
    """``x`` as a list of float arrays, remembering if it came as one array, a list or a tuple."""

    arrays: list[np.ndarray[Any, Any]]
    structure: Structure
    flat: np.ndarray[Any, Any] | None = None
    """When every array has one dtype: the C-ordered flat array they are views of."""
    abs_max: float | None = None
    """``max |x|`` over all arrays, when known."""
    node: tree.Node | None = None
    """For a tree (nested dicts, lists, tuples): its shape (:mod:`verify.gradient.tree`)."""
    names: tuple[str, ...] = ()
    """For a tree: the path of each array (``x["W1"]``); empty otherwise (``x``, ``x[k]``)."""
    floats: tuple[bool, ...] = ()
    """Which arrays came as Python floats: ``f`` and ``grad_f`` receive them as floats again."""

    @property
    def single(self) -> bool:
        """Whether ``x`` was one array."""
        return self.structure == "single"

    @property
    def total(self) -> int:
        """Number of scalar elements over all arrays."""
        return sum(a.size for a in self.arrays)

    def pack(self, arrays: Sequence[np.ndarray[Any, Any]]) -> Any:
        """``arrays`` in the caller's structure (what ``f`` and ``grad_f`` receive)."""
        if any(self.floats):
            arrays = [a.item() if py else a for a, py in zip(arrays, self.floats, strict=True)]
        if self.node is not None:
            return tree.unflatten(self.node, arrays)
        if self.structure == "single":
            return arrays[0]
        return list(arrays) if self.structure == "list" else tuple(arrays)


def normalise_x(x: Any) -> Arrays:
    """Validate ``x`` (array, list/tuple of arrays, or a tree of them; float32/float64) and copy it.

    A tree (nested dicts, lists, tuples; :mod:`verify.gradient.tree`) is flattened depth first,
    dict items in insertion order. Raises TypeError for non-float input and ValueError for
    empty or non-finite input, naming the array's path.
    """
    node: tree.Node | None = None
    names: tuple[str, ...] = ()
    items: Sequence[Any]
    structure: Structure
    if tree.is_tree(x):
        items, paths, node = tree.flatten(x)
        names, structure = tuple(paths), "tree"
    elif isinstance(x, list | tuple):
        if not x:
            raise ValueError("x must be an array or a non-empty list/tuple of arrays; got empty")
        items = x
        structure = "list" if isinstance(x, list) else "tuple"
    else:
        items, structure = [x], "single"
    given: list[np.ndarray[Any, Any]] = []
    for k, item in enumerate(items):
        name = names[k] if names else _name(k, structure)
        try:
            arr = np.asarray(item)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise TypeError(f"{name} must be an array; got {type(item).__name__}") from exc
        if arr.dtype not in _FLOAT_DTYPES:
            raise TypeError(
                f"{name} must be a float32 or float64 array; got dtype {arr.dtype} "
                f"(cast it, e.g. np.asarray({name}, dtype=np.float64))"
            )
        if arr.size == 0:
            raise ValueError(f"{name} must have at least one element; got shape {arr.shape}")
        given.append(arr)
    # The private copy, C order (flat indices are C order): one flat array when dtypes agree.
    flat: np.ndarray[Any, Any] | None = None
    if len({a.dtype for a in given}) > 1:
        arrays = [np.array(a, copy=True, order="C") for a in given]
        parts = arrays
    else:
        flat = scratch.take((sum(a.size for a in given),), given[0].dtype)
        arrays, start = [], 0
        for a in given:
            view = flat[start : start + a.size].reshape(a.shape)
            np.copyto(view, a)
            arrays.append(view)
            start += a.size
        parts = [flat]
    # max and min are NaN when an entry is NaN: finiteness and the step scale max |x| at once
    top = max(float(a.max()) for a in parts)
    bottom = min(float(a.min()) for a in parts)
    if not (math.isfinite(top) and math.isfinite(bottom)):
        scratch.give([flat])
        k = next(k for k, a in enumerate(given) if not np.isfinite(a).all())
        name = names[k] if names else _name(k, structure)
        raise ValueError(f"{name} must be finite; it contains NaN or inf")
    floats = tuple(isinstance(item, float) for item in items)
    return Arrays(
        arrays, structure, flat, max(top, -bottom), node, names, floats if any(floats) else ()
    )


def _name(k: int, structure: Structure) -> str:
    """``x`` or ``x[k]``, as the caller passed x."""
    return "x" if structure == "single" else f"x[{k}]"


def _scalar(out: Any, what: str) -> float:
    """``out`` as a Python float, or UserError saying why it is not a finite real scalar."""
    if isinstance(out, float):  # also np.float64
        return float(out)
    try:
        arr = np.asarray(out)
    except Exception as exc:
        raise UserError(f"{what} returned {type(out).__name__}, not a scalar") from exc
    if arr.size != 1:
        raise UserError(f"{what} must return a scalar; got an array of shape {arr.shape}")
    if arr.dtype.kind not in _REAL_KINDS:
        raise UserError(f"{what} must return a real scalar; got dtype {arr.dtype}")
    return float(arr.reshape(()))


class Objective:
    """``f`` evaluated at perturbed copies of ``x`` in the finite-difference dtype ``fd_dtype``.

    ``x`` is held as one C-ordered flat array ``flat`` (all arrays of x, one after the other);
    ``work[k]`` is array ``k`` as a view of it. Elements are addressed by their index in ``flat``
    (array ``k`` starts at ``offsets[k]``). ``f`` receives read-only views: an ``f`` that writes
    into its input raises instead of corrupting the point being checked.
    """

    def __init__(self, f: Callable[[Any], Any], xs: Arrays, fd_dtype: Any) -> None:
        self.f = f
        self.xs = xs
        self.fd_dtype = float_dtype(fd_dtype, name="fd_dtype")
        self.shapes = [a.shape for a in xs.arrays]
        self.sizes = [a.size for a in xs.arrays]
        self.offsets = list(itertools.accumulate(self.sizes, initial=0))
        self._buffers: dict[tuple[str, int], np.ndarray[Any, Any]] = {}
        self.total = self.offsets[-1]
        if xs.flat is not None and xs.flat.dtype == self.fd_dtype:
            self.flat = xs.flat  # the private copy itself: element checks restore what they move
            self.work = list(xs.arrays)
        else:
            self.flat = scratch.take((self.total,), self.fd_dtype)
            self._buffers[("flat", 0)] = self.flat
            self.work = self.split(self.flat)
            for w, a in zip(self.work, xs.arrays, strict=True):
                np.copyto(w, a, casting="unsafe")  # float64 -> float32 only when f needs it
        self.moved_is_x = False
        """Whether the ``perturbing()`` buffer holds x everywhere (checks of part of x need it)."""
        self.evaluations = 0
        self.recent: collections.deque[float] = collections.deque(maxlen=RECENT_VALUES)
        """The last values of ``f`` (what the precision they show is judged from)."""
        self._abs_max: float | None = None
        self._scales: dict[int, tuple[np.ndarray[Any, Any], float]] = {}
        self._abs_sums: dict[int, tuple[np.ndarray[Any, Any], float]] = {}
        self._flats: dict[str, tuple[list[np.ndarray[Any, Any]], np.ndarray[Any, Any]]] = {}
        self._views: dict[int, tuple[np.ndarray[Any, Any], list[np.ndarray[Any, Any]]]] = {}

    def split(self, flat: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]]:
        """Views of a flat array shaped like the arrays of x."""
        return [
            flat[o : o + n].reshape(shape)
            for o, n, shape in zip(self.offsets[:-1], self.sizes, self.shapes, strict=True)
        ]

    def span(self, array: int | None, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
        """``[lo, hi)`` of array ``array`` (all of x for ``None``) as a range of ``flat``."""
        if array is None:
            return 0, self.total
        start = self.offsets[array]
        return start + lo, start + (self.sizes[array] if hi is None else hi)

    def flat_of(self, key: str, arrays: Sequence[Any], dtype: Any) -> np.ndarray[Any, Any]:
        """``arrays`` (shaped like x) as one flat array of ``dtype``, cached under ``key``.

        Cached by identity of the arrays (held, so their ids cannot be reused); an array whose
        ``base`` already is such a flat array (a :class:`~verify.gradient.directional.Direction`) is
        used without a copy.
        """
        items = list(arrays)
        hit = self._flats.get(key)
        if (
            hit is not None
            and len(hit[0]) == len(items)
            and all(a is b for a, b in zip(hit[0], items, strict=True))
        ):
            return hit[1]
        base = getattr(arrays, "flat", None)
        if isinstance(base, np.ndarray) and base.dtype == np.dtype(dtype):
            out = base
        else:
            out = self.buffer(f"flat_of {key}", 0, (self.total,), dtype)
            for v, a in zip(self.split(out), items, strict=True):
                np.copyto(v, np.asarray(a), casting="unsafe")
        self._flats[key] = (items, out)
        return out

    @contextlib.contextmanager
    def perturbing(self, glo: int, ghi: int) -> Iterator[np.ndarray[Any, Any]]:
        """Flat scratch array for the perturbed points of a check of ``flat[glo:ghi]``.

        It equals x outside that range; the check writes inside it only, and it is restored to
        x there afterwards (:attr:`moved_is_x`). A check of all of x skips both copies.
        """
        buf = self.buffer("moved", 0, (self.total,), self.fd_dtype)
        if (glo, ghi) != (0, self.total) and not self.moved_is_x:
            np.copyto(buf, self.flat)
            self.moved_is_x = True
        try:
            yield buf
        finally:
            if self.moved_is_x:
                np.copyto(buf[glo:ghi], self.flat[glo:ghi])  # x again for the next partial check

    def abs_max(self) -> float:
        """``max |x|`` over every array of ``work`` (computed once: the step scale)."""
        if self._abs_max is None:
            known = self.xs.abs_max  # from the finiteness check of x (the step scale only)
            if known is None:
                known = float(max(self.flat.max(), -self.flat.min()))
            self._abs_max = known
        return self._abs_max

    def scale_of(self, a: np.ndarray[Any, Any]) -> float:
        """``max |a|`` of an array that stays unchanged during the check (e.g. a gradient).

        Cached by identity (the array is held, so its id cannot be reused) across directions.
        """
        hit = self._scales.get(id(a))
        if hit is not None and hit[0] is a:
            return hit[1]
        value = float(max(a.max(), -a.min())) if a.size else 0.0
        self._scales[id(a)] = (a, value)
        return value

    def abs_sum(self, a: np.ndarray[Any, Any]) -> float:
        """``Σ |a_i|`` of an array that stays unchanged during the check, cached by identity."""
        hit = self._abs_sums.get(id(a))
        if hit is not None and hit[0] is a:
            return hit[1]
        value = float(np.abs(a, out=self.buffer("abs", 0, a.shape, a.dtype)).sum())
        self._abs_sums[id(a)] = (a, value)
        return value

    def note_scale(self, a: np.ndarray[Any, Any], value: float) -> None:
        """Record ``max |a|`` (already computed elsewhere) for :meth:`scale_of`."""
        self._scales[id(a)] = (a, value)

    def buffer(self, name: str, k: int, shape: tuple[int, ...], dtype: Any) -> np.ndarray[Any, Any]:
        """Scratch array ``(name, k)`` of ``shape`` and ``dtype``, allocated once and reused.

        Its contents are undefined; it comes from (and :meth:`release` returns it to)
        :mod:`verify.gradient.scratch`, so that large checks do not pay the page faults of fresh
        arrays.
        """
        buf = self._buffers.get((name, k))
        if buf is None or buf.shape != shape or buf.dtype != np.dtype(dtype):
            buf = scratch.take(shape, dtype)
            self._buffers[(name, k)] = buf
        return buf

    def release(self) -> None:
        """Hand the scratch arrays back (:mod:`verify.gradient.scratch`); the objective is done."""
        scratch.give(self._buffers.values())
        self._buffers.clear()
        self._flats.clear()
        self._views.clear()
        self._abs_sums.clear()

    def _read_only(self, flat: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]]:
        """Read-only views of ``flat`` shaped like x (made once per buffer)."""
        hit = self._views.get(id(flat))
        if hit is not None and hit[0] is flat:
            return hit[1]
        views = self.split(_read_only(flat))
        self._views[id(flat)] = (flat, views)
        return views

    def value(self, flat: np.ndarray[Any, Any] | None = None) -> float:
        """Evaluate ``f`` at the flat point ``flat`` (default: x) as a float; UserError if bad."""
        self.evaluations += 1
        packed = self.xs.pack(self._read_only(self.flat if flat is None else flat))
        try:
            with np.errstate(all="ignore"):  # NaN/inf at x +- h is handled (smaller step)
                out = self.f(packed)
        except Exception as exc:
            raise UserError(f"f raised {type(exc).__name__}: {exc}") from exc
        value = _scalar(out, "f")
        self.recent.append(value)
        return value

    def element_shift(self, array: int, flat: int) -> Shift:
        """Return the line ``t -> f(x + t e_i)`` for element ``flat`` of array ``array``."""
        work = self.flat[self.offsets[array] : self.offsets[array + 1]]
        dt = self.fd_dtype.type

        def shift(t: float) -> tuple[float, float]:
            x0 = work[flat]
            xt = dt(x0 + dt(t))
            work[flat] = xt
            try:
                return float(xt) - float(x0), self.value()
            finally:
                work[flat] = x0

        return shift

    def complex_element(self, array: int, flat: int) -> float:
        """Complex-step derivative along element ``flat`` of array ``array``; UserError if not."""
        cdtype = np.dtype(np.complex128 if self.fd_dtype == np.float64 else np.complex64)
        h = COMPLEX_STEP[cdtype]
        arrays = [a.astype(cdtype) for a in self.work]
        arrays[array].reshape(-1)[flat] += 1j * h
        self.evaluations += 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                out = np.asarray(self.f(self.xs.pack(arrays)))
        except Exception as exc:
            raise UserError(f"complex step unsupported: {type(exc).__name__}") from exc
        if out.size != 1 or not np.iscomplexobj(out):
            raise UserError("complex step unsupported: f does not return a complex scalar")
        value = float(np.imag(out.reshape(()))) / h
        if not math.isfinite(value):
            raise UserError("complex step unsupported: non-finite imaginary part")
        return value


def _read_only(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """A read-only view of ``a`` (a function that writes into its input raises)."""
    view = a.view()
    view.flags.writeable = False
    return view


def evaluate_grad(
    grad_f: Callable[[Any], Any], xs: Arrays, obj: Objective | None = None
) -> list[np.ndarray[Any, Any]]:
    """Call ``grad_f(x)`` and check its structure and shapes against ``x`` (UserError if wrong).

    With ``obj``, the ``max |g|`` found by the finiteness check are kept as ``obj.scale_of(g)``.
    """
    try:
        out = grad_f(xs.pack([_read_only(a) for a in xs.arrays]))
    except Exception as exc:
        raise UserError(f"grad_f raised {type(exc).__name__}: {exc}") from exc
    if xs.node is not None:
        try:
            parts: list[Any] = tree.match(xs.node, out, "grad_f")
        except ValueError as exc:
            raise UserError(f"{exc} (grad_f must return the structure of x)") from exc
    elif xs.single:
        parts = [out]
    else:
        if not isinstance(out, list | tuple):
            raise UserError(
                f"grad_f must return a list/tuple of {len(xs.arrays)} arrays like x; "
                f"got {type(out).__name__}"
            )
        if len(out) != len(xs.arrays):
            raise UserError(
                f"grad_f returned {len(out)} arrays; x has {len(xs.arrays)} (one per array)"
            )
        parts = list(out)
    grads: list[np.ndarray[Any, Any]] = []
    for k, (g, x) in enumerate(zip(parts, xs.arrays, strict=True)):
        name = label(k, None, xs.single, xs.names)
        try:
            arr = np.asarray(g)
        except Exception as exc:
            raise UserError(f"grad_f for {name} is {type(g).__name__}, not an array") from exc
        if arr.shape != x.shape:
            hint = " (transposed?)" if arr.shape == x.shape[::-1] and arr.ndim > 1 else ""
            raise UserError(
                f"grad_f returned shape {arr.shape} for {name} of shape {x.shape}{hint}"
            )
        if arr.dtype.kind not in _REAL_KINDS:
            raise UserError(f"grad_f for {name} has dtype {arr.dtype}; expected real floats")
        grads.append(arr)
    # Per-array max and min (NaN if an entry is NaN): finiteness, and max |g| for the budgets.
    if obj is not None:  # one reduction each over the flat gradient the checks use anyway
        flat = obj.flat_of("grad", grads, np.float64)
        tops = np.maximum.reduceat(flat, obj.offsets[:-1]).tolist()
        bottoms = np.minimum.reduceat(flat, obj.offsets[:-1]).tolist()
    else:
        tops = [float(g.max()) for g in grads]
        bottoms = [float(g.min()) for g in grads]
    for k, (arr, top, bottom) in enumerate(zip(grads, tops, bottoms, strict=True)):
        if not (math.isfinite(top) and math.isfinite(bottom)):
            idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            raise UserError(
                f"grad_f is not finite at {label(k, idx, xs.single, xs.names)}: {arr[idx]}"
            )
        if obj is not None:
            obj.note_scale(arr, max(top, -bottom))
    return grads
