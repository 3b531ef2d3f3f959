//! # Complementarity test problems (box-constrained VIs with known solutions)
//!
//! | name | n | set | source | solution |
//! |---|---|---|---|---|
//! | `nash-cournot` | 5 | orthant | Murphy, Sherali & Soyster (1982); Harker (1984) | `q* = (36.9325, 41.8181, 43.7066, 42.6592, 39.1790)` |
//! | `kojima-shindo` | 4 | orthant | Kojima & Shindo (1986); MCPLIB `kojshin` | `(1, 0, 3, 0)` and the degenerate `(sqrt(6)/2, 0, 0, 1/2)` |
//! | `josephy` | 4 | orthant | Josephy (1979); MCPLIB `josephy` | `(sqrt(6)/2, 0, 0, 1/2)` |
//! | `mathiesen` | 4 | orthant | Mathiesen (1987), in the form of Kanzow (1994) | the segment `(s, 0, 0, 0)`, `s in [0, 3]` |
//! | `hphard` | n (100..1000) | orthant | Harker & Pang (1990), planted solution | `z*` (planted) |
//! | `braess` | 4 | orthant x R | Braess (1968) traffic network, path formulation | `h* = (2, 2, 2)`, cost `92` at demand 6 |
//! | `grid-lcp` | `k^2` (up to `10^6`) | orthant | sparse convection-diffusion LCP (obstacle-problem type), planted solution | `z*` (planted) |
//!
//! All are `VI(C, F)` on a box, i.e. mixed complementarity problems: `z_i = l_i => F_i >= 0`,
//! `z_i = u_i => F_i <= 0`, `l_i < z_i < u_i => F_i = 0`. Each operator provides its analytic
//! Jacobian through `Operator::jacobian_into` (for Newton methods).
//!
//! ## `nash-cournot`
//! Five firms choose outputs `q_i >= 0`; inverse demand `p(Q) = 5000^(1/eta) Q^(-1/eta)` with
//! `Q = sum q`, `eta = 1.1`; costs `c_i(q) = c_i q + beta_i/(beta_i + 1) K_i^(-1/beta_i)
//! q^((beta_i + 1)/beta_i)` with `c = (10, 8, 6, 4, 2)`, `K = 5`, `beta = (1.2, 1.1, 1, 0.9, 0.8)`.
//! The Nash equilibrium solves the NCP with `F_i(q) = c_i'(q_i) - p(Q) - q_i p'(Q)`. Start
//! `q_0 = (10, ..., 10)`. **At `Q = 0` (the origin) `F` is undefined** (`p(Q) -> inf`), and so is
//! it for negative `q_i` (fractional powers): there `eval` writes NaN, so a method that lands
//! there ends (runner: `NumericalError`) or backtracks (`semismooth-newton` rejects non-finite
//! trials) rather than continuing on a made-up value. The known solution is declared to full
//! precision (computed here; it matches the 4 published decimals).
//!
//! ## `kojima-shindo`, `josephy`
//! Quadratic NCPs in 4 variables (formulas in the code), start `(0, 0, 0, 0)`. Kojima-Shindo has
//! two solutions, `(1, 0, 3, 0)` and the degenerate `(sqrt(6)/2, 0, 0, 1/2)` (`x_3 = F_3 = 0`).
//! The declared solution is the degenerate one (the one Newton methods reach from the origin);
//! the metric `distance_to_solution_set` is the distance to the nearer of the two.
//!
//! ## `mathiesen`
//! `F = (-x2 + x3 + x4, x1 - (4.5 x3 + 2.7 x4)/(x2 + 1), 5 - x1 - (0.5 x3 + 0.3 x4)/(x3 + 1),
//! 3 - x1)`, start `(1, 1, 1, 1)`; every solution is degenerate: `(s, 0, 0, 0)` with
//! `s in [0, 3]`. No single solution is declared; `distance_to_solution_set` is the distance to
//! the segment. `F` is undefined at `x2 = -1` or `x3 = -1`, outside the orthant.
//!
//! ## `hphard`
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
//! ## `braess`
//! Braess's network: links `1: s->a` (cost `10 f`), `2: a->t` (`f + 50`), `3: s->b` (`f + 50`),
//! `4: b->t` (`10 f`), `5: a->b` (`f + 10`); paths `(1,2)`, `(3,4)`, `(1,5,4)`; demand `d`.
//! Variables: path flows `h >= 0` and the free equilibrium cost `u`:
//! `F = (C(h) - u 1, sum h - d)` (Wardrop conditions). Monotone. Closed form: for
//! `d in [40/11, 80/9]` all paths are used, `h_1 = h_2 = (11 d - 40)/13`, `h_3 = (80 - 9 d)/13`;
//! below only path 3 (`u = 21 d + 10`), above only paths 1 and 2 (`u = 5.5 d + 50`). Start
//! `(d/3, d/3, d/3, 0)`.
//!
//! ## `grid-lcp`
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
//! - F. H. Murphy, H. D. Sherali, A. L. Soyster, "A mathematical programming approach for
//!   determining oligopolistic market equilibrium", Math. Programming 24 (1982) 92-106.
//! - P. T. Harker, "A variational inequality approach for the determination of oligopolistic
//!   market equilibrium", Math. Programming 30 (1984) 105-111.
//! - M. Kojima, S. Shindo, "Extensions of Newton and quasi-Newton methods to systems of PC^1
//!   equations", J. Oper. Res. Soc. Japan 29 (1986) 352-374.
//! - N. H. Josephy, "Newton's method for generalized equations", Tech. Rep. 1965, MRC,
//!   Univ. of Wisconsin (1979).
//! - L. Mathiesen, "An algorithm based on a sequence of linear complementarity problems applied
//!   to a Walrasian equilibrium model: an example", Math. Programming 37 (1987) 1-18.
//! - C. Kanzow, "Some equation-based methods for the nonlinear complementarity problem",
//!   Optim. Methods Softw. 3 (1994) 327-340.
//! - P. T. Harker, J.-S. Pang, "A damped-Newton method for the linear complementarity problem",
//!   Lectures in Applied Math. 26 (1990) 265-284.
//! - S. P. Dirkse, M. C. Ferris, "MCPLIB: a collection of nonlinear mixed complementarity
//!   problems", Optim. Methods Softw. 5 (1995) 319-345.
//! - R. W. Cottle, J.-S. Pang, R. E. Stone, *The Linear Complementarity Problem*, Academic Press
//!   (1992).
//! - D. Kinderlehrer, G. Stampacchia, *An Introduction to Variational Inequalities and Their
//!   Applications*, Academic Press (1980).
//! - D. Braess, "Über ein Paradoxon aus der Verkehrsplanung", Unternehmensforschung 12 (1968)
//!   258-268.

use faer::{Col, ColMut, ColRef, Mat, MatMut};
use vi_core::{
    AffineOperator, BuildContext, Checked, ConstraintSet, Error, FnMetric, NoParams, NonnegativeOrthant, Operator,
    Problem, Product, Result, WholeSpace,
};

// ---------------------------------------------------------------------------------------------
// Nash-Cournot

const COURNOT_C: [f64; 5] = [10.0, 8.0, 6.0, 4.0, 2.0];
const COURNOT_K: [f64; 5] = [5.0; 5];
const COURNOT_BETA: [f64; 5] = [1.2, 1.1, 1.0, 0.9, 0.8];
const COURNOT_ETA: f64 = 1.1;
/// The equilibrium of the 5-firm oligopoly to full precision (computed by `semismooth-newton`
/// to a natural residual below 1e-14; the test checks it against the published decimals).
pub const COURNOT_SOLUTION: [f64; 5] =
    [36.93251081573577, 41.81814166043763, 43.706578522274214, 42.65923974330512, 39.17895251662502];

/// The 5-firm Murphy-Sherali-Soyster oligopoly operator (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct CournotOperator;

impl CournotOperator {
    /// `(p(Q), p'(Q), p''(Q))`; NaN for `Q <= 0`.
    fn price(q: f64) -> (f64, f64, f64) {
        if !(q > 0.0) {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        let e = 1.0 / COURNOT_ETA;
        let p = 5000f64.powf(e) * q.powf(-e);
        (p, -e * p / q, e * (e + 1.0) * p / (q * q))
    }
}

impl Operator for CournotOperator {
    fn dim(&self) -> usize {
        5
    }
    fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let total: f64 = z.iter().sum();
        let (p, dp, _) = Self::price(total);
        for i in 0..5 {
            // powf of a negative base is NaN: F is undefined there.
            let marginal = COURNOT_C[i] + (z[i] / COURNOT_K[i]).powf(1.0 / COURNOT_BETA[i]);
            out[i] = marginal - p - z[i] * dp;
        }
    }
    fn jacobian_into(&mut self, z: ColRef<'_, f64>, mut out: MatMut<'_, f64>) -> bool {
        let total: f64 = z.iter().sum();
        let (_, dp, ddp) = Self::price(total);
        for i in 0..5 {
            for j in 0..5 {
                out[(i, j)] = -dp - z[i] * ddp;
            }
            let b = 1.0 / COURNOT_BETA[i];
            out[(i, i)] += -dp + b * (z[i] / COURNOT_K[i]).powf(b - 1.0) / COURNOT_K[i];
        }
        true
    }
    fn jacobian(&mut self, z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        let mut m = Mat::zeros(5, 5);
        self.jacobian_into(z, m.as_mut()).then_some(m)
    }
}

fn build_cournot(_: Checked<NoParams>, _: &BuildContext) -> Result<Problem> {
    Problem::new(
        "nash-cournot",
        Box::new(CournotOperator),
        Box::new(NonnegativeOrthant::new(5)),
        Col::from_fn(5, |_| 10.0),
    )?
    .with_solution(Col::from_fn(5, |i| COURNOT_SOLUTION[i]))
}

vi_core::register_problem!(
    "nash-cournot",
    "5-firm Nash-Cournot oligopoly (Murphy-Sherali-Soyster data), NCP on the orthant, known equilibrium",
    NoParams,
    build_cournot
);

// ---------------------------------------------------------------------------------------------
// Kojima-Shindo, Josephy, Mathiesen

/// Which of the small 4-variable NCPs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmallNcp {
    /// Kojima-Shindo (two solutions, one degenerate).
    KojimaShindo,
    /// Josephy (one nondegenerate solution).
    Josephy,
    /// Mathiesen (a segment of degenerate solutions).
    Mathiesen,
}

/// The operator of a [`SmallNcp`].
#[derive(Clone, Debug)]
pub struct SmallNcpOperator(pub SmallNcp);

impl Operator for SmallNcpOperator {
    fn dim(&self) -> usize {
        4
    }
    fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let (x1, x2, x3, x4) = (z[0], z[1], z[2], z[3]);
        match self.0 {
            SmallNcp::KojimaShindo | SmallNcp::Josephy => {
                let ks = self.0 == SmallNcp::KojimaShindo;
                out[0] = 3.0 * x1 * x1 + 2.0 * x1 * x2 + 2.0 * x2 * x2 + x3 + 3.0 * x4 - 6.0;
                out[1] = 2.0 * x1 * x1 + x1 + x2 * x2 + if ks { 10.0 } else { 3.0 } * x3 + 2.0 * x4 - 2.0;
                out[2] = 3.0 * x1 * x1 + x1 * x2 + 2.0 * x2 * x2 + 2.0 * x3 + if ks { 9.0 } else { 3.0 } * x4
                    - if ks { 9.0 } else { 1.0 };
                out[3] = x1 * x1 + 3.0 * x2 * x2 + 2.0 * x3 + 3.0 * x4 - 3.0;
            }
            SmallNcp::Mathiesen => {
                out[0] = -x2 + x3 + x4;
                out[1] = x1 - (4.5 * x3 + 2.7 * x4) / (x2 + 1.0);
                out[2] = 5.0 - x1 - (0.5 * x3 + 0.3 * x4) / (x3 + 1.0);
                out[3] = 3.0 - x1;
            }
        }
    }
    fn jacobian_into(&mut self, z: ColRef<'_, f64>, mut j: MatMut<'_, f64>) -> bool {
        let (x1, x2, x3, x4) = (z[0], z[1], z[2], z[3]);
        let rows: [[f64; 4]; 4] = match self.0 {
            SmallNcp::KojimaShindo | SmallNcp::Josephy => {
                let ks = self.0 == SmallNcp::KojimaShindo;
                [
                    [6.0 * x1 + 2.0 * x2, 2.0 * x1 + 4.0 * x2, 1.0, 3.0],
                    [4.0 * x1 + 1.0, 2.0 * x2, if ks { 10.0 } else { 3.0 }, 2.0],
                    [6.0 * x1 + x2, x1 + 4.0 * x2, 2.0, if ks { 9.0 } else { 3.0 }],
                    [2.0 * x1, 6.0 * x2, 2.0, 3.0],
                ]
            }
            SmallNcp::Mathiesen => {
                let (a, b) = (x2 + 1.0, x3 + 1.0);
                let num2 = 4.5 * x3 + 2.7 * x4;
                let num3 = 0.5 * x3 + 0.3 * x4;
                [
                    [0.0, -1.0, 1.0, 1.0],
                    [1.0, num2 / (a * a), -4.5 / a, -2.7 / a],
                    [-1.0, 0.0, -(0.5 * b - num3) / (b * b), -0.3 / b],
                    [-1.0, 0.0, 0.0, 0.0],
                ]
            }
        };
        for (i, r) in rows.iter().enumerate() {
            for (k, v) in r.iter().enumerate() {
                j[(i, k)] = *v;
            }
        }
        true
    }
    fn jacobian(&mut self, z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        let mut m = Mat::zeros(4, 4);
        self.jacobian_into(z, m.as_mut()).then_some(m)
    }
}

fn dist4(z: ColRef<'_, f64>, s: &[f64; 4]) -> f64 {
    (0..4).map(|i| (z[i] - s[i]).powi(2)).sum::<f64>().sqrt()
}

/// The two Kojima-Shindo solutions: nondegenerate, then degenerate.
pub fn kojima_shindo_solutions() -> [[f64; 4]; 2] {
    [[1.0, 0.0, 3.0, 0.0], [1.5f64.sqrt(), 0.0, 0.0, 0.5]]
}

fn small(kind: SmallNcp, start: f64) -> Result<Problem> {
    let name = match kind {
        SmallNcp::KojimaShindo => "kojima-shindo",
        SmallNcp::Josephy => "josephy",
        SmallNcp::Mathiesen => "mathiesen",
    };
    Problem::new(
        name,
        Box::new(SmallNcpOperator(kind)),
        Box::new(NonnegativeOrthant::new(4)),
        Col::from_fn(4, |_| start),
    )
}

fn build_kojima_shindo(_: Checked<NoParams>, _: &BuildContext) -> Result<Problem> {
    let [a, b] = kojima_shindo_solutions();
    Ok(small(SmallNcp::KojimaShindo, 0.0)?.with_solution(Col::from_fn(4, |i| b[i]))?.with_metric(Box::new(
        FnMetric::new("distance_to_solution_set", move |z: ColRef<'_, f64>| dist4(z, &a).min(dist4(z, &b))),
    )))
}

fn build_josephy(_: Checked<NoParams>, _: &BuildContext) -> Result<Problem> {
    small(SmallNcp::Josephy, 0.0)?.with_solution(Col::from_fn(4, |i| kojima_shindo_solutions()[1][i]))
}

fn build_mathiesen(_: Checked<NoParams>, _: &BuildContext) -> Result<Problem> {
    Ok(small(SmallNcp::Mathiesen, 1.0)?.with_metric(Box::new(FnMetric::new(
        "distance_to_solution_set",
        |z: ColRef<'_, f64>| {
            let s = z[0].clamp(0.0, 3.0);
            dist4(z, &[s, 0.0, 0.0, 0.0])
        },
    ))))
}

vi_core::register_problem!(
    "kojima-shindo",
    "Kojima-Shindo NCP (4 variables, two solutions, one degenerate)",
    NoParams,
    build_kojima_shindo
);
vi_core::register_problem!("josephy", "Josephy NCP (4 variables, one solution)", NoParams, build_josephy);
vi_core::register_problem!(
    "mathiesen",
    "Mathiesen's Walrasian NCP (4 variables, a segment of degenerate solutions)",
    NoParams,
    build_mathiesen
);

// ---------------------------------------------------------------------------------------------
// HPHard

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

// ---------------------------------------------------------------------------------------------
// Braess

vi_core::params! {
    /// Parameters of `braess`.
    pub struct BraessParams {
        /// travel demand from s to t, > 0 (all three paths used for 40/11 <= d <= 80/9)
        pub demand: f64 = 6.0;
    }
    validate(p, owner) {
        if !(p.demand > 0.0 && p.demand.is_finite()) {
            return Err(Error::param(owner, "demand", format!("must be a finite number > 0, got {}", p.demand)));
        }
        Ok(())
    }
}

/// The Wardrop equilibrium `(h_1, h_2, h_3, u)` of Braess's network for demand `d`.
pub fn braess_solution(d: f64) -> [f64; 4] {
    if d <= 40.0 / 11.0 {
        [0.0, 0.0, d, 21.0 * d + 10.0]
    } else if d >= 80.0 / 9.0 {
        [d / 2.0, d / 2.0, 0.0, 5.5 * d + 50.0]
    } else {
        let a = (11.0 * d - 40.0) / 13.0;
        let b = (80.0 - 9.0 * d) / 13.0;
        [a, a, b, 11.0 * a + 10.0 * b + 50.0]
    }
}

fn build_braess(p: Checked<BraessParams>, _: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    // Path costs: C1 = 10(h1 + h3) + h1 + 50, C2 = h2 + 50 + 10(h2 + h3),
    // C3 = 10(h1 + h3) + h3 + 10 + 10(h2 + h3).
    let m =
        faer::mat![[11.0, 0.0, 10.0, -1.0], [0.0, 11.0, 10.0, -1.0], [10.0, 10.0, 21.0, -1.0], [1.0, 1.0, 1.0, 0.0],];
    let q = vi_core::linalg::col_from_slice(&[50.0, 50.0, 10.0, -p.demand]);
    let op = AffineOperator::new(m, q)?;
    let set: Box<dyn ConstraintSet> =
        Box::new(Product::new(vec![Box::new(NonnegativeOrthant::new(3)), Box::new(WholeSpace::new(1))]));
    let d = p.demand;
    let s = braess_solution(d);
    Problem::new("braess", Box::new(op), set, vi_core::linalg::col_from_slice(&[d / 3.0, d / 3.0, d / 3.0, 0.0]))?
        .with_solution(vi_core::linalg::col_from_slice(&s))
}

vi_core::register_problem!(
    "braess",
    "Braess's traffic network: Wardrop equilibrium as an MCP in path flows and cost, closed form",
    BraessParams,
    build_braess
);

// ---------------------------------------------------------------------------------------------
// Grid LCP

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

vi_core::register_problem!(
    "grid-lcp",
    "sparse LCP on a k x k grid (Laplacian + convection, n = k^2) with a planted solution",
    GridLcpParams,
    build_grid_lcp
);

#[cfg(test)]
mod tests {
    use super::*;

    fn residual(name: &str, params: serde_json::Value, z: &[f64]) -> f64 {
        let mut p = vi_core::build_problem(name, &params, 0).unwrap();
        p.natural_residual(vi_core::linalg::col_from_slice(z).as_ref())
    }

    #[test]
    fn known_solutions_satisfy_the_vi() {
        let r = residual("nash-cournot", serde_json::json!({}), &COURNOT_SOLUTION);
        assert!(r < 1e-10, "cournot {r}");
        // The published 4 decimals.
        for (s, e) in COURNOT_SOLUTION.iter().zip([36.9325, 41.8181, 43.7066, 42.6592, 39.1790]) {
            assert!((s - e).abs() < 5e-5, "{s} vs {e}");
        }
        for s in kojima_shindo_solutions() {
            assert!(residual("kojima-shindo", serde_json::json!({}), &s) < 1e-10, "{s:?}");
        }
        let s = kojima_shindo_solutions()[1];
        assert!(residual("josephy", serde_json::json!({}), &s) < 1e-10);
        for t in [0.0, 1.5, 3.0] {
            assert!(residual("mathiesen", serde_json::json!({}), &[t, 0.0, 0.0, 0.0]) < 1e-12);
        }
        // Off the segment: x1 = 3.5 violates F4 >= 0... (F4 = -0.5 with x4 = 0).
        assert!(residual("mathiesen", serde_json::json!({}), &[3.5, 0.0, 0.0, 0.0]) > 0.1);
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
        for n in [10, 100] {
            let mut p = vi_core::build_problem("hphard", &serde_json::json!({ "n": n }), 3).unwrap();
            let z = p.solution().unwrap().to_owned();
            let r = p.natural_residual(z.as_ref());
            assert!(r < 1e-10 * (n as f64), "hphard {n}: {r}");
        }
        for d in [2.0, 6.0, 12.0] {
            let s = braess_solution(d);
            assert!(residual("braess", serde_json::json!({ "demand": d }), &s) < 1e-10, "{d}");
        }
        assert_eq!(braess_solution(6.0), [2.0, 2.0, 2.0, 92.0]);
    }

    #[test]
    fn jacobians_match_finite_differences() {
        let ops: Vec<(Box<dyn Operator>, Vec<f64>)> = vec![
            (Box::new(CournotOperator), vec![10.0, 20.0, 30.0, 15.0, 5.0]),
            (Box::new(SmallNcpOperator(SmallNcp::KojimaShindo)), vec![0.5, 1.0, 2.0, 0.3]),
            (Box::new(SmallNcpOperator(SmallNcp::Josephy)), vec![0.5, 1.0, 2.0, 0.3]),
            (Box::new(SmallNcpOperator(SmallNcp::Mathiesen)), vec![0.5, 1.0, 2.0, 0.3]),
        ];
        for (mut op, z) in ops {
            let n = z.len();
            let z = vi_core::linalg::col_from_slice(&z);
            let mut j = Mat::zeros(n, n);
            assert!(op.jacobian_into(z.as_ref(), j.as_mut()));
            let mut e = Col::<f64>::zeros(n);
            let mut jv = Col::<f64>::zeros(n);
            for k in 0..n {
                e[k] = 1.0;
                vi_core::operator::finite_difference_jvp(op.as_mut(), z.as_ref(), e.as_ref(), jv.as_mut());
                e[k] = 0.0;
                for i in 0..n {
                    assert!((jv[i] - j[(i, k)]).abs() < 1e-6 * (1.0 + j[(i, k)].abs()), "{i},{k}");
                }
            }
        }
    }

    #[test]
    fn cournot_is_undefined_at_the_origin() {
        let mut op = CournotOperator;
        let mut out = Col::zeros(5);
        op.eval(Col::<f64>::zeros(5).as_ref(), out.as_mut());
        assert!(out.iter().all(|v| v.is_nan()));
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
        let e = vi_core::build_problem("braess", &serde_json::json!({"demand": -1}), 0).unwrap_err().to_string();
        assert!(e.contains("`demand`"), "{e}");
    }
}
