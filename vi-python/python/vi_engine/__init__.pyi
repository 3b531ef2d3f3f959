from os import PathLike
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from .sets import Ball as Ball, Box as Box, Orthant as Orthant, Product as Product, Set as Set, Simplex as Simplex

__version__: str
STATUSES: Tuple[str, ...]

ArrayLike = npt.ArrayLike
Params = Optional[Dict[str, Any]]

def problems() -> List[Dict[str, Any]]: ...
def solvers() -> List[Dict[str, Any]]: ...

class Problem:
    F: Callable[[np.ndarray], Any]
    jvp: Optional[Callable[[np.ndarray, np.ndarray], Any]]
    start: np.ndarray
    set: Optional[Set]
    name: str
    lipschitz: Optional[float]
    mu: Optional[float]
    solution: Optional[np.ndarray]
    def __init__(
        self,
        F: Callable[[np.ndarray], Any],
        start: ArrayLike,
        set: Optional[Set] = ...,
        name: Optional[str] = ...,
        lipschitz: Optional[float] = ...,
        mu: Optional[float] = ...,
        solution: Optional[ArrayLike] = ...,
        jvp: Optional[Callable[[np.ndarray, np.ndarray], Any]] = ...,
        blocks: Optional[Sequence[Tuple[str, int]]] = ...,
    ) -> None: ...
    @property
    def dim(self) -> int: ...

class Report:
    problem: str
    solver: str
    params: Dict[str, Any]
    seed: int
    status: str
    message: Optional[str]
    iterations: int
    oracle_calls: int
    projections: int
    residual: float
    distance_to_solution: Optional[float]
    metrics: Dict[str, float]
    elapsed_s: float
    step_size: Optional[float]
    residual_avg: float
    z: np.ndarray
    z_avg: np.ndarray
    trace: np.ndarray
    def to_dict(self) -> Dict[str, Any]: ...

def run(
    problem: Union[str, Problem],
    solver: str,
    problem_params: Params = ...,
    solver_params: Params = ...,
    tol: Optional[float] = ...,
    max_iters: Optional[int] = ...,
    max_calls: Optional[int] = ...,
    time_limit: Optional[float] = ...,
    seed: int = ...,
    check_every: Optional[int] = ...,
    trace_every: Optional[int] = ...,
    problem_defaults: bool = ...,
) -> Report: ...
def diagnose(
    problem: Union[str, Problem],
    at: Union[str, ArrayLike] = ...,
    problem_params: Params = ...,
    solver_params: Params = ...,
    solvers: Optional[Sequence[str]] = ...,
    measure_iters: int = ...,
    offset: float = ...,
    dense_max: int = ...,
    krylov: int = ...,
    seed: int = ...,
    bounds: int = ...,
    radius: float = ...,
) -> Dict[str, Any]: ...
def suite(
    spec: Union[str, PathLike[str], Dict[str, Any]],
    out: Union[str, PathLike[str]],
    jobs: Optional[int] = ...,
    shard: Optional[str] = ...,
    resume: bool = ...,
) -> Dict[str, Any]: ...
def read_results(dir: Union[str, PathLike[str]]) -> Any: ...
