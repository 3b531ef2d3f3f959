//! # vi-solvers: algorithms for variational inequalities and games
//!
//! Every method lives in its own file, which states its update rule, its step-size rule and its
//! references, and registers itself under a kebab-case name:
//!
//! | name | method | oracle calls / iteration | `"auto"` step | averaged point |
//! |---|---|---|---|---|
//! | `gda` | projected simultaneous gradient descent-ascent | 1 | `mu/L^2` (or `0.1/L`) | iterate |
//! | `alternating-gda` | Gauss-Seidel GDA over the problem's blocks | 1 per block | as `gda` | iterate |
//! | `extragradient` | Korpelevich's extragradient | 2 | `0.5/L` | extrapolated point |
//! | `eftp` | extrapolation from the past (Popov) | 1 (+1 at init) | `0.4/L` | extrapolated point |
//! | `ogda` | optimistic GDA, projected forward-reflected-backward | 1 (+1 at init) | `0.4/L` | iterate |
//! | `prg` | Malitsky's projected reflected gradient | 1 | `0.4/L` | iterate |
//! | `eag` | extra anchored gradient (Yoon-Ryu), `variant` constant / varying | 2 | `1/(8L)` / `0.618/L` | extrapolated point |
//! | `graal` | golden ratio algorithm, fixed step | 1 | `phi/(2L)` | iterate |
//! | `agraal` | adaptive golden ratio algorithm (no `L`) | 1 (+2 at init) | adaptive | iterate |
//! | `semismooth-newton` | semismooth Newton on the (penalized) Fischer-Burmeister MCP reformulation, box sets only | 1 + n (finite-difference Jacobian) or 2 (analytic), + 1 per extra trial | none (line search) | iterate |
//! | `stochastic-eg` | stochastic extragradient, independent minibatches, finite sums only | `2 batch / N` | `0.5/L_Q` (`schedule` constant / decreasing) | extrapolated point |
//! | `stochastic-eftp` | single-call stochastic EG reusing the past sample, finite sums only | `batch / N` (+ at init) | `0.4/L_Q` | extrapolated point |
//! | `svrg-eg` | loopless variance-reduced EG (Alacaoglu-Malitsky), finite sums only | `2 batch / N + p` (expected; +1 at init) | `0.9 sqrt(p)/L_Q` | extrapolated point |
//! | `svrg-forb` | loopless variance-reduced forward-reflected-backward (Alacaoglu-Malitsky-Cevher), one projection per iteration, finite sums only | `2 batch / N + p` (expected; +1 at init) | `0.99 (1 - sqrt(1 - p))/(2 L_Q)` | iterate |
//! | `tikhonov` | Tikhonov continuation `eps_j -> 0` around any `inner` solver | the inner's | the inner's, for `L + eps0` | iterate |
//!
//! Every solver takes `step`: a number, or `"auto"` (`factor / L` with the factor its theory
//! gives, `L` declared by the problem or estimated at the start with a few counted calls).
//! `"adaptive"` exists for `extragradient`, `eftp` and `ogda` (backtracking on a local Lipschitz
//! estimate that grows again after each accepted step; one extra oracle call per rejected
//! trial, at most 60 halvings, then the run ends with `NumericalError`) and for `agraal` (its own
//! rule, which needs no `L`). `extragradient`, `eftp` and `ogda` also take a diagonal preconditioner
//! (`precond`: `"rmsprop"`, `"adam"`, `"block-rmsprop"`, with `beta1`, `beta2`, `precond_eps`,
//! `amsgrad`; see [`precond`]). `tikhonov` wraps any other solver by name (`inner`,
//! `inner_params`) and reports its stages through [`vi_core::Solver::info`].
//!
//! "+1 at init" marks methods that evaluate `F(z_0)` once before the first iteration (the
//! "past" value); the runner's oracle-call counter includes it. The averaged point is what
//! [`vi_core::Solver::averaging_point`] returns; the runner averages it uniformly.
//!
//! Non-finite values never panic: the runner ends the run on a NaN iterate and keeps the last
//! finite one; a backtracking search never accepts a non-finite evaluation.
//!
//! `cargo run -p vi-solvers --example table` prints iterations, oracle calls and residuals of
//! every solver on a strongly monotone and a bilinear game.
//!
//! ```
//! use vi_core::{FnOperator, Params, Problem, RunConfig, Runner, Solver, Status};
//! use vi_solvers::{Eftp, EftpParams};
//!
//! // The bilinear game min_x max_y x*y: F(x, y) = (y, -x), L = 1, solution 0.
//! let op = FnOperator::new(2, |z, mut out| {
//!     out[0] = z[1];
//!     out[1] = -z[0];
//! })
//! .with_lipschitz(1.0);
//! let start = vi_core::linalg::col_from_slice(&[1.0, 1.0]);
//! let mut problem = Problem::unconstrained("xy", Box::new(op), start).unwrap();
//! let mut eftp = Eftp::new(EftpParams::default().check("solver eftp").unwrap()); // step "auto" = 0.4 / L
//! let report = Runner::new(RunConfig { tol: 1e-10, ..Default::default() })
//!     .unwrap()
//!     .run(&mut problem, &mut eftp)
//!     .unwrap();
//! assert_eq!(report.status, Status::Converged);
//! // One oracle call per iteration, plus F(z_0) at init.
//! assert_eq!(report.oracle_calls, report.iterations + 1);
//! // The same solver by name, as the CLI builds it:
//! let (solver, params) = vi_core::build_solver("eftp", &serde_json::json!({"step": 0.3}), 0).unwrap();
//! assert_eq!(solver.name(), "eftp");
//! assert_eq!(params["precond"], "none");
//! ```
//!
//! To add a method, copy `extragradient.rs`: its parameters declared once with
//! [`vi_core::params!`] (shared groups such as [`StepSearch`] and [`PrecondParams`] flattened in),
//! a struct implementing [`vi_core::Solver`] (allocate in `init`, never in `step`; optionally
//! what the theory says: [`vi_core::Solver::linear_model`], [`vi_core::Solver::predicted_step`]),
//! [`vi_core::Method`] (name, summary, parameters, constructor) and one
//! `vi_core::register_solver!(MySolver);` line; then add `pub mod my_solver;` here.

#![warn(missing_docs)]

pub mod agraal;
pub mod alternating_gda;
pub mod common;
pub mod eag;
pub mod eftp;
pub mod extragradient;
pub mod gda;
pub mod graal;
pub mod ogda;
pub mod precond;
pub mod prg;
pub mod semismooth_newton;
pub mod stochastic;
pub mod stochastic_eftp;
pub mod stochastic_eg;
pub mod svrg_eg;
pub mod svrg_forb;
pub mod tikhonov;

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod theory_tests;

pub use agraal::{Agraal, AgraalParams};
pub use alternating_gda::{AlternatingGda, AlternatingGdaParams};
pub use common::StepSearch;
pub use eag::{Eag, EagParams, EagVariant};
pub use eftp::{Eftp, EftpParams};
pub use extragradient::{Extragradient, ExtragradientParams};
pub use gda::{Gda, GdaParams};
pub use graal::{Graal, GraalParams};
pub use ogda::{Ogda, OgdaParams};
pub use precond::{PrecondKind, PrecondParams, Preconditioner};
pub use prg::{Prg, PrgParams};
pub use semismooth_newton::{JacobianSource, SemismoothNewton, SemismoothNewtonParams};
pub use stochastic::{Draws, Schedule, StochasticSteps};
pub use stochastic_eftp::{StochasticEftp, StochasticEftpParams};
pub use stochastic_eg::{Extrapolation, SampledExtragradient, StochasticEg, StochasticEgParams};
pub use svrg_eg::{SvrgEg, SvrgEgParams};
pub use svrg_forb::{SvrgForb, SvrgForbParams};
pub use tikhonov::{Anchor, Stage, TikhonovContinuation, TikhonovParams};
