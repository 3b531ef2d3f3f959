//! End to end: every benchmark problem of vi-problems, built by name through the registry with
//! its default parameters, is solved by `extragradient` (default `step = "auto"`) to the default
//! tolerance `1e-8` on the natural residual, and lands on its known solution.
//!
//! These are the runs `vi-bench run --problem P --solver extragradient` makes.

use serde_json::{json, Map, Value};
use vi_core::{Report, RunConfig, RunSpec, Status};
// Force-link the plugin crates so their registrations are visible.
use vi_problems as _;
use vi_solvers as _;

fn data(name: &str) -> String {
    format!("{}/../vi-problems/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(problem: &str, params: Value) -> Report {
    let problem_params: Map<String, Value> = match params {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let spec = RunSpec {
        problem: problem.into(),
        solver: "extragradient".into(),
        problem_params,
        solver_params: Map::new(),
        seed: 0,
        config: RunConfig::default(),
    };
    spec.run().unwrap_or_else(|e| panic!("{problem}: {e}"))
}

/// Asserts convergence to the default tolerance and, when a solution is known, closeness to it.
fn assert_solved(problem: &str, params: Value, max_distance: f64) -> Report {
    let r = run(problem, params.clone());
    assert_eq!(r.status, Status::Converged, "{problem} {params}: {:?} after {} iterations", r.message, r.iterations);
    assert!(r.residual <= 1e-8, "{problem} {params}: residual {}", r.residual);
    assert_eq!(r.oracle_calls, 2 * r.iterations, "{problem}: extragradient makes two calls per iteration");
    let d = r.distance_to_solution.unwrap_or_else(|| panic!("{problem} {params}: no known solution"));
    assert!(d <= max_distance, "{problem} {params}: distance {d}");
    r
}

#[test]
fn bilinear_defaults() {
    let r = assert_solved("bilinear", json!({}), 1e-6);
    assert!(r.metrics["distance_to_solution_set"] <= 1e-6);
    assert_solved("bilinear", json!({"preset": "xy"}), 1e-7);
}

#[test]
fn matrix_game_defaults_and_presets() {
    // Default: rock-paper-scissors, value 0.
    let r = assert_solved("matrix-game", json!({}), 1e-7);
    assert!(r.metrics["duality_gap"] >= 0.0 && r.metrics["duality_gap"] <= 1e-7, "{:?}", r.metrics);
    assert!(r.metrics["game_value"].abs() <= 1e-7);
    assert_solved("matrix-game", json!({"preset": "matching-pennies"}), 1e-7);
    let r = assert_solved("matrix-game", json!({"preset": "two-by-two"}), 1e-7);
    assert!((r.metrics["game_value"] - 0.2).abs() <= 1e-7, "{:?}", r.metrics);
    // A random 5 x 5 game: the reference equilibrium computed at build time is reached.
    let r = assert_solved("matrix-game", json!({"preset": "random"}), 1e-6);
    assert!(r.metrics["duality_gap"] <= 1e-7, "{:?}", r.metrics);
    // A game from a file.
    let r = assert_solved("matrix-game", json!({"file": data("game_3x2.mtx")}), 1e-6);
    assert!((r.metrics["game_value"] - 1.2).abs() <= 1e-7, "{:?}", r.metrics);
}

#[test]
fn quadratic_defaults_and_variants() {
    assert_solved("quadratic", json!({}), 1e-6);
    assert_solved("quadratic", json!({"family": "blocks"}), 1e-6);
    assert_solved("quadratic", json!({"box": 0.5}), 1e-6);
    assert_solved("quadratic", json!({"family": "blocks", "n": 200, "mu": 0.05, "rho": 2.0}), 1e-6);
}

#[test]
fn affine_defaults_and_files() {
    assert_solved("affine", json!({}), 1e-7);
    let (m, q) = (data("lcp4.mtx"), data("lcp4_q.txt"));
    let r = assert_solved("affine", json!({"matrix": m, "vector": q, "set": "orthant"}), 1e-8);
    // The hand-computed LCP solution (0.5, 0, 0.9, 0.2).
    for (zi, e) in r.z.iter().zip([0.5, 0.0, 0.9, 0.2]) {
        assert!((zi - e).abs() < 1e-8, "{:?}", r.z);
    }
    assert_solved("affine", json!({"matrix": m, "vector": q, "set": "simplex", "blocks": [1, 3]}), 1e-7);
}
