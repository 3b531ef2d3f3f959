//! `semismooth-newton` on the complementarity test problems of vi-problems, built by name as
//! `vi-bench run` builds them: converges to 1e-10 from every standard start, within 30
//! iterations on Cournot and Kojima-Shindo, with quadratic local convergence.

use serde_json::{json, Map, Value};
use vi_core::{Report, RunConfig, RunSpec, Status};
use vi_problems as _;
use vi_solvers as _;

fn run(problem: &str, params: Value, solver: &str) -> Report {
    let Value::Object(problem_params) = params else { unreachable!() };
    RunSpec {
        problem: problem.into(),
        solver: solver.into(),
        problem_params,
        solver_params: Map::new(),
        seed: 0,
        config: RunConfig { tol: 1e-10, max_iters: 200, trace_every: 1, ..Default::default() },
    }
    .run()
    .unwrap_or_else(|e| panic!("{problem}: {e}"))
}

#[test]
fn converges_on_every_test_problem() {
    for (problem, params, max_iters, max_dist) in [
        ("nash-cournot", json!({}), 30, 1e-8),
        ("kojima-shindo", json!({}), 30, 1e-8),
        ("josephy", json!({}), 50, 1e-8),
        ("mathiesen", json!({}), 50, f64::INFINITY),
        ("hphard", json!({"n": 100}), 100, 1e-8),
        ("hphard", json!({"n": 300}), 100, 1e-8),
        ("hphard", json!({"n": 1000}), 40, 1e-8),
        ("braess", json!({}), 50, 1e-8),
    ] {
        let r = run(problem, params.clone(), "semismooth-newton");
        assert_eq!(r.status, Status::Converged, "{problem} {params}: {:?}", r.message);
        assert!(r.residual <= 1e-10, "{problem}: {}", r.residual);
        assert!(r.iterations <= max_iters, "{problem}: {} iterations", r.iterations);
        if let Some(d) = r.distance_to_solution {
            assert!(d <= max_dist, "{problem}: distance {d}");
        }
        if let Some(d) = r.metrics.get("distance_to_solution_set") {
            assert!(*d <= 1e-9, "{problem}: set distance {d}");
        }
    }
}

#[test]
fn quadratic_convergence_on_cournot_and_josephy() {
    for problem in ["nash-cournot", "josephy"] {
        let r = run(problem, json!({}), "semismooth-newton");
        let res: Vec<f64> = r.trace.iter().map(|t| t.residual).filter(|v| *v > 0.0).collect();
        let n = res.len();
        assert!(n >= 4, "{problem}: {res:?}");
        // The last two ratios r_{k+1} / r_k^2 are bounded (quadratic rate).
        for k in n - 3..n - 1 {
            let ratio = res[k + 1] / (res[k] * res[k]);
            assert!(ratio < 10.0, "{problem}: r_{} / r_{}^2 = {ratio}; {res:?}", k + 1, k);
        }
    }
}

#[test]
fn first_order_methods_need_far_more_iterations_on_cournot() {
    let newton = run("nash-cournot", json!({}), "semismooth-newton");
    let eg = RunSpec {
        problem: "nash-cournot".into(),
        solver: "extragradient".into(),
        config: RunConfig { tol: 1e-10, ..Default::default() },
        ..Default::default()
    }
    .run()
    .unwrap();
    assert_eq!(eg.status, Status::Converged, "{:?}", eg.message);
    assert!(eg.iterations > 10 * newton.iterations, "{} vs {}", eg.iterations, newton.iterations);
}

#[test]
fn a_tolerance_below_the_rounding_floor_ends_with_a_message_naming_it() {
    // hphard n = 100 with a plain product reaches a natural residual ~5e-12; eps || |M| |z| + |F| ||
    // is ~4e-11 there, so 1e-14 is not resolvable and the line search stalls at the floor.
    let r = RunSpec {
        problem: "hphard".into(),
        solver: "semismooth-newton".into(),
        problem_params: json!({"n": 100, "compensated": false}).as_object().unwrap().clone(),
        config: RunConfig { tol: 1e-14, max_iters: 2000, ..Default::default() },
        ..Default::default()
    }
    .run()
    .unwrap();
    assert_eq!(r.status, Status::NumericalError);
    assert!(r.residual > 1e-14 && r.residual < 1e-10, "{}", r.residual);
    assert!(r.distance_to_solution.unwrap() < 1e-10);
    let m = r.message.unwrap();
    assert!(m.contains("at the rounding floor") && m.contains("not resolvable in float64"), "{m}");
    let floor = r.solver_info["rounding_floor"].as_f64().unwrap();
    assert!(r.residual <= 10.0 * floor && floor < 1e-9, "residual {} floor {floor}", r.residual);
}

#[test]
fn a_run_below_the_rounding_floor_stops_instead_of_iterating_on_noise() {
    // hphard n = 1000 with a plain product: the floor is ~4e-9, above tol = 1e-10. The solution
    // is found by iteration ~22; the run must end soon after, not hundreds of iterations later.
    let r = RunSpec {
        problem: "hphard".into(),
        solver: "semismooth-newton".into(),
        problem_params: json!({"n": 1000, "compensated": false}).as_object().unwrap().clone(),
        config: RunConfig { tol: 1e-10, max_iters: 2000, ..Default::default() },
        ..Default::default()
    }
    .run()
    .unwrap();
    assert_eq!(r.status, Status::NumericalError);
    assert!(r.iterations <= 60, "{} iterations", r.iterations);
    assert!(r.distance_to_solution.unwrap() < 1e-11);
    let m = r.message.unwrap();
    assert!(m.contains("rounding floor") && m.contains("not resolvable in float64"), "{m}");
}
