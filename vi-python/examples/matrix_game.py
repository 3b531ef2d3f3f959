"""A zero-sum matrix game ``min_x max_y x^T A y`` on two simplices, the operator in NumPy.

``F(x, y) = (A y, -A^T x)`` is monotone with ``L = ||A||_2``; the product of the built-in
simplex sets does the projections in Rust. The duality gap ``max_j (A^T x)_j - min_i (A y)_i``
measures the distance to equilibrium; the game's value is ``x^T A y`` there.

    python examples/matrix_game.py [--m 50 --n 50 --seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

import vi_engine as vi


def game(a: np.ndarray) -> vi.Problem:
    m, n = a.shape

    def F(z):
        return np.concatenate((a @ z[m:], -(z[:m] @ a)))

    return vi.Problem(F, start=np.concatenate((np.full(m, 1 / m), np.full(n, 1 / n))),
                      set=vi.Product([vi.Simplex(m), vi.Simplex(n)], names=["x", "y"]),
                      lipschitz=float(np.linalg.norm(a, 2)), mu=0.0, name=f"matrix-game-{m}x{n}")


def duality_gap(a: np.ndarray, z: np.ndarray) -> float:
    m = a.shape[0]
    return float((z[:m] @ a).max() - (a @ z[m:]).min())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--m", type=int, default=50)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    a_ = ap.parse_args()
    a = np.random.default_rng(a_.seed).uniform(-1.0, 1.0, (a_.m, a_.n))
    p = game(a)
    print(f"{'solver':<15} {'status':<10} {'iters':>7} {'calls':>7} {'residual':>10} {'gap':>10} {'value':>9} {'ms':>8}")
    for s in ["extragradient", "eftp", "ogda", "agraal", "eag"]:
        r = vi.run(p, s, tol=1e-6, max_iters=200_000)
        x, y = r.z[: a_.m], r.z[a_.m:]
        print(f"{s:<15} {r.status:<10} {r.iterations:>7} {r.oracle_calls:>7} {r.residual:>10.2e} "
              f"{duality_gap(a, r.z):>10.2e} {x @ a @ y:>9.5f} {1e3 * r.elapsed_s:>8.1f}")


if __name__ == "__main__":
    main()
