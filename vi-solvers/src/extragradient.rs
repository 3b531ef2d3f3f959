//! # Extragradient (Korpelevich 1976)
//!
//! Update, with projection `P` onto the constraint set:
//!
//! ```text
//! z~_k    = P(z_k - eta F(z_k))
//! z_{k+1} = P(z_k - eta F(z~_k))
//! ```
//!
//! Two oracle calls per iteration. The ergodic average is taken over the extrapolated points
//! `z~_k` (Nemirovski's Mirror-Prox bound `Gap(avg) = O(L D^2 / K)`).
//!
//! ## Step size
//! - fixed `eta`: converges for monotone `L`-Lipschitz `F` when `0 < eta < 1/L`; on a bilinear
//!   game it converges iff `eta * sigma_max < 1` (docs/math.md §2.3).
//! - `"auto"`: `eta = 0.5 / L` (half the Korpelevich bound; `L` from the problem or estimated
//!   at the start).
//! - `"adaptive"`: backtracking on the local Lipschitz estimate. A trial `eta` is accepted when
//!   `eta ||F(z~) - F(z)|| <= nu ||z~ - z||` (`nu = 0.9` by default), otherwise it is halved
//!   and the extrapolation recomputed (one more oracle call); after every accepted step `eta`
//!   grows by `grow` (1.2) so it can recover. After 60 halvings the run ends with
//!   `NumericalError`.
//! - `precond`: Extra-Adam / Extra-RMSProp / block-RMSProp scaling (see [`crate::precond`]):
//!   `z~_k = P(z_k - eta d(F(z_k)))`, `z_{k+1} = P(z_k - eta d(F(z~_k)))`, both evaluations
//!   updating the moment estimates (Gidel et al. 2019).
//!
//! ## References
//! - G. M. Korpelevich, "The extragradient method for finding saddle points and other
//!   problems", Ekonomika i Matematicheskie Metody 12 (1976).
//! - A. Nemirovski, "Prox-method with rate of convergence O(1/t)", SIAM J. Optim. 15 (2004).
//! - E. N. Khobotov, "Modification of the extra-gradient method...", USSR Comput. Math. Math.
//!   Phys. 27 (1987) (the backtracking rule).
//! - G. Gidel, H. Berard, G. Vignoud, P. Vincent, S. Lacoste-Julien, "A variational inequality
//!   perspective on generative adversarial networks", ICLR 2019 (Extra-Adam).

use faer::{Col, ColRef};
use serde::{Deserialize, Serialize};
use vi_core::{linalg, BuildContext, Error, Params, Problem, Result, Solver, StepRule, StepStatus};

use crate::common::MAX_HALVINGS;
use crate::precond::{self, PrecondConfig, PrecondKind, Preconditioner};

/// Parameters of [`Extragradient`].
///
/// | name | default | purpose | range |
/// |---|---|---|---|
/// | `step` | `"auto"` | step size: number, `"auto"` (0.5/L) or `"adaptive"` | > 0 |
/// | `factor` | `0.5` | `eta = factor / L` for `"auto"` and the adaptive initial guess | (0, 1) |
/// | `nu` | `0.9` | adaptive acceptance ratio | (0, 1) |
/// | `grow` | `1.2` | adaptive growth after an accepted step | >= 1 |
/// | `precond` | `"none"` | `"none"`, `"rmsprop"`, `"adam"`, `"block-rmsprop"` | |
/// | `beta1` | `0.5` | Adam first-moment decay | [0, 1) |
/// | `beta2` | `0.999` | second-moment decay | [0, 1) |
/// | `precond_eps` | `1e-8` | added to `sqrt(v)` | > 0 |
/// | `amsgrad` | `false` | running maximum of the second moment | |
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtragradientParams {
    /// Step size rule (default `"auto"`).
    pub step: StepRule,
    /// `eta = factor / L` for `"auto"` (default 0.5).
    pub factor: f64,
    /// Adaptive acceptance ratio (default 0.9).
    pub nu: f64,
    /// Adaptive growth factor (default 1.2).
    pub grow: f64,
    /// Diagonal preconditioner (default `"none"`).
    pub precond: PrecondKind,
    /// Adam first-moment decay (default 0.5).
    pub beta1: f64,
    /// Second-moment decay (default 0.999).
    pub beta2: f64,
    /// Preconditioner epsilon (default 1e-8).
    pub precond_eps: f64,
    /// AMSGrad running maximum of the second moment (default false).
    pub amsgrad: bool,
}

impl ExtragradientParams {
    fn precond_config(&self) -> PrecondConfig {
        PrecondConfig {
            kind: self.precond,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.precond_eps,
            amsgrad: self.amsgrad,
        }
    }
}

impl Default for ExtragradientParams {
    fn default() -> Self {
        Self {
            step: StepRule::Auto,
            factor: 0.5,
            nu: 0.9,
            grow: 1.2,
            precond: PrecondKind::None,
            beta1: precond::DEFAULT_BETA1,
            beta2: precond::DEFAULT_BETA2,
            precond_eps: precond::DEFAULT_EPS,
            amsgrad: false,
        }
    }
}

impl Params for ExtragradientParams {
    fn validate(&self, owner: &str) -> Result<()> {
        self.step.validate(owner)?;
        if !(self.factor > 0.0 && self.factor < 1.0) {
            return Err(Error::param(
                owner,
                "factor",
                format!("must be in (0, 1) (EG needs eta < 1/L), got {}", self.factor),
            ));
        }
        if !(self.nu > 0.0 && self.nu < 1.0) {
            return Err(Error::param(owner, "nu", format!("must be in (0, 1), got {}", self.nu)));
        }
        if !(self.grow >= 1.0 && self.grow.is_finite()) {
            return Err(Error::param(owner, "grow", format!("must be >= 1, got {}", self.grow)));
        }
        self.precond_config().validate(owner, self.step)
    }
    fn docs() -> &'static [(&'static str, &'static str)] {
        const D: [(&str, &str); 9] = [
            ("step", "step size: a number, \"auto\" (factor/L) or \"adaptive\" (backtracking)"),
            ("factor", "eta = factor / L for \"auto\" and as the adaptive initial guess, in (0,1)"),
            ("nu", "adaptive: accept when eta*||F(z~)-F(z)|| <= nu*||z~-z||, in (0,1)"),
            ("grow", "adaptive: multiply eta by this after each accepted step, >= 1"),
            precond::DOCS[0],
            precond::DOCS[1],
            precond::DOCS[2],
            precond::DOCS[3],
            precond::DOCS[4],
        ];
        &D
    }
}

/// The extragradient method. See the module documentation.
#[derive(Clone, Debug)]
pub struct Extragradient {
    params: ExtragradientParams,
    eta: f64,
    pre: Preconditioner,
    z: Col<f64>,
    z_half: Col<f64>,
    f: Col<f64>,
    f_half: Col<f64>,
    /// Scaled direction (`= f` or `f_half` without a preconditioner).
    d: Col<f64>,
}

impl Extragradient {
    /// A new solver with the given parameters (validated).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] from validation.
    pub fn new(params: ExtragradientParams) -> Result<Self> {
        params.validate("solver extragradient")?;
        let z = || Col::zeros(0);
        Ok(Self {
            pre: Preconditioner::new(params.precond_config()),
            params,
            eta: 0.0,
            z: z(),
            z_half: z(),
            f: z(),
            f_half: z(),
            d: z(),
        })
    }

    /// A solver with a fixed step.
    ///
    /// # Errors
    /// If `eta` is not finite and positive.
    pub fn with_step(eta: f64) -> Result<Self> {
        Self::new(ExtragradientParams { step: StepRule::Fixed(eta), ..Default::default() })
    }

    /// `z~ = P(z - eta d)` into `z_half` and `f_half = F(z~)`, given `d` = scaled `F(z)`.
    fn extrapolate(&mut self, problem: &mut Problem) {
        linalg::add_scaled(self.z_half.as_mut(), self.z.as_ref(), -self.eta, self.d.as_ref());
        problem.project(self.z_half.as_mut());
        problem.eval(self.z_half.as_ref(), self.f_half.as_mut());
    }
}

impl Solver for Extragradient {
    fn name(&self) -> &str {
        "extragradient"
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        self.z = problem.start().to_owned();
        self.z_half = Col::zeros(n);
        self.f = Col::zeros(n);
        self.f_half = Col::zeros(n);
        self.d = Col::zeros(n);
        self.eta = self.params.step.resolve(problem, self.params.factor)?;
        self.pre.init(problem);
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        problem.eval(self.z.as_ref(), self.f.as_mut());
        self.pre.direction(self.f.as_ref(), self.d.as_mut());
        self.extrapolate(problem);
        if self.params.step == StepRule::Adaptive {
            // Backtrack until the local Lipschitz test passes (at most MAX_HALVINGS halvings).
            let mut tries = 0;
            loop {
                let dz = linalg::dist(self.z_half.as_ref(), self.z.as_ref());
                let df = linalg::dist(self.f_half.as_ref(), self.f.as_ref());
                if crate::common::lipschitz_test_passes(self.eta, self.params.nu, dz, df) {
                    break;
                }
                tries += 1;
                if tries > MAX_HALVINGS {
                    return StepStatus::Finished(vi_core::Status::NumericalError);
                }
                self.eta *= 0.5;
                self.extrapolate(problem);
            }
        }
        // z <- P(z - eta d(F(z~)))
        self.pre.direction(self.f_half.as_ref(), self.d.as_mut());
        linalg::axpy(-self.eta, self.d.as_ref(), self.z.as_mut());
        problem.project(self.z.as_mut());
        if self.params.step == StepRule::Adaptive {
            self.eta *= self.params.grow;
        }
        StepStatus::Continue
    }

    fn status_message(&self) -> Option<String> {
        Some(crate::common::backtracking_failed(self.eta))
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }

    fn averaging_point(&self) -> ColRef<'_, f64> {
        self.z_half.as_ref()
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.eta)
    }
}

fn build(p: ExtragradientParams, _ctx: &BuildContext) -> Result<Box<dyn Solver>> {
    Ok(Box::new(Extragradient::new(p)?))
}

vi_core::register_solver!(
    "extragradient",
    "Korpelevich's extragradient: two oracle calls per iteration",
    ExtragradientParams,
    build
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, run};
    use vi_core::Status;

    #[test]
    fn boxed_solver_is_send_and_clone() {
        fn is_send<T: Send>(_: &T) {}
        let s: Box<dyn Solver> = Box::new(Extragradient::with_step(0.1).unwrap());
        is_send(&s);
        let _c = s.clone();
    }

    #[test]
    fn rejects_invalid_parameters() {
        let e = Extragradient::with_step(-0.1).unwrap_err().to_string();
        assert!(e.contains("`step`") && e.contains("got -0.1"), "{e}");
        let e = Extragradient::new(ExtragradientParams { factor: 1.5, ..Default::default() }).unwrap_err().to_string();
        assert!(e.contains("`factor`"), "{e}");
    }

    #[test]
    fn one_step_matches_hand_computation() {
        // F(x, y) = (y, -x), z0 = (1, 1), eta = 0.1:
        // z~ = (1 - 0.1, 1 + 0.1) = (0.9, 1.1); F(z~) = (1.1, -0.9);
        // z1 = (1 - 0.11, 1 + 0.09) = (0.89, 1.09).
        let mut p = bilinear_xy(&[1.0, 1.0]);
        let mut s = Extragradient::with_step(0.1).unwrap();
        s.init(&mut p).unwrap();
        s.step(&mut p);
        assert!((s.iterate()[0] - 0.89).abs() < 1e-15);
        assert!((s.iterate()[1] - 1.09).abs() < 1e-15);
        assert_eq!(p.counters().oracle_calls, 2);
    }

    #[test]
    fn contraction_factor_on_xy_is_exact() {
        // |z_{k+1}|^2 / |z_k|^2 = 1 - eta^2 + eta^4 for F = (y, -x) (docs/math.md §2.3).
        let eta: f64 = 0.1;
        let mut p = bilinear_xy(&[1.0, 1.0]);
        let mut s = Extragradient::with_step(eta).unwrap();
        s.init(&mut p).unwrap();
        let n0 = s.iterate().norm_l2();
        for _ in 0..100 {
            s.step(&mut p);
        }
        let ratio = (s.iterate().norm_l2() / n0).powf(2.0 / 100.0);
        assert!((ratio - (1.0 - eta * eta + eta.powi(4))).abs() < 1e-12, "{ratio}");
    }

    #[test]
    fn converges_on_xy_with_auto_and_adaptive_steps() {
        for step in [StepRule::Auto, StepRule::Adaptive] {
            let mut s = Extragradient::new(ExtragradientParams { step, ..Default::default() }).unwrap();
            let r = run(&mut bilinear_xy(&[1.0, 1.0]), &mut s, 1e-10, 100_000);
            assert_eq!(r.status, Status::Converged, "{step:?}");
            assert!(r.distance_to_solution.unwrap() < 1e-9);
        }
    }

    #[test]
    fn diverges_beyond_the_step_bound() {
        // eta * sigma = 1.05 > 1: factor 1 - 1.1025 + 1.2155 > 1.
        let mut s = Extragradient::with_step(1.05).unwrap();
        let r = run(&mut bilinear_xy(&[1.0, 1.0]), &mut s, 1e-10, 100_000);
        assert_eq!(r.status, Status::Diverged);
        assert!(r.z.iter().all(|v| v.is_finite()));
    }
}
