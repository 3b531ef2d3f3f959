//! # Adaptive golden ratio algorithm (aGRAAL, Malitsky 2020)
//!
//! Needs no Lipschitz constant. With `phi` in `(1, golden ratio]`, `rho = 1/phi + 1/phi^2`,
//! `theta_0 = 1`, the start `z_1` and `z^ = z_1`:
//!
//! ```text
//! init:  z_0 = z_1 + 1e-9 xi   (xi standard normal, seeded)
//!        lambda_0 = (phi/2) ||z_1 - z_0|| / ||F(z_1) - F(z_0)||
//! loop:  z_{k+1}      = P(z^_k - lambda_k F(z_k))
//!        lambda_{k+1} = min( rho lambda_k,
//!                            (phi theta_k / (4 lambda_k)) ||z_{k+1} - z_k||^2 / ||F(z_{k+1}) - F(z_k)||^2,
//!                            lambda_max )
//!        z^_{k+1}     = ((phi - 1) z_{k+1} + z^_k) / phi
//!        theta_{k+1}  = phi lambda_{k+1} / lambda_k
//! ```
//!
//! exactly as `explicit_graal` in Malitsky's code (docs/math.md §2.6). One oracle call per iteration;
//! `init` makes two (`F(z_1)`, `F(z_0)`). When `F(z_{k+1}) = F(z_k)` the middle term is
//! skipped (it is `+inf`). When `F(z_1) = F(z_0)` (a locally constant operator) `lambda_0 = 1`.
//! The step's call is at the new iterate, so the runner's stopping rules reuse it (no
//! monitoring call). A step that becomes zero or non-finite ends the run with `NumericalError`.
//! It converges for locally Lipschitz monotone `F`. The ergodic average is taken over the
//! iterates (the theory's average is weighted by `lambda_k`; the runner's is uniform).
//!
//! ## Step size
//! - `"adaptive"` (default) or `"auto"`: the rule above, `lambda_0` from the perturbation.
//! - a number: used as `lambda_0`; the rule above takes over from the first step (no `init`
//!   perturbation, one oracle call at `init`).
//!
//! The perturbation `xi` comes from `vi_core::rng::seeded(seed, 0xA6AA1)`, so the same seed gives
//! the same run.
//!
//! ## References
//! - Y. Malitsky, "Golden ratio algorithms for variational inequalities", Math. Program. 184
//!   (2020); code `ymalitsky/graal`, `nash_equilibrium/algorithms.py::explicit_graal`.

use faer::{Col, ColRef};
use vi_core::{
    linalg, rng, BuildContext, Checked, LinearModel, Method, PredictedStep, Problem, Result, Solver, Status, StepRule,
    StepStatus,
};

use crate::graal::GOLDEN;

/// RNG stream of the initial perturbation.
const STREAM: u64 = 0xA6AA1;

vi_core::params! {
    /// Parameters of [`Agraal`].
    pub struct AgraalParams {
        /// "adaptive" or "auto": lambda_0 from a tiny seeded perturbation; a number: lambda_0
        pub step: StepRule = StepRule::Adaptive, step_rule();
        /// averaging parameter in (1, golden ratio]
        pub phi: f64 = 1.5, open_closed(1.0, GOLDEN).because("the golden ratio");
        /// upper bound on the step
        pub lambda_max: f64 = 1e6, positive();
    }
}

/// The adaptive golden ratio algorithm. See the module documentation.
#[derive(Clone, Debug)]
pub struct Agraal {
    params: AgraalParams,
    seed: u64,
    lambda: f64,
    theta: f64,
    z: Col<f64>,
    z_new: Col<f64>,
    z_bar: Col<f64>,
    f: Col<f64>,
    f_new: Col<f64>,
}

impl Agraal {
    /// A new solver with the given parameters (validated) and the seed of its perturbation
    /// (read only when the initial step is estimated, i.e. `step` is not a number).
    pub fn new(params: Checked<AgraalParams>, seed: impl vi_core::Seed) -> Self {
        let params = params.into_inner();
        let seed = if matches!(params.step, StepRule::Fixed(_)) { 0 } else { seed.get() };
        let z = || Col::zeros(0);
        Self { params, seed, lambda: 0.0, theta: 1.0, z: z(), z_new: z(), z_bar: z(), f: z(), f_new: z() }
    }
}

impl Solver for Agraal {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        self.z = problem.start().to_owned();
        self.z_bar = self.z.clone();
        self.z_new = Col::zeros(n);
        self.f = Col::zeros(n);
        self.f_new = Col::zeros(n);
        self.theta = 1.0;
        problem.eval(self.z.as_ref(), self.f.as_mut());
        self.lambda = match self.params.step {
            StepRule::Fixed(l) => l,
            StepRule::Auto | StepRule::Adaptive => {
                let mut r = rng::seeded(self.seed, STREAM);
                // z_0 = z_1 + 1e-9 xi (in z_new), F(z_0) (in f_new).
                faer::zip!(self.z_new.as_mut(), self.z.as_ref())
                    .for_each(|faer::unzip!(w, z)| *w = *z + 1e-9 * rng::normal(&mut r));
                problem.eval(self.z_new.as_ref(), self.f_new.as_mut());
                let dz = linalg::dist(self.z.as_ref(), self.z_new.as_ref());
                let df = linalg::dist(self.f.as_ref(), self.f_new.as_ref());
                let l = self.params.phi / 2.0 * dz / df;
                if l.is_finite() && l > 0.0 {
                    l.min(self.params.lambda_max)
                } else {
                    1.0f64.min(self.params.lambda_max)
                }
            }
        };
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        let (phi, la) = (self.params.phi, self.lambda);
        let rho = 1.0 / phi + 1.0 / (phi * phi);
        faer::zip!(self.z_new.as_mut(), self.z_bar.as_ref(), self.f.as_ref())
            .for_each(|faer::unzip!(w, b, f)| *w = *b - la * *f);
        problem.project(self.z_new.as_mut());
        problem.eval(self.z_new.as_ref(), self.f_new.as_mut());
        let n1 = linalg::dist(self.z_new.as_ref(), self.z.as_ref()).powi(2);
        let n2 = linalg::dist(self.f_new.as_ref(), self.f.as_ref()).powi(2);
        let mut la1 = (rho * la).min(self.params.lambda_max);
        if n2 > 0.0 {
            // `min` with a NaN keeps the other operand; a NaN in F shows up in the iterate.
            la1 = la1.min(0.25 * phi * self.theta / la * (n1 / n2));
        }
        faer::zip!(self.z_bar.as_mut(), self.z_new.as_ref())
            .for_each(|faer::unzip!(b, w)| *b = ((phi - 1.0) * *w + *b) / phi);
        self.theta = phi * la1 / la;
        std::mem::swap(&mut self.z, &mut self.z_new);
        std::mem::swap(&mut self.f, &mut self.f_new);
        self.lambda = la1;
        if !(la1 > 0.0 && la1.is_finite()) {
            return StepStatus::Finished(Status::NumericalError);
        }
        StepStatus::Continue
    }

    fn status_message(&self) -> Option<String> {
        Some(format!(
            "the adaptive step became {:e}: aGRAAL's local Lipschitz estimate broke down (it needs a deterministic, locally Lipschitz monotone operator)",
            self.lambda
        ))
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }

    fn evaluated_point(&self) -> Option<(ColRef<'_, f64>, ColRef<'_, f64>)> {
        // `f` is F at the iterate (the step's one call): the check needs no monitoring call.
        Some((self.z.as_ref(), self.f.as_ref()))
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.lambda)
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        let phi = self.params.phi;
        Ok(crate::graal::graal_model(phi).with_note(format!(
            "adaptive steps: predicted with GRAAL's fixed-step recursion (phi = {phi}) at the initial step"
        )))
    }

    fn predicted_step(&self, lipschitz: f64, _mu: Option<f64>) -> Option<PredictedStep> {
        // The initial step from the perturbation is phi / (2 L_local).
        self.params.step.predict(self.params.phi / 2.0, lipschitz)
    }
}

impl Method for Agraal {
    const NAME: &'static str = "agraal";
    const SUMMARY: &'static str = "adaptive golden ratio algorithm (no L needed): one oracle call per iteration";
    type Params = AgraalParams;

    fn build(params: Checked<AgraalParams>, ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params, ctx))
    }
}

vi_core::register_solver!(Agraal);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, build_error, checked, random_orthogonal, run};
    use faer::Mat;
    use vi_core::{FnOperator, Operator};

    #[test]
    fn rejects_invalid_parameters() {
        let e = build_error("agraal", serde_json::json!({"phi": 1.0}));
        assert!(e.contains("`phi`") && e.contains("got 1"), "{e}");
        let e = build_error("agraal", serde_json::json!({"lambda_max": -1}));
        assert!(e.contains("`lambda_max`"), "{e}");
    }

    #[test]
    fn one_step_matches_hand_computation() {
        // On the rotation F = (y, -x), ||F(a) - F(b)|| = ||a - b||: lambda_0 = phi/2 = 0.75 for
        // any perturbation. z2 = (1,1) - 0.75 (1,-1) = (0.25, 1.75); rho = 1/1.5 + 1/2.25;
        // lambda_1 = min(rho 0.75, 1.5 * 1 / (4 * 0.75) * 1) = 0.5; z^ = (0.5 z2 + (1,1))/1.5.
        let mut p = bilinear_xy(&[1.0, 1.0]);
        let mut s = Agraal::new(checked(AgraalParams::default()), 3);
        s.init(&mut p).unwrap();
        assert!((s.step_size().unwrap() - 0.75).abs() < 1e-6);
        s.step(&mut p);
        assert!((s.iterate()[0] - 0.25).abs() < 1e-6 && (s.iterate()[1] - 1.75).abs() < 1e-6);
        assert!((s.step_size().unwrap() - 0.5).abs() < 1e-6);
        assert!((s.z_bar[0] - 0.75).abs() < 1e-6 && (s.z_bar[1] - 1.25).abs() < 1e-6);
        assert!((s.theta - 1.0).abs() < 1e-5);
        assert_eq!(p.counters().oracle_calls, 3);
    }

    /// `F(z) = M z + q` as a closure that declares nothing (no `L`, no `mu`).
    fn no_lipschitz(m: Mat<f64>, q: Vec<f64>) -> Box<dyn Operator> {
        let n = m.nrows();
        Box::new(FnOperator::new(n, move |z: ColRef<'_, f64>, mut out: faer::ColMut<'_, f64>| {
            for i in 0..n {
                out[i] = q[i] + (0..n).map(|j| m[(i, j)] * z[j]).sum::<f64>();
            }
        }))
    }

    #[test]
    fn converges_without_l_on_bilinear_and_strongly_monotone_games() {
        // Bilinear: F = (A y, -A^T x) with A = Q diag(2, 1, 0.5) (no L declared).
        let q = random_orthogonal(3, 5, 1);
        let s = [2.0, 1.0, 0.5];
        let a = Mat::from_fn(3, 3, |i, j| q[(i, j)] * s[j]);
        let m = Mat::from_fn(6, 6, |i, j| match (i < 3, j < 3) {
            (true, false) => a[(i, j - 3)],
            (false, true) => -a[(j, i - 3)],
            _ => 0.0,
        });
        let op = no_lipschitz(m, vec![0.0; 6]);
        assert!(op.lipschitz().is_none());
        let start = vi_core::linalg::col_from_slice(&[1.0, -1.0, 0.5, 0.3, 0.2, -0.7]);
        let mut p = Problem::unconstrained("bilinear-no-l", op, start).unwrap().with_solution(Col::zeros(6)).unwrap();
        let r = run(&mut p, &mut Agraal::new(checked(AgraalParams::default()), 1), 1e-10, 100_000);
        assert_eq!(r.status, Status::Converged);
        assert!(r.distance_to_solution.unwrap() < 1e-9);

        // Strongly monotone quadratic game: f(x, y) = x^2/2 + 2 x y - y^2 - x - y,
        // F = (x + 2y - 1, -2x + 2y + 1): symmetric part diag(1, 2), so mu = 1.
        let m = faer::mat![[1.0, 2.0], [-2.0, 2.0]];
        let op = no_lipschitz(m, vec![-1.0, 1.0]);
        // x + 2y = 1, -2x + 2y = -1  =>  3x = 2, x = 2/3, y = 1/6.
        let sol = vi_core::linalg::col_from_slice(&[2.0 / 3.0, 1.0 / 6.0]);
        let mut p = Problem::unconstrained("sm-no-l", op, vi_core::linalg::col_from_slice(&[5.0, -3.0]))
            .unwrap()
            .with_solution(sol)
            .unwrap();
        let r = run(&mut p, &mut Agraal::new(checked(AgraalParams::default()), 2), 1e-10, 100_000);
        assert_eq!(r.status, Status::Converged);
        assert!(r.distance_to_solution.unwrap() < 1e-9);
    }
}
