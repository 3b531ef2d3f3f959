//! The `gan-mixture` operator: exact minibatch pseudo-gradients of the MLP GAN with every
//! regularizer of docs/math.md §4, allocation-free after construction.
//!
//! Notation (one minibatch of `B` data points `x_i` and `B` latent points `zeta_j`,
//! `x~_j = G_theta(zeta_j)`, `y = D_psi(.)` the logit, `s` the discriminator input scale):
//!
//! ```text
//! V(theta, psi)  = 1/B sum_i f(D(x_i)) + 1/B sum_j f(-D(x~_j))
//! L_G            = V                        (standard, wgan: zero-sum)
//!                = -1/B sum_j f(D(x~_j))    (non-saturating)
//! F              = (grad_theta L_G, -grad_psi V)
//! ```
//!
//! The discriminator is evaluated once on the `2B` columns `[x | x~]`; its backward pass with the
//! per-column adjoint `dV/dy` gives `grad_psi V` and, on the fake columns, `dV/dx~`, which is the
//! output adjoint of the generator's backward pass.
//!
//! Second-order terms, all exact (forward-over-reverse, see [`super::mlp`]):
//! - gradient penalty `R = 1/(2N) sum_{i in S} ||grad_x D(x_i)||^2` over the `N` columns `S`
//!   chosen by `gp_on`: `grad_psi R = 1/N sum_i d/de grad_psi D(x_i + e v_i)` with
//!   `v_i = grad_x D(x_i)` held fixed (a directional derivative of the parameter gradient along
//!   an input direction);
//! - `B w = d/de grad_theta V(theta, psi + e w)` (Nagarajan-Kolter, JARE generator side);
//! - `B_G^T u = d/de grad_psi L_G(theta + e u, psi)` (JARE discriminator side);
//! - consensus `J^T F`: for a zero-sum game `J^T = P J P` with `P = diag(I, -I)`, so
//!   `J^T F = P (J v)` with `v = (F_theta, -F_psi)`: one exact Jacobian-vector product.

use faer::{Mat, MatMut, MatRef};

use super::mlp::{self, Mlp, MlpWork};
use crate::gan::common::{GpOn, Loss};

/// Resolved settings of the game (see the module documentation of `gan_mixture` for the
/// parameters they come from).
#[derive(Clone, Debug, PartialEq)]
pub struct GameConfig {
    /// The loss `f`.
    pub loss: Loss,
    /// Zero-centered gradient penalty and its samples (`r1`: real, `r2`: fake, `asymmetric`:
    /// `gp_on`; several sides: both), `None` when inactive.
    pub gp: Option<GpOn>,
    /// One-centered (WGAN-GP-like) penalty on the `gp_on` samples.
    pub wgan_gp: bool,
    /// Nagarajan-Kolter generator term.
    pub nk: bool,
    /// JARE terms.
    pub jare: bool,
    /// Consensus term (zero-sum losses only).
    pub consensus: bool,
    /// Proximal training.
    pub proximal: bool,
    /// Weight of the penalty / NK / JARE / consensus / WGAN-GP terms.
    pub gamma: f64,
    /// Tikhonov weight on the generator.
    pub eps_g: f64,
    /// Tikhonov weight on the discriminator.
    pub eps_d: f64,
    /// Samples of the asymmetric and one-centered penalties.
    pub gp_on: GpOn,
    /// Tikhonov anchors `(theta, psi)` (empty: zero).
    pub anchor: Vec<f64>,
    /// Proximal weight `lambda`.
    pub prox_lambda: f64,
    /// Proximal training: inner ascent steps.
    pub prox_steps: usize,
    /// Proximal training: inner step size.
    pub prox_lr: f64,
    /// The discriminator sees `s * x` (Metz et al.: `s = 1/4`).
    pub d_input_scale: f64,
}

/// Data and latent samples of one minibatch (columns).
#[derive(Clone, Debug)]
pub struct Batch {
    /// Data points (`2 x B`).
    pub real: Mat<f64>,
    /// Latent points (`latent_dim x B`).
    pub latent: Mat<f64>,
}

/// The mixture of isotropic Gaussians with equal weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Mixture {
    /// The means.
    pub means: Vec<[f64; 2]>,
    /// The common standard deviation.
    pub std: f64,
}

impl Mixture {
    /// Fills the columns of `out` (`2 x n`) with samples.
    pub fn sample_into(&self, rng: &mut vi_core::rng::Rng, mut out: MatMut<'_, f64>) {
        let k = self.means.len();
        for j in 0..out.ncols() {
            let m = ((vi_core::rng::uniform(rng) * k as f64) as usize).min(k - 1);
            out[(0, j)] = self.means[m][0] + self.std * vi_core::rng::normal(rng);
            out[(1, j)] = self.means[m][1] + self.std * vi_core::rng::normal(rng);
        }
    }

    /// The nearest mode of `x` and the distance to it.
    pub fn nearest(&self, x: [f64; 2]) -> (usize, f64) {
        let mut best = (0, f64::INFINITY);
        for (k, m) in self.means.iter().enumerate() {
            let d = (x[0] - m[0]).hypot(x[1] - m[1]);
            if d < best.1 {
                best = (k, d);
            }
        }
        best
    }
}

/// Fills `out` with standard normal numbers.
pub fn normal_into(rng: &mut vi_core::rng::Rng, mut out: MatMut<'_, f64>) {
    for j in 0..out.ncols() {
        for i in 0..out.nrows() {
            out[(i, j)] = vi_core::rng::normal(rng);
        }
    }
}

/// Which per-column discriminator adjoint to form.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Adj {
    /// `dV/dy`.
    V,
    /// `dL_G/dy`.
    L,
}

/// All buffers and the networks: computes the field on a given batch.
#[derive(Clone, Debug)]
pub struct Engine {
    cfg: GameConfig,
    gen: Mlp,
    disc: Mlp,
    batch: usize,
    gw: MlpWork,
    dw: MlpWork,
    e_d: Mat<f64>,
    ed_d: Mat<f64>,
    e_g: Mat<f64>,
    ed_g: Mat<f64>,
    zbuf: Vec<f64>,
    grad: Vec<f64>,
    ec_g: Mat<f64>,
    dir: Vec<f64>,
    base_theta: Vec<f64>,
    psi_t: Vec<f64>,
    tmp_q: Vec<f64>,
}

impl Engine {
    /// Buffers for minibatches of `batch` points.
    pub fn new(cfg: GameConfig, gen: Mlp, disc: Mlp, batch: usize) -> Self {
        let n = gen.n_params() + disc.n_params();
        let q = disc.n_params();
        Self {
            gw: MlpWork::new(&gen, batch, true),
            dw: MlpWork::new(&disc, 2 * batch, true),
            e_d: Mat::zeros(1, 2 * batch),
            ed_d: Mat::zeros(1, 2 * batch),
            e_g: Mat::zeros(2, batch),
            ed_g: Mat::zeros(2, batch),
            zbuf: vec![0.0; n],
            grad: vec![0.0; n],
            ec_g: Mat::zeros(2, batch),
            dir: vec![0.0; n],
            base_theta: vec![0.0; gen.n_params()],
            psi_t: vec![0.0; q],
            tmp_q: vec![0.0; q],
            cfg,
            gen,
            disc,
            batch,
        }
    }

    /// The same engine with the passes of both networks cut into blocks on up to `threads`
    /// threads of rayon's pool (the numbers do not change: see [`MlpWork::with_threads`]).
    #[must_use]
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.gw = self.gw.with_threads(threads);
        self.dw = self.dw.with_threads(threads);
        self
    }

    /// The settings.
    pub fn config(&self) -> &GameConfig {
        &self.cfg
    }
    /// The generator network.
    pub fn generator(&self) -> &Mlp {
        &self.gen
    }
    /// The discriminator network.
    pub fn discriminator(&self) -> &Mlp {
        &self.disc
    }
    /// `dim z`.
    pub fn dim(&self) -> usize {
        self.zbuf.len()
    }

    /// Copies `z` into the internal buffer.
    fn load(&mut self, z: faer::ColRef<'_, f64>) {
        faer::ColMut::from_slice_mut(&mut self.zbuf).copy_from(z);
    }

    /// Runs the generator on `latent` and the discriminator on `[real | G(latent)]` at the
    /// loaded `z`.
    fn forward_all(&mut self, batch: &Batch) {
        let p = self.gen.n_params();
        let (theta, psi) = self.zbuf.split_at(p);
        self.gw.h[0].copy_from(&batch.latent);
        let (b, s) = (self.batch, self.cfg.d_input_scale);
        mlp::forward(&self.gen, theta, &mut self.gw, 0..b);
        let x = &mut self.dw.h[0];
        let xf = self.gw.u[self.gw.u.len() - 1].as_ref();
        for j in 0..b {
            for i in 0..2 {
                x[(i, j)] = s * batch.real[(i, j)];
                x[(i, b + j)] = s * xf[(i, j)];
            }
        }
        mlp::forward(&self.disc, psi, &mut self.dw, 0..2 * b);
    }

    /// The values `(V, L_G)` on `batch` (for tests and monitoring).
    pub fn objectives(&mut self, z: faer::ColRef<'_, f64>, batch: &Batch) -> (f64, f64) {
        self.load(z);
        self.forward_all(batch);
        let b = self.batch;
        let y = self.dw.output();
        let loss = self.cfg.loss;
        let mut v = 0.0;
        let mut lg = 0.0;
        for j in 0..2 * b {
            if j < b {
                v += loss.f(y[(0, j)]);
            } else {
                v += loss.f(-y[(0, j)]);
                lg -= loss.f(y[(0, j)]);
            }
        }
        v /= b as f64;
        lg /= b as f64;
        (v, if loss == Loss::NonSaturating { lg } else { v })
    }

    /// Writes the regularized field at `z` on `batch` into `out`. No allocation.
    pub fn field(&mut self, z: faer::ColRef<'_, f64>, batch: &Batch, mut out: faer::ColMut<'_, f64>) {
        self.load(z);
        self.forward_all(batch);
        let p = self.gen.n_params();
        let b = self.batch;
        self.grad.fill(0.0);
        // Proximal: the base field is taken at (theta, psi~).
        if self.cfg.proximal {
            self.proximal_inner();
            mlp::forward(&self.disc, &self.psi_t, &mut self.dw, 0..2 * b);
        } else {
            self.psi_t.copy_from_slice(&self.zbuf[p..]);
        }
        self.base_field();
        self.cross_terms(self.cfg.gamma);
        if self.cfg.gp.is_some() || self.cfg.wgan_gp {
            if self.cfg.proximal {
                // The penalties act at z itself.
                mlp::forward(&self.disc, &self.zbuf[p..], &mut self.dw, 0..2 * b);
            }
            if let Some(side) = self.cfg.gp {
                self.gradient_penalty(side, false);
            }
            if self.cfg.wgan_gp {
                self.gradient_penalty(self.cfg.gp_on, true);
            }
        }

        // Tikhonov terms.
        let (eg, ed) = (self.cfg.eps_g, self.cfg.eps_d);
        if eg != 0.0 || ed != 0.0 {
            let anchor = &self.cfg.anchor;
            let (grad, z) = (self.grad.split_at_mut(p), self.zbuf.split_at(p));
            for (eps, g, z, a) in [(eg, grad.0, z.0, anchor.get(..p)), (ed, grad.1, z.1, anchor.get(p..))] {
                match a {
                    Some(a) => g.iter_mut().zip(z).zip(a).for_each(|((g, z), a)| *g += eps * (*z - *a)),
                    None => g.iter_mut().zip(z).for_each(|(g, z)| *g += eps * *z),
                }
            }
        }
        out.copy_from(faer::ColRef::from_slice(&self.grad));
    }

    /// The unregularized field, added to `grad`: `F_psi = -grad_psi V` from the
    /// discriminator's backward pass, whose input adjoint on the fake columns is the generator's
    /// output adjoint `dL_G/dx~`, and `F_theta` from the generator's backward pass.
    fn base_field(&mut self) {
        let p = self.gen.n_params();
        let (b, s) = (self.batch, self.cfg.d_input_scale);
        let zero_sum = self.cfg.loss != Loss::NonSaturating;
        self.adjoint_into_e_d(Adj::V);
        mlp::backward(&self.disc, &self.psi_t, &mut self.dw, self.e_d.as_ref(), zero_sum, 0..2 * b);
        mlp::param_grad(&self.disc, &self.dw, &mut self.grad[p..], -1.0, 0..2 * b);
        if !zero_sum {
            // dL_G/dy vanishes on the real columns.
            self.adjoint_into_e_d(Adj::L);
            mlp::backward(&self.disc, &self.psi_t, &mut self.dw, self.e_d.as_ref(), true, b..2 * b);
        }
        fake_cols(b, s, self.dw.gin.as_ref(), self.e_g.as_mut());
        self.generator_backward(true, 1.0);
    }

    /// The Nagarajan-Kolter, JARE and consensus terms (they need the base field first).
    fn cross_terms(&mut self, gamma: f64) {
        let p = self.gen.n_params();
        if self.cfg.nk || self.cfg.jare {
            self.cross_theta();
        }
        if self.cfg.jare {
            // u = grad_theta L_G (unregularized) for the JARE discriminator term.
            self.base_theta.copy_from_slice(&self.grad[..p]);
        }
        if self.cfg.consensus {
            self.consensus(gamma);
        }
        if self.cfg.nk || self.cfg.jare {
            // B w through the generator: backward with the tangent adjoint (linear in it).
            let c = gamma * (2.0 * f64::from(u8::from(self.cfg.nk)) + f64::from(u8::from(self.cfg.jare)));
            self.generator_backward(false, c);
        }
        if self.cfg.jare {
            self.cross_psi(gamma);
        }
    }

    fn adjoint_into_e_d(&mut self, kind: Adj) {
        adjoint(self.cfg.loss, self.batch, kind, self.dw.output(), None, self.e_d.as_mut());
    }

    fn tangent_adjoint_into_ed_d(&mut self, kind: Adj) {
        let y = self.dw.output();
        adjoint(self.cfg.loss, self.batch, kind, y, Some(self.dw.output_tangent()), self.ed_d.as_mut());
    }

    /// `grad[..p] += alpha * (generator backward with adjoint e_g)` (`base`) or with the
    /// tangent adjoint `ed_g` (`!base`).
    fn generator_backward(&mut self, base: bool, alpha: f64) {
        let p = self.gen.n_params();
        let theta = &self.zbuf[..p];
        let e = if base { self.e_g.as_ref() } else { self.ed_g.as_ref() };
        mlp::backward(&self.gen, theta, &mut self.gw, e, false, 0..self.batch);
        mlp::param_grad(&self.gen, &self.gw, &mut self.grad[..p], alpha, 0..self.batch);
    }

    /// `grad_psi += gamma grad_psi R` with `R = 1/(2N) sum ||grad_x D||^2` (zero-centered) or
    /// `R = 1/(2N) sum (||grad_x D|| - 1)^2` (`one_centered`) over the columns of `side`.
    ///
    /// `grad_psi R = 1/N sum_i c_i (d_psi g_i)^T g_i` with `g_i = grad_x D(x_i)` and `c_i = 1`
    /// (resp. `1 - 1/||g_i||`, 0 where `g_i = 0`) is the derivative of the parameter gradient
    /// of `sum_i D(x_i)` along the input direction `c_i g_i`.
    fn gradient_penalty(&mut self, side: GpOn, one_centered: bool) {
        let p = self.gen.n_params();
        let s = self.cfg.d_input_scale;
        let (c0, c1) = side_cols(side, self.batch);
        let n = (c1 - c0) as f64;
        // Every pass below touches only the columns c0..c1 of the penalty's samples.
        for j in c0..c1 {
            self.e_d[(0, j)] = 1.0;
        }
        let psi = &self.zbuf[p..];
        mlp::backward(&self.disc, psi, &mut self.dw, self.e_d.as_ref(), true, c0..c1);
        // Input tangent of h_0 = s x: s c_i g_i with g_i = s gin_i.
        let hd0 = &mut self.dw.hd[0];
        for j in c0..c1 {
            let (g0, g1) = (s * self.dw.gin[(0, j)], s * self.dw.gin[(1, j)]);
            let c = if one_centered {
                let norm = g0.hypot(g1);
                if norm > 0.0 {
                    1.0 - 1.0 / norm
                } else {
                    0.0
                }
            } else {
                1.0
            };
            hd0[(0, j)] = s * c * g0;
            hd0[(1, j)] = s * c * g1;
        }
        mlp::forward_tangent(&self.disc, psi, None, &mut self.dw, true, c0..c1);
        mlp::backward_tangent(&self.disc, psi, None, &mut self.dw, None, false, c0..c1);
        mlp::param_grad_tangent(&self.disc, &self.dw, &mut self.grad[p..], self.cfg.gamma / n, true, c0..c1);
    }

    /// `ed_g = d/de (dV/dx~)(theta, psi + e w)` with `w = grad_psi V = -grad[p..]` (so that a
    /// generator backward with `ed_g` gives `B w`). Must run after `F_psi` is formed and before
    /// any other term adds to it.
    fn cross_theta(&mut self) {
        let p = self.gen.n_params();
        let all = 0..2 * self.batch;
        for (d, g) in self.dir[p..].iter_mut().zip(&self.grad[p..]) {
            *d = -*g;
        }
        self.adjoint_into_e_d(Adj::V);
        let psi = &self.zbuf[p..];
        let w = &self.dir[p..];
        mlp::backward(&self.disc, psi, &mut self.dw, self.e_d.as_ref(), false, all.clone());
        mlp::forward_tangent(&self.disc, psi, Some(w), &mut self.dw, false, all.clone());
        self.tangent_adjoint_into_ed_d(Adj::V);
        let psi = &self.zbuf[p..];
        let w = &self.dir[p..];
        mlp::backward_tangent(&self.disc, psi, Some(w), &mut self.dw, Some(self.ed_d.as_ref()), true, all.clone());
        fake_cols(self.batch, self.cfg.d_input_scale, self.dw.gind.as_ref(), self.ed_g.as_mut());
    }

    /// `grad_psi += alpha B_G^T u` with `u = base_theta` (the unregularized
    /// `grad_theta L_G`): `d/de grad_psi L_G(theta + e u, psi)`.
    fn cross_psi(&mut self, alpha: f64) {
        let p = self.gen.n_params();
        let all = 0..2 * self.batch;
        mlp::forward_tangent(&self.gen, &self.zbuf[..p], Some(&self.base_theta), &mut self.gw, false, 0..self.batch);
        self.set_fake_input_tangent();
        self.adjoint_into_e_d(Adj::L);
        let psi = &self.zbuf[p..];
        mlp::backward(&self.disc, psi, &mut self.dw, self.e_d.as_ref(), false, all.clone());
        mlp::forward_tangent(&self.disc, psi, None, &mut self.dw, true, all.clone());
        self.tangent_adjoint_into_ed_d(Adj::L);
        let psi = &self.zbuf[p..];
        mlp::backward_tangent(&self.disc, psi, None, &mut self.dw, Some(self.ed_d.as_ref()), false, all.clone());
        mlp::param_grad_tangent(&self.disc, &self.dw, &mut self.grad[p..], alpha, true, all.clone());
    }

    /// `dw.hd[0] = [0 | s * dot x~]` from the generator's output tangent.
    fn set_fake_input_tangent(&mut self) {
        let (b, s) = (self.batch, self.cfg.d_input_scale);
        let xt = self.gw.ud[self.gw.ud.len() - 1].as_ref();
        let hd0 = &mut self.dw.hd[0];
        for j in 0..b {
            for i in 0..2 {
                hd0[(i, j)] = 0.0;
                hd0[(i, b + j)] = s * xt[(i, j)];
            }
        }
    }

    /// `grad += gamma J^T F` (zero-sum games): `J^T F = P J P F`, `P = diag(I, -I)`.
    /// Requires `grad` to hold the unregularized `F` and the generator backward of `e_g`.
    fn consensus(&mut self, gamma: f64) {
        let p = self.gen.n_params();
        let all = 0..2 * self.batch;
        // v = (F_theta, -F_psi).
        for (i, (d, g)) in self.dir.iter_mut().zip(&self.grad).enumerate() {
            *d = if i < p { *g } else { -*g };
        }
        mlp::forward_tangent(&self.gen, &self.zbuf[..p], Some(&self.dir[..p]), &mut self.gw, false, 0..self.batch);
        self.set_fake_input_tangent();
        self.adjoint_into_e_d(Adj::V);
        let (psi, w) = (&self.zbuf[p..], &self.dir[p..]);
        mlp::backward(&self.disc, psi, &mut self.dw, self.e_d.as_ref(), false, all.clone());
        mlp::forward_tangent(&self.disc, psi, Some(w), &mut self.dw, true, all.clone());
        self.tangent_adjoint_into_ed_d(Adj::V);
        let (theta, psi) = self.zbuf.split_at(p);
        let (u, w) = self.dir.split_at(p);
        mlp::backward_tangent(&self.disc, psi, Some(w), &mut self.dw, Some(self.ed_d.as_ref()), true, all.clone());
        // dot F_psi = -(tangent of grad_psi V); J^T F adds -dot F_psi to the psi part.
        mlp::param_grad_tangent(&self.disc, &self.dw, &mut self.grad[p..], gamma, true, all.clone());
        fake_cols(self.batch, self.cfg.d_input_scale, self.dw.gind.as_ref(), self.ec_g.as_mut());
        mlp::backward_tangent(&self.gen, theta, Some(u), &mut self.gw, Some(self.ec_g.as_ref()), false, 0..self.batch);
        mlp::param_grad_tangent(&self.gen, &self.gw, &mut self.grad[..p], gamma, false, 0..self.batch);
    }

    /// Proximal training: `prox_steps` ascent steps of length `prox_lr` on
    /// `psi~ -> V(theta, psi~) - lambda/2 ||psi~ - psi||^2` from `psi~ = psi` (same minibatch)
    /// into `psi_t`; stops early once the run's deadline has passed (the run is ending).
    fn proximal_inner(&mut self) {
        let p = self.gen.n_params();
        let lambda = self.cfg.prox_lambda;
        let lr = self.cfg.prox_lr;
        self.psi_t.copy_from_slice(&self.zbuf[p..]);
        for k in 0..self.cfg.prox_steps {
            if k > 0 && k % 8 == 0 && vi_core::deadline::passed() {
                break;
            }
            if k > 0 {
                mlp::forward(&self.disc, &self.psi_t, &mut self.dw, 0..2 * self.batch);
            }
            self.adjoint_into_e_d(Adj::V);
            mlp::backward(&self.disc, &self.psi_t, &mut self.dw, self.e_d.as_ref(), false, 0..2 * self.batch);
            self.tmp_q.fill(0.0);
            mlp::param_grad(&self.disc, &self.dw, &mut self.tmp_q, 1.0, 0..2 * self.batch);
            for ((t, g), c) in self.psi_t.iter_mut().zip(&self.tmp_q).zip(&self.zbuf[p..]) {
                *t += lr * (*g - lambda * (*t - *c));
            }
        }
    }

    /// The penalty on `batch` (value only; for tests): zero-centered, or one-centered.
    pub fn penalty(&mut self, z: faer::ColRef<'_, f64>, batch: &Batch, side: GpOn, one_centered: bool) -> f64 {
        self.load(z);
        self.forward_all(batch);
        let p = self.gen.n_params();
        let s = self.cfg.d_input_scale;
        let (c0, c1) = side_cols(side, self.batch);
        self.e_d.fill(1.0);
        mlp::backward(&self.disc, &self.zbuf[p..], &mut self.dw, self.e_d.as_ref(), true, 0..2 * self.batch);
        let mut r = 0.0;
        for j in c0..c1 {
            let norm = (s * self.dw.gin[(0, j)]).hypot(s * self.dw.gin[(1, j)]);
            r += if one_centered { (norm - 1.0) * (norm - 1.0) } else { norm * norm };
        }
        r / (2.0 * (c1 - c0) as f64)
    }

    /// The proximal inner iterate `psi~` of the last evaluation (for tests).
    pub fn prox_point(&self) -> &[f64] {
        &self.psi_t
    }
}

fn side_cols(side: GpOn, b: usize) -> (usize, usize) {
    match side {
        GpOn::Real => (0, b),
        GpOn::Fake => (b, 2 * b),
        GpOn::Both => (0, 2 * b),
    }
}
/// Per-column adjoints (`ydot = None`) or their tangents `d(adjoint)/dy * ydot`.
fn adjoint(
    loss: Loss,
    b: usize,
    kind: Adj,
    y: MatRef<'_, f64>,
    ydot: Option<MatRef<'_, f64>>,
    mut out: MatMut<'_, f64>,
) {
    let inv = 1.0 / b as f64;
    let ns = loss == Loss::NonSaturating && kind == Adj::L;
    for j in 0..2 * b {
        let t = y[(0, j)];
        let real = j < b;
        out[(0, j)] = match (ydot, real, ns) {
            (_, true, true) => 0.0,
            (None, true, false) => loss.df(t) * inv,
            (None, false, false) => -loss.df(-t) * inv,
            (None, false, true) => -loss.df(t) * inv,
            (Some(d), true, false) => loss.d2f(t) * d[(0, j)] * inv,
            (Some(d), false, false) => loss.d2f(-t) * d[(0, j)] * inv,
            (Some(d), false, true) => -loss.d2f(t) * d[(0, j)] * inv,
        };
    }
}

/// `dst = s * src[:, B..2B]` (fake columns of an input adjoint, scaled back to `x`).
fn fake_cols(b: usize, s: f64, src: MatRef<'_, f64>, mut dst: MatMut<'_, f64>) {
    for j in 0..b {
        for i in 0..2 {
            dst[(i, j)] = s * src[(i, b + j)];
        }
    }
}
