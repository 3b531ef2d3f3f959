//! # Extra anchored gradient, EAG (Yoon & Ryu 2021)
//!
//! Update, with anchor `z_0` (the start) and `beta_k = 1 / (k + 2)`:
//!
//! ```text
//! z~_k    = z_k + beta_k (z_0 - z_k) - alpha_k F(z_k)
//! z_{k+1} = z_k + beta_k (z_0 - z_k) - alpha_k F(z~_k)
//! ```
//!
//! Two oracle calls per iteration. For monotone `L`-Lipschitz `F` (unconstrained) the last
//! iterate satisfies `||F(z_k)||^2 = O(||z_0 - z*||^2 / (alpha^2 k^2))`, the optimal order, and the
//! iterates approach the solution nearest the anchor when the solution set is not a singleton
//! (anchoring is Halpern / Tikhonov regularisation towards `z_0` with weight `~1/k`, docs/math.md
//! §2.5). On a constrained problem both points are projected onto the set (a heuristic
//! extension: the `O(1/k^2)` guarantee is for the unconstrained method). The ergodic average is
//! taken over the extrapolated points `z~_k`; the runner judges its stopping rules at `z~_k`
//! from the call made there (no monitoring call) and reports `z~_k` when it meets them.
//!
//! Variants (`variant`):
//! - `"constant"` (EAG-C): `alpha_k = alpha`; `"auto"` gives `alpha = 1/(8L)`, the largest
//!   value of Yoon & Ryu's Corollary 1.
//! - `"varying"` (EAG-V): `alpha_0 in (0, 1/L)` (`"auto"`: `0.618/L`), then
//!   `alpha_{k+1} = alpha_k / (1 - alpha_k^2 L^2) * (1 - (k+2)^2 / ((k+1)(k+3)) alpha_k^2 L^2)`,
//!   which decreases to a limit `alpha_inf` (`0.4365/L` from `0.618/L`, computed from the
//!   recursion; the `0.49/L` sometimes quoted is not what it gives, docs/math.md §2.5); the bound is
//!   `||F(z_k)||^2 <= 27 ||z_0 - z*||^2 / (alpha_inf^2 (k+1)(k+2))`. Needs `L` (declared by the
//!   problem or estimated at the start).
//!
//! ## Step size
//! - fixed number: `alpha` (constant) or `alpha_0` (varying; must satisfy `alpha_0 L < 1`).
//! - `"auto"`: `factor / L` with `factor = 1/8` (constant) or `0.618` (varying).
//! - `"adaptive"` is not available.
//!
//! ## References
//! - T. Yoon, E. K. Ryu, "Accelerated algorithms for smooth convex-concave minimax problems with
//!   O(1/k^2) rate on squared gradient norm", ICML 2021.

use faer::{Col, ColRef};
use serde::{Deserialize, Serialize};
use vi_core::{
    BuildContext, Checked, Error, LinearModel, Method, PredictedStep, Problem, Result, Solver, StepRule, StepStatus,
};

use crate::common;

/// Which step schedule EAG uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EagVariant {
    /// EAG-C: constant `alpha`.
    #[default]
    Constant,
    /// EAG-V: the varying recursion.
    Varying,
}

vi_core::params! {
    /// Parameters of [`Eag`].
    pub struct EagParams {
        /// alpha (constant) or alpha_0 (varying): a number or "auto" (factor/L)
        pub step: StepRule = StepRule::Auto, fixed_or_auto();
        /// "constant" (EAG-C, alpha = 1/(8L)) or "varying" (EAG-V recursion, alpha_0 = 0.618/L)
        pub variant: EagVariant = EagVariant::Constant;
        /// alpha = factor/L for "auto"; null = 1/8 (constant) or 0.618 (varying)
        pub factor: Option<f64> = None;
    }
    validate(p, owner) {
        let f = p.factor();
        match p.variant {
            EagVariant::Constant if !(f > 0.0 && f <= 0.125) => Err(Error::param(
                owner,
                "factor",
                format!("must be in (0, 0.125] for variant \"constant\" (alpha <= 1/(8L)), got {f}"),
            )),
            EagVariant::Varying => common::open_range(owner, "factor", f, 0.0, 1.0, " for variant \"varying\""),
            _ => Ok(()),
        }
    }
}

impl EagParams {
    fn factor(&self) -> f64 {
        self.factor.unwrap_or(match self.variant {
            EagVariant::Constant => 0.125,
            EagVariant::Varying => 0.618,
        })
    }
}

/// The extra anchored gradient method. See the module documentation.
#[derive(Clone, Debug)]
pub struct Eag {
    params: EagParams,
    alpha: f64,
    /// `L` for the varying recursion.
    lipschitz: f64,
    k: u64,
    anchor: Col<f64>,
    z: Col<f64>,
    z_half: Col<f64>,
    f: Col<f64>,
    f_half: Col<f64>,
}

impl Eag {
    /// A new solver with checked parameters.
    pub fn new(params: Checked<EagParams>) -> Self {
        let params = params.into_inner();
        let z = || Col::zeros(0);
        Self { params, alpha: 0.0, lipschitz: 0.0, k: 0, anchor: z(), z: z(), z_half: z(), f: z(), f_half: z() }
    }

    /// `out = z + beta (anchor - z) - alpha g`, projected.
    fn anchored_step(
        out: &mut Col<f64>,
        z: &Col<f64>,
        anchor: &Col<f64>,
        g: &Col<f64>,
        beta: f64,
        alpha: f64,
        problem: &mut Problem,
    ) {
        faer::zip!(out.as_mut(), z.as_ref(), anchor.as_ref(), g.as_ref())
            .for_each(|faer::unzip!(o, z, a, g)| *o = *z + beta * (*a - *z) - alpha * *g);
        problem.project(out.as_mut());
    }
}

impl Solver for Eag {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        self.anchor = problem.start().to_owned();
        self.z = self.anchor.clone();
        self.z_half = Col::zeros(n);
        self.f = Col::zeros(n);
        self.f_half = Col::zeros(n);
        self.k = 0;
        self.alpha = self.params.step.resolve(problem, self.params.factor())?;
        if self.params.variant == EagVariant::Varying {
            self.lipschitz = common::lipschitz(problem)?;
            if !(self.alpha * self.lipschitz < 1.0) {
                return Err(Error::Config(format!(
                    "solver eag (variant \"varying\"): alpha_0 * L = {} must be < 1 (L = {}); lower `step`",
                    self.alpha * self.lipschitz,
                    self.lipschitz
                )));
            }
        }
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        let beta = 1.0 / (self.k as f64 + 2.0);
        problem.eval(self.z.as_ref(), self.f.as_mut());
        Self::anchored_step(&mut self.z_half, &self.z, &self.anchor, &self.f, beta, self.alpha, problem);
        problem.eval(self.z_half.as_ref(), self.f_half.as_mut());
        // z_{k+1} from z_k: write into f (free now) then swap.
        Self::anchored_step(&mut self.f, &self.z, &self.anchor, &self.f_half, beta, self.alpha, problem);
        std::mem::swap(&mut self.z, &mut self.f);
        if self.params.variant == EagVariant::Varying {
            let k = self.k as f64;
            let x = self.alpha * self.alpha * self.lipschitz * self.lipschitz;
            let c = (k + 2.0) * (k + 2.0) / ((k + 1.0) * (k + 3.0));
            self.alpha = self.alpha / (1.0 - x) * (1.0 - c * x);
        }
        self.k += 1;
        StepStatus::Continue
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }

    fn averaging_point(&self) -> ColRef<'_, f64> {
        self.z_half.as_ref()
    }

    fn evaluated_point(&self) -> Option<(ColRef<'_, f64>, ColRef<'_, f64>)> {
        // F(z~_k), as extragradient: the stopping rules need no monitoring call.
        Some((self.z_half.as_ref(), self.f_half.as_ref()))
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.alpha)
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        Err("anchored: the anchor's weight 1/(k+2) changes every iteration, so no fixed linear rate (O(1/k) on ||F||, docs/math.md §2.6)".into())
    }

    fn predicted_step(&self, lipschitz: f64, _mu: Option<f64>) -> Option<PredictedStep> {
        self.params.step.predict(self.params.factor(), lipschitz)
    }
}

impl Method for Eag {
    const NAME: &'static str = "eag";
    const SUMMARY: &'static str =
        "extra anchored gradient (Yoon-Ryu), O(1/k^2) on ||F||^2: two oracle calls per iteration";
    type Params = EagParams;

    fn build(params: Checked<EagParams>, _ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params))
    }
}

vi_core::register_solver!(Eag);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, build_error, checked, random_bilinear, run};
    use vi_core::Status;

    fn fixed(alpha: f64, variant: EagVariant) -> Eag {
        Eag::new(checked(EagParams { step: StepRule::Fixed(alpha), variant, factor: None }))
    }

    #[test]
    fn rejects_invalid_parameters() {
        let e = build_error("eag", serde_json::json!({"factor": 0.2}));
        assert!(e.contains("`factor`") && e.contains("(0, 0.125]"), "{e}");
        let e = build_error("eag", serde_json::json!({"variant": "linear"}));
        assert!(e.contains("`variant`") && e.contains("varying"), "{e}");
        let mut s =
            Eag::new(checked(EagParams { step: StepRule::Fixed(1.5), variant: EagVariant::Varying, factor: None }));
        let e = s.init(&mut bilinear_xy(&[1.0, 1.0])).unwrap_err().to_string();
        assert!(e.contains("alpha_0 * L = 1.5") && e.contains("`step`"), "{e}");
    }

    #[test]
    fn two_steps_match_hand_computation() {
        // alpha = 0.1, z0 = (1,1), F = (y, -x).
        // k = 0, beta = 1/2: z~ = (0.9, 1.1), z1 = (1,1) - 0.1 (1.1, -0.9) = (0.89, 1.09).
        // k = 1, beta = 1/3: base = z1 + (z0 - z1)/3 = (0.926667, 1.06);
        // z~ = base - 0.1 (1.09, -0.89) = (0.817667, 1.149); z2 = base - 0.1 (1.149, -0.817667).
        let mut p = bilinear_xy(&[1.0, 1.0]);
        let mut s = fixed(0.1, EagVariant::Constant);
        s.init(&mut p).unwrap();
        s.step(&mut p);
        assert!((s.iterate()[0] - 0.89).abs() < 1e-15 && (s.iterate()[1] - 1.09).abs() < 1e-15);
        s.step(&mut p);
        let base = (0.89 + 0.11 / 3.0, 1.09 - 0.09 / 3.0);
        let half = (base.0 - 0.109, base.1 + 0.089);
        assert!((s.averaging_point()[0] - half.0).abs() < 1e-15);
        assert!((s.iterate()[0] - (base.0 - 0.1 * half.1)).abs() < 1e-15);
        assert!((s.iterate()[1] - (base.1 + 0.1 * half.0)).abs() < 1e-15);
        assert_eq!(p.counters().oracle_calls, 4);
    }

    #[test]
    fn varying_recursion_matches_hand_computation() {
        // alpha_0 L = 0.618: x = 0.381924, alpha_1 = 0.618 (1 - 4/3 x) / (1 - x).
        let mut p = bilinear_xy(&[1.0, 1.0]);
        let mut s = fixed(0.618, EagVariant::Varying);
        s.init(&mut p).unwrap();
        s.step(&mut p);
        let x = 0.618f64 * 0.618;
        assert!((s.step_size().unwrap() - 0.618 * (1.0 - 4.0 / 3.0 * x) / (1.0 - x)).abs() < 1e-15);
        for _ in 0..10_000 {
            s.step(&mut p);
        }
        // The limit of the recursion from 0.618/L is 0.43654/L (the product converges like 1/k).
        let a = s.step_size().unwrap();
        assert!((a - 0.436_54).abs() < 1e-3, "alpha_inf = {a}");
    }

    #[test]
    fn end_to_end_on_known_solutions() {
        for variant in [EagVariant::Constant, EagVariant::Varying] {
            let mut s = Eag::new(checked(EagParams { variant, ..Default::default() }));
            // ||F(z_k)|| decays like 1/(alpha k) (sublinear): a loose tolerance.
            let r = run(&mut random_bilinear(&[1.0, 0.7, 0.5], 1), &mut s, 1e-3, 200_000);
            assert_eq!(r.status, Status::Converged, "{variant:?}");
            // ||z - z*|| <= ||F(z)|| / sigma_min.
            assert!(r.distance_to_solution.unwrap() < 2e-3, "{variant:?}");
        }
    }
}
