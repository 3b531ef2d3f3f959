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

/// `(F, J)` of a 2-dimensional operator at `z`.
type FieldAndJacobian = fn(f64, f64) -> ([f64; 2], [[f64; 2]; 2]);

/// A 2-dimensional operator with a full 2 x 2 sparse pattern; `f` gives `(F, J)` at `z`.
#[derive(Clone)]
struct Sparse2 {
    f: FieldAndJacobian,
}

impl vi_core::Operator for Sparse2 {
    fn dim(&self) -> usize {
        2
    }
    fn eval(&mut self, z: faer::ColRef<'_, f64>, mut out: faer::ColMut<'_, f64>) {
        let (v, _) = (self.f)(z[0], z[1]);
        out[0] = v[0];
        out[1] = v[1];
    }
    fn jacobian_pattern(&self) -> Option<faer::sparse::SymbolicSparseColMat<usize>> {
        Some(faer::sparse::SymbolicSparseColMat::new_checked(2, 2, vec![0, 2, 4], None, vec![0, 1, 0, 1]))
    }
    fn jacobian_values_into(&mut self, z: faer::ColRef<'_, f64>, values: &mut [f64]) -> bool {
        let (_, j) = (self.f)(z[0], z[1]);
        values.copy_from_slice(&[j[0][0], j[1][0], j[0][1], j[1][1]]);
        true
    }
}

fn run_sparse2(f: FieldAndJacobian, start: [f64; 2]) -> (Report, Value) {
    let mut p =
        vi_core::Problem::unconstrained("sparse2", Box::new(Sparse2 { f }), vi_core::linalg::col_from_slice(&start))
            .unwrap();
    let (mut s, _) = vi_core::build_solver("semismooth-newton", &json!({"linear_solver": "sparse"}), 0).unwrap();
    let runner = vi_core::Runner::new(RunConfig { tol: 1e-10, max_iters: 200, ..Default::default() }).unwrap();
    let r = runner.run(&mut p, s.as_mut()).unwrap();
    (r, s.info())
}

#[test]
fn singular_sparse_systems_fall_back_to_the_gradient_or_end_with_a_message() {
    // F = (x + y - 2, x + y - 2 + (y - 1)^3): J is singular on y = 1 (the start and the
    // solution (1, 1)), the merit gradient is not; the gradient step leaves the singular line.
    let (r, info) = run_sparse2(
        |x, y| {
            let c = (y - 1.0).powi(3);
            ([x + y - 2.0, x + y - 2.0 + c], [[1.0, 1.0], [1.0, 1.0 + 3.0 * (y - 1.0).powi(2)]])
        },
        [0.0, 1.0],
    );
    assert_eq!(r.status, Status::Converged, "{:?}", r.message);
    assert_eq!(info["linear_solver"], "sparse");
    assert!(info["gradient_steps"].as_u64().unwrap() >= 1, "{info}");
    assert!((r.z[0] + r.z[1] - 2.0).abs() < 1e-9 && (r.z[1] - 1.0).abs() < 1e-3, "{:?}", r.z);
    // F = (x^2 + 1, y^2 + 1) has no zero; at the origin J = 0 and the gradient vanishes.
    let (r, _) = run_sparse2(|x, y| ([x * x + 1.0, y * y + 1.0], [[2.0 * x, 0.0], [0.0, 2.0 * y]]), [0.0, 0.0]);
    assert_eq!(r.status, Status::NumericalError);
    let m = r.message.unwrap();
    assert!(m.contains("singular Newton system") && m.contains("stationary point"), "{m}");
}

#[test]
fn non_finite_values_on_the_sparse_path_end_with_a_message() {
    // A NaN Jacobian entry at the start.
    let (r, _) = run_sparse2(|x, y| ([x - 1.0, y - 1.0], [[f64::NAN, 0.0], [0.0, 1.0]]), [0.0, 0.0]);
    assert_eq!(r.status, Status::NumericalError);
    assert!(r.message.as_deref().unwrap().contains("Jacobian of F has non-finite entries"), "{:?}", r.message);
    // F undefined (NaN) beyond x = 1 while its zero is at x = 2: the iterate reaches x = 1 and
    // every trial beyond it is non-finite and rejected.
    let (r, _) = run_sparse2(
        |x, y| {
            if x > 1.0 {
                ([f64::NAN; 2], [[f64::NAN; 2]; 2])
            } else {
                ([x - 2.0, y], [[1.0, 0.0], [0.0, 1.0]])
            }
        },
        [0.0, 0.0],
    );
    assert_eq!(r.status, Status::NumericalError);
    let m = r.message.unwrap();
    assert!(
        m.contains("line search stalled") && m.contains("trials gave non-finite F") && !m.contains(" 0 of "),
        "{m}"
    );
    assert!(r.z[0] <= 1.0 && r.z[0] > 0.99, "{:?}", r.z);
}

#[test]
fn sparse_without_a_sparse_jacobian_is_a_named_error() {
    for (problem, solver, culprit) in [
        ("hphard", json!({"linear_solver": "sparse"}), "problem `hphard` has none"),
        ("grid-lcp", json!({"linear_solver": "sparse", "jacobian": "finite-difference"}), "and jacobian = \"auto\""),
    ] {
        let (Value::Object(problem_params), Value::Object(solver_params)) = (json!({}), solver) else { unreachable!() };
        let e = RunSpec {
            problem: problem.into(),
            solver: "semismooth-newton".into(),
            problem_params,
            solver_params,
            config: RunConfig { tol: 1e-10, max_iters: 5, ..Default::default() },
            ..Default::default()
        }
        .run()
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("linear_solver = \"sparse\" needs the operator's sparse Jacobian") && e.contains(culprit),
            "{e}"
        );
    }
}

#[test]
fn supernodal_factorization_agrees_with_simplicial() {
    let a = run(20, json!({"linear_solver": "sparse", "sparse_factorization": "simplicial"}));
    let b = run(20, json!({"linear_solver": "sparse", "sparse_factorization": "supernodal"}));
    assert_eq!(a.status, Status::Converged);
    assert_eq!(b.status, Status::Converged);
    assert_eq!(a.iterations, b.iterations);
    assert!(b.distance_to_solution.unwrap() < 1e-9);
}
