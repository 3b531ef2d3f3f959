//! # `gan-mixture`: an MLP GAN on a 2-D mixture of Gaussians (docs/math.md §3.7), with minibatch oracles
//!
//! Data: `modes` equal-weight isotropic Gaussians of standard deviation `std`. Preset `"ring"`
//! (default): 8 means `radius (sin 2 pi k/8, cos 2 pi k/8)` with `radius = 2`, `std = 0.02`
//! (Metz et al. 2017; docs/math.md §3.7(a)). Preset `"grid"`: a `sqrt(modes) x sqrt(modes)` grid with
//! spacing `radius` centred at 0 (25 modes at `{-4, -2, 0, 2, 4}^2` by default), `std = 0.05`.
//!
//! Players: generator `G_theta: R^latent_dim -> R^2` and discriminator `D_psi: R^2 -> R` (a
//! logit; the input is scaled by `d_input_scale = 1/4` as in the Metz / Nagarajan-Kolter code),
//! MLPs with hidden widths `g_hidden`, `d_hidden` and activations `g_act`, `d_act`
//! (`relu`, `leaky-relu` (slope 0.2), `tanh`, `softplus`), linear outputs. `z = (theta, psi)`
//! flattened (`W_0, b_0, W_1, b_1, ...`, column major); blocks `generator` and `discriminator`.
//! Initialisation: orthogonal with gain `init_gain = 0.8` (thin QR of a seeded Gaussian
//! matrix), zero biases.
//!
//! ## Architecture and the time budget
//! The default is the Metz / Nagarajan-Kolter architecture (G `latent -> 128 -> 128 -> 2` ReLU,
//! D `2 -> 128 -> 1` ReLU) **except the latent dimension: 16 instead of 256**, and batch 256
//! instead of 512. With 256 latent inputs the generator's first layer alone costs 2.7 times the
//! rest of the network per sample; 16 latent dimensions are plenty for a 2-D target and keep a
//! training run within the 10-minute single-core budget. Set `latent_dim = 256`,
//! `batch = 512` for the paper's exact setting.
//!
//! ## Operator
//! On a minibatch of `B` data points and `B` latent draws (see [`oracle`] for the formulas):
//! `F = (grad_theta L_G, -grad_psi V)` with `V = 1/B sum f(D(x_i)) + 1/B sum f(-D(G(zeta_j)))`
//! and the GAN losses of [`crate::gan::common::Loss`], plus the regularizers of docs/math.md
//! §4 (combine with `+`, e.g. `"r1+nk"`; they share `gamma`):
//!
//! | `reg` | term | how its derivative is computed |
//! |---|---|---|
//! | `asymmetric` | `F_psi += gamma grad_psi R` on `gp_on` samples, plus Tikhonov `eps_d` | double backprop (forward-over-reverse), exact |
//! | `r1` / `r2` | zero-centered penalty on real / generated samples | same |
//! | `wgan-gp` | one-centered `gamma/2 E (‖grad_x D‖ - 1)^2` on `gp_on` samples | same |
//! | `nk` | `F_theta += 2 gamma B grad_psi V` | exact `B w` (R-operator) |
//! | `jare` | `F_theta += gamma B grad_psi V`, `F_psi += gamma B_G^T grad_theta L_G` | exact `B w`, `B^T u` |
//! | `consensus` | `F += gamma J^T F` (zero-sum losses) | exact, `J^T F = P J P F` |
//! | `proximal` | base field at `(theta, psi~)`, `psi~` from `prox_steps` ascent steps | first order |
//!
//! Tikhonov `eps_g (theta - anchor_g)`, `eps_d (psi - anchor_d)` applies on top of any choice;
//! `eps_d = null` means [`ASYMMETRIC_EPS_D`] under `asymmetric` and 0 otherwise.
//!
//! ## Stochastic oracle
//! Every [`vi_core::Operator::eval`] draws a fresh minibatch (data and latent) from the
//! training RNG (seeded by the run's seed). `fixed_sample = true` draws one minibatch at build
//! time and reuses it: the operator is then deterministic. [`vi_core::Operator::eval_monitor`]
//! (residuals) uses a fixed evaluation batch of the same size from its own stream (the training
//! batch itself under `fixed_sample`) and never touches the training RNG.
//!
//! ## Finite data set
//! `dataset_size = D > 0` (a multiple of `batch`) draws `D` data points and `D` latent points
//! once at build time and makes the game the finite sum `F = (1/N) sum_i F_i` over its
//! `N = D / batch` chunks, `F_i` the field on chunk `i` (the `batch` points `i batch ..`):
//! `eval` and `eval_monitor` compute the full average (`N` chunk fields, one oracle call), and
//! the stochastic solvers draw chunks as components (`vi_core::FiniteSum`, `component_calls`).
//! Terms that are not averages over samples (consensus, NK, JARE) are averaged per chunk, so
//! `F` is defined as that average. The component Lipschitz constants are unknown: stochastic
//! solvers need a numeric `step`.
//!
//! ## Metrics (VEEGAN protocol, docs/math.md §3.7)
//! Computed on `metric_samples = 2500` generated points from a latent sample drawn once per
//! problem from its own stream, so the values depend only on `z` (and the seed):
//! - `high_quality`: fraction of samples within 3 `std` (Euclidean) of the nearest mean;
//! - `modes`: number of modes that are the nearest mean of at least one high-quality sample;
//! - `reverse_kl`: `KL(p || u) = sum_k p_k ln(K p_k)` with `p` the histogram of the nearest
//!   modes of the high-quality samples (normalised over them) and `u` uniform over the `K`
//!   modes; empty bins contribute 0 (`0 ln 0 = 0`). With no high-quality sample at all it is
//!   `ln K` (the value of a point mass, the largest a histogram can reach). This is the
//!   reverse KL of PacGAN's `MetricLogger`.
//!
//! The problem also has a 2-D sampler ([`vi_core::Problem::samples`]) and the modes as
//! reference points, for `vi-bench run --samples FILE.svg`.
//!
//! ## Parameters
//!
//! | name | default | purpose | range |
//! |---|---|---|---|
//! | `preset` | `"ring"` | data set | `ring`, `grid` |
//! | `modes` | null (8 / 25) | number of modes | >= 1; a square for `grid` |
//! | `radius` | null (2) | ring radius / grid spacing | [1e-100, 1e100] |
//! | `std` | null (0.02 / 0.05) | std of each mode | [1e-100, 1e100] |
//! | `latent_dim` | 16 | generator input dimension | >= 1 |
//! | `g_hidden`, `d_hidden` | `[128, 128]`, `[128]` | hidden widths (depth = length) | each >= 1 |
//! | `g_act`, `d_act` | `relu` | hidden activations | `relu`, `leaky-relu`, `tanh`, `softplus` |
//! | `d_input_scale` | 0.25 | the discriminator sees `s x` | [1e-100, 1e100] |
//! | `init_gain` | 0.8 | orthogonal initialisation gain | [1e-100, 1e3] |
//! | `batch` | 256 | minibatch size (data and latent) | >= 1 |
//! | `fixed_sample` | false | reuse one minibatch: deterministic oracle | |
//! | `dataset_size` | 0 | finite data set of this many points: a finite sum over chunks of `batch` (0: fresh samples) | 0 or a multiple of `batch` |
//! | `metric_samples` | 2500 | samples of the VEEGAN metrics | >= 1 |
//! | `threads` | 1 | threads of one oracle call on rayon's pool (passes cut into column blocks, parameter gradients into row blocks); the numbers are the same for every value | 1..=256 |
//! | `loss` | `standard` | `standard`, `non-saturating`, `wgan` | |
//! | `reg` | `none` | `+`-separated regularizers (table above) | |
//! | `gamma` | null (10 / 0.1 / 0.5) | regularizer weight; null: with a gradient penalty 10 on the ring and 0.1 on the grid, else 0.5 | [0, 1e100] |
//! | `eps_g`, `eps_d` | 0, null (1e-4 under `asymmetric`, else 0) | Tikhonov weights | [0, 1e100] |
//! | `gp_on` | `real` | samples of `asymmetric` and `wgan-gp` | `real`, `fake`, `both` |
//! | `anchor_g`, `anchor_d` | `[]` | Tikhonov anchors (empty: 0) | lengths p, q |
//! | `prox_lambda`, `prox_steps`, `prox_lr` | 1, 5, 0.1 | proximal training | [1e-100, 1e100], 1..=10000, (0, 2 / prox_lambda] |
//!
//! The sizes (`modes`, `latent_dim`, the widths, `batch`, `metric_samples`) must fit the
//! memory limit of [`vi_core::memory`], and one oracle call (with its `prox_steps`) the work
//! limits of [`crate::limits`]; [`GanMixtureParams::check_sizes`] estimates both.
//!
//! ## Recommended run and measured results
//! ```text
//! vi-bench run --problem gan-mixture --set problem.reg=asymmetric --solver eftp --seed 0 \
//!     --trace ring.csv --samples ring.svg
//! ```
//! The problem's run defaults ([`run_defaults`], shown by `vi-bench list problems`) supply the
//! rest: `precond = "adam"`, `step = 7e-5`, `beta1 = 0.5`, `beta2 = 0.999`, `precond_eps = 1e-5`,
//! `max_iters = 64000`, `tol = 0`, `check_every = trace_every = 4000` (the monitoring evaluation,
//! one full-batch oracle call, stays rare). Measured with it (release build, 2026-12-04, seeds
//! 0..4, one core each): 8 / 8 / 8 / 8 / 8 modes, 91.3 / 91.9 / 91.8 / 92.4 / 91.0 %
//! high-quality samples, reverse KL 0.0023 / 0.0014 / 0.0020 / 0.0005 / 0.0015, 35 s per run
//! (`--set problem.threads=2`: the same numbers on two cores, ~1.4x faster);
//! seeds 5..9 (not used to choose the budget): 8 modes, 89.7-92.6 %. At the former 40 000
//! iterations seed 1 ended at 73.7 % (its high-quality fraction dips between 36k and 40k).
//! The table below is the earlier tuning with `step = 1e-4`.
//! Defaults of the problem: `gamma = 10`, `eps_d = 1e-4`, `gp_on = real`, batch 256, latent 16.
//!
//! On the grid (`preset = "grid"`) the defaults are `gamma = 0.1`, `step = 1.5e-4` and 80 000
//! iterations (with `gamma = 10` and the ring's budget seed 0 ends at 18 modes, 8.8 %
//! high-quality samples). Measured with them, seeds 0..4: 25, 25, 25, 25, 2 modes; 74.0, 41.3,
//! 57.2, 82.3, 1.1 % high-quality samples (docs/math.md §3.7): seed 4 stays collapsed.
//! What was learned while tuning (seed 0, 8-Gaussian ring):
//! - without a penalty (`reg = none`) and with `gamma` 1 or 3 the generator stays collapsed on
//!   one or two modes; `gamma = 10` covers the 8 modes within ~8k iterations;
//! - Adam's `precond_eps = 1e-8` turns the vanishing late gradients (discriminator near 0) into
//!   steps of size `step` in random directions, and high-quality samples decay after ~20k
//!   iterations; `precond_eps = 1e-5` makes the late phase SGD-like;
//! - `eps_d = 1e-3` kills the ReLU discriminator (see [`ASYMMETRIC_EPS_D`]).
//!
//!
//! Measured with that command (release build, one core per run, 40k iterations = 40k oracle
//! calls plus 11 monitoring calls; CPU seconds from `/usr/bin/time`, on a shared 2-core
//! machine):
//!
//! | reg | solver | seed 0..4: modes / %HQ | mean modes | mean %HQ | mean reverse KL | CPU s/run |
//! |---|---|---|---|---|---|---|
//! | `asymmetric` | `eftp` (adam) | 8/89.4, 8/80.0, 8/86.1, 8/90.3, 8/90.4 | 8.0 | 87.3 | 0.013 | 67 |
//! | `none` | `eftp` (adam) | 8/91.6, 0/0.0, 8/91.1, 8/90.3, 0/0.0 | 4.8 | 54.6 | 0.833 | 65 |
//! | `none` | `gda`, step 0.1 | 5/2.7, 1/0.7, 4/5.9, 4/1.3, 1/0.2 | 3.0 | 2.1 | 1.607 | 44 |
//! | `nk` (gamma 0.5) | `eftp` (adam) | 8/90.4, 8/87.5, 8/92.2, 8/92.6, 8/92.7 | 8.0 | 91.1 | 0.003 | 101 |
//! | `asymmetric` | `ogda` (adam) | 8/70.4, 8/80.5, 8/87.4, 8/89.8, 8/89.8 | 8.0 | 83.6 | 0.019 | 68 |
//! | `asymmetric` | `extragradient` (adam), 20k it. | 8/83.8, 8/80.0, 8/86.0, 8/81.6, 8/84.6 | 8.0 | 83.2 | 0.002 | 67 |
//!
//! (Same solver settings in every Adam row; extragradient makes two calls per iteration, so
//! 20k iterations is the same 40k-call budget.) Without the penalty two seeds of five never
//! leave the collapsed state (no high-quality sample at all); with it every seed covers the 8
//! modes. Plain GDA (no preconditioner) at step 0.1 never gets the samples onto the modes.

pub mod mlp;
pub mod oracle;

use std::sync::{Arc, Mutex};

use faer::prelude::ReborrowMut;
use faer::{Col, ColMut, ColRef, Mat};
use serde_json::json;
use vi_core::{
    Block, Budget, BuildContext, Checked, FiniteSum, FnMetric, Monotonicity, Operator, Problem, Result, RunDefaults,
};

pub use mlp::{Activation, Mlp, MlpWork};
pub use oracle::{Batch, Engine, GameConfig, Mixture};

/// The default discriminator Tikhonov weight of the `asymmetric` preset on this problem.
///
/// Small on purpose: the anchor is 0, and with a ReLU discriminator a stronger pull (`1e-3`
/// was tried) drives the hidden units to their kink; once every unit is dead `D` is constant,
/// `F = 0` exactly, and training freezes at this spurious stationary point (seen at iteration
/// ~25k on seed 0: residual `1e-16`, 58% high-quality samples). `1e-4` keeps `D` alive.
pub const ASYMMETRIC_EPS_D: f64 = 1e-4;
/// The default `gamma` when a gradient penalty (`asymmetric`, `r1`, `r2`, `wgan-gp`) is active,
/// on the ring.
pub const PENALTY_GAMMA: f64 = 10.0;
/// The default penalty `gamma` on the grid: with 10 (or 1) the penalty keeps the discriminator
/// too smooth to separate 25 modes spaced 2 apart, and the samples fill the square between
/// them (docs/math.md §3.7).
pub const GRID_PENALTY_GAMMA: f64 = 0.1;
/// The default `gamma` otherwise (`nk`, `jare`, `consensus`): Nagarajan-Kolter's `eta = 0.5`.
pub const CROSS_GAMMA: f64 = 0.5;

const STREAM_INIT: u64 = 0x6a11;
const STREAM_TRAIN: u64 = 0x6a12;
const STREAM_MONITOR: u64 = 0x6a13;
const STREAM_METRIC: u64 = 0x6a14;
const STREAM_SAMPLER: u64 = 0x6a15;

mod params;
pub use params::GanMixtureParams;

/// The minibatch GAN operator (see the module documentation).
#[derive(Clone, Debug)]
pub struct GanMixtureOperator {
    engine: Engine,
    mix: Mixture,
    rng: vi_core::rng::Rng,
    train: Batch,
    monitor: Batch,
    fixed: bool,
    /// The chunks of a finite data set (empty: fresh samples) and a field buffer for them.
    data: Vec<Batch>,
    chunk_field: Col<f64>,
}

impl GanMixtureOperator {
    /// The operator for validated parameters and a seed.
    ///
    /// # Errors
    /// As [`GanMixtureParams::game`] and [`GanMixtureParams::mixture`].
    pub fn new(p: &GanMixtureParams, seed: u64) -> Result<Self> {
        let owner = "problem gan-mixture";
        let mix = p.mixture(owner)?;
        let cfg = p.game(owner)?;
        let (g, d) = p.networks();
        let b = p.batch;
        let mut rng = vi_core::rng::seeded(seed, STREAM_TRAIN);
        let mut train = Batch { real: Mat::zeros(2, b), latent: Mat::zeros(p.latent_dim, b) };
        let monitor = if p.fixed_sample {
            mix.sample_into(&mut rng, train.real.as_mut());
            oracle::normal_into(&mut rng, train.latent.as_mut());
            train.clone()
        } else {
            let mut m = train.clone();
            let mut mrng = vi_core::rng::seeded(seed, STREAM_MONITOR);
            mix.sample_into(&mut mrng, m.real.as_mut());
            oracle::normal_into(&mut mrng, m.latent.as_mut());
            m
        };
        let data: Vec<Batch> = (0..p.dataset_size / b)
            .map(|_| {
                let mut c = Batch { real: Mat::zeros(2, b), latent: Mat::zeros(p.latent_dim, b) };
                mix.sample_into(&mut rng, c.real.as_mut());
                oracle::normal_into(&mut rng, c.latent.as_mut());
                c
            })
            .collect();
        let engine = Engine::new(cfg, g, d, b).with_threads(p.threads);
        let chunk_field = Col::zeros(if data.is_empty() { 0 } else { engine.dim() });
        Ok(Self { engine, mix, rng, train, monitor, fixed: p.fixed_sample, data, chunk_field })
    }

    /// `out = (1/N) sum_i F_i(z)` over the chunks of the finite data set.
    fn full_average(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        out.fill(0.0);
        let w = 1.0 / self.data.len() as f64;
        for i in 0..self.data.len() {
            self.add_component(i, w, z, out.rb_mut());
        }
    }

    /// The engine (networks, settings, buffers).
    pub fn engine(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// The data distribution.
    pub fn mixture(&self) -> &Mixture {
        &self.mix
    }

    /// The evaluation batch used by [`Operator::eval_monitor`].
    pub fn monitor_batch(&self) -> &Batch {
        &self.monitor
    }

    /// `(V, L_G)` on the evaluation batch.
    pub fn objectives(&mut self, z: ColRef<'_, f64>) -> (f64, f64) {
        self.engine.objectives(z, &self.monitor)
    }
}

impl Operator for GanMixtureOperator {
    fn dim(&self) -> usize {
        self.engine.dim()
    }
    fn eval(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        if !self.data.is_empty() {
            return self.full_average(z, out);
        }
        if !self.fixed {
            self.mix.sample_into(&mut self.rng, self.train.real.as_mut());
            oracle::normal_into(&mut self.rng, self.train.latent.as_mut());
        }
        self.engine.field(z, &self.train, out);
    }
    fn eval_monitor(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        if !self.data.is_empty() {
            return self.full_average(z, out);
        }
        self.engine.field(z, &self.monitor, out);
    }
    fn eval_is_exact(&self) -> bool {
        // A finite data set is evaluated in full; a fixed sample is not the monitoring sample.
        !self.data.is_empty()
    }
    fn monotonicity(&self) -> Monotonicity {
        Monotonicity::NonMonotone
    }
    fn finite_sum(&self) -> Option<&dyn FiniteSum> {
        if self.data.is_empty() {
            None
        } else {
            Some(self)
        }
    }
    fn finite_sum_mut(&mut self) -> Option<&mut dyn FiniteSum> {
        if self.data.is_empty() {
            None
        } else {
            Some(self)
        }
    }
}

impl FiniteSum for GanMixtureOperator {
    fn components(&self) -> usize {
        self.data.len()
    }
    fn add_component(&mut self, i: usize, weight: f64, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.engine.field(z, &self.data[i], self.chunk_field.as_mut());
        vi_core::linalg::axpy(weight, self.chunk_field.as_ref(), out);
    }
}

/// The VEEGAN metrics at a point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleQuality {
    /// Modes covered.
    pub modes: f64,
    /// Fraction of high-quality samples.
    pub high_quality: f64,
    /// Reverse KL of the mode histogram of the high-quality samples against uniform.
    pub reverse_kl: f64,
}

/// Evaluates the VEEGAN metrics of 2-D `samples` against `mix`.
pub fn sample_quality(mix: &Mixture, samples: impl Iterator<Item = [f64; 2]>) -> SampleQuality {
    let k = mix.means.len();
    let mut counts = vec![0usize; k];
    let mut n = 0usize;
    let mut hq = 0usize;
    for x in samples {
        n += 1;
        let (m, d) = mix.nearest(x);
        if d <= 3.0 * mix.std {
            hq += 1;
            counts[m] += 1;
        }
    }
    let modes = counts.iter().filter(|&&c| c > 0).count() as f64;
    let reverse_kl = if hq == 0 {
        (k as f64).ln()
    } else {
        counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let pk = c as f64 / hq as f64;
                pk * (k as f64 * pk).ln()
            })
            .sum()
    };
    SampleQuality { modes, high_quality: if n == 0 { 0.0 } else { hq as f64 / n as f64 }, reverse_kl }
}

/// Metric state shared by the three metrics: one forward pass per new `z`.
struct MetricState {
    gen: Mlp,
    work: MlpWork,
    mix: Mixture,
    cache: Option<(Vec<f64>, SampleQuality)>,
}

impl MetricState {
    fn quality(&mut self, z: ColRef<'_, f64>) -> SampleQuality {
        let p = self.gen.n_params();
        let theta: Vec<f64> = (0..p).map(|i| z[i]).collect();
        if let Some((t, q)) = &self.cache {
            if *t == theta {
                return *q;
            }
        }
        let all = self.work.all();
        mlp::forward(&self.gen, &theta, &mut self.work, all);
        let out = self.work.output();
        let q = sample_quality(&self.mix, (0..out.ncols()).map(|j| [out[(0, j)], out[(1, j)]]));
        self.cache = Some((theta, q));
        q
    }
}

/// `n` generated samples at `z` from the latent stream `(seed, STREAM_SAMPLER)`.
pub fn generate(gen: &Mlp, z: ColRef<'_, f64>, n: usize, seed: u64) -> Vec<[f64; 2]> {
    let theta: Vec<f64> = (0..gen.n_params()).map(|i| z[i]).collect();
    let mut w = MlpWork::new(gen, n, false);
    let mut rng = vi_core::rng::seeded(seed, STREAM_SAMPLER);
    oracle::normal_into(&mut rng, w.h[0].as_mut());
    mlp::forward(gen, &theta, &mut w, 0..n);
    let out = w.output();
    (0..n).map(|j| [out[(0, j)], out[(1, j)]]).collect()
}

/// Builds the problem (start, blocks, metrics, sampler) for validated parameters.
///
/// # Errors
/// As [`GanMixtureOperator::new`].
pub fn build(p: Checked<GanMixtureParams>, ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let op = GanMixtureOperator::new(&p, ctx.seed())?;
    let (g, d) = p.networks();
    let (np, nq) = (g.n_params(), d.n_params());
    let mut start = vec![0.0; np + nq];
    let mut rng = vi_core::rng::seeded(ctx.seed(), STREAM_INIT);
    g.init_orthogonal(&mut start[..np], p.init_gain, &mut rng);
    d.init_orthogonal(&mut start[np..], p.init_gain, &mut rng);
    let mix = op.mixture().clone();

    let mut work = MlpWork::new(&g, p.metric_samples, false).with_threads(p.threads);
    let mut mrng = vi_core::rng::seeded(ctx.seed(), STREAM_METRIC);
    oracle::normal_into(&mut mrng, work.h[0].as_mut());
    let state = Arc::new(Mutex::new(MetricState { gen: g.clone(), work, mix: mix.clone(), cache: None }));
    let metric = |name: &'static str, pick: fn(&SampleQuality) -> f64| {
        let st = Arc::clone(&state);
        Box::new(FnMetric::new(name, move |z: ColRef<'_, f64>| {
            let mut s = st.lock().unwrap_or_else(|e| e.into_inner());
            pick(&s.quality(z))
        }))
    };
    let seed = ctx.seed();
    let gen = g.clone();
    Ok(Problem::unconstrained("gan-mixture", Box::new(op), Col::from_fn(np + nq, |i| start[i]))?
        .with_blocks(vec![Block::new("generator", 0..np), Block::new("discriminator", np..np + nq)])?
        .with_metric(metric("modes", |q| q.modes))
        .with_metric(metric("high_quality", |q| q.high_quality))
        .with_metric(metric("reverse_kl", |q| q.reverse_kl))
        .with_sampler(Box::new(move |z, n| generate(&gen, z, n, seed)))
        .with_reference_points(mix.means))
}

/// The run defaults of the 8-mode result (docs/math.md §3.7): 64 000 iterations, tolerance 0
/// (a GAN is trained for a budget, not to a residual), the monitoring evaluation every 4 000
/// iterations, and Adam scaling (GAN practice's `beta1 = 0.5`) for the solvers that take it.
/// The step is 7e-5 rather than the customary 1e-4: at 1e-4 the high-quality fraction of the
/// last iterate swings by 10-30 points between checkpoints after ~30k iterations. At 7e-5 it
/// still dips once in a while before ~56k (seed 1: 73.7 % at 40 000, seed 4: 66 % at 52 000);
/// from 60 000 on every seed 0..9 stays at 89-93 %.
///
/// On the grid (the 25-mode result) the step is 1.5e-4 and the budget 80 000 iterations: the
/// generator has to spread over 25 modes and still gains high-quality samples at 80 000.
pub fn run_defaults(p: &GanMixtureParams) -> RunDefaults {
    let grid = p.preset == "grid";
    let adam = [
        ("precond", json!("adam")),
        ("step", json!(if grid { 1.5e-4 } else { 7e-5 })),
        ("beta1", json!(0.5)),
        ("beta2", json!(0.999)),
        ("precond_eps", json!(1e-5)),
    ];
    RunDefaults {
        budget: Budget {
            tol: Some(0.0),
            max_iters: Some(if grid { 80_000 } else { 64_000 }),
            check_every: Some(4_000),
            trace_every: Some(4_000),
            ..Budget::default()
        },
        solver: vec![adam.into_iter().map(|(k, v)| (k.to_string(), v)).collect()],
        note: if grid {
            "25 modes with reg=asymmetric and eftp on the grid, docs/math.md §3.7".into()
        } else {
            "8 modes with reg=asymmetric and eftp, docs/math.md §3.7".into()
        },
        // Small networks and a short budget in the default suite (a smoke test, not the claim).
        default_suite: RunDefaults::suite_only(
            json!({"batch": 64, "g_hidden": [32, 32], "d_hidden": [32], "metric_samples": 1000}),
            Budget { max_calls: Some(5_000), time_limit: Some(30.0), ..Budget::default() },
        )
        .default_suite,
    }
}

vi_core::register_problem!(
    "gan-mixture",
    "MLP GAN on the 8-Gaussian ring (or 25-grid), minibatch oracle, every GAN regularizer, VEEGAN metrics",
    GanMixtureParams,
    build,
    defaults = run_defaults
);

#[cfg(test)]
mod tests;
