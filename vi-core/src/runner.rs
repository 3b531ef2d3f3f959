//! The [`Runner`] drives a [`Solver`] on a [`Problem`] and returns a [`Report`].
//!
//! It owns everything that is the same for every method: the stopping rules (tolerance on the
//! natural residual, iteration and oracle budgets, wall-time limit, divergence and non-finite
//! detection), the ergodic (averaged) iterate, the trace and the observers.
//!
//! How a run ended is a [`Status`], never a panic and never an `Err`: `Err` is reserved for bad
//! input and bad configuration (detected before the first step). A run that blows up keeps its
//! last finite iterate.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use faer::Col;

use crate::error::{Error, Result};
use crate::linalg::{self, Flip};
use crate::problem::Problem;
pub use crate::report::{Report, TracePoint};
use crate::solver::Solver;
pub use crate::status::Status;

mod config;
mod run_loop;
pub use config::{Observation, Observer, RunConfig};
#[doc(hidden)]
pub use run_loop::Loop;
use run_loop::{push_trace, Average, Bounds, Run};

/// Drives solvers on problems under a [`RunConfig`].
#[derive(Clone, Debug, Default)]
pub struct Runner {
    config: RunConfig,
    /// The run's seed and the solver's resolved parameters, recorded in the report.
    identity: Option<(u64, serde_json::Value)>,
    /// Set from another thread to end the run ([`Runner::with_stop`]).
    stop: Option<Arc<AtomicBool>>,
}

impl Runner {
    /// A runner with the given stopping rules.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] from [`RunConfig::validate`].
    pub fn new(config: RunConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, identity: None, stop: None })
    }

    /// The same runner recording `seed` and the solver's resolved parameters in every report
    /// (what [`crate::RunSpec::prepare`] sets), so a report is complete when it is made.
    #[must_use]
    pub fn with_identity(mut self, seed: u64, solver_params: serde_json::Value) -> Self {
        self.identity = Some((seed, solver_params));
        self
    }

    /// The same runner, ending a run with [`Status::Stopped`] once `flag` is set (from another
    /// thread: a Ctrl-C handler, a GUI). The flag is read on the schedule of the wall-time
    /// limit (about every 0.5 ms of running), so it costs nothing per iteration and, unlike an
    /// [`Observer`], keeps the run loop's fast path.
    #[must_use]
    pub fn with_stop(mut self, flag: Arc<AtomicBool>) -> Self {
        self.stop = Some(flag);
        self
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
    /// Solvers begin from the problem's start, which lies in the set ([`Problem::set_start`]
    /// projects it); if `F` is not finite there the run ends at once with
    /// [`Status::NumericalError`] and a message saying so, before the solver is initialised.
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
        linalg::sequential_faer();
        problem.reset_counters();
        let n = problem.dim();
        let z0: Col<f64> = problem.start().to_owned();
        let r_start = problem.natural_residual(z0.as_ref());
        let mut run = Run {
            status: Status::NumericalError,
            message: None,
            iterations: 0,
            bufs: Flip::new(z0, Col::zeros(n)),
            trace: Vec::new(),
        };
        let mut avg = Average::new(n);
        if !r_start.is_finite() {
            run.message = Some(format!(
                "F is {} at the start (projected onto the set); the operator is undefined there, choose another start",
                if r_start.is_nan() { "NaN" } else { "infinite" }
            ));
            return Ok(self.finish(problem, solver, run, avg, t0));
        }
        // Inner loops of the oracle stop at the deadline; withdrawn before the final measurements.
        let deadline = crate::deadline::Guard::set(
            cfg.time_limit.and_then(|t| t0.checked_add(Duration::try_from_secs_f64(t).ok()?)),
        );
        solver.init(problem)?;
        if solver.iterate().nrows() != n {
            return Err(Error::dim(format!("solver `{}` iterate", solver.name()), n, solver.iterate().nrows()));
        }
        let r0 =
            if solver.iterate() == run.last_finite() { r_start } else { problem.natural_residual(solver.iterate()) };
        run.bufs.pair_mut().0.copy_from(solver.iterate());
        let threshold = cfg.divergence_factor * r0.max(1.0);
        if cfg.trace_every > 0 {
            push_trace(problem, 0, r0, run.bufs.pair().0.as_ref(), t0.elapsed().as_secs_f64(), &mut run.trace);
        }
        run.status = if !r0.is_finite() {
            run.message = Some("the residual at the solver's first iterate is not finite".to_string());
            Status::NumericalError
        } else if r0 <= cfg.tol {
            Status::Converged
        } else {
            let bounds = Bounds::new(cfg.tol, threshold);
            let stop = self.stop.as_deref();
            let lp = Loop { config: cfg, problem, observers, run: &mut run, avg: &mut avg, bounds, t0, stop };
            solver.drive(lp)
        };
        drop(deadline);
        Ok(self.finish(problem, solver, run, avg, t0))
    }

    /// Final measurements on the last finite iterate and the report.
    ///
    /// A residual that is not finite at the reported point overrides a status that would
    /// claim otherwise: the run then ended `NumericalError` (NaN) or `Diverged` (overflow).
    fn finish(&self, problem: &mut Problem, solver: &mut dyn Solver, run: Run, avg: Average, t0: Instant) -> Report {
        let cfg = &self.config;
        let Run { mut status, mut message, iterations, bufs, mut trace } = run;
        let last_finite = bufs.into_first();
        // A shift installed by the solver (Tikhonov continuation) belongs to this run only.
        problem.set_tikhonov(None);
        let residual = problem.natural_residual(last_finite.as_ref());
        if !residual.is_finite() && !matches!(status, Status::NumericalError | Status::Diverged) {
            let (s, what) = if residual.is_nan() {
                (Status::NumericalError, "NaN")
            } else {
                (Status::Diverged, "infinite (F overflowed)")
            };
            let was = message.map_or(format!("{status}"), |m| format!("{status}: {m}"));
            message = Some(format!("the residual at the final iterate is {what} (the run would have ended {was})"));
            status = s;
        }
        let z_avg = avg.mean_or(last_finite.as_ref());
        let residual_avg = problem.natural_residual(z_avg.as_ref());
        let elapsed_s = t0.elapsed().as_secs_f64();
        let counters = problem.counters();
        if cfg.trace_every > 0 && trace.last().is_none_or(|t| t.iteration != iterations) {
            push_trace(problem, iterations, residual, last_finite.as_ref(), elapsed_s, &mut trace);
        }
        if message.is_none() {
            message = match status {
                Status::MaxIterations => Some(format!("reached max_iters = {}", cfg.max_iters)),
                Status::OracleBudget => Some(format!("reached max_calls = {}", cfg.max_calls.unwrap_or(0))),
                Status::TimeLimit => Some(format!("reached time_limit = {} s", cfg.time_limit.unwrap_or(0.0))),
                Status::Stopped => Some("stopped: the runner's stop flag was set".to_string()),
                _ => None,
            };
        }
        Report {
            problem: problem.name().to_string(),
            solver: solver.name().to_string(),
            params: match &self.identity {
                Some((_, sp)) => serde_json::json!({ "problem": problem.params(), "run": cfg, "solver": sp }),
                None => serde_json::json!({ "problem": problem.params(), "run": cfg }),
            },
            seed: self.identity.as_ref().map_or(0, |(s, _)| *s),
            status,
            message,
            iterations,
            oracle_calls: counters.oracle_calls,
            projections: counters.projections,
            component_calls: counters.component_calls,
            monitor_calls: counters.monitor_calls,
            residual,
            distance_to_solution: problem.distance_to_solution(last_finite.as_ref()),
            metrics: problem.metrics(last_finite.as_ref()),
            elapsed_s,
            step_size: solver.step_size(),
            z: linalg::to_vec(last_finite.as_ref()),
            z_avg: linalg::to_vec(z_avg.as_ref()),
            residual_avg,
            distance_to_solution_avg: problem.distance_to_solution(z_avg.as_ref()),
            solver_info: solver.info(),
            trace,
        }
    }
}
