//! The [`Runner`] drives a [`Solver`] on a [`Problem`] and returns a [`Report`].
//!
//! It owns everything that is the same for every method: the stopping rules (tolerance on the
//! natural residual, iteration and oracle budgets, wall-time limit, divergence and non-finite
//! detection), the ergodic (averaged) iterate, the trace and the observers.
//!
//! How a run ended is a [`Status`], never a panic and never an `Err`: `Err` is reserved for bad
//! input and bad configuration (detected before the first step). A run that blows up keeps its
//! last finite iterate.

use std::time::{Duration, Instant};

use faer::{Col, ColRef};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::linalg;
use crate::problem::Problem;
pub use crate::report::{Report, TracePoint};
use crate::solver::{Solver, StepStatus};
pub use crate::status::Status;

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

/// Drives solvers on problems under a [`RunConfig`].
#[derive(Clone, Debug, Default)]
pub struct Runner {
    config: RunConfig,
    /// The run's seed and the solver's resolved parameters, recorded in the report.
    identity: Option<(u64, serde_json::Value)>,
}

impl Runner {
    /// A runner with the given stopping rules.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] from [`RunConfig::validate`].
    pub fn new(config: RunConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self { config, identity: None })
    }

    /// The same runner recording `seed` and the solver's resolved parameters in every report
    /// (what [`crate::RunSpec::prepare`] sets), so a report is complete when it is made.
    #[must_use]
    pub fn with_identity(mut self, seed: u64, solver_params: serde_json::Value) -> Self {
        self.identity = Some((seed, solver_params));
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
            bufs: [z0, Col::zeros(n)],
            cur: 0,
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
        run.bufs[0].copy_from(solver.iterate());
        let threshold = cfg.divergence_factor * r0.max(1.0);
        if cfg.trace_every > 0 {
            push_trace(problem, 0, r0, run.bufs[run.cur].as_ref(), t0.elapsed().as_secs_f64(), &mut run.trace);
        }
        run.status = if !r0.is_finite() {
            run.message = Some("the residual at the solver's first iterate is not finite".to_string());
            Status::NumericalError
        } else if r0 <= cfg.tol {
            Status::Converged
        } else {
            let bounds = Bounds::new(cfg.tol, threshold);
            let lp = Loop { config: cfg, problem, observers, run: &mut run, avg: &mut avg, bounds, t0 };
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
        let Run { mut status, mut message, iterations, bufs: [b0, b1], cur, mut trace } = run;
        let last_finite = if cur == 0 { b0 } else { b1 };
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

/// One run's loop state, handed to [`Solver::drive`] so that the loop is compiled for each
/// solver type ([`Loop::iterate`]). Built only by the [`Runner`].
#[doc(hidden)]
pub struct Loop<'a, 'o> {
    config: &'a RunConfig,
    problem: &'a mut Problem,
    observers: &'a mut [&'o mut dyn Observer],
    run: &'a mut Run,
    avg: &'a mut Average,
    bounds: Bounds,
    t0: Instant,
}

impl Loop<'_, '_> {
    /// The loop: limits, one step, the step's iterate accepted, and every `check_every` /
    /// `trace_every` iterations a check. Clock reads only on a cheap schedule, for traces and
    /// for observers; the residual is computed only at checks.
    pub fn iterate<S: Solver + ?Sized>(self, solver: &mut S) -> Status {
        let Loop { config: cfg, problem, observers, run, avg, bounds, t0 } = self;
        let mut clock = Clock::new(t0, cfg.time_limit);
        // Countdowns instead of `it % every` (a 64-bit division per iteration).
        let mut to_check = cfg.check_every;
        let mut to_trace = cfg.trace_every;
        loop {
            if let Some(s) = limit(cfg, problem, run, &mut clock) {
                return s;
            }
            let step = solver.step(problem);
            run.iterations += 1;
            if let Some(s) = accept(solver, step, run, avg) {
                return s;
            }
            to_check -= 1;
            let due = to_check == 0;
            if due {
                to_check = cfg.check_every;
            }
            let tr = to_trace > 0 && {
                to_trace -= 1;
                to_trace == 0
            };
            if tr {
                to_trace = cfg.trace_every;
            }
            if due || tr {
                if let Some(s) = check(problem, &*solver, observers, run, &bounds, t0, tr) {
                    return s;
                }
            }
        }
    }
}

/// The iteration, oracle-call and time limits, before a step.
#[inline]
fn limit(cfg: &RunConfig, problem: &Problem, run: &Run, clock: &mut Clock) -> Option<Status> {
    if run.iterations >= cfg.max_iters {
        Some(Status::MaxIterations)
    } else if cfg.max_calls.is_some_and(|m| problem.counters().oracle_calls >= m) {
        Some(Status::OracleBudget)
    } else if clock.limit_reached() {
        Some(Status::TimeLimit)
    } else {
        None
    }
}

/// A residual check (and a trace point when `tr`): the rules judged where the solver last
/// evaluated F, when it keeps that value ([`Solver::evaluated_point`], no oracle call), else
/// at the iterate with a monitoring evaluation. A point that stops the run is the one reported.
#[allow(clippy::too_many_arguments)]
#[inline]
fn check<S: Solver + ?Sized>(
    problem: &mut Problem,
    solver: &S,
    observers: &mut [&mut dyn Observer],
    run: &mut Run,
    bounds: &Bounds,
    t0: Instant,
    tr: bool,
) -> Option<Status> {
    let it = run.iterations;
    let measured = solver.evaluated_point().and_then(|(y, fy)| problem.measure_at_evaluated(y, fy).map(|m| (m, y)));
    if !tr && observers.is_empty() && measured.is_some_and(|(m, _)| bounds.continues(m)) {
        return None;
    }
    let evaluated = measured.map(|(m, y)| (m.norm(), y));
    let threshold = bounds.threshold;
    let elapsed = if tr || !observers.is_empty() { t0.elapsed().as_secs_f64() } else { 0.0 };
    let residual = match evaluated {
        Some((r, _)) => r,
        None => problem.natural_residual(run.last_finite()),
    };
    let at = if evaluated.is_some() { "the point evaluated in" } else { "the iterate of" };
    let status = if residual.is_nan() {
        run.message = Some(format!("F became NaN at {at} iteration {it}"));
        Some(Status::NumericalError)
    } else if residual > threshold {
        run.message = Some(format!("the residual {residual:.3e} exceeded {threshold:.3e} (divergence factor x initial residual) at {at} iteration {it}"));
        Some(Status::Diverged)
    } else if residual <= bounds.tol {
        match evaluated {
            // Report the evaluated point (finite: F was finite there).
            Some((_, y)) => linalg::copy_finite(run.bufs[1 - run.cur].as_mut(), y).then(|| {
                run.cur = 1 - run.cur;
                Status::Converged
            }),
            None => Some(Status::Converged),
        }
    } else {
        None
    };
    if tr {
        // The trace point is the reported point: the iterate, or the evaluated point the run
        // converged at (whose residual is the one just computed).
        let r = if evaluated.is_some() && status != Some(Status::Converged) {
            problem.natural_residual(run.last_finite())
        } else {
            residual
        };
        push_trace(problem, it, r, run.bufs[run.cur].as_ref(), elapsed, &mut run.trace);
    }
    if status.is_some() {
        return status;
    }
    if observers.is_empty() {
        return None;
    }
    let obs = Observation {
        iteration: it,
        oracle_calls: problem.counters().oracle_calls,
        residual,
        elapsed_s: elapsed,
        z: evaluated.map_or(run.last_finite(), |(_, y)| y),
    };
    let mut keep = true;
    for o in observers.iter_mut() {
        keep &= o.observe(&obs);
    }
    if keep {
        return None;
    }
    run.message = Some("stopped by an observer".into());
    Some(Status::Stopped)
}

/// The residual bounds of the stopping rules, with their squares for deciding without a
/// square root that a run continues.
struct Bounds {
    tol: f64,
    /// Diverged above this residual.
    threshold: f64,
    /// A squared residual strictly between these continues the run: `r > tol` and
    /// `r <= threshold` hold for its correctly rounded root with a margin of 1e-9 relative
    /// (far above the roundings of the squares and the root), so the decision is the one the
    /// root would give. NaN and infinity compare false and take the exact path.
    above_tol2: f64,
    below_threshold2: f64,
}

impl Bounds {
    fn new(tol: f64, threshold: f64) -> Self {
        let t2 = tol * tol;
        // A tolerance whose square is subnormal or zero cannot be compared squared.
        let above_tol2 = if tol == 0.0 || t2 >= f64::MIN_POSITIVE { t2 * (1.0 + 1e-9) } else { f64::INFINITY };
        // An overflowing square is fine: every finite square's root (< 1.4e154) is below it.
        Self { tol, threshold, above_tol2, below_threshold2: threshold * threshold * (1.0 - 1e-9) }
    }

    /// Whether the measured residual certainly continues the run (above the tolerance, not
    /// diverged, not NaN).
    #[inline]
    fn continues(&self, m: crate::problem::Measured) -> bool {
        match m {
            crate::problem::Measured::Squared(s) => s > self.above_tol2 && s < self.below_threshold2,
            crate::problem::Measured::Norm(r) => r > self.tol && r <= self.threshold,
        }
    }
}

/// Accepts a step: its iterate is copied (and checked finite) into the spare buffer, which then
/// becomes the last finite iterate; its averaging point enters the ergodic average. Ends the run
/// on a non-finite iterate or when the solver finished it.
#[inline]
fn accept<S: Solver + ?Sized>(solver: &S, step: StepStatus, run: &mut Run, avg: &mut Average) -> Option<Status> {
    let it = run.iterations;
    let z = solver.iterate();
    if !linalg::copy_finite(run.bufs[1 - run.cur].as_mut(), z) {
        let nan = linalg::has_nan(z);
        run.message = Some(format!(
            "the iterate became {} at iteration {it}; reporting the last finite iterate",
            if nan { "NaN" } else { "infinite" }
        ));
        return Some(if nan { Status::NumericalError } else { Status::Diverged });
    }
    run.cur = 1 - run.cur;
    let p = solver.averaging_point();
    // The iterate was just checked; other averaging points are checked by `add`.
    avg.add(p, std::ptr::eq(p.as_ptr(), z.as_ptr()) && p.nrows() == z.nrows() && p.row_stride() == z.row_stride());
    if let StepStatus::Finished(s) = step {
        run.message = Some(
            solver.status_message().unwrap_or_else(|| format!("solver `{}` ended the run", solver.name()))
                + &format!(" (iteration {it})"),
        );
        return Some(s);
    }
    None
}

/// The state of one run that the report is made from.
struct Run {
    status: Status,
    message: Option<String>,
    iterations: u64,
    /// `bufs[cur]` is the last iterate whose entries were all finite; the next iterate is
    /// copied (and checked) into the other buffer, which then becomes current if it is finite.
    bufs: [Col<f64>; 2],
    cur: usize,
    trace: Vec<TracePoint>,
}

impl Run {
    fn last_finite(&self) -> ColRef<'_, f64> {
        self.bufs[self.cur].as_ref()
    }
}

/// The wall-time limit, read on a schedule: the clock is read every `interval` iterations, and
/// the interval doubles while reads come less than [`Clock::TARGET`]`/ 2` apart and halves when
/// they come more than `2 x TARGET` apart. With iteration times that do not jump by orders of
/// magnitude, a run ends within about `2 x TARGET` (1 ms) of the limit; a run whose iterations
/// take longer than that reads the clock every iteration, as before.
struct Clock {
    t0: Instant,
    limit: Option<f64>,
    countdown: u64,
    interval: u64,
    last: f64,
}

impl Clock {
    /// Seconds between clock reads the schedule aims for.
    const TARGET: f64 = 5e-4;
    const MAX_INTERVAL: u64 = 1 << 24;

    fn new(t0: Instant, limit: Option<f64>) -> Self {
        Self { t0, limit, countdown: 1, interval: 1, last: 0.0 }
    }

    /// Whether the limit is reached (reads the clock only when the countdown runs out).
    #[inline]
    fn limit_reached(&mut self) -> bool {
        let Some(limit) = self.limit else { return false };
        self.countdown -= 1;
        if self.countdown > 0 {
            return false;
        }
        self.reached(limit)
    }

    #[cold]
    fn reached(&mut self, limit: f64) -> bool {
        let now = self.t0.elapsed().as_secs_f64();
        if now >= limit {
            return true;
        }
        let gap = now - self.last;
        self.last = now;
        if gap < 0.5 * Self::TARGET && self.interval < Self::MAX_INTERVAL {
            self.interval *= 2;
        } else if gap > 2.0 * Self::TARGET && self.interval > 1 {
            self.interval /= 2;
        }
        self.countdown = self.interval;
        false
    }
}

/// The running (ergodic) mean of the solver's finite averaging points.
struct Average {
    mean: Col<f64>,
    /// Points averaged (a float: exact up to 2^53, and no integer conversion per step).
    count: f64,
}

impl Average {
    fn new(n: usize) -> Self {
        Self { mean: Col::zeros(n), count: 0.0 }
    }
    /// Adds `p` if it is finite (`checked`: the caller knows it is).
    #[inline(always)]
    #[allow(clippy::eq_op)] // `v - v` is the finiteness test
    fn add(&mut self, p: ColRef<'_, f64>, checked: bool) {
        // Length 2 inline (the tiny games), the rest out of line.
        if let (Some([m0, m1]), Some([p0, p1])) = (linalg::slice_mut(self.mean.as_mut()), linalg::pair(p)) {
            if checked || (p0 - p0) + (p1 - p1) == 0.0 {
                self.count += 1.0;
                let w = 1.0 / self.count;
                *m0 += w * (p0 - *m0);
                *m1 += w * (p1 - *m1);
            }
            return;
        }
        self.add_any(p, checked);
    }

    #[inline(never)]
    fn add_any(&mut self, p: ColRef<'_, f64>, checked: bool) {
        if checked || linalg::all_finite(p) {
            self.count += 1.0;
            let w = 1.0 / self.count;
            match (linalg::slice_mut(self.mean.as_mut()), linalg::slice(p)) {
                (Some(m), Some(p)) => {
                    for (a, p) in m.iter_mut().zip(p) {
                        *a += w * (*p - *a);
                    }
                }
                _ => faer::zip!(self.mean.as_mut(), p).for_each(|faer::unzip!(a, p)| *a += w * (*p - *a)),
            }
        }
    }
    /// The mean, or `fallback` when no point was averaged.
    fn mean_or(mut self, fallback: ColRef<'_, f64>) -> Col<f64> {
        if self.count == 0.0 {
            self.mean.copy_from(fallback);
        }
        self.mean
    }
}

/// Appends a trace point at `z` (metrics and distance included; the iterate itself only for
/// dimension <= 4, for trajectory plots).
fn push_trace(problem: &mut Problem, it: u64, r: f64, z: ColRef<'_, f64>, t: f64, trace: &mut Vec<TracePoint>) {
    let c = problem.counters();
    trace.push(TracePoint {
        iteration: it,
        oracle_calls: c.oracle_calls,
        projections: c.projections,
        residual: r,
        distance_to_solution: problem.distance_to_solution(z),
        elapsed_s: t,
        metrics: problem.metrics(z),
        z: (z.nrows() <= 4).then(|| linalg::to_vec(z)),
    });
}

#[cfg(test)]
mod tests {
    use super::Bounds;
    use crate::problem::Measured;
    use proptest::prelude::*;

    /// What the check decides from the residual itself: continue iff `tol < r <= threshold`.
    fn continues_exactly(r: f64, b: &Bounds) -> bool {
        !r.is_nan() && r <= b.threshold && r > b.tol
    }

    fn agree(s: f64, b: &Bounds) {
        if b.continues(Measured::Squared(s)) {
            assert!(continues_exactly(s.sqrt(), b), "s = {s:e}, tol = {:e}, threshold = {:e}", b.tol, b.threshold);
        }
    }

    #[test]
    fn squared_decisions_match_the_root_at_the_edges() {
        let cases =
            [(1e-8, 1e8), (0.0, 1e8), (1e-300, 1e300), (1e-160, 1e160), (1e-200, 1e200), (f64::MIN_POSITIVE, 2.0)];
        for (tol, threshold) in cases {
            let b = Bounds::new(tol, threshold);
            for edge in [tol, threshold] {
                let mut s = edge * edge;
                // Walk a few thousand ulps either side of each squared bound.
                for _ in 0..4000 {
                    agree(s, &b);
                    s = s.next_down();
                }
                let mut s = edge * edge;
                for _ in 0..4000 {
                    agree(s, &b);
                    s = s.next_up();
                }
            }
            for s in [0.0, f64::MIN_POSITIVE, 1.0, f64::MAX, f64::INFINITY, f64::NAN] {
                agree(s, &b);
            }
            // Far from both bounds the squared test decides (no root taken).
            let mid = (tol.max(1e-150) * threshold.min(1e150)).sqrt();
            assert!(
                b.continues(Measured::Squared(mid * mid)) || tol * tol < f64::MIN_POSITIVE,
                "{tol:e} {threshold:e}"
            );
        }
    }

    proptest! {
        #[test]
        fn squared_decisions_match_the_root(tol in 0.0..1e-3f64, threshold in 1.0..1e12f64, s in 0.0..1e30f64, e in -40i32..40) {
            let b = Bounds::new(tol, threshold);
            agree(s * 10f64.powi(e), &b);
            agree(tol * tol * (1.0 + 1e-9 * f64::from(e)), &b);
        }
    }
}
