//! # `affine`: a user's affine VI from files
//!
//! ```text
//! F(z) = M z + q,     z in C,
//! ```
//!
//! with `M` read from a Matrix Market file (`coordinate` or `array`, `real`/`integer`,
//! `general`/`symmetric`/`skew-symmetric`) or a plain text file of rows, `q` from a vector file
//! (default zero), and `C` one of: the whole space, the nonnegative orthant (a linear
//! complementarity problem), a box `[lower, upper]^n`, or a product of probability simplices over
//! consecutive blocks. A user can pose a problem without writing Rust. With `matrix = ""` a
//! built-in example is used: the 8 x 8 convection-diffusion matrix `tridiag(-1.5, 2, 0.5)` with a
//! fixed right-hand side (symmetric part `tridiag(-0.5, 2, -0.5)`, so `mu = 2 - cos(pi/9)`).
//!
//! ## Storage and evaluation
//! A `coordinate` file is stored sparse ([`SparseAffine`], faer's `SparseColMat`, evaluated by a
//! sparse matrix-vector product) and never densified when large; `array` and plain files are
//! dense ([`DenseAffine`]). Both evaluate without allocating.
//!
//! ## Constants and known solution
//! - `n <= 1000` ("small"): `L = sigma_max(M)` and `mu = lambda_min((M + M^T)/2)` exactly, from
//!   dense decompositions of a temporary dense copy. Unconstrained: the solution of `M z = -q`
//!   by LU, kept when its residual is below `1e-10 max(1, ||q||)`. Constrained and monotone: a
//!   reference solution by projected extragradient (`eta = 0.7/L`) until the natural residual is
//!   below `1e-13` (kept when below `1e-11`; otherwise no solution is reported).
//! - `n > 1000`: `L` is an estimate of `sigma_max(M)` from power iteration on `M^T M` (sparse:
//!   [`power_spectral_norm`]; dense: block power iteration [`dense_spectral_norm_estimate`]), a
//!   lower bound that is accurate to about `1e-8` relative or better (the solvers' step-size
//!   safety factors absorb the rest); `mu` and monotonicity are not claimed, and no solution is
//!   reported.
//!
//! ## Example
//!
//! ```no_run
//! use vi_problems as _; // link the registrations
//! // M from a Matrix Market file, q from a text file, z >= 0: a linear complementarity problem.
//! let params = serde_json::json!({"matrix": "M.mtx", "vector": "q.txt", "set": "orthant"});
//! let p = vi_core::build_problem("affine", &params, 0)?;
//! # Ok::<(), vi_core::Error>(())
//! ```
//!
//! The same from the command line:
//! `vi-bench run --problem affine --set problem.matrix=M.mtx --set problem.vector=q.txt
//! --set problem.set=orthant --solver extragradient`.

mod constants;
pub mod io;

use faer::linalg::matmul::matmul;
use faer::prelude::{ReborrowMut, Solve};
use faer::sparse::linalg::matmul::sparse_dense_matmul;
use faer::sparse::SparseColMat;
use faer::{Accum, Col, ColMut, ColRef, Mat, Par};
use vi_core::memory::{self, Size};
use vi_core::operator::spectral_constants;
use vi_core::{
    linalg, Block, BoxSet, BuildContext, Checked, ConstraintSet, Error, Monotonicity, NonnegativeOrthant, Operator,
    Problem, Product, Result, Simplex, WholeSpace,
};

pub use constants::{dense_spectral_norm_estimate, power_spectral_norm, reference_solution};
use io::MatrixData;

/// Dimension up to which constants are computed exactly from a dense copy.
pub const SMALL: usize = 1000;

/// Monotonicity from a (possibly unknown) `lambda_min` of the symmetric part.
fn classify(mu: Option<f64>, lipschitz: Option<f64>) -> Monotonicity {
    let Some(mu) = mu else { return Monotonicity::Unknown };
    // Round-off in the symmetric eigenvalues: treat |mu| below ~1e-12 L as zero.
    let tol = 1e-12 * lipschitz.unwrap_or(1.0).max(1.0);
    if mu > tol {
        Monotonicity::StronglyMonotone
    } else if mu >= -tol {
        Monotonicity::Monotone
    } else {
        Monotonicity::NonMonotone
    }
}

/// `F(z) = M z + q` with *declared* constants and `M` dense ([`DenseAffine`]) or sparse
/// ([`SparseAffine`]): unlike [`vi_core::AffineOperator`] the constructors run no
/// decomposition, so problems that know their constants by construction (e.g. `quadratic`)
/// stay cheap at large `n`. `mu` is `lambda_min` of the symmetric part (may be negative).
#[derive(Clone, Debug)]
pub struct Affine<M> {
    m: M,
    q: Col<f64>,
    lipschitz: Option<f64>,
    mu: Option<f64>,
}

/// `F(z) = M z + q` with a dense `M`.
pub type DenseAffine = Affine<Mat<f64>>;

/// `F(z) = M z + q` with a sparse `M` (compressed sparse columns), evaluated by a sparse
/// matrix-vector product without allocating; its Jacobian is available sparse.
pub type SparseAffine = Affine<SparseColMat<usize, f64>>;

/// What [`Affine`] needs of its matrix: products without allocating, and its Jacobian forms.
pub trait AffineMatrix: Clone + std::fmt::Debug + Send + 'static {
    /// `out = accum(out) + M v`.
    fn mul(&self, out: faer::MatMut<'_, f64>, accum: Accum, v: faer::MatRef<'_, f64>);
    /// `M` as a dense matrix, when that is affordable.
    fn dense(&self) -> Option<Mat<f64>>;
    /// As [`Operator::jacobian_into`].
    fn jacobian_into(&self, _out: faer::MatMut<'_, f64>) -> bool {
        false
    }
    /// As [`Operator::jacobian_pattern`].
    fn pattern(&self) -> Option<faer::sparse::SymbolicSparseColMat<usize>> {
        None
    }
    /// As [`Operator::jacobian_values_into`].
    fn values_into(&self, _values: &mut [f64]) -> bool {
        false
    }
}

impl AffineMatrix for Mat<f64> {
    fn mul(&self, out: faer::MatMut<'_, f64>, accum: Accum, v: faer::MatRef<'_, f64>) {
        matmul(out, accum, self.as_ref(), v, 1.0, Par::Seq);
    }
    fn dense(&self) -> Option<Mat<f64>> {
        Some(self.clone())
    }
}

impl AffineMatrix for SparseColMat<usize, f64> {
    fn mul(&self, out: faer::MatMut<'_, f64>, accum: Accum, v: faer::MatRef<'_, f64>) {
        sparse_dense_matmul(out, accum, self.as_ref(), v, 1.0, Par::Seq);
    }
    fn dense(&self) -> Option<Mat<f64>> {
        (self.nrows() <= SMALL).then(|| self.to_dense())
    }
    fn jacobian_into(&self, mut out: faer::MatMut<'_, f64>) -> bool {
        out.fill(0.0);
        for j in 0..self.ncols() {
            for (i, v) in self.row_idx_of_col(j).zip(self.val_of_col(j)) {
                out[(i, j)] = *v;
            }
        }
        true
    }
    fn pattern(&self) -> Option<faer::sparse::SymbolicSparseColMat<usize>> {
        self.symbolic().to_owned().ok()
    }
    fn values_into(&self, values: &mut [f64]) -> bool {
        values.copy_from_slice(self.val());
        true
    }
}

/// The checks both constructors make: `M` square, `q` of its size, all finite.
fn check_affine(nrows: usize, ncols: usize, q: ColRef<'_, f64>, m_finite: bool) -> Result<()> {
    if nrows != ncols {
        return Err(Error::dim("affine operator: M must be square (columns)", nrows, ncols));
    }
    if q.nrows() != nrows {
        return Err(Error::dim("affine operator: length of q", nrows, q.nrows()));
    }
    if !m_finite {
        return Err(Error::NonFinite("affine operator matrix M".into()));
    }
    if !linalg::all_finite(q) {
        return Err(Error::NonFinite("affine operator vector q".into()));
    }
    Ok(())
}

impl<M> Affine<M> {
    /// The offset `q`.
    pub fn offset(&self) -> ColRef<'_, f64> {
        self.q.as_ref()
    }
}

impl DenseAffine {
    /// Builds the operator.
    ///
    /// # Errors
    /// [`Error::Dimension`] for a non-square `M` or a `q` of the wrong length,
    /// [`Error::NonFinite`] for NaN or infinite entries.
    pub fn new(m: Mat<f64>, q: Col<f64>, lipschitz: Option<f64>, mu: Option<f64>) -> Result<Self> {
        check_affine(m.nrows(), m.ncols(), q.as_ref(), m.is_all_finite())?;
        Ok(Self { m, q, lipschitz, mu })
    }

    /// The matrix `M`.
    pub fn matrix(&self) -> faer::MatRef<'_, f64> {
        self.m.as_ref()
    }
}

impl SparseAffine {
    /// Builds the operator from an `n x n` matrix given as triplets (duplicates are summed).
    ///
    /// # Errors
    /// [`Error::Dimension`] for a non-square matrix or a `q` of the wrong length,
    /// [`Error::NonFinite`] for NaN or infinite values, [`Error::Numerical`] if faer rejects the
    /// triplets.
    pub fn from_triplets(
        nrows: usize,
        ncols: usize,
        triplets: &[faer::sparse::Triplet<usize, usize, f64>],
        q: Col<f64>,
        lipschitz: Option<f64>,
        mu: Option<f64>,
    ) -> Result<Self> {
        check_affine(nrows, ncols, q.as_ref(), triplets.iter().all(|t| t.val.is_finite()))?;
        // Stored zeros on the diagonal: the pattern then holds every diagonal entry, as
        // `Operator::jacobian_pattern` requires (Newton systems and Tikhonov shifts fill them).
        let mut all = Vec::with_capacity(triplets.len() + nrows);
        all.extend_from_slice(triplets);
        all.extend((0..nrows).map(|i| faer::sparse::Triplet::new(i, i, 0.0)));
        let m = SparseColMat::try_new_from_triplets(nrows, ncols, &all)
            .map_err(|e| Error::Numerical(format!("sparse matrix assembly: {e:?}")))?;
        Ok(Self { m, q, lipschitz, mu })
    }

    /// The matrix `M`.
    pub fn matrix(&self) -> &SparseColMat<usize, f64> {
        &self.m
    }
}

impl<M: AffineMatrix> Operator for Affine<M> {
    fn dim(&self) -> usize {
        self.q.nrows()
    }
    fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        out.copy_from(&self.q);
        self.m.mul(out.rb_mut().as_mat_mut(), Accum::Add, z.as_mat());
    }
    fn lipschitz(&self) -> Option<f64> {
        self.lipschitz
    }
    fn strong_monotonicity(&self) -> Option<f64> {
        self.mu.map(|m| m.max(0.0))
    }
    fn monotonicity(&self) -> Monotonicity {
        classify(self.mu, self.lipschitz)
    }
    fn jvp(&mut self, _z: ColRef<'_, f64>, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.m.mul(out.as_mat_mut(), Accum::Replace, v.as_mat());
    }
    fn jacobian(&mut self, _z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        self.m.dense()
    }
    fn jacobian_into(&mut self, _z: ColRef<'_, f64>, out: faer::MatMut<'_, f64>) -> bool {
        self.m.jacobian_into(out)
    }
    fn jacobian_pattern(&self) -> Option<faer::sparse::SymbolicSparseColMat<usize>> {
        self.m.pattern()
    }
    fn jacobian_values_into(&mut self, _z: ColRef<'_, f64>, values: &mut [f64]) -> bool {
        self.m.values_into(values)
    }
}

vi_core::params! {
    /// Parameters of the `affine` problem.
    ///
    /// The matrix must fit the memory limit of [`vi_core::memory`] (about 16 n + 3 nnz values).
    pub struct AffineParams {
        /// Matrix Market (coordinate/array) or plain-rows file for M; "" = built-in 8x8 example
        pub matrix: String = String::new();
        /// file for q (numbers, or a one-column Matrix Market array); "" = zero
        pub vector: String = String::new();
        /// constraint set: "none", "orthant", "box" (lower/upper), "simplex" (blocks)
        pub set: String = "none";
        /// box lower bound on every coordinate (set = "box")
        pub lower: f64 = -1.0;
        /// box upper bound on every coordinate (set = "box")
        pub upper: f64 = 1.0;
        /// simplex block sizes summing to n, e.g. [3,4]; [] = one simplex (set = "simplex")
        pub blocks: Vec<usize> = Vec::new();
    }
    validate(p, owner) {
        if !["none", "orthant", "box", "simplex"].contains(&p.set.as_str()) {
            return Err(Error::param(owner, "set", format!("unknown set `{}`; valid sets: {SETS}", p.set)));
        }
        if !p.lower.is_finite() {
            return Err(Error::param(owner, "lower", format!("must be a finite number, got {}", p.lower)));
        }
        if !p.upper.is_finite() {
            return Err(Error::param(owner, "upper", format!("must be a finite number, got {}", p.upper)));
        }
        if p.set == "box" && p.lower > p.upper {
            return Err(Error::param(owner, "lower", format!("must be <= upper = {}, got {}", p.upper, p.lower)));
        }
        if !p.blocks.is_empty() && p.set != "simplex" {
            return Err(Error::param(owner, "blocks", "block sizes are only used with set = \"simplex\""));
        }
        if p.blocks.contains(&0) {
            return Err(Error::param(owner, "blocks", "every block size must be >= 1"));
        }
        if checked_total(&p.blocks).is_none() {
            return Err(Error::param(
                owner,
                "blocks",
                format!("block sizes {:?} sum to more than {} (the sizes must sum to n)", p.blocks, usize::MAX),
            ));
        }
        if !p.vector.is_empty() && p.matrix.is_empty() {
            return Err(Error::param(owner, "vector", "give `matrix` too (the built-in example has its own vector)"));
        }
        Ok(())
    }
}

const SETS: &str = "\"none\", \"orthant\", \"box\", \"simplex\"";

/// The built-in example matrix: `tridiag(-1.5, 2, 0.5)`, 8 x 8, in Matrix Market format.
pub const EXAMPLE_MATRIX: &str = "%%MatrixMarket matrix coordinate real general
% built-in example of the `affine` problem: 1-D convection-diffusion tridiag(-1.5, 2, 0.5)
8 8 22
1 1 2\n2 1 -1.5\n1 2 0.5\n2 2 2\n3 2 -1.5\n2 3 0.5\n3 3 2\n4 3 -1.5\n3 4 0.5\n4 4 2\n5 4 -1.5
4 5 0.5\n5 5 2\n6 5 -1.5\n5 6 0.5\n6 6 2\n7 6 -1.5\n6 7 0.5\n7 7 2\n8 7 -1.5\n7 8 0.5\n8 8 2
";

/// The built-in example vector `q`.
pub const EXAMPLE_VECTOR: &str = "1 -1 0.5 2 0 -0.5 1 -2\n";

/// The sum of user-given sizes, `None` if it overflows.
fn checked_total(sizes: &[usize]) -> Option<usize> {
    sizes.iter().try_fold(0usize, |s, &b| s.checked_add(b))
}

/// The constraint set and blocks of validated parameters for dimension `n`.
fn make_set(p: &AffineParams, n: usize) -> Result<(Box<dyn ConstraintSet>, Vec<Block>)> {
    Ok(match p.set.as_str() {
        "orthant" => (Box::new(NonnegativeOrthant::new(n)), vec![Block::new("z", 0..n)]),
        "box" => (Box::new(BoxSet::uniform(n, p.lower, p.upper)?), vec![Block::new("z", 0..n)]),
        "simplex" => {
            let sizes = if p.blocks.is_empty() { vec![n] } else { p.blocks.clone() };
            let total = checked_total(&sizes);
            if total != Some(n) {
                let total = total.map_or_else(|| format!("more than {}", usize::MAX), |t| t.to_string());
                return Err(Error::param(
                    "problem affine",
                    "blocks",
                    format!("block sizes {sizes:?} sum to {total}, but the matrix is {n} x {n}"),
                ));
            }
            let mut blocks = Vec::new();
            let mut sets: Vec<Box<dyn ConstraintSet>> = Vec::new();
            let mut start = 0;
            for (k, &s) in sizes.iter().enumerate() {
                blocks.push(Block::new(format!("block{k}"), start..start + s));
                sets.push(Box::new(Simplex::new(s, 1.0)?));
                start += s;
            }
            (Box::new(Product::new(sets)), blocks)
        }
        _ => (Box::new(WholeSpace::new(n)), vec![Block::new("z", 0..n)]),
    })
}

fn build(p: Checked<AffineParams>, _ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let (data, mpath) = read_matrix(&p)?;
    let n = data.shape().0;
    let q = read_offset(&p, n, &mpath)?;
    let (lipschitz, mu, dense_copy) = constants(&data, n, &mpath)?;
    let mut op = operator(data, q.clone(), lipschitz, mu)?;
    let (set, blocks) = make_set(&p, n)?;
    let mut start = Col::from_fn(n, |_| 1.0);
    set.project(start.as_mut());
    let solution =
        dense_copy.and_then(|d| known_solution(&d, op.as_mut(), set.as_ref(), start.as_ref(), q.as_ref(), lipschitz));
    let mut problem = Problem::new("affine", op, set, start)?.with_blocks(blocks)?;
    if let Some(z) = solution {
        problem = problem.with_solution(z)?;
    }
    Ok(problem)
}

/// The matrix (the built-in example when `matrix` is empty) and the path its errors name.
/// Refuses a matrix that is not square, or whose size does not fit the memory limit.
fn read_matrix(p: &AffineParams) -> Result<(MatrixData, String)> {
    let (data, mpath) = if p.matrix.is_empty() {
        (io::parse_matrix(EXAMPLE_MATRIX, "<built-in example>")?, "<built-in example>".to_string())
    } else {
        (io::read_matrix(&p.matrix)?, p.matrix.clone())
    };
    let (rows, cols) = data.shape();
    if rows != cols {
        return Err(Error::File {
            path: mpath,
            reason: format!("the matrix of an affine VI must be square, found {rows} x {cols}"),
        });
    }
    let n = rows;
    // Vectors of length n (q, start, solution, the solvers' workspace) and the sparse copy or
    // the dense copy of a small matrix: refuse a header that declares a huge n.
    let words = match &data {
        MatrixData::Sparse { triplets, .. } => Size::of(n) * 16usize + Size::of(triplets.len()) * 3usize,
        MatrixData::Dense(_) if n <= SMALL => Size::of(n) * 16usize + Size::of(n) * n,
        MatrixData::Dense(_) => Size::of(n) * 16usize,
    };
    memory::check("problem affine", "matrix", format_args!("the {n} x {n} matrix of `{mpath}`"), words.f64s().get())?;
    Ok((data, mpath))
}

/// `q`: the example's, zero, or read from `vector`; of length `n`.
fn read_offset(p: &AffineParams, n: usize, mpath: &str) -> Result<Col<f64>> {
    let q: Vec<f64> = if p.matrix.is_empty() {
        io::parse_vector(EXAMPLE_VECTOR, "<built-in example>")?
    } else if p.vector.is_empty() {
        vec![0.0; n]
    } else {
        io::read_vector(&p.vector)?
    };
    if q.len() != n {
        return Err(Error::File {
            path: p.vector.clone(),
            reason: format!("the vector has {} entries, but the matrix `{mpath}` is {n} x {n}", q.len()),
        });
    }
    Ok(linalg::col_from_slice(&q))
}

/// `(L, mu, dense copy)`: exact from a dense copy when `n <= SMALL`, else an estimate of `L`
/// by power iteration (no `mu`, no copy).
fn constants(data: &MatrixData, n: usize, mpath: &str) -> Result<(f64, Option<f64>, Option<Mat<f64>>)> {
    if n <= SMALL {
        let d = data.to_dense(mpath)?;
        let (l, mu) = spectral_constants(d.as_ref())?;
        return Ok((l, Some(mu), Some(d)));
    }
    let l = match data {
        MatrixData::Dense(m) => dense_spectral_norm_estimate(m.as_ref()),
        MatrixData::Sparse { triplets, .. } => {
            let sm = SparseColMat::<usize, f64>::try_new_from_triplets(n, n, triplets)
                .map_err(|e| Error::Numerical(format!("sparse matrix assembly: {e:?}")))?;
            power_spectral_norm(
                n,
                n,
                1000,
                |v, w| sparse_dense_matmul(w.as_mat_mut(), Accum::Replace, sm.as_ref(), v.as_mat(), 1.0, Par::Seq),
                |v, w| {
                    sparse_dense_matmul(
                        w.as_mat_mut(),
                        Accum::Replace,
                        sm.as_ref().transpose(),
                        v.as_mat(),
                        1.0,
                        Par::Seq,
                    )
                },
            )
        }
    };
    Ok((l, None, None))
}

/// The operator with its constants: sparse for coordinate data, dense otherwise.
fn operator(data: MatrixData, q: Col<f64>, lipschitz: f64, mu: Option<f64>) -> Result<Box<dyn Operator>> {
    Ok(match data {
        MatrixData::Dense(m) => Box::new(DenseAffine::new(m, q, Some(lipschitz), mu)?),
        MatrixData::Sparse { nrows, ncols, triplets } => {
            Box::new(SparseAffine::from_triplets(nrows, ncols, &triplets, q, Some(lipschitz), mu)?)
        }
    })
}

/// The known solution of a small problem with dense copy `d` (see the module docs): by LU when
/// unconstrained, a reference solution when constrained and monotone; `None` when not accurate.
fn known_solution(
    d: &Mat<f64>,
    op: &mut dyn Operator,
    set: &dyn ConstraintSet,
    start: ColRef<'_, f64>,
    q: ColRef<'_, f64>,
    lipschitz: f64,
) -> Option<Col<f64>> {
    let n = q.nrows();
    if set.is_whole_space() {
        let mut z = Col::<f64>::zeros(n);
        z.copy_from(q);
        z *= -1.0;
        let z = d.partial_piv_lu().solve(&z);
        let mut f = Col::<f64>::zeros(n);
        op.eval(z.as_ref(), f.as_mut());
        (linalg::all_finite(z.as_ref()) && f.norm_l2() <= 1e-10 * q.norm_l2().max(1.0)).then_some(z)
    } else if lipschitz > 0.0 && matches!(op.monotonicity(), Monotonicity::Monotone | Monotonicity::StronglyMonotone) {
        let nnz: usize = d.col_iter().map(|c| c.iter().filter(|v| **v != 0.0).count()).sum();
        let max_iters = (2e9 / (nnz.max(1) as f64)).min(100_000.0) as usize;
        let (z, r) = reference_solution(op, set, start, lipschitz, 1e-13, max_iters);
        (r <= 1e-11).then_some(z)
    } else {
        None
    }
}

vi_core::register_problem!(
    "affine",
    "F(z) = Mz + q with M, q from Matrix Market / text files, on none|orthant|box|simplex",
    AffineParams,
    build
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_and_dense_operators_agree() {
        let data = io::parse_matrix(EXAMPLE_MATRIX, "example").unwrap();
        let MatrixData::Sparse { nrows, ncols, triplets } = &data else { panic!("coordinate data is sparse") };
        let q = Col::from_fn(8, |i| i as f64 - 3.0);
        let mut sp = SparseAffine::from_triplets(*nrows, *ncols, triplets, q.clone(), None, None).unwrap();
        let mut de = DenseAffine::new(data.to_dense("example").unwrap(), q, None, None).unwrap();
        let z = Col::from_fn(8, |i| (i as f64).sqrt());
        let (mut a, mut b) = (Col::zeros(8), Col::zeros(8));
        sp.eval(z.as_ref(), a.as_mut());
        de.eval(z.as_ref(), b.as_mut());
        assert!(linalg::dist(a.as_ref(), b.as_ref()) < 1e-14);
        sp.jvp(z.as_ref(), z.as_ref(), a.as_mut());
        de.jvp(z.as_ref(), z.as_ref(), b.as_mut());
        assert!(linalg::dist(a.as_ref(), b.as_ref()) < 1e-14);
        assert_eq!(sp.monotonicity(), Monotonicity::Unknown);
        // The sparse Jacobian (pattern with the diagonal, values in its order) and the dense one
        // both equal M.
        let dense = data.to_dense("example").unwrap();
        let pattern = sp.jacobian_pattern().unwrap();
        let diag = vi_core::operator::check_jacobian_pattern(pattern.as_ref(), 8).unwrap();
        assert_eq!(diag.len(), 8);
        let mut values = vec![f64::NAN; pattern.compute_nnz()];
        assert!(sp.jacobian_values_into(z.as_ref(), &mut values));
        let mut rebuilt = Mat::<f64>::zeros(8, 8);
        for j in 0..8 {
            for k in pattern.col_range(j) {
                rebuilt[(pattern.row_idx()[k], j)] += values[k];
            }
        }
        assert_eq!(rebuilt, dense);
        let mut full = Mat::<f64>::zeros(8, 8);
        assert!(sp.jacobian_into(z.as_ref(), full.as_mut()));
        assert_eq!(full, dense);
        let e = SparseAffine::from_triplets(2, 3, &[], Col::zeros(2), None, None).unwrap_err().to_string();
        assert!(e.contains("must be square"), "{e}");
    }
}
