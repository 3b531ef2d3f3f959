//! Helpers of the problems' unit tests.

use vi_core::Problem;

/// The registered problem `name` built with `params` and `seed`.
pub fn built(name: &str, params: serde_json::Value, seed: u64) -> Problem {
    vi_core::build_problem(name, &params, seed).unwrap()
}

/// The error text of building the registered problem `name` with `params` (seed 0).
pub fn build_error(name: &str, params: serde_json::Value) -> String {
    vi_core::build_problem(name, &params, 0).unwrap_err().to_string()
}
