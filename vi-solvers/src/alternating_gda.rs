//! # Alternating (Gauss-Seidel) gradient descent-ascent
//!
//! The players of `problem.blocks()` move one after the other, each seeing the others' latest
//! values. With blocks `B_1, ..., B_p` (and one extra group for coordinates outside every
//! block, if any), one iteration is the sweep
//!
//! ```text
//! for b = 1..p:
//!     g = F(z)                          (one counted oracle call, at the current point)
//!     z_{B_b} <- z_{B_b} - eta g_{B_b}  (other blocks unchanged)
//!     z <- P(z)                         (one counted projection)
//! ```
//!
//! so an iteration costs `p` oracle calls (2 for a two-player game): player `b` sees `F`
//! evaluated *after* players `1..b-1` moved. For `min_x max_y V` this is docs/math.md §2.2,
//! `x_{k+1} = P(x_k - eta grad_x V(x_k, y_k))`, `y_{k+1} = P(y_k + eta grad_y V(x_{k+1}, y_k))`.
//! The order is the order of the blocks. The whole vector is projected after each block
//! update; when the set is a product aligned with the blocks (the usual game), this is exactly
//! the projection of the moving block, because the other blocks are already feasible. With a
//! single block (the default) the method is simultaneous GDA. The ergodic average is taken over
//! the iterates.
//!
//! On the bilinear game `x*y` the sweep matrix `[[1, -eta], [eta, 1 - eta^2]]` has determinant 1
//! and, for `eta < 2`, eigenvalues on the unit circle: the iterates cycle on an ellipse, neither
//! converging nor diverging (docs/math.md §2.2). On strongly monotone games it converges linearly for
//! small `eta`.
//!
//! ## Step size
//! - fixed `eta`.
//! - `"auto"`: as [`crate::Gda`]: `mu / L^2` when `mu > 0` is known, else `factor / L`
//!   (`factor = 0.1`).
//! - `"adaptive"` is not available.
//!
//! ## References
//! - G. Gidel, R. Askari Hemmat, M. Pezeshki, et al., "Negative momentum for improved game
//!   dynamics", AISTATS 2019.
//! - J. P. Bailey, G. Gidel, G. Piliouras, "Finite regret and cycles with fixed step-size via
//!   alternating gradient descent-ascent", COLT 2020.

use faer::{Col, ColRef};
use faer::{Mat, MatRef};
use vi_core::{BuildContext, Checked, LinearModel, Method, PredictedStep, Problem, Result, Solver, StepStatus};

use crate::gda::{gda_predicted_step, gda_step, GdaParams};

/// Parameters of [`AlternatingGda`]: the same as [`GdaParams`].
pub type AlternatingGdaParams = GdaParams;

/// Alternating gradient descent-ascent over the problem's blocks. See the module documentation.
#[derive(Clone, Debug)]
pub struct AlternatingGda {
    params: GdaParams,
    eta: f64,
    z: Col<f64>,
    f: Col<f64>,
    /// Group (block index, or the extra group) of each coordinate.
    group: Vec<usize>,
    groups: usize,
}

impl AlternatingGda {
    /// A new solver with checked parameters.
    pub fn new(params: Checked<GdaParams>) -> Self {
        Self { params: params.into_inner(), eta: 0.0, z: Col::zeros(0), f: Col::zeros(0), group: Vec::new(), groups: 0 }
    }

    /// Number of sequential block updates (= oracle calls) per iteration.
    pub fn groups(&self) -> usize {
        self.groups
    }
}

impl Solver for AlternatingGda {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        self.z = problem.start().to_owned();
        self.f = Col::zeros(n);
        let blocks = problem.blocks();
        let rest = blocks.len();
        self.group = vec![rest; n];
        for (b, block) in blocks.iter().enumerate() {
            for i in block.range.clone() {
                self.group[i] = b;
            }
        }
        self.groups = rest + usize::from(self.group.contains(&rest));
        self.eta = gda_step(self.params.step, self.params.factor, problem)?;
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        for g in 0..self.groups {
            problem.eval(self.z.as_ref(), self.f.as_mut());
            for (i, &gi) in self.group.iter().enumerate() {
                if gi == g {
                    self.z[i] -= self.eta * self.f[i];
                }
            }
            problem.project(self.z.as_mut());
        }
        StepStatus::Continue
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.eta)
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        // Two players (generator first): the Gauss-Seidel sweep matrix, not a per-eigenvalue
        // recursion (docs/math.md §2.2).
        Ok(LinearModel::matrix("alternating-gda", 2, sweep_matrix))
    }

    fn predicted_step(&self, lipschitz: f64, mu: Option<f64>) -> Option<PredictedStep> {
        gda_predicted_step(self.params.step, self.params.factor, lipschitz, mu)
    }
}

/// The alternating sweep (the first `p` coordinates first) on `F = J z`, as a matrix:
/// `[[I - eta A, -eta B], [-eta C (I - eta A), I - eta D + eta^2 C B]]` for
/// `J = [[A, B], [C, D]]`, built by sweeping each basis vector.
fn sweep_matrix(j: MatRef<'_, f64>, p: usize, eta: f64) -> Mat<f64> {
    let n = j.nrows();
    let p = p.min(n);
    let mut m = Mat::<f64>::zeros(n, n);
    for c in 0..n {
        let mut z: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i == c))).collect();
        let f: Vec<f64> = (0..p).map(|r| (0..n).map(|k| j[(r, k)] * z[k]).sum()).collect();
        for r in 0..p {
            z[r] -= eta * f[r];
        }
        let g: Vec<f64> = (p..n).map(|r| (0..n).map(|k| j[(r, k)] * z[k]).sum()).collect();
        for r in p..n {
            z[r] -= eta * g[r - p];
        }
        for r in 0..n {
            m[(r, c)] = z[r];
        }
    }
    m
}

impl Method for AlternatingGda {
    const NAME: &'static str = "alternating-gda";
    const SUMMARY: &'static str = "Gauss-Seidel GDA over the problem's blocks: one oracle call per block";
    type Params = GdaParams;

    fn build(params: Checked<GdaParams>, _ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params))
    }
}

vi_core::register_solver!(AlternatingGda);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, bilinear_xy_blocks, build_error, run, strongly_monotone};
    use vi_core::{Block, Status};

    #[test]
    fn rejects_invalid_parameters() {
        let e = build_error("alternating-gda", serde_json::json!({"step": -1.0}));
        assert!(e.contains("`step`") && e.contains("got -1"), "{e}");
        let e = build_error("alternating-gda", serde_json::json!({"factor": 0.0}));
        assert!(e.contains("`factor`"), "{e}");
    }

    #[test]
    fn one_step_matches_hand_computation() {
        // x1 = 1 - 0.1 * y0 = 0.9; then F(0.9, 1) = (1, -0.9): y1 = 1 + 0.1 * 0.9 = 1.09.
        let mut p = bilinear_xy_blocks(&[1.0, 1.0]);
        let mut s = AlternatingGda::with_step(0.1).unwrap();
        s.init(&mut p).unwrap();
        s.step(&mut p);
        assert!((s.iterate()[0] - 0.9).abs() < 1e-15 && (s.iterate()[1] - 1.09).abs() < 1e-15);
        assert_eq!(p.counters().oracle_calls, 2);
        assert_eq!(s.groups(), 2);
    }

    #[test]
    fn cycles_on_xy_without_converging_or_diverging() {
        // docs/math.md §2.2: ||z|| = 1.394 after 100 steps, 1.399 after 1000, from 1.414.
        let mut p = bilinear_xy_blocks(&[1.0, 1.0]);
        let mut s = AlternatingGda::with_step(0.1).unwrap();
        s.init(&mut p).unwrap();
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for k in 1..=1000 {
            s.step(&mut p);
            let n = s.iterate().norm_l2();
            lo = lo.min(n);
            hi = hi.max(n);
            if k == 100 {
                assert!((n - 1.394).abs() < 1e-3, "{n}");
            }
        }
        assert!((s.iterate().norm_l2() - 1.399).abs() < 1e-3);
        assert!(lo >= 1.3 && hi <= 1.5, "[{lo}, {hi}]");
    }

    #[test]
    fn uncovered_coordinates_form_an_extra_group_and_one_block_is_gda() {
        let mut p = bilinear_xy(&[1.0, 1.0]).with_blocks(vec![Block::new("x", 0..1)]).unwrap();
        let mut s = AlternatingGda::with_step(0.1).unwrap();
        s.init(&mut p).unwrap();
        assert_eq!(s.groups(), 2);
        s.step(&mut p);
        assert!((s.iterate()[1] - 1.09).abs() < 1e-15);
        let mut p = bilinear_xy(&[1.0, 2.0]);
        let mut s = AlternatingGda::with_step(0.1).unwrap();
        s.init(&mut p).unwrap();
        s.step(&mut p);
        assert!((s.iterate()[0] - 0.8).abs() < 1e-15 && (s.iterate()[1] - 2.1).abs() < 1e-15);
    }

    #[test]
    fn converges_on_a_strongly_monotone_problem() {
        let mut p =
            strongly_monotone(6, 0.5, 0.3, 4).with_blocks(vec![Block::new("x", 0..3), Block::new("y", 3..6)]).unwrap();
        let r = run(&mut p, &mut AlternatingGda::with_step(0.3).unwrap(), 1e-10, 10_000);
        assert_eq!(r.status, Status::Converged);
        assert!(r.distance_to_solution.unwrap() < 1e-9);
        assert_eq!(r.oracle_calls, 2 * r.iterations);
    }
}
