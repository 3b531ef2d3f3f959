//! # `gan-two-point`: a GAN without a local Nash equilibrium (Farnia & Ozdaglar, ICML 2020; docs/math.md §3.11)
//!
//! A generator that cannot represent the data: data `1/2 delta_{-r} + 1/2 delta_{+r}` on the
//! line, a Dirac generator `delta_theta`, and a quadratic discriminator
//! `D_psi(x) = psi_1 x + psi_2 x^2` with a ridge penalty `eps = ridge` that belongs to the game
//! (an MMD-style critic: without it the discriminator's best response is unbounded). WGAN loss,
//! `z = (theta, psi_1, psi_2)`:
//!
//! ```text
//! V(theta, psi) = E_data D_psi - D_psi(theta) - eps/2 ||psi||^2
//!               = -psi_1 theta + psi_2 (r^2 - theta^2) - eps/2 ||psi||^2
//! F             = (-psi_1 - 2 psi_2 theta,  theta + eps psi_1,  theta^2 - r^2 + eps psi_2)
//! ```
//!
//! (Derived here; docs/math.md §3.11 has the derivation.)
//! - **Stationary points** (`F = 0`): `psi = g(theta) / eps` with `g(theta) = (-theta, r^2 -
//!   theta^2)`, and `theta (2 theta^2 - 2 r^2 + 1) = 0`: `theta = 0`, and `theta = +- theta*`,
//!   `theta* = sqrt(r^2 - 1/2)`, when `r^2 > 1/2`, with `psi* = (-+ theta*/eps, 1/(2 eps))`.
//! - **No local Nash equilibrium**, for every `r, eps > 0`: at a stationary point the
//!   generator's cost `V(., psi)` has second derivative `-2 psi_2 = -2 (r^2 - theta^2) / eps`,
//!   which is `-2 r^2 / eps` at 0 and `-1/eps` at `+- theta*`: every stationary point is a local
//!   *maximum* of the generator's cost. A Dirac cannot spread like the data, so the
//!   best-responding discriminator is convex (`psi_2 > 0`) and rewards moving away.
//! - **Plain dynamics**: the Jacobian at `+- theta*` has the eigenvalue `eps` and the pair
//!   `((eps - 1/eps) +- sqrt((eps + 1/eps)^2 - 4 (4 r^2 - 1))) / 2`; for `eps < 1` its real part is
//!   negative (a repelling spiral; the defaults `r = 1`, `eps = 0.5` give `-0.75 +- 1.199i`), and
//!   `theta = 0` is a saddle. Every stationary point repels the flow: GDA, alternating GDA,
//!   extragradient and EFTP cycle, the generator hopping between the two data points.
//! - **Proximal equilibria** (docs/math.md §4.9): the inner maximiser of
//!   `V(theta, psi') - lambda/2 ||psi' - psi||^2` is `psi~ = (g(theta) + lambda psi) / (eps +
//!   lambda)` in closed form, the zeros of the proximal field are the stationary points above,
//!   and `(+- theta*, psi*)` is a local proximal equilibrium (the generator's proximal cost has
//!   second derivative `-1/eps + (4 r^2 - 1)/(eps + lambda) > 0`) exactly when
//!   `lambda < lambda_max = eps (4 r^2 - 2)`. There the proximal field is locally strongly
//!   monotone with `mu = min(-1/eps + (4 r^2 - 1)/(eps + lambda), lambda eps/(eps + lambda))`
//!   (0.25 with the defaults, `lambda = 0.5 < lambda_max = 1`), so proximal training converges
//!   to it. As `lambda -> 0` these are the minimax points of `max_psi V`; for `r^2 < 1/2` the
//!   only stationary point `theta = 0` is the local proximal equilibrium for
//!   `lambda < eps (1/(2 r^2) - 1)`.
//!
//! The reported solution is `(+theta*, psi*)` (`(0, 0, r^2/eps)` when `r^2 <= 1/2`), declared
//! only when the regularization keeps the stationary points (`none`, `proximal`, `nk`, `jare`,
//! `consensus`, no Tikhonov term): the zero-centered penalties move them, the data not being
//! representable (`grad_x D != 0` at them). `distance_to_equilibrium` is the distance to the
//! nearer of the two mirror points. Start `(r, 0, 0)`: the generator on one data point, the
//! discriminator zero.
//!
//! Penalties: `grad_x D = psi_1 + 2 psi_2 x`, so on real samples `R = (psi_1^2 + 4 r^2
//! psi_2^2)/2` (Gauss-Newton Gramian `diag(1, 4 r^2)`), on the generated one
//! `R = (psi_1 + 2 psi_2 theta)^2 / 2` (Gramian `(1, 2 theta)(1, 2 theta)^T`).
//!
//! ## Parameters
//!
//! | name | default | purpose |
//! |---|---|---|
//! | `r` | 1 | data points `+- r`, in [1e-100, 1e100] |
//! | `ridge` | 0.5 | the discriminator's ridge weight `eps` in `V`, in [1e-100, 1e100] |
//! | `loss` | `"wgan"` | only `wgan` (the closed form) |
//! | `reg`, `gamma`, `eps_g`, `eps_d`, `gp_on`, `anchor_g`, `anchor_d` | | as every GAN problem (`wgan-gp` excluded) |
//! | `prox_lambda`, `prox_steps`, `prox_lr` | 0.5, 1, 1 | proximal training; `prox_lr = 1/(ridge + prox_lambda)` makes one inner step exact |
//!
//! ## References
//! - F. Farnia, A. Ozdaglar, "Do GANs always have Nash equilibria?", ICML 2020 (GANs may have
//!   no local Nash equilibrium; proximal equilibria and proximal training).

use faer::{ColMut, ColRef, Mat};
use vi_core::{BuildContext, Checked, Problem, Result};

use crate::limits;

use super::common::{GpOn, Loss, Reg, RegParams};
use super::regularized::{build_problem, require_loss, GanModel, RegConfig};

vi_core::params! {
    /// Parameters of `gan-two-point` (see the module documentation for the table).
    pub struct TwoPointParams {
        /// data 1/2 delta_{-r} + 1/2 delta_{+r}, in [1e-100, 1e100]
        pub r: f64 = 1.0;
        /// the discriminator's ridge weight eps in V = E D - D(theta) - eps/2 ||psi||^2, in [1e-100, 1e100]
        pub ridge: f64 = 0.5;
        /// only "wgan" (the closed form)
        pub loss: Loss = Loss::Wgan;
        /// weight of the penalty / NK / JARE / consensus term, in [0, 1e100]
        pub gamma: f64 = 0.3;
        // Proximal training: lambda 0.5 < lambda_max = 1 of the defaults, and the inner step
        // 1/(ridge + lambda) = 1 makes one inner step exact.
        ..regularization: RegParams = RegParams { prox_lambda: 0.5, prox_steps: 1, prox_lr: 1.0, ..RegParams::default() };
    }
    validate(p, owner) {
        limits::check_range(owner, "r", p.r, 1e-100, 1e100)?;
        limits::check_range(owner, "ridge", p.ridge, 1e-100, 1e100)?;
        require_loss(owner, p.loss, &[Loss::Wgan])?;
        if p.reg_config(owner)?.has(Reg::WganGp) {
            return Err(vi_core::Error::param(
                owner,
                "reg",
                "`wgan-gp` is not available here; valid: none, asymmetric, r1, r2, nk, jare, consensus, proximal",
            ));
        }
        Ok(())
    }
}

impl TwoPointParams {
    /// The resolved regularization.
    ///
    /// # Errors
    /// As [`RegConfig::resolve`].
    pub fn reg_config(&self, owner: &str) -> Result<RegConfig> {
        RegConfig::resolve(owner, &self.regularization, self.gamma)
    }
}

/// The two-point game (see the module documentation).
#[derive(Clone, Debug)]
pub struct TwoPoint {
    r2: f64,
    eps: f64,
}

impl TwoPoint {
    /// The game with data `+- r` and ridge weight `eps`.
    pub fn new(r: f64, eps: f64) -> Self {
        Self { r2: r * r, eps }
    }

    /// The stationary points `(theta, psi_1, psi_2)` of `V` (the zeros of `F`), `theta`
    /// ascending: `0` and, when `r^2 > 1/2`, `+- theta*`.
    pub fn stationary_points(&self) -> Vec<[f64; 3]> {
        let origin = [0.0, 0.0, self.r2 / self.eps];
        if self.r2 > 0.5 {
            // psi_2 = (r^2 - theta*^2) / eps = 1 / (2 eps), written exactly.
            let t = (self.r2 - 0.5).sqrt();
            let at = |t: f64| [t, -t / self.eps, 0.5 / self.eps];
            vec![at(-t), origin, at(t)]
        } else {
            vec![origin]
        }
    }

    /// The minimax point with `theta >= 0`: `(theta*, psi*)` for `r^2 > 1/2`, else
    /// `(0, 0, r^2/eps)`; a local proximal equilibrium for `lambda <`
    /// [`TwoPoint::lambda_max`].
    pub fn proximal_equilibrium(&self) -> [f64; 3] {
        *self.stationary_points().last().unwrap_or(&[0.0; 3])
    }

    /// The largest proximal weight for which [`TwoPoint::proximal_equilibrium`] is a local
    /// proximal equilibrium: `eps (4 r^2 - 2)` for `r^2 > 1/2`, `eps (1/(2 r^2) - 1)` below
    /// (0 at `r^2 = 1/2`).
    pub fn lambda_max(&self) -> f64 {
        if self.r2 >= 0.5 {
            self.eps * (4.0 * self.r2 - 2.0)
        } else {
            self.eps * (0.5 / self.r2 - 1.0)
        }
    }

    /// The second derivative in `theta` of the generator's proximal cost
    /// `V_prox(., psi*)` at the proximal equilibrium (negative: not a local proximal
    /// equilibrium); with `lambda = inf` it is the Nash test `-2 psi_2*`, always negative.
    pub fn proximal_curvature(&self, lambda: f64) -> f64 {
        let [t, _, p2] = self.proximal_equilibrium();
        let b2 = 1.0 + 4.0 * t * t;
        -2.0 * p2 + if lambda.is_finite() { b2 / (self.eps + lambda) } else { 0.0 }
    }

    /// `(psi_1 + 2 psi_2 x)`, the input gradient of `D` at `x`.
    fn dx(z: ColRef<'_, f64>, x: f64) -> f64 {
        z[1] + 2.0 * z[2] * x
    }
}

impl GanModel for TwoPoint {
    fn generator_dim(&self) -> usize {
        1
    }
    fn discriminator_dim(&self) -> usize {
        2
    }
    fn value(&mut self, z: ColRef<'_, f64>) -> f64 {
        let (t, a, b) = (z[0], z[1], z[2]);
        -a * t + b * (self.r2 - t * t) - 0.5 * self.eps * (a * a + b * b)
    }
    fn generator_objective(&mut self, z: ColRef<'_, f64>) -> f64 {
        self.value(z)
    }
    fn field(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let (t, a, b) = (z[0], z[1], z[2]);
        out[0] = -a - 2.0 * b * t;
        out[1] = t + self.eps * a;
        out[2] = t * t - self.r2 + self.eps * b;
    }
    fn hvp_value(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let (t, b) = (z[0], z[2]);
        out[0] = -2.0 * b * u[0] - u[1] - 2.0 * t * u[2];
        out[1] = -u[0] - self.eps * u[1];
        out[2] = -2.0 * t * u[0] - self.eps * u[2];
    }
    fn hvp_generator(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.hvp_value(z, u, out);
    }
    fn penalty(&mut self, z: ColRef<'_, f64>, side: GpOn) -> f64 {
        let real = 0.5 * (z[1] * z[1] + 4.0 * self.r2 * z[2] * z[2]);
        let fake = 0.5 * Self::dx(z, z[0]).powi(2);
        match side {
            GpOn::Real => real,
            GpOn::Fake => fake,
            GpOn::Both => 0.5 * (real + fake),
        }
    }
    fn penalty_grad(&mut self, z: ColRef<'_, f64>, side: GpOn, mut out: ColMut<'_, f64>) {
        let real = [z[1], 4.0 * self.r2 * z[2]];
        let g = Self::dx(z, z[0]);
        let fake = [g, 2.0 * z[0] * g];
        for i in 0..2 {
            out[i] = match side {
                GpOn::Real => real[i],
                GpOn::Fake => fake[i],
                GpOn::Both => 0.5 * (real[i] + fake[i]),
            };
        }
    }
    fn penalty_jvp(&mut self, z: ColRef<'_, f64>, side: GpOn, u: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let real = [u[1], 4.0 * self.r2 * u[2]];
        let (t, g) = (z[0], Self::dx(z, z[0]));
        let dg = u[1] + 2.0 * t * u[2] + 2.0 * z[2] * u[0];
        let fake = [dg, 2.0 * u[0] * g + 2.0 * t * dg];
        for i in 0..2 {
            out[i] = match side {
                GpOn::Real => real[i],
                GpOn::Fake => fake[i],
                GpOn::Both => 0.5 * (real[i] + fake[i]),
            };
        }
    }
    fn gauss_newton_gramian(&mut self, z: ColRef<'_, f64>, side: GpOn) -> Mat<f64> {
        let real = [[1.0, 0.0], [0.0, 4.0 * self.r2]];
        let t = z[0];
        let fake = [[1.0, 2.0 * t], [2.0 * t, 4.0 * t * t]];
        Mat::from_fn(2, 2, |i, j| match side {
            GpOn::Real => real[i][j],
            GpOn::Fake => fake[i][j],
            GpOn::Both => 0.5 * (real[i][j] + fake[i][j]),
        })
    }
    fn distance_to_equilibrium(&self, z: ColRef<'_, f64>) -> f64 {
        let [t, a, b] = self.proximal_equilibrium();
        let d = |s: f64| ((z[0] - s * t).powi(2) + (z[1] - s * a).powi(2) + (z[2] - b).powi(2)).sqrt();
        d(1.0).min(d(-1.0))
    }
}

fn build(p: Checked<TwoPointParams>, _ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let cfg = p.reg_config("problem gan-two-point")?;
    let game = TwoPoint::new(p.r, p.ridge);
    let keeps_zeros = cfg.regs.iter().all(|r| matches!(r, Reg::Proximal | Reg::Nk | Reg::Jare | Reg::Consensus))
        && cfg.eps_g == 0.0
        && cfg.eps_d == 0.0;
    let solution = keeps_zeros.then(|| vi_core::linalg::col_from_slice(&game.proximal_equilibrium()));
    build_problem("gan-two-point", game, cfg, vi_core::linalg::col_from_slice(&[p.r, 0.0, 0.0]), solution)
}

vi_core::register_problem!(
    "gan-two-point",
    "Dirac generator vs two data points, quadratic critic (Farnia-Ozdaglar): no local Nash equilibrium, a closed-form proximal one",
    TwoPointParams,
    build
);

#[cfg(test)]
mod tests {
    use super::super::regularized::testing::{check_model, check_regularizers, fd_jacobian};
    use super::*;
    use faer::Col;
    use serde_json::json;

    fn col(v: &[f64]) -> Col<f64> {
        vi_core::linalg::col_from_slice(v)
    }

    fn problem(params: serde_json::Value) -> Problem {
        vi_core::build_problem("gan-two-point", &params, 0).unwrap()
    }

    fn field(p: &mut Problem, at: &[f64]) -> Col<f64> {
        let mut out = Col::zeros(3);
        p.eval(col(at).as_ref(), out.as_mut());
        out
    }

    /// The spectral summary of a Jacobian.
    fn spectrum(j: &Mat<f64>) -> vi_core::diagnostics::Spectrum {
        vi_core::diagnostics::spectrum(j.as_ref()).unwrap()
    }

    #[test]
    fn model_derivatives_match_finite_differences() {
        for (r, eps) in [(1.0, 0.5), (0.6, 2.0)] {
            let mut m = TwoPoint::new(r, eps);
            for at in [col(&[1.0, 0.0, 0.0]), col(&[-0.4, 0.9, 0.3]), col(&[0.7, -1.3, 1.1])] {
                check_model(&mut m, &at, 1e-7);
                check_regularizers(&m, &at, 1e-6);
            }
        }
    }

    #[test]
    fn stationary_points_are_the_closed_form_and_the_only_ones() {
        for (r, eps) in [(1.0, 0.5), (2.0, 0.1), (0.5, 1.0)] {
            let mut g = TwoPoint::new(r, eps);
            let pts = g.stationary_points();
            assert_eq!(pts.len(), if r * r > 0.5 { 3 } else { 1 });
            let mut f = Col::zeros(3);
            for s in &pts {
                g.field(col(s).as_ref(), f.as_mut());
                assert!(f.norm_l2() < 1e-14 * r * r.max(1.0), "r {r}: F({s:?}) = {f:?}");
            }
            // psi is the discriminator's best response, so a zero of F is a zero of
            // Phi'(theta) = (theta + 2 theta (theta^2 - r^2)) / eps; it changes sign only at the
            // closed-form roots.
            let dphi = |t: f64| t + 2.0 * t * (t * t - r * r);
            let mut roots = 0;
            let n = 200_000;
            for k in 0..n {
                let (a, b) = (-3.0 * r + 6.0 * r * k as f64 / n as f64, -3.0 * r + 6.0 * r * (k + 1) as f64 / n as f64);
                if dphi(a) == 0.0 || dphi(a) * dphi(b) < 0.0 {
                    roots += 1;
                    assert!(pts.iter().any(|s| (s[0] - a).abs() <= 6.0 * r / n as f64), "r {r}: extra root at {a}");
                }
            }
            assert_eq!(roots, pts.len(), "r {r}");
        }
        let g = TwoPoint::new(1.0, 0.5);
        let s = 0.5f64.sqrt();
        assert_eq!(g.proximal_equilibrium(), [s, -s / 0.5, 1.0]);
        assert_eq!(g.lambda_max(), 1.0);
    }

    #[test]
    fn no_point_is_a_local_nash_equilibrium() {
        // A local Nash equilibrium needs psi = the discriminator's unique best response
        // g(theta)/eps (V is strictly concave in psi), and theta a local minimum of V(., psi).
        // On a fine grid of theta some generator move of 1e-3 always lowers V; at the
        // stationary points both moves do (concave cost).
        for (r, eps) in [(1.0, 0.5), (1.0, 2.0), (0.5, 1.0), (3.0, 0.2)] {
            let mut g = TwoPoint::new(r, eps);
            let n = 4001;
            for k in 0..n {
                let t = -3.0 * r + 6.0 * r * k as f64 / (n - 1) as f64;
                let psi = [-t / eps, (r * r - t * t) / eps];
                let v = |g: &mut TwoPoint, th: f64| g.value(col(&[th, psi[0], psi[1]]).as_ref());
                let h = 1e-3 * r;
                let v0 = v(&mut g, t);
                assert!(v(&mut g, t - h).min(v(&mut g, t + h)) < v0, "r {r} eps {eps}: ({t}, {psi:?}) is a local NE");
            }
            for s in g.stationary_points() {
                let h = 1e-3 * r;
                let v0 = g.value(col(&s).as_ref());
                for th in [s[0] - h, s[0] + h] {
                    assert!(
                        g.value(col(&[th, s[1], s[2]]).as_ref()) < v0,
                        "r {r}: {s:?} not a strict local max in theta"
                    );
                }
            }
        }
    }

    #[test]
    fn plain_field_repels_from_every_stationary_point() {
        // Defaults r = 1, eps = 0.5: eigenvalues eps = 0.5 and -0.75 +- 1.199i at +- theta*,
        // a saddle at 0; mu = -1/eps = -2 (the generator's block).
        let mut p = problem(json!({}));
        let g = TwoPoint::new(1.0, 0.5);
        for s in g.stationary_points() {
            let j = p.operator_mut().jacobian(col(&s).as_ref()).unwrap();
            let sp = spectrum(&j);
            let min_re = sp.eigenvalues.iter().map(|e| e[0]).fold(f64::INFINITY, f64::min);
            assert!(min_re < -0.5, "{s:?}: {:?}", sp.eigenvalues);
            if s[0] != 0.0 {
                assert!((sp.mu + 2.0).abs() < 1e-12, "{sp:?}");
                let pair = sp.eigenvalues.iter().find(|e| e[1] > 0.0).unwrap();
                assert!((pair[0] + 0.75).abs() < 1e-12 && (pair[1] - 1.4375f64.sqrt()).abs() < 1e-12, "{pair:?}");
            }
        }
    }

    #[test]
    fn proximal_equilibrium_is_a_strongly_monotone_zero_below_lambda_max() {
        let g = TwoPoint::new(1.0, 0.5);
        let sol = g.proximal_equilibrium();
        for lambda in [0.25, 0.5, 0.9, 1.5, 3.0] {
            let lr = 1.0 / (0.5 + lambda);
            let mut p = problem(json!({"reg": "proximal", "prox_lambda": lambda, "prox_lr": lr}));
            assert_eq!(vi_core::linalg::to_vec(p.solution().unwrap()), sol.to_vec());
            assert!(field(&mut p, &sol).norm_l2() < 1e-15, "lambda {lambda}");
            // mu of the proximal field (exact inner step) against the closed form.
            let zs = col(&sol);
            let j = fd_jacobian(&zs, 3, |w, out| p.eval(w, out));
            let sp = spectrum(&j);
            let want = g.proximal_curvature(lambda).min(lambda * 0.5 / (0.5 + lambda));
            assert!((sp.mu - want).abs() < 1e-7, "lambda {lambda}: mu {} vs {want}", sp.mu);
            assert_eq!(sp.mu > 0.0, lambda < g.lambda_max(), "lambda {lambda}");
            // theta* minimises the generator's proximal cost V_prox(., psi*) exactly when
            // lambda < lambda_max; psi* always maximises V_prox(theta*, .).
            let vprox = |t: f64, a: f64, b: f64| {
                let (g1, g2) = (-t + lambda * a, 1.0 - t * t + lambda * b);
                (g1 * g1 + g2 * g2) / (2.0 * (0.5 + lambda)) - 0.5 * lambda * (a * a + b * b)
            };
            let v0 = vprox(sol[0], sol[1], sol[2]);
            let h = 1e-3;
            let gen_min = vprox(sol[0] + h, sol[1], sol[2]) > v0 && vprox(sol[0] - h, sol[1], sol[2]) > v0;
            assert_eq!(gen_min, lambda < g.lambda_max(), "lambda {lambda}");
            for (da, db) in [(h, 0.0), (-h, 0.0), (0.0, h), (0.0, -h)] {
                assert!(vprox(sol[0], sol[1] + da, sol[2] + db) < v0);
            }
        }
        // The Nash limit (lambda -> inf) is the plain generator curvature -2 psi_2* = -1/eps.
        assert_eq!(g.proximal_curvature(f64::INFINITY), -2.0);
    }

    #[test]
    fn solution_is_declared_only_where_the_regularization_keeps_it() {
        for reg in ["none", "proximal", "nk", "jare", "consensus"] {
            let mut p = problem(json!({"reg": reg}));
            let sol = p.solution().unwrap_or_else(|| panic!("{reg}")).to_owned();
            let mut f = Col::zeros(3);
            p.eval(sol.as_ref(), f.as_mut());
            assert!(f.norm_l2() < 1e-15, "{reg}: {f:?}");
        }
        for params in [json!({"reg": "asymmetric"}), json!({"reg": "r1"}), json!({"eps_g": 0.1})] {
            assert!(problem(params.clone()).solution().is_none(), "{params}");
        }
        // The penalty on real samples moves the point: grad_x D != 0 at it.
        let mut p = problem(json!({"reg": "r1"}));
        let s = TwoPoint::new(1.0, 0.5).proximal_equilibrium();
        assert!(field(&mut p, &s).norm_l2() > 0.1);
        let mut p = problem(json!({}));
        let z = p.start().to_owned();
        assert_eq!(vi_core::linalg::to_vec(z.as_ref()), vec![1.0, 0.0, 0.0]);
        let d = p.metrics(col(&[-s[0], -s[1], s[2]]).as_ref())["distance_to_equilibrium"];
        assert_eq!(d, 0.0, "the mirror point is at distance 0");
    }

    #[test]
    fn bad_parameters_name_the_culprit() {
        for (params, culprit) in [
            (json!({"loss": "standard"}), "`loss`"),
            (json!({"r": 0}), "`r`"),
            (json!({"ridge": -1}), "`ridge`"),
            (json!({"reg": "wgan-gp"}), "`reg`"),
            (json!({"reg": "proximal", "prox_lambda": 4, "prox_lr": 1}), "`prox_lr`"),
        ] {
            let e = vi_core::build_problem("gan-two-point", &params, 0).unwrap_err().to_string();
            assert!(e.contains(culprit), "{params}: {e}");
        }
    }
}
