//! SVG figures (plotters): residual against oracle calls on a log scale (one curve per run,
//! several runs per solver allowed), a run's problem metrics against oracle calls, and
//! Dolan-Moré performance profiles.

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

/// Light grid lines between two labelled residuals: on a log axis whose labels fall on
/// 1..9 x 10^k, more than this draws a dark band where labels crowd (just below each decade).
const LIGHT_LINES: usize = 2;

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

/// Draws each of the problem's metrics recorded in `report`'s trace (e.g. `gan-mixture`'s
/// `modes`, `high_quality`, `reverse_kl`) against oracle calls, one panel per metric on a
/// linear scale, so that training progress shows beside the residual of [`residual_plot`].
/// Non-finite values are left out.
///
/// # Errors
/// [`BenchError::Plot`] if the trace holds no metric or the backend fails.
pub fn metrics_plot(report: &Report, title: &str, path: &Path) -> Result<()> {
    let err = |reason: String| BenchError::Plot { path: path.display().to_string(), reason };
    let mut names: Vec<&str> = report.trace.iter().flat_map(|t| t.metrics.keys().map(String::as_str)).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Err(err(format!(
            "problem `{}` records no metrics in its trace (gan-mixture does, for example)",
            report.problem
        )));
    }
    let height = 60 + 240 * names.len() as u32;
    let root = SVGBackend::new(path, (FIGURE.0, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let root = root.titled(title, ("sans-serif", 20)).map_err(|e| err(e.to_string()))?;
    let xmax = report.trace.iter().map(|t| t.oracle_calls as f64).fold(1.0, f64::max);
    for (k, (name, area)) in names.iter().zip(root.split_evenly((names.len(), 1))).enumerate() {
        let points: Vec<(f64, f64)> = report
            .trace
            .iter()
            .filter_map(|t| t.metrics.get(*name).map(|&v| (t.oracle_calls as f64, v)))
            .filter(|p| p.1.is_finite())
            .collect();
        let (lo, hi) = points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 * lo.abs().max(1.0) };
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(36)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..xmax, (lo - pad)..(hi + pad))
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("oracle calls")
            .y_desc(*name)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        let color = PALETTE[k % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?;
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(|e| err(e.to_string()))?;
    }
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
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

/// Width of the legend column to the right of every plot, in pixels.
const LEGEND_WIDTH: u32 = 230;
/// Size of every figure, in pixels.
const FIGURE: (u32, u32) = (980, 560);
/// A curve leaving the window this many decades above the largest starting residual is cut
/// there (a diverging run would otherwise squash every other curve into one band).
const WINDOW_DECADES: f64 = 4.0;

/// How a residual curve is drawn once zeros and escapes are resolved.
struct Drawn {
    label: Option<String>,
    color: usize,
    points: Vec<(f64, f64)>,
    /// The last point is an exact zero, drawn at the floor.
    zero: bool,
    /// The curve left the window (diverged); its last point sits on the top edge.
    escaped: bool,
}

/// Draws residual curves (log y against oracle calls), legend in a column beside the plot.
///
/// Non-finite residuals are left out; an exact zero is drawn at the floor of the window (a
/// filled circle), and a curve that climbs more than 4 (`WINDOW_DECADES`) decades above the
/// largest starting residual is cut at the top edge (a triangle). Curves carry markers of
/// five shapes at staggered positions, so identical curves stay visible. Each curve is thinned
/// to 400 points.
///
/// # Errors
/// [`BenchError::Plot`] if nothing can be drawn or the backend fails.
pub fn residual_curves_plot(curves: &[Curve], title: &str, path: &Path, x_scale: XScale) -> Result<()> {
    let err = |reason: String| BenchError::Plot { path: path.display().to_string(), reason };
    let (drawn, floor) =
        windowed(curves, x_scale).ok_or_else(|| err("no trace points to plot (run with a trace)".into()))?;
    let xmax = drawn.iter().flat_map(|c| c.points.iter().map(|q| q.0)).fold(1.0, f64::max);
    let ymax = drawn.iter().flat_map(|c| c.points.iter().map(|q| q.1)).fold(0.0, f64::max).max(floor * 10.0);
    let root = SVGBackend::new(path, FIGURE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let (plot_area, legend_area) = root.split_horizontally(FIGURE.0 - LEGEND_WIDTH);
    let mut builder = ChartBuilder::on(&plot_area);
    builder.caption(title, ("sans-serif", 20)).margin(12).x_label_area_size(40).y_label_area_size(70);
    let y_range = (floor * 0.5..ymax * 2.0).log_scale();
    match x_scale {
        XScale::Linear => {
            let mut chart = builder.build_cartesian_2d(0f64..xmax, y_range).map_err(|e| err(e.to_string()))?;
            chart
                .configure_mesh()
                .x_desc("oracle calls")
                .y_desc("natural residual")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format!("{v:.0e}"))
                .y_max_light_lines(LIGHT_LINES)
                .draw()
                .map_err(|e| err(e.to_string()))?;
            draw_curves(&mut chart, &drawn).map_err(err)?;
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
                .y_max_light_lines(LIGHT_LINES)
                .draw()
                .map_err(|e| err(e.to_string()))?;
            draw_curves(&mut chart, &drawn).map_err(err)?;
        }
    }
    let entries: Vec<(String, usize)> = drawn.iter().filter_map(|c| c.label.clone().map(|l| (l, c.color))).collect();
    let mut notes = Vec::new();
    if drawn.iter().any(|c| c.zero) {
        notes.push("\u{25cf} exact 0, drawn at the floor".to_string());
    }
    if drawn.iter().any(|c| c.escaped) {
        notes.push(format!("\u{25b2} left the window (> {WINDOW_DECADES:.0} decades up)"));
    }
    draw_legend(&legend_area, &entries, &notes).map_err(err)?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// The curves as drawn, and the floor where exact zeros sit: non-finite points left out, each
/// curve cut where it first reaches zero or leaves the window (`None` when nothing is left).
fn windowed(curves: &[Curve], x_scale: XScale) -> Option<(Vec<Drawn>, f64)> {
    let finite = |c: &Curve| -> Vec<(f64, f64)> {
        c.points
            .iter()
            .copied()
            .filter(|&(x, y)| x.is_finite() && y.is_finite() && y >= 0.0)
            .map(|(x, y)| if x_scale == XScale::Log { (x.max(1.0), y) } else { (x, y) })
            .collect()
    };
    let all: Vec<Vec<(f64, f64)>> = curves.iter().map(finite).collect();
    if all.iter().all(Vec::is_empty) {
        return None;
    }
    let start = all.iter().filter_map(|c| c.first().map(|q| q.1)).fold(0.0, f64::max);
    let top = if start > 0.0 { start * 10f64.powf(WINDOW_DECADES) } else { f64::INFINITY };
    let ymin_pos = all.iter().flatten().map(|q| q.1).filter(|&y| y > 0.0).fold(f64::INFINITY, f64::min);
    let ymin_pos = if ymin_pos.is_finite() { ymin_pos.max(1e-300) } else { 1e-16 };
    let any_zero = all.iter().flatten().any(|q| q.1 == 0.0);
    let floor = if any_zero { ymin_pos / 10.0 } else { ymin_pos };
    let drawn = curves
        .iter()
        .zip(&all)
        .filter(|(_, pts)| !pts.is_empty())
        .map(|(c, pts)| {
            let mut out = Vec::with_capacity(pts.len());
            let (mut zero, mut escaped) = (false, false);
            for &(x, y) in pts {
                if y > top {
                    out.push((x, top));
                    escaped = true;
                    break;
                }
                if y == 0.0 {
                    out.push((x, floor));
                    zero = true;
                    break;
                }
                out.push((x, y));
            }
            Drawn { label: c.label.clone(), color: c.color, points: thin(&out, 400), zero, escaped }
        })
        .collect();
    Some((drawn, floor))
}

/// The marker shape of colour index `i`: five shapes, so that 20 colours give distinct pairs.
fn marker_shape(i: usize) -> usize {
    (i + i / PALETTE.len()) % 5
}

/// Draws marker `shape` at `p` (backend coordinates) in `color`.
fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    p: (i32, i32),
    shape: usize,
    color: RGBColor,
) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    match shape {
        0 => area.draw(&Circle::new(p, 4, color.filled())).map_err(e),
        1 => area.draw(&TriangleMarker::new(p, 5, color.filled())).map_err(e),
        2 => area.draw(&Cross::new(p, 4, color.stroke_width(2))).map_err(e),
        3 => area.draw(&Rectangle::new([(p.0 - 4, p.1 - 4), (p.0 + 4, p.1 + 4)], color.filled())).map_err(e),
        _ => area.draw(&Circle::new(p, 4, color.stroke_width(2))).map_err(e),
    }
}

/// Data point `q` in the pixel coordinates of the chart's plotting area, whose top-left corner
/// is `base` in backend pixels (markers are drawn on that area).
fn area_pixel<X: Ranged<ValueType = f64>, Y: Ranged<ValueType = f64>>(
    chart: &ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    base: (i32, i32),
    q: (f64, f64),
) -> (i32, i32) {
    let p = chart.backend_coord(&q);
    (p.0 - base.0, p.1 - base.1)
}

/// The curves with staggered markers, the zero and escape markers, on a log-residual chart.
fn draw_curves<'a, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, LogCoord<f64>>>,
    curves: &[Drawn],
) -> std::result::Result<(), String> {
    const MARKS: usize = 6;
    for (k, c) in curves.iter().enumerate() {
        let color = PALETTE[c.color % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(c.points.iter().copied(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        let area = chart.plotting_area().strip_coord_spec();
        let base = area.get_base_pixel();
        let n = c.points.len();
        // Staggered along the curve by its position in the list: identical curves show apart.
        let offset = (k % MARKS) as f64 / MARKS as f64;
        for m in 0..MARKS {
            let idx = (((m as f64 + offset) / MARKS as f64) * (n.max(1) - 1) as f64).round() as usize;
            draw_marker(&area, area_pixel(chart, base, c.points[idx.min(n - 1)]), marker_shape(c.color), color)?;
        }
        if let Some(&last) = c.points.last() {
            let p = area_pixel(chart, base, last);
            if c.zero {
                area.draw(&Circle::new(p, 6, color.filled())).map_err(|e| e.to_string())?;
            }
            if c.escaped {
                area.draw(&TriangleMarker::new(p, 8, color.filled())).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// The legend column: one line and marker per entry, then the notes.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, usize)],
    notes: &[String],
) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (w, h) = area.dim_in_pixel();
    let max_chars = (w as usize).saturating_sub(50) / 7;
    let wrapped: Vec<Vec<String>> = entries.iter().map(|(label, _)| wrap_label(label, max_chars)).collect();
    let rows = wrapped.iter().map(Vec::len).sum::<usize>() + notes.len();
    let pitch = (18i32).min(((h as i32 - 60) / rows.max(1) as i32).max(10));
    let font = ("sans-serif", if pitch < 16 { 11 } else { 13 });
    let mut y = 50;
    for ((_, color), lines) in entries.iter().zip(&wrapped) {
        let c = PALETTE[color % PALETTE.len()];
        area.draw(&PathElement::new(vec![(8, y), (38, y)], c.stroke_width(2))).map_err(e)?;
        draw_marker(area, (23, y), marker_shape(*color), c)?;
        for line in lines {
            area.draw(&Text::new(line.clone(), (46, y - 7), font.into_font().color(&BLACK))).map_err(e)?;
            y += pitch;
        }
    }
    y += pitch / 2;
    for note in notes {
        area.draw(&Text::new(note.clone(), (8, y - 7), ("sans-serif", 11).into_font().color(&BLACK))).map_err(e)?;
        y += pitch;
    }
    Ok(())
}

/// A legend label in lines of at most `max` characters, broken after `(` or `,` where it can be
/// (a solver's parameters go on the next lines, so two configurations stay distinguishable), the
/// last line cut with an ellipsis beyond three lines.
fn wrap_label(label: &str, max: usize) -> Vec<String> {
    let max = max.max(8);
    let mut lines = Vec::new();
    let mut rest: Vec<char> = label.chars().collect();
    while rest.len() > max && lines.len() < 2 {
        let cut = rest[..max].iter().rposition(|c| matches!(c, '(' | ',' | ' ')).map_or(max, |i| i + 1);
        lines.push(rest[..cut].iter().collect::<String>().trim_end().to_string());
        rest = rest[cut..].iter().copied().skip_while(|c| *c == ' ').collect();
    }
    if rest.len() > max {
        rest.truncate(max - 1);
        rest.push('\u{2026}');
    }
    lines.push(rest.into_iter().collect());
    lines
}

/// One step curve (colour index `k`) of a performance profile with staggered markers.
fn draw_steps<'a, X: Ranged<ValueType = f64>, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    k: usize,
    points: &[(f64, f64)],
) -> std::result::Result<(), String> {
    const MARKS: usize = 5;
    let color = PALETTE[k % PALETTE.len()];
    chart.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2))).map_err(|e| e.to_string())?;
    let area = chart.plotting_area().strip_coord_spec();
    let base = area.get_base_pixel();
    let (a, b) = (points[0].0.ln(), points[points.len() - 1].0.ln());
    for m in 0..MARKS {
        // Markers at staggered tau on the step function.
        let t = ((m as f64 + (k % MARKS) as f64 / MARKS as f64) / MARKS as f64 * (b - a) + a).exp();
        let y = points.iter().take_while(|p| p.0 <= t).last().map_or(points[0].1, |p| p.1);
        draw_marker(&area, area_pixel(chart, base, (t, y)), marker_shape(k), color)?;
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
    let root = SVGBackend::new(path, FIGURE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let (plot_area, legend_area) = root.split_horizontally(FIGURE.0 - LEGEND_WIDTH);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((1f64..tmax).log_scale().base(2.0), 0f64..1.05)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("performance ratio tau (oracle calls / best)")
        .y_desc("fraction of problems solved within tau")
        .x_label_formatter(&|v| ratio_label(*v))
        .draw()
        .map_err(|e| err(e.to_string()))?;
    for i in 0..profile.solvers.len() {
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
        draw_steps(&mut chart, i, &pts).map_err(err)?;
    }
    let entries: Vec<(String, usize)> = profile.solvers.iter().cloned().zip(0..).collect();
    draw_legend(&legend_area, &entries, &[]).map_err(err)?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// A tick label of the ratio axis: whole numbers from 10 on, else up to two decimals without
/// trailing zeros (a profile whose ratios stay below 4 gets ticks 1, 1.19, 1.41, ..., not
/// 1, 1, 1, 2).
fn ratio_label(v: f64) -> String {
    if v >= 10.0 {
        return format!("{v:.0}");
    }
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::{ratio_label, wrap_label};

    #[test]
    fn ratio_ticks_keep_the_digits_that_tell_them_apart() {
        let ticks: Vec<String> = [1.0, 1.189, 1.5, 2.0, 3.364, 16.0, 256.0].iter().map(|v| ratio_label(*v)).collect();
        assert_eq!(ticks, ["1", "1.19", "1.5", "2", "3.36", "16", "256"]);
    }

    #[test]
    fn long_legend_labels_wrap_after_a_parenthesis_and_keep_what_tells_them_apart() {
        assert_eq!(wrap_label("eftp", 25), ["eftp"]);
        let a = wrap_label("stochastic-eftp(schedule=constant)", 25);
        let b = wrap_label("stochastic-eftp(schedule=decreasing)", 25);
        assert_eq!(a, ["stochastic-eftp(", "schedule=constant)"]);
        assert_eq!(b, ["stochastic-eftp(", "schedule=decreasing)"]);
        let long = wrap_label(&"x".repeat(100), 25);
        assert_eq!(long.len(), 3);
        assert!(long.iter().all(|l| l.chars().count() <= 25));
        assert!(long[2].ends_with('\u{2026}'));
    }
}
