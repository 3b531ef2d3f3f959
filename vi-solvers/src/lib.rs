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
//!
//! Adaptive steps (`step = "adaptive"`, backtracking on a local Lipschitz estimate, one extra
//! oracle call per rejected trial) exist for `extragradient`, `eftp` and `ogda`; these three also
//! take a diagonal preconditioner (`precond`: RMSProp, Adam, block-RMSProp; see [`precond`]).
//!
//! To add a method, copy `extragradient.rs`: a params struct implementing [`vi_core::Params`],
//! a struct implementing [`vi_core::Solver`] (allocate in `init`, never in `step`), and one
//! `vi_core::register_solver!` line.

#![warn(missing_docs)]

pub mod alternating_gda;
mod common;
pub mod eftp;
pub mod extragradient;
pub mod gda;
pub mod ogda;
pub mod precond;

#[cfg(test)]
pub(crate) mod test_support;

pub use alternating_gda::{AlternatingGda, AlternatingGdaParams};
pub use eftp::{Eftp, EftpParams};
pub use extragradient::{Extragradient, ExtragradientParams};
pub use gda::{Gda, GdaParams};
pub use ogda::{Ogda, OgdaParams};
pub use precond::{PrecondConfig, PrecondKind, Preconditioner};
