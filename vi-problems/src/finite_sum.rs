//! # Finite-sum problems with known solutions (docs/math.md §3.9)
//!
//! Both are `F = (1/N) sum_i F_i` with affine components `F_i(z) = M_i z + q_i`
//! ([`vi_core::AffineSum`]), so the stochastic solvers can sample components while the
//! deterministic ones see the mean operator.
//!
//! ## `finite-sum-quadratic`
//! ```text
//! M_i = c_i (S_i + K),  S_i = Q_i diag(s) Q_i^T,  K = Q_K diag([[0, rho], [-rho, 0]], ...) Q_K^T
//! q_i = -M_i w + noise (g_i - mean_j g_j)
//! ```
//! `Q_i`, `Q_K` are seeded random orthogonal matrices, `s` runs from `mu` to `l` (geometric;
//! linear when `mu = 0`), the rotation `K` (common to all components) has every singular value
//! equal to `rho` (one zero for odd `n`), `g_i`, `w` are seeded standard Gaussian, and the weights `c_i` run
//! geometrically from `c_1` to `c_N = spread * c_1` with mean 1. Every component is
//! `c_i mu`-strongly monotone (merely monotone for `mu = 0`; a pure rotation for `mu = l = 0`)
//! and `c_i (l + rho)`-Lipschitz; the mean `mean_i(c_i S_i) + K` is at least `mu`-strongly
//! monotone (its exact `mu` is larger: the randomly rotated `S_i` average towards a multiple of
//! the identity). Since the offsets'
//! noise has mean zero, `F(w) = 0` exactly: the solution is `z* = w` (closed form), and
//! `noise` sets the spread of the components at the solution,
//! `sigma_*^2 = (1/N) sum_i ||F_i(z*)||^2`, which is what makes constant-step stochastic methods
//! stall. The mean's `L`, `mu` (dense SVD / symmetric eigenvalues) and every `L_i` are exact.
//! Unconstrained; start `z_0 = 0`.
//!
//! ## `finite-sum-bilinear`
//! ```text
//! min_x max_y (1/N) sum_i x^T A_i y + b_i^T x + c_i^T y,   x, y in R^n
//! A_i = c_i Abar + hetero (G_i - mean_j G_j),   Abar = U diag(sigma) V^T
//! b_i = -A_i y* + noise d_i,   c_i = -A_i^T x* + noise e_i     (d, e centred over i)
//! ```
//! `sigma` runs geometrically from `mu` to `l`, so the mean game's matrix is exactly `Abar`:
//! `L = l`, the operator is monotone (not strongly) and `z* = (x*, y*)` (seeded Gaussian) is its
//! unique solution. Blocks `x` and `y`; unconstrained; start `z_0 = 0`.

use faer::{Col, Mat};
use vi_core::rng::{self, Rng};
use vi_core::{AffineSum, Block, BuildContext, Checked, Error, Problem, Result};

use crate::bilinear::random_orthonormal;
use crate::limits;

/// Largest dimension `n` (per player for the bilinear game).
pub const MAX_N: usize = 200;
/// Largest number of components.
pub const MAX_COMPONENTS: usize = 100_000;
/// Largest `N n^2` (stored matrix entries, 8 bytes each) and `N n^3` (build flops / 20).
pub const MAX_ENTRIES: usize = 8_000_000;
/// Largest `N n^3` (one SVD per component at build time).
pub const MAX_CUBE: usize = 2_000_000_000;
/// Largest `mu`, `l`, `rho`, `noise`, `hetero`, `spread`.
pub const MAX_SCALE: f64 = 1e6;

vi_core::params! {
    /// Parameters of `finite-sum-quadratic`.
    pub struct FiniteSumQuadraticParams {
        /// dimension, in 2..=200 (even when l = 0)
        pub n: usize = 10;
        /// number of components N, in 1..=100000 with N n^2 <= 8e6
        pub components: usize = 50;
        /// Strong monotonicity of every symmetric part (default 0.1).
        pub mu: f64 = 0.1;
        /// largest eigenvalue of every symmetric part, in [mu, 1e6]; l = mu = 0 is a pure rotation
        pub l: f64 = 1.0;
        /// rotation magnitude: every singular value of the common skew part K, in [0, 1e6]
        pub rho: f64 = 1.0;
        /// ratio of the largest to the smallest component weight c_i (so of L_i), in [1, 1e6]
        pub spread: f64 = 10.0;
        /// scale of the components at the solution F_i(z*), in [0, 1e6]; 0 = interpolation
        pub noise: f64 = 1.0;
    }
    validate(p, owner) {
        check_sizes(owner, 2, p.n, p.n, p.components)?;
        check_common(owner, p.mu, p.l, p.spread, p.noise)?;
        limits::check_range(owner, "rho", p.rho, 0.0, MAX_SCALE)?;
        if p.l == 0.0 && p.rho == 0.0 {
            return Err(Error::param(owner, "rho", "must be > 0 when l = 0 (otherwise F is constant)"));
        }
        if p.l == 0.0 && !p.n.is_multiple_of(2) {
            return Err(Error::param(
                owner,
                "n",
                format!(
                    "must be even for a pure rotation (l = 0): a skew matrix of odd size is singular, got {}",
                    p.n
                ),
            ));
        }
        Ok(())
    }
}

vi_core::params! {
    /// Parameters of `finite-sum-bilinear`.
    pub struct FiniteSumBilinearParams {
        /// dimension of each player, in 1..=200
        pub n: usize = 5;
        /// number of components N, in 1..=100000 with N (2n)^2 <= 8e6
        pub components: usize = 50;
        /// smallest singular value of the mean matrix, in (0, l]
        pub mu: f64 = 0.5;
        /// largest singular value of the mean matrix (= L), in [mu, 1e6]
        pub l: f64 = 1.0;
        /// ratio of the largest to the smallest component weight c_i, in [1, 1e6]
        pub spread: f64 = 10.0;
        /// scale of the zero-mean perturbations G_i of the components, in [0, 1e6]
        pub hetero: f64 = 0.3;
        /// scale of the components at the solution F_i(z*), in [0, 1e6]; 0 = interpolation
        pub noise: f64 = 1.0;
    }
    validate(p, owner) {
        check_sizes(owner, 1, p.n, 2 * p.n, p.components)?;
        check_common(owner, p.mu, p.l, p.spread, p.noise)?;
        if p.mu <= 0.0 {
            return Err(Error::param(
                owner,
                "mu",
                "must be > 0 (the mean matrix must be invertible for a unique solution)",
            ));
        }
        limits::check_range(owner, "hetero", p.hetero, 0.0, MAX_SCALE)
    }
}

fn check_sizes(owner: &str, n_min: usize, n: usize, dim: usize, components: usize) -> Result<()> {
    if !(n_min..=MAX_N).contains(&n) {
        return Err(Error::param(owner, "n", format!("must be in {n_min}..={MAX_N}, got {n}")));
    }
    if !(1..=MAX_COMPONENTS).contains(&components) {
        return Err(Error::param(owner, "components", format!("must be in 1..={MAX_COMPONENTS}, got {components}")));
    }
    let entries = components.saturating_mul(dim * dim);
    if entries > MAX_ENTRIES || entries.saturating_mul(dim) > MAX_CUBE {
        return Err(Error::param(
            owner,
            "components",
            format!(
                "components = {components} with dimension {dim} stores {entries} matrix entries and needs one SVD \
                 per component; the limits are N dim^2 <= {MAX_ENTRIES} and N dim^3 <= {MAX_CUBE}: use fewer \
                 components or a smaller n"
            ),
        ));
    }
    Ok(())
}

fn check_common(owner: &str, mu: f64, l: f64, spread: f64, noise: f64) -> Result<()> {
    limits::check_range(owner, "l", l, 0.0, MAX_SCALE)?;
    limits::check_range(owner, "mu", mu, 0.0, MAX_SCALE)?;
    if mu > l {
        return Err(Error::param(owner, "mu", format!("must be <= l = {}, got {}", limits::num(l), limits::num(mu))));
    }
    limits::check_range(owner, "spread", spread, 1.0, MAX_SCALE)?;
    limits::check_range(owner, "noise", noise, 0.0, MAX_SCALE)
}

/// Weights `c_1..c_N` geometric with ratio `spread` end to end, mean 1.
fn weights(n: usize, spread: f64) -> Vec<f64> {
    let raw: Vec<f64> = (0..n).map(|i| if n == 1 { 1.0 } else { spread.powf(i as f64 / (n - 1) as f64) }).collect();
    let mean = raw.iter().sum::<f64>() / n as f64;
    raw.into_iter().map(|c| c / mean).collect()
}

fn gaussian_col(n: usize, rng: &mut Rng) -> Col<f64> {
    Col::from_fn(n, |_| rng::normal(rng))
}

/// `noise (g_i - mean g)` for `N` seeded Gaussian vectors of length `n`.
fn centred_noise(count: usize, n: usize, noise: f64, rng: &mut Rng) -> Vec<Col<f64>> {
    let g: Vec<Col<f64>> = (0..count).map(|_| gaussian_col(n, rng)).collect();
    let mean = Col::from_fn(n, |r| g.iter().map(|v| v[r]).sum::<f64>() / count as f64);
    g.into_iter().map(|v| Col::from_fn(n, |r| noise * (v[r] - mean[r]))).collect()
}

/// The component matrices `M_i` of `finite-sum-quadratic`.
fn quadratic_matrices(p: &FiniteSumQuadraticParams, rng: &mut Rng) -> Vec<Mat<f64>> {
    let n = p.n;
    let s: Vec<f64> = (0..n)
        .map(|j| {
            let t = j as f64 / (n - 1) as f64;
            if p.mu > 0.0 {
                p.mu * (p.l / p.mu).powf(t)
            } else {
                p.l * t
            }
        })
        .collect();
    // K = Q_K J Q_K^T, J = diag([[0, rho], [-rho, 0]], ...) (a last 0 when n is odd).
    let qk = random_orthonormal(n, n, rng);
    let j = Mat::from_fn(n, n, |a, b| match (a % 2, b) {
        (0, b) if b == a + 1 => p.rho,
        (1, b) if b + 1 == a => -p.rho,
        _ => 0.0,
    });
    let k = &qk * &j * qk.transpose();
    weights(p.components, p.spread)
        .into_iter()
        .map(|c| {
            let q = random_orthonormal(n, n, rng);
            Mat::from_fn(n, n, |i, j| {
                let sym: f64 = (0..n).map(|r| q[(i, r)] * s[r] * q[(j, r)]).sum();
                c * (sym + k[(i, j)])
            })
        })
        .collect()
}

fn affine_offsets(m: &[Mat<f64>], w: &Col<f64>, noise: Vec<Col<f64>>) -> Vec<Col<f64>> {
    m.iter()
        .zip(noise)
        .map(|(mi, d)| Col::from_fn(w.nrows(), |r| d[r] - (0..w.nrows()).map(|j| mi[(r, j)] * w[j]).sum::<f64>()))
        .collect()
}

fn build_quadratic(p: Checked<FiniteSumQuadraticParams>, ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let mut rng = rng::seeded(ctx.seed(), 0xf5a1);
    let m = quadratic_matrices(&p, &mut rng);
    let w = gaussian_col(p.n, &mut rng);
    let noise = centred_noise(p.components, p.n, p.noise, &mut rng);
    let q = affine_offsets(&m, &w, noise);
    let op = AffineSum::new(m, q)?;
    Problem::unconstrained("finite-sum-quadratic", Box::new(op), Col::zeros(p.n))?.with_solution(w)
}

fn build_bilinear(p: Checked<FiniteSumBilinearParams>, ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let n = p.n;
    let mut rng = rng::seeded(ctx.seed(), 0xf5b1);
    let u = random_orthonormal(n, n, &mut rng);
    let v = random_orthonormal(n, n, &mut rng);
    let sigma: Vec<f64> =
        (0..n).map(|j| if n == 1 { p.mu } else { p.mu * (p.l / p.mu).powf(j as f64 / (n - 1) as f64) }).collect();
    let abar = Mat::from_fn(n, n, |i, j| (0..n).map(|r| u[(i, r)] * sigma[r] * v[(j, r)]).sum::<f64>());
    let g: Vec<Mat<f64>> = (0..p.components).map(|_| Mat::from_fn(n, n, |_, _| rng::normal(&mut rng))).collect();
    let gmean = Mat::from_fn(n, n, |i, j| g.iter().map(|gi| gi[(i, j)]).sum::<f64>() / p.components as f64);
    let blocks: Vec<Mat<f64>> = weights(p.components, p.spread)
        .into_iter()
        .zip(&g)
        .map(|(c, gi)| {
            let a = Mat::from_fn(n, n, |i, j| c * abar[(i, j)] + p.hetero * (gi[(i, j)] - gmean[(i, j)]));
            // F_i(x, y) = (A_i y + b_i, -A_i^T x - c_i).
            Mat::from_fn(2 * n, 2 * n, |i, j| match (i < n, j < n) {
                (true, false) => a[(i, j - n)],
                (false, true) => -a[(j, i - n)],
                _ => 0.0,
            })
        })
        .collect();
    let sol = gaussian_col(2 * n, &mut rng);
    let noise = centred_noise(p.components, 2 * n, p.noise, &mut rng);
    let q = affine_offsets(&blocks, &sol, noise);
    let op = AffineSum::new(blocks, q)?;
    Problem::unconstrained("finite-sum-bilinear", Box::new(op), Col::zeros(2 * n))?
        .with_blocks(vec![Block::new("x", 0..n), Block::new("y", n..2 * n)])?
        .with_solution(sol)
}

vi_core::register_problem!(
    "finite-sum-quadratic",
    "F = (1/N) sum_i F_i, affine components with a spread of L_i, strongly monotone or rotation; z* closed form",
    FiniteSumQuadraticParams,
    build_quadratic
);

vi_core::register_problem!(
    "finite-sum-bilinear",
    "(1/N) sum_i x'A_i y + b_i'x + c_i'y with mean matrix of given singular values; z* closed form",
    FiniteSumBilinearParams,
    build_bilinear
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use vi_core::Monotonicity;

    fn build(name: &str, params: serde_json::Value) -> Problem {
        vi_core::build_problem(name, &params, 4).unwrap()
    }

    #[test]
    fn quadratic_solution_and_constants_are_exact() {
        let mut p = build("finite-sum-quadratic", json!({}));
        let z = p.solution().unwrap().to_owned();
        assert!(p.natural_residual(z.as_ref()) < 1e-12, "{}", p.natural_residual(z.as_ref()));
        // The solution by an independent LU solve of the mean system.
        let j = p.operator_mut().jacobian(z.as_ref()).unwrap();
        let mut f0 = Col::zeros(10);
        let zero = Col::<f64>::zeros(10);
        p.operator_mut().eval(zero.as_ref(), f0.as_mut());
        let lu = j.partial_piv_lu();
        let sol = faer::linalg::solvers::Solve::solve(&lu, -&f0);
        assert!((&sol - &z).norm_l2() < 1e-10);
        // Mean mu >= mu (mean of c_i mu = mu), components c_i mu-strongly monotone.
        assert!(p.strong_monotonicity().unwrap() >= 0.1 - 1e-12);
        let l = p.component_lipschitz().unwrap().to_vec();
        assert_eq!(l.len(), 50);
        let (lo, hi) = l.iter().fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(*v), b.max(*v)));
        // L_i = c_i sigma_max(S_i + K) with sigma_max in [1, l + rho] = [1, 2]: ratio near spread.
        assert!(hi / lo > 10.0 / 2.0 && hi / lo < 10.0 * 2.0, "{lo} {hi}");
        assert!(p.lipschitz().unwrap() <= l.iter().sum::<f64>() / 50.0 + 1e-12);
        // The components are not zero at the solution: noise sigma_* > 0.
        let mut fi = Col::zeros(10);
        let op = p.operator_mut().finite_sum_mut().unwrap();
        op.eval_component(0, z.as_ref(), fi.as_mut());
        assert!(fi.norm_l2() > 0.1);
    }

    #[test]
    fn rotation_only_quadratic_is_monotone_not_strongly() {
        let mut p = build("finite-sum-quadratic", json!({"mu": 0.0, "l": 0.0, "rho": 1.0}));
        assert_eq!(p.operator().monotonicity(), Monotonicity::Monotone);
        assert!(p.strong_monotonicity().unwrap() < 1e-12);
        let z = p.solution().unwrap().to_owned();
        assert!(p.natural_residual(z.as_ref()) < 1e-12);
    }

    #[test]
    fn bilinear_solution_and_constants_are_exact() {
        let mut p = build("finite-sum-bilinear", json!({"n": 4}));
        let z = p.solution().unwrap().to_owned();
        assert!(p.natural_residual(z.as_ref()) < 1e-12);
        assert!((p.lipschitz().unwrap() - 1.0).abs() < 1e-10, "{}", p.lipschitz().unwrap());
        assert!(p.strong_monotonicity().unwrap().abs() < 1e-12);
        assert_eq!(p.blocks().len(), 2);
        assert_eq!(p.components(), Some(50));
    }

    #[test]
    fn same_seed_same_problem() {
        let a = build("finite-sum-quadratic", json!({"components": 7}));
        let b = build("finite-sum-quadratic", json!({"components": 7}));
        assert_eq!(a.solution().unwrap(), b.solution().unwrap());
        assert_eq!(a.component_lipschitz().unwrap(), b.component_lipschitz().unwrap());
    }

    #[test]
    fn bad_parameters_are_named() {
        for (name, params, key) in [
            ("finite-sum-quadratic", json!({"n": 1}), "`n`"),
            ("finite-sum-quadratic", json!({"components": 0}), "`components`"),
            ("finite-sum-quadratic", json!({"components": 100000, "n": 200}), "`components`"),
            ("finite-sum-quadratic", json!({"mu": 2.0}), "`mu`"),
            ("finite-sum-quadratic", json!({"spread": 0.5}), "`spread`"),
            ("finite-sum-quadratic", json!({"noise": -1.0}), "`noise`"),
            ("finite-sum-quadratic", json!({"mu": 0.0, "l": 0.0, "n": 5}), "`n`"),
            ("finite-sum-quadratic", json!({"mu": 0.0, "l": 0.0, "rho": 0.0}), "`rho`"),
            ("finite-sum-bilinear", json!({"mu": 0.0}), "`mu`"),
            ("finite-sum-bilinear", json!({"hetero": f64::MAX}), "`hetero`"),
        ] {
            let e = vi_core::build_problem(name, &params, 0).unwrap_err().to_string();
            assert!(e.contains(key), "{params}: {e}");
        }
    }
}
