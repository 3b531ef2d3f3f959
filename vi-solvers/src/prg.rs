//! # Projected reflected gradient (Malitsky 2015)
//!
//! Update, with projection `P` and `z_{-1} = z_0`:
//!
//! ```text
//! z_{k+1} = P(z_k - eta F(2 z_k - z_{k-1}))
//! ```
//!
//! One oracle call per iteration, at the reflected point `2 z_k - z_{k-1}` (which need not lie
//! in the set). The first step is a plain projected gradient step. The ergodic average is taken
//! over the iterates. Unconstrained, `w_k = 2 z_k - z_{k-1}` follows the OGDA recursion
//! (docs/math.md §2.4).
//!
//! ## Step size
//! - fixed `eta`: monotone `L`-Lipschitz `F`: converges for `0 < eta < (sqrt(2) - 1)/L`
//!   (`0.414/L`, docs/math.md §2.8).
//! - `"auto"`: `eta = factor / L` with `factor = 0.4`, just inside `sqrt(2) - 1`.
//! - `"adaptive"` is not available.
//!
//! ## References
//! - Y. Malitsky, "Projected reflected gradient methods for monotone variational inequalities",
//!   SIAM J. Optim. 25(1) (2015).

use faer::{Col, ColRef};
use vi_core::{
    linalg, BuildContext, Checked, LinearModel, Method, PredictedStep, Problem, Result, Solver, StepRule, StepStatus,
};

vi_core::params! {
    /// Parameters of [`Prg`].
    pub struct PrgParams {
        /// step size: a number or "auto" (factor/L)
        pub step: StepRule = StepRule::Auto, fixed_or_auto();
        /// eta = factor / L for "auto"
        pub factor: f64 = 0.4, open(0.0, std::f64::consts::SQRT_2 - 1.0).because("PRG needs eta < (sqrt2-1)/L");
    }
}

/// Malitsky's projected reflected gradient method. See the module documentation.
#[derive(Clone, Debug)]
pub struct Prg {
    params: PrgParams,
    eta: f64,
    z: Col<f64>,
    z_prev: Col<f64>,
    w: Col<f64>,
    f: Col<f64>,
}

impl Prg {
    /// A new solver with checked parameters.
    pub fn new(params: Checked<PrgParams>) -> Self {
        let params = params.into_inner();
        let z = || Col::zeros(0);
        Self { params, eta: 0.0, z: z(), z_prev: z(), w: z(), f: z() }
    }
}

impl Solver for Prg {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        self.z = problem.start().to_owned();
        self.z_prev = self.z.clone();
        self.w = Col::zeros(n);
        self.f = Col::zeros(n);
        self.eta = self.params.step.resolve(problem, self.params.factor)?;
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        // w = 2 z_k - z_{k-1}
        linalg::lincomb(self.w.as_mut(), 2.0, self.z.as_ref(), -1.0, self.z_prev.as_ref());
        problem.eval(self.w.as_ref(), self.f.as_mut());
        self.z_prev.copy_from(&self.z);
        linalg::axpy(-self.eta, self.f.as_ref(), self.z.as_mut());
        problem.project(self.z.as_mut());
        StepStatus::Continue
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.eta)
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        // Unconstrained, PRG is the optimistic recursion z+ = (1 - 2h) z + h z- (docs/math.md §2.5).
        Ok(LinearModel::modal("optimistic", 1, |h| vec![1.0 - 2.0 * h, h]))
    }

    fn predicted_step(&self, lipschitz: f64, _mu: Option<f64>) -> Option<PredictedStep> {
        self.params.step.predict(self.params.factor, lipschitz)
    }
}

impl Method for Prg {
    const NAME: &'static str = "prg";
    const SUMMARY: &'static str = "Malitsky's projected reflected gradient: one oracle call per iteration";
    type Params = PrgParams;

    fn build(params: Checked<PrgParams>, _ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params))
    }
}

vi_core::register_solver!(Prg);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{
        assert_steps, bilinear_xy, build_error, checked, duality_gap, matrix_game, rps_matrix, run, strongly_monotone,
    };
    use vi_core::Status;

    #[test]
    fn rejects_invalid_parameters() {
        let e = build_error("prg", serde_json::json!({"factor": 0.5}));
        assert!(e.contains("`factor`") && e.contains("sqrt2-1"), "{e}");
        let e = build_error("prg", serde_json::json!({"step": "adaptive"}));
        assert!(e.contains("`step`"), "{e}");
    }

    #[test]
    fn two_steps_match_hand_computation() {
        // z1 = (1,1) - 0.1 (1,-1) = (0.9, 1.1); w = 2 z1 - z0 = (0.8, 1.2), F(w) = (1.2, -0.8);
        // z2 = (0.9 - 0.12, 1.1 + 0.08) = (0.78, 1.18).
        let mut s = Prg::with_step(0.1).unwrap();
        assert_steps(&mut s, &mut bilinear_xy(&[1.0, 1.0]), &[[0.9, 1.1], [0.78, 1.18]], 2);
    }

    #[test]
    fn converges_on_known_solutions() {
        let r = run(&mut bilinear_xy(&[1.0, 1.0]), &mut Prg::new(checked(PrgParams::default())), 1e-10, 100_000);
        assert_eq!(r.status, Status::Converged);
        assert!(r.distance_to_solution.unwrap() < 1e-9);
        let r =
            run(&mut strongly_monotone(8, 0.2, 1.0, 7), &mut Prg::new(checked(PrgParams::default())), 1e-10, 100_000);
        assert_eq!(r.status, Status::Converged);
        assert!(r.distance_to_solution.unwrap() < 1e-9);
        // Projected: rock-paper-scissors.
        let a = rps_matrix();
        let mut p = matrix_game(&a, &[0.6, 0.3, 0.1], &[0.2, 0.5, 0.3]);
        let r = run(&mut p, &mut Prg::new(checked(PrgParams::default())), 1e-12, 100_000);
        assert_eq!(r.status, Status::Converged);
        assert!(duality_gap(&a, &r.z) < 1e-10, "{}", duality_gap(&a, &r.z));
    }
}
