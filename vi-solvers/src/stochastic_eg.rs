//! # Stochastic extragradient with independent samples (Juditsky, Nemirovski & Tauvel 2011)
//!
//! On a finite sum `F = (1/N) sum_i F_i`, with `F_xi` an unbiased minibatch estimate
//! (`batch` components drawn with replacement, importance-weighted, see
//! [`vi_core::finite_sum`]) and projection `P`:
//!
//! ```text
//! z~_k    = P(z_k - eta_k F_xi_k(z_k))
//! z_{k+1} = P(z_k - eta_k F_xi'_k(z~_k))     xi_k, xi'_k independent
//! ```
//!
//! `2 batch` component calls per iteration (`2 batch / N` full-operator equivalents). The
//! ergodic average is over the `z~_k`.
//!
//! ## Step rule
//! - `step`: a number, or `"auto"` = `factor / L_Q` with `L_Q` the Lipschitz constant in mean
//!   square of one draw (`sqrt(mean L_i^2)` uniform, `mean L_i` Lipschitz-proportional
//!   sampling); `factor = 0.5` as for deterministic EG.
//! - `schedule = "constant"` (default): linear convergence to a noise floor
//!   `E ||z - z*||^2 = O(eta sigma_*^2 / mu)` on a `mu`-strongly monotone problem, so the floor of
//!   the residual scales like `sqrt(eta)`; it never reaches a tolerance below that floor.
//! - `schedule = "decreasing"`: `eta_k = min(eta, gamma / (mu (k + 1)))`, `E ||z_k - z*||^2 =
//!   O(1/k)` (see [`crate::stochastic`]).
//!
//! Refuses problems without finite-sum structure (see [`crate::stochastic`]).
//!
//! ## References
//! - A. Juditsky, A. Nemirovski, C. Tauvel, "Solving variational inequalities with stochastic
//!   mirror-prox algorithm", Stochastic Systems 1(1) (2011).
//! - K. Mishchenko, D. Kovalev, E. Shulgin, P. Richtarik, Y. Malitsky, "Revisiting stochastic
//!   extragradient", AISTATS 2020.
//! - Y.-G. Hsieh, F. Iutzeler, J. Malick, P. Mertikopoulos, "On the convergence of single-call
//!   stochastic extra-gradient methods", NeurIPS 2019.

use std::marker::PhantomData;

use faer::{Col, ColRef};
use vi_core::{linalg, BuildContext, Checked, Method, Params, Problem, Result, Solver, StepStatus};

use crate::stochastic::{Draws, Oracle, Steps, StochasticSteps};

vi_core::params! {
    /// Parameters of [`StochasticEg`].
    pub struct StochasticEgParams {
        ..steps: StochasticSteps = StochasticSteps::with_factor(0.5);
        ..draws: Draws;
    }
}

/// What tells the stochastic extragradient methods apart: their registration, their
/// parameters, and where the extrapolation's sample comes from.
pub trait Extrapolation: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The registered name.
    const NAME: &'static str;
    /// One line for `vi-bench list`.
    const SUMMARY: &'static str;
    /// `true`: a fresh sample at `z_k` each iteration (stochastic EG); `false`: the last
    /// sample, `F_xi_{k-1}(z~_{k-1})`, drawn once more only at `init` (stochastic EFTP).
    const FRESH: bool;
    /// The parameters.
    type Params: Params;
    /// Its step and sampling groups.
    fn groups(p: &Self::Params) -> (&StochasticSteps, &Draws);
}

/// Independent samples for the two calls: stochastic EG.
#[derive(Clone, Debug)]
pub struct IndependentSamples;

impl Extrapolation for IndependentSamples {
    const NAME: &'static str = "stochastic-eg";
    const SUMMARY: &'static str = "stochastic extragradient on a finite sum: two independent minibatches per iteration, constant or decreasing step";
    const FRESH: bool = true;
    type Params = StochasticEgParams;
    fn groups(p: &StochasticEgParams) -> (&StochasticSteps, &Draws) {
        (&p.steps, &p.draws)
    }
}

/// Stochastic extragradient. See the module documentation.
pub type StochasticEg = SampledExtragradient<IndependentSamples>;

/// The stochastic extragradient methods (`E` says where the extrapolation's sample comes
/// from): [`StochasticEg`] and [`crate::StochasticEftp`].
#[derive(Clone, Debug)]
pub struct SampledExtragradient<E: Extrapolation> {
    params: E::Params,
    seed: u64,
    oracle: Option<Oracle>,
    steps: Steps,
    k: u64,
    pub(crate) z: Col<f64>,
    pub(crate) z_half: Col<f64>,
    /// The last sample (EFTP: `g_{k-1}` at the start of a step).
    pub(crate) g: Col<f64>,
    kind: PhantomData<E>,
}

impl<E: Extrapolation> SampledExtragradient<E> {
    /// A new solver whose samples derive from `seed`.
    pub fn new(params: Checked<E::Params>, seed: impl vi_core::Seed) -> Self {
        let (params, seed) = (params.into_inner(), seed.get());
        let e = || Col::zeros(0);
        let (oracle, steps, kind) = (None, Steps::default(), PhantomData);
        Self { params, seed, oracle, steps, k: 0, z: e(), z_half: e(), g: e(), kind }
    }
}

impl<E: Extrapolation> Solver for SampledExtragradient<E> {
    fn name(&self) -> &str {
        E::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let (steps, draws) = E::groups(&self.params);
        let mut oracle = Oracle::new(problem, E::NAME, draws.sampling, draws.batch, self.seed)?;
        self.steps = oracle.steps(problem, E::NAME, steps.step, steps.factor, steps.schedule, steps.gamma)?;
        let n = problem.dim();
        self.z = problem.start().to_owned();
        self.z_half = self.z.clone();
        self.g = Col::zeros(n);
        if !E::FRESH {
            oracle.sample(problem, self.z.as_ref(), self.g.as_mut());
        }
        self.oracle = Some(oracle);
        self.k = 0;
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        let oracle = self.oracle.as_mut().expect("init sets the oracle");
        let eta = self.steps.at(self.k);
        if E::FRESH {
            oracle.sample(problem, self.z.as_ref(), self.g.as_mut());
        }
        linalg::add_scaled(self.z_half.as_mut(), self.z.as_ref(), -eta, self.g.as_ref());
        problem.project(self.z_half.as_mut());
        oracle.sample(problem, self.z_half.as_ref(), self.g.as_mut());
        linalg::axpy(-eta, self.g.as_ref(), self.z.as_mut());
        problem.project(self.z.as_mut());
        self.k += 1;
        StepStatus::Continue
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }

    fn averaging_point(&self) -> ColRef<'_, f64> {
        self.z_half.as_ref()
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.steps.at(self.k.saturating_sub(1)))
    }

    fn info(&self) -> serde_json::Value {
        self.oracle.as_ref().map_or(serde_json::Value::Null, |o| serde_json::Value::Object(o.info()))
    }
}

impl<E: Extrapolation> Method for SampledExtragradient<E> {
    const NAME: &'static str = E::NAME;
    const SUMMARY: &'static str = E::SUMMARY;
    type Params = E::Params;

    fn build(params: Checked<E::Params>, ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params, ctx))
    }
}

vi_core::register_solver!(StochasticEg);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, build_error, checked, finite_sum_2d, params};
    use crate::Extragradient;

    #[test]
    fn one_component_is_deterministic_extragradient() {
        let (mut p, mut q) = (finite_sum_2d(1, &[1.0, -2.0]), finite_sum_2d(1, &[1.0, -2.0]));
        let mut s = StochasticEg::new(params(serde_json::json!({"step": 0.2})), 3);
        let mut eg = Extragradient::with_step(0.2).unwrap();
        s.init(&mut p).unwrap();
        eg.init(&mut q).unwrap();
        for _ in 0..20 {
            s.step(&mut p);
            eg.step(&mut q);
        }
        for i in 0..2 {
            assert!((s.iterate()[i] - eg.iterate()[i]).abs() < 1e-14, "{i}");
        }
        // Two component calls per iteration, N = 1: two full-operator equivalents.
        assert_eq!((p.counters().component_calls, p.counters().oracle_calls), (40, 40));
    }

    #[test]
    fn counts_components_as_full_passes_and_is_seeded() {
        let run = |seed| {
            let mut p = finite_sum_2d(10, &[1.0, 1.0]);
            let mut s = StochasticEg::new(params(serde_json::json!({"batch": 2})), seed);
            s.init(&mut p).unwrap();
            for _ in 0..7 {
                s.step(&mut p);
            }
            (s.iterate().to_owned(), p.counters())
        };
        let (a, c) = run(1);
        assert_eq!(c.component_calls, 28);
        assert_eq!(c.oracle_calls, 3); // ceil(28 / 10)
        assert_eq!(a, run(1).0);
        assert_ne!(a, run(2).0);
    }

    #[test]
    fn auto_step_uses_the_mean_square_lipschitz_constant() {
        let mut p = finite_sum_2d(3, &[1.0, 1.0]);
        let l: Vec<f64> = p.component_lipschitz().unwrap().to_vec();
        let l_q = (l.iter().map(|v| v * v).sum::<f64>() / 3.0).sqrt();
        let mut s = StochasticEg::new(checked(StochasticEgParams::default()), 0);
        s.init(&mut p).unwrap();
        s.step(&mut p);
        assert!((s.step_size().unwrap() - 0.5 / l_q).abs() < 1e-15);
        // Decreasing: eta_k = min(eta, gamma / (mu (k + 1))) with mu = 1.
        let mut s = StochasticEg::new(params(serde_json::json!({"step": 0.3, "schedule": "decreasing"})), 0);
        s.init(&mut p).unwrap();
        for _ in 0..19 {
            s.step(&mut p);
        }
        assert!((s.step_size().unwrap() - 2.0 / 19.0).abs() < 1e-12, "{:?}", s.step_size());
    }

    #[test]
    fn refuses_problems_without_finite_sum_structure_and_bad_parameters() {
        let mut s = StochasticEg::new(checked(StochasticEgParams::default()), 0);
        let e = s.init(&mut bilinear_xy(&[1.0, 1.0])).unwrap_err().to_string();
        assert!(e.contains("finite-sum") && e.contains("deterministic solver"), "{e}");
        assert!(build_error("stochastic-eg", serde_json::json!({"batch": 0})).contains("`batch`"));
        assert!(build_error("stochastic-eg", serde_json::json!({"factor": 1.0})).contains("`factor`"));
        assert!(build_error("stochastic-eg", serde_json::json!({"step": "adaptive"})).contains("`step`"));
        assert!(build_error("stochastic-eg", serde_json::json!({"schedule": "cosine"})).contains("`schedule`"));
        let mut s = StochasticEg::new(params(serde_json::json!({"batch": 4})), 0);
        let e = s.init(&mut finite_sum_2d(3, &[1.0, 1.0])).unwrap_err().to_string();
        assert!(e.contains("`batch`") && e.contains("N = 3"), "{e}");
    }
}
