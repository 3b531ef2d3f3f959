//! Scatter plots of 2-D model samples (e.g. a GAN's generated points) over reference points
//! (e.g. the data modes), for `vi-bench run --samples FILE.svg`.
//!
//! Problem-agnostic: any problem that attaches a sampler with
//! [`vi_core::Problem::with_sampler`] (and optionally reference points with
//! [`vi_core::Problem::with_reference_points`]) can be drawn.

use std::path::Path;

use plotters::prelude::*;

use crate::error::{BenchError, Result};

/// Number of samples drawn by `vi-bench run --samples`.
pub const DEFAULT_SAMPLES: usize = 2500;

/// The square view `[lo, hi]^2` that holds every reference point and every finite sample (with
/// a 10% margin), clipped to 10 times the reference points' extent so that a few far outliers
/// do not shrink the picture.
fn view(samples: &[[f64; 2]], reference: &[[f64; 2]]) -> (f64, f64) {
    let finite = |p: &&[f64; 2]| p[0].is_finite() && p[1].is_finite();
    let extent = |pts: &[[f64; 2]]| pts.iter().filter(finite).fold(0.0_f64, |m, p| m.max(p[0].abs()).max(p[1].abs()));
    let r = extent(reference);
    let s = extent(samples);
    let mut e = if r > 0.0 { s.max(r).min(10.0 * r) } else { s };
    if !(e.is_finite() && e > 0.0) {
        e = 1.0;
    }
    (-1.1 * e, 1.1 * e)
}

/// Draws `samples` as small dots over `reference` (hollow rings beneath them) into an SVG file.
///
/// # Errors
/// [`BenchError::Plot`] when the file cannot be written.
pub fn scatter_svg(samples: &[[f64; 2]], reference: &[[f64; 2]], title: &str, path: &Path) -> Result<()> {
    let err = |e: String| BenchError::Plot { path: path.display().to_string(), reason: e };
    let (lo, hi) = view(samples, reference);
    let root = SVGBackend::new(path, (640, 640)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(lo..hi, lo..hi)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("first coordinate")
        .y_desc("second coordinate")
        .draw()
        .map_err(|e| err(e.to_string()))?;
    // Modes first, as hollow rings: the samples drawn over them stay visible.
    if !reference.is_empty() {
        chart
            .draw_series(reference.iter().map(|p| Circle::new((p[0], p[1]), 9, RGBColor(214, 39, 40).stroke_width(2))))
            .map_err(|e| err(e.to_string()))?
            .label("modes")
            .legend(|(x, y)| Circle::new((x, y), 5, RGBColor(214, 39, 40).stroke_width(2)));
    }
    let inside = |p: &&[f64; 2]| p[0] >= lo && p[0] <= hi && p[1] >= lo && p[1] <= hi;
    chart
        .draw_series(
            samples
                .iter()
                .filter(inside)
                .map(|p| Circle::new((p[0], p[1]), 1, RGBColor(31, 119, 180).mix(0.5).filled())),
        )
        .map_err(|e| err(e.to_string()))?
        .label(format!("samples ({})", samples.len()))
        .legend(|(x, y)| Circle::new((x, y), 3, RGBColor(31, 119, 180).filled()));
    chart
        .configure_series_labels()
        // A corner: the ring and grid presets leave the corners empty, the sides are not.
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_samples_and_modes() {
        let dir = std::env::temp_dir().join(format!("vi-bench-scatter-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.svg");
        let samples = [[0.0, 2.0], [1.9, 0.1], [f64::NAN, 0.0], [1e9, 0.0]];
        scatter_svg(&samples, &[[0.0, 2.0], [2.0, 0.0]], "t", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("<svg") && svg.contains("modes"));
        assert_eq!(view(&[], &[]), (-1.1, 1.1));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
