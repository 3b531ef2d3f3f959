//! A [`Problem`]: an operator, a constraint set, a start, named blocks (players), an optional
//! known solution and named metrics.
//!
//! Every evaluation of `F` and every projection that a solver makes goes through the problem,
//! which counts them: solvers are compared per oracle call, not per iteration (EFTP makes one
//! call per iteration, extragradient two). Monitoring (residuals, metrics, traces) uses
//! [`Problem::natural_residual`], which is not counted and does not touch the operator's random
//! state.

use faer::prelude::ReborrowMut;
use faer::{Col, ColMut, ColRef, MatMut};

use crate::error::{Error, Result};
use crate::finite_sum::MiniBatch;
use crate::linalg;
use crate::operator::{Monotonicity, Operator, TikhonovTerm};
pub use crate::sets::Block;
use crate::sets::{ConstraintSet, WholeSpace};

/// A named scalar measured at a point (duality gap, distance to equilibrium, modes covered...).
///
/// Metrics are evaluated at trace points and at the end of a run, never inside a solver step.
/// A metric that samples must do so from its own seeded state so that its value depends only on
/// `z` (same seed, same numbers).
pub trait Metric: Send {
    /// The metric's name as it appears in reports (snake_case, e.g. `duality_gap`).
    fn name(&self) -> &str;
    /// The value at `z`.
    fn value(&mut self, z: ColRef<'_, f64>) -> f64;
}

/// A [`Metric`] from a closure.
pub struct FnMetric<F> {
    name: String,
    f: F,
}

impl<F: FnMut(ColRef<'_, f64>) -> f64 + Send> FnMetric<F> {
    /// Wraps `f` under `name`.
    pub fn new(name: impl Into<String>, f: F) -> Self {
        Self { name: name.into(), f }
    }
}

impl<F: FnMut(ColRef<'_, f64>) -> f64 + Send> Metric for FnMetric<F> {
    fn name(&self) -> &str {
        &self.name
    }
    fn value(&mut self, z: ColRef<'_, f64>) -> f64 {
        (self.f)(z)
    }
}

/// Counts of oracle calls made so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    /// Evaluations of `F` requested by the solver, in full-operator equivalents: full
    /// evaluations plus `ceil(component_calls / N)` on a finite sum.
    pub oracle_calls: u64,
    /// Projections onto the constraint set requested by the solver.
    pub projections: u64,
    /// Component evaluations `F_i` requested by the solver (finite sums only).
    pub component_calls: u64,
    /// Full evaluations made for monitoring (natural residuals), not by the solver.
    pub monitor_calls: u64,
}

/// A variational inequality `VI(C, F)` with its start, players, known answer and metrics.
pub struct Problem {
    name: String,
    operator: Box<dyn Operator>,
    set: Box<dyn ConstraintSet>,
    /// `set.is_whole_space()`, read once (no dynamic call per projection or residual).
    whole_space: bool,
    /// `operator.eval_is_exact()`, read once.
    exact: bool,
    start: Col<f64>,
    blocks: Vec<Block>,
    solution: Option<Col<f64>>,
    metrics: Vec<Box<dyn Metric>>,
    lipschitz: Option<f64>,
    shift: Option<TikhonovTerm>,
    /// Positions of the diagonal entries in the operator's sparse Jacobian values, if it has a
    /// (valid) pattern: where a Tikhonov shift lands.
    sparse_diagonal: Option<Vec<usize>>,
    counters: Counters,
    /// Full evaluations made so far (`oracle_calls` adds the component passes).
    full_calls: u64,
    scratch: Col<f64>,
    params: serde_json::Value,
    sampler: Option<Sampler>,
    reference_points: Vec<[f64; 2]>,
}

/// Draws `n` two-dimensional samples from the model at `z` (e.g. a GAN's generated points),
/// deterministically for a given `z`. See [`Problem::with_sampler`].
pub type Sampler = Box<dyn FnMut(ColRef<'_, f64>, usize) -> Vec<[f64; 2]> + Send>;

impl std::fmt::Debug for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Problem")
            .field("name", &self.name)
            .field("dim", &self.dim())
            .field("set", &self.set.describe())
            .field("blocks", &self.blocks)
            .finish_non_exhaustive()
    }
}

impl Problem {
    /// A problem named `name` with operator, set and start.
    ///
    /// Blocks default to one block `z` covering everything.
    ///
    /// # Errors
    /// [`Error::Dimension`] when the operator, set and start disagree on the dimension;
    /// [`Error::NonFinite`] for a non-finite start.
    pub fn new(
        name: impl Into<String>,
        operator: Box<dyn Operator>,
        set: Box<dyn ConstraintSet>,
        start: Col<f64>,
    ) -> Result<Self> {
        let name = name.into();
        let n = operator.dim();
        if set.dim() != n {
            return Err(Error::dim(format!("problem `{name}`: constraint set"), n, set.dim()));
        }
        let mut p = Self {
            name,
            exact: operator.eval_is_exact(),
            operator,
            whole_space: set.is_whole_space(),
            set,
            start: Col::zeros(n),
            blocks: vec![Block::new("z", 0..n)],
            solution: None,
            metrics: Vec::new(),
            lipschitz: None,
            shift: None,
            sparse_diagonal: None,
            counters: Counters::default(),
            full_calls: 0,
            scratch: Col::zeros(n),
            params: serde_json::Value::Null,
            sampler: None,
            reference_points: Vec::new(),
        };
        p.set_start(start.as_ref())?;
        Ok(p)
    }

    /// An unconstrained problem.
    ///
    /// # Errors
    /// As [`Problem::new`].
    pub fn unconstrained(name: impl Into<String>, operator: Box<dyn Operator>, start: Col<f64>) -> Result<Self> {
        let n = operator.dim();
        Self::new(name, operator, Box::new(WholeSpace::new(n)), start)
    }

    /// Declares the players. Blocks must be disjoint, in range, and non-empty.
    ///
    /// # Errors
    /// [`Error::Dimension`] for a block out of range, [`Error::Config`] for overlapping blocks.
    pub fn with_blocks(mut self, blocks: Vec<Block>) -> Result<Self> {
        let n = self.dim();
        let mut seen = vec![false; n];
        for b in &blocks {
            if b.range.end > n || b.range.is_empty() {
                return Err(Error::dim(format!("block `{}` range end", b.name), n, b.range.end));
            }
            for i in b.range.clone() {
                if std::mem::replace(&mut seen[i], true) {
                    return Err(Error::Config(format!("blocks overlap at coordinate {i} (block `{}`)", b.name)));
                }
            }
        }
        self.blocks = blocks;
        Ok(self)
    }

    /// Declares a known solution (for the minimum-norm solution of a degenerate problem, the
    /// distance reported is the distance to this point).
    ///
    /// # Errors
    /// [`Error::Dimension`] or [`Error::NonFinite`].
    pub fn with_solution(mut self, z: Col<f64>) -> Result<Self> {
        check_point(&self.name, "known solution", self.dim(), z.as_ref())?;
        self.solution = Some(z);
        Ok(self)
    }

    /// Adds a metric.
    pub fn with_metric(mut self, m: Box<dyn Metric>) -> Self {
        self.metrics.push(m);
        self
    }

    /// Overrides the Lipschitz constant reported by the operator (e.g. a problem-level bound).
    pub fn with_lipschitz(mut self, l: f64) -> Self {
        self.lipschitz = Some(l);
        self
    }

    /// Records the resolved parameters that built this problem (set by the registry).
    pub fn with_params(mut self, params: serde_json::Value) -> Self {
        self.params = params;
        self
    }

    /// Attaches a 2-D sampler (problem-agnostic hook for scatter plots of generated samples).
    pub fn with_sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = Some(sampler);
        self
    }

    /// Attaches 2-D reference points drawn under the samples (e.g. the data modes).
    pub fn with_reference_points(mut self, points: Vec<[f64; 2]>) -> Self {
        self.reference_points = points;
        self
    }

    /// `n` 2-D samples of the model at `z`, if the problem has a sampler. Not counted.
    pub fn samples(&mut self, z: ColRef<'_, f64>, n: usize) -> Option<Vec<[f64; 2]>> {
        self.sampler.as_mut().map(|s| s(z, n))
    }

    /// The 2-D reference points (empty if none).
    pub fn reference_points(&self) -> &[[f64; 2]] {
        &self.reference_points
    }

    /// Replaces the starting point, projected onto the set: every solver begins in `C`.
    ///
    /// # Errors
    /// [`Error::Dimension`] or [`Error::NonFinite`].
    pub fn set_start(&mut self, z: ColRef<'_, f64>) -> Result<()> {
        check_point(&self.name, "start", self.dim(), z)?;
        self.start = z.to_owned();
        if !self.whole_space {
            self.set.project(self.start.as_mut());
        }
        Ok(())
    }

    /// The problem's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The dimension `n`.
    pub fn dim(&self) -> usize {
        self.operator.dim()
    }
    /// The starting point (in the set).
    pub fn start(&self) -> ColRef<'_, f64> {
        self.start.as_ref()
    }
    /// The players.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }
    /// The known solution, if any.
    pub fn solution(&self) -> Option<ColRef<'_, f64>> {
        self.solution.as_ref().map(|s| s.as_ref())
    }
    /// The constraint set.
    pub fn set(&self) -> &dyn ConstraintSet {
        self.set.as_ref()
    }
    /// The operator (read-only: for its declared constants).
    pub fn operator(&self) -> &dyn Operator {
        self.operator.as_ref()
    }
    /// The operator, mutably, for diagnostics (Jacobians). Evaluations made through it are not
    /// counted; solvers must use [`Problem::eval`].
    pub fn operator_mut(&mut self) -> &mut dyn Operator {
        self.operator.as_mut()
    }
    /// The resolved parameters (JSON), `null` when built outside the registry.
    pub fn params(&self) -> &serde_json::Value {
        &self.params
    }
    /// Names of the problem's metrics.
    pub fn metric_names(&self) -> Vec<String> {
        self.metrics.iter().map(|m| m.name().to_string()).collect()
    }

    /// The Lipschitz constant of the operator the solver sees (including an active Tikhonov
    /// shift), if known.
    pub fn lipschitz(&self) -> Option<f64> {
        let base = self.lipschitz.or_else(|| self.operator.lipschitz())?;
        Some(base + self.shift.as_ref().map_or(0.0, |s| s.max_weight()))
    }

    /// The strong-monotonicity modulus of the operator the solver sees, if known.
    pub fn strong_monotonicity(&self) -> Option<f64> {
        let extra = self.shift.as_ref().map_or(0.0, |s| s.min_weight());
        match self.operator.monotonicity() {
            Monotonicity::Monotone | Monotonicity::StronglyMonotone => {
                Some(self.operator.strong_monotonicity().unwrap_or(0.0) + extra)
            }
            _ => None,
        }
    }

    /// Oracle calls and projections so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }
    /// Resets the counters (the runner does this at the start of a run).
    pub fn reset_counters(&mut self) {
        self.counters = Counters::default();
        self.full_calls = 0;
    }

    /// Evaluates `F(z)` (plus the active Tikhonov shift, if any) into `out`. Counted.
    #[inline]
    pub fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        self.counters.oracle_calls += 1;
        self.full_calls += 1;
        self.operator.eval(z, out.rb_mut());
        if let Some(s) = &self.shift {
            s.add_to(z, out);
        }
    }

    /// The number of components `N` when the operator is a finite sum.
    pub fn components(&self) -> Option<usize> {
        self.operator.finite_sum().map(|f| f.components())
    }

    /// The component Lipschitz constants `L_i`, when the operator is a finite sum that knows them.
    pub fn component_lipschitz(&self) -> Option<&[f64]> {
        self.operator.finite_sum().and_then(|f| f.component_lipschitz())
    }

    /// Writes the minibatch estimate `sum_j w_j F_{i_j}(z)` (plus the active Tikhonov shift,
    /// once) into `out`. Counted: `component_calls += b`, and `oracle_calls` grows to
    /// `full evaluations + ceil(component_calls / N)`. Allocation-free.
    ///
    /// # Panics
    /// If the operator is not a finite sum (solvers check [`Problem::components`] in `init`) or
    /// an index is out of range.
    pub fn eval_components(&mut self, batch: &MiniBatch, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let fs = self.operator.finite_sum_mut().expect("eval_components needs a finite-sum operator");
        let n = fs.components() as u64;
        out.fill(0.0);
        for (&i, &w) in batch.indices.iter().zip(&batch.weights) {
            fs.add_component(i, w, z, out.rb_mut());
        }
        self.counters.component_calls += batch.len() as u64;
        self.counters.oracle_calls = self.full_calls + self.counters.component_calls.div_ceil(n);
        if let Some(s) = &self.shift {
            s.add_to(z, out);
        }
    }

    /// Projects `z` onto the constraint set in place. Counted (free and uncounted on the whole
    /// space).
    #[inline]
    pub fn project(&mut self, z: ColMut<'_, f64>) {
        if !self.whole_space {
            self.counters.projections += 1;
            self.set.project(z);
        }
    }

    /// Whether the set is the whole space.
    pub fn is_unconstrained(&self) -> bool {
        self.whole_space
    }

    /// Activates (or clears) a Tikhonov shift `eps (z - anchor)` added to every counted
    /// evaluation. Used by Tikhonov continuation; residuals and metrics ignore it.
    pub fn set_tikhonov(&mut self, shift: Option<TikhonovTerm>) {
        if shift.is_some() && self.sparse_diagonal.is_none() {
            let n = self.dim();
            self.sparse_diagonal = self
                .operator
                .jacobian_pattern()
                .and_then(|p| crate::operator::check_jacobian_pattern(p.as_ref(), n).ok());
        }
        self.shift = shift;
    }

    /// The active Tikhonov shift.
    pub fn tikhonov(&self) -> Option<&TikhonovTerm> {
        self.shift.as_ref()
    }

    /// The dense Jacobian of the operator the solver sees (`F` plus the active Tikhonov shift,
    /// whose Jacobian is the diagonal of its weights) into `out`; `false` when the operator has
    /// no analytic Jacobian. Not counted (callers count their Jacobian work, e.g. Newton).
    pub fn jacobian_into(&mut self, z: ColRef<'_, f64>, mut out: MatMut<'_, f64>) -> bool {
        if !self.operator.jacobian_into(z, out.rb_mut()) {
            return false;
        }
        if let Some(s) = &self.shift {
            for i in 0..out.nrows() {
                out[(i, i)] += s.weights()[i];
            }
        }
        true
    }

    /// The values of the sparse Jacobian of the operator the solver sees (pattern
    /// [`Operator::jacobian_pattern`], which holds the diagonal), with the active Tikhonov
    /// shift added on the diagonal; `false` when the operator writes none. Not counted.
    pub fn jacobian_values_into(&mut self, z: ColRef<'_, f64>, values: &mut [f64]) -> bool {
        if !self.operator.jacobian_values_into(z, values) {
            return false;
        }
        if let Some(s) = &self.shift {
            let Some(diag) = &self.sparse_diagonal else { return false };
            for (i, &k) in diag.iter().enumerate() {
                values[k] += s.weights()[i];
            }
        }
        true
    }

    /// The natural residual `||z - P_C(z - F(z))||` of the *original* problem (no shift),
    /// computed with the monitoring evaluation. Not an oracle call: counted in
    /// [`Counters::monitor_calls`].
    ///
    /// NaN when `F(z)` has a NaN entry and `+inf` when it has an infinite one: a projection
    /// could otherwise clamp an infinite `F` back into the set and report a finite residual.
    pub fn natural_residual(&mut self, z: ColRef<'_, f64>) -> f64 {
        self.natural_residual_with(z, false)
    }

    /// The natural residual, optionally including the active Tikhonov shift (for a
    /// continuation stage). Counted in [`Counters::monitor_calls`] only.
    pub fn natural_residual_with(&mut self, z: ColRef<'_, f64>, with_shift: bool) -> f64 {
        self.counters.monitor_calls += 1;
        self.operator.eval_monitor(z, self.scratch.as_mut());
        let shift = if with_shift { self.shift.as_ref() } else { None };
        residual_from(z, &mut self.scratch, self.set.as_ref(), self.whole_space, shift)
    }

    /// The natural residual at a point `y` where the caller holds `fy = F(y)` as the last oracle
    /// call returned it: `||y - P_C(y - F(y))||`, with no further oracle call and bit for bit
    /// what [`Problem::natural_residual`] computes at `y`. `None` when that value would not be
    /// the residual of the original problem at `y`: the oracle returns samples
    /// ([`Operator::eval_is_exact`]) or a Tikhonov shift is active.
    #[inline]
    pub fn natural_residual_at_evaluated(&mut self, y: ColRef<'_, f64>, fy: ColRef<'_, f64>) -> Option<f64> {
        self.measure_at_evaluated(y, fy).map(Measured::norm)
    }

    /// [`Problem::natural_residual_at_evaluated`] before its square root where the set is the
    /// whole space (the runner's check needs the root only when the run stops or is observed).
    #[inline(always)]
    pub(crate) fn measure_at_evaluated(&mut self, y: ColRef<'_, f64>, fy: ColRef<'_, f64>) -> Option<Measured> {
        if self.shift.is_some() || !self.exact {
            return None;
        }
        // Length 2 in the whole space without a loop (the tiny games); `measure_any` is inlined
        // too (see `linalg::copy_finite`).
        // The same roundings as `residual_from`, without copying F(y).
        if self.whole_space {
            if let (Some([y0, y1]), Some([f0, f1])) = (linalg::pair(y), linalg::pair(fy)) {
                let (d0, d1) = (y0 - (y0 - f0), y1 - (y1 - f1));
                return Some(Measured::Squared(d0 * d0 + d1 * d1));
            }
        }
        Some(self.measure_any(y, fy))
    }

    #[inline(always)]
    fn measure_any(&mut self, y: ColRef<'_, f64>, fy: ColRef<'_, f64>) -> Measured {
        if self.whole_space {
            if let (Some(ys), Some(fs)) = (linalg::slice(y), linalg::slice(fy)) {
                let mut s = 0.0;
                for (y, f) in ys.iter().zip(fs) {
                    let d = *y - (*y - *f);
                    s += d * d;
                }
                return Measured::Squared(s);
            }
        }
        self.scratch.copy_from(fy);
        Measured::Norm(residual_from(y, &mut self.scratch, self.set.as_ref(), self.whole_space, None))
    }

    /// `||z - z*||` when a solution is known.
    pub fn distance_to_solution(&self, z: ColRef<'_, f64>) -> Option<f64> {
        self.solution.as_ref().map(|s| linalg::dist(z, s.as_ref()))
    }

    /// Evaluates every metric at `z`.
    pub fn metrics(&mut self, z: ColRef<'_, f64>) -> std::collections::BTreeMap<String, f64> {
        self.metrics.iter_mut().map(|m| (m.name().to_string(), m.value(z))).collect()
    }
}

fn check_point(problem: &str, what: &str, n: usize, z: ColRef<'_, f64>) -> Result<()> {
    if z.nrows() != n {
        return Err(Error::dim(format!("problem `{problem}`: {what}"), n, z.nrows()));
    }
    if !linalg::all_finite(z) {
        return Err(Error::NonFinite(format!("problem `{problem}`: {what}")));
    }
    Ok(())
}

/// A natural residual as measured: the norm, or its square where the root was not yet taken.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Measured {
    /// `||r||^2`.
    Squared(f64),
    /// `||r||`.
    Norm(f64),
}

impl Measured {
    /// The residual `||r||` (the square root correctly rounded, as the direct formula gives).
    #[inline]
    pub(crate) fn norm(self) -> f64 {
        match self {
            Self::Squared(s) => s.sqrt(),
            Self::Norm(r) => r,
        }
    }
}

/// `||z - P(z - (w + shift))||` for `w = F(z)` (overwritten): the natural residual once `F(z)` is
/// known. NaN when `F(z)` has a NaN entry and `+inf` when it has an infinite one.
fn residual_from(
    z: ColRef<'_, f64>,
    w: &mut Col<f64>,
    set: &dyn ConstraintSet,
    whole_space: bool,
    shift: Option<&TikhonovTerm>,
) -> f64 {
    if whole_space && shift.is_none() {
        // P = identity: one fused pass computing ||z - (z - F z)|| exactly as the general
        // path below does (same roundings). A NaN in F gives NaN and an infinite entry (with
        // no NaN) gives +inf, as the finiteness check of the general path would.
        if let (Some(&[z0, z1]), Some(&[f0, f1])) = (linalg::slice(z), linalg::slice(w.as_ref())) {
            let (d0, d1) = (z0 - (z0 - f0), z1 - (z1 - f1));
            return (d0 * d0 + d1 * d1).sqrt();
        }
        if let (Some(zs), Some(fs)) = (linalg::slice(z), linalg::slice(w.as_ref())) {
            let mut s = 0.0;
            for (z, f) in zs.iter().zip(fs) {
                let d = *z - (*z - *f);
                s += d * d;
            }
            return s.sqrt();
        }
    }
    if !linalg::all_finite(w.as_ref()) {
        return if linalg::has_nan(w.as_ref()) { f64::NAN } else { f64::INFINITY };
    }
    if let Some(s) = shift {
        s.add_to(z, w.as_mut());
    }
    // w <- z - F(z), projected; residual = ||z - P(w)||.
    faer::zip!(w.as_mut(), z).for_each(|faer::unzip!(w, z)| *w = *z - *w);
    set.project(w.as_mut());
    linalg::dist(z, w.as_ref())
}

#[cfg(test)]
mod tests;
