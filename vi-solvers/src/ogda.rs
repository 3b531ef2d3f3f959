//! # Optimistic gradient descent-ascent (projected forward-reflected-backward form)
//!
//! Update, with projection `P` and `z_{-1} = z_0`:
//!
//! ```text
//! z_{k+1} = P(z_k - 2 eta F(z_k) + eta F(z_{k-1}))
//! ```
//!
//! This is OGDA (Daskalakis et al. 2018) with the projection of Malitsky & Tam's
//! forward-reflected-backward method. With a varying step (adaptive rule) it is the FRB update
//! `z_{k+1} = P(z_k - eta_k F(z_k) - eta_{k-1} (F(z_k) - F(z_{k-1})))`, which reduces to the
//! line above for a constant step. One oracle call per iteration (at `z_{k+1}`, stored for the
//! next one); `init` makes one counted call for `F(z_0)`. The ergodic average is taken over the
//! iterates. Unconstrained it is the same method as EFTP up to a change of variables
//! (docs/math.md §2.4).
//!
//! ## Step size
//! - fixed `eta`: monotone `L`-Lipschitz `F`: `eta < 1/(2L)` (Malitsky & Tam); on a bilinear
//!   game it converges iff `eta sigma_max < 1/sqrt(3)` (largest root of
//!   `t^2 - (1 - 2 eta lambda) t - eta lambda`, docs/math.md §2.4); strongly monotone: linear.
//! - `"auto"`: `eta = factor / L`, `factor = 0.4` (inside `1/2`).
//! - `"adaptive"`: backtracking as in Malitsky & Tam's line search: the trial `z_{k+1}` is
//!   accepted when `eta_k ||F(z_{k+1}) - F(z_k)|| <= nu ||z_{k+1} - z_k||` (`nu = 0.4`), otherwise
//!   `eta_k` is halved and `z_{k+1}` recomputed (one more oracle call). Since
//!   `eta_k ||F(z_{k+1}) - F(z_k)|| <= eta_k L ||z_{k+1} - z_k||`, every `eta_k <= nu / L`
//!   passes, so the search ends; after 60 halvings the run ends with `NumericalError`. After
//!   each accepted step `eta` grows by `grow` (1.2).
//! - `precond`: Optimistic Adam / RMSProp / block-RMSProp (see [`crate::precond`]):
//!   `z_{k+1} = P(z_k - 2 eta d_k + eta d_{k-1})` with `d_k` the scaled `F(z_k)`.
//!
//! ## References
//! - C. Daskalakis, A. Ilyas, V. Syrgkanis, H. Zeng, "Training GANs with optimism", ICLR 2018.
//! - Y. Malitsky, M. K. Tam, "A forward-backward splitting method for monotone inclusions
//!   without cocoercivity", SIAM J. Optim. 30 (2020).
//! - A. Mokhtari, A. Ozdaglar, S. Pattathil, "A unified analysis of extra-gradient and
//!   optimistic gradient methods for saddle point problems", AISTATS 2020.

use faer::{Col, ColRef};
use vi_core::{
    linalg, BuildContext, Checked, LinearModel, Method, PredictedStep, Problem, Result, Solver, Status, StepStatus,
};

use crate::common::StepSearch;
use crate::precond::{PrecondParams, Preconditioner};

vi_core::params! {
    /// Parameters of [`Ogda`].
    pub struct OgdaParams {
        ..search: StepSearch = StepSearch::with(0.4, 0.4);
        ..precond: PrecondParams;
    }
    validate(p, owner) { p.precond.check_step(owner, p.search.step) }
}

/// Optimistic GDA / projected forward-reflected-backward. See the module documentation.
#[derive(Clone, Debug)]
pub struct Ogda {
    params: OgdaParams,
    /// Step of the coming update, `eta_k`.
    eta: f64,
    /// Step of the previous update, `eta_{k-1}`.
    eta_prev: f64,
    pre: Preconditioner,
    z: Col<f64>,
    z_new: Col<f64>,
    /// `F(z_k)` (raw).
    f: Col<f64>,
    /// `F(z_{k+1})` (raw).
    f_new: Col<f64>,
    /// Scaled `F(z_k)`, `F(z_{k-1})`, `F(z_{k+1})`.
    d: Col<f64>,
    d_prev: Col<f64>,
    d_new: Col<f64>,
}

impl Ogda {
    /// A new solver with checked parameters.
    pub fn new(params: Checked<OgdaParams>) -> Self {
        let params = params.into_inner();
        let z = || Col::zeros(0);
        Self {
            pre: Preconditioner::new(params.precond.clone()),
            params,
            eta: 0.0,
            eta_prev: 0.0,
            z: z(),
            z_new: z(),
            f: z(),
            f_new: z(),
            d: z(),
            d_prev: z(),
            d_new: z(),
        }
    }

    /// `z_new = P(z - eta_k d - eta_{k-1} (d - d_prev))`, then `f_new = F(z_new)`.
    fn trial(&mut self, problem: &mut Problem) {
        let (a, b) = (self.eta, self.eta_prev);
        faer::zip!(self.z_new.as_mut(), self.z.as_ref(), self.d.as_ref(), self.d_prev.as_ref())
            .for_each(|faer::unzip!(zn, z, d, dp)| *zn = *z - a * *d - b * (*d - *dp));
        problem.project(self.z_new.as_mut());
        problem.eval(self.z_new.as_ref(), self.f_new.as_mut());
    }
}

impl Solver for Ogda {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        self.z = problem.start().to_owned();
        self.z_new = Col::zeros(n);
        self.f = Col::zeros(n);
        self.f_new = Col::zeros(n);
        self.d = Col::zeros(n);
        self.d_prev = Col::zeros(n);
        self.d_new = Col::zeros(n);
        self.eta = self.params.search.step.resolve(problem, self.params.search.factor)?;
        self.eta_prev = self.eta;
        self.pre.init(problem);
        problem.eval(self.z.as_ref(), self.f.as_mut());
        self.pre.direction(self.f.as_ref(), self.d.as_mut());
        // z_{-1} = z_0.
        self.d_prev.copy_from(&self.d);
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        let adaptive = self.params.search.adaptive();
        if adaptive {
            // Backtrack until the local Lipschitz test passes.
            let search = self.params.search.clone();
            let accepted = search.search(self.eta, |eta| {
                self.eta = eta;
                self.trial(problem);
                (linalg::dist(self.z_new.as_ref(), self.z.as_ref()), linalg::dist(self.f_new.as_ref(), self.f.as_ref()))
            });
            if accepted.is_none() {
                return StepStatus::Finished(Status::NumericalError);
            }
        } else {
            self.trial(problem);
        }
        self.pre.direction(self.f_new.as_ref(), self.d_new.as_mut());
        // Shift: (z, F, d_prev, d) <- (z_new, F_new, d, d_new).
        std::mem::swap(&mut self.z, &mut self.z_new);
        std::mem::swap(&mut self.f, &mut self.f_new);
        std::mem::swap(&mut self.d_prev, &mut self.d);
        std::mem::swap(&mut self.d, &mut self.d_new);
        self.eta_prev = self.eta;
        if adaptive {
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

    fn step_size(&self) -> Option<f64> {
        Some(self.eta_prev)
    }

    fn evaluated_point(&self) -> Option<(ColRef<'_, f64>, ColRef<'_, f64>)> {
        // After a step, `f` holds F(z_{k+1}), evaluated at the iterate itself.
        Some((self.z.as_ref(), self.f.as_ref()))
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        self.params.precond.linear_model(crate::common::optimistic_model)
    }

    fn predicted_step(&self, lipschitz: f64, _mu: Option<f64>) -> Option<PredictedStep> {
        self.params.search.predicted_step(lipschitz)
    }
}

impl Method for Ogda {
    const NAME: &'static str = "ogda";
    const SUMMARY: &'static str =
        "optimistic GDA, projected forward-reflected-backward form: one oracle call per iteration";
    type Params = OgdaParams;

    fn build(params: Checked<OgdaParams>, _ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params))
    }
}

vi_core::register_solver!(Ogda);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_steps, bilinear_xy, build_error, params, run, strongly_monotone};
    use vi_core::StepRule;

    #[test]
    fn rejects_invalid_parameters() {
        let e = build_error("ogda", serde_json::json!({"factor": 1.0}));
        assert!(e.contains("`factor`") && e.contains("(0, 1)"), "{e}");
        let e = build_error("ogda", serde_json::json!({"beta2": 1.0}));
        assert!(e.contains("`beta2`") && e.contains("[0, 1)"), "{e}");
        let e = build_error("ogda", serde_json::json!({"precond": "rmsprop", "step": "adaptive"}));
        assert!(e.contains("`precond`"), "{e}");
    }

    #[test]
    fn two_steps_match_hand_computation() {
        // F = (y, -x), z0 = z_{-1} = (1, 1), eta = 0.1: z1 = z0 - 0.1 F(z0) = (0.9, 1.1);
        // z2 = z1 - 0.2 (1.1, -0.9) + 0.1 (1, -1) = (0.78, 1.18) (= EFTP's z~1).
        let mut s = Ogda::with_step(0.1).unwrap();
        assert_steps(&mut s, &mut bilinear_xy(&[1.0, 1.0]), &[[0.9, 1.1], [0.78, 1.18]], 3);
    }

    #[test]
    fn converges_with_auto_and_adaptive_steps() {
        for step in [StepRule::Auto, StepRule::Adaptive] {
            let mut s = Ogda::new(params(serde_json::json!({"step": step})));
            let r = run(&mut bilinear_xy(&[1.0, 1.0]), &mut s, 1e-10, 100_000);
            assert_eq!(r.status, Status::Converged, "{step:?}");
            assert!(r.distance_to_solution.unwrap() < 1e-9);
            let mut s = Ogda::new(params(serde_json::json!({"step": step})));
            let r = run(&mut strongly_monotone(8, 0.2, 1.0, 6), &mut s, 1e-10, 100_000);
            assert_eq!(r.status, Status::Converged, "{step:?}");
            assert!(r.distance_to_solution.unwrap() < 1e-9);
        }
    }

    #[test]
    fn adaptive_step_is_cut_to_the_acceptance_bound() {
        // On the rotation ||F(z') - F(z)|| = ||z' - z||: accepted steps satisfy eta <= nu.
        let mut s = Ogda::new(params(serde_json::json!({"step": "adaptive", "factor": 0.99})));
        let mut p = bilinear_xy(&[1.0, 1.0]);
        s.init(&mut p).unwrap();
        for _ in 0..50 {
            assert_eq!(s.step(&mut p), StepStatus::Continue);
            assert!(s.step_size().unwrap() <= 0.4 + 1e-15);
        }
    }
}
