"""diagnose, suite and read_results, with registered and Python problems; the examples."""

import json
import subprocess

import numpy as np
import pytest

import vi_engine as vi


def test_diagnose_registered_problem_matches_vi_bench(vi_bench):
    d = vi.diagnose("bilinear", at="start", problem_params={"preset": "xy"}, solvers=["gda", "extragradient"])
    out = subprocess.run(
        [vi_bench, "diagnose", "--problem", "bilinear", "--set", "problem.preset=xy", "--solvers", "gda,extragradient", "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    cli = json.loads(out)
    assert d.keys() == cli.keys()
    assert d["eigenvalues"] == cli["eigenvalues"] and d["lipschitz"] == cli["lipschitz"]
    assert d["predictions"].keys() == {"gda", "extragradient"}


def test_diagnose_python_problem_finds_the_jacobian_spectrum():
    a = np.array([[1.0, 2.0], [-2.0, 1.0]])  # eigenvalues 1 +- 2i, mu = 1, L = sqrt(5)
    p = vi.Problem(lambda z: a @ z, start=[1.0, 0.5], solution=[0.0, 0.0], name="rotation")
    d = vi.diagnose(p, at="solution", solvers=["extragradient"], measure_iters=100)
    assert d["problem"] == "rotation" and d["jacobian_source"] == "jacobian-vector-products"
    ev = sorted(tuple(e) for e in d["eigenvalues"])
    np.testing.assert_allclose(ev, [(1.0, -2.0), (1.0, 2.0)], atol=1e-6)
    assert abs(d["mu"] - 1.0) < 1e-6 and abs(d["lipschitz"] - 5 ** 0.5) < 1e-6
    pred = d["predictions"]["extragradient"]
    assert pred["rate"] is not None and pred["measured_rate"] is not None
    # an analytic jvp is used when given, and an array point is accepted
    q = vi.Problem(lambda z: a @ z, start=[1.0, 0.5], jvp=lambda z, v: a @ v)
    d = vi.diagnose(q, at=np.array([0.3, -0.2]), solvers=["gda"], measure_iters=0)
    np.testing.assert_allclose(sorted(tuple(e) for e in d["eigenvalues"]), [(1.0, -2.0), (1.0, 2.0)], atol=1e-12)
    assert d["at"] == "array"
    with pytest.raises(ValueError, match=r"at: expected shape \(2,\)"):
        vi.diagnose(q, at=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="no known solution"):
        vi.diagnose(q, at="solution")


def test_diagnose_reraises_an_exception_of_F():
    def F(z):
        raise RuntimeError("jacobian probe failed")

    with pytest.raises(RuntimeError, match="jacobian probe failed"):
        vi.diagnose(vi.Problem(F, start=[1.0]), solvers=["gda"])


def spec_with(python_problem, **extra):
    return {
        "name": "mixed",
        "seeds": [0, 1],
        "budget": {"tol": 1e-8, "max_calls": 20000},
        "problems": [
            {"name": "matrix-game", "params": {"preset": "two-by-two"}},
            python_problem,
        ],
        "solvers": [{"name": "extragradient", "grid": {"step": [0.2, "auto"]}}, {"name": "eftp", "params": {"step": 0.2}}],
        **extra,
    }


@pytest.mark.parametrize("jobs", [1, 2])
def test_suite_with_a_python_problem_runs_in_parallel_without_deadlock(tmp_path, jobs):
    p = vi.Problem(lambda z: z - 0.25, start=[1.0, 1.0], set=vi.Box(0.0, 1.0), name="shift", lipschitz=1.0, mu=1.0)
    out = vi.suite(spec_with(p), tmp_path / "res", jobs=jobs)
    # Neither problem nor solver reads the seed: each configuration runs once, with seed 0.
    assert out["total_cases"] == 6 and len(out["ran"]) == 6
    assert out["statuses"] == {"Converged": 6}
    rows = vi.read_results(tmp_path / "res")
    rows = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    assert len(rows) == 6 and all(r["seed"] == 0 and not r["uses_seed"] for r in rows)
    shift_rows = [r for r in rows if r["problem"] == "shift"]
    assert len(shift_rows) == 3 and all(r["problem_label"] == "python(problem=shift)" for r in shift_rows)
    for r in shift_rows:
        np.testing.assert_allclose(r["z"], [0.25, 0.25], atol=1e-7)
    assert (tmp_path / "res" / "summary.md").is_file()
    # resume: nothing left to run
    again = vi.suite(spec_with(p), tmp_path / "res", jobs=jobs, resume=True)
    assert again["already_recorded"] == 6 and again["ran"] == []


def test_suite_records_an_exception_of_F_and_goes_on(tmp_path):
    def F(z):
        raise ValueError("bad oracle")

    p = vi.Problem(F, start=[1.0], name="broken")
    out = vi.suite(spec_with({"name": p, "seeds": [0]}), tmp_path, jobs=2)
    rows = vi.read_results(tmp_path)
    rows = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    broken = [r for r in rows if r["problem"] == "python"]
    assert broken and all(r["status"] == "Panicked" and "ValueError: bad oracle" in r["message"] for r in broken)
    assert out["statuses"]["Converged"] == 3  # matrix-game's 3 configurations, once each (no seed read)


def test_suite_rejects_bad_specs(tmp_path):
    p = vi.Problem(lambda z: z, start=[1.0], name="same")
    q = vi.Problem(lambda z: z, start=[1.0], name="same")
    with pytest.raises(ValueError, match="two different Python problems named 'same'"):
        vi.suite({"problems": [p, q], "solvers": [{"name": "gda"}]}, tmp_path)
    with pytest.raises(ValueError, match="unknown solver `nope`"):
        vi.suite({"problems": [p], "solvers": [{"name": "nope"}]}, tmp_path)
    # A dict is read by the suite file's reader: the same keys, checks and messages.
    with pytest.raises(ValueError, match="unknown field `solver`, expected one of `name`, `seeds`"):
        vi.suite({"problems": [p], "solver": [{"name": "gda"}]}, tmp_path)
    with pytest.raises(ValueError, match=r"`problems\[0\]\.params\.m`: null \(None\) has no value"):
        vi.suite({"problems": [{"name": "bilinear", "params": {"m": None}}], "solvers": [{"name": "gda"}]}, tmp_path)
    with pytest.raises(ValueError, match="grid `m` must be an array of alternatives"):
        vi.suite({"problems": [{"name": "bilinear", "grid": {"m": 3}}], "solvers": [{"name": "gda"}]}, tmp_path)
    with pytest.raises(ValueError, match="no suite file"):
        vi.suite(str(tmp_path / "missing.toml"), tmp_path)


def test_diagnose_checks_the_stated_bounds_like_the_cli(vi_bench):
    kw = dict(problem_params={"reg": "asymmetric"}, at="solution", measure_iters=0, bounds=5, radius=0.5)
    d = vi.diagnose("gan-dirac", **kw)
    out = subprocess.run(
        [vi_bench, "diagnose", "--problem", "gan-dirac", "--set", "problem.reg=asymmetric", "--at", "solution",
         "--measure-iters", "0", "--bounds", "5", "--radius", "0.5", "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    cli = json.loads(out)
    assert d["bound_check"] == cli["bound_check"] and d["bounds"] == cli["bounds"]
    c = d["bound_check"]
    assert c["samples"] == 5 and c["mu_holds"] == 5 and c["lipschitz_holds"] == 5 and len(c["points"]) == 5
    assert d["bounds"]["mu_bound"] <= d["mu"] + 1e-12 and d["lipschitz"] <= d["bounds"]["lipschitz_bound"] + 1e-12


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"offset": 0.0}, "offset: expected a finite number > 0"),
        ({"radius": float("nan")}, "radius: expected a finite number > 0"),
        ({"krylov": 0}, "krylov: expected an integer >= 1"),
        ({"measure_iters": -1}, "measure_iters: expected an integer >= 0"),
        ({"bounds": 1.5}, "bounds: expected an integer >= 0"),
    ],
)
def test_diagnose_rejects_bad_options_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        vi.diagnose("gan-dirac", **kwargs)


def test_suite_dict_takes_diagnose_and_problem_defaults(tmp_path):
    spec = {"diagnose": "solution", "problem_defaults": False, "budget": {"tol": 1e-6},
            "problems": [{"name": "bilinear", "params": {"preset": "xy"}},
                         {"name": "gan-dirac", "params": {"reg": "asymmetric"}, "diagnose": "none"}],
            "solvers": [{"name": "extragradient"}]}
    vi.suite(spec, tmp_path, jobs=1)
    rows = {r["problem"]: r for r in map(json.loads, (tmp_path / "results.jsonl").read_text().splitlines())}
    # bilinear xy: J = [[0, 1], [-1, 0]], eigenvalues +-i, at its solution 0.
    assert rows["bilinear"]["jacobian"]["at"] == "solution"
    assert abs(rows["bilinear"]["jacobian"]["lipschitz"] - 1.0) < 1e-12
    assert "jacobian" not in rows["gan-dirac"], "the problem's own choice wins"
    with pytest.raises(ValueError, match="`diagnose`: unknown variant `middle`, expected one of `none`, `start`"):
        vi.suite({**spec, "diagnose": "middle"}, tmp_path / "bad")
    with pytest.raises(ValueError, match="`problem_defaults`: invalid type: string \"no\", expected a boolean"):
        vi.suite({**spec, "problem_defaults": "no"}, tmp_path / "bad")
    with pytest.raises(ValueError, match="belongs to problems or to the suite"):
        vi.suite({**spec, "solvers": [{"name": "gda", "diagnose": "start"}]}, tmp_path / "bad")


def test_ctrl_c_stops_a_suite_keeping_finished_runs(tmp_path, sigint_raises):
    import _thread
    import threading
    import time

    # A run that would take a minute (alternating GDA cycles on the unregularized Dirac GAN)
    # beside a quick one; Ctrl-C comes after the quick one is done.
    spec = {"problems": [
        {"name": "gan-dirac", "params": {"reg": "none"},
         "budget": {"tol": 0.0, "max_iters": 10**9, "time_limit": 60.0}},
        {"name": "bilinear", "params": {"m": 5, "n": 5}, "budget": {"max_iters": 1000}},
    ], "solvers": [{"name": "alternating-gda", "params": {"step": 0.1}}]}
    timer = threading.Timer(1.5, _thread.interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        vi.suite(spec, tmp_path, jobs=2)
    timer.join()
    assert time.perf_counter() - t0 < 20
    lines = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [r["problem"] for r in lines] == ["bilinear"], "finished kept, the run in flight not recorded"
    assert (tmp_path / "summary.md").exists()


def test_suite_from_a_toml_file(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('seeds = [0]\n[budget]\ntol = 1e-6\n[[problems]]\nname = "bilinear"\nparams = { preset = "xy" }\n'
                 '[[solvers]]\nname = "extragradient"\n')
    out = vi.suite(f, tmp_path / "out", jobs=1)
    assert out["statuses"] == {"Converged": 1}


def test_nash_cournot_example_reaches_the_equilibrium_with_three_solvers():
    import nash_cournot as nc

    ref = nc.solve("extragradient", tol=1e-12)
    assert ref.status == "Converged"
    np.testing.assert_allclose(ref.z, nc.Q_STAR, atol=5e-5)  # the published 4 decimals
    for solver in ("extragradient", "eftp", "agraal"):
        r = nc.solve(solver)
        assert r.status == "Converged", (solver, r)
        assert np.abs(r.z - ref.z).max() <= 1e-6, (solver, r.z - ref.z)
