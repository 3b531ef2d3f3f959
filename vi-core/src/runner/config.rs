//! What a run is configured with ([`RunConfig`]) and what watches it ([`Observer`]).

use faer::ColRef;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Stopping rules and monitoring intervals.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `tol` | `1e-8` | stop when the natural residual `‖z − P(z − F z)‖ ≤ tol` |
/// | `max_iters` | `100_000` | iteration limit |
/// | `max_calls` | none | oracle-call budget |
/// | `time_limit` | none | wall-time limit in seconds |
/// | `check_every` | `1` | residual check interval (iterations) |
/// | `trace_every` | `0` (off) | trace interval (iterations) |
/// | `divergence_factor` | `1e8` | diverged when residual > factor × max(1, initial residual) |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// Tolerance on the natural residual.
    pub tol: f64,
    /// Maximum number of iterations.
    pub max_iters: u64,
    /// Maximum number of oracle calls (`None`: unlimited).
    pub max_calls: Option<u64>,
    /// Wall-time limit in seconds (`None`: unlimited).
    pub time_limit: Option<f64>,
    /// Check the residual every this many iterations (>= 1).
    pub check_every: u64,
    /// Record a trace point every this many iterations (0: no trace).
    pub trace_every: u64,
    /// Divergence threshold relative to the initial residual.
    pub divergence_factor: f64,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            tol: 1e-8,
            max_iters: 100_000,
            max_calls: None,
            time_limit: None,
            check_every: 1,
            trace_every: 0,
            divergence_factor: 1e8,
        }
    }
}

impl RunConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field and its allowed range.
    pub fn validate(&self) -> Result<()> {
        let owner = "run configuration";
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::param(owner, "tol", format!("must be a finite number >= 0, got {}", self.tol)));
        }
        if self.check_every == 0 {
            return Err(Error::param(owner, "check_every", "must be >= 1"));
        }
        if let Some(t) = self.time_limit {
            if !(t.is_finite() && t > 0.0) {
                return Err(Error::param(owner, "time_limit", format!("must be a number of seconds > 0, got {t}")));
            }
        }
        if !(self.divergence_factor > 1.0) {
            return Err(Error::param(
                owner,
                "divergence_factor",
                format!("must be > 1, got {}", self.divergence_factor),
            ));
        }
        Ok(())
    }
}

/// What an observer sees at each residual check.
#[derive(Debug)]
pub struct Observation<'a> {
    /// Iteration count.
    pub iteration: u64,
    /// Oracle calls so far.
    pub oracle_calls: u64,
    /// Natural residual at the current iterate.
    pub residual: f64,
    /// Seconds since the start.
    pub elapsed_s: f64,
    /// The current iterate.
    pub z: ColRef<'a, f64>,
}

/// Watches a run (progress bars, custom logging, early stopping).
pub trait Observer {
    /// Called after every residual check. Return `false` to stop the run (status `Stopped`).
    fn observe(&mut self, obs: &Observation<'_>) -> bool;
}
