//! The regularized GAN vector field shared by `gan-dirac`, `gan-gaussian-mean` and
//! `gan-covariance` (docs/math.md §0, §1.4 and §4).
//!
//! A [`GanModel`] knows one game: the value `V(theta, psi)`, the generator's objective `J_G`
//! (`= V` unless the loss is non-saturating), the base field `F = (grad_theta J_G,
//! -grad_psi V)`, exact Hessian-vector products of `V` and `J_G`, and the input-gradient
//! penalties of its discriminator. [`GanOperator`] assembles the regularized field from them,
//! so every regularizer is written once:
//!
//! ```text
//! base        F = (F_t, F_p) = (grad_t J_G, -grad_p V)         (proximal: at (theta, psi~))
//! consensus   F += gamma J^T F = gamma (H_G (F_t, 0) - H_V (0, F_p))
//! JARE        F_t += -gamma [H_V (0, F_p)]_t,   F_p += gamma [H_G (F_t, 0)]_p
//! NK          F_t += -2 gamma [H_V (0, F_p)]_t      (generator adds gamma ||grad_p V||^2)
//! R1/R2/asym  F_p += gamma grad_p R,   R = 1/2 E ||grad_x D_psi(x)||^2 on real/fake/both
//! WGAN-GP     F_p += gamma grad_p 1/2 E (||grad_x D_psi(x)|| - 1)^2   (one-centered)
//! Tikhonov    F += (eps_g (theta - anchor_g), eps_d (psi - anchor_d))
//! ```
//!
//! The identities behind the second-order terms: with `J` the Jacobian of the base field,
//! `J^T F = H_G (F_t, 0) - H_V (0, F_p)` (the Hessians are symmetric), so consensus, JARE and
//! Nagarajan-Kolter cost two exact Hessian-vector products per evaluation and no finite
//! differences. Several regularizers can be combined (`reg = "r1+nk"`); they share `gamma`.
//!
//! ## Proximal training (Farnia & Ozdaglar 2020), and its oracle accounting
//! `V_prox(theta, psi) = max_psi' V(theta, psi') - lambda/2 ||psi' - psi||^2`. One evaluation
//! runs `prox_steps` gradient-ascent steps of length `prox_lr` on the inner objective from
//! `psi' = psi`, then returns the base field at `(theta, psi~)` (Danskin:
//! `grad_theta V_prox = grad_theta V(theta, psi~)`, and `grad_psi V_prox = lambda (psi~ - psi)
//! = grad_psi V(theta, psi~)` at the exact inner maximiser). The problem counts **one oracle
//! call per proximal evaluation**; each costs `prox_steps + 1` evaluations of the game's
//! gradient, so multiply `oracle_calls` by `prox_steps + 1` to compare gradient evaluations.
//! `prox_steps` is at most [`crate::limits::MAX_PROX_STEPS`] (10000), so that one oracle call
//! stays bounded. The gradient penalties and Tikhonov terms are added at `z` itself; consensus, JARE and NK
//! cannot be combined with `proximal`.
//!
//! ## Jacobian
//! [`Operator::jacobian`] is analytic (Hessians of `V`, `J_G` and of the penalties) unless
//! consensus, JARE, NK or proximal is active: their Jacobians involve third derivatives, and
//! the diagnostics then fall back to central finite differences of this (analytic) field.
//!
//! ## Allocation
//! Every buffer is allocated at construction; [`Operator::eval`] allocates nothing.

use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Col, ColMut, ColRef, Mat};
use vi_core::diagnostics::{symmetric_extremes, LocalBounds};
use vi_core::operator::finite_difference_jvp;
use vi_core::{Block, Error, FnMetric, Monotonicity, Operator, Problem, Result, TikhonovTerm};

use super::common::{GpOn, Loss, Reg, RegParams};

/// One GAN game with exact derivatives. `z = (theta, psi)`: generator parameters first.
///
/// Implementations keep their own scratch buffers: no method may allocate except
/// [`GanModel::gauss_newton_gramian`] (diagnostics only).
pub trait GanModel: Clone + Send + 'static {
    /// `p`, the number of generator parameters.
    fn generator_dim(&self) -> usize;
    /// `q`, the number of discriminator parameters.
    fn discriminator_dim(&self) -> usize;
    /// The game value `V(theta, psi)` (generator minimises, discriminator maximises).
    fn value(&mut self, z: ColRef<'_, f64>) -> f64;
    /// The generator's objective `J_G` (`V` for zero-sum losses).
    fn generator_objective(&mut self, z: ColRef<'_, f64>) -> f64;
    /// The base field `F = (grad_theta J_G, -grad_psi V)` into `out`.
    fn field(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>);
    /// `out = (Hessian of V at z) u`.
    fn hvp_value(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, out: ColMut<'_, f64>);
    /// `out = (Hessian of J_G at z) u`.
    fn hvp_generator(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, out: ColMut<'_, f64>);
    /// The zero-centered penalty `R = 1/2 E ||grad_x D_psi(x)||^2` over `side`.
    fn penalty(&mut self, z: ColRef<'_, f64>, side: GpOn) -> f64;
    /// `grad_psi R` into `out` (length `q`).
    fn penalty_grad(&mut self, z: ColRef<'_, f64>, side: GpOn, out: ColMut<'_, f64>);
    /// The derivative of `grad_psi R` along `u` (length `p + q`; the `theta` part matters for
    /// generated samples) into `out` (length `q`).
    fn penalty_jvp(&mut self, z: ColRef<'_, f64>, side: GpOn, u: ColRef<'_, f64>, out: ColMut<'_, f64>);
    /// Whether the one-centered (WGAN-GP) penalty has a closed form here.
    fn has_one_centered(&self) -> bool {
        false
    }
    /// `R1 = 1/2 E (||grad_x D_psi(x)|| - 1)^2`.
    fn one_centered(&mut self, _z: ColRef<'_, f64>) -> f64 {
        f64::NAN
    }
    /// `grad_psi R1` into `out` (length `q`).
    fn one_centered_grad(&mut self, _z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        out.fill(f64::NAN);
    }
    /// The derivative of `grad_psi R1` along `u` into `out` (length `q`).
    fn one_centered_jvp(&mut self, _z: ColRef<'_, f64>, _u: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        out.fill(f64::NAN);
    }
    /// The Gauss-Newton Gramian `G(psi) = E [J_x^T J_x]`, `J_x = d_psi grad_x D_psi(x)`
    /// (q x q), over `side` (docs/math.md §1.4).
    fn gauss_newton_gramian(&mut self, z: ColRef<'_, f64>, side: GpOn) -> Mat<f64>;
    /// Distance from `z` to the game's (unregularized) equilibrium set.
    fn distance_to_equilibrium(&self, z: ColRef<'_, f64>) -> f64;
}

/// The regularization shared by every GAN problem: which regularizers, their weights, the
/// Tikhonov anchors and the proximal inner loop (resolved from the problem's parameters).
#[derive(Clone, Debug, PartialEq)]
pub struct RegConfig {
    /// The active regularizers (empty: none).
    pub regs: Vec<Reg>,
    /// Weight of the gradient penalty / NK / JARE / consensus / WGAN-GP terms.
    pub gamma: f64,
    /// Tikhonov weight on the generator.
    pub eps_g: f64,
    /// Tikhonov weight on the discriminator.
    pub eps_d: f64,
    /// Samples of the `asymmetric` penalty (R1 always uses real, R2 fake samples).
    pub gp_on: GpOn,
    /// Generator anchor (empty: zero).
    pub anchor_g: Vec<f64>,
    /// Discriminator anchor (empty: zero).
    pub anchor_d: Vec<f64>,
    /// Proximal weight `lambda`.
    pub prox_lambda: f64,
    /// Inner ascent steps per proximal evaluation.
    pub prox_steps: usize,
    /// Inner ascent step length.
    pub prox_lr: f64,
}

/// The default discriminator Tikhonov weight of the `asymmetric` preset (docs/math.md §1.6: with
/// penalty 0.3, EFTP at step 0.2 reaches `||z_500|| = 3.7e-10` on the Dirac-GAN).
pub const ASYMMETRIC_EPS_D: f64 = 0.1;

impl RegConfig {
    /// Resolves the parameters: parses `reg`, applies the `asymmetric` preset's `eps_d` default
    /// ([`ASYMMETRIC_EPS_D`] when `eps_d` is not given) and checks the combinations.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the parameter and the allowed values.
    pub fn resolve(owner: &str, r: &RegParams, gamma: f64) -> Result<Self> {
        let (regs, eps_d) = r.regs(owner, ASYMMETRIC_EPS_D)?;
        r.check(owner, &regs, gamma, eps_d)?;
        Ok(Self {
            regs,
            gamma,
            eps_g: r.eps_g,
            eps_d,
            gp_on: r.gp_on,
            anchor_g: r.anchor_g.clone(),
            anchor_d: r.anchor_d.clone(),
            prox_lambda: r.prox_lambda,
            prox_steps: r.prox_steps,
            prox_lr: r.prox_lr,
        })
    }

    /// Whether `r` is active.
    pub fn has(&self, r: Reg) -> bool {
        self.regs.contains(&r)
    }

    /// The sampling side of the zero-centered penalty, if one is active (R1 = real, R2 =
    /// fake, `asymmetric` = `gp_on`; several active sides give `both`).
    pub fn penalty_side(&self) -> Option<GpOn> {
        let mut real = self.has(Reg::R1);
        let mut fake = self.has(Reg::R2);
        if self.has(Reg::Asymmetric) {
            match self.gp_on {
                GpOn::Real => real = true,
                GpOn::Fake => fake = true,
                GpOn::Both => {
                    real = true;
                    fake = true;
                }
            }
        }
        match (real, fake) {
            (true, true) => Some(GpOn::Both),
            (true, false) => Some(GpOn::Real),
            (false, true) => Some(GpOn::Fake),
            (false, false) => None,
        }
    }
}

/// The regularized GAN field `F_reg` of a [`GanModel`] (see the module documentation).
#[derive(Clone)]
pub struct GanOperator<M: GanModel> {
    model: M,
    p: usize,
    q: usize,
    cfg: RegConfig,
    side: Option<GpOn>,
    tikhonov: Option<TikhonovTerm>,
    /// No regularizer and no Tikhonov term: `F` is the model's field.
    plain: bool,
    // Scratch, allocated once.
    base: Col<f64>,
    u: Col<f64>,
    w1: Col<f64>,
    w2: Col<f64>,
    gq: Col<f64>,
    zt: Col<f64>,
}

impl<M: GanModel> GanOperator<M> {
    /// Wraps `model` with the regularization `cfg`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an anchor of the wrong length or a regularizer the model
    /// cannot provide (WGAN-GP without a closed form).
    pub fn new(owner: &str, model: M, cfg: RegConfig) -> Result<Self> {
        let (p, q) = (model.generator_dim(), model.discriminator_dim());
        let n = p + q;
        if cfg.has(Reg::WganGp) && !model.has_one_centered() {
            return Err(Error::param(
                owner,
                "reg",
                "`wgan-gp` has no closed form for this problem; valid here: none, asymmetric, r1, r2, nk, jare, consensus, proximal",
            ));
        }
        let mut anchor = Col::<f64>::zeros(n);
        for (name, a, off, len) in [("anchor_g", &cfg.anchor_g, 0, p), ("anchor_d", &cfg.anchor_d, p, q)] {
            if !a.is_empty() {
                if a.len() != len {
                    return Err(Error::param(
                        owner,
                        name,
                        format!("must have {len} entries (or be empty for zero), got {}", a.len()),
                    ));
                }
                for (i, v) in a.iter().enumerate() {
                    anchor[off + i] = *v;
                }
            }
        }
        let tikhonov = if cfg.eps_g > 0.0 || cfg.eps_d > 0.0 {
            let blocks = [Block::new("generator", 0..p), Block::new("discriminator", p..n)];
            Some(TikhonovTerm::per_block(&blocks, &[cfg.eps_g, cfg.eps_d], anchor.as_ref())?)
        } else {
            None
        };
        let side = cfg.penalty_side();
        let plain = cfg.regs.is_empty() && tikhonov.is_none();
        Ok(Self {
            plain,
            model,
            p,
            q,
            cfg,
            side,
            tikhonov,
            base: Col::zeros(n),
            u: Col::zeros(n),
            w1: Col::zeros(n),
            w2: Col::zeros(n),
            gq: Col::zeros(q),
            zt: Col::zeros(n),
        })
    }

    /// The game.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The game, mutably (for tests and diagnostics).
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// The resolved regularization.
    pub fn config(&self) -> &RegConfig {
        &self.cfg
    }

    /// Whether the Jacobian is analytic (no consensus, JARE, NK or proximal term).
    pub fn has_analytic_jacobian(&self) -> bool {
        !(self.cfg.has(Reg::Consensus)
            || self.cfg.has(Reg::Jare)
            || self.cfg.has(Reg::Nk)
            || self.cfg.has(Reg::Proximal))
    }

    /// The inner proximal maximisation: writes `(theta, psi~)` into `self.zt`; stops early once
    /// the run's deadline has passed (the run is ending).
    fn proximal_point(&mut self, z: ColRef<'_, f64>) {
        let p = self.p;
        self.zt.copy_from(z);
        let (lambda, lr) = (self.cfg.prox_lambda, self.cfg.prox_lr);
        for k in 0..self.cfg.prox_steps {
            if k % 256 == 255 && vi_core::deadline::passed() {
                break;
            }
            self.model.field(self.zt.as_ref(), self.w1.as_mut());
            // psi' <- psi' + lr (grad_psi V(theta, psi') - lambda (psi' - psi)); F_p = -grad_psi V.
            for i in p..p + self.q {
                self.zt[i] -= lr * (self.w1[i] + lambda * (self.zt[i] - z[i]));
            }
        }
    }

    /// The base field with the second-order regularizers (consensus, JARE, NK), at `z`.
    fn game_field(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let p = self.p;
        if self.cfg.has(Reg::Proximal) {
            self.proximal_point(z);
            self.model.field(self.zt.as_ref(), out.rb_mut());
            return;
        }
        self.model.field(z, out.rb_mut());
        let (co, ja, nk) = (self.cfg.has(Reg::Consensus), self.cfg.has(Reg::Jare), self.cfg.has(Reg::Nk));
        if !(co || ja || nk) {
            return;
        }
        let g = self.cfg.gamma;
        self.base.copy_from(out.rb());
        if co || ja {
            // w1 = H_G (F_t, 0)
            for i in 0..self.u.nrows() {
                self.u[i] = if i < p { self.base[i] } else { 0.0 };
            }
            self.model.hvp_generator(z, self.u.as_ref(), self.w1.as_mut());
        }
        // w2 = H_V (0, F_p)
        for i in 0..self.u.nrows() {
            self.u[i] = if i < p { 0.0 } else { self.base[i] };
        }
        self.model.hvp_value(z, self.u.as_ref(), self.w2.as_mut());
        for i in 0..out.nrows() {
            let mut add = 0.0;
            if co {
                add += g * (self.w1[i] - self.w2[i]);
            }
            if ja {
                add += if i < p { -g * self.w2[i] } else { g * self.w1[i] };
            }
            if nk && i < p {
                add -= 2.0 * g * self.w2[i];
            }
            out[i] += add;
        }
    }

    /// The regularized field (out of line, so that the plain path of `eval` stays a short
    /// call: the Dirac-GAN's whole field is a few flops).
    #[inline(never)]
    fn regularized_eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        self.game_field(z, out.rb_mut());
        self.add_first_order_terms(z, out);
    }

    /// Adds the penalties and the Tikhonov term at `z`.
    fn add_first_order_terms(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let (p, g) = (self.p, self.cfg.gamma);
        if let Some(side) = self.side {
            self.model.penalty_grad(z, side, self.gq.as_mut());
            for i in 0..self.q {
                out[p + i] += g * self.gq[i];
            }
        }
        if self.cfg.has(Reg::WganGp) {
            self.model.one_centered_grad(z, self.gq.as_mut());
            for i in 0..self.q {
                out[p + i] += g * self.gq[i];
            }
        }
        if let Some(t) = &self.tikhonov {
            t.add_to(z, out);
        }
    }

    /// The analytic `J(z) u` (only valid when [`GanOperator::has_analytic_jacobian`]).
    fn analytic_jvp(&mut self, z: ColRef<'_, f64>, v: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let (p, q, g) = (self.p, self.q, self.cfg.gamma);
        self.model.hvp_generator(z, v, self.w1.as_mut());
        self.model.hvp_value(z, v, self.w2.as_mut());
        for i in 0..p {
            out[i] = self.w1[i];
        }
        for i in p..p + q {
            out[i] = -self.w2[i];
        }
        if let Some(side) = self.side {
            self.model.penalty_jvp(z, side, v, self.gq.as_mut());
            for i in 0..q {
                out[p + i] += g * self.gq[i];
            }
        }
        if self.cfg.has(Reg::WganGp) {
            self.model.one_centered_jvp(z, v, self.gq.as_mut());
            for i in 0..q {
                out[p + i] += g * self.gq[i];
            }
        }
        if let Some(t) = &self.tikhonov {
            faer::zip!(out.rb_mut(), v, t.weights()).for_each(|faer::unzip!(o, v, w)| *o += *w * *v);
        }
    }
}

impl<M: GanModel> Operator for GanOperator<M> {
    fn dim(&self) -> usize {
        self.p + self.q
    }

    fn eval(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        if self.plain {
            return self.model.field(z, out);
        }
        self.regularized_eval(z, out);
    }

    fn monotonicity(&self) -> Monotonicity {
        Monotonicity::Unknown
    }

    fn jvp(&mut self, z: ColRef<'_, f64>, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        if self.has_analytic_jacobian() {
            self.analytic_jvp(z, v, out);
        } else {
            finite_difference_jvp(self, z, v, out);
        }
    }

    fn jacobian(&mut self, z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        if !self.has_analytic_jacobian() {
            return None;
        }
        let n = self.p + self.q;
        let mut j = Mat::<f64>::zeros(n, n);
        let mut e = Col::<f64>::zeros(n);
        for c in 0..n {
            e[c] = 1.0;
            self.analytic_jvp(z, e.as_ref(), j.col_mut(c));
            e[c] = 0.0;
        }
        Some(j)
    }

    /// The bounds of docs/math.md §1.4 for the first-order regularizers (a gradient penalty
    /// and Tikhonov terms), with the Gauss-Newton Gramian's extreme eigenvalues among their
    /// terms: `None` with NK, JARE, consensus, proximal or WGAN-GP, whose constants are not
    /// derived there.
    fn local_bounds(&mut self, z: ColRef<'_, f64>) -> Option<LocalBounds> {
        if !self.has_analytic_jacobian() || self.cfg.has(Reg::WganGp) {
            return None;
        }
        let (p, q) = (self.p, self.q);
        let n = p + q;
        // The base field's Jacobian: rows of Hess J_G (generator) and -Hess V (discriminator).
        let mut jf = Mat::<f64>::zeros(n, n);
        let mut e = Col::<f64>::zeros(n);
        for c in 0..n {
            e[c] = 1.0;
            self.model.hvp_generator(z, e.as_ref(), self.w1.as_mut());
            self.model.hvp_value(z, e.as_ref(), self.w2.as_mut());
            for r in 0..n {
                jf[(r, c)] = if r < p { self.w1[r] } else { -self.w2[r] };
            }
            e[c] = 0.0;
        }
        let a = Mat::from_fn(p, p, |i, j| 0.5 * (jf[(i, j)] + jf[(j, i)]));
        let c = Mat::from_fn(q, q, |i, j| 0.5 * (jf[(p + i, p + j)] + jf[(p + j, p + i)]));
        let (a_min, _) = symmetric_extremes(a.as_ref()).ok()?;
        let (c_min, _) = symmetric_extremes(c.as_ref()).ok()?;
        let (gamma, sigma, l_r) = match self.side {
            Some(side) => {
                let g = self.model.gauss_newton_gramian(z, side);
                let (lo, hi) = symmetric_extremes(g.as_ref()).ok()?;
                (self.cfg.gamma, lo, hi)
            }
            None => (0.0, 0.0, 0.0),
        };
        let base_lipschitz = vi_core::diagnostics::spectrum(jf.as_ref()).ok()?.lipschitz;
        let generator_term = a_min + self.cfg.eps_g;
        let discriminator_term = c_min + gamma * sigma + self.cfg.eps_d;
        let terms = [
            ("generator_term", generator_term),
            ("discriminator_term", discriminator_term),
            ("gauss_newton_min", sigma),
            ("gauss_newton_max", l_r),
            ("base_lipschitz", base_lipschitz),
        ];
        Some(LocalBounds {
            mu_bound: generator_term.min(discriminator_term),
            lipschitz_bound: base_lipschitz + self.cfg.eps_g.max(self.cfg.eps_d + gamma * l_r),
            terms: terms.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            source: "docs/math.md §1.4: mu >= min(generator_term, discriminator_term), L <= base_lipschitz + max(eps_g, eps_d + gamma gauss_newton_max); assumes a zero-sum game and a penalty on the discriminator only".into(),
        })
    }
}

/// Builds the registered problem: blocks `generator` and `discriminator`, the equilibrium of
/// the unregularized game as the known solution (when there is one), and the metric
/// `distance_to_equilibrium` (to the whole equilibrium set).
///
/// # Errors
/// As [`GanOperator::new`] and [`Problem::new`].
pub fn build_problem<M: GanModel>(
    name: &str,
    model: M,
    cfg: RegConfig,
    start: Col<f64>,
    solution: Option<Col<f64>>,
) -> Result<Problem> {
    let owner = format!("problem {name}");
    let (p, q) = (model.generator_dim(), model.discriminator_dim());
    let metric_model = model.clone();
    let op = GanOperator::new(&owner, model, cfg)?;
    let mut problem = Problem::unconstrained(name, Box::new(op), start)?
        .with_blocks(vec![Block::new("generator", 0..p), Block::new("discriminator", p..p + q)])?;
    if let Some(s) = solution {
        problem = problem.with_solution(s)?;
    }
    Ok(problem.with_metric(Box::new(FnMetric::new("distance_to_equilibrium", move |z: ColRef<'_, f64>| {
        metric_model.distance_to_equilibrium(z)
    }))))
}

/// Parameter documentation shared by every GAN problem, `(name, doc)`.
pub const COMMON_DOCS: [(&str, &str); 11] = [
    ("loss", "\"standard\" (f(t) = -log(1+e^-t)), \"non-saturating\" or \"wgan\" (f(t) = t)"),
    (
        "reg",
        "none | asymmetric | r1 | r2 | nk | jare | consensus | proximal | wgan-gp; combine with + (e.g. \"r1+nk\")",
    ),
    ("gamma", "weight of the penalty / NK / JARE / consensus / WGAN-GP term, in [0, 1e100]"),
    ("eps_g", "Tikhonov weight on the generator, in [0, 1e100]"),
    ("eps_d", "Tikhonov weight on the discriminator, in [0, 1e100]; null = 0.1 with reg asymmetric, else 0"),
    ("gp_on", "samples of the asymmetric penalty: \"real\", \"fake\" or \"both\""),
    ("anchor_g", "Tikhonov anchor of the generator; [] = 0"),
    ("anchor_d", "Tikhonov anchor of the discriminator; [] = 0"),
    ("prox_lambda", "proximal weight lambda (reg proximal), in [1e-100, 1e100]"),
    ("prox_steps", "inner ascent steps per proximal evaluation (each one more gradient of V), 1..=10000"),
    ("prox_lr", "inner ascent step length, in (0, 2 / prox_lambda]"),
];

/// Loss helper: the name of a loss for error messages.
pub fn loss_list() -> &'static str {
    "\"standard\", \"non-saturating\", \"wgan\""
}

/// Rejects a loss a problem cannot evaluate in closed form.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `loss` and the valid choices.
pub fn require_loss(owner: &str, loss: Loss, valid: &[Loss]) -> Result<()> {
    if valid.contains(&loss) {
        return Ok(());
    }
    let names: Vec<&str> = valid.iter().map(|l| l.name()).collect();
    Err(Error::param(
        owner,
        "loss",
        format!("`{}` is not available for this problem (no closed form); valid: {}", loss.name(), names.join(", ")),
    ))
}

#[cfg(test)]
pub(crate) mod testing;
