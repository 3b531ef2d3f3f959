//! Operators `F: R^n -> R^n`, the heart of a variational inequality.
//!
//! An [`Operator`] evaluates into a caller-owned output (`eval(z, out)`) and never returns a
//! fresh vector. Evaluation takes `&mut self` so that an operator may keep scratch buffers and a
//! random number generator (minibatch oracles). Operators are cloneable as trait objects
//! ([`dyn_clone`]) so that every run owns its copy.
//!
//! What an operator may know about itself, all optional: its Lipschitz constant `L`, its
//! strong-monotonicity modulus `mu`, whether it is monotone, its Jacobian-vector product (default:
//! central finite differences) and its dense Jacobian (allocated, or written into a caller-owned
//! matrix by [`Operator::jacobian_into`] for Newton methods) and its sparse Jacobian (a pattern
//! fixed once, [`Operator::jacobian_pattern`], and values refreshed into a caller-owned slice,
//! [`Operator::jacobian_values_into`]).
//!
//! Provided here: [`AffineOperator`] (`F(z) = M z + q`, dense, on faer), the Tikhonov term
//! [`TikhonovTerm`] (`eps_b (z - anchor)` with one weight per block, which a problem adds to `F`
//! during Tikhonov continuation) and [`FnOperator`] (a closure, for quick experiments).

use faer::linalg::matmul::matmul;
use faer::prelude::ReborrowMut;
use faer::sparse::{SymbolicSparseColMat, SymbolicSparseColMatRef};
use faer::{Accum, Col, ColMut, ColRef, Mat, MatMut, MatRef, Par};

use crate::error::{Error, Result};
use crate::finite_sum::FiniteSum;
use crate::linalg;
use crate::sets::Block;

/// What is known about the monotonicity of an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Monotonicity {
    /// `<F(z) - F(w), z - w> >= mu ||z - w||^2` with `mu > 0`.
    StronglyMonotone,
    /// `<F(z) - F(w), z - w> >= 0`.
    Monotone,
    /// Known not to be monotone everywhere (e.g. a GAN with nonlinear players).
    NonMonotone,
    /// Nothing is claimed.
    Unknown,
}

/// A vector field `F: R^n -> R^n` (the VI operator).
///
/// Implementors must not allocate in [`Operator::eval`] after the first call.
pub trait Operator: dyn_clone::DynClone + Send {
    /// The dimension `n`.
    fn dim(&self) -> usize;

    /// Writes `F(z)` into `out`. `z` and `out` have length [`Operator::dim`].
    fn eval(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>);

    /// A deterministic evaluation used for monitoring (residuals, diagnostics), which must not
    /// advance any random state that [`Operator::eval`] uses. Stochastic oracles override it
    /// with a full-batch or fixed-sample evaluation; deterministic operators keep the default.
    fn eval_monitor(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.eval(z, out)
    }

    /// Whether [`Operator::eval`] returns `F(z)` itself (the default), not a sample of it: the
    /// runner then takes the residual at a point from the value a solver already holds there
    /// ([`crate::Problem::natural_residual_at_evaluated`]). Stochastic oracles return `false`.
    fn eval_is_exact(&self) -> bool {
        true
    }

    /// A global Lipschitz constant, if known.
    fn lipschitz(&self) -> Option<f64> {
        None
    }

    /// A global strong-monotonicity modulus `mu >= 0`, if known.
    fn strong_monotonicity(&self) -> Option<f64> {
        None
    }

    /// What is known about monotonicity.
    fn monotonicity(&self) -> Monotonicity {
        Monotonicity::Unknown
    }

    /// Jacobian-vector product `J(z) v` into `out`.
    ///
    /// The default uses central finite differences of [`Operator::eval_monitor`] with step
    /// `h = sqrt(eps) * max(1, ||z||) / ||v||`; it allocates two temporaries and is meant for
    /// diagnostics, not for hot paths.
    fn jvp(&mut self, z: ColRef<'_, f64>, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        finite_difference_jvp(self, z, v, out)
    }

    /// The dense Jacobian `J(z)` when the operator can form it analytically.
    fn jacobian(&mut self, _z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        None
    }

    /// Writes the Jacobian `J(z)` into the caller-owned `n x n` matrix `out` and returns `true`
    /// when the operator can form it analytically; returns `false` (leaving `out` unspecified)
    /// otherwise, and the caller falls back to finite differences. Implementations must not
    /// allocate; Newton methods call it once per iteration.
    fn jacobian_into(&mut self, _z: ColRef<'_, f64>, _out: MatMut<'_, f64>) -> bool {
        false
    }

    /// The sparsity pattern of the Jacobian when the operator can form it sparse: an `n x n`
    /// compressed-sparse-column pattern, row indices increasing within each column, that
    /// contains every diagonal entry (stored zeros allowed), so diagonal shifts (Tikhonov, Newton
    /// systems `D_a + D_b J`) need no new entries ([`check_jacobian_pattern`] checks this). The
    /// pattern is fixed for the operator's lifetime; callers ask once (at `init`); may allocate.
    fn jacobian_pattern(&self) -> Option<SymbolicSparseColMat<usize>> {
        None
    }

    /// Writes the values of `J(z)` in the order of [`Operator::jacobian_pattern`] (column by
    /// column) into `values` (its length is the pattern's number of entries) and returns `true`;
    /// returns `false` when the operator has no sparse Jacobian. Must not allocate.
    fn jacobian_values_into(&mut self, _z: ColRef<'_, f64>, _values: &mut [f64]) -> bool {
        false
    }

    /// Bounds on the local strong-monotonicity modulus and Lipschitz constant at `z` that the
    /// operator can derive from its structure (e.g. a regularized GAN's from the Gauss-Newton
    /// Gramian of its gradient penalty, docs/math.md §1.4), for `diagnose` to set beside the
    /// measured ones. Diagnostics only; may allocate.
    fn local_bounds(&mut self, _z: ColRef<'_, f64>) -> Option<crate::diagnostics::LocalBounds> {
        None
    }

    /// The finite-sum structure `F = (1/N) sum_i F_i`, for operators that have one
    /// (see [`crate::finite_sum`]). Stochastic solvers need it.
    fn finite_sum(&self) -> Option<&dyn FiniteSum> {
        None
    }

    /// The finite-sum structure, mutably (component evaluations). Solvers go through
    /// [`crate::Problem::eval_components`], which counts them.
    fn finite_sum_mut(&mut self) -> Option<&mut dyn FiniteSum> {
        None
    }
}

dyn_clone::clone_trait_object!(Operator);

/// Checks the contract of [`Operator::jacobian_pattern`] for dimension `n` (square `n x n`,
/// compressed, rows increasing in each column, every diagonal entry present) and returns the
/// position of each diagonal entry in the value order.
///
/// # Errors
/// [`Error::Dimension`] for a wrong shape, [`Error::Config`] naming the first violation.
pub fn check_jacobian_pattern(p: SymbolicSparseColMatRef<'_, usize>, n: usize) -> Result<Vec<usize>> {
    if p.nrows() != n || p.ncols() != n {
        return Err(Error::dim("sparse Jacobian pattern (rows x columns)", n, p.nrows().max(p.ncols())));
    }
    if p.col_nnz().is_some() {
        return Err(Error::Config("sparse Jacobian pattern must be compressed (no per-column counts)".into()));
    }
    let ptr = p.col_ptr();
    let rows = p.row_idx();
    let mut diag = Vec::with_capacity(n);
    for j in 0..n {
        let col = &rows[ptr[j]..ptr[j + 1]];
        if col.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::Config(format!("sparse Jacobian pattern: rows of column {j} are not increasing")));
        }
        match col.binary_search(&j) {
            Ok(k) => diag.push(ptr[j] + k),
            Err(_) => {
                return Err(Error::Config(format!("sparse Jacobian pattern: diagonal entry ({j}, {j}) is missing")))
            }
        }
    }
    Ok(diag)
}

/// Central finite-difference Jacobian-vector product of [`Operator::eval_monitor`].
pub fn finite_difference_jvp<O: Operator + ?Sized>(
    op: &mut O,
    z: ColRef<'_, f64>,
    v: ColRef<'_, f64>,
    mut out: ColMut<'_, f64>,
) {
    let vn = v.norm_l2();
    if vn == 0.0 {
        out.fill(0.0);
        return;
    }
    // cbrt(eps) balances truncation and rounding error for central differences.
    let h = f64::EPSILON.cbrt() * z.norm_l2().max(1.0) / vn;
    let n = z.nrows();
    let mut zp = Col::<f64>::zeros(n);
    let mut fp = Col::<f64>::zeros(n);
    linalg::add_scaled(zp.as_mut(), z, h, v);
    op.eval_monitor(zp.as_ref(), fp.as_mut());
    linalg::add_scaled(zp.as_mut(), z, -h, v);
    op.eval_monitor(zp.as_ref(), out.rb_mut());
    faer::zip!(out, fp.as_ref()).for_each(|faer::unzip!(o, p)| *o = (*p - *o) / (2.0 * h));
}

/// The dense Jacobian `J(z)`: analytic if the operator provides it, otherwise one
/// Jacobian-vector product per column.
pub fn dense_jacobian<O: Operator + ?Sized>(op: &mut O, z: ColRef<'_, f64>) -> Mat<f64> {
    if let Some(j) = op.jacobian(z) {
        return j;
    }
    let n = op.dim();
    let mut jac = Mat::<f64>::zeros(n, n);
    let mut e = Col::<f64>::zeros(n);
    for j in 0..n {
        e[j] = 1.0;
        op.jvp(z, e.as_ref(), jac.col_mut(j));
        e[j] = 0.0;
    }
    jac
}

/// The affine operator `F(z) = M z + q` with a dense matrix `M`.
///
/// Its Lipschitz constant is `sigma_max(M)` and its monotonicity modulus is
/// `lambda_min((M + M^T)/2)`; both are computed once at construction (dense SVD / symmetric
/// eigenvalues), so keep construction out of loops. Evaluation is one `matmul` into `out`.
#[derive(Clone, Debug)]
pub struct AffineOperator {
    m: Mat<f64>,
    q: Col<f64>,
    lipschitz: f64,
    mu: f64,
}

impl AffineOperator {
    /// Builds `F(z) = M z + q`.
    ///
    /// # Errors
    /// [`Error::Dimension`] if `M` is not square or `q` does not match, [`Error::NonFinite`]
    /// for NaN or infinite entries.
    pub fn new(m: Mat<f64>, q: Col<f64>) -> Result<Self> {
        if m.nrows() != m.ncols() {
            return Err(Error::dim("affine operator: M must be square (columns)", m.nrows(), m.ncols()));
        }
        if q.nrows() != m.nrows() {
            return Err(Error::dim("affine operator: length of q", m.nrows(), q.nrows()));
        }
        if !m.is_all_finite() {
            return Err(Error::NonFinite("affine operator matrix M".into()));
        }
        if !linalg::all_finite(q.as_ref()) {
            return Err(Error::NonFinite("affine operator vector q".into()));
        }
        let (lipschitz, mu) = spectral_constants(m.as_ref())?;
        Ok(Self { m, q, lipschitz, mu })
    }

    /// The matrix `M`.
    pub fn matrix(&self) -> MatRef<'_, f64> {
        self.m.as_ref()
    }

    /// The offset `q`.
    pub fn offset(&self) -> ColRef<'_, f64> {
        self.q.as_ref()
    }
}

/// `(sigma_max(M), lambda_min((M + M^T) / 2))` by dense decompositions.
pub fn spectral_constants(m: MatRef<'_, f64>) -> Result<(f64, f64)> {
    let n = m.nrows();
    if n == 0 {
        return Ok((0.0, 0.0));
    }
    let sv = m.singular_values().map_err(|e| Error::Numerical(format!("singular values: {e:?}")))?;
    let sym = Mat::from_fn(n, n, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
    let ev = sym
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .map_err(|e| Error::Numerical(format!("symmetric eigenvalues: {e:?}")))?;
    Ok((sv[0], ev[0]))
}

impl Operator for AffineOperator {
    fn dim(&self) -> usize {
        self.q.nrows()
    }

    fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        out.copy_from(&self.q);
        matmul(out.as_mat_mut(), Accum::Add, self.m.as_ref(), z.as_mat(), 1.0, Par::Seq);
    }

    fn lipschitz(&self) -> Option<f64> {
        Some(self.lipschitz)
    }

    fn strong_monotonicity(&self) -> Option<f64> {
        Some(self.mu.max(0.0))
    }

    fn monotonicity(&self) -> Monotonicity {
        // Round-off in the symmetric eigenvalues: treat |mu| below ~eps*L as zero.
        let tol = 1e-12 * self.lipschitz.max(1.0);
        if self.mu > tol {
            Monotonicity::StronglyMonotone
        } else if self.mu >= -tol {
            Monotonicity::Monotone
        } else {
            Monotonicity::NonMonotone
        }
    }

    fn jvp(&mut self, _z: ColRef<'_, f64>, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        matmul(out.as_mat_mut(), Accum::Replace, self.m.as_ref(), v.as_mat(), 1.0, Par::Seq);
    }

    fn jacobian(&mut self, _z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        Some(self.m.clone())
    }

    fn jacobian_into(&mut self, _z: ColRef<'_, f64>, mut out: MatMut<'_, f64>) -> bool {
        out.copy_from(self.m.as_ref());
        true
    }
}

/// The Tikhonov term `eps_i (z_i - anchor_i)` with one weight per coordinate (expanded from
/// per-block weights), installed on a problem by
/// [`crate::Problem::set_tikhonov`] (used by Tikhonov continuation).
#[derive(Clone, Debug)]
pub struct TikhonovTerm {
    weights: Col<f64>,
    anchor: Col<f64>,
}

impl TikhonovTerm {
    /// One weight for every coordinate.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite weight, [`Error::NonFinite`] for a
    /// non-finite anchor.
    pub fn uniform(eps: f64, anchor: ColRef<'_, f64>) -> Result<Self> {
        Self::per_coordinate(Col::from_fn(anchor.nrows(), |_| eps), anchor)
    }

    /// One weight per block; coordinates outside every block get weight 0.
    ///
    /// # Errors
    /// As [`TikhonovTerm::uniform`], plus [`Error::Dimension`] if `eps.len() != blocks.len()`.
    pub fn per_block(blocks: &[Block], eps: &[f64], anchor: ColRef<'_, f64>) -> Result<Self> {
        if eps.len() != blocks.len() {
            return Err(Error::dim("Tikhonov weights (one per block)", blocks.len(), eps.len()));
        }
        let mut w = Col::<f64>::zeros(anchor.nrows());
        for (b, &e) in blocks.iter().zip(eps) {
            if b.range.end > anchor.nrows() {
                return Err(Error::dim(format!("block `{}` end", b.name), anchor.nrows(), b.range.end));
            }
            for i in b.range.clone() {
                w[i] = e;
            }
        }
        Self::per_coordinate(w, anchor)
    }

    /// Explicit per-coordinate weights.
    ///
    /// # Errors
    /// As [`TikhonovTerm::uniform`], plus [`Error::Dimension`] on a length mismatch.
    pub fn per_coordinate(weights: Col<f64>, anchor: ColRef<'_, f64>) -> Result<Self> {
        if weights.nrows() != anchor.nrows() {
            return Err(Error::dim("Tikhonov weights", anchor.nrows(), weights.nrows()));
        }
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(Error::param("Tikhonov term", "eps", "weights must be finite and >= 0"));
        }
        if !linalg::all_finite(anchor) {
            return Err(Error::NonFinite("Tikhonov anchor".into()));
        }
        Ok(Self { weights, anchor: anchor.to_owned() })
    }

    /// `out <- out + eps (z - anchor)`.
    #[inline]
    pub fn add_to(&self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        faer::zip!(out, z, self.weights.as_ref(), self.anchor.as_ref())
            .for_each(|faer::unzip!(o, z, w, a)| *o += *w * (*z - *a));
    }

    /// The largest weight.
    pub fn max_weight(&self) -> f64 {
        self.weights.iter().fold(0.0, |m, w| m.max(*w))
    }

    /// The smallest weight.
    pub fn min_weight(&self) -> f64 {
        self.weights.iter().fold(f64::INFINITY, |m, w| m.min(*w))
    }

    /// The anchor.
    pub fn anchor(&self) -> ColRef<'_, f64> {
        self.anchor.as_ref()
    }

    /// The per-coordinate weights.
    pub fn weights(&self) -> ColRef<'_, f64> {
        self.weights.as_ref()
    }
}

/// An operator from a closure `f(z, out)`, for experiments and user code.
///
/// ```
/// use vi_core::{FnOperator, Operator};
/// use faer::Col;
/// // F(x, y) = (y, -x): the bilinear game x*y.
/// let mut op = FnOperator::new(2, |z, mut out| {
///     out[0] = z[1];
///     out[1] = -z[0];
/// })
/// .with_lipschitz(1.0);
/// let z = Col::from_fn(2, |i| i as f64 + 1.0);
/// let mut out = Col::zeros(2);
/// op.eval(z.as_ref(), out.as_mut());
/// assert_eq!((out[0], out[1]), (2.0, -1.0));
/// ```
#[derive(Clone)]
pub struct FnOperator<F> {
    dim: usize,
    f: F,
    lipschitz: Option<f64>,
    mu: Option<f64>,
    monotonicity: Monotonicity,
}

impl<F> FnOperator<F>
where
    F: FnMut(ColRef<'_, f64>, ColMut<'_, f64>) + Clone + Send + 'static,
{
    /// Wraps a closure as an operator of dimension `dim`.
    pub fn new(dim: usize, f: F) -> Self {
        Self { dim, f, lipschitz: None, mu: None, monotonicity: Monotonicity::Unknown }
    }
    /// Declares a Lipschitz constant.
    pub fn with_lipschitz(mut self, l: f64) -> Self {
        self.lipschitz = Some(l);
        self
    }
    /// Declares a strong-monotonicity modulus (and monotonicity).
    pub fn with_strong_monotonicity(mut self, mu: f64) -> Self {
        self.mu = Some(mu);
        self.monotonicity = if mu > 0.0 { Monotonicity::StronglyMonotone } else { Monotonicity::Monotone };
        self
    }
    /// Declares monotonicity.
    pub fn with_monotonicity(mut self, m: Monotonicity) -> Self {
        self.monotonicity = m;
        self
    }
}

impl<F> Operator for FnOperator<F>
where
    F: FnMut(ColRef<'_, f64>, ColMut<'_, f64>) + Clone + Send + 'static,
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn eval(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        (self.f)(z, out)
    }
    fn lipschitz(&self) -> Option<f64> {
        self.lipschitz
    }
    fn strong_monotonicity(&self) -> Option<f64> {
        self.mu
    }
    fn monotonicity(&self) -> Monotonicity {
        self.monotonicity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::mat;

    #[test]
    fn affine_eval_and_constants() {
        let m = mat![[1.0, 2.0], [-2.0, 1.0]];
        let q = linalg::col_from_slice(&[1.0, -1.0]);
        let mut op = AffineOperator::new(m, q).unwrap();
        let z = linalg::col_from_slice(&[1.0, 1.0]);
        let mut out = Col::zeros(2);
        op.eval(z.as_ref(), out.as_mut());
        assert_eq!((out[0], out[1]), (4.0, -2.0));
        // eigenvalues 1 +- 2i: |lambda| = sqrt(5) = sigma_max (normal matrix), mu = 1.
        assert!((op.lipschitz().unwrap() - 5f64.sqrt()).abs() < 1e-12);
        assert!((op.strong_monotonicity().unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(op.monotonicity(), Monotonicity::StronglyMonotone);
    }

    #[test]
    fn jacobian_into_of_affine() {
        let m = mat![[1.0, 2.0], [3.0, 4.0]];
        let mut op = AffineOperator::new(m.clone(), Col::zeros(2)).unwrap();
        let z = Col::<f64>::zeros(2);
        let mut j = Mat::<f64>::zeros(2, 2);
        assert!(op.jacobian_into(z.as_ref(), j.as_mut()));
        assert_eq!(j, m);
        // No analytic Jacobian: the default says so.
        let mut f = FnOperator::new(2, |z: ColRef<'_, f64>, mut out: ColMut<'_, f64>| out.copy_from(z));
        assert!(!f.jacobian_into(z.as_ref(), j.as_mut()));
    }

    #[test]
    fn jacobian_patterns_must_hold_the_diagonal() {
        let no_diag = SymbolicSparseColMat::new_checked(2, 2, vec![0, 1, 2], None, vec![1, 0]);
        let e = check_jacobian_pattern(no_diag.as_ref(), 2).unwrap_err().to_string();
        assert!(e.contains("diagonal entry (0, 0) is missing"), "{e}");
        let e = check_jacobian_pattern(no_diag.as_ref(), 3).unwrap_err().to_string();
        assert!(e.contains("sparse Jacobian pattern"), "{e}");
        let ok = SymbolicSparseColMat::new_checked(2, 2, vec![0, 2, 3], None, vec![0, 1, 1]);
        assert_eq!(check_jacobian_pattern(ok.as_ref(), 2).unwrap(), vec![0, 2]);
    }

    #[test]
    fn affine_rejects_bad_shapes() {
        let err = AffineOperator::new(Mat::zeros(2, 3), Col::zeros(2)).unwrap_err();
        assert!(err.to_string().contains("square"), "{err}");
        let err = AffineOperator::new(Mat::zeros(2, 2), Col::zeros(3)).unwrap_err();
        assert!(err.to_string().contains("length of q"), "{err}");
        let mut m = Mat::<f64>::zeros(2, 2);
        m[(0, 1)] = f64::NAN;
        assert!(matches!(AffineOperator::new(m, Col::zeros(2)), Err(Error::NonFinite(_))));
    }

    #[test]
    fn finite_difference_jvp_matches_matrix() {
        let m = mat![[0.5, -1.0, 2.0], [3.0, 0.0, 1.0], [-1.0, 1.0, 4.0]];
        let op = AffineOperator::new(m.clone(), Col::zeros(3)).unwrap();
        let mut f = FnOperator::new(3, {
            let mut op = op.clone();
            move |z, out| op.eval(z, out)
        });
        let z = linalg::col_from_slice(&[0.3, -0.2, 1.0]);
        let j = dense_jacobian(&mut f, z.as_ref());
        for i in 0..3 {
            for k in 0..3 {
                assert!((j[(i, k)] - m[(i, k)]).abs() < 1e-8, "{i},{k}: {}", j[(i, k)]);
            }
        }
    }

    #[test]
    fn tikhonov_term_adds_the_weighted_shift() {
        let blocks = vec![Block::new("x", 0..1), Block::new("y", 1..2)];
        let anchor = linalg::col_from_slice(&[1.0, 0.0]);
        let term = TikhonovTerm::per_block(&blocks, &[0.5, 0.0], anchor.as_ref()).unwrap();
        let z = linalg::col_from_slice(&[3.0, 2.0]);
        let mut out = linalg::col_from_slice(&[2.0, -3.0]);
        term.add_to(z.as_ref(), out.as_mut());
        assert_eq!((out[0], out[1]), (2.0 + 0.5 * 2.0, -3.0));
        assert_eq!((term.max_weight(), term.min_weight()), (0.5, 0.0));
        assert!(TikhonovTerm::uniform(-1.0, anchor.as_ref()).is_err());
    }
}
