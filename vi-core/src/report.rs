//! The [`Report`] of a finished run and its convergence trace: what `vi-bench run --json`
//! prints and `results.jsonl` stores (docs/architecture.md §5.4). Non-finite numbers are written
//! as `"NaN"` / `"inf"` / `"-inf"` ([`crate::json_float`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::status::Status;

/// One point of the convergence trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TracePoint {
    /// Iteration count.
    pub iteration: u64,
    /// Oracle calls so far.
    pub oracle_calls: u64,
    /// Projections so far.
    pub projections: u64,
    /// Natural residual of the last iterate.
    #[serde(with = "crate::json_float")]
    pub residual: f64,
    /// Distance of the last iterate to the known solution.
    #[serde(with = "crate::json_float::option")]
    pub distance_to_solution: Option<f64>,
    /// Wall time since the start of the run, in seconds.
    pub elapsed_s: f64,
    /// The problem's metrics at the last iterate.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", with = "crate::json_float::map")]
    pub metrics: BTreeMap<String, f64>,
    /// The last iterate, recorded only for problems of dimension <= 4 (trajectory plots).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::json_float::vec::option")]
    pub z: Option<Vec<f64>>,
}

/// The outcome of one run: what `vi-bench run --json` prints and `results.jsonl` stores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Problem name.
    pub problem: String,
    /// Solver name.
    pub solver: String,
    /// Resolved parameters: `{"problem": {...}, "solver": {...}, "run": {...}}`.
    pub params: serde_json::Value,
    /// Seed of the run.
    pub seed: u64,
    /// How the run ended.
    pub status: Status,
    /// Human-readable detail on the status (what diverged, which limit was hit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Iterations performed.
    pub iterations: u64,
    /// Oracle calls (evaluations of `F`) made by the solver.
    pub oracle_calls: u64,
    /// Projections made by the solver.
    pub projections: u64,
    /// Component evaluations `F_i` made by the solver on a finite sum (`oracle_calls` already
    /// includes them as `ceil(component_calls / N)` full-operator equivalents).
    #[serde(default)]
    pub component_calls: u64,
    /// Full evaluations made by the runner for monitoring (residual checks, traces, the final
    /// report), not by the solver and not in `oracle_calls`.
    #[serde(default)]
    pub monitor_calls: u64,
    /// Natural residual of the final iterate (`"inf"` or `"NaN"` in JSON when not finite; the
    /// status is then `Diverged` or `NumericalError`).
    #[serde(with = "crate::json_float")]
    pub residual: f64,
    /// Distance of the final iterate to the known solution (`null` if unknown).
    #[serde(with = "crate::json_float::option")]
    pub distance_to_solution: Option<f64>,
    /// Problem metrics at the final iterate.
    #[serde(with = "crate::json_float::map")]
    pub metrics: BTreeMap<String, f64>,
    /// Wall time in seconds.
    pub elapsed_s: f64,
    /// Final step size, where the method has one.
    #[serde(with = "crate::json_float::option")]
    pub step_size: Option<f64>,
    /// The reported point: the last finite iterate, or the point where the solver last
    /// evaluated `F` when that point met the tolerance ([`crate::Solver::evaluated_point`]).
    #[serde(with = "crate::json_float::vec")]
    pub z: Vec<f64>,
    /// The ergodic average of the solver's averaging points.
    #[serde(with = "crate::json_float::vec")]
    pub z_avg: Vec<f64>,
    /// Natural residual of the averaged iterate.
    #[serde(with = "crate::json_float")]
    pub residual_avg: f64,
    /// Distance of the averaged iterate to the known solution.
    #[serde(with = "crate::json_float::option")]
    pub distance_to_solution_avg: Option<f64>,
    /// Method-specific information (e.g. Tikhonov stages).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub solver_info: serde_json::Value,
    /// The trace (empty unless `trace_every > 0`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TracePoint>,
}
