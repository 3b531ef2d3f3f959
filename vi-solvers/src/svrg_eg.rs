//! # Loopless variance-reduced extragradient (Alacaoglu & Malitsky 2022, Algorithm 1)
//!
//! On a finite sum `F = (1/N) sum_i F_i`, with a snapshot `w_k`, its full value `F(w_k)`,
//! `F_xi` an importance-weighted minibatch of components and projection `P`:
//!
//! ```text
//! zbar_k      = alpha z_k + (1 - alpha) w_k
//! z_{k+1/2}   = P(zbar_k - tau F(w_k))
//! z_{k+1}     = P(zbar_k - tau [F(w_k) + F_xi_k(z_{k+1/2}) - F_xi_k(w_k)])   (same xi_k twice)
//! w_{k+1}     = z_{k+1} with probability p (then F(w_{k+1}) is computed in full), else w_k
//! ```
//!
//! `alpha = 1 - p`. Cost per iteration: `2 batch` component calls plus, with probability `p`, one
//! full evaluation: `2 batch / N + p` full-operator equivalents in expectation; `init` makes one
//! full call for `F(w_0)`, `w_0 = z_0`. The ergodic average is over the `z_{k+1/2}`.
//!
//! ## Step rule
//! - `p`: snapshot probability; `0` (default) means `p = min(1, 2 batch / N)`, which spends as
//!   much on snapshots as on components.
//! - `step = "auto"`: `tau = factor sqrt(p) / L_Q` (the paper's `tau = gamma sqrt(1 - alpha) / L`
//!   with `gamma = factor in (0, 1)`, default `0.9`), `L_Q` the Lipschitz constant in mean
//!   square of one draw (`sqrt(mean L_i^2)` uniform, `mean L_i` Lipschitz-proportional).
//! - Guarantees (Alacaoglu & Malitsky 2022): monotone `F`: `z_k -> z*` almost surely and an
//!   `O(1/K)` gap of the average; strongly monotone `F` (their Thm. 2.5 / 4.x): linear
//!   convergence of `E ||z_k - z*||^2` in iterations, so with `p ~ 1/N` a total cost of
//!   `O((N + sqrt(N) L_Q / mu) log(1/eps))` component calls, versus `O(N L / mu log(1/eps))` for
//!   deterministic EG. There is no noise floor: the variance vanishes at the solution.
//!
//! Refuses problems without finite-sum structure (see [`crate::stochastic`]).
//!
//! ## References
//! - A. Alacaoglu, Y. Malitsky, "Stochastic variance reduction for variational inequality
//!   methods", COLT 2022.
//! - D. Kovalev, S. Horvath, P. Richtarik, "Don't jump through hoops and remove those loops:
//!   SVRG and Katyusha are better without the outer loop", ALT 2020 (the loopless snapshot).

use faer::{Col, ColRef};
use vi_core::{linalg, BuildContext, Checked, Method, Problem, Result, Solver, StepRule, StepStatus};

use crate::stochastic::{self, Draws, Oracle, Snapshot};

vi_core::params! {
    /// Parameters of [`SvrgEg`].
    pub struct SvrgEgParams {
        /// step size: a number or "auto" (factor sqrt(p) / L_Q, L_Q the mean-square Lipschitz constant)
        pub step: StepRule = StepRule::Auto, fixed_or_auto();
        /// the paper's gamma in tau = gamma sqrt(p) / L_Q
        pub factor: f64 = 0.9, open(0.0, 1.0).because("the paper's gamma");
        /// snapshot refresh probability; 0 = min(1, 2 batch / N)
        pub p: f64 = 0.0, closed(0.0, 1.0);
        ..draws: Draws;
    }
}

/// Loopless SVRG extragradient. See the module documentation.
#[derive(Clone, Debug)]
pub struct SvrgEg {
    params: SvrgEgParams,
    seed: u64,
    oracle: Option<Oracle>,
    snap: Snapshot,
    tau: f64,
    z: Col<f64>,
    z_half: Col<f64>,
    zbar: Col<f64>,
}

impl SvrgEg {
    /// A new solver whose samples and snapshot coin derive from `seed`.
    pub fn new(params: Checked<SvrgEgParams>, seed: impl vi_core::Seed) -> Self {
        let (params, seed) = (params.into_inner(), seed.get());
        let e = || Col::zeros(0);
        Self { params, seed, oracle: None, snap: Snapshot::new(seed), tau: 0.0, z: e(), z_half: e(), zbar: e() }
    }
}

impl Solver for SvrgEg {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let prm = &self.params;
        let oracle = Oracle::new(problem, "svrg-eg", prm.draws.sampling, prm.draws.batch, self.seed)?;
        self.z = problem.start().to_owned();
        self.snap.init(problem, &oracle, prm.p, prm.draws.batch, self.seed, self.z.as_ref());
        // tau = factor sqrt(p) / L_Q; a fixed step is taken as it is.
        let unit = oracle.steps(problem, "svrg-eg", prm.step, prm.factor, stochastic::Schedule::Constant, 1.0)?;
        self.tau = match prm.step {
            StepRule::Fixed(s) => s,
            _ => unit.eta0 * self.snap.p.sqrt(),
        };
        self.oracle = Some(oracle);
        self.z_half = self.z.clone();
        self.zbar = Col::zeros(problem.dim());
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        let oracle = self.oracle.as_mut().expect("init sets the oracle");
        let (alpha, tau) = (1.0 - self.snap.p, self.tau);
        linalg::lincomb(self.zbar.as_mut(), alpha, self.z.as_ref(), 1.0 - alpha, self.snap.w.as_ref());
        linalg::add_scaled(self.z_half.as_mut(), self.zbar.as_ref(), -tau, self.snap.fw());
        problem.project(self.z_half.as_mut());
        // One draw, evaluated at z_{k+1/2} and at the snapshot; z <- P(zbar - tau (F(w) + g - gw)).
        self.snap.draw(problem, oracle, self.z_half.as_ref(), None);
        self.z.copy_from(&self.zbar);
        self.snap.step_along(tau, self.z.as_mut());
        problem.project(self.z.as_mut());
        self.snap.refresh(problem, self.z.as_ref());
        StepStatus::Continue
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }

    fn averaging_point(&self) -> ColRef<'_, f64> {
        self.z_half.as_ref()
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.tau)
    }

    fn info(&self) -> serde_json::Value {
        self.snap.info(self.oracle.as_ref())
    }
}

impl Method for SvrgEg {
    const NAME: &'static str = "svrg-eg";
    const SUMMARY: &'static str = "loopless variance-reduced extragradient (Alacaoglu-Malitsky) on a finite sum: snapshot refreshed with probability p";
    type Params = SvrgEgParams;

    fn build(params: Checked<SvrgEgParams>, ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params, ctx))
    }
}

vi_core::register_solver!(SvrgEg);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear_xy, build_error, checked, finite_sum_2d};
    use crate::Extragradient;

    #[test]
    fn one_component_with_p_one_is_extragradient() {
        let (mut p, mut q) = (finite_sum_2d(1, &[1.0, -2.0]), finite_sum_2d(1, &[1.0, -2.0]));
        let prm = SvrgEgParams { step: StepRule::Fixed(0.2), p: 1.0, ..Default::default() };
        let mut s = SvrgEg::new(checked(prm), 3);
        let mut eg = Extragradient::with_step(0.2).unwrap();
        s.init(&mut p).unwrap();
        eg.init(&mut q).unwrap();
        for _ in 0..20 {
            s.step(&mut p);
            eg.step(&mut q);
        }
        for i in 0..2 {
            assert!((s.iterate()[i] - eg.iterate()[i]).abs() < 1e-13, "{i}");
        }
    }

    #[test]
    fn accounting_snapshot_rate_and_auto_step() {
        let mut p = finite_sum_2d(10, &[1.0, 1.0]);
        let mut s = SvrgEg::new(checked(SvrgEgParams::default()), 7);
        s.init(&mut p).unwrap();
        // p = 2 batch / N = 0.2, tau = 0.9 sqrt(0.2) / L_Q.
        assert!((s.snap.p - 0.2).abs() < 1e-15);
        let l = p.component_lipschitz().unwrap().to_vec();
        let l_q = (l.iter().map(|v| v * v).sum::<f64>() / 10.0).sqrt();
        assert!((s.tau - 0.9 * 0.2f64.sqrt() / l_q).abs() < 1e-15);
        let k = 5000;
        for _ in 0..k {
            s.step(&mut p);
        }
        let c = p.counters();
        assert_eq!(c.component_calls, 2 * k);
        // Full calls: one per snapshot (the first at init); components: ceil(2k / N).
        assert_eq!(c.oracle_calls, s.snap.count + (2 * k).div_ceil(10));
        // Snapshots ~ Binomial(k, 0.2): mean 1000, sd 28.
        assert!((s.snap.count as f64 - 1001.0).abs() < 150.0, "{}", s.snap.count);
        // Variance reduction: the iterate reaches the solution (z* = 0) to rounding.
        assert!(s.iterate().norm_l2() < 1e-12, "{}", s.iterate().norm_l2());
        assert_eq!(s.info()["snapshots"], serde_json::json!(s.snap.count));
    }

    #[test]
    fn refuses_bad_input() {
        let mut s = SvrgEg::new(checked(SvrgEgParams::default()), 0);
        assert!(s.init(&mut bilinear_xy(&[1.0, 1.0])).unwrap_err().to_string().contains("finite-sum"));
        assert!(build_error("svrg-eg", serde_json::json!({"p": 1.5})).contains("`p`"));
        assert!(build_error("svrg-eg", serde_json::json!({"factor": 0.0})).contains("`factor`"));
        assert!(build_error("svrg-eg", serde_json::json!({"sampling": "importance"})).contains("`sampling`"));
    }
}
