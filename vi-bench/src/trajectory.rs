//! Trajectories in the plane of two coordinates (for a 2-D game: `(theta, psi)`), one curve per
//! solver on one SVG figure.
//!
//! The [`vi_core::Runner`] records the iterate `z` in every trace point for problems of
//! dimension <= 4; this module draws `z[i]` against `z[j]` (default the first two coordinates),
//! marks each start with a circle and the known solution with a cross.
//!
//! ```text
//! vi-bench run --problem gan-dirac --solver eftp --set solver.step=0.2 --max-iters 500 --tol 0 --trajectory eftp.svg
//! vi-bench trajectory --problem gan-dirac --solvers gda,alternating-gda,extragradient,eftp \
//!     --set solver.step=0.2 --max-iters 500 --out dirac.svg
//! ```

use std::path::{Path, PathBuf};

use clap::Args;
use plotters::prelude::*;
use serde_json::Value;
use vi_core::{build_problem, Report, RunConfig, RunSpec};

use crate::cli::{arg, Selection};
use crate::error::{BenchError, Result};
use crate::output;
use crate::plot::{thin, PALETTE};

/// `vi-bench trajectory --problem NAME --solvers A,B,... --out FILE.svg`.
#[derive(Debug, Args)]
pub struct TrajectoryArgs {
    /// Problem, parameters (`--set problem.k=v`, and `--set solver.k=v` for every solver) and seed.
    #[command(flatten)]
    pub selection: Selection,
    /// Solvers to overlay, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub solvers: Vec<String>,
    /// Iteration limit of each run (>= 0).
    #[arg(long, value_name = "N", default_value_t = 500, allow_hyphen_values = true, value_parser = arg::whole)]
    pub max_iters: u64,
    /// Tolerance on the natural residual (a finite number >= 0; 0: run every iteration).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true, value_parser = arg::nonnegative)]
    pub tol: f64,
    /// Trace (and plot) every this many iterations (>= 1).
    #[arg(long, value_name = "N", default_value_t = 1, allow_hyphen_values = true, value_parser = arg::positive_whole)]
    pub trace_every: u64,
    /// The two coordinates to draw, `i,j` (default `0,1`).
    #[arg(long, default_value = "0,1")]
    pub axes: String,
    /// Output SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub out: PathBuf,
    /// Also print one JSON line per run (as `run --json`).
    #[arg(long)]
    pub json: bool,
}

/// Parses `i,j`.
///
/// # Errors
/// [`BenchError::Usage`] for anything but two distinct indices.
pub fn parse_axes(s: &str) -> Result<(usize, usize)> {
    let bad = || BenchError::Usage(format!("--axes `{s}`: expected two distinct coordinate indices `i,j`, e.g. 0,1"));
    let v: Vec<usize> =
        s.split(',').map(|x| x.trim().parse::<usize>()).collect::<std::result::Result<_, _>>().map_err(|_| bad())?;
    match v.as_slice() {
        [i, j] if i != j => Ok((*i, *j)),
        _ => Err(bad()),
    }
}

/// What to draw besides the curves: axis names and the known solution.
#[derive(Clone, Debug, Default)]
pub struct Decorations {
    /// Name of the horizontal axis.
    pub x_name: String,
    /// Name of the vertical axis.
    pub y_name: String,
    /// The known solution, projected on the two axes.
    pub solution: Option<(f64, f64)>,
}

impl Decorations {
    /// Axis names from the problem's blocks (`generator[0]`, `discriminator[0]` for a GAN) and
    /// its known solution.
    ///
    /// # Errors
    /// Bad problem name or parameters.
    pub fn for_problem(spec: &RunSpec, axes: (usize, usize)) -> Result<Self> {
        let p = build_problem(&spec.problem, &Value::Object(spec.problem_params.clone()), spec.seed)?;
        let name = |i: usize| {
            p.blocks()
                .iter()
                .find(|b| b.range.contains(&i))
                .map(|b| format!("{}[{}] (z{i})", b.name, i - b.range.start))
                .unwrap_or_else(|| format!("z{i}"))
        };
        let solution =
            p.solution().filter(|s| axes.0 < s.nrows() && axes.1 < s.nrows()).map(|s| (s[axes.0], s[axes.1]));
        Ok(Self { x_name: name(axes.0), y_name: name(axes.1), solution })
    }
}

/// Draws the trajectories of `reports` (their traces must carry `z`) in the plane of
/// coordinates `axes`, one curve per report labelled by `label`.
///
/// # Errors
/// [`BenchError::Plot`] when no trace carries `z` (problems of dimension > 4, or no trace) or
/// the backend fails.
pub fn trajectory_plot(
    reports: &[&Report],
    title: &str,
    path: &Path,
    axes: (usize, usize),
    deco: &Decorations,
    label: impl Fn(&Report) -> String,
) -> Result<()> {
    let err = |reason: String| BenchError::Plot { path: path.display().to_string(), reason };
    let (i, j) = axes;
    let curves: Vec<(String, Vec<(f64, f64)>)> = reports
        .iter()
        .map(|r| {
            let pts: Vec<(f64, f64)> = r
                .trace
                .iter()
                .filter_map(|t| t.z.as_ref())
                .filter(|z| i < z.len() && j < z.len())
                .map(|z| (z[i], z[j]))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            (label(r), thin(&pts, 2000))
        })
        .filter(|(_, p)| !p.is_empty())
        .collect();
    if curves.is_empty() {
        return Err(err(format!(
            "no trace point carries coordinates {i} and {j} (the runner records z only for problems of dimension <= 4)"
        )));
    }
    let ((x0, x1), (y0, y1)) = padded_bounds(curves.iter().flat_map(|(_, p)| p.iter().copied()).chain(deco.solution));
    let root = SVGBackend::new(path, (820, 760)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc(deco.x_name.as_str())
        .y_desc(deco.y_name.as_str())
        .draw()
        .map_err(|e| err(e.to_string()))?;
    for (k, (name, pts)) in curves.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        chart.draw_series(std::iter::once(Circle::new(pts[0], 5, color.filled()))).map_err(|e| err(e.to_string()))?;
        let last = pts[pts.len() - 1];
        chart
            .draw_series(std::iter::once(Circle::new(last, 4, color.stroke_width(2))))
            .map_err(|e| err(e.to_string()))?;
    }
    if let Some(s) = deco.solution {
        chart
            .draw_series(std::iter::once(Cross::new(s, 8, BLACK.stroke_width(3))))
            .map_err(|e| err(e.to_string()))?
            .label("solution")
            .legend(|(x, y)| Cross::new((x + 9, y), 5, BLACK.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// The ranges of `points` in x and y, each widened by 6% on both sides (and never empty).
fn padded_bounds(points: impl Iterator<Item = (f64, f64)>) -> ((f64, f64), (f64, f64)) {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for (x, y) in points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let pad = |a: f64, b: f64| {
        let w = (b - a).max(1e-12 * a.abs().max(1.0)).max(1e-9);
        (a - 0.06 * w, b + 0.06 * w)
    };
    (pad(x0, x1), pad(y0, y1))
}

/// The trajectory of one finished run (`vi-bench run ... --trajectory FILE.svg`).
///
/// # Errors
/// As [`trajectory_plot`].
pub fn plot_run(spec: &RunSpec, report: &Report, path: &Path) -> Result<()> {
    let deco = Decorations::for_problem(spec, (0, 1))?;
    let title = format!("{} on {}: trajectory", report.solver, report.problem);
    trajectory_plot(&[report], &title, path, (0, 1), &deco, |r| r.solver.clone())
}

/// Runs every solver on the problem and overlays their trajectories.
///
/// # Errors
/// Bad input (names, parameters, axes) or a plot that cannot be drawn.
pub fn execute(a: &TrajectoryArgs) -> Result<()> {
    let axes = parse_axes(&a.axes)?;
    let (problem_params, solver_params) = a.selection.params()?;
    let mut reports = Vec::new();
    let mut first_spec = None;
    for s in &a.solvers {
        let spec = RunSpec {
            problem: a.selection.problem.clone(),
            solver: s.trim().to_string(),
            problem_params: problem_params.clone(),
            solver_params: solver_params.clone(),
            seed: a.selection.seed,
            config: RunConfig {
                tol: a.tol,
                max_iters: a.max_iters,
                trace_every: a.trace_every.max(1),
                ..RunConfig::default()
            },
        };
        let report = spec.run()?;
        if a.json {
            println!("{}", output::report_json_line(&report));
        }
        first_spec.get_or_insert(spec);
        reports.push(report);
    }
    let spec = first_spec.ok_or_else(|| BenchError::Usage("--solvers: give at least one solver".into()))?;
    let deco = Decorations::for_problem(&spec, axes)?;
    let refs: Vec<&Report> = reports.iter().collect();
    let title = format!("{}: trajectories", a.selection.problem);
    trajectory_plot(&refs, &title, &a.out, axes, &deco, |r| {
        format!(
            "{} ({}, |z-z*| {})",
            r.solver,
            r.status,
            r.distance_to_solution.map_or("-".into(), |d| format!("{d:.2e}"))
        )
    })?;
    if !a.json {
        for r in &reports {
            println!("{}", output::summary(r));
        }
        println!("wrote {}", a.out.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_parse() {
        assert_eq!(parse_axes("0,1").unwrap(), (0, 1));
        assert_eq!(parse_axes(" 2 , 0").unwrap(), (2, 0));
        assert!(parse_axes("1,1").is_err());
        assert!(parse_axes("a,b").unwrap_err().to_string().contains("--axes"));
    }
}
