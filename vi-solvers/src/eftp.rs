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
use serde::{Deserialize, Serialize};
use vi_core::{linalg, BuildContext, Params, Problem, Result, Solver, Status, StepRule, StepStatus};

use crate::common::{self, MAX_HALVINGS};
use crate::precond::{self, PrecondConfig, PrecondKind, Preconditioner};

/// Parameters of [`Eftp`].
///
/// | name | default | purpose | range |
/// |---|---|---|---|
/// | `step` | `"auto"` | a number, `"auto"` (`factor/L`) or `"adaptive"` | > 0 |
/// | `factor` | `0.4` | `eta = factor / L` for `"auto"` and the adaptive initial guess | (0, 1) |
/// | `nu` | `0.4` | adaptive acceptance ratio | (0, 1) |
/// | `grow` | `1.2` | adaptive growth after an accepted step | >= 1 |
/// | `precond` | `"none"` | `"none"`, `"rmsprop"`, `"adam"`, `"block-rmsprop"` | |
/// | `beta1` | `0.5` | Adam first-moment decay | [0, 1) |
/// | `beta2` | `0.999` | second-moment decay | [0, 1) |
/// | `precond_eps` | `1e-8` | added to `sqrt(v)` | > 0 |
/// | `amsgrad` | `false` | running maximum of the second moment | |
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EftpParams {
    /// Step size rule (default `"auto"`).
    pub step: StepRule,
    /// `eta = factor / L` for `"auto"` (default 0.4).
    pub factor: f64,
    /// Adaptive acceptance ratio (default 0.4).
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

impl Default for EftpParams {
    fn default() -> Self {
        Self {
            step: StepRule::Auto,
            factor: 0.4,
            nu: 0.4,
            grow: 1.2,
            precond: PrecondKind::None,
            beta1: precond::DEFAULT_BETA1,
            beta2: precond::DEFAULT_BETA2,
            precond_eps: precond::DEFAULT_EPS,
            amsgrad: false,
        }
    }
}

impl EftpParams {
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

impl Params for EftpParams {
    fn validate(&self, owner: &str) -> Result<()> {
        self.step.validate(owner)?;
        common::open_range(owner, "factor", self.factor, 0.0, 1.0, "")?;
        common::open_range(owner, "nu", self.nu, 0.0, 1.0, "")?;
        if !(self.grow >= 1.0 && self.grow.is_finite()) {
            return Err(vi_core::Error::param(
                owner,
                "grow",
                format!("must be a finite number >= 1, got {}", self.grow),
            ));
        }
        self.precond_config().validate(owner, self.step)
    }
    fn docs() -> &'static [(&'static str, &'static str)] {
        const D: [(&str, &str); 9] = [
            ("step", "step size: a number, \"auto\" (factor/L) or \"adaptive\" (backtracking)"),
            (
                "factor",
                "eta = factor / L for \"auto\" and the adaptive initial guess, in (0,1); default 0.4 < 1/sqrt(3)",
            ),
            ("nu", "adaptive: accept when eta*||F(z~_k)-F(z~_{k-1})|| <= nu*||z~_k-z~_{k-1}||, in (0,1)"),
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
    /// `F(z~_k)` (raw).
    f_half: Col<f64>,
    /// `F(z~_{k-1})` (raw, for the adaptive test).
    f_past: Col<f64>,
    /// Scaled direction of `F(z~_{k-1})`.
    d_past: Col<f64>,
    /// Scaled direction of `F(z~_k)`.
    d: Col<f64>,
}

impl Eftp {
    /// A new solver with the given parameters (validated).
    ///
    /// # Errors
    /// [`vi_core::Error::InvalidParameter`] from validation.
    pub fn new(params: EftpParams) -> Result<Self> {
        params.validate("solver eftp")?;
        let z = || Col::zeros(0);
        Ok(Self {
            pre: Preconditioner::new(params.precond_config()),
            params,
            eta: 0.0,
            z: z(),
            z_half: z(),
            z_past: z(),
            f_half: z(),
            f_past: z(),
            d_past: z(),
            d: z(),
        })
    }

    /// A solver with a fixed step.
    ///
    /// # Errors
    /// If `eta` is not finite and positive.
    pub fn with_step(eta: f64) -> Result<Self> {
        Self::new(EftpParams { step: StepRule::Fixed(eta), ..Default::default() })
    }

    /// Without a preconditioner the direction is `F` itself: `d` and `d_past` are not used.
    fn plain(&self) -> bool {
        self.params.precond == PrecondKind::None
    }

    /// `z~ = P(z - eta d_past)`, then `f_half = F(z~)`.
    fn extrapolate(&mut self, problem: &mut Problem) {
        let d_past = if self.plain() { &self.f_past } else { &self.d_past };
        linalg::add_scaled(self.z_half.as_mut(), self.z.as_ref(), -self.eta, d_past.as_ref());
        problem.project(self.z_half.as_mut());
        problem.eval(self.z_half.as_ref(), self.f_half.as_mut());
    }
}

impl Solver for Eftp {
    fn name(&self) -> &str {
        "eftp"
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        self.z = problem.start().to_owned();
        self.z_half = self.z.clone();
        self.z_past = self.z.clone();
        self.f_half = Col::zeros(n);
        self.f_past = Col::zeros(n);
        self.d_past = Col::zeros(n);
        self.d = Col::zeros(n);
        self.eta = self.params.step.resolve(problem, self.params.factor)?;
        self.pre.init(problem);
        // z~_{-1} = z_0: its evaluation is the first "past" value.
        problem.eval(self.z.as_ref(), self.f_past.as_mut());
        self.pre.direction(self.f_past.as_ref(), self.d_past.as_mut());
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        self.extrapolate(problem);
        let adaptive = self.params.step == StepRule::Adaptive;
        if adaptive {
            let mut tries = 0;
            loop {
                let dz = linalg::dist(self.z_half.as_ref(), self.z_past.as_ref());
                let df = linalg::dist(self.f_half.as_ref(), self.f_past.as_ref());
                if crate::common::lipschitz_test_passes(self.eta, self.params.nu, dz, df) {
                    break;
                }
                tries += 1;
                if tries > MAX_HALVINGS {
                    return StepStatus::Finished(Status::NumericalError);
                }
                self.eta *= 0.5;
                self.extrapolate(problem);
            }
        }
        let d = if self.plain() {
            &self.f_half
        } else {
            self.pre.direction(self.f_half.as_ref(), self.d.as_mut());
            &self.d
        };
        // z_{k+1} = P(z_k - eta d(F(z~_k)))
        linalg::axpy(-self.eta, d.as_ref(), self.z.as_mut());
        problem.project(self.z.as_mut());
        // The new evaluation becomes the past one.
        std::mem::swap(&mut self.f_past, &mut self.f_half);
        if !self.plain() {
            std::mem::swap(&mut self.d_past, &mut self.d);
        }
        if adaptive {
            // Only the adaptive test reads z~_{k-1}.
            self.z_past.copy_from(&self.z_half);
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

fn build(p: EftpParams, _ctx: &BuildContext) -> Result<Box<dyn Solver>> {
    Ok(Box::new(Eftp::new(p)?))
}

vi_core::register_solver!(
    "eftp",
    "extrapolation from the past (Popov): one new oracle call per iteration",
    EftpParams,
    build
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_send_clone, bilinear_xy, build_error, run, strongly_monotone};

    #[test]
    fn boxed_solver_is_send_and_clone() {
        assert_send_clone(Box::new(Eftp::with_step(0.1).unwrap()));
    }

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
            let mut s = Eftp::new(EftpParams { step, ..Default::default() }).unwrap();
            let r = run(&mut bilinear_xy(&[1.0, 1.0]), &mut s, 1e-10, 100_000);
            assert_eq!(r.status, Status::Converged, "{step:?}");
            assert!(r.distance_to_solution.unwrap() < 1e-9);
            let mut s = Eftp::new(EftpParams { step, ..Default::default() }).unwrap();
            let r = run(&mut strongly_monotone(8, 0.2, 1.0, 5), &mut s, 1e-10, 100_000);
            assert_eq!(r.status, Status::Converged, "{step:?}");
            assert!(r.distance_to_solution.unwrap() < 1e-9);
        }
    }

    #[test]
    fn adaptive_step_recovers_from_a_too_large_guess() {
        // Start at eta = 50 / L on xy: backtracking cuts it down, then it converges.
        let mut s = Eftp::new(EftpParams { step: StepRule::Adaptive, factor: 0.99, ..Default::default() }).unwrap();
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
        let mut s = Eftp::new(EftpParams { step: StepRule::Fixed(0.1), ..Default::default() }).unwrap();
        s.init(&mut p).unwrap();
        s.params.step = StepRule::Adaptive;
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
        let mut s = Eftp::new(EftpParams { step: StepRule::Adaptive, ..Default::default() }).unwrap();
        let r = run(&mut p, &mut s, 1e-10, 100);
        assert_eq!(r.status, Status::NumericalError);
        let msg = r.message.unwrap();
        assert!(msg.contains("backtracking halved the step 60 times") && msg.contains("iteration"), "{msg}");
        assert!(r.z.iter().all(|v| v.is_finite()));
    }
}
