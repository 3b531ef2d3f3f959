//! The loop of one run, compiled per solver type ([`Loop::iterate`]): limits, a step, the
//! step's iterate accepted, the periodic check; and the state it keeps (last finite iterate,
//! ergodic average, clock schedule, tolerance and divergence bounds).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use faer::{Col, ColRef};

use super::config::{Observation, Observer, RunConfig};
use crate::linalg::{self, Flip};
use crate::problem::Problem;
use crate::report::TracePoint;
use crate::solver::{Solver, StepStatus};
use crate::status::Status;

/// One run's loop state, handed to [`Solver::drive`] so that the loop is compiled for each
/// solver type ([`Loop::iterate`]). Built only by the [`Runner`].
#[doc(hidden)]
pub struct Loop<'a, 'o> {
    pub(super) config: &'a RunConfig,
    pub(super) problem: &'a mut Problem,
    pub(super) observers: &'a mut [&'o mut dyn Observer],
    pub(super) run: &'a mut Run,
    pub(super) avg: &'a mut Average,
    pub(super) bounds: Bounds,
    pub(super) t0: Instant,
    /// [`super::Runner::with_stop`]'s flag.
    pub(super) stop: Option<&'a AtomicBool>,
}

impl Loop<'_, '_> {
    /// The loop: limits, one step, the step's iterate accepted, and every `check_every` /
    /// `trace_every` iterations a check. Clock reads only on a cheap schedule, for traces and
    /// for observers; the residual is computed only at checks.
    pub fn iterate<S: Solver + ?Sized>(self, solver: &mut S) -> Status {
        let Loop { config: cfg, problem, observers, run, avg, bounds, t0, stop } = self;
        let mut clock = Clock::new(t0, cfg.time_limit, stop);
        // Countdowns instead of `it % every` (a 64-bit division per iteration).
        let mut to_check = cfg.check_every;
        let mut to_trace = cfg.trace_every;
        let quiet = observers.is_empty();
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
                // The common case inline: the residual where F was evaluated continues the run.
                if !tr && quiet && continues_at_evaluated(problem, &*solver, &bounds) {
                    continue;
                }
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
    } else {
        clock.due()
    }
}

/// Whether the rules certainly continue the run at the solver's evaluated point (false when
/// the solver keeps no evaluated point or the measure needs an oracle call: [`check`] decides).
#[inline(always)]
fn continues_at_evaluated<S: Solver + ?Sized>(problem: &mut Problem, solver: &S, bounds: &Bounds) -> bool {
    solver
        .evaluated_point()
        .and_then(|(y, fy)| problem.measure_at_evaluated(y, fy))
        .is_some_and(|m| bounds.continues(m))
}

/// A residual check (and a trace point when `tr`): the rules judged where the solver last
/// evaluated F, when it keeps that value ([`Solver::evaluated_point`], no oracle call), else
/// at the iterate with a monitoring evaluation. A point that stops the run is the one reported.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
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
            Some((_, y)) => run.keep_if_finite(y).then_some(Status::Converged),
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
        push_trace(problem, it, r, run.bufs.pair().0.as_ref(), elapsed, &mut run.trace);
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
pub(super) struct Bounds {
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
    pub(super) fn new(tol: f64, threshold: f64) -> Self {
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
    if !run.keep_if_finite(z) {
        let nan = linalg::has_nan(z);
        run.message = Some(format!(
            "the iterate became {} at iteration {it}; reporting the last finite iterate",
            if nan { "NaN" } else { "infinite" }
        ));
        return Some(if nan { Status::NumericalError } else { Status::Diverged });
    }
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
pub(super) struct Run {
    pub(super) status: Status,
    pub(super) message: Option<String>,
    pub(super) iterations: u64,
    /// The last point whose entries were all finite first; the next one is copied (and
    /// checked) into the second, which then becomes the first if it is finite
    /// ([`Run::keep_if_finite`]).
    pub(super) bufs: Flip<Col<f64>>,
    pub(super) trace: Vec<TracePoint>,
}

impl Run {
    pub(super) fn last_finite(&self) -> ColRef<'_, f64> {
        self.bufs.pair().0.as_ref()
    }

    /// Copies `z` into the spare buffer and, if every entry is finite, makes it the last
    /// finite point (one pass over `z`).
    #[inline(always)]
    pub(super) fn keep_if_finite(&mut self, z: ColRef<'_, f64>) -> bool {
        let finite = linalg::copy_finite(self.bufs.pair_mut().1.as_mut(), z);
        if finite {
            self.bufs.flip();
        }
        finite
    }
}

/// The wall-time limit and the stop flag, read on a schedule: every `interval` iterations,
/// the interval doubling while reads come less than [`Clock::TARGET`]`/ 2` apart and halving
/// when they come more than `2 x TARGET` apart. With iteration times that do not jump by orders
/// of magnitude, a run ends within about `2 x TARGET` (1 ms) of the limit or of the flag being
/// set; a run whose iterations take longer than that reads them every iteration.
struct Clock<'a> {
    /// A limit or a flag to read.
    active: bool,
    t0: Instant,
    limit: Option<f64>,
    stop: Option<&'a AtomicBool>,
    countdown: u64,
    interval: u64,
    last: f64,
}

impl<'a> Clock<'a> {
    /// Seconds between clock reads the schedule aims for.
    const TARGET: f64 = 5e-4;
    const MAX_INTERVAL: u64 = 1 << 24;

    fn new(t0: Instant, limit: Option<f64>, stop: Option<&'a AtomicBool>) -> Self {
        Self { active: limit.is_some() || stop.is_some(), t0, limit, stop, countdown: 1, interval: 1, last: 0.0 }
    }

    /// `TimeLimit` or `Stopped` when due (reads the clock and the flag only when the countdown
    /// runs out; never without a limit or a flag).
    #[inline]
    fn due(&mut self) -> Option<Status> {
        if !self.active {
            return None;
        }
        self.countdown -= 1;
        if self.countdown > 0 {
            return None;
        }
        self.read()
    }

    #[cold]
    fn read(&mut self) -> Option<Status> {
        if self.stop.is_some_and(|f| f.load(Ordering::Relaxed)) {
            return Some(Status::Stopped);
        }
        let now = self.t0.elapsed().as_secs_f64();
        if self.limit.is_some_and(|limit| now >= limit) {
            return Some(Status::TimeLimit);
        }
        let gap = now - self.last;
        self.last = now;
        if gap < 0.5 * Self::TARGET && self.interval < Self::MAX_INTERVAL {
            self.interval *= 2;
        } else if gap > 2.0 * Self::TARGET && self.interval > 1 {
            self.interval /= 2;
        }
        self.countdown = self.interval;
        None
    }
}

/// The running (ergodic) mean of the solver's finite averaging points.
pub(super) struct Average {
    mean: Col<f64>,
    /// Points averaged (a float: exact up to 2^53, and no integer conversion per step).
    count: f64,
}

impl Average {
    pub(super) fn new(n: usize) -> Self {
        Self { mean: Col::zeros(n), count: 0.0 }
    }
    /// Adds `p` if it is finite (`checked`: the caller knows it is).
    #[inline(always)]
    #[allow(clippy::eq_op)] // `v - v` is the finiteness test
    fn add(&mut self, p: ColRef<'_, f64>, checked: bool) {
        // Length 2 without a loop (the tiny games); `add_any` is inlined too (see
        // `linalg::copy_finite`).
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

    #[inline(always)]
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
    pub(super) fn mean_or(mut self, fallback: ColRef<'_, f64>) -> Col<f64> {
        if self.count == 0.0 {
            self.mean.copy_from(fallback);
        }
        self.mean
    }
}

/// Appends a trace point at `z` (metrics and distance included; the iterate itself only for
/// dimension <= 4, for trajectory plots).
pub(super) fn push_trace(
    problem: &mut Problem,
    it: u64,
    r: f64,
    z: ColRef<'_, f64>,
    t: f64,
    trace: &mut Vec<TracePoint>,
) {
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
