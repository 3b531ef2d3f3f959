//! `vi-bench suite`: the comparative harness (problems x solvers x seeds).

use std::path::PathBuf;

use clap::Args;

use crate::error::{BenchError, Result};

/// `vi-bench suite [FILE.toml] --out DIR [--jobs N] [--shard I/N] [--resume]`.
#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Suite file (TOML); the built-in default suite when absent.
    pub file: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Parallel runs.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only slice I of N (1-based), e.g. 2/3.
    #[arg(long)]
    pub shard: Option<String>,
    /// Skip runs already recorded in DIR/results.jsonl.
    #[arg(long)]
    pub resume: bool,
}

/// Runs the suite.
///
/// # Errors
/// Bad suite file or output directory.
pub fn execute(_a: &SuiteArgs) -> Result<()> {
    Err(BenchError::Usage("`suite` is not implemented yet".into()))
}
