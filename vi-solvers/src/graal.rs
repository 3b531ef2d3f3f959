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
//! (docs/math.md §2.6). The ergodic average is taken over the iterates.
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
use serde::{Deserialize, Serialize};
use vi_core::{BuildContext, Error, Params, Problem, Result, Solver, StepRule, StepStatus};

use crate::common;

/// The golden ratio `(1 + sqrt 5) / 2`.
pub const GOLDEN: f64 = 1.618_033_988_749_895;

/// Parameters of [`Graal`].
///
/// | name | default | purpose | range |
/// |---|---|---|---|
/// | `step` | `"auto"` | `lambda`: a number or `"auto"` (`factor/L`) | > 0 |
/// | `phi` | golden ratio | averaging parameter | (1, 1.618...] |
/// | `factor` | `null` | `lambda = factor / L` for `"auto"`; `null`: `phi / 2` | (0, phi/2] |
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraalParams {
    /// Step size rule (default `"auto"`).
    pub step: StepRule,
    /// Averaging parameter (default the golden ratio).
    pub phi: f64,
    /// `lambda = factor / L` for `"auto"` (default `phi / 2`).
    pub factor: Option<f64>,
}

impl Default for GraalParams {
    fn default() -> Self {
        Self { step: StepRule::Auto, phi: GOLDEN, factor: None }
    }
}

impl GraalParams {
    fn factor(&self) -> f64 {
        self.factor.unwrap_or(self.phi / 2.0)
    }
}

impl Params for GraalParams {
    fn validate(&self, owner: &str) -> Result<()> {
        common::no_adaptive(self.step, owner)?;
        if !(self.phi > 1.0 && self.phi <= GOLDEN) {
            return Err(Error::param(
                owner,
                "phi",
                format!("must be in (1, {GOLDEN}] (the golden ratio), got {}", self.phi),
            ));
        }
        let f = self.factor();
        if !(f > 0.0 && f <= self.phi / 2.0) {
            return Err(Error::param(owner, "factor", format!("must be in (0, phi/2 = {}], got {f}", self.phi / 2.0)));
        }
        Ok(())
    }
    fn docs() -> &'static [(&'static str, &'static str)] {
        &[
            ("step", "lambda: a number or \"auto\" (factor/L)"),
            ("phi", "averaging parameter in (1, golden ratio]; default the golden ratio"),
            ("factor", "lambda = factor / L for \"auto\", in (0, phi/2]; null = phi/2"),
        ]
    }
}

/// The fixed-step golden ratio algorithm. See the module documentation.
#[derive(Clone, Debug)]
pub struct Graal {
    params: GraalParams,
    lambda: f64,
    z: Col<f64>,
    z_bar: Col<f64>,
    f: Col<f64>,
}

impl Graal {
    /// A new solver with the given parameters (validated).
    ///
    /// # Errors
    /// [`vi_core::Error::InvalidParameter`] from validation.
    pub fn new(params: GraalParams) -> Result<Self> {
        params.validate("solver graal")?;
        Ok(Self { params, lambda: 0.0, z: Col::zeros(0), z_bar: Col::zeros(0), f: Col::zeros(0) })
    }

    /// A solver with a fixed step and the golden ratio.
    ///
    /// # Errors
    /// If `lambda` is not finite and positive.
    pub fn with_step(lambda: f64) -> Result<Self> {
        Self::new(GraalParams { step: StepRule::Fixed(lambda), ..Default::default() })
    }
}

impl Solver for Graal {
    fn name(&self) -> &str {
        "graal"
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        self.z = problem.start().to_owned();
        self.z_bar = self.z.clone();
        self.f = Col::zeros(problem.dim());
        self.lambda = self.params.step.resolve(problem, self.params.factor())?;
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        let phi = self.params.phi;
        let lambda = self.lambda;
        problem.eval(self.z.as_ref(), self.f.as_mut());
        faer::zip!(self.z_bar.as_mut(), self.z.as_ref())
            .for_each(|faer::unzip!(b, z)| *b = ((phi - 1.0) * *z + *b) / phi);
        faer::zip!(self.z.as_mut(), self.z_bar.as_ref(), self.f.as_ref())
            .for_each(|faer::unzip!(z, b, f)| *z = *b - lambda * *f);
        problem.project(self.z.as_mut());
        StepStatus::Continue
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.lambda)
    }
}

fn build(p: GraalParams, _ctx: &BuildContext) -> Result<Box<dyn Solver>> {
    Ok(Box::new(Graal::new(p)?))
}

vi_core::register_solver!(
    "graal",
    "Malitsky's golden ratio algorithm, fixed step: one oracle call per iteration",
    GraalParams,
    build
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_send_clone, bilinear_xy, build_error, random_bilinear, run, strongly_monotone};
    use vi_core::Status;

    #[test]
    fn boxed_solver_is_send_and_clone() {
        assert_send_clone(Box::new(Graal::with_step(0.1).unwrap()));
    }

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
        let mut s = Graal::new(GraalParams::default()).unwrap();
        let r = run(&mut random_bilinear(&[1.0, 0.8, 0.6, 0.4, 0.3], 2), &mut s, 1e-8, 200_000);
        assert_eq!(r.status, Status::Converged);
        assert!(r.distance_to_solution.unwrap() < 1e-7);
        assert!((r.step_size.unwrap() - GOLDEN / 2.0).abs() < 1e-12);
        let r = run(
            &mut strongly_monotone(8, 0.2, 1.0, 8),
            &mut Graal::new(GraalParams::default()).unwrap(),
            1e-10,
            100_000,
        );
        assert_eq!(r.status, Status::Converged);
        assert!(r.distance_to_solution.unwrap() < 1e-9);
    }
}
