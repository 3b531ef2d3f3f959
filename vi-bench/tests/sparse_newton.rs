//! `semismooth-newton` with the sparse LU on `grid-lcp` (sparse Jacobian): converges to 1e-10,
//! and the dense and sparse paths agree where both run.

use serde_json::{json, Value};
use vi_core::{Report, RunConfig, RunSpec, Status};
use vi_problems as _;
use vi_solvers as _;

fn run(k: usize, solver: Value) -> Report {
    let (Value::Object(problem_params), Value::Object(solver_params)) = (json!({ "k": k }), solver) else {
        unreachable!()
    };
    RunSpec {
        problem: "grid-lcp".into(),
        solver: "semismooth-newton".into(),
        problem_params,
        solver_params,
        seed: 0,
        config: RunConfig { tol: 1e-10, max_iters: 100, ..Default::default() },
    }
    .run()
    .unwrap()
}

#[test]
fn sparse_newton_solves_grid_lcp_and_agrees_with_dense() {
    let s = run(20, json!({"linear_solver": "sparse"}));
    let d = run(20, json!({"linear_solver": "dense"}));
    for r in [&s, &d] {
        assert_eq!(r.status, Status::Converged, "{:?}", r.message);
        assert!(r.residual <= 1e-10 && r.distance_to_solution.unwrap() < 1e-9);
    }
    assert_eq!(s.iterations, d.iterations);
    let big = run(100, json!({}));
    assert_eq!(big.status, Status::Converged, "{:?}", big.message);
    assert!(big.iterations <= 30 && big.distance_to_solution.unwrap() < 1e-9, "{}", big.iterations);
}
