//! Small helpers shared by the solvers: step-rule checks and the backtracking cap.

use vi_core::{Error, LinearModel, PredictedStep, Result, StepRule};

vi_core::params! {
    /// The step rule of the extragradient-type methods with its backtracking search, flattened
    /// into extragradient, EFTP and OGDA (each declares its own defaults for `factor` and `nu`).
    pub struct StepSearch {
        /// step size: a number, "auto" (factor/L) or "adaptive" (backtracking)
        pub step: StepRule = StepRule::Auto, step_rule();
        /// eta = factor / L for "auto" and as the adaptive initial guess
        pub factor: f64 = 0.5, open(0.0, 1.0);
        /// adaptive: accept eta when eta ||F(z') - F(z)|| <= nu ||z' - z||
        pub nu: f64 = 0.9, open(0.0, 1.0);
        /// adaptive: multiply eta by this after each accepted step
        pub grow: f64 = 1.2, at_least(1.0);
    }
}

impl StepSearch {
    /// The group with other defaults for `factor` and `nu`.
    pub fn with(factor: f64, nu: f64) -> Self {
        Self { factor, nu, ..Self::default() }
    }

    /// The step at a local Lipschitz constant (`factor / L` for `"auto"`).
    pub fn predicted_step(&self, lipschitz: f64) -> Option<PredictedStep> {
        self.step.predict(self.factor, lipschitz)
    }

    /// Whether the step is searched by backtracking.
    pub fn adaptive(&self) -> bool {
        self.step == StepRule::Adaptive
    }

    /// The backtracking search from the step `eta`: `trial(eta)` makes the trial point with
    /// that step (one oracle call) and returns `(||z' - z||, ||F(z') - F(z)||)` against its
    /// reference point. The first trial uses `eta`; each failed one halves it. Returns the
    /// accepted step, or `None` after 60 halvings.
    pub fn search(&self, mut eta: f64, mut trial: impl FnMut(f64) -> (f64, f64)) -> Option<f64> {
        for _ in 0..=MAX_HALVINGS {
            let (dz, df) = trial(eta);
            if lipschitz_test_passes(eta, self.nu, dz, df) {
                return Some(eta);
            }
            eta *= 0.5;
        }
        None
    }
}

/// Maximum number of halvings in one backtracking search before the step is declared collapsed
/// (`2^-60` of the trial step).
pub(crate) const MAX_HALVINGS: u32 = 60;

/// Checks `lo < x < hi` (open interval), naming the field.
pub(crate) fn open_range(owner: &str, field: &str, x: f64, lo: f64, hi: f64, why: &str) -> Result<()> {
    if !(x > lo && x < hi) {
        return Err(Error::param(owner, field, format!("must be in ({lo}, {hi}){why}, got {x}")));
    }
    Ok(())
}

/// The Lipschitz constant of the operator the solver sees: declared, or estimated at the start
/// (a few counted oracle calls).
pub(crate) fn lipschitz(problem: &mut vi_core::Problem) -> Result<f64> {
    // `StepRule::Auto.resolve(problem, 1.0)` is `1 / L` with the same fallback to an estimate.
    let inv = StepRule::Auto.resolve(problem, 1.0)?;
    Ok(1.0 / inv)
}

/// The local Lipschitz test of the adaptive rules (extragradient, EFTP, OGDA): accept `eta` when
/// `eta ||F(z') - F(z)|| <= nu ||z' - z||` between the trial point `z'` and its reference `z`.
/// A non-finite `||F(z') - F(z)||` is never accepted (the search halves `eta` instead); a trial
/// that did not move (`||z' - z|| = 0`) is accepted, as there is nothing to test.
pub(crate) fn lipschitz_test_passes(eta: f64, nu: f64, dz: f64, df: f64) -> bool {
    df.is_finite() && (eta * df <= nu * dz || dz == 0.0)
}

/// The report message when a backtracking search gives up (the only way the adaptive
/// extragradient-type methods end a run themselves).
pub(crate) fn backtracking_failed(eta: f64) -> String {
    format!(
        "backtracking halved the step {MAX_HALVINGS} times (to {eta:e}) without passing the local Lipschitz test; the operator returned non-finite values or is not locally Lipschitz there"
    )
}

/// The linear model of the optimistic methods (EFTP, OGDA): unconstrained, the recursion
/// `z+ = (1 - 2h) z + h z-` per eigenvalue, `h = eta lambda` (docs/math.md §2.4).
pub fn optimistic_model() -> LinearModel {
    LinearModel::modal("optimistic", 1, |h| vec![1.0 - 2.0 * h, h])
}
