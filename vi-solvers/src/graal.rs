//! # Golden ratio algorithm, fixed step (GRAAL, Malitsky 2020)
//!
//! Update, with `phi` in `(1, golden ratio]`, projection `P` and `z^_{-1} = z_0`:
//!
//! ```text
//! z^_k    = ((phi - 1) z_k + z^_{k-1}) / phi      (a convex average: the "golden" anchor)
//! z_{k+1} = P(z^_k - lambda F(z_k))
//! ```
//!
//! One oracle call per iteration. Monotone `L`-Lipschitz `F`: converges for
//! `0 < lambda <= phi / (2L)`; ergodic `O(1/k)` gap, R-linear under strong monotonicity
//! (docs/math.md §2.6). The ergodic average is taken over the iterates. The previous iterate
//! is kept beside `F` there, so the runner judges its stopping rules at `z_k` from the call
//! just made (no monitoring call).
//!
//! ## Step size
//! - fixed `lambda`.
//! - `"auto"`: `lambda = factor / L` with `factor = phi / 2` (`0.809` for the golden ratio), the
//!   largest step of the theory.
//! - `"adaptive"` is not available here: use `agraal`.
//!
//! ## References
//! - Y. Malitsky, "Golden ratio algorithms for variational inequalities", Math. Program. 184
//!   (2020).

use faer::{Col, ColRef};
use vi_core::linalg::Flip;
use vi_core::{
    BuildContext, Checked, Error, LinearModel, Method, PredictedStep, Problem, Result, Solver, StepRule, StepStatus,
};

/// The golden ratio `(1 + sqrt 5) / 2`.
pub const GOLDEN: f64 = 1.618_033_988_749_895;

vi_core::params! {
    /// Parameters of [`Graal`].
    pub struct GraalParams {
        /// lambda: a number or "auto" (factor/L)
        pub step: StepRule = StepRule::Auto, fixed_or_auto();
        /// averaging parameter in (1, golden ratio]
        pub phi: f64 = GOLDEN, open_closed(1.0, GOLDEN).because("the golden ratio");
        /// lambda = factor / L for "auto", in (0, phi/2]; null = phi/2
        pub factor: Option<f64> = None;
    }
    validate(p, owner) {
        let f = p.factor();
        if !(f > 0.0 && f <= p.phi / 2.0) {
            return Err(Error::param(owner, "factor", format!("must be in (0, phi/2 = {}], got {f}", p.phi / 2.0)));
        }
        Ok(())
    }
}

impl GraalParams {
    fn factor(&self) -> f64 {
        self.factor.unwrap_or(self.phi / 2.0)
    }
}

/// GRAAL's linear model: unconstrained, `zbar_k = ((phi - 1) z_k + zbar_{k-1}) / phi` and
/// `z_{k+1} = zbar_k - lambda F(z_k)` give per eigenvalue the recursion
/// `x+ = (1 - h) x + (h / phi) x-` with `h = lambda eta` (docs/math.md §2.8).
pub(crate) fn graal_model(phi: f64) -> LinearModel {
    LinearModel::modal(format!("graal(phi = {phi})"), 1, move |h| vec![1.0 - h, h / phi])
}

/// The fixed-step golden ratio algorithm. See the module documentation.
#[derive(Clone, Debug)]
pub struct Graal {
    params: GraalParams,
    lambda: f64,
    /// `(z_{k+1}, z_k)`: the iterate and the point `f` was evaluated at.
    z: Flip<Col<f64>>,
    z_bar: Col<f64>,
    /// `F(z_k)`.
    f: Col<f64>,
}

impl Graal {
    /// A new solver with checked parameters.
    pub fn new(params: Checked<GraalParams>) -> Self {
        let params = params.into_inner();
        let z = || Col::zeros(0);
        Self { params, lambda: 0.0, z: Flip::new(z(), z()), z_bar: z(), f: z() }
    }
}

impl Solver for Graal {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        self.z = Flip::new(problem.start().to_owned(), Col::zeros(problem.dim()));
        self.z_bar = problem.start().to_owned();
        self.f = Col::zeros(problem.dim());
        self.lambda = self.params.step.resolve(problem, self.params.factor())?;
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        let phi = self.params.phi;
        let lambda = self.lambda;
        // The spare buffer receives z_{k+1}; then the roles flip.
        let (z, next) = self.z.pair_mut();
        problem.eval(z.as_ref(), self.f.as_mut());
        faer::zip!(self.z_bar.as_mut(), z.as_ref()).for_each(|faer::unzip!(b, z)| *b = ((phi - 1.0) * *z + *b) / phi);
        faer::zip!(next.as_mut(), self.z_bar.as_ref(), self.f.as_ref())
            .for_each(|faer::unzip!(z, b, f)| *z = *b - lambda * *f);
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
        Some(self.lambda)
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        Ok(graal_model(self.params.phi))
    }

    fn predicted_step(&self, lipschitz: f64, _mu: Option<f64>) -> Option<PredictedStep> {
        self.params.step.predict(self.params.factor(), lipschitz)
    }
}

impl Method for Graal {
    const NAME: &'static str = "graal";
    const SUMMARY: &'static str = "Malitsky's golden ratio algorithm, fixed step: one oracle call per iteration";
    type Params = GraalParams;

    fn build(params: Checked<GraalParams>, _ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params))
    }
}

vi_core::register_solver!(Graal);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, build_error, checked, random_bilinear, run, strongly_monotone};
    use vi_core::Status;

    #[test]
    fn rejects_invalid_parameters() {
        let e = build_error("graal", serde_json::json!({"phi": 2.0}));
        assert!(e.contains("`phi`") && e.contains("golden"), "{e}");
        let e = build_error("graal", serde_json::json!({"phi": 1.5, "factor": 0.8}));
        assert!(e.contains("`factor`") && e.contains("phi/2 = 0.75"), "{e}");
    }

    #[test]
    fn two_steps_match_hand_computation() {
        // z^0 = z0 = (1,1): z1 = (1,1) - 0.1 (1,-1) = (0.9, 1.1).
        // z^1 = ((phi-1) z1 + z^0)/phi, z2 = z^1 - 0.1 F(z1) = z^1 - 0.1 (1.1, -0.9).
        let mut p = bilinear_xy(&[1.0, 1.0]);
        let mut s = Graal::with_step(0.1).unwrap();
        s.init(&mut p).unwrap();
        s.step(&mut p);
        assert!((s.iterate()[0] - 0.9).abs() < 1e-15 && (s.iterate()[1] - 1.1).abs() < 1e-15);
        s.step(&mut p);
        let bar = |z: f64| ((GOLDEN - 1.0) * z + 1.0) / GOLDEN;
        assert!((s.iterate()[0] - (bar(0.9) - 0.11)).abs() < 1e-15);
        assert!((s.iterate()[1] - (bar(1.1) + 0.09)).abs() < 1e-15);
        assert_eq!(p.counters().oracle_calls, 2);
    }

    #[test]
    fn converges_at_the_largest_step_on_bilinear_and_strongly_monotone_problems() {
        // docs/math.md §2.6: converges on a random bilinear game at lambda = phi/(2L).
        let mut s = Graal::new(checked(GraalParams::default()));
        let r = run(&mut random_bilinear(&[1.0, 0.8, 0.6, 0.4, 0.3], 2), &mut s, 1e-8, 200_000);
        assert_eq!(r.status, Status::Converged);
        assert!(r.distance_to_solution.unwrap() < 1e-7);
        assert!((r.step_size.unwrap() - GOLDEN / 2.0).abs() < 1e-12);
        let r = run(
            &mut strongly_monotone(8, 0.2, 1.0, 8),
            &mut Graal::new(checked(GraalParams::default())),
            1e-10,
            100_000,
        );
        assert_eq!(r.status, Status::Converged);
        assert!(r.distance_to_solution.unwrap() < 1e-9);
    }
}
