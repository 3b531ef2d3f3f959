//! # vi-bench: the command line and the comparative benchmark harness
//!
//! `vi-bench list | run | suite | report | diagnose | trajectory` (see `vi-bench --help` and
//! docs/architecture.md §5; [`commands`] dispatches to the module of each).
//! The library exposes the same pieces for tests and for users who drive the harness from Rust.

#![warn(missing_docs)]

// Force-link the plugin crates so their registrations are in every binary that uses this one.
use vi_problems as _;
use vi_solvers as _;

pub mod cli;
pub mod commands;
pub mod diagnose;
pub mod error;
pub mod list;
pub mod output;
pub mod plot;
pub mod profile;
pub mod record;
pub mod report;
pub mod run;
pub mod scatter;
pub mod suite;
pub mod summary;
pub mod trajectory;

pub use error::{BenchError, Result};

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
