//! # `gan-covariance`: covariance learning, the linear-quadratic GAN game (docs/math.md §3.5)
//!
//! Data `x ~ N(0, Sigma)` in `R^d`, generator `G_U(zeta) = U zeta` with `zeta ~ N(0, I_d)`
//! (`U` is `d x d`), quadratic discriminator `D_W(x) = x^T W x` with `W` symmetric. With the
//! WGAN loss the expectations are exact:
//!
//! ```text
//! V(U, W) = E x^T W x - E zeta^T U^T W U zeta = <W, Sigma - U U^T>
//! F = (grad_U V, -grad_W V) = (-2 W U, -(Sigma - U U^T))
//! ```
//!
//! Parameterisation: `z = (vec(U) row-major, svec(W))` where `svec` stacks the upper triangle
//! with off-diagonal entries scaled by `sqrt 2`, so `||svec W|| = ||W||_F` and the Frobenius
//! inner product is preserved. `p = d^2`, `q = d (d + 1) / 2`.
//!
//! Equilibria: `U U^T = Sigma`, `W = 0`, i.e. the set `{(Sigma^{1/2} O, 0) : O orthogonal}` (a
//! manifold: the Jacobian there is singular along `U K`, `K` skew). The known solution reported
//! is the symmetric square root `(Sigma^{1/2}, 0)`; the metric `distance_to_equilibrium` is the
//! distance to the whole set: `min_O ||U - Sigma^{1/2} O||_F` (orthogonal Procrustes: the
//! minimiser is `O = P Q^T` for `Sigma^{1/2} U = P S Q^T`), combined with `||W||`.
//!
//! Penalties: `grad_x D = 2 W x`, so `R = 1/2 E ||2 W x||^2 = 2 tr(W S W)` with `S = Sigma`
//! (real), `U U^T` (fake) or their average (both); `grad_W R = 2 (S W + W S)`, and the
//! Gauss-Newton Gramian is the (exact, constant in `W`) Hessian `dW -> 2 (S dW + dW S)`.
//!
//! **Expectations.** With `loss = "wgan"` (the default, docs/math.md §3.5) everything is exact. For
//! the logistic losses (`standard`, `non-saturating`) `E f(x^T W x)` is a generalized
//! chi-square integral with no closed form, so they use a **fixed seeded sample set**:
//! `samples` real points and `samples` noise points drawn from the run's seed once at
//! construction and whitened so that their second moments are exactly `Sigma` and `I`. Then
//! the equilibrium set is still exactly `U U^T = Sigma`, `W = 0`, and the penalties (which
//! only see second moments) are the same closed forms. `V = 1/N sum f(x_i^T W x_i) + 1/M sum
//! f(-zeta_j^T U^T W U zeta_j)`, gradients and Hessian-vector products analytic (cost
//! `O(samples d^2)` per evaluation). `wgan-gp` is rejected (`E ||2 W x||` has no closed form).
//!
//! ## Parameters
//!
//! | name | default | purpose |
//! |---|---|---|
//! | `cov` | `[[2, 0.5], [0.5, 1]]` | data covariance `Sigma` (symmetric positive definite) |
//! | `loss` | `"wgan"` | `wgan` (exact), `standard`, `non-saturating` (fixed samples) |
//! | `samples` | 256 | real and noise samples for the logistic losses, >= 2 d (within the memory and per-call work limits: `6 d samples` values, `24 samples d^2` operations) |
//! | `reg`, `gamma`, `eps_g`, `eps_d`, `gp_on`, `anchor_g`, `anchor_d`, `prox_*` | | as every GAN problem |
//!
//! Start: `U_0 = I`, `W_0 = 0.1 I`.

use faer::prelude::ReborrowMut;
use faer::{Col, ColMut, ColRef, Mat};
use vi_core::memory::{self, Size};
use vi_core::{BuildContext, Checked, Error, Problem, Result};

use crate::limits;

use super::common::{GpOn, Loss, Reg, RegParams};
use super::regularized::{build_problem, GanModel, RegConfig};

vi_core::params! {
    /// Parameters of `gan-covariance` (see the module documentation for the table).
    pub struct CovarianceParams {
        /// data covariance Sigma, symmetric positive definite (d x d)
        pub cov: Vec<Vec<f64>> = vec![vec![2.0, 0.5], vec![0.5, 1.0]];
        /// "wgan" (exact), "standard" or "non-saturating" (fixed whitened samples)
        pub loss: Loss = Loss::Wgan;
        /// real and noise samples for the logistic losses (seeded, whitened), >= 2 d
        pub samples: usize = 256;
        /// weight of the penalty / NK / JARE / consensus / WGAN-GP term, in [0, 1e100]
        pub gamma: f64 = 0.3;
        ..regularization: RegParams;
    }
    validate(p, owner) {
        let d = p.sigma(owner)?.nrows();
        if p.loss != Loss::Wgan && p.samples < 2 * d {
            return Err(Error::param(
                owner,
                "samples",
                format!("must be >= 2 d = {} with loss `{}`, got {}", 2 * d, p.loss.name(), p.samples),
            ));
        }
        let cfg = p.reg_config(owner)?;
        let n = Size::of(d) * d * 2usize;
        let sampled = p.loss != Loss::Wgan;
        let s = if sampled { p.samples } else { 0 };
        // Vectors of n = d^2 + d (d + 1) / 2 <= 2 d^2, the d x d scratch, and the samples with
        // their raw and whitened copies.
        let words = n * 16usize + Size::of(d) * d * 10usize + Size::of(d) * s * 6usize;
        let param = if sampled && s > d { "samples" } else { "cov" };
        memory::check(owner, param, format_args!("d = {d} with {s} samples"), words.f64s().get())?;
        // One field and two Hessian-vector products per inner step.
        let field = if sampled { Size::of(s) * d * d * 24usize } else { Size::of(d) * d * d * 30usize } + 1000usize;
        let inner = if cfg.has(Reg::Proximal) { cfg.prox_steps + 1 } else { 1 };
        let param =
            if inner > 1 && field.get().is_some_and(|f| f <= limits::MAX_CALL_FLOPS) { "prox_steps" } else { param };
        let what = format_args!("d = {d} with {s} samples and {inner} field evaluations per call");
        limits::check_call(owner, param, what, field * inner, "use fewer samples, a smaller cov or fewer prox_steps")
    }
}

impl CovarianceParams {
    /// The resolved regularization.
    ///
    /// # Errors
    /// As [`RegConfig::resolve`].
    pub fn reg_config(&self, owner: &str) -> Result<RegConfig> {
        RegConfig::resolve(owner, &self.regularization, self.gamma)
    }

    /// `Sigma` as a matrix, checked symmetric positive definite.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `cov`.
    pub fn sigma(&self, owner: &str) -> Result<Mat<f64>> {
        let d = self.cov.len();
        if d == 0 || self.cov.iter().any(|r| r.len() != d) {
            return Err(Error::param(
                owner,
                "cov",
                "must be a non-empty square array of arrays, e.g. [[2,0.5],[0.5,1]]",
            ));
        }
        let s = Mat::from_fn(d, d, |i, j| self.cov[i][j]);
        if !s.is_all_finite() || s.norm_max() > 1e100 {
            return Err(Error::param(owner, "cov", "entries must be finite numbers in [-1e100, 1e100]"));
        }
        for i in 0..d {
            for j in 0..i {
                if (s[(i, j)] - s[(j, i)]).abs() > 1e-12 * (1.0 + s[(i, j)].abs()) {
                    return Err(Error::param(
                        owner,
                        "cov",
                        format!("must be symmetric (entries [{i}][{j}] and [{j}][{i}] differ)"),
                    ));
                }
            }
        }
        let ev = s
            .self_adjoint_eigenvalues(faer::Side::Lower)
            .map_err(|e| Error::param(owner, "cov", format!("eigenvalues failed: {e:?}")))?;
        if !(ev[0] > 0.0) {
            return Err(Error::param(
                owner,
                "cov",
                format!("must be positive definite (smallest eigenvalue {})", ev[0]),
            ));
        }
        Ok(s)
    }
}

/// The covariance-learning game (see the module documentation).
#[derive(Clone, Debug)]
pub struct Covariance {
    d: usize,
    sigma: Mat<f64>,
    sqrt_sigma: Mat<f64>,
    pairs: Vec<(usize, usize)>,
    loss: Loss,
    /// Whitened real samples (columns) for the logistic losses; empty for `wgan`.
    xs: Mat<f64>,
    /// Whitened noise samples (columns); empty for `wgan`.
    zs: Mat<f64>,
    // Scratch.
    w: Mat<f64>,
    dw: Mat<f64>,
    s: Mat<f64>,
    ds: Mat<f64>,
    m: Mat<f64>,
    gu: Mat<f64>,
    y: Col<f64>,
    dy: Col<f64>,
    tmp: Col<f64>,
}

/// The generated-sample term `(1/M) sum_j q(t_j)`, `t_j = zeta_j^T U^T W U zeta_j`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FakeTerm {
    /// `q(t) = f(-t)` (the game value).
    Value,
    /// `q(t) = -f(t)` (the non-saturating generator objective).
    NonSaturating,
}

/// `M^{-1/2} X` for the sample second moment `M = X X^T / N` (columns are samples).
fn whiten(x: Mat<f64>) -> Result<Mat<f64>> {
    let (d, n) = (x.nrows(), x.ncols());
    let m = Mat::from_fn(d, d, |i, j| (0..n).map(|k| x[(i, k)] * x[(j, k)]).sum::<f64>() / n as f64);
    let eig = m.self_adjoint_eigen(faer::Side::Lower).map_err(|e| Error::Numerical(format!("whitening: {e:?}")))?;
    let (u, ev) = (eig.U(), eig.S().column_vector());
    let inv = Mat::from_fn(d, d, |i, j| (0..d).map(|k| u[(i, k)] * u[(j, k)] / ev[k].max(1e-300).sqrt()).sum::<f64>());
    Ok(Mat::from_fn(d, n, |i, k| (0..d).map(|l| inv[(i, l)] * x[(l, k)]).sum()))
}

impl Covariance {
    /// The game for data covariance `sigma` (symmetric positive definite).
    ///
    /// # Errors
    /// [`Error::Numerical`] if the eigendecomposition of `sigma` fails.
    pub fn new(sigma: Mat<f64>) -> Result<Self> {
        Self::with_loss(sigma, Loss::Wgan, 0, 0)
    }

    /// The game with loss `loss`: exact for `wgan`; for the logistic losses the expectations are
    /// averages over `samples` real and `samples` noise points drawn from `seed` and whitened
    /// (their second moments are exactly `Sigma` and `I`), so the equilibrium set is still
    /// `U U^T = Sigma`, `W = 0`.
    ///
    /// # Errors
    /// [`Error::Numerical`] if an eigendecomposition fails; [`Error::InvalidParameter`] for
    /// fewer than `2 d` samples with a logistic loss.
    pub fn with_loss(sigma: Mat<f64>, loss: Loss, samples: usize, seed: impl vi_core::Seed) -> Result<Self> {
        let d = sigma.nrows();
        let eig = sigma
            .self_adjoint_eigen(faer::Side::Lower)
            .map_err(|e| Error::Numerical(format!("square root of Sigma: {e:?}")))?;
        let (u, s) = (eig.U(), eig.S().column_vector());
        let sqrt_sigma = Mat::from_fn(d, d, |i, j| (0..d).map(|k| u[(i, k)] * s[k].max(0.0).sqrt() * u[(j, k)]).sum());
        let pairs = (0..d).flat_map(|i| (i..d).map(move |j| (i, j))).collect();
        let (xs, zs) = if loss == Loss::Wgan {
            (Mat::zeros(d, 0), Mat::zeros(d, 0))
        } else {
            if samples < 2 * d {
                return Err(Error::param(
                    "problem gan-covariance",
                    "samples",
                    format!("must be >= 2 d = {} with loss `{}`, got {samples}", 2 * d, loss.name()),
                ));
            }
            let mut rng = vi_core::rng::seeded(seed.get(), 0xc0_7a);
            let raw_x = Mat::from_fn(d, samples, |_, _| vi_core::rng::normal(&mut rng));
            let raw_z = Mat::from_fn(d, samples, |_, _| vi_core::rng::normal(&mut rng));
            let wx = whiten(raw_x)?;
            let xs = Mat::from_fn(d, samples, |i, k| (0..d).map(|l| sqrt_sigma[(i, l)] * wx[(l, k)]).sum());
            (xs, whiten(raw_z)?)
        };
        let z = || Mat::<f64>::zeros(d, d);
        let n = d * d + d * (d + 1) / 2;
        Ok(Self {
            d,
            sigma,
            sqrt_sigma,
            pairs,
            loss,
            xs,
            zs,
            w: z(),
            dw: z(),
            s: z(),
            ds: z(),
            m: z(),
            gu: z(),
            y: Col::zeros(d),
            dy: Col::zeros(d),
            tmp: Col::zeros(n),
        })
    }

    /// `Sigma^{1/2}` (symmetric).
    pub fn sqrt_sigma(&self) -> &Mat<f64> {
        &self.sqrt_sigma
    }

    fn p(&self) -> usize {
        self.d * self.d
    }

    fn u(&self, z: ColRef<'_, f64>, i: usize, j: usize) -> f64 {
        z[i * self.d + j]
    }

    /// Unpacks `svec` at `off` of `x` into a symmetric matrix.
    fn unpack(pairs: &[(usize, usize)], x: ColRef<'_, f64>, off: usize, out: &mut Mat<f64>) {
        for (k, &(i, j)) in pairs.iter().enumerate() {
            let v = if i == j { x[off + k] } else { x[off + k] / std::f64::consts::SQRT_2 };
            out[(i, j)] = v;
            out[(j, i)] = v;
        }
    }

    /// Writes `svec(m)` (of a symmetric `m`), scaled by `alpha` and added when `add`.
    fn pack(pairs: &[(usize, usize)], m: &Mat<f64>, alpha: f64, mut out: ColMut<'_, f64>, off: usize, add: bool) {
        for (k, &(i, j)) in pairs.iter().enumerate() {
            let v = if i == j { m[(i, j)] } else { std::f64::consts::SQRT_2 * m[(i, j)] };
            if add {
                out[off + k] += alpha * v;
            } else {
                out[off + k] = alpha * v;
            }
        }
    }

    /// `self.s <- S(side)` (the sample second moment of the penalty) at `z`.
    fn second_moment(&mut self, z: ColRef<'_, f64>, side: GpOn) {
        let d = self.d;
        for i in 0..d {
            for j in 0..d {
                let p: f64 = (0..d).map(|k| self.u(z, i, k) * self.u(z, j, k)).sum();
                self.s[(i, j)] = match side {
                    GpOn::Real => self.sigma[(i, j)],
                    GpOn::Fake => p,
                    GpOn::Both => 0.5 * (self.sigma[(i, j)] + p),
                };
            }
        }
    }
}

impl GanModel for Covariance {
    fn generator_dim(&self) -> usize {
        self.d * self.d
    }
    fn discriminator_dim(&self) -> usize {
        self.d * (self.d + 1) / 2
    }
    fn value(&mut self, z: ColRef<'_, f64>) -> f64 {
        if self.loss != Loss::Wgan {
            return self.sampled_value(z, true, FakeTerm::Value);
        }
        let d = self.d;
        Self::unpack(&self.pairs, z, self.p(), &mut self.w);
        let mut v = 0.0;
        for i in 0..d {
            for j in 0..d {
                let p: f64 = (0..d).map(|k| self.u(z, i, k) * self.u(z, j, k)).sum();
                v += self.w[(i, j)] * (self.sigma[(i, j)] - p);
            }
        }
        v
    }
    fn generator_objective(&mut self, z: ColRef<'_, f64>) -> f64 {
        match self.loss {
            Loss::NonSaturating => self.sampled_value(z, false, FakeTerm::NonSaturating),
            _ => self.value(z),
        }
    }
    fn field(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let d = self.d;
        let p = self.p();
        if self.loss != Loss::Wgan {
            self.sampled_derivative(z, None, true, FakeTerm::Value, out.rb_mut());
            for i in p..out.nrows() {
                out[i] = -out[i];
            }
            if self.loss == Loss::NonSaturating {
                let mut tmp = std::mem::replace(&mut self.tmp, Col::zeros(0));
                self.sampled_derivative(z, None, false, FakeTerm::NonSaturating, tmp.as_mut());
                for i in 0..p {
                    out[i] = tmp[i];
                }
                self.tmp = tmp;
            }
            return;
        }
        Self::unpack(&self.pairs, z, p, &mut self.w);
        // grad_U V = -2 W U.
        for i in 0..d {
            for j in 0..d {
                out[i * d + j] = -2.0 * (0..d).map(|k| self.w[(i, k)] * self.u(z, k, j)).sum::<f64>();
            }
        }
        // -grad_W V = -(Sigma - U U^T).
        for i in 0..d {
            for j in 0..d {
                let uu: f64 = (0..d).map(|k| self.u(z, i, k) * self.u(z, j, k)).sum();
                self.m[(i, j)] = uu - self.sigma[(i, j)];
            }
        }
        Self::pack(&self.pairs, &self.m, 1.0, out, p, false);
    }
    fn hvp_value(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        if self.loss != Loss::Wgan {
            self.sampled_derivative(z, Some(u), true, FakeTerm::Value, out);
            return;
        }
        let d = self.d;
        let p = self.p();
        Self::unpack(&self.pairs, z, p, &mut self.w);
        Self::unpack(&self.pairs, u, p, &mut self.dw);
        // d(grad_U V) = -2 dW U - 2 W dU.
        for i in 0..d {
            for j in 0..d {
                let mut s = 0.0;
                for k in 0..d {
                    s += self.dw[(i, k)] * self.u(z, k, j) + self.w[(i, k)] * u[k * d + j];
                }
                out[i * d + j] = -2.0 * s;
            }
        }
        // d(grad_W V) = -(dU U^T + U dU^T).
        for i in 0..d {
            for j in 0..d {
                let s: f64 = (0..d).map(|k| u[i * d + k] * self.u(z, j, k) + self.u(z, i, k) * u[j * d + k]).sum();
                self.m[(i, j)] = -s;
            }
        }
        Self::pack(&self.pairs, &self.m, 1.0, out, p, false);
    }
    fn hvp_generator(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        match self.loss {
            Loss::NonSaturating => self.sampled_derivative(z, Some(u), false, FakeTerm::NonSaturating, out),
            _ => self.hvp_value(z, u, out),
        }
    }
    fn penalty(&mut self, z: ColRef<'_, f64>, side: GpOn) -> f64 {
        let d = self.d;
        self.second_moment(z, side);
        Self::unpack(&self.pairs, z, self.p(), &mut self.w);
        // 2 tr(W S W)
        let mut r = 0.0;
        for i in 0..d {
            for j in 0..d {
                let ws: f64 = (0..d).map(|k| self.w[(i, k)] * self.s[(k, j)]).sum();
                r += ws * self.w[(j, i)];
            }
        }
        2.0 * r
    }
    fn penalty_grad(&mut self, z: ColRef<'_, f64>, side: GpOn, out: ColMut<'_, f64>) {
        let d = self.d;
        self.second_moment(z, side);
        Self::unpack(&self.pairs, z, self.p(), &mut self.w);
        for i in 0..d {
            for j in 0..d {
                let sw: f64 = (0..d).map(|k| self.s[(i, k)] * self.w[(k, j)] + self.w[(i, k)] * self.s[(k, j)]).sum();
                self.m[(i, j)] = 2.0 * sw;
            }
        }
        Self::pack(&self.pairs, &self.m, 1.0, out, 0, false);
    }
    fn penalty_jvp(&mut self, z: ColRef<'_, f64>, side: GpOn, u: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        let d = self.d;
        let p = self.p();
        self.second_moment(z, side);
        Self::unpack(&self.pairs, z, p, &mut self.w);
        Self::unpack(&self.pairs, u, p, &mut self.dw);
        // dS: 0 (real), dU U^T + U dU^T (fake), half of it (both).
        let k = match side {
            GpOn::Real => 0.0,
            GpOn::Fake => 1.0,
            GpOn::Both => 0.5,
        };
        for i in 0..d {
            for j in 0..d {
                let s: f64 = (0..d).map(|l| u[i * d + l] * self.u(z, j, l) + self.u(z, i, l) * u[j * d + l]).sum();
                self.ds[(i, j)] = k * s;
            }
        }
        for i in 0..d {
            for j in 0..d {
                let mut s = 0.0;
                for l in 0..d {
                    s += self.s[(i, l)] * self.dw[(l, j)] + self.dw[(i, l)] * self.s[(l, j)];
                    s += self.ds[(i, l)] * self.w[(l, j)] + self.w[(i, l)] * self.ds[(l, j)];
                }
                self.m[(i, j)] = 2.0 * s;
            }
        }
        Self::pack(&self.pairs, &self.m, 1.0, out, 0, false);
    }
    fn gauss_newton_gramian(&mut self, z: ColRef<'_, f64>, side: GpOn) -> Mat<f64> {
        let q = self.discriminator_dim();
        let n = self.p() + q;
        let mut g = Mat::zeros(q, q);
        let mut e = Col::<f64>::zeros(n);
        let mut col = Col::<f64>::zeros(q);
        // With W = 0 the penalty's Hessian is exactly the Gramian (R is quadratic in W).
        let mut z0 = z.to_owned();
        for i in self.p()..n {
            z0[i] = 0.0;
        }
        for c in 0..q {
            e[self.p() + c] = 1.0;
            self.penalty_jvp(z0.as_ref(), side, e.as_ref(), col.as_mut());
            g.col_mut(c).copy_from(&col);
            e[self.p() + c] = 0.0;
        }
        g
    }
    fn distance_to_equilibrium(&self, z: ColRef<'_, f64>) -> f64 {
        let d = self.d;
        let u = Mat::from_fn(d, d, |i, j| self.u(z, i, j));
        // Orthogonal Procrustes: with A = Sigma^{1/2} and A^T U = P S Q^T, the nearest point of
        // the orbit {A O} is A P Q^T; the distance is computed directly (no cancellation).
        let a = &self.sqrt_sigma;
        let atu = Mat::from_fn(d, d, |i, j| (0..d).map(|k| a[(k, i)] * u[(k, j)]).sum::<f64>());
        let Ok(svd) = atu.svd() else { return f64::NAN };
        let (pp, qq) = (svd.U(), svd.V());
        let o = Mat::from_fn(d, d, |i, j| (0..d).map(|k| pp[(i, k)] * qq[(j, k)]).sum::<f64>());
        let mut s2 = 0.0;
        for i in 0..d {
            for j in 0..d {
                let ao: f64 = (0..d).map(|k| a[(i, k)] * o[(k, j)]).sum();
                s2 += (u[(i, j)] - ao).powi(2);
            }
        }
        let w2: f64 = (self.p()..self.p() + self.discriminator_dim()).map(|i| z[i] * z[i]).sum();
        (s2 + w2).sqrt()
    }
}

fn build(p: Checked<CovarianceParams>, ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let owner = "problem gan-covariance";
    let cfg = p.reg_config(owner)?;
    let model = Covariance::with_loss(p.sigma(owner)?, p.loss, p.samples, ctx)?;
    let d = model.d;
    let (pp, q) = (model.generator_dim(), model.discriminator_dim());
    let mut start = Col::zeros(pp + q);
    let mut solution = Col::zeros(pp + q);
    for i in 0..d {
        start[i * d + i] = 1.0;
        for j in 0..d {
            solution[i * d + j] = model.sqrt_sigma[(i, j)];
        }
    }
    for (k, &(i, j)) in model.pairs.iter().enumerate() {
        if i == j {
            start[pp + k] = 0.1;
        }
    }
    build_problem("gan-covariance", model, cfg, start, Some(solution))
}

vi_core::register_problem!(
    "gan-covariance",
    "covariance learning (LQ game): G = U zeta, D = x'Wx; equilibria UU' = Sigma, W = 0; WGAN exact, logistic losses on whitened samples",
    CovarianceParams,
    build
);

mod sampled;

#[cfg(test)]
mod tests;
