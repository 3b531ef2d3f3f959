//! The parameters of `gan-mixture`: their declaration, checks (sizes against the memory and
//! work limits) and what they resolve to (the mixture, the networks, the game).

use vi_core::memory::{self, Size};
use vi_core::{Error, Result};

use super::*;
use crate::gan::common::{GpOn, Loss, Reg, RegParams};
use crate::limits;

vi_core::params! {
    /// Parameters of `gan-mixture` (see the module documentation for the table).
    pub struct GanMixtureParams {
        /// "ring" (8 modes, radius 2, std 0.02) or "grid" (25 modes, spacing 2, std 0.05)
        pub preset: String = "ring";
        /// number of modes; null = preset's (a perfect square for grid)
        pub modes: Option<usize> = None;
        /// ring radius or grid spacing, > 0; null = 2
        pub radius: Option<f64> = None;
        /// std of each mode, > 0; null = 0.02 (ring) / 0.05 (grid)
        pub std: Option<f64> = None;
        /// generator input dimension (Metz et al. use 256; 16 keeps runs fast)
        pub latent_dim: usize = 16;
        /// generator hidden widths, e.g. [128,128]
        pub g_hidden: Vec<usize> = vec![128, 128];
        /// discriminator hidden widths, e.g. [128]
        pub d_hidden: Vec<usize> = vec![128];
        /// generator activation: relu, leaky-relu, tanh, softplus
        pub g_act: Activation = Activation::Relu;
        /// discriminator activation: relu, leaky-relu, tanh, softplus
        pub d_act: Activation = Activation::Relu;
        /// the discriminator sees s*x (Metz et al.: 0.25)
        pub d_input_scale: f64 = 0.25;
        /// orthogonal initialisation gain
        pub init_gain: f64 = 0.8;
        /// minibatch size (data and latent) of each oracle call
        pub batch: usize = 256;
        /// true: one minibatch drawn at build time, deterministic oracle
        pub fixed_sample: bool = false;
        /// Finite data set size, a multiple of `batch` (default 0: fresh samples every call).
        pub dataset_size: usize = 0;
        /// generated samples for modes / high_quality / reverse_kl
        pub metric_samples: usize = 2500;
        /// threads of one oracle call, 1..=256 (the numbers do not depend on it)
        pub threads: usize = 1;
        /// "standard", "non-saturating" or "wgan"
        pub loss: Loss = Loss::Standard;
        /// weight of the penalty / NK / JARE / consensus / WGAN-GP term, >= 0; null = 10 with a gradient penalty (0.1 on the grid), else 0.5
        pub gamma: Option<f64> = None;
        ..regularization: RegParams = RegParams::with_prox_lr(0.1);
    }
    validate(p, owner) {
        p.mixture(owner)?;
        if p.latent_dim == 0 {
            return Err(Error::param(owner, "latent_dim", "must be >= 1"));
        }
        for (name, h) in [("g_hidden", &p.g_hidden), ("d_hidden", &p.d_hidden)] {
            if h.contains(&0) {
                return Err(Error::param(owner, name, format!("widths must be >= 1, got {h:?}")));
            }
        }
        limits::check_range(owner, "d_input_scale", p.d_input_scale, 1e-100, 1e100)?;
        // The gain multiplies once per layer.
        limits::check_range(owner, "init_gain", p.init_gain, 1e-100, 1e3)?;
        if p.batch == 0 {
            return Err(Error::param(owner, "batch", "must be >= 1"));
        }
        if !(1..=256).contains(&p.threads) {
            return Err(Error::param(owner, "threads", format!("must be in 1..=256, got {}", p.threads)));
        }
        if p.metric_samples == 0 {
            return Err(Error::param(owner, "metric_samples", "must be >= 1"));
        }
        if p.dataset_size > 0 {
            if !p.dataset_size.is_multiple_of(p.batch) {
                return Err(Error::param(
                    owner,
                    "dataset_size",
                    format!("must be 0 or a multiple of batch = {}, got {}", p.batch, p.dataset_size),
                ));
            }
            if p.fixed_sample {
                return Err(Error::param(
                    owner,
                    "dataset_size",
                    "cannot be combined with fixed_sample = true (that is dataset_size = batch)",
                ));
            }
        }
        p.check_sizes(owner)?;
        p.game(owner).map(|_| ())
    }
}

impl GanMixtureParams {
    /// The data distribution.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown preset or an out-of-range value.
    pub fn mixture(&self, owner: &str) -> Result<Mixture> {
        let grid = match self.preset.as_str() {
            "ring" => false,
            "grid" => true,
            other => {
                return Err(Error::param(
                    owner,
                    "preset",
                    format!("unknown preset `{other}`; valid: \"ring\", \"grid\""),
                ))
            }
        };
        let k = self.modes.unwrap_or(if grid { 25 } else { 8 });
        let radius = self.radius.unwrap_or(2.0);
        let std = self.std.unwrap_or(if grid { 0.05 } else { 0.02 });
        if k == 0 {
            return Err(Error::param(owner, "modes", "must be >= 1"));
        }
        memory::check(owner, "modes", format_args!("modes = {k}"), (Size::of(k) * 3usize).f64s().get())?;
        limits::check_range(owner, "radius", radius, 1e-100, 1e100)?;
        limits::check_range(owner, "std", std, 1e-100, 1e100)?;
        let means = if grid {
            let side = (k as f64).sqrt().round() as usize;
            if side * side != k {
                return Err(Error::param(
                    owner,
                    "modes",
                    format!("must be a perfect square with preset grid, got {k}"),
                ));
            }
            let c = (side as f64 - 1.0) / 2.0;
            (0..k).map(|i| [radius * ((i / side) as f64 - c), radius * ((i % side) as f64 - c)]).collect()
        } else {
            (0..k)
                .map(|i| {
                    let t = 2.0 * std::f64::consts::PI * i as f64 / k as f64;
                    [radius * t.sin(), radius * t.cos()]
                })
                .collect()
        };
        Ok(Mixture { means, std })
    }

    /// Estimates `(memory words, initialisation flops, flops per oracle call, flops per metric
    /// evaluation)` from the sizes, with checked arithmetic.
    fn estimates(&self) -> [Size; 4] {
        let (gs, ds) = self.layer_widths();
        let layers = |s: &[usize]| s.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>();
        let params = |s: &[usize]| Size::sum(layers(s).into_iter().map(|(a, b)| Size::of(a) * b + b));
        let width = |s: &[usize]| Size::sum(s.iter().map(|&w| Size::of(w)));
        let all = || layers(&gs).into_iter().chain(layers(&ds));
        let (np, nq) = (params(&gs), params(&ds));
        let largest = all().fold(Size::ZERO, |m, (a, b)| m.max(Size::of(a) * b));
        let (b, ms, k) = (self.batch, self.metric_samples, self.modes.unwrap_or(25));
        // z and its copies (start, scratch, the solvers' vectors) and one initialisation QR;
        // activations, adjoints and tangents of both networks and the two minibatches; the
        // generator on the metric samples.
        // A finite data set is stored (data and latent points) and one full call sweeps it.
        let chunks = if self.dataset_size > 0 { self.dataset_size / b.max(1) } else { 1 };
        let words = (np + nq) * 16usize
            + Size::of(self.latent_dim + 2) * self.dataset_size
            + largest * 2usize
            + width(&gs) * b * 7usize
            + width(&ds) * b * 14usize
            + (Size::of(self.latent_dim) + 12usize) * b * 4usize
            + width(&gs) * ms * 2usize;
        let qr = Size::sum(all().map(|(r, c)| Size::of(r) * c * r.min(c) * 4usize));
        // Forward and backward passes and their tangents, once per inner proximal step.
        let proximal = Reg::parse_list("", &self.regularization.reg).is_ok_and(|r| r.contains(&Reg::Proximal));
        let call = Size::of(b)
            * (np * 18usize + nq * 36usize)
            * (if proximal { self.regularization.prox_steps + 1 } else { 1 })
            * chunks.max(1);
        // The metrics compare every generated sample with every mode.
        let metric = Size::of(ms) * k * 8usize + np * ms * 2usize;
        [words, qr, call, metric]
    }

    /// The size parameter whose default would shrink estimate `which` the most.
    fn culprit(&self, which: usize) -> &'static str {
        let d = Self::default();
        let resets: [(&'static str, Self); 8] = [
            ("dataset_size", Self { dataset_size: d.dataset_size, ..self.clone() }),
            ("latent_dim", Self { latent_dim: d.latent_dim, ..self.clone() }),
            ("g_hidden", Self { g_hidden: d.g_hidden.clone(), ..self.clone() }),
            ("d_hidden", Self { d_hidden: d.d_hidden.clone(), ..self.clone() }),
            ("batch", Self { batch: d.batch, ..self.clone() }),
            ("metric_samples", Self { metric_samples: d.metric_samples, ..self.clone() }),
            ("modes", Self { modes: None, ..self.clone() }),
            ("prox_steps", {
                let mut p = self.clone();
                p.regularization.prox_steps = d.regularization.prox_steps;
                p
            }),
        ];
        let key = |s: Size| s.get().unwrap_or(u64::MAX);
        resets.iter().min_by_key(|(_, p)| key(p.estimates()[which])).map_or("batch", |(n, _)| *n)
    }

    fn describe(&self, param: &str) -> String {
        match param {
            "latent_dim" => format!("latent_dim = {}", self.latent_dim),
            "g_hidden" => format!("g_hidden = {:?}", self.g_hidden),
            "d_hidden" => format!("d_hidden = {:?}", self.d_hidden),
            "batch" => format!("batch = {}", self.batch),
            "metric_samples" => format!("metric_samples = {}", self.metric_samples),
            "modes" => format!("modes = {}", self.modes.unwrap_or(25)),
            "dataset_size" => format!("dataset_size = {}", self.dataset_size),
            _ => format!("prox_steps = {}", self.regularization.prox_steps),
        }
    }

    /// Checks the memory and work that the sizes imply, with checked arithmetic, before
    /// anything is allocated (see [`vi_core::memory`] and [`crate::limits`]); the error names
    /// the size whose default would shrink the estimate most.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming that size and the limit.
    pub fn check_sizes(&self, owner: &str) -> Result<()> {
        let [words, qr, call, metric] = self.estimates();
        let what = |which: usize| {
            let p = self.culprit(which);
            (p, self.describe(p))
        };
        if memory::refusal("", words.f64s().get())?.is_some() {
            let (p, w) = what(0);
            memory::check(owner, p, format_args!("{w} (with the other sizes)"), words.f64s().get())?;
        }
        let hint = "use smaller sizes (orthogonal initialisation is one QR per layer)";
        if qr.get().is_none_or(|f| f > limits::MAX_BUILD_FLOPS) {
            let (p, w) = what(1);
            limits::check_build(owner, p, w, qr, hint)?;
        }
        if call.get().is_none_or(|f| f > limits::MAX_CALL_FLOPS) {
            let (p, w) = what(2);
            limits::check_call(owner, p, w, call, "use a smaller batch, narrower layers or fewer prox_steps")?;
        }
        if metric.get().is_none_or(|f| f > limits::MAX_CALL_FLOPS) {
            let (p, w) = what(3);
            limits::check_call(owner, p, w, metric, "use fewer metric_samples or modes")?;
        }
        Ok(())
    }

    /// The layer widths of the generator (latent, hidden..., 2) and the discriminator
    /// (2, hidden..., 1).
    fn layer_widths(&self) -> (Vec<usize>, Vec<usize>) {
        let gs = [&[self.latent_dim][..], &self.g_hidden, &[2]].concat();
        let ds = [&[2][..], &self.d_hidden, &[1]].concat();
        (gs, ds)
    }

    /// The two networks.
    pub fn networks(&self) -> (Mlp, Mlp) {
        let (gs, ds) = self.layer_widths();
        (Mlp::new(&gs, self.g_act), Mlp::new(&ds, self.d_act))
    }

    /// The resolved game settings (without the anchors' length check, done at build).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter and the valid choices.
    pub fn game(&self, owner: &str) -> Result<GameConfig> {
        let r = &self.regularization;
        let (regs, eps_d) = r.regs(owner, ASYMMETRIC_EPS_D)?;
        let has = |x: Reg| regs.contains(&x);
        let penalty = [Reg::Asymmetric, Reg::R1, Reg::R2, Reg::WganGp].iter().any(|r| has(*r));
        let penalty_gamma = if self.preset == "grid" { GRID_PENALTY_GAMMA } else { PENALTY_GAMMA };
        let gamma = self.gamma.unwrap_or(if penalty { penalty_gamma } else { CROSS_GAMMA });
        r.check(owner, &regs, gamma, eps_d)?;
        if has(Reg::Consensus) && self.loss == Loss::NonSaturating {
            return Err(Error::param(
                owner,
                "reg",
                "`consensus` needs a zero-sum loss (J^T F = P J P F); use loss standard or wgan",
            ));
        }
        let (mut real, mut fake) = (has(Reg::R1), has(Reg::R2));
        if has(Reg::Asymmetric) {
            real |= r.gp_on != GpOn::Fake;
            fake |= r.gp_on != GpOn::Real;
        }
        let gp = match (real, fake) {
            (true, true) => Some(GpOn::Both),
            (true, false) => Some(GpOn::Real),
            (false, true) => Some(GpOn::Fake),
            (false, false) => None,
        };
        let mut anchor = Vec::new();
        if !r.anchor_g.is_empty() || !r.anchor_d.is_empty() {
            let (g, d) = self.networks();
            for (name, a, len) in [("anchor_g", &r.anchor_g, g.n_params()), ("anchor_d", &r.anchor_d, d.n_params())] {
                if a.is_empty() {
                    anchor.extend(std::iter::repeat_n(0.0, len));
                } else if a.len() != len {
                    return Err(Error::param(
                        owner,
                        name,
                        format!("must have {len} entries (or none), got {}", a.len()),
                    ));
                } else if a.iter().any(|v| !v.is_finite()) {
                    return Err(Error::param(owner, name, "entries must be finite"));
                } else {
                    anchor.extend(a.iter().copied());
                }
            }
        }
        Ok(GameConfig {
            loss: self.loss,
            gp,
            wgan_gp: has(Reg::WganGp),
            nk: has(Reg::Nk),
            jare: has(Reg::Jare),
            consensus: has(Reg::Consensus),
            proximal: has(Reg::Proximal),
            gamma,
            eps_g: r.eps_g,
            eps_d,
            gp_on: r.gp_on,
            anchor,
            prox_lambda: r.prox_lambda,
            prox_steps: r.prox_steps,
            prox_lr: r.prox_lr,
            d_input_scale: self.d_input_scale,
        })
    }
}
