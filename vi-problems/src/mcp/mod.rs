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
//! `hphard`, `braess` and `grid-lcp` have their own modules ([`hphard`], [`braess`],
//! [`grid_lcp`]), re-exported here.
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
//! - S. P. Dirkse, M. C. Ferris, "MCPLIB: a collection of nonlinear mixed complementarity
//!   problems", Optim. Methods Softw. 5 (1995) 319-345.

pub mod braess;
pub mod grid_lcp;
pub mod hphard;

pub use braess::{braess_solution, BraessParams};
pub use grid_lcp::{grid_lcp_data, GridEntry, GridLcpParams};
pub use hphard::{hphard_data, HpHardParams};

use faer::{Col, ColMut, ColRef, Mat, MatMut};
use vi_core::{BuildContext, Checked, FnMetric, NoParams, NonnegativeOrthant, Operator, Problem, Result};

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

/// The natural residual of problem `name` (seed 0) at `z`, for the tests of every family.
#[cfg(test)]
fn residual(name: &str, params: serde_json::Value, z: &[f64]) -> f64 {
    let mut p = vi_core::build_problem(name, &params, 0).unwrap();
    p.natural_residual(vi_core::linalg::col_from_slice(z).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
