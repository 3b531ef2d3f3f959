"""Benchmarks of the Python bindings (wall time; run by hand, never asserted in tests).

    python benches/bench_python.py [overhead|game|all] [--repeat K]

overhead: the cost of one Python oracle call beyond the callable itself, with
    F = lambda z: 0.5 * z, n = 10, 20 000 calls (GDA, residual checked once at the end).
game: the 50 x 50 random zero-sum game (entries uniform in [-1, 1], seed 0) on the product of
    two simplices: vi_engine with the operator in NumPy and the built-in simplex projections,
    against a hand-written NumPy extragradient loop with a NumPy (sort-based) simplex
    projection, both to the same natural residual with the same step 0.5 / ||A||_2.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import vi_engine as vi


def best_of(k, f):
    return min(f() for _ in range(k))


def overhead(repeat: int) -> None:
    n, calls = 10, 20_000
    F = lambda z: 0.5 * z  # noqa: E731
    z = np.ones(n)

    def callable_alone():
        t0 = time.perf_counter()
        for _ in range(calls):
            F(z)
        return (time.perf_counter() - t0) / calls

    p = vi.Problem(F, start=np.ones(n), lipschitz=0.5, mu=0.5)

    def through_engine():
        r = vi.run(p, "gda", solver_params={"step": 1e-9}, tol=0, max_calls=calls, check_every=10**9)
        assert r.oracle_calls == calls
        # + 3 monitoring calls (start residual, final residual, averaged residual)
        return r.elapsed_s / (calls + 3)

    t_f = best_of(repeat, callable_alone)
    t_e = best_of(repeat, through_engine)
    print(f"overhead: F alone {1e6 * t_f:.3f} us/call (Python loop), through vi_engine {1e6 * t_e:.3f} us/call, "
          f"overhead {1e6 * (t_e - t_f):.3f} us/call (n = {n}, {calls} calls, best of {repeat})")


def simplex_projection(v: np.ndarray, r: float = 1.0) -> np.ndarray:
    """Euclidean projection onto {x >= 0, sum x = r} (sort-based, Held et al. / Duchi et al.)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - r
    k = np.arange(1, v.size + 1)
    rho = np.nonzero(u - css / k > 0)[0][-1]
    return np.maximum(v - css[rho] / (rho + 1), 0.0)


def game(repeat: int, tol: float = 1e-6) -> None:
    m = n = 50
    a = np.random.default_rng(0).uniform(-1.0, 1.0, (m, n))
    lip = float(np.linalg.norm(a, 2))
    eta = 0.5 / lip

    def F(z):
        return np.concatenate((a @ z[m:], -(z[:m] @ a)))

    def proj(z):
        return np.concatenate((simplex_projection(z[:m]), simplex_projection(z[m:])))

    def residual(z):
        return np.linalg.norm(z - proj(z - F(z)))

    start = np.concatenate((np.full(m, 1.0 / m), np.full(n, 1.0 / n)))
    start[0] += 0.5
    start[:m] /= start[:m].sum()

    def numpy_eg():
        z = start.copy()
        t0 = time.perf_counter()
        it = 0
        while residual(z) > tol:
            w = proj(z - eta * F(z))
            z = proj(z - eta * F(w))
            it += 1
        return time.perf_counter() - t0, it, residual(z)

    p = vi.Problem(F, start=start, set=vi.Product([vi.Simplex(m), vi.Simplex(n)], names=["x", "y"]),
                   lipschitz=lip, mu=0.0, name="game-50x50")

    def engine(solver, check_every=1, params=None):
        r = vi.run(p, solver, solver_params=params or {"step": eta}, tol=tol, max_iters=10**7, check_every=check_every)
        assert r.status == "Converged", r
        return r.elapsed_s, r.iterations, r.residual

    t_np, it_np, r_np = min(numpy_eg() for _ in range(repeat))
    print(f"game 50x50 to residual {tol:g}: NumPy extragradient {1e3 * t_np:.1f} ms ({it_np} iterations, "
          f"{1e6 * t_np / it_np:.1f} us/iteration, final residual {r_np:.2e})")
    for label, args in [
        ("vi_engine extragradient, residual every iteration", ("extragradient", 1)),
        ("vi_engine extragradient, residual every 10 iterations", ("extragradient", 10)),
        ("vi_engine eftp (1 call/iteration), residual every 10", ("eftp", 10, {"step": 0.3 / lip})),
        # the engine's adaptive steps (no L needed): another step rule than the NumPy loop's
        ("vi_engine extragradient, adaptive step, residual every 10", ("extragradient", 10, {"step": "adaptive"})),
        ("vi_engine agraal (adaptive), residual every 10", ("agraal", 10, {})),
    ]:
        t, it, r = min(engine(*args) for _ in range(repeat))
        print(f"  {label}: {1e3 * t:.1f} ms ({it} iterations, {1e6 * t / it:.1f} us/iteration, "
              f"residual {r:.2e}): {t_np / t:.1f}x faster")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", nargs="?", default="all", choices=["overhead", "game", "all"])
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    if a.what in ("overhead", "all"):
        overhead(a.repeat)
    if a.what in ("game", "all"):
        game(a.repeat)


if __name__ == "__main__":
    main()
