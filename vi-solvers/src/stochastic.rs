//! What the stochastic solvers (`stochastic-eg`, `stochastic-eftp`, `svrg-eg`, `svrg-forb`; docs/math.md §2.13) share: the
//! finite-sum check, the seeded component sampler, the step schedule and the snapshot of the
//! variance-reduced methods.
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

use faer::{Col, ColMut, ColRef};
use serde::{Deserialize, Serialize};
use vi_core::{linalg, ComponentSampler, Error, MiniBatch, Problem, Result, Sampling, StepRule};

/// Stream of the component sampler derived from the run's seed.
pub(crate) const SAMPLER_STREAM: u64 = 0x5e61;
/// Stream of the snapshot coin of variance-reduced methods.
const COIN_STREAM: u64 = 0x5e62;

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

/// The loopless snapshot of the variance-reduced methods (`svrg-eg`, `svrg-forb`; Kovalev et
/// al. 2020): a point `w` and its full value `F(w)`, moved to the iterate with probability `p`
/// after each step (one full call each time), and the estimate
/// `F(w) + F_xi(x) - F_xi(anchor)` of `F(x)` from one fresh draw `xi`.
#[derive(Clone, Debug)]
pub(crate) struct Snapshot {
    coin: vi_core::rng::Rng,
    /// The refresh probability.
    pub p: f64,
    /// Full evaluations made (the first at `init`).
    pub count: u64,
    pub w: Col<f64>,
    fw: Col<f64>,
    /// `F_xi(x)` and `F_xi(anchor)` of the last draw.
    g: Col<f64>,
    ga: Col<f64>,
}

impl Snapshot {
    /// An empty snapshot whose coin derives from `seed`.
    pub fn new(seed: u64) -> Self {
        let e = || Col::zeros(0);
        Self { coin: vi_core::rng::seeded(seed, COIN_STREAM), p: 0.0, count: 0, w: e(), fw: e(), g: e(), ga: e() }
    }

    /// Starts at `z` (one full call) with the coin reseeded; `p = 0` means `min(1, 2 batch / N)`.
    pub fn init(
        &mut self,
        problem: &mut Problem,
        oracle: &Oracle,
        p: f64,
        batch: usize,
        seed: u64,
        z: ColRef<'_, f64>,
    ) {
        self.p = if p > 0.0 { p } else { (2.0 * batch as f64 / oracle.components as f64).min(1.0) };
        self.coin = vi_core::rng::seeded(seed, COIN_STREAM);
        let n = z.nrows();
        self.w = z.to_owned();
        self.fw = Col::zeros(n);
        self.g = Col::zeros(n);
        self.ga = Col::zeros(n);
        problem.eval(self.w.as_ref(), self.fw.as_mut());
        self.count = 1;
    }

    /// The full value `F(w)`.
    pub fn fw(&self) -> ColRef<'_, f64> {
        self.fw.as_ref()
    }

    /// One fresh draw `xi`, evaluated at `x` and at `anchor` (`None`: at `w`): `2 batch`
    /// component calls.
    pub fn draw(
        &mut self,
        problem: &mut Problem,
        oracle: &mut Oracle,
        x: ColRef<'_, f64>,
        anchor: Option<ColRef<'_, f64>>,
    ) {
        oracle.sampler.fill(&mut oracle.batch);
        problem.eval_components(&oracle.batch, x, self.g.as_mut());
        let anchor = anchor.unwrap_or(self.w.as_ref());
        problem.eval_components(&oracle.batch, anchor, self.ga.as_mut());
    }

    /// `z <- z - tau (F(w) + F_xi(x) - F_xi(anchor))` with the last draw.
    pub fn step_along(&self, tau: f64, mut z: ColMut<'_, f64>) {
        linalg::axpy(-tau, self.fw.as_ref(), z.as_mut());
        linalg::axpy(-tau, self.g.as_ref(), z.as_mut());
        linalg::axpy(tau, self.ga.as_ref(), z);
    }

    /// With probability `p`: `w <- z` and a full evaluation.
    pub fn refresh(&mut self, problem: &mut Problem, z: ColRef<'_, f64>) {
        if vi_core::rng::uniform(&mut self.coin) < self.p {
            self.w.copy_from(z);
            problem.eval(self.w.as_ref(), self.fw.as_mut());
            self.count += 1;
        }
    }

    /// The oracle's information plus `p` and the number of snapshots.
    pub fn info(&self, oracle: Option<&Oracle>) -> serde_json::Value {
        let Some(o) = oracle else { return serde_json::Value::Null };
        let mut m = o.info();
        m.insert("p".into(), self.p.into());
        m.insert("snapshots".into(), self.count.into());
        serde_json::Value::Object(m)
    }
}
