"""vi_engine: variational inequalities, saddle points and games, solved by a Rust engine.

Find ``z*`` in a closed convex set ``C`` with ``<F(z*), z - z*> >= 0`` for all ``z`` in ``C``.
Built-in problems run at native speed with the GIL released; your own operator ``F`` (NumPy,
JAX, PyTorch wrapped for NumPy) runs through ``Problem``, with the built-in solvers, sets,
budgets, statuses, the comparative harness (``suite``) and Jacobian diagnostics (``diagnose``).

>>> import numpy as np, vi_engine as vi
>>> p = vi.Problem(lambda z: z - 1.0, start=np.zeros(3), lipschitz=1.0, mu=1.0)
>>> r = vi.run(p, "extragradient", tol=1e-10)
>>> r.status, bool(np.allclose(r.z, 1.0))
('Converged', True)
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _native
from .sets import Ball, Box, Orthant, Product, Set, Simplex

__all__ = [
    "Ball",
    "Box",
    "Orthant",
    "Problem",
    "Product",
    "Report",
    "Set",
    "Simplex",
    "diagnose",
    "problems",
    "read_results",
    "run",
    "solvers",
    "suite",
]

__version__ = "0.1.0"

STATUSES = ("Converged", "MaxIterations", "OracleBudget", "TimeLimit", "Diverged", "NumericalError", "Stopped")


def _registry() -> Dict[str, Any]:
    return json.loads(_native.registry_json())


def problems() -> List[Dict[str, Any]]:
    """The registered problems: ``[{"name", "summary", "params": [{"name", "default", "doc"}]}]``.

    Every problem also accepts ``start`` (an array), as in ``vi-bench list problems``.
    """
    return _registry()["problems"]


def solvers() -> List[Dict[str, Any]]:
    """The registered solvers: ``[{"name", "summary", "params": [{"name", "default", "doc"}]}]``."""
    return _registry()["solvers"]


def _jsonable(value: Any, what: str) -> Any:
    """Plain JSON values from NumPy scalars and arrays; non-finite numbers are refused."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v, f"{what}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, what) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist(), what)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what}: non-finite value {value}")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"{what}: cannot pass {type(value).__name__} {value!r} (numbers, strings, lists, dicts)")


def _params(value: Optional[Dict[str, Any]], what: str) -> str:
    if value is None:
        return "{}"
    if not isinstance(value, dict):
        raise ValueError(f"{what}: expected a dict of parameter overrides, got {type(value).__name__}")
    return json.dumps(_jsonable(value, what))


def _float_vector(value: Any, what: str, n: Optional[int] = None) -> np.ndarray:
    try:
        a = np.asarray(value)
    except Exception as e:  # noqa: BLE001 - anything that is not array-like
        raise ValueError(f"{what}: expected a 1-D float array, got {type(value).__name__} ({e})") from None
    if a.dtype == object or not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{what}: expected a 1-D float array, got dtype {a.dtype}")
    a = np.ascontiguousarray(a, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{what}: expected a 1-D array, got shape {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{what}: empty array")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"{what}: expected shape ({n},), got {a.shape}")
    bad = ~np.isfinite(a)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{what}: non-finite value {a[i]} at index {i}")
    return a


def _opt_number(value: Any, what: str, positive: bool = False) -> Optional[float]:
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: expected a number, got {value!r}") from None
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        raise ValueError(f"{what}: expected a finite number {'> 0' if positive else '>= 0'}, got {value!r}")
    return x


class Problem:
    """A variational inequality ``VI(C, F)`` with a Python operator.

    Parameters
    ----------
    F : callable
        ``F(z) -> array``: a float64 array of shape ``(n,)`` in, an array of the same shape out
        (anything ``numpy.asarray`` turns into one: a JAX or torch array, a list). ``z`` is a
        fresh array for every call.
    start : array of shape (n,)
        The starting point (finite); a run begins at its projection onto ``set``.
    set : Set, optional
        The constraint set (``Box``, ``Orthant``, ``Ball``, ``Simplex``, ``Product``); the whole
        space when omitted.
    name : str, optional
        The name in reports and suite results (default ``"python"``). Problems in one suite need
        distinct names.
    lipschitz : float, optional
        A Lipschitz constant of ``F`` (for ``step="auto"``; estimated locally when omitted).
    mu : float, optional
        A strong-monotonicity modulus (``0`` declares a monotone operator).
    solution : array, optional
        A known solution: reports then give ``distance_to_solution``.
    jvp : callable, optional
        ``jvp(z, v) -> J(z) v`` for ``diagnose`` (central finite differences otherwise).
    blocks : list of (name, size), optional
        The players, consecutive; by default one per part of a ``Product`` set.

    An exception raised by ``F`` ends the run and is re-raised by ``run`` with its type and
    message. ``Ctrl-C`` ends the run with status ``Stopped``.
    """

    def __init__(
        self,
        F: Callable[[np.ndarray], Any],
        start: Any,
        set: Optional[Set] = None,  # noqa: A002 - the contract's name
        name: Optional[str] = None,
        lipschitz: Optional[float] = None,
        mu: Optional[float] = None,
        solution: Any = None,
        jvp: Optional[Callable[[np.ndarray, np.ndarray], Any]] = None,
        blocks: Optional[Sequence[Any]] = None,
    ) -> None:
        if not callable(F):
            raise ValueError(f"F: expected a callable, got {type(F).__name__}")
        if jvp is not None and not callable(jvp):
            raise ValueError(f"jvp: expected a callable, got {type(jvp).__name__}")
        self.start = _float_vector(start, "start")
        n = self.start.shape[0]
        if set is not None and not isinstance(set, Set):
            raise ValueError(f"set: expected a vi_engine set (Box, Orthant, Ball, Simplex, Product), got {set!r}")
        self.set = set
        spec = set._resolve(n, "set") if set is not None else None
        self.name = "python" if name is None else str(name)
        if not self.name:
            raise ValueError("name: must not be empty")
        self.lipschitz = _opt_number(lipschitz, "lipschitz", positive=True)
        self.mu = _opt_number(mu, "mu")
        self.solution = None if solution is None else _float_vector(solution, "solution", n)
        if blocks is None:
            spans = set.blocks() if isinstance(set, Product) else []
        else:
            spans, at = [], 0
            for b in blocks:
                if not (isinstance(b, (tuple, list)) and len(b) == 2):
                    raise ValueError(f"blocks: expected (name, size) pairs, got {b!r}")
                size = int(b[1])
                if size < 1:
                    raise ValueError(f"blocks: size of {b[0]!r} must be >= 1")
                spans.append((str(b[0]), at, at + size))
                at += size
            if at != n:
                raise ValueError(f"blocks: sizes add up to {at}, the problem has dimension {n}")
        self.F = F
        self.jvp = jvp
        self._native = _native.NativeProblem(
            self.name, F, self.start.tolist(), spec, spans, self.lipschitz, self.mu,
            None if self.solution is None else self.solution.tolist(), jvp,
        )

    @property
    def dim(self) -> int:
        """The dimension ``n``."""
        return int(self.start.shape[0])

    def __repr__(self) -> str:
        return f"Problem({self.name!r}, dim={self.dim}, set={self._native.set_description})"


_TRACE_FIELDS = ("iteration", "oracle_calls", "projections", "residual", "distance_to_solution", "elapsed_s")


def _trace_array(points: List[Dict[str, Any]]) -> np.ndarray:
    metrics = sorted({k for p in points for k in p.get("metrics", {})})
    dtype = [(f, np.int64 if f in ("iteration", "oracle_calls", "projections") else np.float64) for f in _TRACE_FIELDS]
    dtype += [(m, np.float64) for m in metrics if m not in _TRACE_FIELDS]
    zdim = len(points[0]["z"]) if points and points[0].get("z") is not None else 0
    if zdim:
        dtype.append(("z", np.float64, (zdim,)))
    out = np.zeros(len(points), dtype=dtype)
    for i, p in enumerate(points):
        for f in _TRACE_FIELDS:
            v = p.get(f)
            out[f][i] = np.nan if v is None else v
        for m in metrics:
            if m not in _TRACE_FIELDS:
                v = p.get("metrics", {}).get(m)
                out[m][i] = np.nan if v is None else v
        if zdim:
            out["z"][i] = p["z"]
    return out


class Report:
    """The outcome of one run (what ``vi-bench run --json`` prints).

    Attributes: ``status`` (one of ``Converged``, ``MaxIterations``, ``OracleBudget``,
    ``TimeLimit``, ``Diverged``, ``NumericalError``, ``Stopped``), ``message``, ``iterations``,
    ``oracle_calls``, ``projections``, ``residual`` (the natural residual
    ``||z - P_C(z - F(z))||``), ``distance_to_solution`` (``None`` if unknown), ``metrics``,
    ``elapsed_s``, ``step_size``, ``z`` and ``z_avg`` (NumPy arrays: the final iterate and the
    ergodic average), ``residual_avg`` and ``trace`` (a NumPy structured array with fields
    ``iteration``, ``oracle_calls``, ``projections``, ``residual``, ``distance_to_solution``,
    ``elapsed_s``, one per metric and, for problems of dimension <= 4, ``z``; empty unless
    ``trace_every > 0``).
    """

    def __init__(self, data: Dict[str, Any], trace: List[Dict[str, Any]]) -> None:
        self._data = data
        self.problem: str = data["problem"]
        self.solver: str = data["solver"]
        self.params: Dict[str, Any] = data["params"]
        self.seed: int = data["seed"]
        self.status: str = data["status"]
        self.message: Optional[str] = data.get("message")
        self.iterations: int = data["iterations"]
        self.oracle_calls: int = data["oracle_calls"]
        self.projections: int = data["projections"]
        self.residual: float = math.nan if data["residual"] is None else data["residual"]
        self.distance_to_solution: Optional[float] = data["distance_to_solution"]
        self.metrics: Dict[str, float] = dict(data["metrics"])
        self.elapsed_s: float = data["elapsed_s"]
        self.step_size: Optional[float] = data.get("step_size")
        self.residual_avg: float = math.nan if data["residual_avg"] is None else data["residual_avg"]
        self.z: np.ndarray = np.asarray(data["z"], dtype=np.float64)
        self.z_avg: np.ndarray = np.asarray(data["z_avg"], dtype=np.float64)
        self.trace: np.ndarray = _trace_array(trace)

    def to_dict(self) -> Dict[str, Any]:
        """The report as a dict with exactly the fields of ``vi-bench run --json``."""
        return json.loads(json.dumps(self._data))

    def __repr__(self) -> str:
        return (
            f"Report({self.solver} on {self.problem}: {self.status}, {self.iterations} iterations, "
            f"{self.oracle_calls} oracle calls, residual {self.residual:.3e})"
        )


def _count(v: Any, what: str, minimum: int = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"{what}: expected an integer >= {minimum}, got {v!r}")
    return int(v)


def _config(tol, max_iters, max_calls, time_limit, check_every, trace_every) -> str:
    # Only the rules given: the others come from the problem's run defaults or the engine's.
    cfg = {
        "tol": _opt_number(tol, "tol"),
        "max_iters": None if max_iters is None else _count(max_iters, "max_iters"),
        "max_calls": None if max_calls is None else _count(max_calls, "max_calls"),
        "time_limit": _opt_number(time_limit, "time_limit", positive=True),
        "check_every": None if check_every is None else _count(check_every, "check_every", 1),
        "trace_every": None if trace_every is None else _count(trace_every, "trace_every"),
    }
    return json.dumps({k: v for k, v in cfg.items() if v is not None})


def _seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, got {seed!r}")
    return int(seed)


def run(
    problem: Union[str, Problem],
    solver: str,
    problem_params: Optional[Dict[str, Any]] = None,
    solver_params: Optional[Dict[str, Any]] = None,
    tol: Optional[float] = None,
    max_iters: Optional[int] = None,
    max_calls: Optional[int] = None,
    time_limit: Optional[float] = None,
    seed: int = 0,
    check_every: Optional[int] = None,
    trace_every: Optional[int] = None,
    problem_defaults: bool = True,
) -> Report:
    """Runs ``solver`` on ``problem`` (a registered name or a ``Problem``) and returns a ``Report``.

    A registered problem runs exactly as ``vi-bench run --problem NAME --solver NAME --set ...``
    would (same numbers, bit for bit), with the GIL released. The stopping rules are those of
    ``vi-bench run``: ``tol`` on the natural residual, ``max_iters``, ``max_calls`` (oracle
    calls), ``time_limit`` (seconds); the residual is checked every ``check_every`` iterations
    and a trace point kept every ``trace_every`` (0: none). A rule left at ``None`` takes the
    registered problem's run default if it declares one (``problems()`` lists them under
    ``run_defaults``; e.g. ``gan-mixture`` trains 64 000 iterations with Adam settings for the
    solvers that take them), else the engine's (``tol=1e-8``, ``max_iters=100000``,
    ``check_every=1``, ``trace_every=0``). ``problem_defaults=False`` ignores the problem's.

    Raises ``ValueError`` for bad names, parameters, shapes or values (the message names the
    culprit and the valid choices), and re-raises an exception raised by a Python ``F``.
    ``Ctrl-C`` ends the run early with status ``Stopped``.
    """
    if not isinstance(solver, str):
        raise ValueError(f"solver: expected a registered name, got {solver!r}")
    cfg = _config(tol, max_iters, max_calls, time_limit, check_every, trace_every)
    seed = _seed(seed)
    if isinstance(problem, Problem):
        if problem_params:
            raise ValueError("problem_params: only for registered problems (a Problem carries its own data)")
        text, trace = _native.run_python(problem._native, solver, _params(solver_params, "solver_params"), cfg, seed)
    elif isinstance(problem, str):
        text, trace = _native.run_registered(
            problem, solver, _params(problem_params, "problem_params"), _params(solver_params, "solver_params"),
            cfg, seed, bool(problem_defaults),
        )
    else:
        raise ValueError(f"problem: expected a registered name or a vi_engine.Problem, got {type(problem).__name__}")
    return Report(json.loads(text), json.loads(trace))


def diagnose(
    problem: Union[str, Problem],
    at: Union[str, Any] = "start",
    problem_params: Optional[Dict[str, Any]] = None,
    solver_params: Optional[Dict[str, Any]] = None,
    solvers: Optional[Sequence[str]] = None,
    measure_iters: int = 500,
    offset: float = 1e-3,
    dense_max: int = 1000,
    krylov: int = 60,
    seed: int = 0,
    bounds: int = 0,
    radius: float = 0.5,
) -> Dict[str, Any]:
    """Jacobian diagnostics at a point: the dict of ``vi-bench diagnose --json``.

    ``at`` is ``"start"``, ``"solution"`` (the known solution) or an array. Fields: ``point``,
    ``residual``, ``eigenvalues`` (``[re, im]`` pairs), ``mu``, ``lipschitz``, ``phase_factor``,
    ``conditioning_factor``, ``singular_condition``, ``bounds`` (the bounds on ``mu`` and ``L``
    the operator states at the point, with their terms), ``bound_check``, ``predictions`` (per
    solver: the step, the stable range, the predicted and the measured rate) and ``notes``.
    Infinite values are ``None``, as in the JSON.

    ``measure_iters`` (>= 0) iterations of each measuring run from the point offset by
    ``offset`` (relative, > 0); dense decompositions up to ``dense_max`` coordinates, else
    ``krylov`` (>= 1) Arnoldi steps; ``bounds = N`` checks the stated bounds at ``N`` seeded
    points drawn from the ball of radius ``radius`` around the point (``bound_check``).
    """
    seed = _seed(seed)
    measure_iters, dense_max = _count(measure_iters, "measure_iters"), _count(dense_max, "dense_max")
    krylov, bounds = _count(krylov, "krylov", 1), _count(bounds, "bounds")
    offset = _opt_number(offset, "offset", positive=True)
    radius = _opt_number(radius, "radius", positive=True)
    if offset is None or radius is None:
        raise ValueError("offset and radius: expected finite numbers > 0, got None")
    if isinstance(problem, Problem):
        if problem_params:
            raise ValueError("problem_params: only for registered problems")
        target: Any = problem._native
        n: Optional[int] = problem.dim
    elif isinstance(problem, str):
        target, n = problem, None
    else:
        raise ValueError(f"problem: expected a registered name or a vi_engine.Problem, got {type(problem).__name__}")
    names = [] if solvers is None else list(solvers)
    for s in names:
        if not isinstance(s, str):
            raise ValueError(f"solvers: expected names, got {s!r}")
    tmp = None
    try:
        if isinstance(at, str):
            if at not in ("start", "solution"):
                raise ValueError(f"at: expected 'start', 'solution' or an array, got {at!r}")
            where = at
        else:
            point = _float_vector(at, "at", n)
            fd, tmp = tempfile.mkstemp(suffix=".json", prefix="vi-engine-at-")
            with os.fdopen(fd, "w") as f:
                json.dump(point.tolist(), f)
            where = tmp
        text = _native.diagnose(
            target, _params(problem_params, "problem_params"), _params(solver_params, "solver_params"), where,
            names, measure_iters, offset, dense_max, krylov, seed, bounds, radius,
        )
    finally:
        if tmp is not None:
            os.unlink(tmp)
    d = json.loads(text)
    if tmp is not None:
        d["at"] = "array"
    return d


def _suite_entry(e: Any, python: Dict[str, Problem], i: int) -> Dict[str, Any]:
    if isinstance(e, Problem):
        e = {"name": e}
    if not isinstance(e, dict):
        raise ValueError(f"spec['problems'][{i}]: expected a dict or a Problem, got {type(e).__name__}")
    e = dict(e)
    p = e.get("name")
    if isinstance(p, Problem):
        other = python.get(p.name)
        if other is not None and other is not p:
            raise ValueError(f"spec['problems'][{i}]: two different Python problems named {p.name!r}; give each a distinct name=")
        python[p.name] = p
        if e.get("params") or e.get("grid"):
            raise ValueError(f"spec['problems'][{i}]: a Python problem takes no params or grid")
        e["name"] = "python"
        e["params"] = {"problem": p.name}
    return e


def suite(
    spec: Union[str, os.PathLike, Dict[str, Any]],
    out: Union[str, os.PathLike],
    jobs: Optional[int] = None,
    shard: Optional[str] = None,
    resume: bool = False,
) -> Dict[str, Any]:
    """Runs the comparative harness of ``vi-bench suite`` and returns what it did.

    ``spec`` is a path to a suite TOML file or a dict of the same shape (``name``, ``seeds``,
    ``budget``, ``skip_invalid``, ``problems``, ``solvers``); a problem entry may be a
    ``Problem`` or ``{"name": Problem, "seeds": [...], "budget": {...}}``. Its runs are recorded
    under ``problem = "python"`` with the label ``python(problem=NAME)``.

    Outputs in ``out``: ``results.jsonl`` (one line per run: the fields of ``run().to_dict()``
    plus ``case_id``, labels and a compact trace), ``summary.md`` and ``figures/``. A problem
    and solver that read no seed (a Python problem never does) run once, with the first seed,
    and their records say ``uses_seed = False``.
    A dict may also give ``problem_defaults`` (``False``: ignore the problems' declared run
    defaults) and ``diagnose`` (``"start"`` or ``"solution"``: the Jacobian's spectral summary in
    every record; a problem entry may override it).
    ``jobs`` runs in parallel (default: all cores), ``shard="I/N"`` runs a slice, ``resume``
    skips recorded runs. Ctrl-C stops the suite: the finished runs stay in ``results.jsonl``,
    the runs in flight stop without being recorded, the summary is written, and
    ``KeyboardInterrupt`` is raised; ``resume=True`` runs the rest. Built-in problems run in parallel without the GIL; Python problems run
    on the same worker threads but take turns on the GIL, one oracle call at a time (so they
    gain nothing from ``jobs > 1`` and their ``elapsed_s`` includes the waiting; use
    ``jobs=1`` to time them). An exception inside a Python ``F`` is recorded as status
    ``Panicked`` with its type and message, and the suite goes on.
    """
    python: Dict[str, Problem] = {}
    toml_path = None
    spec_json = None
    if isinstance(spec, dict):
        s = dict(spec)
        probs = s.get("problems")
        if not isinstance(probs, (list, tuple)):
            raise ValueError("spec['problems']: expected a list")
        s["problems"] = [_suite_entry(e, python, i) for i, e in enumerate(probs)]
        spec_json = json.dumps(_jsonable(s, "spec"))
    elif isinstance(spec, (str, os.PathLike)):
        toml_path = os.fspath(spec)
        if not os.path.isfile(toml_path):
            raise ValueError(f"spec: no suite file {toml_path!r}")
    else:
        raise ValueError(f"spec: expected a path to a suite TOML file or a dict, got {type(spec).__name__}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs: expected an integer >= 1, got {jobs!r}")
    text = _native.suite(
        None, toml_path, spec_json, [p._native for p in python.values()], os.fspath(out), jobs, shard, bool(resume)
    )
    return json.loads(text)


def read_results(dir: Union[str, os.PathLike]) -> Any:  # noqa: A002 - the contract's name
    """The runs recorded in ``dir/results.jsonl`` (or in that file itself).

    A ``pandas.DataFrame`` when pandas is installed, otherwise a list of dicts. A last line cut
    short by a killed run is skipped.
    """
    path = os.fspath(dir)
    if os.path.isdir(path):
        path = os.path.join(path, "results.jsonl")
    if not os.path.isfile(path):
        raise ValueError(f"dir: no results file {path!r}")
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    try:
        import pandas as pd  # type: ignore[import-not-found]
    except ImportError:
        return rows
    return pd.DataFrame(rows)
