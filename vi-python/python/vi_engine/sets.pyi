from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

class Set:
    dim: Optional[int]

class Box(Set):
    lower: np.ndarray
    upper: np.ndarray
    def __init__(self, lower: npt.ArrayLike, upper: npt.ArrayLike) -> None: ...

class Orthant(Set):
    def __init__(self, n: Optional[int] = ...) -> None: ...

class Ball(Set):
    center: np.ndarray
    radius: float
    def __init__(self, center: npt.ArrayLike, radius: float) -> None: ...

class Simplex(Set):
    radius: float
    def __init__(self, n: int, radius: float = ...) -> None: ...

class Product(Set):
    parts: List[Tuple[Set, int]]
    names: List[str]
    def __init__(self, parts: Sequence[Union[Set, Tuple[Set, int]]], names: Optional[Sequence[str]] = ...) -> None: ...
    def blocks(self) -> List[Tuple[str, int, int]]: ...
