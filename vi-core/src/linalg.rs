//! Small allocation-free vector kernels on faer column views, shared by solvers and problems.
//!
//! Every function writes into a caller-owned [`ColMut`]; none allocates. They are thin wrappers
//! over `faer::zip!` so that update rules read like their formulas.

use faer::{unzip, zip, ColMut, ColRef};

/// `y <- y + alpha * x`.
#[inline]
pub fn axpy(alpha: f64, x: ColRef<'_, f64>, y: ColMut<'_, f64>) {
    zip!(y, x).for_each(|unzip!(y, x)| *y += alpha * *x);
}

/// `out <- x + alpha * y`.
#[inline]
pub fn add_scaled(out: ColMut<'_, f64>, x: ColRef<'_, f64>, alpha: f64, y: ColRef<'_, f64>) {
    zip!(out, x, y).for_each(|unzip!(o, x, y)| *o = *x + alpha * *y);
}

/// `out <- a * x + b * y`.
#[inline]
pub fn lincomb(out: ColMut<'_, f64>, a: f64, x: ColRef<'_, f64>, b: f64, y: ColRef<'_, f64>) {
    zip!(out, x, y).for_each(|unzip!(o, x, y)| *o = a * *x + b * *y);
}

/// `<x, y>`.
#[inline]
pub fn dot(x: ColRef<'_, f64>, y: ColRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    zip!(x, y).for_each(|unzip!(x, y)| s += *x * *y);
    s
}

/// `||x - y||_2`.
#[inline]
pub fn dist(x: ColRef<'_, f64>, y: ColRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    zip!(x, y).for_each(|unzip!(x, y)| {
        let d = *x - *y;
        s += d * d;
    });
    s.sqrt()
}

/// `||x||_2`.
#[inline]
pub fn norm(x: ColRef<'_, f64>) -> f64 {
    x.norm_l2()
}

/// True when every entry is finite.
#[inline]
pub fn all_finite(x: ColRef<'_, f64>) -> bool {
    x.iter().all(|v| v.is_finite())
}

/// True when some entry is NaN.
#[inline]
pub fn has_nan(x: ColRef<'_, f64>) -> bool {
    x.iter().any(|v| v.is_nan())
}

/// Copies a column into a plain `Vec<f64>` (for serialization; faer 0.24 has no serde).
pub fn to_vec(x: ColRef<'_, f64>) -> Vec<f64> {
    x.iter().copied().collect()
}

/// Builds an owned column from a slice.
pub fn col_from_slice(x: &[f64]) -> faer::Col<f64> {
    faer::Col::from_fn(x.len(), |i| x[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Col;

    #[test]
    fn kernels_match_formulas() {
        let x = col_from_slice(&[1.0, 2.0, 3.0]);
        let mut y = col_from_slice(&[1.0, 1.0, 1.0]);
        axpy(2.0, x.as_ref(), y.as_mut());
        assert_eq!(to_vec(y.as_ref()), vec![3.0, 5.0, 7.0]);
        let mut out = Col::<f64>::zeros(3);
        lincomb(out.as_mut(), 2.0, x.as_ref(), -1.0, y.as_ref());
        assert_eq!(to_vec(out.as_ref()), vec![-1.0, -1.0, -1.0]);
        add_scaled(out.as_mut(), x.as_ref(), 0.5, y.as_ref());
        assert_eq!(to_vec(out.as_ref()), vec![2.5, 4.5, 6.5]);
        assert_eq!(dot(x.as_ref(), y.as_ref()), 3.0 + 10.0 + 21.0);
        assert!((dist(x.as_ref(), y.as_ref()) - (4.0f64 + 9.0 + 16.0).sqrt()).abs() < 1e-15);
        assert!(all_finite(x.as_ref()));
        let bad = col_from_slice(&[1.0, f64::NAN]);
        assert!(!all_finite(bad.as_ref()) && has_nan(bad.as_ref()));
    }
}
