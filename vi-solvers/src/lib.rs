//! # vi-solvers: algorithms for variational inequalities and games
//!
//! Every method lives in its own file, which states its update rule, its step-size rule and its
//! references, and registers itself under a kebab-case name:
//!
//! | name | method | oracle calls / iteration |
//! |---|---|---|
//! | `extragradient` | Korpelevich's extragradient | 2 |
//!
//! To add a method, copy `extragradient.rs`: a params struct implementing [`vi_core::Params`],
//! a struct implementing [`vi_core::Solver`] (allocate in `init`, never in `step`), and one
//! `vi_core::register_solver!` line.

#![warn(missing_docs)]

pub mod extragradient;

#[cfg(test)]
pub(crate) mod test_support;

pub use extragradient::{Extragradient, ExtragradientParams};
