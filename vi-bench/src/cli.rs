//! The `vi-bench` command line (docs/architecture.md §5): `list`, `run`, `suite`, `report`, `diagnose`.
//!
//! Exit status: 0 when the command did what was asked (a run that diverged is still a successful
//! command; its status says `Diverged`), 2 for bad input, with one line naming what was wrong.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::{json, Map, Value};
use vi_core::registry::{parse_assignment, Target};
use vi_core::{Budget, RunConfig, RunSpec};

use crate::error::{BenchError, Result};
use crate::output;

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
    List(ListArgs),
    /// Run one solver on one problem.
    Run(RunArgs),
    /// Run a suite (problems x solvers x seeds) and write results, tables and figures.
    Suite(crate::suite::SuiteArgs),
    /// Regenerate summary tables and figures from one or more results directories or files.
    Report(crate::report::ReportArgs),
    /// Jacobian diagnostics of a problem at a point, with the rates the theory predicts.
    Diagnose(crate::diagnose::DiagnoseArgs),
    /// Overlay the trajectories of several solvers in the plane of two coordinates (SVG).
    Trajectory(crate::trajectory::TrajectoryArgs),
}

/// `vi-bench list [problems|solvers] [--json]`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// `problems`, `solvers`, or nothing for both.
    pub what: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Problem and solver selection with parameter assignments (shared by `run` and `diagnose`).
#[derive(Debug, Args, Clone)]
pub struct Selection {
    /// Problem name (see `vi-bench list problems`).
    #[arg(long)]
    pub problem: String,
    /// Parameter assignment `problem.KEY=VALUE` or `solver.KEY=VALUE`; VALUE is JSON
    /// (numbers, booleans, arrays such as `[1,1]`) or a plain string. Repeatable.
    #[arg(long = "set", value_name = "TARGET.KEY=VALUE")]
    pub set: Vec<String>,
    /// Seed for random problem data and stochastic oracles.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = arg::whole)]
    pub seed: u64,
}

impl Selection {
    /// Splits the `--set` assignments into problem and solver parameter objects.
    ///
    /// # Errors
    /// A malformed assignment, or one key given twice.
    pub fn params(&self) -> Result<(Map<String, Value>, Map<String, Value>)> {
        split_assignments(&self.set)
    }
}

/// Parses `--set` assignments (`problem.KEY=VALUE`, `solver.KEY=VALUE`) into problem and solver
/// parameter objects.
///
/// # Errors
/// A malformed assignment, or a key given twice (the first and the second value are named).
pub fn split_assignments(set: &[String]) -> Result<(Map<String, Value>, Map<String, Value>)> {
    let (mut p, mut s) = (Map::new(), Map::new());
    let mut given: std::collections::HashMap<(&str, String), &str> = std::collections::HashMap::new();
    for a in set {
        let (t, k, v) = parse_assignment(a)?;
        let target = if t == Target::Problem { "problem" } else { "solver" };
        if let Some(first) = given.insert((target, k.clone()), a) {
            return Err(BenchError::Usage(format!(
                "--set {target}.{k} is given twice (`{first}` and `{a}`); keep one"
            )));
        }
        match t {
            Target::Problem => p.insert(k, v),
            Target::Solver => s.insert(k, v),
        };
    }
    Ok((p, s))
}

/// Value parsers of the numeric options. Each states its range, so that clap prints e.g.
/// `invalid value '-1' for '--max-iters <N>': expected a whole number >= 0`. Options using
/// them set `allow_hyphen_values`, so a negative number reaches the parser instead of being
/// read as an unknown flag.
pub mod arg {
    use std::num::IntErrorKind;

    fn whole_at_least(s: &str, min: u64) -> Result<u64, String> {
        match s.trim().parse::<u64>() {
            Ok(v) if v >= min => Ok(v),
            Err(e) if *e.kind() == IntErrorKind::PosOverflow => {
                Err(format!("expected a whole number from {min} to {}", u64::MAX))
            }
            _ => Err(format!("expected a whole number >= {min}")),
        }
    }

    fn number(s: &str) -> Result<f64, String> {
        s.trim().parse::<f64>().map_err(|_| "expected a number".to_string())
    }

    /// A whole number >= 0.
    ///
    /// # Errors
    /// Anything else, with the range.
    pub fn whole(s: &str) -> Result<u64, String> {
        whole_at_least(s, 0)
    }

    /// A whole number >= 1.
    ///
    /// # Errors
    /// Anything else, with the range.
    pub fn positive_whole(s: &str) -> Result<u64, String> {
        whole_at_least(s, 1)
    }

    /// A whole number >= 0 that fits a `usize`.
    ///
    /// # Errors
    /// Anything else, with the range.
    pub fn size(s: &str) -> Result<usize, String> {
        let v = whole_at_least(s, 0)?;
        usize::try_from(v).map_err(|_| format!("expected a whole number from 0 to {}", usize::MAX))
    }

    /// A whole number >= 1 that fits a `usize`.
    ///
    /// # Errors
    /// Anything else, with the range.
    pub fn positive_size(s: &str) -> Result<usize, String> {
        let v = whole_at_least(s, 1)?;
        usize::try_from(v).map_err(|_| format!("expected a whole number from 1 to {}", usize::MAX))
    }

    /// A finite number >= 0.
    ///
    /// # Errors
    /// Anything else (NaN, infinities, negatives), with the range.
    pub fn nonnegative(s: &str) -> Result<f64, String> {
        match number(s) {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err("expected a finite number >= 0".into()),
        }
    }

    /// A finite number > 0.
    ///
    /// # Errors
    /// Anything else (NaN, infinities, zero, negatives), with the range.
    pub fn positive(s: &str) -> Result<f64, String> {
        match number(s) {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
            _ => Err("expected a finite number > 0".into()),
        }
    }
}

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
    /// Trace interval in iterations (>= 0; 0 = no trace; default 1 when --trace, --plot or
    /// --trajectory is given).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = arg::whole)]
    pub trace_every: Option<u64>,
    /// Write the convergence trace as CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub trace: Option<PathBuf>,
    /// Draw residual against oracle calls as SVG.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
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
        let wants_trace = self.trace.is_some() || self.plot.is_some() || self.trajectory.is_some();
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

/// Runs the parsed command, writing to stdout.
///
/// # Errors
/// Bad input (exit status 2).
pub fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::List(a) => list(&a),
        Command::Run(a) => run(&a),
        Command::Suite(a) => crate::suite::execute(&a),
        Command::Report(a) => crate::report::execute(&a),
        Command::Diagnose(a) => crate::diagnose::execute(&a),
        Command::Trajectory(a) => crate::trajectory::execute(&a),
    }
}

fn list(a: &ListArgs) -> Result<()> {
    let reg = vi_core::registry()?;
    let (show_p, show_s) = match a.what.as_deref() {
        None => (true, true),
        Some("problems" | "problem") => (true, false),
        Some("solvers" | "solver") => (false, true),
        Some(other) => {
            return Err(BenchError::Usage(format!("unknown list target `{other}`; valid: problems, solvers")))
        }
    };
    // A problem's run defaults at its default parameters (they may depend on the parameters).
    let defaults = |e: &vi_core::ProblemEntry| (e.defaults)(&Map::new()).unwrap_or_default();
    if a.json {
        let entry = |name: &str, summary: &str, params: Vec<vi_core::ParamInfo>| json!({"name": name, "summary": summary, "params": params});
        let mut out = Map::new();
        if show_p {
            let problems = reg.problems().map(|e| {
                let mut v = entry(e.name, e.summary, (e.params)());
                let d = defaults(e);
                if !d.is_empty() {
                    v["run_defaults"] = json!(d);
                }
                v
            });
            out.insert("problems".into(), problems.collect());
        }
        if show_s {
            out.insert("solvers".into(), reg.solvers().map(|e| entry(e.name, e.summary, (e.params)())).collect());
        }
        println!("{}", Value::Object(out));
        return Ok(());
    }
    let mut text = String::new();
    let mut section = |title: &str, items: Vec<(&str, &str, Vec<vi_core::ParamInfo>, Vec<String>)>| {
        text.push_str(&format!("{title}:\n"));
        for (name, summary, params, extra) in items {
            text.push_str(&format!("  {name:<20} {summary}\n"));
            for p in params {
                text.push_str(&format!("      {:<14} = {:<12} {}\n", p.name, p.default.to_string(), p.doc));
            }
            for line in extra {
                text.push_str(&format!("      {line}\n"));
            }
        }
    };
    if show_p {
        section(
            "problems (every problem also accepts `start`, an array)",
            reg.problems().map(|e| (e.name, e.summary, (e.params)(), defaults_lines(&defaults(e)))).collect(),
        );
    }
    if show_s {
        section("solvers", reg.solvers().map(|e| (e.name, e.summary, (e.params)(), Vec::new())).collect());
    }
    print!("{text}");
    Ok(())
}

/// The lines `list` shows under a problem that declares run defaults.
fn defaults_lines(d: &vi_core::RunDefaults) -> Vec<String> {
    if d.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![format!("run defaults ({}):", d.note)];
    if !d.budget.is_empty() {
        lines.push(format!("  budget: {}", d.budget.words().join(" ")));
    }
    for g in &d.solver {
        let words: Vec<String> = g.iter().map(|(k, v)| format!("{k}={v}")).collect();
        lines.push(format!("  solvers that take them: {}", words.join(" ")));
    }
    lines
}

fn run(a: &RunArgs) -> Result<()> {
    let (spec, applied) = a.spec()?;
    if !applied.is_empty() {
        eprintln!(
            "note: {} (a flag or --set overrides each; --no-problem-defaults drops them)",
            applied.describe(&spec.problem)
        );
    }
    let mut prepared = spec.prepare()?;
    let report = prepared.run()?;
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
    if a.json {
        println!("{}", output::report_json_line(&report));
    } else {
        println!("{}", output::summary(&report));
    }
    Ok(())
}
