//! Diagnostics of the operator's Jacobian `J = DF(z)` (docs/math.md §5).
//!
//! For `J` at a point: its eigenvalues; `mu = lambda_min((J + J^T)/2)` (local strong
//! monotonicity); `L = ||J||_2` (local Lipschitz constant); the phase factor
//! `max |Im lambda| / |Re lambda|` (Nie & Patel); the conditioning factor
//! `max |lambda| / min |lambda|`; and the singular-value condition number.
//!
//! Two ways to get them:
//! - [`analyze`] / [`spectrum`]: dense, exact decompositions (dimensions up to about a
//!   thousand), from the analytic Jacobian when the operator has one, else finite differences.
//! - [`krylov_spectrum`]: matrix-free, `k` steps of Arnoldi on Jacobian-vector products. With
//!   `J V_k = V_{k+1} H` (`H` is `(k+1) x k` Hessenberg): the Ritz values (eigenvalues of the
//!   square part `H_k`) approximate the extremal eigenvalues; `sigma_max(H)` is a lower bound
//!   on `||J||` (it maximises `||J x|| / ||x||` over the Krylov space) that converges as `k`
//!   grows; `lambda_min((H_k + H_k^T)/2)` is the Rayleigh-Ritz estimate (an upper bound) of
//!   `mu`, since `V_k^T J^T V_k = H_k^T`. Only JVPs are needed, no transposed products.
//!
//! And what the theory predicts from them (docs/math.md §2, §3.3 and §5), for the linearisation
//! `F(z) ~ J (z - z*)` and each method's linear recursion, per eigenvalue `lambda` of `J`:
//!
//! | method | per-step factor | notes |
//! |---|---|---|
//! | GDA | `max |1 - eta lambda|` | stable iff `eta < min 2 Re(lambda) / |lambda|^2` |
//! | alternating GDA | spectral radius of the Gauss-Seidel sweep matrix | needs the blocks |
//! | extragradient | `max |1 - eta lambda + eta^2 lambda^2|` | |
//! | EFTP / OGDA / reflected gradient | largest root of `t^2 - (1 - 2 eta lambda) t - eta lambda` | the same method unconstrained (docs/math.md §2.4) |
//! | GRAAL (fixed step, `phi`) | largest root of `t^2 - (1 - eta lambda) t - eta lambda / phi` | from `zbar_k = ((phi-1) z_k + zbar_{k-1}) / phi` |
//!
//! [`LinearModel::max_stable_step`] finds the largest step with factor `< 1` (exact for GDA,
//! by scanning and bisection for the others).

use faer::{ColRef, Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::operator::{dense_jacobian, Operator};

/// The derived bounds of docs/math.md §1.4 on the local strong-monotonicity modulus and
/// Lipschitz constant of a regularized GAN operator at a point, with the terms they are built
/// from ([`crate::Operator::regularization_bounds`]). They assume a zero-sum game and a penalty
/// `R` that depends on the discriminator only, and use the Gauss-Newton Gramian `G` for the
/// Hessian of `R`; the measured `mu`, `L` of the Jacobian may violate them where that fails.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegularizationBounds {
    /// `min(generator_term, discriminator_term)`: `mu` should be at least this.
    pub mu_bound: f64,
    /// `base_lipschitz + max(eps_g, eps_d + gamma penalty_lipschitz)`: `L` should be at most this.
    pub lipschitz_bound: f64,
    /// `lambda_min(Hess_tt J_G) + eps_g`.
    pub generator_term: f64,
    /// `lambda_min(-Hess_pp V) + gamma sigma + eps_d`.
    pub discriminator_term: f64,
    /// `lambda_min(G)`, the identifiability constant (0 without a penalty).
    pub sigma: f64,
    /// `lambda_max(G)`, the Gauss-Newton estimate of `||Hess_psi R||` (0 without a penalty).
    pub penalty_lipschitz: f64,
    /// `||J_F||` of the unregularized field.
    pub base_lipschitz: f64,
}

/// The spectral summary of a Jacobian.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    /// Eigenvalues as `[re, im]`, sorted by real part then imaginary part.
    pub eigenvalues: Vec<[f64; 2]>,
    /// `lambda_min` of the symmetric part.
    pub mu: f64,
    /// Spectral norm.
    pub lipschitz: f64,
    /// `max_i |Im lambda_i| / |Re lambda_i|` (infinite if some eigenvalue is purely imaginary
    /// and nonzero).
    pub phase_factor: f64,
    /// `max |lambda| / min |lambda|` (infinite for a singular Jacobian).
    pub conditioning_factor: f64,
    /// `sigma_max / sigma_min`.
    pub singular_condition: f64,
}

/// The spectral summary of a dense matrix.
///
/// # Errors
/// [`Error::Numerical`] if a decomposition fails, [`Error::NonFinite`] for NaN entries.
pub fn spectrum(j: MatRef<'_, f64>) -> Result<Spectrum> {
    let n = j.nrows();
    if n != j.ncols() {
        return Err(Error::dim("Jacobian (square)", n, j.ncols()));
    }
    if !j.is_all_finite() {
        return Err(Error::NonFinite("Jacobian".into()));
    }
    let ev = j.eigenvalues().map_err(|e| Error::Numerical(format!("eigenvalues: {e:?}")))?;
    let eigenvalues: Vec<[f64; 2]> = ev.iter().map(|c| [c.re, c.im]).collect();
    let (lipschitz, mu) = crate::operator::spectral_constants(j)?;
    let sv = j.singular_values().map_err(|e| Error::Numerical(format!("singular values: {e:?}")))?;
    let smin = sv.last().copied().unwrap_or(0.0);
    Ok(summarize(eigenvalues, mu, lipschitz, smin))
}

/// The Jacobian of `op` at `z` (analytic if available, else finite differences) and its
/// spectral summary.
///
/// # Errors
/// As [`spectrum`].
pub fn analyze(op: &mut dyn Operator, z: ColRef<'_, f64>) -> Result<(Mat<f64>, Spectrum)> {
    if z.nrows() != op.dim() {
        return Err(Error::dim("diagnostic point", op.dim(), z.nrows()));
    }
    let j = dense_jacobian(op, z);
    let s = spectrum(j.as_ref())?;
    Ok((j, s))
}

/// How the Jacobian was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JacobianSource {
    /// The operator's own [`Operator::jacobian`].
    Analytic,
    /// Columns from [`Operator::jvp`] (analytic or finite differences, as the operator provides).
    JacobianVectorProducts,
}

/// The dense Jacobian of `op` at `z` and where it came from.
///
/// # Errors
/// [`Error::Dimension`] if `z` has the wrong length.
pub fn jacobian_with_source(op: &mut dyn Operator, z: ColRef<'_, f64>) -> Result<(Mat<f64>, JacobianSource)> {
    if z.nrows() != op.dim() {
        return Err(Error::dim("diagnostic point", op.dim(), z.nrows()));
    }
    match op.jacobian(z) {
        Some(j) => Ok((j, JacobianSource::Analytic)),
        None => Ok((dense_jacobian(op, z), JacobianSource::JacobianVectorProducts)),
    }
}

/// Matrix-free spectral estimates from `k` Arnoldi steps on Jacobian-vector products (see the
/// module documentation for what each field then means). The start vector is deterministic.
///
/// # Errors
/// [`Error::Dimension`] for a wrong point, [`Error::Numerical`] if a decomposition fails,
/// [`Error::NonFinite`] if a product is not finite.
pub fn krylov_spectrum(op: &mut dyn Operator, z: ColRef<'_, f64>, k: usize) -> Result<Spectrum> {
    let n = op.dim();
    if z.nrows() != n {
        return Err(Error::dim("diagnostic point", n, z.nrows()));
    }
    let k = k.clamp(1, n);
    let mut v = Mat::<f64>::zeros(n, k + 1);
    let mut h = Mat::<f64>::zeros(k + 1, k);
    // Deterministic, generic start vector.
    let mut norm = 0.0;
    for i in 0..n {
        let x = ((i as f64 + 1.0) * 0.618_033_988_749_895).fract() - 0.5;
        v[(i, 0)] = x;
        norm += x * x;
    }
    let norm = norm.sqrt();
    for i in 0..n {
        v[(i, 0)] /= norm;
    }
    let mut w = faer::Col::<f64>::zeros(n);
    let mut m = k;
    for j in 0..k {
        op.jvp(z, v.col(j), w.as_mut());
        if !crate::linalg::all_finite(w.as_ref()) {
            return Err(Error::NonFinite("Jacobian-vector product".into()));
        }
        // Modified Gram-Schmidt, twice (re-orthogonalisation).
        for _ in 0..2 {
            for i in 0..=j {
                let c = crate::linalg::dot(v.col(i), w.as_ref());
                h[(i, j)] += c;
                crate::linalg::axpy(-c, v.col(i), w.as_mut());
            }
        }
        let beta = w.norm_l2();
        h[(j + 1, j)] = beta;
        if beta <= 1e-13 * h.col(j).norm_l2().max(f64::MIN_POSITIVE) {
            // Invariant subspace found: the Ritz values are exact eigenvalues.
            m = j + 1;
            break;
        }
        for i in 0..n {
            v[(i, j + 1)] = w[i] / beta;
        }
    }
    let hk = Mat::from_fn(m, m, |a, b| h[(a, b)]);
    let hbar = Mat::from_fn(m + 1, m, |a, b| h[(a, b)]);
    let ev = hk.eigenvalues().map_err(|e| Error::Numerical(format!("Ritz values: {e:?}")))?;
    let eigenvalues: Vec<[f64; 2]> = ev.iter().map(|c| [c.re, c.im]).collect();
    let sv = hbar.singular_values().map_err(|e| Error::Numerical(format!("singular values: {e:?}")))?;
    let sym = Mat::from_fn(m, m, |a, b| 0.5 * (hk[(a, b)] + hk[(b, a)]));
    let mu = sym
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .map_err(|e| Error::Numerical(format!("symmetric eigenvalues: {e:?}")))?[0];
    let smin = sv.last().copied().unwrap_or(0.0);
    Ok(summarize(eigenvalues, mu, sv[0], smin))
}

/// Builds a [`Spectrum`] from eigenvalues, `mu`, `sigma_max` and `sigma_min`.
fn summarize(mut eigenvalues: Vec<[f64; 2]>, mu: f64, lipschitz: f64, smin: f64) -> Spectrum {
    eigenvalues.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let scale = lipschitz.max(f64::MIN_POSITIVE);
    let tiny = 1e-12 * scale;
    let mut phase: f64 = 0.0;
    let (mut amax, mut amin): (f64, f64) = (0.0, f64::INFINITY);
    for [re, im] in &eigenvalues {
        let a = re.hypot(*im);
        amax = amax.max(a);
        amin = amin.min(a);
        if im.abs() > tiny {
            phase = phase.max(if re.abs() > tiny { im.abs() / re.abs() } else { f64::INFINITY });
        }
    }
    Spectrum {
        eigenvalues,
        mu,
        lipschitz,
        phase_factor: phase,
        conditioning_factor: if amin > tiny { amax / amin } else { f64::INFINITY },
        singular_condition: if smin > tiny { lipschitz / smin } else { f64::INFINITY },
    }
}

/// The smallest and largest eigenvalues of a symmetric matrix (e.g. a Gauss-Newton Gramian).
///
/// # Errors
/// [`Error::Numerical`] if the decomposition fails, [`Error::Dimension`] if not square.
pub fn symmetric_extremes(g: MatRef<'_, f64>) -> Result<(f64, f64)> {
    if g.nrows() != g.ncols() {
        return Err(Error::dim("symmetric matrix (square)", g.nrows(), g.ncols()));
    }
    if g.nrows() == 0 {
        return Ok((0.0, 0.0));
    }
    let ev = g
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .map_err(|e| Error::Numerical(format!("symmetric eigenvalues: {e:?}")))?;
    Ok((ev[0], ev[ev.len() - 1]))
}

/// A complex number, just enough arithmetic for the rate formulas.
#[derive(Clone, Copy, Debug, PartialEq)]
struct C(f64, f64);

impl C {
    fn add(self, o: C) -> C {
        C(self.0 + o.0, self.1 + o.1)
    }
    fn sub(self, o: C) -> C {
        C(self.0 - o.0, self.1 - o.1)
    }
    fn mul(self, o: C) -> C {
        C(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
    }
    fn scale(self, a: f64) -> C {
        C(a * self.0, a * self.1)
    }
    fn abs(self) -> f64 {
        self.0.hypot(self.1)
    }
    fn sqrt(self) -> C {
        let r = self.abs();
        let re = ((r + self.0) / 2.0).max(0.0).sqrt();
        let im = ((r - self.0) / 2.0).max(0.0).sqrt();
        C(re, if self.1 < 0.0 { -im } else { im })
    }
}

/// The larger modulus of the roots of `t^2 - b t - c = 0`.
fn max_root(b: C, c: C) -> f64 {
    let disc = b.mul(b).add(c.scale(4.0)).sqrt();
    let r1 = b.add(disc).scale(0.5);
    let r2 = b.sub(disc).scale(0.5);
    r1.abs().max(r2.abs())
}

/// The linear recursion a method follows on `F(z) = J (z - z*)` (unconstrained).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinearModel {
    /// `z+ = z - eta F(z)`.
    Gda,
    /// Gauss-Seidel sweep over two blocks (`generator` first, `p` coordinates).
    AlternatingGda,
    /// Korpelevich's extragradient.
    Extragradient,
    /// EFTP / Popov / OGDA / reflected gradient (one method when unconstrained).
    Optimistic,
    /// GRAAL with constant step and parameter `phi`.
    Graal(f64),
}

impl LinearModel {
    /// The model of a registered solver name, if it has a linear rate (anchored and
    /// continuation methods, `eag` and `tikhonov`, converge sublinearly or in stages: `None`).
    pub fn for_solver(name: &str) -> Option<Self> {
        match name {
            "gda" => Some(Self::Gda),
            "alternating-gda" => Some(Self::AlternatingGda),
            "extragradient" | "eg" => Some(Self::Extragradient),
            "eftp" | "ogda" | "prg" | "popov" | "frb" | "optimistic" => Some(Self::Optimistic),
            "graal" => Some(Self::Graal((1.0 + 5f64.sqrt()) / 2.0)),
            "agraal" => Some(Self::Graal(1.5)),
            _ => None,
        }
    }

    /// Oracle calls per iteration of the method (2 for extragradient and for an alternating
    /// sweep over two players).
    pub fn calls_per_iteration(self) -> u32 {
        match self {
            Self::Extragradient | Self::AlternatingGda => 2,
            _ => 1,
        }
    }

    /// The predicted per-iteration contraction factor at step `eta` for the Jacobian `j` (with
    /// eigenvalues `eigs`) and `p` generator coordinates (used by the alternating sweep).
    pub fn rate(self, j: MatRef<'_, f64>, eigs: &[[f64; 2]], p: usize, eta: f64) -> f64 {
        let one = C(1.0, 0.0);
        let each = |f: &dyn Fn(C) -> f64| eigs.iter().map(|&[re, im]| f(C(re, im))).fold(0.0, f64::max);
        match self {
            Self::Gda => each(&|l| one.sub(l.scale(eta)).abs()),
            Self::Extragradient => each(&|l| one.sub(l.scale(eta)).add(l.mul(l).scale(eta * eta)).abs()),
            Self::Optimistic => each(&|l| max_root(one.sub(l.scale(2.0 * eta)), l.scale(eta))),
            Self::Graal(phi) => each(&|l| max_root(one.sub(l.scale(eta)), l.scale(eta / phi))),
            Self::AlternatingGda => alternating_radius(j, p, eta),
        }
    }

    /// The largest `eta` (up to `hi`) below which the factor stays `< 1`, starting from 0:
    /// exact `min 2 Re(lambda) / |lambda|^2` for GDA, otherwise a log-spaced scan of
    /// `[1e-4 hi, hi]` refined by bisection at the first crossing. `0` when no step in the scan
    /// contracts.
    pub fn max_stable_step(self, j: MatRef<'_, f64>, eigs: &[[f64; 2]], p: usize, hi: f64) -> f64 {
        if self == Self::Gda {
            return eigs
                .iter()
                .map(|&[re, im]| {
                    let a2 = re * re + im * im;
                    if a2 == 0.0 {
                        f64::INFINITY
                    } else {
                        (2.0 * re / a2).max(0.0)
                    }
                })
                .fold(f64::INFINITY, f64::min)
                .min(hi);
        }
        let stable = |eta: f64| self.rate(j, eigs, p, eta) < 1.0;
        let grid = 400;
        let lo_exp = -4.0f64;
        let mut prev = 0.0;
        for i in 0..=grid {
            let eta = hi * 10f64.powf(lo_exp * (1.0 - i as f64 / grid as f64));
            if !stable(eta) {
                if i == 0 {
                    return 0.0;
                }
                let (mut a, mut b) = (prev, eta);
                for _ in 0..60 {
                    let m = 0.5 * (a + b);
                    if stable(m) {
                        a = m;
                    } else {
                        b = m;
                    }
                }
                return a;
            }
            prev = eta;
        }
        hi
    }
}

/// Spectral radius of the alternating (generator first) GDA sweep on `F = J z`:
/// `[[I - eta A, -eta B], [-eta C (I - eta A), I - eta D + eta^2 C B]]` with
/// `J = [[A, B], [C, D]]` and `A` of size `p`.
fn alternating_radius(j: MatRef<'_, f64>, p: usize, eta: f64) -> f64 {
    let n = j.nrows();
    let p = p.min(n);
    // Apply the sweep to each basis vector.
    let mut m = Mat::<f64>::zeros(n, n);
    for c in 0..n {
        let mut z: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i == c))).collect();
        let f: Vec<f64> = (0..p).map(|r| (0..n).map(|k| j[(r, k)] * z[k]).sum()).collect();
        for r in 0..p {
            z[r] -= eta * f[r];
        }
        let g: Vec<f64> = (p..n).map(|r| (0..n).map(|k| j[(r, k)] * z[k]).sum()).collect();
        for r in p..n {
            z[r] -= eta * g[r - p];
        }
        for r in 0..n {
            m[(r, c)] = z[r];
        }
    }
    m.eigenvalues().map(|ev| ev.iter().map(|c| c.re.hypot(c.im)).fold(0.0, f64::max)).unwrap_or(f64::NAN)
}

/// What the theory predicts for one solver at the diagnosed point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The registered solver name.
    pub solver: String,
    /// The linear model used (`null`: none applies, e.g. anchored or continuation methods).
    pub model: Option<LinearModel>,
    /// The step the solver would use (its fixed step, or its default rule resolved against the
    /// local `L`).
    pub step: Option<f64>,
    /// How `step` was obtained.
    pub step_rule: String,
    /// The largest step with a predicted factor `< 1` (stable range `(0, max_stable_step)`).
    pub max_stable_step: Option<f64>,
    /// Predicted factor per iteration at `step`.
    pub rate: Option<f64>,
    /// Predicted factor per oracle call (`rate^(1 / calls_per_iteration)`).
    pub rate_per_call: Option<f64>,
    /// Oracle calls per iteration.
    pub calls_per_iteration: Option<u32>,
    /// Measured factor per iteration from a short run near the point (filled by the caller).
    pub measured_rate: Option<f64>,
    /// Iterations of that run.
    pub measured_iterations: Option<u64>,
    /// Anything worth knowing (why there is no prediction, why no measurement).
    pub note: String,
}

impl Prediction {
    /// The prediction for `solver` at step `step` (`None`: unknown step) on Jacobian `j`.
    pub fn new(solver: &str, j: MatRef<'_, f64>, eigs: &[[f64; 2]], p: usize, step: Option<f64>, rule: String) -> Self {
        let model = LinearModel::for_solver(solver);
        let lip = eigs.iter().map(|[a, b]| a.hypot(*b)).fold(0.0, f64::max).max(1e-300);
        let (mut rate, mut stable, mut per_call, mut calls) = (None, None, None, None);
        let mut note = String::new();
        match model {
            Some(m) => {
                // Scan up to well past every method's bound (4 / |lambda|_max).
                stable = Some(m.max_stable_step(j, eigs, p, 4.0 / lip));
                calls = Some(m.calls_per_iteration());
                if let Some(eta) = step {
                    let r = m.rate(j, eigs, p, eta);
                    rate = Some(r);
                    per_call = Some(r.powf(1.0 / f64::from(m.calls_per_iteration())));
                }
                if matches!(m, LinearModel::Graal(_)) && solver == "agraal" {
                    note =
                        "adaptive steps: predicted with GRAAL's fixed-step recursion (phi = 1.5) at the initial step"
                            .into();
                }
            }
            None => {
                note = format!("no linear-rate model for `{solver}` (anchored / continuation methods converge sublinearly or in stages)");
            }
        }
        Self {
            solver: solver.to_string(),
            model,
            step,
            step_rule: rule,
            max_stable_step: stable,
            rate,
            rate_per_call: per_call,
            calls_per_iteration: calls,
            measured_rate: None,
            measured_iterations: None,
            note,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::mat;

    #[test]
    fn dirac_gan_jacobian_reference_numbers() {
        // docs/math.md §1.6: J = [[eps, 1/2], [-1/2, gamma]].
        let s = spectrum(mat![[0.0, 0.5], [-0.5, 0.3]].as_ref()).unwrap();
        assert!((s.eigenvalues[0][0] - 0.15).abs() < 1e-12);
        assert!((s.eigenvalues[1][1].abs() - 0.477).abs() < 1e-3);
        assert!(s.mu.abs() < 1e-12);
        let s = spectrum(mat![[0.1, 0.5], [-0.5, 0.3]].as_ref()).unwrap();
        assert!((s.eigenvalues[0][0] - 0.2).abs() < 1e-12);
        assert!((s.eigenvalues[1][1].abs() - 0.490).abs() < 1e-3);
        assert!((s.mu - 0.1).abs() < 1e-12);
        assert!((s.lipschitz - 0.639).abs() < 1e-3);
    }

    #[test]
    fn linear_rates_match_math_formulas() {
        // One eigenvalue pair a +- ib (docs/math.md §3.3): the factors are exact.
        let j = mat![[0.2, 0.49], [-0.49, 0.2]];
        let eigs = spectrum(j.as_ref()).unwrap().eigenvalues;
        let eta = 0.2;
        let l = C(0.2, 0.49);
        let gda = LinearModel::Gda.rate(j.as_ref(), &eigs, 1, eta);
        assert!((gda - C(1.0 - eta * 0.2, -eta * 0.49).abs()).abs() < 1e-12);
        let eg = LinearModel::Extragradient.rate(j.as_ref(), &eigs, 1, eta);
        let want = C(1.0, 0.0).sub(l.scale(eta)).add(l.mul(l).scale(eta * eta)).abs();
        assert!((eg - want).abs() < 1e-12);
        // GDA stable range: 2 Re / |lambda|^2.
        let smax = LinearModel::Gda.max_stable_step(j.as_ref(), &eigs, 1, 100.0);
        assert!((smax - 0.4 / (0.04 + 0.49 * 0.49)).abs() < 1e-12);
        // Bilinear x*y (lambda = +- i): EG stable iff eta < 1, EFTP iff eta < 1/sqrt(3)
        // (docs/math.md §2.3, §2.4); GDA never.
        let xy = mat![[0.0, 1.0], [-1.0, 0.0]];
        let e = spectrum(xy.as_ref()).unwrap().eigenvalues;
        assert_eq!(LinearModel::Gda.max_stable_step(xy.as_ref(), &e, 1, 4.0), 0.0);
        let s = LinearModel::Extragradient.max_stable_step(xy.as_ref(), &e, 1, 4.0);
        assert!((s - 1.0).abs() < 1e-6, "{s}");
        let s = LinearModel::Optimistic.max_stable_step(xy.as_ref(), &e, 1, 4.0);
        assert!((s - 1.0 / 3f64.sqrt()).abs() < 1e-6, "{s}");
        // Alternating GDA on x*y: determinant 1, eigenvalues on the unit circle for eta < 2.
        let r = LinearModel::AlternatingGda.rate(xy.as_ref(), &e, 1, 0.5);
        assert!((r - 1.0).abs() < 1e-12, "{r}");
        // EFTP on one real eigenvalue lambda: roots of t^2 - (1 - 2 eta l) t - eta l.
        let one = mat![[1.0]];
        let r = LinearModel::Optimistic.rate(one.as_ref(), &[[1.0, 0.0]], 1, 0.25);
        let want = (0.5 + (0.25f64 + 1.0).sqrt()) / 2.0;
        assert!((r - want).abs() < 1e-12, "{r} vs {want}");
    }

    #[test]
    fn krylov_estimates_match_dense_on_a_large_block_diagonal_operator() {
        // 2x2 blocks [[a, b], [-b, a]] with a in [0.1, 1], b in [0, 2]: eigenvalues a +- ib.
        let blocks = 600;
        let n = 2 * blocks;
        let ab: Vec<(f64, f64)> = (0..blocks)
            .map(|k| (0.1 + 0.9 * k as f64 / (blocks - 1) as f64, 2.0 * ((k * 7 % 13) as f64 / 12.0)))
            .collect();
        let op_ab = ab.clone();
        let mut op = crate::operator::FnOperator::new(n, move |z, mut out| {
            for (k, (a, b)) in op_ab.iter().enumerate() {
                out[2 * k] = a * z[2 * k] + b * z[2 * k + 1];
                out[2 * k + 1] = -b * z[2 * k] + a * z[2 * k + 1];
            }
        });
        let z = faer::Col::<f64>::zeros(n);
        let s = krylov_spectrum(&mut op, z.as_ref(), 80).unwrap();
        let lmax = ab.iter().map(|(a, b)| a.hypot(*b)).fold(0.0, f64::max);
        assert!(s.lipschitz <= lmax * (1.0 + 1e-6) && s.lipschitz > 0.97 * lmax, "{} vs {lmax}", s.lipschitz);
        assert!(s.mu >= 0.1 - 1e-9 && s.mu < 0.13, "mu {}", s.mu);
        let rmax = s.eigenvalues.iter().map(|e| e[0].hypot(e[1])).fold(0.0, f64::max);
        assert!((rmax - lmax).abs() < 0.03 * lmax, "largest Ritz value {rmax} vs {lmax}");
    }

    #[test]
    fn skew_matrix_has_infinite_phase_factor() {
        let s = spectrum(mat![[0.0, 2.0], [-2.0, 0.0]].as_ref()).unwrap();
        assert!(s.phase_factor.is_infinite());
        assert_eq!(s.conditioning_factor, 1.0);
        assert!((s.lipschitz - 2.0).abs() < 1e-12);
    }
}
