//! `vi-bench report`: summary tables and figures from results files.

use std::path::PathBuf;

use clap::Args;

use crate::error::{BenchError, Result};

/// `vi-bench report DIR...`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Result directories (or results.jsonl files) to merge.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Where to write summary.md and the figures (default: the first input directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Regenerates the summary.
///
/// # Errors
/// Unreadable inputs.
pub fn execute(_a: &ReportArgs) -> Result<()> {
    Err(BenchError::Usage("`report` is not implemented yet".into()))
}
