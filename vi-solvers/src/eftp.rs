//! # Extrapolation from the past (Popov 1980; EFTP, Gidel et al. 2019)
//!
//! Update, with projection `P` and `z~_{-1} = z_0`:
//!
//! ```text
//! z~_k    = P(z_k - eta F(z~_{k-1}))     (reuses the stored past evaluation)
//! z_{k+1} = P(z_k - eta F(z~_k))         (the one new oracle call)
//! ```
//!
//! One *new* oracle call per iteration, at `z~_k`; `F(z~_{k-1})` is the value stored from the
//! previous iteration (with a stochastic oracle it is the past *sample*, as the definition
//! requires, not a fresh one). `init` makes one counted call for `F(z~_{-1}) = F(z_0)`. The
//! ergodic average is taken over the extrapolated points `z~_k` (as in Gidel et al.'s averaged
//! bound). Unconstrained, the half-iterates follow OGDA:
//! `z~_{k+1} = z~_k - 2 eta F(z~_k) + eta F(z~_{k-1})`.
//!
//! ## Step size
//! - fixed `eta`: monotone `L`-Lipschitz `F`: `eta < 1/(3L)` (Popov), `eta < 1/(2L)`
//!   unconstrained; on a bilinear game it converges iff `eta sigma_max < 1/sqrt(3)` (root of
//!   `t^2 - (1 - 2 eta lambda) t - eta lambda`, docs/math.md §2.4); strongly monotone: linear,
//!   `1 - mu/(4L)` at `eta = 1/(4L)`.
//! - `"auto"`: `eta = factor / L` with `factor = 0.4` (inside `1/2` for monotone problems and
//!   inside `1/sqrt(3) = 0.577` on bilinear ones).
//! - `"adaptive"`: backtracking on the local Lipschitz estimate between consecutive
//!   extrapolated points: the trial `z~_k` is accepted when
//!   `eta ||F(z~_k) - F(z~_{k-1})|| <= nu ||z~_k - z~_{k-1}||` (`nu = 0.4`), otherwise `eta` is
//!   halved and `z~_k` recomputed (one more oracle call). As `eta -> 0`, `z~_k -> P(z_k)` while the
//!   left side vanishes, so the search ends; after 60 halvings the run ends with
//!   `NumericalError`. After each accepted step `eta` grows by `grow` (1.2).
//! - `precond`: RMSProp / Adam / block-RMSProp scaling of the directions (see [`crate::precond`]).
//!
//! ## References
//! - L. D. Popov, "A modification of the Arrow-Hurwicz method for search of saddle points",
//!   Math. Notes 28(5) (1980).
//! - G. Gidel, H. Berard, G. Vignoud, P. Vincent, S. Lacoste-Julien, "A variational inequality
//!   perspective on generative adversarial networks", ICLR 2019.
//! - Y.-G. Hsieh, F. Iutzeler, J. Malick, P. Mertikopoulos, "On the convergence of single-call
//!   stochastic extra-gradient methods", NeurIPS 2019.

use faer::{Col, ColRef};
use vi_core::{
    linalg::{self, Flip},
    BuildContext, Checked, LinearModel, Method, PredictedStep, Problem, Result, Solver, Status, StepStatus,
};

use crate::common::StepSearch;
use crate::precond::{PrecondParams, Preconditioner};

vi_core::params! {
    /// Parameters of [`Eftp`].
    pub struct EftpParams {
        ..search: StepSearch = StepSearch::with(0.4, 0.4);
        ..precond: PrecondParams;
    }
    validate(p, owner) { p.precond.check_step(owner, p.search.step) }
}

/// Extrapolation from the past (Popov's method). See the module documentation.
#[derive(Clone, Debug)]
pub struct Eftp {
    params: EftpParams,
    eta: f64,
    pre: Preconditioner,
    z: Col<f64>,
    /// `z~_k` (after a step: the latest extrapolated point).
    z_half: Col<f64>,
    /// `z~_{k-1}`.
    z_past: Col<f64>,
    /// `(F(z~_{k-1}), F(z~_k))` (raw); the roles flip each iteration (cheaper than swapping
    /// the two columns on a tiny game).
    f: Flip<Col<f64>>,
    /// Scaled direction of `F(z~_{k-1})`.
    d_past: Col<f64>,
    /// Scaled direction of `F(z~_k)`.
    d: Col<f64>,
}

impl Eftp {
    /// A new solver with checked parameters.
    pub fn new(params: Checked<EftpParams>) -> Self {
        let params = params.into_inner();
        let z = || Col::zeros(0);
        Self {
            pre: Preconditioner::new(params.precond.clone()),
            params,
            eta: 0.0,
            z: z(),
            z_half: z(),
            z_past: z(),
            f: Flip::new(z(), z()),
            d_past: z(),
            d: z(),
        }
    }

    /// Without a preconditioner the direction is `F` itself: `d` and `d_past` are not used.
    fn plain(&self) -> bool {
        !self.params.precond.active()
    }

    /// `z~ = P(z - eta d_past)`, then `F(z~)` into the buffer of `F(z~_k)`.
    #[inline(always)]
    fn extrapolate(&mut self, problem: &mut Problem) {
        let plain = self.plain();
        let (f_past, f_half) = self.f.pair_mut();
        let d_past = if plain { &*f_past } else { &self.d_past };
        linalg::add_scaled(self.z_half.as_mut(), self.z.as_ref(), -self.eta, d_past.as_ref());
        problem.project(self.z_half.as_mut());
        problem.eval(self.z_half.as_ref(), f_half.as_mut());
    }
}

impl Solver for Eftp {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        self.z = problem.start().to_owned();
        self.z_half = self.z.clone();
        self.z_past = self.z.clone();
        self.f = Flip::new(Col::zeros(n), Col::zeros(n));
        self.d_past = Col::zeros(n);
        self.d = Col::zeros(n);
        self.eta = self.params.search.step.resolve(problem, self.params.search.factor)?;
        self.pre.init(problem);
        // z~_{-1} = z_0: its evaluation is the first "past" value.
        let f_past = self.f.pair_mut().0;
        problem.eval(self.z.as_ref(), f_past.as_mut());
        self.pre.direction(f_past.as_ref(), self.d_past.as_mut());
        Ok(())
    }

    #[inline(always)] // into the run loop compiled for this solver (`Solver::drive`)
    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        let adaptive = self.params.search.adaptive();
        if adaptive {
            // Backtrack until the local Lipschitz test passes.
            let search = self.params.search.clone();
            let accepted = search.search(self.eta, |eta| {
                self.eta = eta;
                self.extrapolate(problem);
                (linalg::dist(self.z_half.as_ref(), self.z_past.as_ref()), {
                    let (past, new) = self.f.pair();
                    linalg::dist(new.as_ref(), past.as_ref())
                })
            });
            if accepted.is_none() {
                return StepStatus::Finished(Status::NumericalError);
            }
        } else {
            self.extrapolate(problem);
        }
        let new = self.f.pair().1;
        let d = if self.plain() {
            new
        } else {
            self.pre.direction(new.as_ref(), self.d.as_mut());
            &self.d
        };
        // z_{k+1} = P(z_k - eta d(F(z~_k)))
        linalg::axpy(-self.eta, d.as_ref(), self.z.as_mut());
        problem.project(self.z.as_mut());
        // The new evaluation becomes the past one.
        self.f.flip();
        if !self.plain() {
            std::mem::swap(&mut self.d_past, &mut self.d);
        }
        if adaptive {
            // Only the adaptive test reads z~_{k-1}.
            self.z_past.copy_from(&self.z_half);
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
        // After a step (and its flip), the first holds F(z~_k), evaluated at `z_half` = z~_k.
        Some((self.z_half.as_ref(), self.f.pair().0.as_ref()))
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        self.params.precond.linear_model(crate::common::optimistic_model)
    }

    fn predicted_step(&self, lipschitz: f64, _mu: Option<f64>) -> Option<PredictedStep> {
        self.params.search.predicted_step(lipschitz)
    }
}

impl Method for Eftp {
    const NAME: &'static str = "eftp";
    const SUMMARY: &'static str = "extrapolation from the past (Popov): one new oracle call per iteration";
    type Params = EftpParams;

    fn build(params: Checked<EftpParams>, _ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params))
    }
}

vi_core::register_solver!(Eftp);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, build_error, params, run, strongly_monotone};
    use vi_core::StepRule;

    #[test]
    fn rejects_invalid_parameters() {
        let e = build_error("eftp", serde_json::json!({"step": "fast"}));
        assert!(e.contains("`step`") && e.contains("\"auto\" or \"adaptive\""), "{e}");
        let e = build_error("eftp", serde_json::json!({"nu": 1.0}));
        assert!(e.contains("`nu`") && e.contains("(0, 1)"), "{e}");
        let e = build_error("eftp", serde_json::json!({"grow": 0.5}));
        assert!(e.contains("`grow`"), "{e}");
        let e = build_error("eftp", serde_json::json!({"precond": "adam", "step": "adaptive"}));
        assert!(e.contains("`precond`"), "{e}");
        let e = build_error("eftp", serde_json::json!({"precond": "sgd"}));
        assert!(e.contains("`precond`") && e.contains("block-rmsprop"), "{e}");
    }

    #[test]
    fn two_steps_match_hand_computation() {
        // F = (y, -x), z0 = (1, 1), eta = 0.1. F(z~_{-1}) = F(z0) = (1, -1).
        // z~0 = (0.9, 1.1), F(z~0) = (1.1, -0.9), z1 = (0.89, 1.09).
        // z~1 = z1 - 0.1 F(z~0) = (0.78, 1.18), F(z~1) = (1.18, -0.78), z2 = (0.772, 1.168).
        let mut p = bilinear_xy(&[1.0, 1.0]);
        let mut s = Eftp::with_step(0.1).unwrap();
        s.init(&mut p).unwrap();
        s.step(&mut p);
        assert!((s.iterate()[0] - 0.89).abs() < 1e-15 && (s.iterate()[1] - 1.09).abs() < 1e-15);
        s.step(&mut p);
        assert!((s.averaging_point()[0] - 0.78).abs() < 1e-15 && (s.averaging_point()[1] - 1.18).abs() < 1e-15);
        assert!((s.iterate()[0] - 0.772).abs() < 1e-15 && (s.iterate()[1] - 1.168).abs() < 1e-15);
        // One call at init, then one per iteration.
        assert_eq!(p.counters().oracle_calls, 3);
    }

    #[test]
    fn converges_with_auto_and_adaptive_steps() {
        for step in [StepRule::Auto, StepRule::Adaptive] {
            let mut s = Eftp::new(params(serde_json::json!({"step": step})));
            let r = run(&mut bilinear_xy(&[1.0, 1.0]), &mut s, 1e-10, 100_000);
            assert_eq!(r.status, Status::Converged, "{step:?}");
            assert!(r.distance_to_solution.unwrap() < 1e-9);
            let mut s = Eftp::new(params(serde_json::json!({"step": step})));
            let r = run(&mut strongly_monotone(8, 0.2, 1.0, 5), &mut s, 1e-10, 100_000);
            assert_eq!(r.status, Status::Converged, "{step:?}");
            assert!(r.distance_to_solution.unwrap() < 1e-9);
        }
    }

    #[test]
    fn adaptive_step_recovers_from_a_too_large_guess() {
        // Start at eta = 50 / L on xy: backtracking cuts it down, then it converges.
        let mut s = Eftp::new(params(serde_json::json!({"step": "adaptive", "factor": 0.99})));
        let mut p = bilinear_xy(&[1.0, 1.0]);
        s.init(&mut p).unwrap();
        s.eta = 50.0;
        for _ in 0..2000 {
            assert_eq!(s.step(&mut p), StepStatus::Continue);
        }
        assert!(s.iterate().norm_l2() < 1e-6, "{}", s.iterate().norm_l2());
        assert!(s.eta <= 1.2 && s.eta > 0.01, "{}", s.eta);
    }

    #[test]
    fn nan_operator_ends_the_backtracking_without_panicking() {
        // Finite at the start (the call in `init`), NaN ever after.
        let mut calls = 0u32;
        let op = vi_core::FnOperator::new(2, move |z, mut out| {
            calls += 1;
            let bad = if calls > 1 { f64::NAN } else { 0.0 };
            out[0] = z[1] + bad;
            out[1] = -z[0] + bad;
        });
        let mut p =
            vi_core::Problem::unconstrained("nan", Box::new(op), vi_core::linalg::col_from_slice(&[1.0, 1.0])).unwrap();
        let mut s = Eftp::new(params(serde_json::json!({"step": 0.1})));
        s.init(&mut p).unwrap();
        s.params.search.step = StepRule::Adaptive;
        assert_eq!(s.step(&mut p), StepStatus::Finished(Status::NumericalError));
        // Through the runner the report says why the solver ended the run.
        let mut calls = 0u32;
        let op = vi_core::FnOperator::new(2, move |z, mut out| {
            calls += 1;
            // Finite for the Lipschitz probe and the init call, NaN afterwards.
            let bad = if calls > 5 { f64::NAN } else { 0.0 };
            out[0] = z[1] + bad;
            out[1] = -z[0] + bad;
        })
        .with_lipschitz(1.0);
        let mut p =
            vi_core::Problem::unconstrained("nan", Box::new(op), vi_core::linalg::col_from_slice(&[1.0, 1.0])).unwrap();
        let mut s = Eftp::new(params(serde_json::json!({"step": "adaptive"})));
        let r = run(&mut p, &mut s, 1e-10, 100);
        assert_eq!(r.status, Status::NumericalError);
        let msg = r.message.unwrap();
        assert!(msg.contains("backtracking halved the step 60 times") && msg.contains("iteration"), "{msg}");
        assert!(r.z.iter().all(|v| v.is_finite()));
    }
}
