//! `vi-bench run`: one solver on one problem, with the problem's declared run defaults merged
//! under the flags given; the report as JSON or text, optional trace CSV and figures.

use std::path::PathBuf;

use clap::Args;
use vi_core::{Budget, RunConfig, RunSpec};

use crate::cli::{arg, Selection};
use crate::error::{BenchError, Result};
use crate::output;

/// `vi-bench run`.
#[derive(Debug, Args)]
#[command(after_help = "The start (the problem parameter `start`, or the problem's own) is projected onto the set \
before the first step, so a start outside the set is accepted. F must be finite there: if it is not, the run \
ends NumericalError before any step, saying so.")]
pub struct RunArgs {
    /// Problem, parameters and seed.
    #[command(flatten)]
    pub selection: Selection,
    /// Solver name (see `vi-bench list solvers`).
    #[arg(long)]
    pub solver: String,
    /// Tolerance on the natural residual ||z - P(z - F(z))|| (a finite number >= 0; default
    /// 1e-8, or the problem's run default).
    #[arg(long, allow_hyphen_values = true, value_parser = arg::nonnegative)]
    pub tol: Option<f64>,
    /// Iteration limit (>= 0; default 100000, or the problem's run default).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = arg::whole)]
    pub max_iters: Option<u64>,
    /// Oracle-call budget (>= 0).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = arg::whole)]
    pub max_calls: Option<u64>,
    /// Wall-time limit in seconds (> 0).
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = arg::positive)]
    pub time_limit: Option<f64>,
    /// Residual check interval in iterations (>= 1; default 1, or the problem's run default).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = arg::positive_whole)]
    pub check_every: Option<u64>,
    /// Trace interval in iterations (>= 0; 0 = no trace; default 1 when --trace, --plot,
    /// --metrics-plot or --trajectory is given).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = arg::whole)]
    pub trace_every: Option<u64>,
    /// Write the convergence trace as CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub trace: Option<PathBuf>,
    /// Draw residual against oracle calls as SVG.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Draw the problem's metrics (e.g. gan-mixture's modes, high_quality, reverse_kl) against
    /// oracle calls as SVG, one panel per metric, from the trace points.
    #[arg(long, value_name = "FILE.svg")]
    pub metrics_plot: Option<PathBuf>,
    /// Draw the trajectory in the plane of the first two coordinates as SVG (dimension <= 4).
    #[arg(long, value_name = "FILE.svg")]
    pub trajectory: Option<PathBuf>,
    /// Draw 2500 samples of the final model over its reference points as SVG (problems with a
    /// 2-D sampler, e.g. gan-mixture).
    #[arg(long, value_name = "FILE.svg")]
    pub samples: Option<PathBuf>,
    /// Ignore the problem's declared run defaults (budget, monitoring interval and solver
    /// settings its claims are made with; `vi-bench list problems` shows them).
    #[arg(long)]
    pub no_problem_defaults: bool,
    /// Print exactly one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

impl RunArgs {
    /// The run specification these arguments describe, with the problem's run defaults merged
    /// under the flags given (unless `--no-problem-defaults`), and what came from the problem.
    ///
    /// # Errors
    /// A malformed `--set`, an unknown problem or solver, invalid problem parameters.
    pub fn spec(&self) -> Result<(RunSpec, vi_core::Applied)> {
        let (problem_params, solver_params) = self.selection.params()?;
        let wants_trace =
            self.trace.is_some() || self.plot.is_some() || self.metrics_plot.is_some() || self.trajectory.is_some();
        let given = Budget {
            tol: self.tol,
            max_iters: self.max_iters,
            max_calls: self.max_calls,
            time_limit: self.time_limit,
            check_every: self.check_every,
            trace_every: self.trace_every,
            divergence_factor: None,
        };
        let spec = RunSpec {
            problem: self.selection.problem.clone(),
            solver: self.solver.clone(),
            problem_params,
            solver_params,
            seed: self.selection.seed,
            config: RunConfig { trace_every: u64::from(wants_trace), ..RunConfig::default() },
        };
        Ok(spec.resolve(&given, !self.no_problem_defaults)?)
    }
}

/// Runs it and prints the report.
///
/// # Errors
/// Bad input (exit status 2).
pub fn execute(a: &RunArgs) -> Result<()> {
    let (spec, applied) = a.spec()?;
    if !applied.is_empty() {
        eprintln!(
            "note: {} (a flag or --set overrides each; --no-problem-defaults drops them)",
            applied.describe(&spec.problem)
        );
    }
    let mut prepared = spec.prepare()?;
    if a.metrics_plot.is_some() && prepared.problem.metric_names().is_empty() {
        return Err(BenchError::Usage(format!(
            "--metrics-plot: problem `{}` has no metrics (gan-mixture has modes, high_quality and reverse_kl)",
            spec.problem
        )));
    }
    // On a worker of rayon's pool, a problem's parallel sections (`threads > 1`) start by
    // pushing work to the other workers instead of waking them from a blocked caller: a dense
    // bilinear oracle on two threads, m = n = 1000, 75.6 -> 72.8 us per call; 300 x 1024, 30.2 -> 25.1.
    let report = rayon::scope(|_| prepared.run())?;
    if let Some(path) = &a.samples {
        // The problem outlives the run: ask it for samples of the final iterate.
        let problem = &mut prepared.problem;
        let z = vi_core::linalg::col_from_slice(&report.z);
        let samples = problem.samples(z.as_ref(), crate::scatter::DEFAULT_SAMPLES).ok_or_else(|| {
            BenchError::Usage(format!(
                "--samples: problem `{}` has no 2-D sampler (e.g. gan-mixture has one)",
                report.problem
            ))
        })?;
        let title = format!("{} on {}: {} samples", report.solver, report.problem, samples.len());
        crate::scatter::scatter_svg(&samples, problem.reference_points(), &title, path)?;
    }
    if let Some(path) = &a.trace {
        output::write_trace_csv(&report, path)?;
    }
    if let Some(path) = &a.trajectory {
        crate::trajectory::plot_run(&spec, &report, path)?;
    }
    if let Some(path) = &a.plot {
        let title = format!("{} on {}", report.solver, report.problem);
        crate::plot::residual_plot(&[&report], &title, path, |r| r.solver.clone())?;
    }
    if let Some(path) = &a.metrics_plot {
        let title = format!("{} on {}: metrics", report.solver, report.problem);
        crate::plot::metrics_plot(&report, &title, path)?;
    }
    if a.json {
        println!("{}", output::report_json_line(&report));
    } else {
        println!("{}", output::summary(&report));
    }
    Ok(())
}
