//! `vi-bench diagnose`: Jacobian diagnostics of a problem at a point.

use clap::Args;

use crate::cli::Selection;
use crate::error::{BenchError, Result};

/// `vi-bench diagnose --problem NAME [--set ...] [--at start|solution|FILE] [--json]`.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Problem, parameters and seed.
    #[command(flatten)]
    pub selection: Selection,
    /// Where: `start`, `solution`, or a file holding the point (JSON array or whitespace list).
    #[arg(long, default_value = "start")]
    pub at: String,
    /// Print exactly one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs the diagnostics.
///
/// # Errors
/// Bad problem or point.
pub fn execute(_a: &DiagnoseArgs) -> Result<()> {
    Err(BenchError::Usage("`diagnose` is not implemented yet".into()))
}
