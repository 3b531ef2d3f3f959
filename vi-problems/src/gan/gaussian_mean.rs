//! # `gan-gaussian-mean`: Gaussian mean learning with a linear discriminator (Nie & Patel; docs/math.md §3.6)
//!
//! Data `x ~ N(v, sigma^2 I_d)`, generator `G_phi(zeta) = phi + zeta` with
//! `zeta ~ N(0, sigma^2 I_d)`, discriminator `D_psi(x) = psi^T x`; `z = (phi, psi)` (generator
//! first). With `f` the loss (docs/math.md §1.3),
//!
//! ```text
//! V(phi, psi) = E_x f(psi^T x) + E_zeta f(-psi^T (phi + zeta))
//!             = Phi(psi^T v, c) + Phi(-psi^T phi, c),     c = sigma^2 ||psi||^2,
//! Phi(m, c)   = E_{xi ~ N(0,1)} f(m + sqrt(c) xi).
//! ```
//!
//! **Exact expectations.** `psi^T x` is Gaussian, so every expectation is one-dimensional. For
//! `wgan` they are closed form (`V = psi^T (v - phi)`, bilinear); for the logistic losses they
//! are computed by Gauss-Hermite quadrature with 64 nodes (exact to rounding for the smooth
//! integrands here; no sampling, no seed). Derivatives use `dPhi/dm = E f'`, and the heat
//! equation `dPhi/dc = 1/2 E f''` (so the Hessian needs `f'''` and `f''''`), all analytic.
//! Non-saturating: the generator minimises `-E f(psi^T (phi + zeta)) = -Phi(psi^T phi, c)`.
//!
//! Equilibrium `(phi*, psi*) = (v, 0)`; `distance_to_equilibrium = ||(phi - v, psi)||`. At it
//! (standard loss) `J = [[0, -I/2], [I/2, H]]` with `H = (sigma^2 I + v v^T)/2`; with the
//! defaults `v = (0, 2)`, `sigma = 0.7` the eigenvalues are `0.1225 +- 0.4848i`, `0.1175`,
//! `2.1275`: phase factor 3.96 and eigenvalue-magnitude ratio 18.1 (docs/math.md §3.6).
//!
//! Penalties: `grad_x D = psi`, so `R = ||psi||^2 / 2` on real and fake samples alike
//! (Gauss-Newton Gramian `I_d`); WGAN-GP: `1/2 (||psi|| - 1)^2`.
//!
//! ## Parameters
//!
//! | name | default | purpose |
//! |---|---|---|
//! | `d` | 2 | dimension, >= 1 (within the memory limit, about `40 d` values) |
//! | `v` | `[]` | data mean; `[]` = `(0, ..., 0, 2)` (the code default `(0, 2)` for `d = 2`) |
//! | `sigma` | 0.7 | data and noise standard deviation, in [1e-100, 1e100] |
//! | `loss`, `reg`, `gamma`, `eps_g`, `eps_d`, `gp_on`, `anchor_g`, `anchor_d`, `prox_*` | | as every GAN problem |
//!
//! Start `phi_0 = v + 0.05`, `psi_0 = 0.05` (the code default `(0.05, 2.05)`, `(0.05, 0.05)`).
//!
//! ## References
//! - W. Nie, A. Patel, "Towards a better understanding and regularization of GAN training
//!   dynamics", UAI 2019 (code `weilinie/JARE`, `synthetic/Affine_GAN.py`).

use faer::prelude::ReborrowMut;
use faer::{Col, ColMut, ColRef, Mat};
use vi_core::memory::{self, Size};
use vi_core::{BuildContext, Checked, Error, Problem, Result};

use crate::limits;

use super::common::{GpOn, Loss, Reg, RegParams};
use super::regularized::{build_problem, GanModel, RegConfig};

/// Gauss-Hermite nodes used for the Gaussian expectations.
pub const QUADRATURE_NODES: usize = 64;

vi_core::params! {
    /// Parameters of `gan-gaussian-mean` (see the module documentation for the table).
    pub struct GaussianMeanParams {
        /// dimension of data, generator and discriminator, >= 1
        pub d: usize = 2;
        /// data mean; [] = (0, ..., 0, 2)
        pub v: Vec<f64> = Vec::new();
        /// standard deviation of the data and of the generator noise, in [1e-100, 1e100]
        pub sigma: f64 = 0.7;
        /// "standard" (f(t) = -log(1+e^-t)), "non-saturating" or "wgan" (f(t) = t)
        pub loss: Loss = Loss::Standard;
        /// weight of the penalty / NK / JARE / consensus / WGAN-GP term, in [0, 1e100]
        pub gamma: f64 = 0.3;
        ..regularization: RegParams;
    }
    validate(p, owner) {
        if p.d == 0 {
            return Err(Error::param(owner, "d", "must be >= 1"));
        }
        if !p.v.is_empty() && p.v.len() != p.d {
            return Err(Error::param(
                owner,
                "v",
                format!("must have d = {} entries (set `d` too), got {}", p.d, p.v.len()),
            ));
        }
        if p.v.iter().any(|x| !x.is_finite()) {
            return Err(Error::param(owner, "v", "entries must be finite"));
        }
        if !(p.sigma.is_finite() && p.sigma > 0.0) {
            return Err(Error::param(owner, "sigma", format!("must be a finite number > 0, got {}", p.sigma)));
        }
        // sigma^2 ||psi||^2 must stay finite and nonzero.
        limits::check_range(owner, "sigma", p.sigma, 1e-100, 1e100)?;
        let cfg = p.reg_config(owner)?;
        let d = p.d;
        // v, the start, the solution, the operator's scratch and the solvers' vectors (of 2 d).
        memory::check(owner, "d", format_args!("d = {d}"), (Size::of(d) * 40usize).f64s().get())?;
        // One field (and two Hessian-vector products) per inner step.
        let field = Size::of(d) * 60usize + 4000usize;
        let inner = if cfg.has(Reg::Proximal) { cfg.prox_steps + 1 } else { 1 };
        let param =
            if inner > 1 && field.get().is_some_and(|f| f <= limits::MAX_CALL_FLOPS) { "prox_steps" } else { "d" };
        let what = format_args!("d = {d} with {inner} field evaluations per call");
        limits::check_call(owner, param, what, field * inner, "use a smaller d or prox_steps")
    }
}

impl GaussianMeanParams {
    /// The resolved regularization.
    ///
    /// # Errors
    /// As [`RegConfig::resolve`].
    pub fn reg_config(&self, owner: &str) -> Result<RegConfig> {
        RegConfig::resolve(owner, &self.regularization, self.gamma)
    }

    /// The data mean (resolving the default).
    pub fn mean(&self) -> Vec<f64> {
        if self.v.is_empty() {
            (0..self.d).map(|i| if i + 1 == self.d { 2.0 } else { 0.0 }).collect()
        } else {
            self.v.clone()
        }
    }
}

/// Probabilists' Gauss-Hermite rule for `E_{xi ~ N(0,1)} g(xi)` (Golub-Welsch).
///
/// # Errors
/// [`Error::Numerical`] if the eigendecomposition fails.
pub fn gauss_hermite(n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let jac = Mat::from_fn(n, n, |i, j| if i + 1 == j || j + 1 == i { (i.max(j) as f64).sqrt() } else { 0.0 });
    let eig = jac
        .self_adjoint_eigen(faer::Side::Lower)
        .map_err(|e| Error::Numerical(format!("Gauss-Hermite nodes: {e:?}")))?;
    let nodes: Vec<f64> = eig.S().column_vector().iter().copied().collect();
    let weights: Vec<f64> = (0..n).map(|k| eig.U()[(0, k)].powi(2)).collect();
    Ok((nodes, weights))
}

/// `E f^(k)(m + s xi)` for `k = 0..=4`.
#[derive(Clone, Copy, Debug, Default)]
struct Moments([f64; 5]);

/// The Gaussian-mean game (see the module documentation).
#[derive(Clone, Debug)]
pub struct GaussianMean {
    loss: Loss,
    v: Col<f64>,
    sigma: f64,
    nodes: Vec<f64>,
    weights: Vec<f64>,
}

/// First and second derivatives of a function of `s = (a, b, c)`.
type Derivs = ([f64; 3], [[f64; 3]; 3]);

impl GaussianMean {
    /// The game with data mean `v` and standard deviation `sigma`.
    ///
    /// # Errors
    /// As [`gauss_hermite`].
    pub fn new(loss: Loss, v: &[f64], sigma: f64) -> Result<Self> {
        let (nodes, weights) = gauss_hermite(QUADRATURE_NODES)?;
        Ok(Self { loss, v: vi_core::linalg::col_from_slice(v), sigma, nodes, weights })
    }

    fn d(&self) -> usize {
        self.v.nrows()
    }

    /// `E f^(k)(m + sqrt(c) xi)`, `k = 0..=4`.
    fn moments(&self, m: f64, c: f64) -> Moments {
        let l = self.loss;
        if l == Loss::Wgan {
            return Moments([m, 1.0, 0.0, 0.0, 0.0]);
        }
        let s = c.max(0.0).sqrt();
        let mut e = [0.0; 5];
        for (x, w) in self.nodes.iter().zip(&self.weights) {
            let t = m + s * x;
            e[0] += w * l.f(t);
            e[1] += w * l.df(t);
            e[2] += w * l.d2f(t);
            e[3] += w * l.d3f(t);
            e[4] += w * l.d4f(t);
        }
        Moments(e)
    }

    /// The scalars `a = psi^T v`, `b = -psi^T phi`, `c = sigma^2 ||psi||^2`.
    fn scalars(&self, z: ColRef<'_, f64>) -> (f64, f64, f64) {
        let d = self.d();
        let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
        for i in 0..d {
            let psi = z[d + i];
            a += psi * self.v[i];
            b -= psi * z[i];
            c += psi * psi;
        }
        (a, b, self.sigma * self.sigma * c)
    }

    /// Derivatives of `V` in `(a, b, c)`.
    fn value_derivs(&self, z: ColRef<'_, f64>) -> Derivs {
        let (a, b, c) = self.scalars(z);
        let (ma, mb) = (self.moments(a, c), self.moments(b, c));
        let k1 = [ma.0[1], mb.0[1], 0.5 * (ma.0[2] + mb.0[2])];
        let k2 = [
            [ma.0[2], 0.0, 0.5 * ma.0[3]],
            [0.0, mb.0[2], 0.5 * mb.0[3]],
            [0.5 * ma.0[3], 0.5 * mb.0[3], 0.25 * (ma.0[4] + mb.0[4])],
        ];
        (k1, k2)
    }

    /// Derivatives of `J_G` in `(a, b, c)`.
    fn generator_derivs(&self, z: ColRef<'_, f64>) -> Derivs {
        if self.loss != Loss::NonSaturating {
            return self.value_derivs(z);
        }
        // J_G = -Phi(-b, c).
        let (_, b, c) = self.scalars(z);
        let m = self.moments(-b, c);
        let k1 = [0.0, m.0[1], -0.5 * m.0[2]];
        let k2 = [[0.0, 0.0, 0.0], [0.0, -m.0[2], 0.5 * m.0[3]], [0.0, 0.5 * m.0[3], -0.25 * m.0[4]]];
        (k1, k2)
    }

    /// `out = grad` (when `u` is `None`) or `Hessian u` of a function with derivatives `k` in
    /// `(a, b, c)`, by the chain rule through `a = psi^T v`, `b = -psi^T phi`,
    /// `c = sigma^2 ||psi||^2`.
    fn compose(&self, z: ColRef<'_, f64>, k: &Derivs, u: Option<ColRef<'_, f64>>, mut out: ColMut<'_, f64>) {
        let d = self.d();
        let s2 = 2.0 * self.sigma * self.sigma;
        let (k1, k2) = k;
        match u {
            None => {
                for i in 0..d {
                    out[i] = -k1[1] * z[d + i];
                    out[d + i] = k1[0] * self.v[i] - k1[1] * z[i] + k1[2] * s2 * z[d + i];
                }
            }
            Some(u) => {
                let (mut da, mut db, mut dc) = (0.0, 0.0, 0.0);
                for i in 0..d {
                    da += self.v[i] * u[d + i];
                    db -= z[d + i] * u[i] + z[i] * u[d + i];
                    dc += s2 * z[d + i] * u[d + i];
                }
                let t: [f64; 3] = std::array::from_fn(|r| k2[r][0] * da + k2[r][1] * db + k2[r][2] * dc);
                for i in 0..d {
                    out[i] = -t[1] * z[d + i] - k1[1] * u[d + i];
                    out[d + i] =
                        t[0] * self.v[i] - t[1] * z[i] + t[2] * s2 * z[d + i] - k1[1] * u[i] + k1[2] * s2 * u[d + i];
                }
            }
        }
    }
}

impl GanModel for GaussianMean {
    fn generator_dim(&self) -> usize {
        self.d()
    }
    fn discriminator_dim(&self) -> usize {
        self.d()
    }
    fn value(&mut self, z: ColRef<'_, f64>) -> f64 {
        let (a, b, c) = self.scalars(z);
        self.moments(a, c).0[0] + self.moments(b, c).0[0]
    }
    fn generator_objective(&mut self, z: ColRef<'_, f64>) -> f64 {
        if self.loss == Loss::NonSaturating {
            let (_, b, c) = self.scalars(z);
            -self.moments(-b, c).0[0]
        } else {
            self.value(z)
        }
    }
    fn field(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let d = self.d();
        let kv = self.value_derivs(z);
        self.compose(z, &kv, None, out.rb_mut());
        for i in d..2 * d {
            out[i] = -out[i];
        }
        if self.loss == Loss::NonSaturating {
            let kg = self.generator_derivs(z);
            // Only the phi rows: -k1_b psi.
            for i in 0..d {
                out[i] = -kg.0[1] * z[d + i];
            }
        }
    }
    fn hvp_value(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        let k = self.value_derivs(z);
        self.compose(z, &k, Some(u), out);
    }
    fn hvp_generator(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        let k = self.generator_derivs(z);
        self.compose(z, &k, Some(u), out);
    }
    fn penalty(&mut self, z: ColRef<'_, f64>, _side: GpOn) -> f64 {
        let d = self.d();
        0.5 * (d..2 * d).map(|i| z[i] * z[i]).sum::<f64>()
    }
    fn penalty_grad(&mut self, z: ColRef<'_, f64>, _side: GpOn, mut out: ColMut<'_, f64>) {
        let d = self.d();
        for i in 0..d {
            out[i] = z[d + i];
        }
    }
    fn penalty_jvp(&mut self, _z: ColRef<'_, f64>, _side: GpOn, u: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let d = self.d();
        for i in 0..d {
            out[i] = u[d + i];
        }
    }
    fn has_one_centered(&self) -> bool {
        true
    }
    fn one_centered(&mut self, z: ColRef<'_, f64>) -> f64 {
        let d = self.d();
        let r = (d..2 * d).map(|i| z[i] * z[i]).sum::<f64>().sqrt();
        0.5 * (r - 1.0) * (r - 1.0)
    }
    fn one_centered_grad(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let d = self.d();
        let r = (d..2 * d).map(|i| z[i] * z[i]).sum::<f64>().sqrt();
        let k = if r > 0.0 { 1.0 - 1.0 / r } else { 0.0 };
        for i in 0..d {
            out[i] = k * z[d + i];
        }
    }
    fn one_centered_jvp(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let d = self.d();
        let r = (d..2 * d).map(|i| z[i] * z[i]).sum::<f64>().sqrt();
        if r == 0.0 {
            for i in 0..d {
                out[i] = u[d + i];
            }
            return;
        }
        let pu: f64 = (0..d).map(|i| z[d + i] * u[d + i]).sum();
        for i in 0..d {
            out[i] = u[d + i] - (u[d + i] - z[d + i] * pu / (r * r)) / r;
        }
    }
    fn gauss_newton_gramian(&mut self, _z: ColRef<'_, f64>, _side: GpOn) -> Mat<f64> {
        Mat::identity(self.d(), self.d())
    }
    fn distance_to_equilibrium(&self, z: ColRef<'_, f64>) -> f64 {
        let d = self.d();
        (0..d).map(|i| (z[i] - self.v[i]).powi(2) + z[d + i].powi(2)).sum::<f64>().sqrt()
    }
}

fn build(p: Checked<GaussianMeanParams>, _ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let owner = "problem gan-gaussian-mean";
    let cfg = p.reg_config(owner)?;
    let v = p.mean();
    let d = v.len();
    let model = GaussianMean::new(p.loss, &v, p.sigma)?;
    let start = Col::from_fn(2 * d, |i| if i < d { v[i] + 0.05 } else { 0.05 });
    let solution = Col::from_fn(2 * d, |i| if i < d { v[i] } else { 0.0 });
    build_problem("gan-gaussian-mean", model, cfg, start, Some(solution))
}

/// In the default suite: at most 20 000 oracle calls and 20 s (the sublinear methods need more).
fn run_defaults(_: &GaussianMeanParams) -> vi_core::RunDefaults {
    vi_core::RunDefaults::suite_only(
        serde_json::json!({}),
        vi_core::Budget { max_calls: Some(20_000), time_limit: Some(20.0), ..vi_core::Budget::default() },
    )
}

vi_core::register_problem!(
    "gan-gaussian-mean",
    "Gaussian mean learning, affine generator, linear discriminator (Nie & Patel): exact expectations",
    GaussianMeanParams,
    build,
    defaults = run_defaults
);

#[cfg(test)]
mod tests {
    use super::super::regularized::testing::{check_model, check_regularizers};
    use super::*;
    use serde_json::json;

    fn at(vals: &[f64]) -> Col<f64> {
        vi_core::linalg::col_from_slice(vals)
    }

    #[test]
    fn quadrature_integrates_gaussian_moments() {
        let (x, w) = gauss_hermite(QUADRATURE_NODES).unwrap();
        let m = |k: i32| x.iter().zip(&w).map(|(x, w)| w * x.powi(k)).sum::<f64>();
        assert!((m(0) - 1.0).abs() < 1e-13 && m(1).abs() < 1e-13);
        assert!((m(2) - 1.0).abs() < 1e-12 && (m(4) - 3.0).abs() < 1e-11 && (m(6) - 15.0).abs() < 1e-10);
        // E sigmoid(m + s xi) against a fine trapezoid rule.
        let g = GaussianMean::new(Loss::Standard, &[0.0, 2.0], 0.7).unwrap();
        let (mm, c) = (0.3f64, 1.7f64);
        let mut trap = 0.0;
        let hstep = 1e-3;
        let mut t = -12.0f64;
        while t < 12.0 {
            let dens = (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
            trap += hstep * dens * Loss::Standard.df(mm + c.sqrt() * t);
            t += hstep;
        }
        assert!((g.moments(mm, c).0[1] - trap).abs() < 1e-9);
    }

    #[test]
    fn model_derivatives_match_finite_differences() {
        for loss in [Loss::Standard, Loss::NonSaturating, Loss::Wgan] {
            let mut m = GaussianMean::new(loss, &[0.5, 2.0], 0.7).unwrap();
            for z in [at(&[0.05, 2.05, 0.05, 0.05]), at(&[0.3, 1.1, -0.6, 0.9]), at(&[1.0, -0.5, 0.4, 0.2])] {
                check_model(&mut m, &z, 1e-6);
                check_regularizers(&m, &z, 1e-5);
            }
        }
    }

    #[test]
    fn wgan_value_is_bilinear() {
        let mut m = GaussianMean::new(Loss::Wgan, &[0.0, 2.0], 0.7).unwrap();
        let z = at(&[0.3, 1.0, -0.5, 0.25]);
        // V = psi^T (v - phi) = -0.5 * (-0.3) + 0.25 * (1.0) = 0.4.
        assert!((m.value(z.as_ref()) - 0.4).abs() < 1e-15);
    }

    #[test]
    fn jacobian_at_equilibrium_matches_math() {
        let mut p = vi_core::build_problem("gan-gaussian-mean", &json!({}), 0).unwrap();
        let sol = p.solution().unwrap().to_owned();
        assert!(p.natural_residual(sol.as_ref()) < 1e-15);
        let j = p.operator_mut().jacobian(sol.as_ref()).unwrap();
        // [[0, -I/2], [I/2, H]], H = (sigma^2 I + v v^T)/2 = diag(0.245, 2.245).
        let want = [[0.0, 0.0, -0.5, 0.0], [0.0, 0.0, 0.0, -0.5], [0.5, 0.0, 0.245, 0.0], [0.0, 0.5, 0.0, 2.245]];
        for r in 0..4 {
            for c in 0..4 {
                assert!((j[(r, c)] - want[r][c]).abs() < 1e-12, "J[{r},{c}] = {}", j[(r, c)]);
            }
        }
        let s = vi_core::diagnostics::spectrum(j.as_ref()).unwrap();
        assert!((s.phase_factor - 3.96).abs() < 0.01, "{s:?}");
        assert!((s.conditioning_factor - 18.1).abs() < 0.05, "{s:?}");
        assert!(s.mu.abs() < 1e-12 && (s.lipschitz - 2.35).abs() < 0.01, "{s:?}");
    }

    #[test]
    fn defaults_follow_the_reference_code() {
        let p = vi_core::build_problem("gan-gaussian-mean", &json!({}), 0).unwrap();
        assert_eq!(vi_core::linalg::to_vec(p.start()), vec![0.05, 2.05, 0.05, 0.05]);
        let mut p = vi_core::build_problem("gan-gaussian-mean", &json!({"d": 3}), 0).unwrap();
        assert_eq!(vi_core::linalg::to_vec(p.solution().unwrap()), vec![0.0, 0.0, 2.0, 0.0, 0.0, 0.0]);
        let z = p.start().to_owned();
        assert!((p.metrics(z.as_ref())["distance_to_equilibrium"] - 0.05 * 6f64.sqrt()).abs() < 1e-15);
        let e = vi_core::build_problem("gan-gaussian-mean", &json!({"v": [1, 2, 3]}), 0).unwrap_err().to_string();
        assert!(e.contains("`v`") && e.contains("d = 2"), "{e}");
        let e = vi_core::build_problem("gan-gaussian-mean", &json!({"sigma": 0}), 0).unwrap_err().to_string();
        assert!(e.contains("`sigma`"), "{e}");
    }

    #[test]
    fn zero_centered_regularizers_preserve_the_equilibrium_and_wgan_gp_does_not() {
        for reg in ["none", "asymmetric", "r1", "r2", "nk", "jare", "consensus", "proximal"] {
            for loss in ["standard", "non-saturating", "wgan"] {
                let mut p =
                    vi_core::build_problem("gan-gaussian-mean", &json!({"reg": reg, "loss": loss, "eps_d": 0.2}), 0)
                        .unwrap();
                let sol = p.solution().unwrap().to_owned();
                let mut f = Col::zeros(4);
                p.eval(sol.as_ref(), f.as_mut());
                assert!(f.norm_l2() < 1e-14, "{reg}/{loss}: F_reg(z*) = {f:?}");
            }
        }
        // WGAN-GP: near psi* = 0 the penalty pushes with magnitude gamma, whatever the direction.
        let mut p = vi_core::build_problem("gan-gaussian-mean", &json!({"reg": "wgan-gp", "gamma": 0.5}), 0).unwrap();
        let mut f = Col::zeros(4);
        p.eval(at(&[0.0, 2.0, 1e-9, 0.0]).as_ref(), f.as_mut());
        assert!((f.norm_l2() - 0.5).abs() < 1e-6, "{f:?}");
    }
}
