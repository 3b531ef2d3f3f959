//! Diagnostics of the operator's Jacobian `J = DF(z)` (MATH.md section 5).
//!
//! For `J` at a point: its eigenvalues; `mu = lambda_min((J + J^T)/2)` (local strong
//! monotonicity); `L = ||J||_2` (local Lipschitz constant); the phase factor
//! `max |Im lambda| / |Re lambda|` (Nie & Patel); the conditioning factor
//! `max |lambda| / min |lambda|`; and the singular-value condition number.
//!
//! This module is dense (exact decompositions, for dimensions up to about a thousand).

use faer::{ColRef, Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::operator::{dense_jacobian, Operator};

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
    let mut eigenvalues: Vec<[f64; 2]> = ev.iter().map(|c| [c.re, c.im]).collect();
    eigenvalues.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let (lipschitz, mu) = crate::operator::spectral_constants(j)?;
    let sv = j.singular_values().map_err(|e| Error::Numerical(format!("singular values: {e:?}")))?;
    let smin = sv.last().copied().unwrap_or(0.0);
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
    Ok(Spectrum {
        eigenvalues,
        mu,
        lipschitz,
        phase_factor: phase,
        conditioning_factor: if amin > tiny { amax / amin } else { f64::INFINITY },
        singular_condition: if smin > tiny { sv[0] / smin } else { f64::INFINITY },
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use faer::mat;

    #[test]
    fn dirac_gan_jacobian_reference_numbers() {
        // MATH.md 1.6: J = [[eps, 1/2], [-1/2, gamma]].
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
    fn skew_matrix_has_infinite_phase_factor() {
        let s = spectrum(mat![[0.0, 2.0], [-2.0, 0.0]].as_ref()).unwrap();
        assert!(s.phase_factor.is_infinite());
        assert_eq!(s.conditioning_factor, 1.0);
        assert!((s.lipschitz - 2.0).abs() < 1e-12);
    }
}
