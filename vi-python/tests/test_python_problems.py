"""Python operators: sets, closed-form answers, exceptions, Ctrl-C, input checks."""

import math

import numpy as np
import pytest

import vi_engine as vi


def shift(c):
    c = np.asarray(c, dtype=float)
    return lambda z: z - c


def test_strongly_monotone_shift_converges_to_its_root():
    p = vi.Problem(shift([1.0, -2.0, 3.0]), start=np.zeros(3), lipschitz=1.0, mu=1.0, solution=[1.0, -2.0, 3.0])
    for solver in ("gda", "extragradient", "eftp", "agraal"):
        r = vi.run(p, solver, tol=1e-10)
        assert r.status == "Converged", (solver, r)
        np.testing.assert_allclose(r.z, [1.0, -2.0, 3.0], atol=1e-9)
        assert r.distance_to_solution < 1e-9
        assert r.problem == "python" and r.solver == solver


# F(z) = z - c on C: the solution is the projection of c onto C.
SETS = [
    (vi.Box([-1.0, 0.0, -math.inf], [1.0, math.inf, 0.5]), [2.0, -3.0, 4.0], [1.0, 0.0, 0.5]),
    (vi.Box(0.0, 1.0), [2.0, -3.0, 0.25], [1.0, 0.0, 0.25]),
    (vi.Orthant(), [2.0, -3.0, 4.0], [2.0, 0.0, 4.0]),
    (vi.Ball([0.0, 0.0, 0.0], 5.0), [6.0, 8.0, 0.0], [3.0, 4.0, 0.0]),
    (vi.Simplex(3), [0.8, 0.6, -3.0], [0.6, 0.4, 0.0]),
    (vi.Simplex(3, radius=2.0), [1.0, 1.0, 1.0], [2 / 3, 2 / 3, 2 / 3]),
    (vi.Product([vi.Simplex(2), (vi.Box(-1.0, 1.0), 1)]), [3.0, 1.0, -7.0], [1.0, 0.0, -1.0]),
]


@pytest.mark.parametrize("cset,c,expected", SETS, ids=lambda x: repr(x) if isinstance(x, vi.Set) else "")
def test_every_set_projects_to_the_closed_form_answer(cset, c, expected):
    start = np.array([0.2, 0.3, 0.5]) if isinstance(cset, (vi.Simplex, vi.Product)) else np.zeros(3)
    if isinstance(cset, vi.Simplex) and cset.radius == 2.0:
        start = start * 2
    p = vi.Problem(shift(c), start=start, set=cset, lipschitz=1.0, mu=1.0)
    r = vi.run(p, "extragradient", tol=1e-12)
    assert r.status == "Converged"
    np.testing.assert_allclose(r.z, expected, atol=1e-10)


def test_matrix_game_with_product_of_simplices_finds_the_equilibrium():
    a = np.array([[2.0, -1.0], [-1.0, 1.0]])  # value 1/5 at x* = y* = (2/5, 3/5)
    F = lambda z: np.concatenate([a @ z[2:], -a.T @ z[:2]])  # noqa: E731
    p = vi.Problem(F, start=[0.9, 0.1, 0.2, 0.8], set=vi.Product([vi.Simplex(2), vi.Simplex(2)], names=["x", "y"]),
                   lipschitz=float(np.linalg.norm(a, 2)), mu=0.0)
    # steps inside the stable ranges: 1/L = 0.38 (extragradient), 1/(sqrt(3) L) = 0.22 (eftp, ogda)
    for solver, params in [("extragradient", {"step": 0.3}), ("eftp", {"step": 0.15}), ("ogda", {"step": 0.15}),
                           ("agraal", {})]:
        r = vi.run(p, solver, tol=1e-9, max_iters=200_000, solver_params=params)
        assert r.status == "Converged", (solver, r)
        np.testing.assert_allclose(r.z, [0.4, 0.6, 0.4, 0.6], atol=1e-7)


FINITE_SUM_ONLY = {"stochastic-eg", "stochastic-eftp", "svrg-eg", "svrg-forb"}


def test_every_registered_solver_runs_on_a_python_problem():
    p = vi.Problem(shift([0.5, 0.5]), start=[0.0, 0.0], set=vi.Box(-1.0, 1.0), lipschitz=1.0, mu=1.0)
    for s in vi.solvers():
        if s["name"] in FINITE_SUM_ONLY:
            # They sample components of a finite sum; a plain Python operator is refused, by name.
            with pytest.raises(ValueError, match="finite-sum"):
                vi.run(p, s["name"])
            continue
        r = vi.run(p, s["name"], tol=1e-8, max_iters=20_000)
        # eag (anchored) converges at the sublinear O(1/k) rate: not to 1e-8 in 20000 steps
        assert r.status in ("Converged", "MaxIterations", "Stopped"), (s["name"], r)
        assert r.residual < 1e-3, (s["name"], r)
        if r.status == "Converged":
            np.testing.assert_allclose(r.z, [0.5, 0.5], atol=1e-6)


def test_non_numpy_results_are_converted():
    p = vi.Problem(lambda z: [z[0] - 1.0, z[1] + 1.0], start=[0.0, 0.0], lipschitz=1.0, mu=1.0)
    r = vi.run(p, "gda", tol=1e-10)
    np.testing.assert_allclose(r.z, [1.0, -1.0], atol=1e-9)
    p = vi.Problem(lambda z: (z - 2.0).astype(np.float32), start=[0.0], lipschitz=1.0, mu=1.0)
    assert abs(vi.run(p, "gda", tol=1e-6).z[0] - 2.0) < 1e-5


class Boom(Exception):
    pass


def test_an_exception_inside_F_is_reraised_with_its_type_and_message():
    calls = []

    def F(z):
        calls.append(1)
        if len(calls) > 5:
            raise Boom("the oracle broke at call 6")
        return z

    with pytest.raises(Boom, match="the oracle broke at call 6"):
        vi.run(vi.Problem(F, start=[1.0, 2.0]), "extragradient", solver_params={"step": 0.1})
    assert len(calls) == 6  # nothing called F after it raised
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        vi.run(vi.Problem(lambda z: z / 0 if False else 1 / 0, start=[1.0]), "gda")


def test_wrong_output_shape_raises_value_error():
    with pytest.raises(ValueError, match=r"F returned an array of shape \(3,\); expected shape \(2,\)"):
        vi.run(vi.Problem(lambda z: np.zeros(3), start=[1.0, 2.0]), "gda", solver_params={"step": 0.1})
    with pytest.raises(ValueError, match=r"F returned an array of shape \[2, 1\]"):
        vi.run(vi.Problem(lambda z: z.reshape(2, 1), start=[1.0, 2.0]), "gda", solver_params={"step": 0.1})


def test_keyboard_interrupt_inside_F_stops_the_run_with_status_stopped():
    calls = []

    def F(z):
        calls.append(1)
        if len(calls) == 50:
            raise KeyboardInterrupt
        return np.array([z[1], -z[0]])

    r = vi.run(vi.Problem(F, start=[1.0, 1.0]), "extragradient", solver_params={"step": 0.1}, tol=0, max_iters=10**6)
    assert r.status == "Stopped" and "KeyboardInterrupt" in r.message
    assert r.iterations < 100
    assert np.isfinite(r.z).all()


def test_ctrl_c_signal_stops_a_python_run(sigint_raises):
    import _thread
    import threading

    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    # A small step: the run must still be going when the signal comes (it converges far slower).
    p = vi.Problem(lambda z: np.array([z[1], -z[0]]), start=[1.0, 1.0])
    r = vi.run(p, "extragradient", solver_params={"step": 0.001}, tol=0, max_iters=10**9, time_limit=30)
    timer.join()
    assert r.status == "Stopped" and r.elapsed_s < 5


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"start": [1.0, float("nan")]}, "start: non-finite value nan at index 1"),
        ({"start": [[1.0, 2.0]]}, r"start: expected a 1-D array, got shape \(1, 2\)"),
        ({"start": ["a", "b"]}, "start: expected a 1-D float array, got dtype"),
        ({"start": []}, "start: empty array"),
        ({"F": 3}, "F: expected a callable"),
        ({"set": vi.Simplex(3)}, "set: Simplex.* has dimension 3, the problem has 2"),
        ({"set": "box"}, "set: expected a vi_engine set"),
        ({"solution": [1.0]}, r"solution: expected shape \(2,\)"),
        ({"lipschitz": -1.0}, "lipschitz"),
        ({"blocks": [("x", 1)]}, "blocks: sizes add up to 1"),
    ],
)
def test_bad_problem_arguments_raise_value_error_naming_them(kwargs, match):
    args = {"F": lambda z: z, "start": [1.0, 2.0], **kwargs}
    with pytest.raises(ValueError, match=match):
        vi.Problem(**args)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: vi.Box([0.0, 2.0], [1.0, 1.0]), "lower bound 2.0 > upper bound 1.0 at coordinate 1"),
        (lambda: vi.Box([0.0], [1.0, 2.0]), "Box upper: expected length 1, got 2"),
        (lambda: vi.Ball([0.0], -1.0), "Ball radius"),
        (lambda: vi.Simplex(0), "Simplex n"),
        (lambda: vi.Simplex(2, radius=0.0), "Simplex radius"),
        (lambda: vi.Product([vi.Orthant()]), r"needs a size"),
    ],
)
def test_bad_sets_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_infeasible_start_is_accepted_and_projected():
    p = vi.Problem(shift([0.0, 0.0]), start=[5.0, 5.0], set=vi.Ball([0.0, 0.0], 1.0), lipschitz=1.0, mu=1.0)
    r = vi.run(p, "extragradient", tol=1e-10)
    np.testing.assert_allclose(r.z, [0.0, 0.0], atol=1e-9)
