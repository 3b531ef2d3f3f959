"""Registered problems and solvers from Python: the registry, run, reports, bit-for-bit equality."""

import json
import subprocess
import threading
import time

import numpy as np
import pytest

import vi_engine as vi


def test_registry_lists_names_params_and_docs():
    problems = {p["name"]: p for p in vi.problems()}
    solvers = {s["name"]: s for s in vi.solvers()}
    assert {"bilinear", "matrix-game", "gan-dirac"} <= problems.keys()
    assert "python" not in problems  # the internal entry for Python problems is hidden
    assert {"gda", "extragradient", "eftp", "agraal", "tikhonov"} <= solvers.keys()
    eg = {p["name"]: p for p in solvers["extragradient"]["params"]}
    assert eg["step"]["default"] == "auto" and eg["factor"]["default"] == 0.5
    assert "backtracking" in eg["step"]["doc"]
    assert problems["matrix-game"]["summary"]


CASES = [
    ("matrix-game", "extragradient", {"preset": "random", "m": 10, "n": 10}, {}, ["--tol", "1e-7"]),
    ("bilinear", "eftp", {"preset": "xy", "start": [1.0, 0.5]}, {"step": 0.3}, ["--max-iters", "300"]),
    ("gan-dirac", "agraal", {"reg": "asymmetric"}, {}, ["--seed", "3"]),
]


@pytest.mark.parametrize("problem,solver,pp,sp,extra", CASES)
def test_builtin_run_equals_vi_bench_run_json_bit_for_bit(vi_bench, problem, solver, pp, sp, extra):
    cmd = [vi_bench, "run", "--problem", problem, "--solver", solver, "--json"] + extra
    cmd += [f"--set=problem.{k}={json.dumps(v)}" for k, v in pp.items()]
    cmd += [f"--set=solver.{k}={json.dumps(v)}" for k, v in sp.items()]
    cli = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    kw = {"tol": 1e-8, "max_iters": 100_000, "seed": 0}
    it = iter(extra)
    for flag, value in zip(it, it):
        key = flag.lstrip("-").replace("-", "_")
        kw[key] = float(value) if key == "tol" else int(value)
    ours = vi.run(problem, solver, problem_params=pp, solver_params=sp, **kw).to_dict()
    assert ours.keys() == cli.keys()
    for d in (ours, cli):
        d.pop("elapsed_s")
    assert ours == cli  # every float compared exactly


def test_report_attributes_and_trace():
    r = vi.run("matrix-game", "extragradient", problem_params={"preset": "two-by-two"}, tol=1e-10, trace_every=5)
    assert r.status == "Converged" and r.residual <= 1e-10
    np.testing.assert_allclose(r.z, [0.4, 0.6, 0.4, 0.6], atol=1e-9)  # value 1/5 at (2/5, 3/5)
    assert abs(r.metrics["game_value"] - 0.2) < 1e-9
    assert r.distance_to_solution < 1e-9
    assert isinstance(r.z, np.ndarray) and isinstance(r.z_avg, np.ndarray) and r.z.dtype == np.float64
    assert r.oracle_calls == 2 * r.iterations and r.projections == 2 * r.iterations
    t = r.trace
    assert t.dtype.names[:6] == ("iteration", "oracle_calls", "projections", "residual", "distance_to_solution", "elapsed_s")
    assert "duality_gap" in t.dtype.names
    assert t["iteration"][0] == 0 and t["iteration"][-1] == r.iterations
    assert t["residual"][-1] == r.residual
    assert set(r.to_dict()) >= {"problem", "solver", "params", "seed", "status", "z", "z_avg", "residual_avg"}
    assert "trace" not in r.to_dict()


def test_budgets_give_their_status():
    r = vi.run("bilinear", "gda", max_iters=7, tol=0)
    assert (r.status, r.iterations) == ("MaxIterations", 7)
    r = vi.run("bilinear", "extragradient", max_calls=10, tol=0)
    assert r.status == "OracleBudget" and r.oracle_calls == 10


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"problem": "nope"}, "unknown problem `nope`; valid problems: .*bilinear"),
        ({"solver": "nope"}, "unknown solver `nope`; valid solvers: .*extragradient"),
        ({"problem_params": {"bogus": 1}}, "unknown parameter `bogus` for problem `bilinear`"),
        ({"solver_params": {"step": -1.0}}, "step"),
        ({"tol": float("nan")}, "tol"),
        ({"max_iters": -1}, "max_iters"),
        ({"check_every": 0}, "check_every"),
        ({"seed": -3}, "seed"),
        ({"problem_params": {"start": [1.0, float("inf")]}}, "non-finite"),
        ({"problem_params": {"start": [1.0, 2.0, 3.0]}}, "problem `bilinear`: start: expected 20, got 3"),
    ],
)
def test_bad_input_raises_value_error_naming_the_culprit(kwargs, match):
    args = {"problem": "bilinear", "solver": "extragradient", **kwargs}
    with pytest.raises(ValueError, match=match):
        vi.run(**args)


def test_gil_is_released_while_a_builtin_problem_runs():
    done = {}

    def work():
        done["r"] = vi.run("matrix-game", "gda", problem_params={"preset": "random", "m": 30, "n": 30},
                           tol=0, max_iters=10**9, time_limit=0.5)

    th = threading.Thread(target=work)
    th.start()
    time.sleep(0.05)
    count, t0 = 0, time.perf_counter()
    while th.is_alive() and time.perf_counter() - t0 < 0.3:
        count += 1  # pure Python: runs only while the run has released the GIL
    th.join()
    assert done["r"].status == "TimeLimit"
    assert count > 10_000, count


def test_ctrl_c_stops_a_builtin_run_with_status_stopped(sigint_raises):
    import _thread

    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    r = vi.run("matrix-game", "gda", problem_params={"preset": "random", "m": 20, "n": 20},
               tol=0, max_iters=10**9, time_limit=30)
    timer.join()
    assert r.status == "Stopped"
    assert "KeyboardInterrupt" in r.message
    assert time.perf_counter() - t0 < 5


def test_a_problems_threads_change_no_number():
    # The run is made on rayon's pool, so `threads = 2` cuts the oracle's passes into blocks.
    def run(threads):
        pp = {"reg": "asymmetric", "threads": threads}
        return vi.run("gan-mixture", "gda", problem_params=pp, solver_params={"step": 1e-4}, tol=0,
                      max_iters=20, check_every=5, problem_defaults=False)
    one, two = run(1), run(2)
    assert np.array_equal(one.z, two.z) and one.residual == two.residual
    assert one.iterations == two.iterations == 20


def test_module_docstring_example_runs():
    import doctest

    assert doctest.testmod(vi, raise_on_error=False).failed == 0


SMALL_GAN = {"g_hidden": [8], "d_hidden": [8], "batch": 16, "metric_samples": 50}


def test_a_problems_run_defaults_apply_as_in_vi_bench_run(vi_bench):
    gan = {p["name"]: p for p in vi.problems()}["gan-mixture"]
    assert gan["run_defaults"]["budget"]["max_iters"] == 64_000
    r = vi.run("gan-mixture", "eftp", problem_params=SMALL_GAN, solver_params={"step": 1e-3}, max_iters=4)
    d = r.to_dict()
    assert d["params"]["solver"]["precond"] == "adam" and d["params"]["solver"]["step"] == 1e-3
    assert r.iterations == 4 and r.status == "MaxIterations"  # tol = 0 from the problem
    cmd = [vi_bench, "run", "--problem", "gan-mixture", "--solver", "eftp", "--max-iters", "4", "--json",
           "--set=solver.step=0.001"] + [f"--set=problem.{k}={json.dumps(v)}" for k, v in SMALL_GAN.items()]
    cli = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    for x in (d, cli):
        x.pop("elapsed_s")
    assert d == cli
    plain = vi.run("gan-mixture", "eftp", problem_params=SMALL_GAN, max_iters=4, problem_defaults=False)
    assert plain.to_dict()["params"]["solver"]["precond"] == "none"
