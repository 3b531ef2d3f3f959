//! Small helpers shared by the solvers: step-rule checks and the backtracking cap.

use vi_core::{Error, Result, StepRule};

/// Maximum number of halvings in one backtracking search before the step is declared collapsed
/// (`2^-60` of the trial step).
pub(crate) const MAX_HALVINGS: u32 = 60;

/// Rejects `step = "adaptive"` for a method that has no adaptive rule.
pub(crate) fn no_adaptive(step: StepRule, owner: &str) -> Result<()> {
    step.validate(owner)?;
    if step == StepRule::Adaptive {
        return Err(Error::param(
            owner,
            "step",
            "\"adaptive\" is not available for this method; use a finite number > 0 or \"auto\"",
        ));
    }
    Ok(())
}

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
