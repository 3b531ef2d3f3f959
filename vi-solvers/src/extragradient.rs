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
use vi_core::{linalg, BuildContext, Checked, LinearModel, Method, PredictedStep, Problem, Result, Solver, StepStatus};

use crate::common::StepSearch;
use crate::precond::{PrecondParams, Preconditioner};

vi_core::params! {
    /// Parameters of [`Extragradient`].
    pub struct ExtragradientParams {
        ..search: StepSearch = StepSearch::with(0.5, 0.9);
        ..precond: PrecondParams;
    }
    validate(p, owner) { p.precond.check_step(owner, p.search.step) }
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
    /// A new solver with checked parameters.
    pub fn new(params: Checked<ExtragradientParams>) -> Self {
        let params = params.into_inner();
        let z = || Col::zeros(0);
        Self {
            pre: Preconditioner::new(params.precond.clone()),
            params,
            eta: 0.0,
            z: z(),
            z_half: z(),
            f: z(),
            f_half: z(),
            d: z(),
        }
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
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        self.z = problem.start().to_owned();
        self.z_half = Col::zeros(n);
        self.f = Col::zeros(n);
        self.f_half = Col::zeros(n);
        self.d = Col::zeros(n);
        self.eta = self.params.search.step.resolve(problem, self.params.search.factor)?;
        self.pre.init(problem);
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        problem.eval(self.z.as_ref(), self.f.as_mut());
        self.pre.direction(self.f.as_ref(), self.d.as_mut());
        if self.params.search.adaptive() {
            // Backtrack until the local Lipschitz test passes between z~ and z.
            let search = self.params.search.clone();
            let accepted = search.search(self.eta, |eta| {
                self.eta = eta;
                self.extrapolate(problem);
                (
                    linalg::dist(self.z_half.as_ref(), self.z.as_ref()),
                    linalg::dist(self.f_half.as_ref(), self.f.as_ref()),
                )
            });
            if accepted.is_none() {
                return StepStatus::Finished(vi_core::Status::NumericalError);
            }
        } else {
            self.extrapolate(problem);
        }
        // z <- P(z - eta d(F(z~)))
        self.pre.direction(self.f_half.as_ref(), self.d.as_mut());
        linalg::axpy(-self.eta, self.d.as_ref(), self.z.as_mut());
        problem.project(self.z.as_mut());
        if self.params.search.adaptive() {
            self.eta *= self.params.search.grow;
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

    fn evaluated_point(&self) -> Option<(ColRef<'_, f64>, ColRef<'_, f64>)> {
        Some((self.z_half.as_ref(), self.f_half.as_ref()))
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        // Per eigenvalue: z+ = (1 - h + h^2) z with h = eta lambda (docs/math.md §2.3).
        self.params.precond.linear_model(|| LinearModel::modal("extragradient", 2, |h| vec![1.0 - h + h * h]))
    }

    fn predicted_step(&self, lipschitz: f64, _mu: Option<f64>) -> Option<PredictedStep> {
        self.params.search.predicted_step(lipschitz)
    }
}

impl Method for Extragradient {
    const NAME: &'static str = "extragradient";
    const SUMMARY: &'static str = "Korpelevich's extragradient: two oracle calls per iteration";
    type Params = ExtragradientParams;

    fn build(params: Checked<ExtragradientParams>, _ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params))
    }
}

vi_core::register_solver!(Extragradient);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, run};
    use vi_core::{Status, StepRule};

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
        let e = crate::test_support::build_error("extragradient", serde_json::json!({"factor": 1.5}));
        assert!(e.contains("`factor`") && e.contains("must be in (0, 1)"), "{e}");
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
            let mut p = ExtragradientParams::default();
            p.search.step = step;
            let mut s = Extragradient::new(vi_core::Params::check(p, "solver extragradient").unwrap());
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
