//! # `hphard`: Harker and Pang's monotone LCPs with a planted solution
//!
//! `M = A^T A + B + D` with `A` entries uniform in (-5, 5), `B` skew-symmetric with entries
//! uniform in (-5, 5), `D` diagonal uniform in (0, 0.3) (Harker & Pang's "hard" monotone
//! LCPs; `M` is positive definite). Instead of their random `q` in (-500, 0), the solution is
//! planted: half the coordinates (every other one) have `z*_i` uniform in (0, 10) and `w*_i = 0`,
//! the rest `z*_i = 0` and `w*_i` uniform in (0, 10), and `q = w* - M z*`; `z*` is then the
//! unique solution of `LCP(M, q)`. Start 0. Seeded.
//!
//! `F = M z + q` is evaluated with compensated products and sums (Ogita, Rump & Oishi's
//! `Dot2`, row by row, in a column sweep), as accurate as in twice the working precision and
//! then rounded once. A plain float64 product has an error near `eps || |M| |z| ||` (`4e-9` at
//! `n = 1000`), more than the `1e-10` a Newton method is asked for; the natural residual at the
//! float64 point nearest `z*` is only about `7e-11` there. `compensated = false` gives the plain
//! faer product, 4 to 7 times cheaper per call (the compensated sweep is plain Rust that the
//! compiler vectorises for the baseline target only).
//!
//! ## References
//! - P. T. Harker, J.-S. Pang, "A damped-Newton method for the linear complementarity problem",
//!   Lectures in Applied Math. 26 (1990) 265-284.

use faer::{Col, ColMut, ColRef, Mat, MatMut};
use vi_core::{AffineOperator, BuildContext, Checked, Error, NonnegativeOrthant, Operator, Problem, Result};

vi_core::params! {
    /// Parameters of `hphard`.
    pub struct HpHardParams {
        /// dimension of the LCP, 2..=2000 (Harker-Pang use 100..1000)
        pub n: usize = 100;
        /// Compensated evaluation of `F` (default true; see the module docs).
        pub compensated: bool = true;
    }
    validate(p, owner) {
        if !(2..=2000).contains(&p.n) {
            return Err(Error::param(owner, "n", format!("must be in 2..=2000, got {}", p.n)));
        }
        Ok(())
    }
}

/// `(M, q, z*)` of the seeded HPHard-style LCP.
pub fn hphard_data(n: usize, seed: u64) -> (Mat<f64>, Col<f64>, Col<f64>) {
    use rand::Rng;
    let mut rng = vi_core::rng::seeded(seed, 0x4850);
    let a = Mat::from_fn(n, n, |_, _| rng.random_range(-5.0..5.0));
    let mut m = Mat::<f64>::zeros(n, n);
    faer::linalg::matmul::matmul(m.as_mut(), faer::Accum::Replace, a.transpose(), a.as_ref(), 1.0, faer::Par::Seq);
    for i in 0..n {
        for j in i + 1..n {
            let b: f64 = rng.random_range(-5.0..5.0);
            m[(i, j)] += b;
            m[(j, i)] -= b;
        }
        m[(i, i)] += rng.random_range(0.0..0.3);
    }
    let zs = Col::from_fn(n, |i| if i % 2 == 0 { rng.random_range(0.0..10.0) } else { 0.0 });
    let ws = Col::from_fn(n, |i| if i % 2 == 1 { rng.random_range(0.0..10.0) } else { 0.0 });
    let q = Col::from_fn(n, |i| ws[i] - (0..n).map(|j| m[(i, j)] * zs[j]).sum::<f64>());
    (m, q, zs)
}

fn build_hphard(p: Checked<HpHardParams>, ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let (m, q, zs) = hphard_data(p.n, ctx.seed());
    let op: Box<dyn Operator> =
        if p.compensated { Box::new(CompensatedAffine::new(m, q)?) } else { Box::new(AffineOperator::new(m, q)?) };
    Problem::new("hphard", op, Box::new(NonnegativeOrthant::new(p.n)), Col::zeros(p.n))?.with_solution(zs)
}

/// `F(z) = M z + q` evaluated with error-free transformations (Dekker's product with the
/// entries of `M` split once at construction, Knuth's two-sum), the rounding errors summed
/// alongside and added once at the end: the `Dot2` algorithm of Ogita, Rump & Oishi, "Accurate
/// sum and dot product", SIAM J. Sci. Comput. 26 (2005), swept column by column so that it
/// vectorises. Everything but `eval` is the plain [`AffineOperator`]'s.
#[derive(Clone)]
struct CompensatedAffine {
    plain: AffineOperator,
    /// `M = hi + lo` with `hi` holding the upper 26 bits of each entry.
    hi: Mat<f64>,
    lo: Mat<f64>,
    sum: Vec<f64>,
    err: Vec<f64>,
}

/// Dekker's split: `a = hi + lo` exactly, each half with at most 26 significant bits.
fn split(a: f64) -> (f64, f64) {
    let c = 134_217_729.0 * a; // 2^27 + 1
    let hi = c - (c - a);
    (hi, a - hi)
}

impl CompensatedAffine {
    fn new(m: Mat<f64>, q: Col<f64>) -> Result<Self> {
        let hi = Mat::from_fn(m.nrows(), m.ncols(), |i, j| split(m[(i, j)]).0);
        let lo = Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)] - hi[(i, j)]);
        let n = q.nrows();
        Ok(Self { plain: AffineOperator::new(m, q)?, hi, lo, sum: vec![0.0; n], err: vec![0.0; n] })
    }
}

impl Operator for CompensatedAffine {
    fn dim(&self) -> usize {
        self.plain.dim()
    }

    fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let (m, q) = (self.plain.matrix(), self.plain.offset());
        let (sum, err) = (&mut self.sum[..], &mut self.err[..]);
        sum.copy_from_slice(q.try_as_col_major().expect("contiguous q").as_slice());
        err.fill(0.0);
        for j in 0..m.ncols() {
            let x = z[j];
            let (xh, xl) = split(x);
            let col = m.col(j).try_as_col_major().expect("contiguous column").as_slice();
            let hi = self.hi.col(j).try_as_col_major().expect("contiguous column").as_slice();
            let lo = self.lo.col(j).try_as_col_major().expect("contiguous column").as_slice();
            let terms = col.iter().zip(hi).zip(lo);
            for ((acc, e_acc), ((&a, &ah), &al)) in sum.iter_mut().zip(err.iter_mut()).zip(terms) {
                let p = a * x;
                let e = ((ah * xh - p) + ah * xl + al * xh) + al * xl;
                let s = *acc + p;
                let b = s - *acc;
                *e_acc += ((*acc - (s - b)) + (p - b)) + e;
                *acc = s;
            }
        }
        for i in 0..sum.len() {
            out[i] = sum[i] + err[i];
        }
    }

    fn lipschitz(&self) -> Option<f64> {
        self.plain.lipschitz()
    }

    fn strong_monotonicity(&self) -> Option<f64> {
        self.plain.strong_monotonicity()
    }

    fn monotonicity(&self) -> vi_core::Monotonicity {
        self.plain.monotonicity()
    }

    fn jvp(&mut self, z: ColRef<'_, f64>, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.plain.jvp(z, v, out)
    }

    fn jacobian(&mut self, z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        self.plain.jacobian(z)
    }

    fn jacobian_into(&mut self, z: ColRef<'_, f64>, out: MatMut<'_, f64>) -> bool {
        self.plain.jacobian_into(z, out)
    }
}

vi_core::register_problem!(
    "hphard",
    "HPHard-style monotone LCP (Harker-Pang M = A'A + B + D) with a planted solution, size n",
    HpHardParams,
    build_hphard
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_solution_satisfies_the_vi() {
        for n in [10, 100] {
            let mut p = vi_core::build_problem("hphard", &serde_json::json!({ "n": n }), 3).unwrap();
            let z = p.solution().unwrap().to_owned();
            let r = p.natural_residual(z.as_ref());
            assert!(r < 1e-10 * (n as f64), "hphard {n}: {r}");
        }
    }

    #[test]
    fn compensated_evaluation_recovers_what_a_plain_product_loses() {
        // Each row is (1e16, 1, -1e16): plain left-to-right float64 gives 0, the exact value is 1.
        let m = Mat::from_fn(3, 3, |_, j| [1e16, 1.0, -1e16][j]);
        let q = Col::from_fn(3, |i| [0.0, 0.5, -2.0][i]);
        let z = Col::from_fn(3, |_| 1.0);
        let mut out = Col::<f64>::zeros(3);
        CompensatedAffine::new(m.clone(), q.clone()).unwrap().eval(z.as_ref(), out.as_mut());
        assert_eq!((out[0], out[1], out[2]), (1.0, 1.5, -1.0));
        AffineOperator::new(m, q).unwrap().eval(z.as_ref(), out.as_mut());
        assert_ne!(out[0], 1.0, "the plain product should lose the 1 (or this test proves nothing)");
    }

    #[test]
    fn hphard_is_monotone_and_bad_parameters_are_rejected() {
        let p = vi_core::build_problem("hphard", &serde_json::json!({"n": 20}), 1).unwrap();
        assert!(p.strong_monotonicity().unwrap() > 0.0);
        let e = vi_core::build_problem("hphard", &serde_json::json!({"n": 1}), 0).unwrap_err().to_string();
        assert!(e.contains("`n`") && e.contains("2..=2000"), "{e}");
    }
}
