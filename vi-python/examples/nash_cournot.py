"""Nash-Cournot oligopoly: 5 firms, the operator in NumPy (Murphy, Sherali & Soyster 1982).

Firm ``i`` produces ``q_i >= 0`` at cost ``f_i(q) = c_i q + b_i / (b_i + 1) * L_i^(-1/b_i) *
q^((b_i + 1) / b_i)`` and sells at the inverse-demand price ``p(Q) = 5000^(1/eta) Q^(-1/eta)``,
``Q = sum q``. The Nash equilibrium solves ``VI(C, F)`` with

    F_i(q) = f_i'(q_i) - p(Q) - q_i p'(Q),    f_i'(q) = c_i + (q / L_i)^(1/b_i),

which is strictly monotone for ``eta >= 1``. With ``c = (10, 8, 6, 4, 2)``, ``L_i = 5``,
``b = (1.2, 1.1, 1.0, 0.9, 0.8)`` and ``eta = 1.1`` the equilibrium is

    q* = (36.9325, 41.8181, 43.7066, 42.6592, 39.1790)

(Murphy, Sherali & Soyster, Math. Programming 24 (1982); Harker, Math. Programming 30 (1984)).
The box ``[1, 1000]^5`` keeps ``Q > 0`` and contains ``q*``.

    python examples/nash_cournot.py
"""

from __future__ import annotations

import numpy as np

import vi_engine as vi

C = np.array([10.0, 8.0, 6.0, 4.0, 2.0])
L = np.full(5, 5.0)
B = np.array([1.2, 1.1, 1.0, 0.9, 0.8])
ETA = 1.1
Q_STAR = np.array([36.9325, 41.8181, 43.7066, 42.6592, 39.1790])
SOLVERS = {
    # solver: parameters (adaptive steps: the operator's Lipschitz constant is not known)
    "extragradient": {"step": "adaptive"},
    "eftp": {"step": "adaptive"},
    "agraal": {},
}


def F(q: np.ndarray) -> np.ndarray:
    """The Cournot operator: marginal cost minus marginal revenue, per firm."""
    total = q.sum()
    price = 5000.0 ** (1.0 / ETA) * total ** (-1.0 / ETA)
    dprice = -price / (ETA * total)
    return C + (q / L) ** (1.0 / B) - price - q * dprice


def problem() -> vi.Problem:
    """The oligopoly as a ``vi_engine.Problem`` started at ``q = 10``."""
    return vi.Problem(F, start=np.full(5, 10.0), set=vi.Box(1.0, 1000.0), name="nash-cournot")


def solve(solver: str, tol: float = 1e-9) -> vi.Report:
    """One run of ``solver`` to natural residual ``tol``."""
    return vi.run(problem(), solver, solver_params=SOLVERS.get(solver), tol=tol, max_iters=200_000)


def main() -> None:
    ref = solve("extragradient", tol=1e-12).z
    print(f"reference q* = {np.array2string(ref, precision=6)}")
    print(f"{'solver':<15} {'status':<12} {'iters':>7} {'calls':>7} {'max |q - q*|':>13} {'time (ms)':>10}")
    for s in SOLVERS:
        r = solve(s)
        err = np.abs(r.z - ref).max()
        print(f"{s:<15} {r.status:<12} {r.iterations:>7} {r.oracle_calls:>7} {err:>13.2e} {1e3 * r.elapsed_s:>10.2f}")


if __name__ == "__main__":
    main()
