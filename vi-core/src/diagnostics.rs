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
//! What the theory predicts from them is each solver's own business
//! ([`crate::Solver::linear_model`], [`crate::theory`]); [`Prediction`] puts the two together.

use faer::{ColRef, Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::operator::{dense_jacobian, Operator};
use crate::theory::{LinearModel, Linearization, PredictedStep};

/// Bounds an operator states on its local strong-monotonicity modulus and Lipschitz constant
/// at a point ([`crate::Operator::local_bounds`]), with the named quantities they are built
/// from. `vi-bench diagnose` prints them beside the measured `mu` and `L` of the Jacobian, and
/// `diagnose --bounds N` checks them at sampled points, reporting every point where one fails.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalBounds {
    /// `mu` should be at least this.
    pub mu_bound: f64,
    /// `L` should be at most this.
    pub lipschitz_bound: f64,
    /// The quantities the bounds are built from, by name.
    pub terms: std::collections::BTreeMap<String, f64>,
    /// Where the bounds come from and what they assume, in one line.
    pub source: String,
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

/// What the theory predicts for one solver at the diagnosed point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The registered solver name.
    pub solver: String,
    /// The solver's linear model ([`crate::Solver::linear_model`]; `null`: none applies).
    pub model: Option<String>,
    /// The step the solver would use (its fixed step, or its rule resolved against the local
    /// `L`).
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
    /// The prediction for `solver`, whose linear model is `model` (or the reason it has none),
    /// at its predicted `step`, on the linearization `lin`.
    pub fn new(
        solver: &str,
        model: std::result::Result<&LinearModel, String>,
        lin: &Linearization<'_>,
        step: Option<PredictedStep>,
    ) -> Self {
        let lip = lin.eigenvalues.iter().map(|l| l.norm()).fold(0.0, f64::max).max(1e-300);
        let (eta, step_rule) = match step {
            Some(s) => (Some(s.step), s.rule),
            None => (None, "not determined by L and mu".to_string()),
        };
        let mut p = Self {
            solver: solver.to_string(),
            model: None,
            step: eta,
            step_rule,
            max_stable_step: None,
            rate: None,
            rate_per_call: None,
            calls_per_iteration: None,
            measured_rate: None,
            measured_iterations: None,
            note: String::new(),
        };
        match model {
            Ok(m) => {
                p.model = Some(m.name().to_string());
                p.calls_per_iteration = Some(m.calls_per_iteration());
                p.note = m.note().to_string();
                if m.needs_jacobian() && lin.jacobian.nrows() == 0 {
                    p.add_note("matrix-free mode: this model needs the dense Jacobian");
                    return p;
                }
                // Scan up to well past every method's bound (4 / |lambda|_max).
                p.max_stable_step = m.max_stable_step(lin, 4.0 / lip);
                p.rate = eta.and_then(|e| m.rate(lin, e));
                p.rate_per_call = p.rate.map(|r| r.powf(1.0 / f64::from(m.calls_per_iteration())));
            }
            Err(why) => p.note = why,
        }
        p
    }

    /// Appends a remark to the note.
    pub fn add_note(&mut self, note: &str) {
        if !self.note.is_empty() {
            self.note.push_str("; ");
        }
        self.note.push_str(note);
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
