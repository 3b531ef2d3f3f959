//! Small problems built directly on vi-core, for the solvers' unit tests (no dependency on
//! vi-problems).

use faer::{Col, Mat};
use vi_core::{AffineOperator, Problem, Report, RunConfig, Runner, Solver};

/// The scalar bilinear game `min_x max_y x*y`: `F(x, y) = (y, -x)`, solution `0`.
pub fn bilinear_xy(start: &[f64]) -> Problem {
    let m = faer::mat![[0.0, 1.0], [-1.0, 0.0]];
    affine(m, Col::zeros(2), start)
}

/// The unconstrained affine problem `F(z) = M z + q` from `start`, with its solution
/// `-M^{-1} q` when `M` is invertible.
pub fn affine(m: Mat<f64>, q: Col<f64>, start: &[f64]) -> Problem {
    use faer::prelude::Solve;
    let sol = m.partial_piv_lu().solve(&q);
    let sol = Col::from_fn(q.nrows(), |i| -sol[i]);
    let op = AffineOperator::new(m, q).unwrap();
    Problem::unconstrained("test-affine", Box::new(op), vi_core::linalg::col_from_slice(start))
        .unwrap()
        .with_solution(sol)
        .unwrap()
}

/// Runs with a tolerance and an iteration limit.
pub fn run(problem: &mut Problem, solver: &mut dyn Solver, tol: f64, max_iters: u64) -> Report {
    let runner = Runner::new(RunConfig { tol, max_iters, ..Default::default() }).unwrap();
    runner.run(problem, solver).unwrap()
}
