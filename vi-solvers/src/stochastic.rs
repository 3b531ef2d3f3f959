//! What the stochastic solvers (`stochastic-eg`, `stochastic-eftp`, `svrg-eg`, `svrg-forb`; docs/math.md §2.13) share: the
//! finite-sum check, the seeded component sampler and the step schedule.
//!
//! These methods sample components of a finite-sum operator (`vi_core::finite_sum`); on a
//! problem without that structure `init` refuses with [`vi_core::Error::Config`] saying so
//! (the default suite records such pairs as `Skipped`) instead of silently running as a
//! deterministic method.
//!
//! ## Step schedules (`schedule`)
//! - `"constant"`: `eta_k = eta` (the step rule's value). With noise at the solution
//!   (`sigma_*^2 = E ||F_xi(z*)||^2 > 0`) a constant step reaches a neighbourhood
//!   `E ||z_k - z*||^2 = O(eta sigma_*^2 / mu)` and stalls there.
//! - `"decreasing"`: `eta_k = min(eta, gamma / (mu (k + 1)))` on a `mu`-strongly monotone
//!   problem (`mu` declared by the problem), which gives `E ||z_k - z*||^2 = O(1/k)`, so the
//!   natural residual `O(1/sqrt(k))`, once `gamma mu c > 1` for the method's contraction
//!   constant `c` (Hsieh et al. 2019, Thm. 5; Mishchenko et al. 2020). Default `gamma = 2`.

use serde::{Deserialize, Serialize};
use vi_core::{ComponentSampler, Error, MiniBatch, Problem, Result, Sampling, StepRule};

/// Stream of the component sampler derived from the run's seed.
pub(crate) const SAMPLER_STREAM: u64 = 0x5e61;
/// Stream of the snapshot coin of variance-reduced methods.
pub(crate) const COIN_STREAM: u64 = 0x5e62;

/// How the step evolves over iterations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// `eta_k = eta`.
    #[default]
    Constant,
    /// `eta_k = min(eta, gamma / (mu (k + 1)))`.
    Decreasing,
}

/// A resolved step schedule.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Steps {
    pub eta0: f64,
    /// `gamma / mu` for the decreasing schedule.
    pub decay: Option<f64>,
}

impl Steps {
    /// `eta_k` at iteration `k = 0, 1, ...`.
    #[inline]
    pub fn at(&self, k: u64) -> f64 {
        match self.decay {
            None => self.eta0,
            Some(c) => self.eta0.min(c / (k as f64 + 1.0)),
        }
    }
}

/// The sampler, the minibatch buffers and the constants of one stochastic run.
#[derive(Clone, Debug)]
pub(crate) struct Oracle {
    pub sampler: ComponentSampler,
    pub batch: MiniBatch,
    /// `L_Q`, the Lipschitz constant in mean square of one draw (or the problem's `L`).
    pub l_q: f64,
    pub components: usize,
}

impl Oracle {
    /// Checks the finite-sum structure and builds the seeded sampler.
    ///
    /// # Errors
    /// [`Error::Config`] without finite-sum structure; [`Error::InvalidParameter`] for a
    /// sampling mode the problem cannot support or a batch larger than `N`.
    pub fn new(problem: &Problem, name: &str, sampling: Sampling, batch: usize, seed: u64) -> Result<Self> {
        let owner = format!("solver {name}");
        let components = problem.components().ok_or_else(|| {
            Error::Config(format!(
                "solver `{name}` samples the components of a finite-sum operator, and problem `{}` has none \
                 (use finite-sum-quadratic or finite-sum-bilinear, or a deterministic solver)",
                problem.name()
            ))
        })?;
        if batch > components {
            return Err(Error::param(
                &owner,
                "batch",
                format!("must be <= the number of components N = {components}, got {batch}"),
            ));
        }
        let sampler =
            ComponentSampler::new(components, sampling, problem.component_lipschitz(), seed, SAMPLER_STREAM, &owner)?;
        let l_q = match sampler.mean_square_lipschitz().or_else(|| problem.lipschitz()) {
            Some(l) if l.is_finite() && l > 0.0 => l,
            _ => 0.0,
        };
        Ok(Self { sampler, batch: MiniBatch::new(batch), l_q, components })
    }

    /// A fresh minibatch estimate of `F(z)` into `out` (counted).
    #[inline]
    pub fn sample(&mut self, problem: &mut Problem, z: faer::ColRef<'_, f64>, out: faer::ColMut<'_, f64>) {
        self.sampler.fill(&mut self.batch);
        problem.eval_components(&self.batch, z, out);
    }

    /// Resolves `step` (a number, or `"auto"` = `factor / L_Q`) and `schedule`.
    ///
    /// # Errors
    /// `"auto"` without any Lipschitz constant; `"decreasing"` without a declared `mu > 0`.
    pub fn steps(
        &self,
        problem: &Problem,
        name: &str,
        step: StepRule,
        factor: f64,
        schedule: Schedule,
        gamma: f64,
    ) -> Result<Steps> {
        let eta0 = match step {
            StepRule::Fixed(s) => s,
            _ if self.l_q > 0.0 => factor / self.l_q,
            _ => {
                return Err(Error::Config(format!(
                    "solver `{name}`: step = \"auto\" needs the components' Lipschitz constants or the problem's L, \
                     and problem `{}` declares neither; give a number for `step`",
                    problem.name()
                )))
            }
        };
        let decay = match schedule {
            Schedule::Constant => None,
            Schedule::Decreasing => match problem.strong_monotonicity() {
                Some(mu) if mu > 0.0 => Some(gamma / mu),
                mu => {
                    return Err(Error::param(
                        format!("solver {name}"),
                        "schedule",
                        format!(
                            "\"decreasing\" (eta_k = gamma / (mu (k + 1))) needs a strongly monotone problem with a \
                             declared mu > 0, and problem `{}` declares {}; use \"constant\"",
                            problem.name(),
                            mu.map_or("no mu".to_string(), |m| format!("mu = {m}"))
                        ),
                    ))
                }
            },
        };
        Ok(Steps { eta0, decay })
    }

    /// The report's `solver_info` entries shared by the stochastic methods.
    pub fn info(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("components".into(), self.components.into());
        m.insert("batch".into(), self.batch.len().into());
        m.insert("mean_square_lipschitz".into(), self.l_q.into());
        m
    }
}

vi_core::params! {
    /// How the stochastic methods draw components, flattened into their parameters.
    pub struct Draws {
        /// components per sample, in 1..=N
        pub batch: usize = 1, at_least(1.0);
        /// "uniform" or "lipschitz" (probabilities proportional to the component Lipschitz constants)
        pub sampling: Sampling = Sampling::Uniform;
    }
}

vi_core::params! {
    /// The step rule and schedule of the plain stochastic methods (stochastic-eg, stochastic-eftp).
    pub struct StochasticSteps {
        /// step size: a number or "auto" (factor / L_Q, L_Q the mean-square Lipschitz constant of one draw)
        pub step: StepRule = StepRule::Auto, fixed_or_auto();
        /// eta = factor / L_Q for "auto"
        pub factor: f64 = 0.5, open(0.0, 1.0);
        /// "constant" (stalls at a noise floor ~ sqrt(eta)) or "decreasing" (eta_k = min(eta, gamma/(mu (k+1))))
        pub schedule: Schedule = Schedule::Constant;
        /// constant of the decreasing schedule
        pub gamma: f64 = 2.0, positive();
    }
}

impl StochasticSteps {
    /// The group with another default `factor`.
    pub fn with_factor(factor: f64) -> Self {
        Self { factor, ..Self::default() }
    }
}
