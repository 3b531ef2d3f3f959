"""Constraint sets: ``Box``, ``Orthant``, ``Ball``, ``Simplex`` and ``Product``.

Each maps to the vi-core set of the same meaning (``BoxSet``, ``NonnegativeOrthant``, ``Ball``,
``Simplex``, ``Product``) with its exact in-place projection in Rust. A set whose dimension is
not fixed by its arguments (``Box(0.0, 1.0)``, ``Orthant()``) takes the dimension of the
problem's start, or the size given next to it in a ``Product``.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np


def _vector(value: Any, what: str, n: Optional[int] = None, allow_inf: bool = False) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what}: expected numbers, got {value!r} ({e})") from None
    if a.ndim == 0 and n is not None:
        a = np.full(n, float(a))
    if a.ndim != 1:
        raise ValueError(f"{what}: expected a 1-D array, got shape {a.shape}")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"{what}: expected length {n}, got {a.shape[0]}")
    bad = np.isnan(a) if allow_inf else ~np.isfinite(a)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{what}: non-finite value {a[i]} at index {i}")
    return a


def _dim(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what}: expected an integer >= 1, got {n!r}")
    return int(n)


class Set:
    """Base class of the constraint sets. ``dim`` is ``None`` when the set adapts to the problem."""

    dim: Optional[int] = None

    def _spec(self, n: int) -> Dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _resolve(self, n: Optional[int], what: str) -> Dict[str, Any]:
        if self.dim is not None:
            if n is not None and n != self.dim:
                raise ValueError(f"{what}: {self!r} has dimension {self.dim}, the problem has {n}")
            n = self.dim
        if n is None:
            raise ValueError(f"{what}: {self!r} needs a dimension (give arrays or a size)")
        return self._spec(n)


class Box(Set):
    """The box ``{lower <= z <= upper}``. Bounds are arrays or scalars; ``-inf``/``inf`` allowed."""

    def __init__(self, lower: Any, upper: Any) -> None:
        bounds = []
        for name, b in (("lower", lower), ("upper", upper)):
            try:
                a = np.asarray(b, dtype=np.float64)
            except (TypeError, ValueError) as e:
                raise ValueError(f"Box {name}: expected numbers, got {b!r} ({e})") from None
            if a.ndim > 1:
                raise ValueError(f"Box {name}: expected a scalar or a 1-D array, got shape {a.shape}")
            if np.isnan(a).any():
                raise ValueError(f"Box {name}: NaN bound")
            bounds.append(a)
        lo, hi = bounds
        sizes = {a.shape[0] for a in bounds if a.ndim == 1}
        if len(sizes) > 1:
            raise ValueError(f"Box upper: expected length {lo.shape[0]}, got {hi.shape[0]}")
        self.dim = sizes.pop() if sizes else None
        self.lower, self.upper = lo, hi
        lo_b = np.broadcast_to(lo, (self.dim or 1,))
        hi_b = np.broadcast_to(hi, (self.dim or 1,))
        bad = (lo_b > hi_b) | (lo_b == math.inf) | (hi_b == -math.inf)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"Box: lower bound {lo_b[i]} > upper bound {hi_b[i]} at coordinate {i}")

    def _spec(self, n: int) -> Dict[str, Any]:
        return {
            "kind": "box",
            "lower": np.broadcast_to(self.lower, (n,)).tolist(),
            "upper": np.broadcast_to(self.upper, (n,)).tolist(),
        }

    def __repr__(self) -> str:
        return f"Box(dim={self.dim})" if self.dim is not None else f"Box({float(self.lower)}, {float(self.upper)})"


class Orthant(Set):
    """The nonnegative orthant ``{z >= 0}`` of dimension ``n`` (``None``: the problem's)."""

    def __init__(self, n: Optional[int] = None) -> None:
        self.dim = None if n is None else _dim(n, "Orthant n")

    def _spec(self, n: int) -> Dict[str, Any]:
        return {"kind": "orthant", "n": n}

    def __repr__(self) -> str:
        return f"Orthant({self.dim})"


class Ball(Set):
    """The Euclidean ball ``{||z - center|| <= radius}``."""

    def __init__(self, center: Any, radius: float) -> None:
        self.center = _vector(center, "Ball center")
        r = float(radius)
        if not (math.isfinite(r) and r >= 0.0):
            raise ValueError(f"Ball radius: must be finite and >= 0, got {radius!r}")
        self.radius = r
        self.dim = self.center.shape[0]

    def _spec(self, n: int) -> Dict[str, Any]:
        return {"kind": "ball", "center": self.center.tolist(), "radius": self.radius}

    def __repr__(self) -> str:
        return f"Ball(dim={self.dim}, radius={self.radius})"


class Simplex(Set):
    """The scaled simplex ``{z >= 0, sum(z) = radius}`` of dimension ``n``."""

    def __init__(self, n: int, radius: float = 1.0) -> None:
        self.dim = _dim(n, "Simplex n")
        r = float(radius)
        if not (math.isfinite(r) and r > 0.0):
            raise ValueError(f"Simplex radius: must be finite and > 0, got {radius!r}")
        self.radius = r

    def _spec(self, n: int) -> Dict[str, Any]:
        return {"kind": "simplex", "n": n, "radius": self.radius}

    def __repr__(self) -> str:
        return f"Simplex({self.dim}, radius={self.radius})"


class Product(Set):
    """The Cartesian product of sets over consecutive blocks, one per player.

    ``parts`` lists sets or ``(set, size)`` pairs (the size is needed for sets that adapt, e.g.
    ``(Box(-1, 1), 3)``). A problem whose set is a product gets one block per part, named
    ``names[i]`` (default ``"p0"``, ``"p1"``, ...), which alternating methods use as players.
    """

    def __init__(self, parts: Sequence[Union[Set, Tuple[Set, int]]], names: Optional[Sequence[str]] = None) -> None:
        self.parts: List[Tuple[Set, int]] = []
        for i, p in enumerate(parts):
            if isinstance(p, tuple):
                if len(p) != 2 or not isinstance(p[0], Set):
                    raise ValueError(f"Product part {i}: expected a set or a (set, size) pair, got {p!r}")
                s, size = p[0], _dim(p[1], f"Product part {i} size")
                if s.dim is not None and s.dim != size:
                    raise ValueError(f"Product part {i}: {s!r} has dimension {s.dim}, not {size}")
            elif isinstance(p, Set):
                if p.dim is None:
                    raise ValueError(f"Product part {i}: {p!r} needs a size: pass ({p!r}, size)")
                s, size = p, p.dim
            else:
                raise ValueError(f"Product part {i}: expected a set or a (set, size) pair, got {p!r}")
            self.parts.append((s, size))
        if not self.parts:
            raise ValueError("Product: needs at least one part")
        self.names = list(names) if names is not None else [f"p{i}" for i in range(len(self.parts))]
        if len(self.names) != len(self.parts):
            raise ValueError(f"Product names: expected {len(self.parts)} names, got {len(self.names)}")
        self.dim = sum(size for _, size in self.parts)

    def blocks(self) -> List[Tuple[str, int, int]]:
        """The players as ``(name, start, end)`` index ranges."""
        out, start = [], 0
        for name, (_, size) in zip(self.names, self.parts):
            out.append((name, start, start + size))
            start += size
        return out

    def _spec(self, n: int) -> Dict[str, Any]:
        return {"kind": "product", "parts": [s._resolve(size, "Product part") for s, size in self.parts]}

    def __repr__(self) -> str:
        return "Product([" + ", ".join(f"({s!r}, {k})" for s, k in self.parts) + "])"
