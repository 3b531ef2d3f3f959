//! The [`Runner`] drives a [`Solver`] on a [`Problem`] and returns a [`Report`].
//!
//! It owns everything that is the same for every method: the stopping rules (tolerance on the
//! natural residual, iteration and oracle budgets, wall-time limit, divergence and non-finite
//! detection), the ergodic (averaged) iterate, the trace and the observers.
//!
//! How a run ended is a [`Status`], never a panic and never an `Err`: `Err` is reserved for bad
//! input and bad configuration (detected before the first step). A run that blows up keeps its
//! last finite iterate.

use std::collections::BTreeMap;
use std::time::Instant;

use faer::{Col, ColRef};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::linalg;
use crate::problem::Problem;
use crate::solver::{Solver, StepStatus};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// The natural residual reached the tolerance.
    Converged,
    /// The iteration limit was reached.
    MaxIterations,
    /// The oracle-call budget was reached.
    OracleBudget,
    /// The wall-time limit was reached.
    TimeLimit,
    /// The residual grew past the divergence threshold or the iterate overflowed.
    Diverged,
    /// NaN appeared (or a method-specific numerical failure, e.g. a step size collapsing).
    NumericalError,
    /// Stopped by an observer or by the solver itself (e.g. a finished schedule).
    Stopped,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

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
    pub residual: f64,
    /// Distance of the last iterate to the known solution.
    pub distance_to_solution: Option<f64>,
    /// Wall time since the start of the run, in seconds.
    pub elapsed_s: f64,
    /// The problem's metrics at the last iterate.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
    /// The last iterate, recorded only for problems of dimension <= 4 (trajectory plots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// Natural residual of the final iterate.
    pub residual: f64,
    /// Distance of the final iterate to the known solution (`null` if unknown).
    pub distance_to_solution: Option<f64>,
    /// Problem metrics at the final iterate.
    pub metrics: BTreeMap<String, f64>,
    /// Wall time in seconds.
    pub elapsed_s: f64,
    /// Final step size, where the method has one.
    pub step_size: Option<f64>,
    /// The final (last finite) iterate.
    pub z: Vec<f64>,
    /// The ergodic average of the solver's averaging points.
    pub z_avg: Vec<f64>,
    /// Natural residual of the averaged iterate.
    pub residual_avg: f64,
    /// Distance of the averaged iterate to the known solution.
    pub distance_to_solution_avg: Option<f64>,
    /// Method-specific information (e.g. Tikhonov stages).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub solver_info: serde_json::Value,
    /// The trace (empty unless `trace_every > 0`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TracePoint>,
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

/// Drives solvers on problems under a [`RunConfig`].
#[derive(Clone, Debug, Default)]
pub struct Runner {
    config: RunConfig,
}

impl Runner {
    /// A runner with the given stopping rules.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] from [`RunConfig::validate`].
    pub fn new(config: RunConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self { config })
    }

    /// The stopping rules.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Runs `solver` on `problem` from `problem.start()`.
    ///
    /// # Errors
    /// Only bad configuration detected by [`Solver::init`]; how the run ended is in
    /// [`Report::status`].
    pub fn run(&self, problem: &mut Problem, solver: &mut dyn Solver) -> Result<Report> {
        self.run_observed(problem, solver, &mut [])
    }

    /// As [`Runner::run`], calling every observer at each residual check.
    ///
    /// # Errors
    /// As [`Runner::run`].
    pub fn run_observed(
        &self,
        problem: &mut Problem,
        solver: &mut dyn Solver,
        observers: &mut [&mut dyn Observer],
    ) -> Result<Report> {
        let cfg = &self.config;
        let t0 = Instant::now();
        problem.reset_counters();
        solver.init(problem)?;
        let n = problem.dim();
        if solver.iterate().nrows() != n {
            return Err(Error::dim(format!("solver `{}` iterate", solver.name()), n, solver.iterate().nrows()));
        }
        let mut last_finite: Col<f64> = solver.iterate().to_owned();
        let mut avg: Col<f64> = Col::zeros(n);
        let mut avg_count: u64 = 0;
        let mut trace = Vec::new();
        let record_z = n <= 4;

        let r0 = problem.natural_residual(last_finite.as_ref());
        let threshold = cfg.divergence_factor * r0.max(1.0);
        let mut iterations = 0u64;
        let mut message = None;

        let push_trace =
            |problem: &mut Problem, it: u64, r: f64, z: ColRef<'_, f64>, t: f64, trace: &mut Vec<TracePoint>| {
                let c = problem.counters();
                trace.push(TracePoint {
                    iteration: it,
                    oracle_calls: c.oracle_calls,
                    projections: c.projections,
                    residual: r,
                    distance_to_solution: problem.distance_to_solution(z),
                    elapsed_s: t,
                    metrics: problem.metrics(z),
                    z: record_z.then(|| linalg::to_vec(z)),
                });
            };
        if cfg.trace_every > 0 {
            push_trace(problem, 0, r0, last_finite.as_ref(), t0.elapsed().as_secs_f64(), &mut trace);
        }

        let status = if !r0.is_finite() {
            message = Some("the residual at the start is not finite".to_string());
            Status::NumericalError
        } else if r0 <= cfg.tol {
            Status::Converged
        } else {
            loop {
                if iterations >= cfg.max_iters {
                    break Status::MaxIterations;
                }
                if cfg.max_calls.is_some_and(|m| problem.counters().oracle_calls >= m) {
                    break Status::OracleBudget;
                }
                if cfg.time_limit.is_some_and(|t| t0.elapsed().as_secs_f64() >= t) {
                    break Status::TimeLimit;
                }
                let step = solver.step(problem);
                iterations += 1;

                let z = solver.iterate();
                if !linalg::all_finite(z) {
                    let nan = linalg::has_nan(z);
                    message = Some(format!(
                        "the iterate became {} at iteration {iterations}; reporting the last finite iterate",
                        if nan { "NaN" } else { "infinite" }
                    ));
                    break if nan { Status::NumericalError } else { Status::Diverged };
                }
                last_finite.copy_from(z);
                let ap = solver.averaging_point();
                if linalg::all_finite(ap) {
                    avg_count += 1;
                    let w = 1.0 / avg_count as f64;
                    faer::zip!(avg.as_mut(), ap).for_each(|faer::unzip!(a, p)| *a += w * (*p - *a));
                }
                if let StepStatus::Finished(s) = step {
                    message = Some(
                        solver.status_message().unwrap_or_else(|| format!("solver `{}` ended the run", solver.name()))
                            + &format!(" (iteration {iterations})"),
                    );
                    break s;
                }
                let check = iterations % cfg.check_every == 0;
                let tr = cfg.trace_every > 0 && iterations % cfg.trace_every == 0;
                if check || tr {
                    let residual = problem.natural_residual(last_finite.as_ref());
                    let elapsed = t0.elapsed().as_secs_f64();
                    if tr {
                        push_trace(problem, iterations, residual, last_finite.as_ref(), elapsed, &mut trace);
                    }
                    if residual.is_nan() {
                        message = Some(format!("the residual became NaN at iteration {iterations}"));
                        break Status::NumericalError;
                    }
                    if residual > threshold {
                        message = Some(format!("the residual {residual:.3e} exceeded {threshold:.3e} (divergence factor x initial residual) at iteration {iterations}"));
                        break Status::Diverged;
                    }
                    if residual <= cfg.tol {
                        break Status::Converged;
                    }
                    let obs = Observation {
                        iteration: iterations,
                        oracle_calls: problem.counters().oracle_calls,
                        residual,
                        elapsed_s: elapsed,
                        z: last_finite.as_ref(),
                    };
                    let mut keep = true;
                    for o in observers.iter_mut() {
                        keep &= o.observe(&obs);
                    }
                    if !keep {
                        message = Some("stopped by an observer".into());
                        break Status::Stopped;
                    }
                }
            }
        };

        // A shift installed by the solver (Tikhonov continuation) belongs to this run only.
        problem.set_tikhonov(None);
        // Final measurements on the last finite iterate.
        let residual = problem.natural_residual(last_finite.as_ref());
        if avg_count == 0 {
            avg.copy_from(last_finite.as_ref());
        }
        let residual_avg = problem.natural_residual(avg.as_ref());
        let elapsed_s = t0.elapsed().as_secs_f64();
        let counters = problem.counters();
        if cfg.trace_every > 0 && trace.last().is_some_and(|t| t.iteration != iterations) {
            push_trace(problem, iterations, residual, last_finite.as_ref(), elapsed_s, &mut trace);
        }
        if message.is_none() {
            message = match status {
                Status::MaxIterations => Some(format!("reached max_iters = {}", cfg.max_iters)),
                Status::OracleBudget => Some(format!("reached max_calls = {}", cfg.max_calls.unwrap_or(0))),
                Status::TimeLimit => Some(format!("reached time_limit = {} s", cfg.time_limit.unwrap_or(0.0))),
                _ => None,
            };
        }
        Ok(Report {
            problem: problem.name().to_string(),
            solver: solver.name().to_string(),
            params: serde_json::json!({ "problem": problem.params(), "run": cfg }),
            seed: 0,
            status,
            message,
            iterations,
            oracle_calls: counters.oracle_calls,
            projections: counters.projections,
            residual,
            distance_to_solution: problem.distance_to_solution(last_finite.as_ref()),
            metrics: problem.metrics(last_finite.as_ref()),
            elapsed_s,
            step_size: solver.step_size(),
            z: linalg::to_vec(last_finite.as_ref()),
            z_avg: linalg::to_vec(avg.as_ref()),
            residual_avg,
            distance_to_solution_avg: problem.distance_to_solution(avg.as_ref()),
            solver_info: solver.info(),
            trace,
        })
    }
}
