//! SVG figures (plotters): residual against oracle calls on a log scale, one curve per run.

use std::path::Path;

use plotters::prelude::*;
use vi_core::Report;

use crate::error::{BenchError, Result};

/// A palette of distinguishable colours.
pub const PALETTE: [RGBColor; 10] = [
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
];

/// At most `max` points of a curve, keeping the first and last and thinning the rest evenly.
pub fn thin<T: Clone>(v: &[T], max: usize) -> Vec<T> {
    if v.len() <= max || max < 2 {
        return v.to_vec();
    }
    let step = (v.len() - 1) as f64 / (max - 1) as f64;
    (0..max).map(|i| v[((i as f64 * step).round() as usize).min(v.len() - 1)].clone()).collect()
}

/// Draws `residual` against `oracle_calls` (log y) for every report with a trace, labelled by
/// `label(report)`.
///
/// # Errors
/// [`BenchError::Plot`] if nothing can be drawn or the backend fails.
pub fn residual_plot(reports: &[&Report], title: &str, path: &Path, label: impl Fn(&Report) -> String) -> Result<()> {
    let err = |reason: String| BenchError::Plot { path: path.display().to_string(), reason };
    let curves: Vec<(String, Vec<(f64, f64)>)> = reports
        .iter()
        .map(|r| {
            let pts: Vec<(f64, f64)> = r
                .trace
                .iter()
                .filter(|t| t.residual.is_finite() && t.residual > 0.0)
                .map(|t| (t.oracle_calls as f64, t.residual))
                .collect();
            (label(r), thin(&pts, 400))
        })
        .filter(|(_, p)| !p.is_empty())
        .collect();
    if curves.is_empty() {
        return Err(err("no trace points to plot (run with a trace)".into()));
    }
    let xmax = curves.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).fold(1.0, f64::max);
    let ymin = curves.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(f64::INFINITY, f64::min).max(1e-300);
    let ymax = curves.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)).fold(0.0, f64::max).max(ymin * 10.0);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..xmax, (ymin * 0.5..ymax * 2.0).log_scale())
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("oracle calls")
        .y_desc("natural residual")
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(|e| err(e.to_string()))?;
    for (i, (name, pts)) in curves.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
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
