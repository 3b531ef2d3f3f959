//! # Projected (simultaneous) gradient descent-ascent
//!
//! Update, with projection `P` onto the constraint set:
//!
//! ```text
//! z_{k+1} = P(z_k - eta F(z_k))
//! ```
//!
//! One oracle call per iteration; every player moves at once. The ergodic average is taken over
//! the iterates. The previous iterate is kept beside `F` there, so the runner judges its
//! stopping rules at `z_k` from the call just made (no monitoring call; a run that meets the
//! tolerance reports `z_k`).
//!
//! ## Step size
//! - fixed `eta`: for `mu`-strongly monotone, `L`-Lipschitz `F` the contraction factor is
//!   `1 - 2 eta mu + eta^2 L^2` (squared distance), `< 1` for `0 < eta < 2 mu / L^2`
//!   (docs/math.md §2.1). For merely monotone `F` there is no convergence: on a bilinear game the
//!   distance to the solution grows by `sqrt(1 + eta^2 sigma^2)` per step along each singular
//!   direction, and on rock-paper-scissors the projected iterate gets stuck near a face.
//! - `"auto"`: `eta = mu / L^2` when the problem declares `mu > 1e-9 L` (the minimiser of the
//!   factor, which becomes `1 - mu^2 / L^2`); otherwise `eta = factor / L` with `factor = 0.1`
//!   (no guarantee: for a `1/L`-cocoercive `F` any `eta < 2/L` works, for a merely monotone one
//!   none does).
//! - `"adaptive"` is not available.
//!
//! ## References
//! - F. Facchinei, J.-S. Pang, *Finite-Dimensional Variational Inequalities and
//!   Complementarity Problems*, Vol. II, Springer 2003, Section 12.1.
//! - L. Mescheder, S. Nowozin, A. Geiger, "The numerics of GANs", NeurIPS 2017.

use faer::{Col, ColRef};
use vi_core::{
    linalg::{self, Flip},
    BuildContext, Checked, LinearModel, Method, PredictedStep, Problem, Result, Solver, StepRule, StepStatus,
};

use crate::common;

vi_core::params! {
    /// Parameters of [`Gda`] (and of [`crate::AlternatingGda`]).
    pub struct GdaParams {
        /// step size: a number or "auto" (mu/L^2 when mu > 0 is known, else factor/L)
        pub step: StepRule = StepRule::Auto, fixed_or_auto();
        /// eta = factor / L for "auto" when mu is unknown or 0
        pub factor: f64 = 0.1, open(0.0, 2.0);
    }
}

/// Resolves GDA's `"auto"` step: `mu / L^2` with a known `mu > 0`, else `factor / L`.
pub(crate) fn gda_step(step: StepRule, factor: f64, problem: &mut Problem) -> Result<f64> {
    if step == StepRule::Auto {
        if let Some(mu) = problem.strong_monotonicity().filter(|m| *m > 0.0) {
            let l = common::lipschitz(problem)?;
            // A modulus at round-off level (e.g. 1e-17 from the eigenvalues of a skew matrix)
            // would give a useless step: treat mu <= 1e-9 L as unknown.
            if mu > 1e-9 * l {
                return Ok(mu / (l * l));
            }
        }
    }
    step.resolve(problem, factor)
}

/// GDA's step at a given `L` and `mu`, as [`gda_step`] resolves it on a problem.
pub(crate) fn gda_predicted_step(step: StepRule, factor: f64, l: f64, mu: Option<f64>) -> Option<PredictedStep> {
    match (step, mu) {
        (StepRule::Auto, Some(mu)) if mu > 1e-9 * l && l > 0.0 => {
            Some(PredictedStep { step: mu / (l * l), rule: format!("auto: mu / L^2 with mu = {mu} and L = {l:.6}") })
        }
        _ => step.predict(factor, l),
    }
}

/// Projected simultaneous gradient descent-ascent. See the module documentation.
#[derive(Clone, Debug)]
pub struct Gda {
    params: GdaParams,
    eta: f64,
    /// `(z_{k+1}, z_k)`: the iterate and the point `f` was evaluated at.
    z: Flip<Col<f64>>,
    /// `F(z_k)`.
    f: Col<f64>,
}

impl Gda {
    /// A new solver with checked parameters.
    pub fn new(params: Checked<GdaParams>) -> Self {
        let params = params.into_inner();
        Self { params, eta: 0.0, z: Flip::new(Col::zeros(0), Col::zeros(0)), f: Col::zeros(0) }
    }
}

impl Solver for Gda {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        self.z = Flip::new(problem.start().to_owned(), Col::zeros(problem.dim()));
        self.f = Col::zeros(problem.dim());
        self.eta = gda_step(self.params.step, self.params.factor, problem)?;
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        // The spare buffer receives z_{k+1}; then the roles flip.
        let (z, next) = self.z.pair_mut();
        problem.eval(z.as_ref(), self.f.as_mut());
        linalg::add_scaled(next.as_mut(), z.as_ref(), -self.eta, self.f.as_ref());
        problem.project(next.as_mut());
        self.z.flip();
        StepStatus::Continue
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.pair().0.as_ref()
    }

    fn evaluated_point(&self) -> Option<(ColRef<'_, f64>, ColRef<'_, f64>)> {
        Some((self.z.pair().1.as_ref(), self.f.as_ref()))
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.eta)
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        // z+ = (1 - h) z per eigenvalue, h = eta lambda (docs/math.md §2.1).
        Ok(LinearModel::modal("gda", 1, |h| vec![1.0 - h]))
    }

    fn predicted_step(&self, lipschitz: f64, mu: Option<f64>) -> Option<PredictedStep> {
        gda_predicted_step(self.params.step, self.params.factor, lipschitz, mu)
    }
}

impl Method for Gda {
    const NAME: &'static str = "gda";
    const SUMMARY: &'static str = "projected simultaneous gradient descent-ascent: one oracle call";
    type Params = GdaParams;

    fn build(params: Checked<GdaParams>, _ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params))
    }
}

vi_core::register_solver!(Gda);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, build_error, checked, run, strongly_monotone};
    use vi_core::Status;

    #[test]
    fn rejects_invalid_parameters() {
        let e = build_error("gda", serde_json::json!({"step": "adaptive"}));
        assert!(e.contains("`step`") && e.contains("\"adaptive\" is not available"), "{e}");
        let e = build_error("gda", serde_json::json!({"step": 0}));
        assert!(e.contains("`step`") && e.contains("got 0"), "{e}");
        let e = build_error("gda", serde_json::json!({"factor": 2.5}));
        assert!(e.contains("`factor`") && e.contains("(0, 2)"), "{e}");
        let e = build_error("gda", serde_json::json!({"eta": 0.1}));
        assert!(e.contains("`eta`") && e.contains("valid parameters: step, factor"), "{e}");
    }

    #[test]
    fn one_step_matches_hand_computation() {
        // F(x, y) = (y, -x), z0 = (1, 2), eta = 0.1: z1 = (1 - 0.2, 2 + 0.1).
        let mut p = bilinear_xy(&[1.0, 2.0]);
        let mut s = Gda::with_step(0.1).unwrap();
        s.init(&mut p).unwrap();
        s.step(&mut p);
        assert!((s.iterate()[0] - 0.8).abs() < 1e-15 && (s.iterate()[1] - 2.1).abs() < 1e-15);
        assert_eq!(p.counters().oracle_calls, 1);
    }

    #[test]
    fn diverges_on_xy_by_the_exact_factor() {
        // ||z_{k+1}|| / ||z_k|| = sqrt(1 + eta^2): 1.00499 at eta = 0.1, i.e. 1.0100 squared.
        let mut p = bilinear_xy(&[1.0, 1.0]);
        let mut s = Gda::with_step(0.1).unwrap();
        s.init(&mut p).unwrap();
        let n0 = s.iterate().norm_l2();
        for _ in 0..100 {
            s.step(&mut p);
        }
        let ratio_sq = (s.iterate().norm_l2() / n0).powf(2.0 / 100.0);
        assert!((ratio_sq - 1.01).abs() < 1e-12, "{ratio_sq}");
        let r = run(&mut bilinear_xy(&[1.0, 1.0]), &mut Gda::with_step(0.1).unwrap(), 1e-8, 100_000);
        assert_eq!(r.status, Status::Diverged);
    }

    #[test]
    fn converges_on_a_strongly_monotone_problem_with_auto_step() {
        // mu = 0.5, L <= 1.3: eta = mu / L^2 and factor 1 - mu^2/L^2 per step.
        let mut p = strongly_monotone(6, 0.5, 0.3, 3);
        let r = run(&mut p, &mut Gda::new(checked(GdaParams::default())), 1e-10, 10_000);
        assert_eq!(r.status, Status::Converged);
        assert!(r.distance_to_solution.unwrap() < 1e-9);
        let (mu, l) = (p.strong_monotonicity().unwrap(), p.lipschitz().unwrap());
        assert!((r.step_size.unwrap() - mu / (l * l)).abs() < 1e-15);
    }
}
