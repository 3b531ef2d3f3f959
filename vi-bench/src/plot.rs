//! SVG figures (plotters): residual against oracle calls on a log scale (one curve per run,
//! several runs per solver allowed), and Dolan-Moré performance profiles.

use std::path::Path;

use plotters::prelude::*;
use vi_core::Report;

use crate::error::{BenchError, Result};
use crate::profile::Profile;

/// A palette of distinguishable colours (the first ten are matplotlib's `tab10`, the next ten
/// darker variants, so that a plot with up to 20 solvers never repeats a colour).
pub const PALETTE: [RGBColor; 20] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(16, 60, 90),
    RGBColor(150, 70, 0),
    RGBColor(20, 90, 20),
    RGBColor(120, 20, 20),
    RGBColor(80, 50, 110),
    RGBColor(70, 40, 35),
    RGBColor(160, 40, 120),
    RGBColor(40, 40, 40),
    RGBColor(110, 110, 10),
    RGBColor(10, 110, 120),
];

/// At most `max` points of a curve, keeping the first and last and thinning the rest evenly.
pub fn thin<T: Clone>(v: &[T], max: usize) -> Vec<T> {
    if v.len() <= max || max < 2 {
        return v.to_vec();
    }
    let step = (v.len() - 1) as f64 / (max - 1) as f64;
    (0..max).map(|i| v[((i as f64 * step).round() as usize).min(v.len() - 1)].clone()).collect()
}

/// One curve of a residual plot: points `(oracle calls, residual)`, a colour index into
/// [`PALETTE`] and a legend entry (`None` for a curve that shares its legend with another, e.g.
/// a second seed of the same solver).
#[derive(Clone, Debug)]
pub struct Curve {
    /// Legend entry.
    pub label: Option<String>,
    /// Index into [`PALETTE`] (taken modulo its length).
    pub color: usize,
    /// `(oracle calls, residual)` points.
    pub points: Vec<(f64, f64)>,
}

/// Draws `residual` against `oracle_calls` (log y) for every report with a trace, labelled by
/// `label(report)`.
///
/// # Errors
/// [`BenchError::Plot`] if nothing can be drawn or the backend fails.
pub fn residual_plot(reports: &[&Report], title: &str, path: &Path, label: impl Fn(&Report) -> String) -> Result<()> {
    let curves: Vec<Curve> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| Curve {
            label: Some(label(r)),
            color: i,
            points: r.trace.iter().map(|t| (t.oracle_calls as f64, t.residual)).collect(),
        })
        .collect();
    residual_curves_plot(&curves, title, path, XScale::Linear)
}

/// Scale of the oracle-call axis of a residual plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XScale {
    /// Linear: linear convergence shows as a straight line.
    Linear,
    /// Logarithmic (points at 0 calls are drawn at 1): sublinear rates show as straight lines,
    /// and solvers whose costs differ by orders of magnitude stay readable on one plot.
    Log,
}

/// Draws residual curves (log y against oracle calls). Non-finite and non-positive residuals
/// are left out; each curve is thinned to 400 points.
///
/// # Errors
/// [`BenchError::Plot`] if nothing can be drawn or the backend fails.
pub fn residual_curves_plot(curves: &[Curve], title: &str, path: &Path, x_scale: XScale) -> Result<()> {
    let err = |reason: String| BenchError::Plot { path: path.display().to_string(), reason };
    let curves: Vec<Curve> = curves
        .iter()
        .map(|c| {
            let pts: Vec<(f64, f64)> = c
                .points
                .iter()
                .copied()
                .filter(|&(x, y)| x.is_finite() && y.is_finite() && y > 0.0)
                .map(|(x, y)| if x_scale == XScale::Log { (x.max(1.0), y) } else { (x, y) })
                .collect();
            Curve { label: c.label.clone(), color: c.color, points: thin(&pts, 400) }
        })
        .filter(|c| !c.points.is_empty())
        .collect();
    if curves.is_empty() {
        return Err(err("no trace points to plot (run with a trace)".into()));
    }
    let xmax = curves.iter().flat_map(|c| c.points.iter().map(|q| q.0)).fold(1.0, f64::max);
    let ymin = curves.iter().flat_map(|c| c.points.iter().map(|q| q.1)).fold(f64::INFINITY, f64::min).max(1e-300);
    let ymax = curves.iter().flat_map(|c| c.points.iter().map(|q| q.1)).fold(0.0, f64::max).max(ymin * 10.0);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut builder = ChartBuilder::on(&root);
    builder.caption(title, ("sans-serif", 22)).margin(12).x_label_area_size(40).y_label_area_size(70);
    let y_range = (ymin * 0.5..ymax * 2.0).log_scale();
    match x_scale {
        XScale::Linear => {
            let mut chart = builder.build_cartesian_2d(0f64..xmax, y_range).map_err(|e| err(e.to_string()))?;
            chart
                .configure_mesh()
                .x_desc("oracle calls")
                .y_desc("natural residual")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format!("{v:.0e}"))
                .draw()
                .map_err(|e| err(e.to_string()))?;
            draw_curves(&mut chart, &curves).map_err(err)?;
        }
        XScale::Log => {
            let mut chart =
                builder.build_cartesian_2d((1f64..xmax * 1.5).log_scale(), y_range).map_err(|e| err(e.to_string()))?;
            chart
                .configure_mesh()
                .x_desc("oracle calls (log scale)")
                .y_desc("natural residual")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format!("{v:.0e}"))
                .draw()
                .map_err(|e| err(e.to_string()))?;
            draw_curves(&mut chart, &curves).map_err(err)?;
        }
    }
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// The curves and their legend on a chart whose y axis is the log residual.
fn draw_curves<'a, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, LogCoord<f64>>>,
    curves: &[Curve],
) -> std::result::Result<(), String> {
    let mut any_label = false;
    for Curve { label: name, color, points: pts } in curves {
        let color = PALETTE[color % PALETTE.len()];
        let series = chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        if let Some(name) = name {
            any_label = true;
            series
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
    }
    if any_label {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Draws a Dolan-Moré performance profile: `rho_s(tau)` against `tau` (log2 scale) as a step
/// function per solver.
///
/// # Errors
/// [`BenchError::Plot`] if the profile is empty or the backend fails.
pub fn profile_plot(profile: &Profile, title: &str, path: &Path) -> Result<()> {
    let err = |reason: String| BenchError::Plot { path: path.display().to_string(), reason };
    if profile.problems == 0 || profile.solvers.is_empty() {
        return Err(err("empty performance profile (no problem solved by any solver)".into()));
    }
    let tmax = (profile.max_ratio() * 2.0).max(2.0);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((1f64..tmax).log_scale().base(2.0), 0f64..1.05)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("performance ratio tau (oracle calls / best)")
        .y_desc("fraction of problems solved within tau")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| err(e.to_string()))?;
    for (i, name) in profile.solvers.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        // Step function: rho jumps at each ratio.
        let mut pts = vec![(1.0, profile.rho(i, 1.0))];
        for &r in &profile.ratios[i] {
            if r > 1.0 {
                let before = pts.last().map_or(0.0, |p| p.1);
                pts.push((r, before));
                pts.push((r, profile.rho(i, r)));
            }
        }
        pts.push((tmax, profile.rho(i, f64::INFINITY)));
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}
