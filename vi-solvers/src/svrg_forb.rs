//! # Loopless variance-reduced forward-reflected-backward (Alacaoglu, Malitsky & Cevher 2021)
//!
//! The single-projection counterpart of [`crate::svrg_eg`]. On a finite sum
//! `F = (1/N) sum_i F_i`, with snapshots `w_k`, the full value `F(w_k)`, `F_xi` an
//! importance-weighted minibatch of components and projection `P`:
//!
//! ```text
//! z_{k+1} = P(z_k - tau [F(w_k) + F_xi_k(z_k) - F_xi_k(w_{k-1})])   (same xi_k twice)
//! w_{k+1} = z_{k+1} with probability p (then F(w_{k+1}) is computed in full), else w_k
//! ```
//!
//! with `w_{-1} = w_0 = z_0`. The bracket is an unbiased estimate of the forward-reflected
//! direction `2 F(z_k) - F(z_{k-1})` with the past point replaced by the snapshot: with one
//! component and `p = 1` the method is exactly `ogda` (projected FoRB). One projection per
//! iteration; `2 batch` component calls plus, with probability `p`, one full evaluation:
//! `2 batch / N + p` full-operator equivalents in expectation; `init` makes one full call for
//! `F(w_0)`. The ergodic average is over the iterates.
//!
//! ## Step rule
//! - `p`: snapshot probability; `0` (default) means `p = min(1, 2 batch / N)`.
//! - `step = "auto"`: `tau = factor (1 - sqrt(1 - p)) / (2 L_Q)` (the paper's bound
//!   `tau < (1 - sqrt(1 - p)) / (2 L)` with `L` the Lipschitz constant in mean square of one
//!   draw, `L_Q` as in `svrg-eg`; `factor` in (0, 1), default `0.99`). For small `p` this is
//!   about `p / (4 L_Q)`, smaller than `svrg-eg`'s `sqrt(p) / L_Q`: the price of one projection
//!   instead of two.
//! - Guarantees (Alacaoglu, Malitsky & Cevher 2021): monotone `F`: `z_k -> z*` almost surely and
//!   an `O(1/K)` gap of the average; strongly monotone `F`: linear convergence of
//!   `E ||z_k - z*||^2`. No noise floor: the variance vanishes at the solution.
//!
//! Refuses problems without finite-sum structure (see [`crate::stochastic`]).
//!
//! ## References
//! - A. Alacaoglu, Y. Malitsky, V. Cevher, "Forward-reflected-backward method with variance
//!   reduction", Comput. Optim. Appl. 80 (2021) 321-346.
//! - Y. Malitsky, M. K. Tam, "A forward-backward splitting method for monotone inclusions
//!   without cocoercivity", SIAM J. Optim. 30 (2020) (the deterministic FoRB).

use faer::{Col, ColRef};
use vi_core::{BuildContext, Checked, Method, Problem, Result, Solver, StepRule, StepStatus};

use crate::stochastic::{self, Draws, Oracle, Snapshot};

vi_core::params! {
    /// Parameters of [`SvrgForb`].
    pub struct SvrgForbParams {
        /// step size: a number or "auto" (factor (1 - sqrt(1 - p)) / (2 L_Q), L_Q the mean-square Lipschitz constant)
        pub step: StepRule = StepRule::Auto, fixed_or_auto();
        /// fraction of the step bound (1 - sqrt(1 - p)) / (2 L_Q)
        pub factor: f64 = 0.99, open(0.0, 1.0).because("fraction of the step bound");
        /// snapshot refresh probability; 0 = min(1, 2 batch / N)
        pub p: f64 = 0.0, closed(0.0, 1.0);
        ..draws: Draws;
    }
}

/// Loopless variance-reduced FoRB. See the module documentation.
#[derive(Clone, Debug)]
pub struct SvrgForb {
    params: SvrgForbParams,
    seed: u64,
    oracle: Option<Oracle>,
    /// The snapshot `w_k`.
    snap: Snapshot,
    tau: f64,
    z: Col<f64>,
    /// The previous snapshot `w_{k-1}`.
    w_prev: Col<f64>,
}

impl SvrgForb {
    /// A new solver whose samples and snapshot coin derive from `seed`.
    pub fn new(params: Checked<SvrgForbParams>, seed: impl vi_core::Seed) -> Self {
        let (params, seed) = (params.into_inner(), seed.get());
        let e = || Col::zeros(0);
        Self { params, seed, oracle: None, snap: Snapshot::new(seed), tau: 0.0, z: e(), w_prev: e() }
    }
}

impl Solver for SvrgForb {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let prm = &self.params;
        let oracle = Oracle::new(problem, "svrg-forb", prm.draws.sampling, prm.draws.batch, self.seed)?;
        self.z = problem.start().to_owned();
        self.snap.init(problem, &oracle, prm.p, prm.draws.batch, self.seed, self.z.as_ref());
        // unit.eta0 = factor / L_Q; the bound's (1 - sqrt(1 - p)) / 2 on top. A fixed step is
        // taken as it is.
        let unit = oracle.steps(problem, "svrg-forb", prm.step, prm.factor, stochastic::Schedule::Constant, 1.0)?;
        self.tau = match prm.step {
            StepRule::Fixed(s) => s,
            _ => unit.eta0 * 0.5 * (1.0 - (1.0 - self.snap.p).sqrt()),
        };
        self.oracle = Some(oracle);
        self.w_prev = self.z.clone();
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        let oracle = self.oracle.as_mut().expect("init sets the oracle");
        // One draw, evaluated at z_k and at the previous snapshot w_{k-1};
        // z <- P(z - tau (F(w) + g - gw)).
        self.snap.draw(problem, oracle, self.z.as_ref(), Some(self.w_prev.as_ref()));
        self.snap.step_along(self.tau, self.z.as_mut());
        problem.project(self.z.as_mut());
        self.w_prev.copy_from(&self.snap.w);
        self.snap.refresh(problem, self.z.as_ref());
        StepStatus::Continue
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.tau)
    }

    fn info(&self) -> serde_json::Value {
        self.snap.info(self.oracle.as_ref())
    }
}

impl Method for SvrgForb {
    const NAME: &'static str = "svrg-forb";
    const SUMMARY: &'static str = "loopless variance-reduced forward-reflected-backward (Alacaoglu-Malitsky-Cevher) on a finite sum: one projection per iteration, snapshot refreshed with probability p";
    type Params = SvrgForbParams;

    fn build(params: Checked<SvrgForbParams>, ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params, ctx))
    }
}

vi_core::register_solver!(SvrgForb);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, build_error, checked, finite_sum_2d};
    use crate::Ogda;

    #[test]
    fn one_component_with_p_one_is_ogda() {
        let (mut p, mut q) = (finite_sum_2d(1, &[1.0, -2.0]), finite_sum_2d(1, &[1.0, -2.0]));
        let prm = SvrgForbParams { step: StepRule::Fixed(0.2), p: 1.0, ..Default::default() };
        let mut s = SvrgForb::new(checked(prm), 3);
        let mut ogda = Ogda::with_step(0.2).unwrap();
        s.init(&mut p).unwrap();
        ogda.init(&mut q).unwrap();
        for _ in 0..20 {
            s.step(&mut p);
            ogda.step(&mut q);
        }
        for i in 0..2 {
            assert!((s.iterate()[i] - ogda.iterate()[i]).abs() < 1e-13, "{i}");
        }
    }

    #[test]
    fn accounting_auto_step_and_convergence_without_a_noise_floor() {
        let mut p = finite_sum_2d(10, &[1.0, 1.0]);
        let mut s = SvrgForb::new(checked(SvrgForbParams::default()), 7);
        s.init(&mut p).unwrap();
        // p = 2 batch / N = 0.2, tau = 0.99 (1 - sqrt(0.8)) / (2 L_Q).
        assert!((s.snap.p - 0.2).abs() < 1e-15);
        let l = p.component_lipschitz().unwrap().to_vec();
        let l_q = (l.iter().map(|v| v * v).sum::<f64>() / 10.0).sqrt();
        assert!((s.tau - 0.99 * (1.0 - 0.8f64.sqrt()) / (2.0 * l_q)).abs() < 1e-15);
        let k = 20_000;
        for _ in 0..k {
            s.step(&mut p);
        }
        let c = p.counters();
        assert_eq!(c.component_calls, 2 * k);
        assert_eq!(c.oracle_calls, s.snap.count + (2 * k).div_ceil(10));
        // Snapshots ~ Binomial(k, 0.2): mean 4000, sd 57.
        assert!((s.snap.count as f64 - 4001.0).abs() < 300.0, "{}", s.snap.count);
        // Variance reduction: the iterate reaches the solution (z* = 0) to rounding.
        assert!(s.iterate().norm_l2() < 1e-12, "{}", s.iterate().norm_l2());
        assert_eq!(s.info()["snapshots"], serde_json::json!(s.snap.count));
    }

    #[test]
    fn refuses_bad_input() {
        let mut s = SvrgForb::new(checked(SvrgForbParams::default()), 0);
        assert!(s.init(&mut bilinear_xy(&[1.0, 1.0])).unwrap_err().to_string().contains("finite-sum"));
        assert!(build_error("svrg-forb", serde_json::json!({"p": -0.1})).contains("`p`"));
        assert!(build_error("svrg-forb", serde_json::json!({"factor": 1.0})).contains("`factor`"));
        assert!(build_error("svrg-forb", serde_json::json!({"batch": 0})).contains("`batch`"));
    }
}
