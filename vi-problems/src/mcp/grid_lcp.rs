//! # `grid-lcp`: a sparse convection-diffusion LCP with a planted solution
//!
//! A sparse LCP on a `k x k` grid (`n = k^2`, index `p = r k + c`):
//! `M = L + c_conv (E - E^T)` with `L` the 5-point Laplacian (`4` on the diagonal, `-1` for each
//! of the up to four grid neighbours, Dirichlet boundary) and `E` the shift to the right
//! neighbour in the same row (a centred convection term, skew-symmetric). The symmetric part is
//! `L`, so `M` is positive definite with `mu = lambda_min(L) = 8 sin^2(pi / (2 (k + 1)))`
//! exactly, and `L_F = 8 + 2 |c_conv|` bounds `||M||`. At most 5 entries per row: stored sparse
//! ([`crate::SparseAffine`], with its sparse Jacobian). Planted solution (seeded): each grid point
//! is, with probability 1/2, in contact (`z*_p = 0`, `w*_p` uniform in (0.5, 1.5)) or free
//! (`z*_p` uniform in (0.5, 1.5), `w*_p = 0`), and `q = w* - M z*`; strict complementarity
//! holds, so `z*` is the unique, nondegenerate solution. Start 0. The discrete obstacle problem
//! (an elastic membrane over an obstacle) is the classical source of such LCPs (Cottle, Pang &
//! Stone 1992, §5.1; Kinderlehrer & Stampacchia 1980).
//!
//! ## References
//! - R. W. Cottle, J.-S. Pang, R. E. Stone, *The Linear Complementarity Problem*, Academic Press
//!   (1992).
//! - D. Kinderlehrer, G. Stampacchia, *An Introduction to Variational Inequalities and Their
//!   Applications*, Academic Press (1980).

use faer::Col;
use vi_core::{BuildContext, Checked, Error, NonnegativeOrthant, Problem, Result};

vi_core::params! {
    /// Parameters of `grid-lcp`.
    pub struct GridLcpParams {
        /// grid side, n = k^2, 2..=1000
        pub k: usize = 100;
        /// skew-symmetric convection coefficient, in [-100, 100]
        pub convection: f64 = 0.5;
    }
    validate(p, owner) {
        if !(2..=1000).contains(&p.k) {
            return Err(Error::param(owner, "k", format!("must be in 2..=1000 (n = k^2), got {}", p.k)));
        }
        if !(p.convection.is_finite() && p.convection.abs() <= 100.0) {
            return Err(Error::param(
                owner,
                "convection",
                format!("must be a finite number in [-100, 100], got {}", p.convection),
            ));
        }
        Ok(())
    }
}

/// One entry `(row, column, value)` of the `grid-lcp` matrix.
pub type GridEntry = faer::sparse::Triplet<usize, usize, f64>;

/// `(triplets of M, q, z*)` of the seeded grid LCP with side `k` and convection `c`.
pub fn grid_lcp_data(k: usize, c: f64, seed: u64) -> (Vec<GridEntry>, Col<f64>, Col<f64>) {
    use faer::sparse::Triplet;
    use rand::Rng;
    let n = k * k;
    let mut t = Vec::with_capacity(5 * n);
    for r in 0..k {
        for col in 0..k {
            let p = r * k + col;
            t.push(Triplet::new(p, p, 4.0));
            if col + 1 < k {
                t.push(Triplet::new(p, p + 1, -1.0 + c));
                t.push(Triplet::new(p + 1, p, -1.0 - c));
            }
            if r + 1 < k {
                t.push(Triplet::new(p, p + k, -1.0));
                t.push(Triplet::new(p + k, p, -1.0));
            }
        }
    }
    let mut rng = vi_core::rng::seeded(seed, 0x4c43);
    let mut zs = Col::<f64>::zeros(n);
    let mut ws = Col::<f64>::zeros(n);
    for p in 0..n {
        let v = rng.random_range(0.5..1.5);
        if rng.random_bool(0.5) {
            zs[p] = v;
        } else {
            ws[p] = v;
        }
    }
    let mut q = ws;
    for e in &t {
        q[e.row] -= e.val * zs[e.col];
    }
    (t, q, zs)
}

fn build_grid_lcp(p: Checked<GridLcpParams>, ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let n = p.k * p.k;
    let (t, q, zs) = grid_lcp_data(p.k, p.convection, ctx.seed());
    let s = (std::f64::consts::PI / (2.0 * (p.k as f64 + 1.0))).sin();
    let mu = 8.0 * s * s;
    let op = crate::SparseAffine::from_triplets(n, n, &t, q, Some(8.0 + 2.0 * p.convection.abs()), Some(mu))?;
    Problem::new("grid-lcp", Box::new(op), Box::new(NonnegativeOrthant::new(n)), Col::zeros(n))?.with_solution(zs)
}

/// In the default suite: k = 10 (n = 100); at the default n = 10^4 the first-order methods
/// take most of the suite's time.
fn grid_lcp_defaults(_: &GridLcpParams) -> vi_core::RunDefaults {
    vi_core::RunDefaults::suite_only(serde_json::json!({"k": 10}), vi_core::Budget::default())
}

vi_core::register_problem!(
    "grid-lcp",
    "sparse LCP on a k x k grid (Laplacian + convection, n = k^2) with a planted solution",
    GridLcpParams,
    build_grid_lcp,
    defaults = grid_lcp_defaults
);

#[cfg(test)]
mod tests {
    #[test]
    fn planted_solution_satisfies_the_vi() {
        for k in [3, 40] {
            let mut p = vi_core::build_problem("grid-lcp", &serde_json::json!({ "k": k }), 5).unwrap();
            let z = p.solution().unwrap().to_owned();
            let r = p.natural_residual(z.as_ref());
            assert!(r < 1e-13, "grid-lcp {k}: {r}");
            // A perturbed point is not a solution.
            let mut zp = z.clone();
            zp[0] += 0.1;
            assert!(p.natural_residual(zp.as_ref()) > 0.05);
        }
    }
}
