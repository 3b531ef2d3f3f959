//! The `vi-bench` command line (docs/architecture.md §5): `list`, `run`, `suite`, `report`,
//! `diagnose`, `trajectory`, and the dispatch to the module of each.
//!
//! Exit status: 0 when the command did what was asked (a run that diverged is still a successful
//! command; its status says `Diverged`), 2 for bad input, with one line naming what was wrong.

use clap::{Parser, Subcommand};

use crate::error::Result;

/// Benchmark harness and command line for the variational-inequality engine.
#[derive(Debug, Parser)]
#[command(name = "vi-bench", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List registered problems and/or solvers with their parameters and defaults.
    List(crate::list::ListArgs),
    /// Run one solver on one problem.
    Run(crate::run::RunArgs),
    /// Run a suite (problems x solvers x seeds) and write results, tables and figures.
    Suite(crate::suite::SuiteArgs),
    /// Regenerate summary tables and figures from one or more results directories or files.
    Report(crate::report::ReportArgs),
    /// Jacobian diagnostics of a problem at a point, with the rates the theory predicts.
    Diagnose(crate::diagnose::DiagnoseArgs),
    /// Overlay the trajectories of several solvers in the plane of two coordinates (SVG).
    Trajectory(crate::trajectory::TrajectoryArgs),
}

/// Runs the parsed command, writing to stdout.
///
/// # Errors
/// Bad input (exit status 2).
pub fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::List(a) => crate::list::execute(&a),
        Command::Run(a) => crate::run::execute(&a),
        Command::Suite(a) => crate::suite::execute(&a),
        Command::Report(a) => crate::report::execute(&a),
        Command::Diagnose(a) => crate::diagnose::execute(&a),
        Command::Trajectory(a) => crate::trajectory::execute(&a),
    }
}
