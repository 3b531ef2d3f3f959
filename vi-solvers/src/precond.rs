//! # Diagonal adaptive preconditioning (RMSProp / Adam / block-RMSProp)
//!
//! Shared by [`crate::Extragradient`], [`crate::Eftp`] and [`crate::Ogda`] through their
//! parameter `precond`. Each *new* oracle evaluation `g = F(.)` is recorded in exponential
//! moving averages and turned into a scaled direction `d`; the method then uses `eta * d`
//! wherever it would use `eta * g`:
//!
//! ```text
//! v_t = beta2 v_{t-1} + (1 - beta2) g_t^2          (per coordinate, or per block)
//! m_t = beta1 m_{t-1} + (1 - beta1) g_t            ("adam" only)
//! v^_t = v_t / (1 - beta2^t),   m^_t = m_t / (1 - beta1^t)   (bias correction)
//! d_t = g_t / (sqrt(v^_t) + precond_eps)         ("rmsprop", "block-rmsprop")
//! d_t = m^_t / (sqrt(v^_t) + precond_eps)        ("adam")
//! ```
//!
//! - `"none"` (default): `d = g`, the plain method.
//! - `"rmsprop"`: per-coordinate second moment, bias-corrected; it equals `"adam"` with
//!   `beta1 = 0`.
//! - `"adam"`: per-coordinate first and second moments, both bias-corrected (Kingma & Ba).
//! - `amsgrad = true` (Reddi, Kale & Kumar 2018): the denominator uses the running maximum
//!   `max_{s <= t} v^_s` instead of `v^_t`, so the effective step `eta / sqrt(.)` never grows;
//!   once the gradient is small the preconditioner is frozen and the method is a fixed diagonally
//!   preconditioned EG / EFTP / OGDA, which converges on strongly monotone problems for small
//!   `eta`.
//! - `"block-rmsprop"`: one scalar second moment per block of `problem.blocks()` (one per
//!   player: `v_b` tracks the *mean* of `g_i^2` over the block), so every coordinate of a player
//!   shares one step scale; coordinates outside every block form one extra group.
//!
//! How the methods use it (one moment update per new oracle call):
//! - extragradient (Extra-Adam, Gidel et al. 2019): both the extrapolation gradient `F(z_k)` and
//!   the update gradient `F(z~_k)` update the moments, in that order;
//! - EFTP (extrapolation from the past): the one new gradient `F(z~_k)` updates the moments; its
//!   scaled direction is used for the update `z_{k+1}` *and* reused, as the past gradient, for
//!   the next extrapolation `z~_{k+1}` (no fresh sample at a past point);
//! - OGDA (Optimistic Adam, Daskalakis et al. 2018): `z_{k+1} = P(z_k - 2 eta d_k + eta d_{k-1})`.
//!
//! Defaults: `beta1 = 0.5` (GAN practice: WGAN-GP, Extra-Adam and Optimistic Adam all train with
//! `beta1 = 0.5`), `beta2 = 0.999` (Kingma & Ba; measured on a strongly monotone affine game,
//! `0.9` tracks `g^2` so closely that per-coordinate directions become sign-like and the iterate
//! cycles at a distance proportional to `eta`), `precond_eps = 1e-8`, `amsgrad = false`.
//!
//! With a preconditioner the direction has entries of order one (at the first step exactly
//! `g / (|g| + eps)`), so `eta` is a per-coordinate displacement rather than `factor / L`;
//! `"auto"` still resolves to `factor / L`, and `"adaptive"` (backtracking on `||F||`) is
//! rejected with a preconditioner.
//!
//! Convergence with a constant `eta` (deterministic oracle): plain RMSProp/Adam scaling need not
//! converge: the effective step `eta / sqrt(v^)` grows as the gradient shrinks, and the iterate
//! may settle on a cycle whose residual is proportional to `eta` (the known non-convergence of
//! constant-step Adam; measured on an 8-dimensional strongly monotone game: per-coordinate
//! RMSProp at `eta = 0.01` wanders between `1e-4` and `7e-2` for 10^5 iterations with
//! extragradient, while other seeds or methods get through). `"block-rmsprop"` and
//! `amsgrad = true` converge on strongly monotone problems in the tests; with a stochastic
//! oracle every variant needs a small `eta` anyway.
//!
//! On purely rotational (bilinear) games the preconditioned variants are not reliable. Measured
//! on a 10x10 bilinear game (`sigma` in `[0.2, 1]`, `eta` in `{0.01, 0.05}`, 5e4 iterations),
//! only EFTP with `"block-rmsprop"` (no AMSGrad) reached `1e-8`; Adam's momentum (`beta1 = 0.5`)
//! and AMSGrad's latched maximum (the early, large gradients fix a tiny effective step) left
//! residuals between `4e-2` and `20`. A per-coordinate diagonal scaling `D` keeps the spectrum of
//! `D^{-1/2} M D^{-1/2}` imaginary, but the moving scale does not settle.
//!
//! ## References
//! - T. Tieleman, G. Hinton, RMSProp, Coursera lecture 6.5 (2012).
//! - D. P. Kingma, J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
//! - G. Gidel, H. Berard, G. Vignoud, P. Vincent, S. Lacoste-Julien, "A variational inequality
//!   perspective on generative adversarial networks", ICLR 2019 (Extra-Adam).
//! - C. Daskalakis, A. Ilyas, V. Syrgkanis, H. Zeng, "Training GANs with optimism", ICLR 2018
//!   (Optimistic Adam).
//! - S. J. Reddi, S. Kale, S. Kumar, "On the convergence of Adam and beyond", ICLR 2018
//!   (AMSGrad).

use faer::reborrow::ReborrowMut;
use faer::{Col, ColMut, ColRef};
use serde::{Deserialize, Serialize};
use vi_core::{linalg, Error, LinearModel, Problem, Result, StepRule};

/// Which diagonal preconditioner to use. Serialized as `"none"`, `"rmsprop"`, `"adam"`,
/// `"block-rmsprop"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrecondKind {
    /// No scaling: the plain method.
    #[default]
    None,
    /// Per-coordinate second moment (bias-corrected).
    Rmsprop,
    /// Per-coordinate first and second moments (bias-corrected).
    Adam,
    /// One second moment per block of the problem.
    BlockRmsprop,
}

vi_core::params! {
    /// The preconditioner settings, flattened into the parameters of extragradient, EFTP and
    /// OGDA (see the module documentation).
    pub struct PrecondParams {
        /// diagonal preconditioner: "none", "rmsprop", "adam" or "block-rmsprop" (one scale per block)
        pub precond: PrecondKind = PrecondKind::None;
        /// first-moment decay for "adam" (0.5: GAN practice)
        pub beta1: f64 = 0.5, closed_open(0.0, 1.0);
        /// second-moment decay
        pub beta2: f64 = 0.999, closed_open(0.0, 1.0);
        /// added to sqrt(v) in the scaled direction
        pub precond_eps: f64 = 1e-8, positive();
        /// use the running maximum of the second moment (AMSGrad): steps never grow
        pub amsgrad: bool = false;
    }
}

impl PrecondParams {
    /// Whether a preconditioner is active.
    pub fn active(&self) -> bool {
        self.precond != PrecondKind::None
    }

    /// The method's unpreconditioned linear model, which does not describe it once a
    /// preconditioner scales its steps.
    ///
    /// # Errors
    /// A preconditioner is active.
    pub fn linear_model(&self, model: impl FnOnce() -> LinearModel) -> std::result::Result<LinearModel, String> {
        if self.active() {
            return Err("preconditioned: the unpreconditioned linear model does not apply".into());
        }
        Ok(model())
    }

    /// Rejects `"adaptive"` steps with a preconditioner (the cross-parameter rule of its users).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `precond`.
    pub fn check_step(&self, owner: &str, step: StepRule) -> Result<()> {
        if self.active() && step == StepRule::Adaptive {
            return Err(Error::param(
                owner,
                "precond",
                "a preconditioner cannot be combined with step = \"adaptive\"; use a number or \"auto\"",
            ));
        }
        Ok(())
    }
}

/// The preconditioner's state: moment estimates allocated at [`Preconditioner::init`].
#[derive(Clone, Debug)]
pub struct Preconditioner {
    cfg: PrecondParams,
    m: Col<f64>,
    v: Col<f64>,
    /// Running maximum of `v^` (AMSGrad).
    v_max: Col<f64>,
    /// Group of each coordinate (`"block-rmsprop"`).
    group: Vec<usize>,
    /// Number of coordinates per group.
    group_size: Vec<f64>,
    /// Per-group second moment.
    group_v: Vec<f64>,
    /// Per-group running maximum of `v^` (AMSGrad).
    group_v_max: Vec<f64>,
    /// Per-group accumulator (mean of `g_i^2`), reused every call.
    group_acc: Vec<f64>,
    beta1_t: f64,
    beta2_t: f64,
}

impl Preconditioner {
    /// A preconditioner with the given settings (no workspace yet).
    pub fn new(cfg: PrecondParams) -> Self {
        Self {
            cfg,
            m: Col::zeros(0),
            v: Col::zeros(0),
            v_max: Col::zeros(0),
            group: Vec::new(),
            group_size: Vec::new(),
            group_v: Vec::new(),
            group_v_max: Vec::new(),
            group_acc: Vec::new(),
            beta1_t: 1.0,
            beta2_t: 1.0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &PrecondParams {
        &self.cfg
    }

    /// Allocates the moments for `problem.dim()` (and the groups from `problem.blocks()`) and
    /// resets them.
    pub fn init(&mut self, problem: &Problem) {
        let n = problem.dim();
        self.beta1_t = 1.0;
        self.beta2_t = 1.0;
        match self.cfg.precond {
            PrecondKind::None => {}
            PrecondKind::Rmsprop | PrecondKind::Adam => {
                self.v = Col::zeros(n);
                self.m = Col::zeros(n);
                self.v_max = Col::zeros(n);
            }
            PrecondKind::BlockRmsprop => {
                let blocks = problem.blocks();
                let rest = blocks.len();
                self.group = vec![rest; n];
                for (b, block) in blocks.iter().enumerate() {
                    for i in block.range.clone() {
                        self.group[i] = b;
                    }
                }
                let groups = rest + usize::from(self.group.contains(&rest));
                self.group_size = vec![0.0; groups];
                for &g in &self.group {
                    self.group_size[g] += 1.0;
                }
                self.group_v = vec![0.0; groups];
                self.group_v_max = vec![0.0; groups];
                self.group_acc = vec![0.0; groups];
            }
        }
    }

    /// Records one new oracle evaluation `g` and writes the scaled direction into `out`
    /// (`out = g` for `"none"`). Allocation-free.
    pub fn direction(&mut self, g: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let (kind, beta1, beta2, eps, amsgrad) =
            (self.cfg.precond, self.cfg.beta1, self.cfg.beta2, self.cfg.precond_eps, self.cfg.amsgrad);
        // v^ or, with AMSGrad, the running maximum of v^ (updated in place).
        let denom = move |vh: f64, vm: &mut f64| {
            if amsgrad {
                *vm = vm.max(vh);
                vm.sqrt() + eps
            } else {
                vh.sqrt() + eps
            }
        };
        if kind == PrecondKind::None {
            out.copy_from(g);
            return;
        }
        self.beta2_t *= beta2;
        let c2 = 1.0 - self.beta2_t;
        match kind {
            PrecondKind::None => {}
            PrecondKind::Rmsprop | PrecondKind::Adam => {
                let adam = kind == PrecondKind::Adam;
                let c1 = if adam {
                    self.beta1_t *= beta1;
                    1.0 - self.beta1_t
                } else {
                    1.0
                };
                let c = Coefficients { beta1, beta2, c1, c2, eps, amsgrad };
                if let (Some(o), Some(gs)) = (linalg::slice_mut(out.rb_mut()), linalg::slice(g)) {
                    let (m, v, v_max) =
                        (adam.then(|| slice_of(&mut self.m)), slice_of(&mut self.v), slice_of(&mut self.v_max));
                    pulp::Arch::new().dispatch(Moments { out: o, g: gs, m, v, v_max, c });
                } else {
                    // Strided columns (not made by the solvers): the same update, unvectorised.
                    faer::zip!(out, g, self.m.as_mut(), self.v.as_mut(), self.v_max.as_mut()).for_each(
                        |faer::unzip!(o, g, m, v, vm)| {
                            *o = c.coordinate(*g, adam.then_some(m), v, amsgrad.then_some(vm));
                        },
                    );
                }
            }
            PrecondKind::BlockRmsprop => {
                self.group_acc.fill(0.0);
                for (i, &grp) in self.group.iter().enumerate() {
                    self.group_acc[grp] += g[i] * g[i];
                }
                for k in 0..self.group_v.len() {
                    let mean = self.group_acc[k] / self.group_size[k];
                    self.group_v[k] = beta2 * self.group_v[k] + (1.0 - beta2) * mean;
                    // Reuse the accumulator for the scale of the group.
                    self.group_acc[k] = 1.0 / denom(self.group_v[k] / c2, &mut self.group_v_max[k]);
                }
                for (i, &grp) in self.group.iter().enumerate() {
                    out[i] = g[i] * self.group_acc[grp];
                }
            }
        }
    }
}

/// A solver-owned column as a slice (its columns are contiguous).
fn slice_of(c: &mut Col<f64>) -> &mut [f64] {
    linalg::slice_mut(c.as_mut()).expect("a contiguous column")
}

/// The scalars of one RMSProp / Adam update.
#[derive(Clone, Copy)]
struct Coefficients {
    beta1: f64,
    beta2: f64,
    /// `1 - beta1^t` (1 for RMSProp).
    c1: f64,
    /// `1 - beta2^t`.
    c2: f64,
    eps: f64,
    amsgrad: bool,
}

impl Coefficients {
    /// One coordinate: the second moment `v` (and the first, `m`, for Adam; the running
    /// maximum `vm` of `v^` for AMSGrad) updated in place, the direction returned, in the
    /// order of the module's formulas.
    #[inline(always)]
    fn coordinate(&self, g: f64, m: Option<&mut f64>, v: &mut f64, vm: Option<&mut f64>) -> f64 {
        *v = self.beta2 * *v + (1.0 - self.beta2) * g * g;
        let mut vh = *v / self.c2;
        if let Some(vm) = vm {
            *vm = vm.max(vh);
            vh = *vm;
        }
        let num = match m {
            Some(m) => {
                *m = self.beta1 * *m + (1.0 - self.beta1) * g;
                *m / self.c1
            }
            None => g,
        };
        num / (vh.sqrt() + self.eps)
    }
}

/// The per-coordinate moments and direction of RMSProp (`m = None`) or Adam, in one pass
/// compiled per instruction set (pulp's runtime dispatch): the divisions and square roots run
/// on full vectors (on a 19 000-parameter GAN, scalar code took ~15% of an EFTP iteration). The
/// operations are those of the definition, in its order, so the numbers do not depend on the
/// vector width.
struct Moments<'a> {
    out: &'a mut [f64],
    g: &'a [f64],
    m: Option<&'a mut [f64]>,
    v: &'a mut [f64],
    v_max: &'a mut [f64],
    c: Coefficients,
}

impl pulp::WithSimd for Moments<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        let Moments { out, g, m, v, v_max, c } = self;
        // One loop per variant, so that each is a branch-free loop the compiler vectorises.
        match (m, c.amsgrad) {
            (Some(m), false) => {
                for (((o, g), m), v) in out.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                    *o = c.coordinate(*g, Some(m), v, None);
                }
            }
            (Some(m), true) => {
                for ((((o, g), m), v), vm) in out.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()).zip(v_max) {
                    *o = c.coordinate(*g, Some(m), v, Some(vm));
                }
            }
            (None, false) => {
                for ((o, g), v) in out.iter_mut().zip(g).zip(v.iter_mut()) {
                    *o = c.coordinate(*g, None, v, None);
                }
            }
            (None, true) => {
                for (((o, g), v), vm) in out.iter_mut().zip(g).zip(v.iter_mut()).zip(v_max) {
                    *o = c.coordinate(*g, None, v, Some(vm));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::bilinear_xy_blocks;
    use vi_core::linalg::col_from_slice;

    fn pre(kind: PrecondKind, beta1: f64) -> Preconditioner {
        Preconditioner::new(PrecondParams { precond: kind, beta1, beta2: 0.9, precond_eps: 1e-8, amsgrad: false })
    }

    #[test]
    fn first_direction_is_sign_like_and_adam_momentum_matches_hand_computation() {
        let p = bilinear_xy_blocks(&[1.0, 1.0]);
        let mut out = Col::zeros(2);
        let g1 = col_from_slice(&[2.0, -0.5]);
        let g2 = col_from_slice(&[1.0, 0.5]);
        // rmsprop, t = 1: g / (|g| + eps).
        let mut r = pre(PrecondKind::Rmsprop, 0.5);
        r.init(&p);
        r.direction(g1.as_ref(), out.as_mut());
        assert!((out[0] - 1.0).abs() < 1e-8 && (out[1] + 1.0).abs() < 1e-7);
        // adam, t = 2, coordinate 0: m = 0.5*0.5*2 + 0.5*1 = 1.0, m^ = 1/0.75;
        // v = 0.9*0.1*4 + 0.1*1 = 0.46, v^ = 0.46/0.19.
        let mut a = pre(PrecondKind::Adam, 0.5);
        a.init(&p);
        a.direction(g1.as_ref(), out.as_mut());
        a.direction(g2.as_ref(), out.as_mut());
        let expect = (1.0 / 0.75) / (0.46f64 / 0.19).sqrt();
        assert!((out[0] - expect).abs() < 1e-8, "{} vs {expect}", out[0]);
        // block-rmsprop with blocks x, y: each block has one coordinate, so it equals rmsprop.
        let mut b = pre(PrecondKind::BlockRmsprop, 0.5);
        b.init(&p);
        b.direction(g1.as_ref(), out.as_mut());
        assert!((out[0] - 1.0).abs() < 1e-8 && (out[1] + 1.0).abs() < 1e-7);
    }

    #[test]
    fn block_rmsprop_shares_one_scale_per_block() {
        // One block over both coordinates: v = mean(g^2) = (4 + 0.25)/2, same scale for both.
        let p = crate::test_support::bilinear_xy(&[1.0, 1.0]);
        let mut b = pre(PrecondKind::BlockRmsprop, 0.5);
        b.init(&p);
        let mut out = Col::zeros(2);
        b.direction(col_from_slice(&[2.0, -0.5]).as_ref(), out.as_mut());
        let s = 1.0 / (4.25f64 / 2.0).sqrt();
        assert!((out[0] - 2.0 * s).abs() < 1e-8 && (out[1] + 0.5 * s).abs() < 1e-8);
    }

    #[test]
    fn amsgrad_keeps_the_largest_second_moment() {
        // g = 2 then 0.1 (rmsprop, beta2 = 0.9): v^_2 = (0.9*0.1*4 + 0.1*0.01)/0.19 = 1.9, below
        // v^_1 = 4, so AMSGrad divides by 2 instead of sqrt(1.9).
        let p = bilinear_xy_blocks(&[1.0, 1.0]);
        let mut a =
            Preconditioner::new(PrecondParams { amsgrad: true, ..pre(PrecondKind::Rmsprop, 0.5).config().clone() });
        a.init(&p);
        let mut out = Col::zeros(2);
        a.direction(col_from_slice(&[2.0, 2.0]).as_ref(), out.as_mut());
        a.direction(col_from_slice(&[0.1, 0.1]).as_ref(), out.as_mut());
        assert!((out[0] - 0.1 / (2.0 + 1e-8)).abs() < 1e-12, "{}", out[0]);
        let mut r = pre(PrecondKind::Rmsprop, 0.5);
        r.init(&p);
        r.direction(col_from_slice(&[2.0, 2.0]).as_ref(), out.as_mut());
        r.direction(col_from_slice(&[0.1, 0.1]).as_ref(), out.as_mut());
        assert!((out[0] - 0.1 / (0.361f64 / 0.19).sqrt()).abs() < 1e-8, "{}", out[0]);
    }

    /// The vectorised pass equals the definition computed one coordinate at a time, bit for
    /// bit, for every variant, over a length with vector tails and several steps.
    #[test]
    fn vectorised_moments_equal_the_scalar_definition_bit_for_bit() {
        let n = 37;
        let p = crate::test_support::strongly_monotone(n, 0.5, 1.0, 3);
        let grad = |t: usize| Col::from_fn(n, |i| (((i * 31 + t * 17) % 23) as f64 - 11.0) * 0.37 / (1.0 + t as f64));
        for (kind, amsgrad) in [
            (PrecondKind::Rmsprop, false),
            (PrecondKind::Rmsprop, true),
            (PrecondKind::Adam, false),
            (PrecondKind::Adam, true),
        ] {
            let cfg = PrecondParams { precond: kind, beta1: 0.5, beta2: 0.99, precond_eps: 1e-6, amsgrad };
            let mut pc = Preconditioner::new(cfg);
            pc.init(&p);
            let (mut m, mut v, mut vm) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            let (mut b1, mut b2) = (1.0, 1.0);
            let mut out = Col::zeros(n);
            for t in 0..5 {
                let g = grad(t);
                pc.direction(g.as_ref(), out.as_mut());
                b2 *= 0.99;
                let c1 = if kind == PrecondKind::Adam {
                    b1 *= 0.5;
                    1.0 - b1
                } else {
                    1.0
                };
                for i in 0..n {
                    v[i] = 0.99 * v[i] + (1.0 - 0.99) * g[i] * g[i];
                    let mut vh = v[i] / (1.0 - b2);
                    if amsgrad {
                        vm[i] = f64::max(vm[i], vh);
                        vh = vm[i];
                    }
                    let num = if kind == PrecondKind::Adam {
                        m[i] = 0.5 * m[i] + (1.0 - 0.5) * g[i];
                        m[i] / c1
                    } else {
                        g[i]
                    };
                    let want = num / (vh.sqrt() + 1e-6);
                    assert!(
                        out[i].to_bits() == want.to_bits(),
                        "{kind:?} amsgrad {amsgrad} t {t} i {i}: {} vs {want}",
                        out[i]
                    );
                }
            }
        }
    }

    #[test]
    fn validation_names_the_field() {
        use vi_core::Params;
        let c = PrecondParams { precond: PrecondKind::Adam, beta1: 1.0, ..Default::default() };
        assert!(c.validate("solver x").unwrap_err().to_string().contains("`beta1`"));
        let c = PrecondParams { beta1: 0.5, beta2: -0.1, ..c };
        assert!(c.validate("solver x").unwrap_err().to_string().contains("`beta2`"));
        let c = PrecondParams { beta2: 0.9, precond_eps: 0.0, ..c };
        assert!(c.validate("solver x").unwrap_err().to_string().contains("`precond_eps`"));
        let c = PrecondParams { precond_eps: 1e-8, ..c };
        assert!(c.check_step("solver x", StepRule::Adaptive).unwrap_err().to_string().contains("`precond`"));
        let e = serde_json::from_str::<PrecondKind>("\"adagrad\"").unwrap_err().to_string();
        assert!(e.contains("block-rmsprop"), "{e}");
    }
}
