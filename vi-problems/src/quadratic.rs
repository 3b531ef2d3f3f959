//! # `quadratic`: strongly monotone linear games with controllable `mu`, `L` and rotation (docs/math.md §3.3)
//!
//! ```text
//! F(z) = M z + q,   M = S + K,   S = S^T (curvature),   K = -K^T (rotation),
//! <F z - F w, z - w> = (z - w)^T S (z - w),  so  mu = lambda_min(S),  L = sigma_max(M).
//! ```
//!
//! ## Families
//! - `dense`: `S = Q diag(s) Q^T` with `Q` the orthogonal factor of the QR of a seeded Gaussian
//!   matrix and `s` geometric from `s_1 = mu` to `s_n = l`; `K = rho (B - B^T) / ||B - B^T||_2`
//!   with `B` seeded Gaussian, so the rotation has spectral norm exactly `rho`. `mu` is exact by
//!   construction; `L = sigma_max(M)` is computed by a dense SVD for `n <= 1000` (exact to
//!   rounding) and by block power iteration on `M^T M` beyond (an estimate accurate to about
//!   `1e-8` relative or better; also used for `||B - B^T||_2` there). `L <= l + rho`.
//! - `blocks`: `M = diag(R_1, ..., R_k)`, `k = n/2` (`n` even), `R_i = [[a_i, rho], [-rho, a_i]]`
//!   with `a_i` geometric from `mu` to `l` (one block: `a_1 = mu`). Eigenvalues `a_i +- i rho`,
//!   `mu = min a_i`, `L = max_i sqrt(a_i^2 + rho^2)` (closed forms, exact), phase factor
//!   `rho / mu`. Evaluation is `O(n)`.
//!
//! ## Offset and known solution
//! `q = -M w` with `w` seeded standard Gaussian, so the unconstrained solution is `z* = w` (the
//! tests confirm it with a faer LU solve of `M z = -q`). With `box = h > 0` the set is
//! `[-h, h]^n` and the solution is a reference computed at build time by projected extragradient
//! (`eta = 0.7 / L`, linear rate `1 - O(mu/L)` for strongly monotone `F`) until the natural
//! residual is below `1e-13`; it is reported when it reaches `1e-11`, which it does for every
//! moderate `n` (the work is capped at about `2e9` flops, so the largest dense sizes may leave
//! it unknown).
//!
//! Start: `z_0 = 0`.

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, ColMut, ColRef, Mat, Par};
use vi_core::{
    BoxSet, BuildContext, Checked, ConstraintSet, Error, Monotonicity, Operator, Problem, Result, WholeSpace,
};

use vi_core::memory::{self, Size};

use crate::affine::{dense_spectral_norm_estimate, reference_solution, DenseAffine, SMALL};
use crate::bilinear::random_orthonormal;
use crate::limits;

vi_core::params! {
    /// Parameters of the `quadratic` problem.
    pub struct QuadraticParams {
        /// dimension, >= 2; <= 2300 for family "dense" (O(n^3) build); even for "blocks"
        pub n: usize = 20;
        /// strong monotonicity = lambda_min of the symmetric part, in [1e-100, l]
        pub mu: f64 = 0.1;
        /// largest eigenvalue of the symmetric part S, in [mu, 1e100]
        pub l: f64 = 1.0;
        /// rotation magnitude ||K||_2 ("blocks": imaginary part of every eigenvalue), in [0, 1e100]
        pub rho: f64 = 1.0;
        /// "dense" (random S + K) or "blocks" (2x2 rotation blocks, closed-form constants)
        pub family: String = "dense";
        /// Box half-width; 0 = unconstrained (default 0).
        pub r#box: f64 = 0.0;
    }
    validate(p, owner) {
        if !["dense", "blocks"].contains(&p.family.as_str()) {
            return Err(Error::param(
                owner,
                "family",
                format!("unknown family `{}`; valid families: \"dense\", \"blocks\"", p.family),
            ));
        }
        if p.n < 2 {
            return Err(Error::param(owner, "n", format!("must be >= 2, got {}", p.n)));
        }
        if p.family == "blocks" && !p.n.is_multiple_of(2) {
            return Err(Error::param(
                owner,
                "n",
                format!("must be even for family \"blocks\" (2 x 2 blocks), got {}", p.n),
            ));
        }
        if !(p.l.is_finite() && p.l > 0.0) {
            return Err(Error::param(owner, "l", format!("must be a finite number > 0, got {}", p.l)));
        }
        if !(p.mu > 0.0 && p.mu.is_finite()) {
            return Err(Error::param(owner, "mu", format!("must be a finite number > 0, got {}", p.mu)));
        }
        if p.mu > p.l {
            return Err(Error::param(
                owner,
                "mu",
                format!("must be <= l = {}, got {}", limits::num(p.l), limits::num(p.mu)),
            ));
        }
        if !(p.rho >= 0.0 && p.rho.is_finite()) {
            return Err(Error::param(owner, "rho", format!("must be a finite number >= 0, got {}", p.rho)));
        }
        // Beyond these scales the entries of M or its decompositions overflow or underflow.
        limits::check_range(owner, "l", p.l, MIN_SCALE, MAX_SCALE)?;
        limits::check_range(owner, "mu", p.mu, MIN_SCALE, MAX_SCALE)?;
        limits::check_range(owner, "rho", p.rho, 0.0, MAX_SCALE)?;
        let n = p.n;
        if p.family == "dense" {
            memory::check(owner, "n", format_args!("n = {n} (dense)"), (Size::of(n) * n * 8usize).f64s().get())?;
            if n > MAX_DENSE_N {
                return Err(Error::param(
                    owner,
                    "n",
                    format!(
                        "n = {n} with family \"dense\" needs about {:.1e} floating-point operations to build (O(n^3) \
                         decompositions), more than the limit of {:.0e} (about a minute on one core); use n <= \
                         {MAX_DENSE_N} or family \"blocks\"",
                        dense_build_flops(n).get().map_or(f64::INFINITY, |f| f as f64),
                        limits::MAX_BUILD_FLOPS as f64
                    ),
                ));
            }
        } else {
            memory::check(owner, "n", format_args!("n = {n}"), (Size::of(n) * 12usize).f64s().get())?;
        }
        if !(p.r#box >= 0.0 && p.r#box.is_finite()) {
            return Err(Error::param(
                owner,
                "box",
                format!("must be a finite number >= 0 (0 = unconstrained), got {}", p.r#box),
            ));
        }
        Ok(())
    }
}

/// Largest magnitude of `mu`, `l` and `rho` (beyond it `M` or its SVD overflows).
pub const MAX_SCALE: f64 = 1e100;
/// Smallest `mu` and `l`.
pub const MIN_SCALE: f64 = 1e-100;
/// Largest `n` of family `dense` within [`limits::MAX_BUILD_FLOPS`] (its build is `O(n^3)`).
pub const MAX_DENSE_N: usize = 2300;

/// Operations of a dense build: QR and `Q diag(s) Q^T` (`~5 n^3`), two SVDs up to [`SMALL`]
/// (`~12 n^3`), block power iteration beyond (`6400 n^2`).
fn dense_build_flops(n: usize) -> Size {
    let cube = Size::of(n) * n * n;
    if n <= SMALL {
        cube * 17usize
    } else {
        cube * 5usize + Size::of(n) * n * 6400usize
    }
}

/// The exact rotation-block operator `F(z) = diag(R_i) z + q`, `R_i = [[a_i, b_i], [-b_i, a_i]]`.
#[derive(Clone, Debug)]
pub struct RotationBlocks {
    a: Vec<f64>,
    b: Vec<f64>,
    q: Col<f64>,
}

impl RotationBlocks {
    /// Builds the operator; `a`, `b` have one entry per block and `q` has length `2 a.len()`.
    ///
    /// # Errors
    /// [`Error::Dimension`] on length mismatches.
    pub fn new(a: Vec<f64>, b: Vec<f64>, q: Col<f64>) -> Result<Self> {
        if b.len() != a.len() {
            return Err(Error::dim("rotation blocks: b", a.len(), b.len()));
        }
        if q.nrows() != 2 * a.len() {
            return Err(Error::dim("rotation blocks: q", 2 * a.len(), q.nrows()));
        }
        Ok(Self { a, b, q })
    }

    /// `M v` into `out` (no offset).
    fn apply(&self, v: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        for (i, (&a, &b)) in self.a.iter().zip(&self.b).enumerate() {
            let (x, y) = (v[2 * i], v[2 * i + 1]);
            out[2 * i] = a * x + b * y;
            out[2 * i + 1] = -b * x + a * y;
        }
    }

    /// The dense matrix `M`.
    pub fn matrix(&self) -> Mat<f64> {
        let n = self.q.nrows();
        let mut m = Mat::zeros(n, n);
        for (i, (&a, &b)) in self.a.iter().zip(&self.b).enumerate() {
            m[(2 * i, 2 * i)] = a;
            m[(2 * i, 2 * i + 1)] = b;
            m[(2 * i + 1, 2 * i)] = -b;
            m[(2 * i + 1, 2 * i + 1)] = a;
        }
        m
    }
}

impl Operator for RotationBlocks {
    fn dim(&self) -> usize {
        self.q.nrows()
    }
    fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        self.apply(z, out.as_mut());
        faer::zip!(out, self.q.as_ref()).for_each(|faer::unzip!(o, q)| *o += *q);
    }
    fn lipschitz(&self) -> Option<f64> {
        Some(self.a.iter().zip(&self.b).fold(0.0, |l, (a, b)| l.max(a.hypot(*b))))
    }
    fn strong_monotonicity(&self) -> Option<f64> {
        Some(self.a.iter().fold(f64::INFINITY, |m, a| m.min(*a)).max(0.0))
    }
    fn monotonicity(&self) -> Monotonicity {
        let mu = self.a.iter().fold(f64::INFINITY, |m, a| m.min(*a));
        if mu > 0.0 {
            Monotonicity::StronglyMonotone
        } else if mu == 0.0 {
            Monotonicity::Monotone
        } else {
            Monotonicity::NonMonotone
        }
    }
    fn jvp(&mut self, _z: ColRef<'_, f64>, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.apply(v, out);
    }
    fn jacobian(&mut self, _z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        Some(self.matrix())
    }
}

/// `count` values geometric from `lo` to `hi` (the ends exact; one value: `lo`).
fn geometric(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    (0..count)
        .map(|i| match i {
            0 => lo,
            _ if i + 1 == count => hi,
            _ => lo * (hi / lo).powf(i as f64 / (count as f64 - 1.0)),
        })
        .collect()
}

/// Spectral norm: singular values up to [`SMALL`], block power iteration beyond.
fn spectral_norm(m: faer::MatRef<'_, f64>) -> Result<f64> {
    if m.nrows() <= SMALL {
        Ok(m.singular_values().map_err(|e| Error::Numerical(format!("singular values: {e:?}")))?[0])
    } else {
        Ok(dense_spectral_norm_estimate(m))
    }
}

/// The operator of validated parameters with `q = -M w`, and `w` (the unconstrained solution).
///
/// # Errors
/// [`Error::Numerical`] if a decomposition fails.
pub fn quadratic_operator(p: &QuadraticParams, seed: u64) -> Result<(Box<dyn Operator>, Col<f64>)> {
    let n = p.n;
    let mut rng = vi_core::rng::seeded(seed, 0x9a0d);
    let mut wrng = vi_core::rng::seeded(seed, 0x9a0e);
    let w = Col::from_fn(n, |_| vi_core::rng::normal(&mut wrng));
    let mut mw = Col::<f64>::zeros(n);
    if p.family == "blocks" {
        let k = n / 2;
        let mut op = RotationBlocks::new(geometric(p.mu, p.l, k), vec![p.rho; k], Col::zeros(n))?;
        op.apply(w.as_ref(), mw.as_mut());
        op.q = Col::from_fn(n, |i| -mw[i]);
        return Ok((Box::new(op), w));
    }
    let qm = random_orthonormal(n, n, &mut rng);
    let s = geometric(p.mu, p.l, n);
    let qs = Mat::from_fn(n, n, |i, j| qm[(i, j)] * s[j]);
    let mut sym = Mat::<f64>::zeros(n, n);
    matmul(sym.as_mut(), Accum::Replace, qs.as_ref(), qm.transpose(), 1.0, Par::Seq);
    let bm = Mat::from_fn(n, n, |_, _| vi_core::rng::normal(&mut rng));
    let d = Mat::from_fn(n, n, |i, j| bm[(i, j)] - bm[(j, i)]);
    let dn = spectral_norm(d.as_ref())?;
    let scale = if dn > 0.0 { p.rho / dn } else { 0.0 };
    // Symmetrize S exactly so that its eigenvalues are real to the last bit.
    let m = Mat::from_fn(n, n, |i, j| 0.5 * (sym[(i, j)] + sym[(j, i)]) + scale * d[(i, j)]);
    let l = spectral_norm(m.as_ref())?;
    matmul(mw.as_mut().as_mat_mut(), Accum::Replace, m.as_ref(), w.as_mat(), 1.0, Par::Seq);
    let q = Col::from_fn(n, |i| -mw[i]);
    Ok((Box::new(DenseAffine::new(m, q, Some(l), Some(p.mu))?), w))
}

fn build(p: Checked<QuadraticParams>, ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let n = p.n;
    let (mut op, w) = quadratic_operator(&p, ctx.seed())?;
    let l = op.lipschitz().unwrap_or(p.l + p.rho);
    let start = Col::zeros(n);
    let (set, solution): (Box<dyn ConstraintSet>, Option<Col<f64>>) = if p.r#box > 0.0 {
        let h = p.r#box;
        let set = BoxSet::uniform(n, -h, h)?;
        let work = if p.family == "dense" { 2.0 * (n * n) as f64 } else { 4.0 * n as f64 };
        let max_iters = (2e9 / work).min(1_000_000.0) as usize;
        let (z, r) = reference_solution(op.as_mut(), &set, start.as_ref(), l, 1e-13, max_iters);
        (Box::new(set), (r <= 1e-11).then_some(z))
    } else {
        (Box::new(WholeSpace::new(n)), Some(w))
    };
    let mut problem = Problem::new("quadratic", op, set, start)?;
    if let Some(z) = solution {
        problem = problem.with_solution(z)?;
    }
    Ok(problem)
}

/// In the default suite: n = 20.
fn run_defaults(_: &QuadraticParams) -> vi_core::RunDefaults {
    vi_core::RunDefaults::suite_only(serde_json::json!({"n": 20}), vi_core::Budget::default())
}

vi_core::register_problem!(
    "quadratic",
    "F(z) = (S + K) z + q: strongly monotone with exact mu, L and rotation rho; dense or 2x2 rotation blocks",
    QuadraticParams,
    build,
    defaults = run_defaults
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::build_error;
    use faer::prelude::Solve;

    /// `quadratic` with `params` (seed 5).
    fn build_p(params: serde_json::Value) -> Problem {
        crate::testing::built("quadratic", params, 5)
    }

    /// The matrix M of a problem's operator, recovered from F(e_j) - F(0).
    fn matrix_of(p: &mut Problem) -> (Mat<f64>, Col<f64>) {
        let n = p.dim();
        let mut q = Col::zeros(n);
        p.operator_mut().eval(Col::<f64>::zeros(n).as_ref(), q.as_mut());
        let mut m = Mat::zeros(n, n);
        let mut e = Col::<f64>::zeros(n);
        let mut f = Col::<f64>::zeros(n);
        for j in 0..n {
            e[j] = 1.0;
            p.operator_mut().eval(e.as_ref(), f.as_mut());
            for i in 0..n {
                m[(i, j)] = f[i] - q[i];
            }
            e[j] = 0.0;
        }
        (m, q)
    }

    #[test]
    fn dense_constants_are_exact() {
        let mut p = build_p(serde_json::json!({ "n": 12, "mu": 0.2, "l": 3.0, "rho": 1.5 }));
        let (m, q) = matrix_of(&mut p);
        let sym = Mat::from_fn(12, 12, |i, j| 0.5 * (m[(i, j)] + m[(j, i)]));
        let skew = Mat::from_fn(12, 12, |i, j| 0.5 * (m[(i, j)] - m[(j, i)]));
        let ev = sym.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        assert!((ev[0] - 0.2).abs() < 1e-12 && (ev[11] - 3.0).abs() < 1e-12, "{ev:?}");
        assert!((skew.singular_values().unwrap()[0] - 1.5).abs() < 1e-12);
        let l = m.singular_values().unwrap()[0];
        assert!((p.lipschitz().unwrap() - l).abs() < 1e-12);
        assert!(l <= 3.0 + 1.5 + 1e-12);
        assert_eq!(p.strong_monotonicity(), Some(0.2));
        // Known solution = LU solve of M z = -q, and it satisfies the VI.
        let neg_q = Col::from_fn(12, |i| -q[i]);
        let z = m.partial_piv_lu().solve(&neg_q);
        let s = p.solution().unwrap().to_owned();
        assert!(vi_core::linalg::dist(z.as_ref(), s.as_ref()) < 1e-12);
        assert!(p.natural_residual(s.as_ref()) < 1e-12);
    }

    #[test]
    fn blocks_family_closed_forms() {
        let mut p = build_p(serde_json::json!({ "n": 6, "mu": 0.5, "l": 2.0, "rho": 3.0, "family": "blocks" }));
        let (m, q) = matrix_of(&mut p);
        // a = (0.5, 1, 2), b = 3: block 2 is [[1, 3], [-3, 1]].
        assert_eq!((m[(2, 2)], m[(2, 3)], m[(3, 2)], m[(3, 3)], m[(0, 2)]), (1.0, 3.0, -3.0, 1.0, 0.0));
        assert_eq!(p.lipschitz(), Some(13f64.sqrt()));
        assert_eq!(p.strong_monotonicity(), Some(0.5));
        assert!((m.singular_values().unwrap()[0] - 13f64.sqrt()).abs() < 1e-12);
        let neg_q = Col::from_fn(6, |i| -q[i]);
        let z = m.partial_piv_lu().solve(&neg_q);
        let s = p.solution().unwrap().to_owned();
        assert!(vi_core::linalg::dist(z.as_ref(), s.as_ref()) < 1e-12);
        assert!(p.natural_residual(s.as_ref()) < 1e-12);
    }

    #[test]
    fn strongly_monotone_on_random_pairs_and_matches_finite_differences() {
        for family in ["dense", "blocks"] {
            let mut p = build_p(serde_json::json!({ "n": 10, "mu": 0.3, "family": family }));
            let (m, _) = matrix_of(&mut p);
            let mut rng = vi_core::rng::seeded(3, 4);
            let (mut f, mut g, mut jv) = (Col::zeros(10), Col::zeros(10), Col::zeros(10));
            for _ in 0..20 {
                let z = Col::from_fn(10, |_| vi_core::rng::normal(&mut rng));
                let w = Col::from_fn(10, |_| vi_core::rng::normal(&mut rng));
                p.operator_mut().eval(z.as_ref(), f.as_mut());
                p.operator_mut().eval(w.as_ref(), g.as_mut());
                let inner: f64 = (0..10).map(|i| (f[i] - g[i]) * (z[i] - w[i])).sum();
                let d2: f64 = (0..10).map(|i| (z[i] - w[i]).powi(2)).sum();
                assert!(inner >= 0.3 * d2 * (1.0 - 1e-12), "{family}: {inner} < {}", 0.3 * d2);
                vi_core::operator::finite_difference_jvp(p.operator_mut(), z.as_ref(), w.as_ref(), jv.as_mut());
                for i in 0..10 {
                    let e: f64 = (0..10).map(|j| m[(i, j)] * w[j]).sum();
                    assert!((jv[i] - e).abs() < 1e-7, "{family}");
                }
            }
        }
    }

    #[test]
    fn box_reference_solution_satisfies_the_vi() {
        for family in ["dense", "blocks"] {
            let mut p = build_p(serde_json::json!({ "n": 30, "family": family, "box": 0.5 }));
            let z = p.solution().expect("reference solution").to_owned();
            assert!(p.natural_residual(z.as_ref()) < 1e-10, "{family}");
            assert!(p.set().contains(z.as_ref(), 0.0));
            let active = z.iter().filter(|v| (v.abs() - 0.5).abs() < 1e-12).count();
            assert!(active > 0 && active < 30, "{family}: {active} active bounds");
        }
    }

    #[test]
    fn same_seed_same_problem() {
        let a = build_p(serde_json::json!({ "n": 8 }));
        let b = build_p(serde_json::json!({ "n": 8 }));
        let c = vi_core::build_problem("quadratic", &serde_json::json!({ "n": 8 }), 6).unwrap();
        assert_eq!(a.solution().unwrap(), b.solution().unwrap());
        assert_ne!(a.solution().unwrap(), c.solution().unwrap());
        assert_eq!(a.lipschitz(), b.lipschitz());
    }

    #[test]
    fn dense_size_limit_is_within_the_build_budget() {
        assert!(dense_build_flops(MAX_DENSE_N).get().unwrap() <= limits::MAX_BUILD_FLOPS);
        assert!(dense_build_flops(2 * MAX_DENSE_N).get().unwrap() > limits::MAX_BUILD_FLOPS);
        assert_eq!(dense_build_flops(usize::MAX).get(), None);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert_eq!(
            build_error("quadratic", serde_json::json!({ "mu": 2.0, "l": 1.0 })),
            "invalid value for parameter `mu` of problem quadratic: must be <= l = 1, got 2"
        );
        assert_eq!(
            build_error("quadratic", serde_json::json!({ "n": 1 })),
            "invalid value for parameter `n` of problem quadratic: must be >= 2, got 1"
        );
        assert_eq!(
            build_error("quadratic", serde_json::json!({ "n": -4 })),
            "invalid value for parameter `n` of problem quadratic: invalid value: integer `-4`, expected a whole \
             number >= 0 (got -4)"
        );
        assert_eq!(
            build_error("quadratic", serde_json::json!({ "n": 2.5 })),
            "invalid value for parameter `n` of problem quadratic: invalid type: floating point `2.5`, expected a \
             whole number >= 0 (got 2.5)"
        );
        assert_eq!(build_p(serde_json::json!({ "n": 6.0 })).dim(), 6);
        assert_eq!(
            build_error("quadratic", serde_json::json!({ "n": 5, "family": "blocks" })),
            "invalid value for parameter `n` of problem quadratic: must be even for family \"blocks\" (2 x 2 blocks), got 5"
        );
        assert_eq!(
            build_error("quadratic", serde_json::json!({ "family": "sparse" })),
            "invalid value for parameter `family` of problem quadratic: unknown family `sparse`; valid families: \
             \"dense\", \"blocks\""
        );
        assert_eq!(
            build_error("quadratic", serde_json::json!({ "mu": 0.0 })),
            "invalid value for parameter `mu` of problem quadratic: must be a finite number > 0, got 0"
        );
        assert!(build_error("quadratic", serde_json::json!({ "box": -1.0 })).contains("`box`"));
        assert!(build_error("quadratic", serde_json::json!({ "rho": -1.0 })).contains("`rho`"));
    }
}
