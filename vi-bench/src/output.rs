//! Writing reports: JSON lines, trace CSV, human-readable summaries.

use std::io::Write;
use std::path::Path;

use vi_core::Report;

use crate::error::{BenchError, Result};

/// The report as one JSON object on one line, without the trace (the `run --json` and
/// `results.jsonl` format).
pub fn report_json_line(report: &Report) -> String {
    serde_json::to_string(&report_json_value(report))
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialize report: {e}\"}}"))
}

/// The report as a JSON object without the trace: the value behind [`report_json_line`], for
/// callers that add fields (the suite adds `case_id`, labels and a compact trace).
pub fn report_json_value(report: &Report) -> serde_json::Value {
    let mut r = report.clone();
    r.trace.clear();
    serde_json::to_value(&r).unwrap_or_else(|e| serde_json::json!({ "error": format!("cannot serialize report: {e}") }))
}

/// Writes the trace of `report` as CSV: `iteration,oracle_calls,projections,residual,
/// distance_to_solution,elapsed_s` then one column per metric (and `z0..` for small problems).
///
/// # Errors
/// [`BenchError::Io`] when the file cannot be written.
pub fn write_trace_csv(report: &Report, path: &Path) -> Result<()> {
    let mut out = String::new();
    let metric_names: Vec<&String> = report.trace.first().map(|t| t.metrics.keys().collect()).unwrap_or_default();
    let zdim = report.trace.first().and_then(|t| t.z.as_ref()).map_or(0, Vec::len);
    out.push_str("iteration,oracle_calls,projections,residual,distance_to_solution,elapsed_s");
    for m in &metric_names {
        out.push(',');
        out.push_str(m);
    }
    for i in 0..zdim {
        out.push_str(&format!(",z{i}"));
    }
    out.push('\n');
    for t in &report.trace {
        out.push_str(&format!(
            "{},{},{},{:e},{},{:e}",
            t.iteration,
            t.oracle_calls,
            t.projections,
            t.residual,
            t.distance_to_solution.map(|d| format!("{d:e}")).unwrap_or_default(),
            t.elapsed_s
        ));
        for m in &metric_names {
            out.push_str(&format!(",{}", t.metrics.get(*m).map(|v| format!("{v:e}")).unwrap_or_default()));
        }
        if let Some(z) = &t.z {
            for v in z {
                out.push_str(&format!(",{v:e}"));
            }
        }
        out.push('\n');
    }
    let mut f = std::fs::File::create(path).map_err(|e| BenchError::io(path, e))?;
    f.write_all(out.as_bytes()).map_err(|e| BenchError::io(path, e))
}

/// A short human-readable summary of a run.
pub fn summary(report: &Report) -> String {
    let calls = if report.component_calls > 0 {
        format!(
            "{} oracle calls in full-operator equivalents ({} component calls)",
            report.oracle_calls, report.component_calls
        )
    } else {
        format!("{} oracle calls", report.oracle_calls)
    };
    let mut s = format!(
        "{} on {}: {} after {} iterations, {calls}, {} projections\n  residual {:.3e}",
        report.solver, report.problem, report.status, report.iterations, report.projections, report.residual
    );
    if let Some(d) = report.distance_to_solution {
        s.push_str(&format!(", distance to solution {d:.3e}"));
    }
    s.push_str(&format!(", averaged iterate residual {:.3e}", report.residual_avg));
    if let Some(eta) = report.step_size {
        s.push_str(&format!(", step {eta:.4e}"));
    }
    s.push_str(&format!(", {:.3} s", report.elapsed_s));
    for (k, v) in &report.metrics {
        s.push_str(&format!("\n  {k} = {v:.6e}"));
    }
    if let Some(m) = &report.message {
        s.push_str(&format!("\n  ({m})"));
    }
    if report.z.len() <= 6 {
        s.push_str(&format!("\n  z = {:?}", report.z));
    }
    s
}
