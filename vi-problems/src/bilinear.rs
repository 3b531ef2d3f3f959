//! # `bilinear`: unconstrained bilinear games (docs/math.md §3.1)
//!
//! `min_x max_y f(x, y) = x^T A y + b^T x + c^T y` with `x in R^m`, `y in R^n`, so
//!
//! ```text
//! F(x, y) = (A y + b, -A^T x - c),     J = [[0, A], [-A^T, 0]] (skew).
//! ```
//!
//! `mu = 0`, `L = sigma_max(A)` (both exact by construction; no decomposition at build time, so
//! sizes in the thousands build quickly), eigenvalues `+- i sigma_j(A)`.
//!
//! ## Data
//! `A = U diag(s) V^T` with `U` (m x r) and `V` (n x r) orthonormal (thin QR of seeded Gaussian
//! matrices) and `r = rank` singular values geometrically spaced from `sigma_max` down to
//! `sigma_max / cond`. The minimum-norm solution `(x*, y*)` is drawn in the row spaces
//! (`x* = U alpha`, `y* = V beta`) and `b = -A y*`, `c = -A^T x*`, so a solution exists even
//! when `A` is singular. When `rank < min(m, n)` the solution set is the affine set
//! `x* + null(A^T)` x `y* + null(A)`; the reported `distance_to_solution` is to the minimum-norm
//! solution and the metric `distance_to_solution_set` to the whole set.
//!
//! Preset `"xy"`: the scalar game `x * y` (`A = 1`, `b = c = 0`, solution 0, start `(1, 1)`).

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, ColMut, ColRef, Mat, Par};
use vi_core::memory::{self, Size};
use vi_core::{Block, BuildContext, Checked, Error, FnMetric, Monotonicity, Operator, Problem, Result};

vi_core::params! {
    /// Parameters of the `bilinear` problem.
    ///
    /// `m`, `n` and `rank` must fit the memory limit ([`vi_core::memory`]: about `2 m n + 3 (m + n)
    /// r` values) and the work limit ([`crate::limits`]: `2 m n r + 4 (m + n) r^2` operations).
    pub struct BilinearParams {
        /// dimension of x (the minimizing player)
        pub m: usize = 10;
        /// dimension of y (the maximizing player)
        pub n: usize = 10;
        /// rank of A; 0 = full rank min(m,n); smaller gives a non-unique solution set
        pub rank: usize = 0;
        /// sigma_max / sigma_min over the nonzero singular values, >= 1
        pub cond: f64 = 4.0;
        /// largest singular value of A (the Lipschitz constant), in [1e-100, 1e100]
        pub sigma_max: f64 = 1.0;
        /// "xy" for the scalar game x*y; "" for random data
        pub preset: String = String::new();
        /// threads of one oracle call, 1..=256 (default 1); the numbers do not depend on it
        pub threads: usize = 1;
    }
    validate(p, owner) {
        match p.preset.as_str() {
            "" | "xy" => {}
            other => {
                return Err(Error::param(
                    owner,
                    "preset",
                    format!("unknown preset `{other}`; valid presets: \"\" (random), \"xy\""),
                ))
            }
        }
        if !(1..=256).contains(&p.threads) {
            return Err(Error::param(owner, "threads", format!("must be in 1..=256, got {}", p.threads)));
        }
        if p.m == 0 || p.n == 0 {
            return Err(Error::param(owner, if p.m == 0 { "m" } else { "n" }, "must be >= 1"));
        }
        if p.rank > p.m.min(p.n) {
            return Err(Error::param(
                owner,
                "rank",
                format!("must be <= min(m, n) = {}, got {}", p.m.min(p.n), p.rank),
            ));
        }
        if !(p.cond >= 1.0 && p.cond.is_finite()) {
            return Err(Error::param(owner, "cond", format!("must be a finite number >= 1, got {}", p.cond)));
        }
        if !(p.sigma_max > 0.0 && p.sigma_max.is_finite()) {
            return Err(Error::param(
                owner,
                "sigma_max",
                format!("must be a finite number > 0, got {}", p.sigma_max),
            ));
        }
        // Beyond this the entries of A, b and c overflow.
        crate::limits::check_range(owner, "sigma_max", p.sigma_max, 1e-100, 1e100)?;
        if p.preset.is_empty() {
            let (m, n) = (p.m, p.n);
            let r = if p.rank == 0 { m.min(n) } else { p.rank };
            let big = if m >= n { "m" } else { "n" };
            let what = format_args!("m x n = {m} x {n} (rank {r})");
            // A and its copy in the operator; U, V, their Gaussian seeds and U diag(s); vectors.
            let words = Size::of(m) * n * 2usize + (Size::of(m) + n) * r * 3usize + (Size::of(m) + n) * 8usize;
            memory::check(owner, big, what, words.f64s().get())?;
            // Two thin QRs and the product U diag(s) V^T.
            let flops = (Size::of(m) + n) * r * r * 4usize + Size::of(m) * n * r * 2usize;
            crate::limits::check_build(owner, big, what, flops, "use smaller m, n or rank (2 m n r <= 1e11)")?;
        }
        Ok(())
    }
}

/// A random `rows x cols` matrix with orthonormal columns (thin QR of a Gaussian matrix).
pub fn random_orthonormal(rows: usize, cols: usize, rng: &mut vi_core::rng::Rng) -> Mat<f64> {
    let g = Mat::from_fn(rows, cols, |_, _| vi_core::rng::normal(rng));
    g.qr().compute_thin_Q()
}

/// The bilinear game's data: `A`, `b`, `c`, the minimum-norm solution and the row-space bases.
pub struct BilinearData {
    /// The payoff matrix `A` (m x n).
    pub a: Mat<f64>,
    /// Linear term of `x`.
    pub b: Col<f64>,
    /// Linear term of `y`.
    pub c: Col<f64>,
    /// Minimum-norm solution `(x*, y*)`.
    pub solution: Col<f64>,
    /// Orthonormal basis of range(A) (m x r).
    pub u: Mat<f64>,
    /// Orthonormal basis of range(A^T) (n x r).
    pub v: Mat<f64>,
    /// `sigma_max(A)`, exact by construction (the Lipschitz constant of `F`).
    pub sigma_max: f64,
}

/// Generates the data of a validated parameter set from `seed`.
pub fn bilinear_data(p: &BilinearParams, seed: impl vi_core::Seed) -> BilinearData {
    if p.preset == "xy" {
        let one = Mat::from_fn(1, 1, |_, _| 1.0);
        return BilinearData {
            a: one.clone(),
            b: Col::zeros(1),
            c: Col::zeros(1),
            solution: Col::zeros(2),
            u: one.clone(),
            v: one,
            sigma_max: 1.0,
        };
    }
    let (m, n) = (p.m, p.n);
    let r = if p.rank == 0 { m.min(n) } else { p.rank };
    let mut rng = vi_core::rng::seeded(seed.get(), 0xb111);
    let u = random_orthonormal(m, r, &mut rng);
    let v = random_orthonormal(n, r, &mut rng);
    let s: Vec<f64> = (0..r)
        .map(|i| if r == 1 { p.sigma_max } else { p.sigma_max * p.cond.powf(-(i as f64) / (r as f64 - 1.0)) })
        .collect();
    // A = (U diag(s)) V^T, by matmul: O(m n r) flops in faer's kernels, fast at thousands.
    let us = Mat::from_fn(m, r, |i, k| u[(i, k)] * s[k]);
    let mut a = Mat::<f64>::zeros(m, n);
    matmul(a.as_mut(), Accum::Replace, us.as_ref(), v.transpose(), 1.0, Par::Seq);
    let alpha = Col::<f64>::from_fn(r, |_| vi_core::rng::normal(&mut rng));
    let beta = Col::<f64>::from_fn(r, |_| vi_core::rng::normal(&mut rng));
    let (mut xs, mut ys) = (Col::<f64>::zeros(m), Col::<f64>::zeros(n));
    matmul(xs.as_mut().as_mat_mut(), Accum::Replace, u.as_ref(), alpha.as_mat(), 1.0, Par::Seq);
    matmul(ys.as_mut().as_mat_mut(), Accum::Replace, v.as_ref(), beta.as_mat(), 1.0, Par::Seq);
    let (mut b, mut c) = (Col::<f64>::zeros(m), Col::<f64>::zeros(n));
    matmul(b.as_mut().as_mat_mut(), Accum::Replace, a.as_ref(), ys.as_mat(), -1.0, Par::Seq);
    matmul(c.as_mut().as_mat_mut(), Accum::Replace, a.transpose(), xs.as_mat(), -1.0, Par::Seq);
    let solution = Col::from_fn(m + n, |i| if i < m { xs[i] } else { ys[i - m] });
    BilinearData { a, b, c, solution, u, v, sigma_max: p.sigma_max }
}

/// `F(x, y) = (A y + b, -A^T x - c)`, evaluated from `A` itself in one sweep over its entries
/// ([`crate::sweep`]; no `(m + n)^2` block matrix). `L = sigma_max(A)` and `mu = 0` are declared
/// from the construction, so no decomposition runs at build time.
#[derive(Clone, Debug)]
pub struct BilinearOperator {
    a: Mat<f64>,
    b: Col<f64>,
    c: Col<f64>,
    lipschitz: f64,
    threads: usize,
    /// Scratch of the sweep (partial `A y` per column block).
    partial: Vec<f64>,
}

impl BilinearOperator {
    /// The operator of `x^T A y + b^T x + c^T y` with declared `L = sigma_max(A)`.
    ///
    /// # Errors
    /// [`Error::Dimension`] when `b` or `c` do not fit `A`, [`Error::NonFinite`] for NaN or
    /// infinite data.
    pub fn new(a: Mat<f64>, b: Col<f64>, c: Col<f64>, sigma_max: f64) -> Result<Self> {
        if b.nrows() != a.nrows() {
            return Err(Error::dim("bilinear operator: length of b (rows of A)", a.nrows(), b.nrows()));
        }
        if c.nrows() != a.ncols() {
            return Err(Error::dim("bilinear operator: length of c (columns of A)", a.ncols(), c.nrows()));
        }
        if !a.is_all_finite() || !vi_core::linalg::all_finite(b.as_ref()) || !vi_core::linalg::all_finite(c.as_ref()) {
            return Err(Error::NonFinite("bilinear operator data".into()));
        }
        let partial = vec![0.0; crate::sweep::workspace_len(a.nrows(), a.ncols())];
        Ok(Self { a, b, c, lipschitz: sigma_max, threads: 1, partial })
    }

    /// Uses `threads` threads per evaluation (1 by default; results do not depend on it). The
    /// work is shared on the current rayon pool; run on one of its workers (inside
    /// `rayon::scope` or a pool's `install`, as `vi-bench run` does) so that each call does not
    /// first wake the pool from a blocked caller.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// `J v` (no offsets) into `out`.
    fn apply(&self, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        let m = self.a.nrows();
        let (x, y) = v.split_at_row(m);
        let (ox, oy) = out.split_at_row_mut(m);
        matmul(ox.as_mat_mut(), Accum::Replace, self.a.as_ref(), y.as_mat(), 1.0, Par::Seq);
        matmul(oy.as_mat_mut(), Accum::Replace, self.a.transpose(), x.as_mat(), -1.0, Par::Seq);
    }
}

impl Operator for BilinearOperator {
    fn dim(&self) -> usize {
        self.a.nrows() + self.a.ncols()
    }
    fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let m = self.a.nrows();
        if let (Some(zs), Some(os)) = (vi_core::linalg::slice(z), vi_core::linalg::slice_mut(out.as_mut())) {
            let ((x, y), (ox, oy)) = (zs.split_at(m), os.split_at_mut(m));
            crate::sweep::matvec_pair(self.a.as_ref(), x, y, ox, oy, &mut self.partial, self.threads);
            let (b, c) = (self.b.as_ref(), self.c.as_ref());
            for (i, o) in ox.iter_mut().enumerate() {
                *o += b[i];
            }
            for (j, o) in oy.iter_mut().enumerate() {
                *o = -*o - c[j];
            }
            return;
        }
        self.apply(z, out.as_mut());
        let (ox, oy) = out.split_at_row_mut(m);
        faer::zip!(ox, self.b.as_ref()).for_each(|faer::unzip!(o, b)| *o += *b);
        faer::zip!(oy, self.c.as_ref()).for_each(|faer::unzip!(o, c)| *o -= *c);
    }
    fn lipschitz(&self) -> Option<f64> {
        Some(self.lipschitz)
    }
    fn strong_monotonicity(&self) -> Option<f64> {
        Some(0.0)
    }
    fn monotonicity(&self) -> Monotonicity {
        Monotonicity::Monotone
    }
    fn jvp(&mut self, _z: ColRef<'_, f64>, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.apply(v, out);
    }
    fn jacobian(&mut self, _z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        let (m, n) = (self.a.nrows(), self.a.ncols());
        Some(Mat::from_fn(m + n, m + n, |i, j| match (i < m, j < m) {
            (true, false) => self.a[(i, j - m)],
            (false, true) => -self.a[(j, i - m)],
            _ => 0.0,
        }))
    }
}

/// The operator `F(x, y) = (A y + b, -A^T x - c)` of the data.
///
/// # Errors
/// As [`BilinearOperator::new`].
pub fn bilinear_operator(d: &BilinearData) -> Result<BilinearOperator> {
    BilinearOperator::new(d.a.clone(), d.b.clone(), d.c.clone(), d.sigma_max)
}

fn build(p: Checked<BilinearParams>, ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let d = bilinear_data(&p, ctx);
    let (m, n) = (d.a.nrows(), d.a.ncols());
    let op = bilinear_operator(&d)?.with_threads(p.threads);
    let start = Col::from_fn(m + n, |_| 1.0);
    let (u, v, sol) = (d.u.clone(), d.v.clone(), d.solution.clone());
    // Distance to the solution set: the row-space components of z - z*.
    let set_distance = move |z: ColRef<'_, f64>| {
        let mut s = 0.0;
        for (basis, off, len) in [(&u, 0, m), (&v, m, n)] {
            for k in 0..basis.ncols() {
                let p: f64 = (0..len).map(|i| basis[(i, k)] * (z[off + i] - sol[off + i])).sum();
                s += p * p;
            }
        }
        s.sqrt()
    };
    Problem::unconstrained("bilinear", Box::new(op), start)?
        .with_blocks(vec![Block::new("x", 0..m), Block::new("y", m..m + n)])?
        .with_solution(d.solution)
        .map(|p| p.with_metric(Box::new(FnMetric::new("distance_to_solution_set", set_distance))))
}

/// In the default suite: a 10 x 10 game.
fn run_defaults(_: &BilinearParams) -> vi_core::RunDefaults {
    vi_core::RunDefaults::suite_only(serde_json::json!({"m": 10, "n": 10}), vi_core::Budget::default())
}

vi_core::register_problem!(
    "bilinear",
    "min_x max_y x'Ay + b'x + c'y, unconstrained, seeded A with chosen rank and condition",
    BilinearParams,
    build,
    defaults = run_defaults
);

#[cfg(test)]
mod tests {
    use super::*;

    fn build_p(p: BilinearParams) -> Problem {
        let resolved = serde_json::to_value(&p).unwrap();
        vi_core::build_problem("bilinear", &resolved, 3).unwrap()
    }

    #[test]
    fn solution_satisfies_the_vi_and_constants_are_exact() {
        for rank in [0, 4] {
            let mut p = build_p(BilinearParams { m: 7, n: 5, rank, cond: 10.0, sigma_max: 2.0, ..Default::default() });
            let z = p.solution().unwrap().to_owned();
            assert!(p.natural_residual(z.as_ref()) < 1e-12);
            assert!((p.lipschitz().unwrap() - 2.0).abs() < 1e-10);
            assert!(p.strong_monotonicity().unwrap().abs() < 1e-10);
        }
    }

    #[test]
    fn operator_matches_formula() {
        let p = BilinearParams { m: 3, n: 2, ..Default::default() };
        let d = bilinear_data(&p, 1);
        let mut op = bilinear_operator(&d).unwrap();
        let z = Col::from_fn(5, |i| 0.3 * i as f64 - 0.5);
        let mut f = Col::zeros(5);
        op.eval(z.as_ref(), f.as_mut());
        for i in 0..3 {
            let e: f64 = (0..2).map(|j| d.a[(i, j)] * z[3 + j]).sum::<f64>() + d.b[i];
            assert!((f[i] - e).abs() < 1e-14);
        }
        for j in 0..2 {
            let e: f64 = -(0..3).map(|i| d.a[(i, j)] * z[i]).sum::<f64>() - d.c[j];
            assert!((f[3 + j] - e).abs() < 1e-14);
        }
    }

    #[test]
    fn same_seed_same_data() {
        let p = BilinearParams::default();
        assert_eq!(bilinear_data(&p, 9).a, bilinear_data(&p, 9).a);
        assert_ne!(bilinear_data(&p, 9).a, bilinear_data(&p, 10).a);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        let e = vi_core::build_problem("bilinear", &serde_json::json!({"rank": 20}), 0).unwrap_err().to_string();
        assert!(e.contains("`rank`") && e.contains("min(m, n) = 10"), "{e}");
        let e = vi_core::build_problem("bilinear", &serde_json::json!({"m": -3}), 0).unwrap_err().to_string();
        assert!(e.contains("`m`"), "{e}");
        let e = vi_core::build_problem("bilinear", &serde_json::json!({"size": 3}), 0).unwrap_err().to_string();
        assert!(e.contains("unknown parameter `size`") && e.contains("cond"), "{e}");
        let e = vi_core::build_problem("bilinear", &serde_json::json!({"start": [1, 2]}), 0).unwrap_err().to_string();
        assert!(e.contains("start") && e.contains("expected 20, got 2"), "{e}");
    }
    #[test]
    fn skew_on_random_pairs_and_jacobian_matches_finite_differences() {
        let p = BilinearParams { m: 4, n: 6, rank: 3, ..Default::default() };
        let d = bilinear_data(&p, 2);
        let mut op = bilinear_operator(&d).unwrap();
        let j = op.jacobian(Col::<f64>::zeros(10).as_ref()).unwrap();
        let mut rng = vi_core::rng::seeded(5, 6);
        let (mut f, mut g, mut jv) = (Col::zeros(10), Col::zeros(10), Col::zeros(10));
        for _ in 0..20 {
            let z = Col::from_fn(10, |_| vi_core::rng::normal(&mut rng));
            let w = Col::from_fn(10, |_| vi_core::rng::normal(&mut rng));
            op.eval(z.as_ref(), f.as_mut());
            op.eval(w.as_ref(), g.as_mut());
            let inner: f64 = (0..10).map(|i| (f[i] - g[i]) * (z[i] - w[i])).sum();
            assert!(inner.abs() < 1e-12, "{inner}");
            vi_core::operator::finite_difference_jvp(&mut op, z.as_ref(), w.as_ref(), jv.as_mut());
            for i in 0..10 {
                let e: f64 = (0..10).map(|k| j[(i, k)] * w[k]).sum();
                assert!((jv[i] - e).abs() < 1e-8);
            }
        }
        // The declared L is the largest singular value of J (and of A), rank 3 of 4.
        let sv = j.singular_values().unwrap();
        assert!((sv[0] - op.lipschitz().unwrap()).abs() < 1e-12);
        let sa = d.a.singular_values().unwrap();
        assert!((sa[2] - 0.25).abs() < 1e-12 && sa[3].abs() < 1e-12, "{sa:?}");
    }

    #[test]
    fn rank_deficient_solution_set_metric() {
        let mut p = build_p(BilinearParams { m: 6, n: 4, rank: 2, ..Default::default() });
        let z = p.solution().unwrap().to_owned();
        // Moving along null(A^T) x null(A) keeps a solution: residual 0, set distance 0.
        let d = bilinear_data(&BilinearParams { m: 6, n: 4, rank: 2, ..Default::default() }, 3);
        let mut moved = z.clone();
        // A vector in null(A^T): e_0 minus its projection on range(A) = span(U).
        let mut e = Col::<f64>::zeros(6);
        e[0] = 1.0;
        for k in 0..2 {
            let c: f64 = (0..6).map(|i| d.u[(i, k)] * e[i]).sum();
            for i in 0..6 {
                e[i] -= c * d.u[(i, k)];
            }
        }
        for i in 0..6 {
            moved[i] += e[i];
        }
        assert!(p.natural_residual(moved.as_ref()) < 1e-12);
        let m = p.metrics(moved.as_ref());
        assert!(m["distance_to_solution_set"] < 1e-12, "{m:?}");
        assert!((p.distance_to_solution(moved.as_ref()).unwrap() - e.norm_l2()).abs() < 1e-12);
    }
}
