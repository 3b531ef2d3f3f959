//! # Stochastic extrapolation from the past (single-call stochastic EG; Hsieh et al. 2019)
//!
//! On a finite sum, with `F_xi` an unbiased minibatch estimate and projection `P`:
//!
//! ```text
//! z~_k    = P(z_k - eta_k g_{k-1})          g_{k-1} = F_xi_{k-1}(z~_{k-1}), the past *sample*
//! g_k     = F_xi_k(z~_k)                    the one new sample
//! z_{k+1} = P(z_k - eta_k g_k)
//! ```
//!
//! `batch` component calls per iteration; `init` draws `g_{-1} = F_xi_{-1}(z_0)` (counted). The
//! past sample is reused, not redrawn, as the method's definition requires (a fresh sample at
//! `z~_{k-1}` would cost a second call and make it stochastic EG). The ergodic average is over
//! the `z~_k`.
//!
//! ## Step rule
//! `step`, `factor` (default `0.4`, inside the deterministic bound `1/(2L)` as for `eftp`),
//! `schedule`, `gamma`, `batch`, `sampling` as for `stochastic-eg`: a constant step stalls at a
//! noise floor `O(eta sigma_*^2 / mu)` in mean-square distance; the decreasing schedule gives
//! `E ||z_k - z*||^2 = O(1/k)` on strongly monotone problems (Hsieh et al. 2019, Thm. 5).
//! Refuses problems without finite-sum structure (see [`crate::stochastic`]).
//!
//! ## References
//! - L. D. Popov, "A modification of the Arrow-Hurwicz method for search of saddle points",
//!   Math. Notes 28(5) (1980).
//! - Y.-G. Hsieh, F. Iutzeler, J. Malick, P. Mertikopoulos, "On the convergence of single-call
//!   stochastic extra-gradient methods", NeurIPS 2019.

use crate::stochastic::{Draws, StochasticSteps};
use crate::stochastic_eg::{Extrapolation, SampledExtragradient};

vi_core::params! {
    /// Parameters of [`StochasticEftp`].
    pub struct StochasticEftpParams {
        ..steps: StochasticSteps = StochasticSteps::with_factor(0.4);
        ..draws: Draws;
    }
}

/// The past sample for the extrapolation: stochastic EFTP.
#[derive(Clone, Debug)]
pub struct PastSample;

impl Extrapolation for PastSample {
    const NAME: &'static str = "stochastic-eftp";
    const SUMMARY: &'static str =
        "single-call stochastic extragradient (extrapolation from the past sample) on a finite sum";
    const FRESH: bool = false;
    type Params = StochasticEftpParams;
    fn groups(p: &StochasticEftpParams) -> (&StochasticSteps, &Draws) {
        (&p.steps, &p.draws)
    }
}

/// Stochastic extrapolation from the past: [`SampledExtragradient`] (whose `step` is the
/// update above, `FRESH = false` skipping the sample at `z_k`). See the module documentation.
pub type StochasticEftp = SampledExtragradient<PastSample>;

vi_core::register_solver!(StochasticEftp);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::finite_sum_2d;
    use crate::Eftp;
    use vi_core::Solver;

    #[test]
    fn one_component_is_deterministic_eftp() {
        let (mut p, mut q) = (finite_sum_2d(1, &[1.0, -2.0]), finite_sum_2d(1, &[1.0, -2.0]));
        let mut s = StochasticEftp::new(crate::test_support::params(serde_json::json!({"step": 0.2})), 3);
        let mut e = Eftp::new(crate::test_support::params(serde_json::json!({"step": 0.2})));
        s.init(&mut p).unwrap();
        e.init(&mut q).unwrap();
        for _ in 0..20 {
            s.step(&mut p);
            e.step(&mut q);
        }
        for i in 0..2 {
            assert!((s.iterate()[i] - e.iterate()[i]).abs() < 1e-14, "{i}");
        }
        // One sample at init, one per iteration.
        assert_eq!(p.counters().component_calls, 21);
    }

    #[test]
    fn reuses_the_past_sample() {
        // z~_k is built from the sample drawn at z~_{k-1}: with N = 2 components and batch 1,
        // z~_1 = z_1 - eta g_0 where g_0 is the last sample of step 0.
        let mut p = finite_sum_2d(2, &[1.0, 1.0]);
        let mut s = StochasticEftp::new(crate::test_support::params(serde_json::json!({"step": 0.1})), 5);
        s.init(&mut p).unwrap();
        s.step(&mut p);
        let (z1, g0) = (s.z.clone(), s.g.clone());
        s.step(&mut p);
        for i in 0..2 {
            assert_eq!(s.z_half[i], z1[i] - 0.1 * g0[i]);
        }
        assert_eq!(p.counters().component_calls, 3);
    }
}
