//! What each solver's theory predicts at the diagnosed point (its own linear model and step),
//! and what a short run from nearby measures.

use faer::{c64, Col};
use serde_json::{json, Map, Value};
use vi_core::diagnostics::{Prediction, Spectrum};
use vi_core::{build_problem, build_solver, linalg, LinearModel, Linearization, Problem, RunConfig, Runner};

use super::types::DiagnoseArgs;
use crate::error::Result;

/// The diagnosed point and what was computed there.
pub(super) struct At<'a> {
    pub problem: &'a Problem,
    pub z: faer::ColRef<'a, f64>,
    pub spec: &'a Spectrum,
    /// The dense Jacobian (`None` in the matrix-free mode).
    pub jacobian: Option<faer::Mat<f64>>,
    pub pp: &'a Map<String, Value>,
    pub sp: &'a Map<String, Value>,
}

/// Every requested solver's prediction (and measurement), keyed by name. What a solver says
/// comes from the solver itself: its linear model and its step at the local `L`.
///
/// # Errors
/// An unknown solver name.
pub(super) fn predictions(a: &DiagnoseArgs, at: &At<'_>) -> Result<Map<String, Value>> {
    let reg = vi_core::registry()?;
    let names: Vec<String> =
        if a.solvers.is_empty() { reg.solvers().map(|e| e.name.to_string()).collect() } else { a.solvers.clone() };
    let n = at.problem.dim();
    let p_gen = at.problem.blocks().first().map_or(n, |b| b.range.len());
    let dense = at.jacobian.is_some();
    let jm = at.jacobian.clone().unwrap_or_else(|| faer::Mat::zeros(0, 0));
    let eigs: Vec<c64> = at.spec.eigenvalues.iter().map(|&[re, im]| c64::new(re, im)).collect();
    let lin = Linearization { jacobian: jm.as_ref(), eigenvalues: &eigs, first_block: p_gen };
    let eigvecs = if dense { jm.eigen().ok() } else { None };
    let mut out = Map::new();
    for s in &names {
        reg.solver(s)?;
        let mut pred = match build_solver(s, &Value::Object(at.sp.clone()), a.selection.seed) {
            Ok((solver, _)) => {
                let model = solver.linear_model();
                let step = solver.predicted_step(at.spec.lipschitz, at.problem.strong_monotonicity());
                let mut pr = Prediction::new(s, model.as_ref().map_err(Clone::clone), &lin, step);
                if !dense && model.is_ok() && pr.note.is_empty() {
                    pr.note = "from Ritz values (extremal eigenvalues)".into();
                }
                if a.measure_iters > 0 {
                    let dir =
                        model.ok().zip(pr.step).and_then(|(m, eta)| slowest_mode(&m, &lin, eta, eigvecs.as_ref()));
                    measure_into(&mut pr, a, at, s, dir);
                }
                pr
            }
            Err(e) => {
                let mut pr = Prediction::new(s, Err(String::new()), &lin, None);
                pr.note = format!("not built with these parameters: {e}");
                pr
            }
        };
        if pred.model.is_none() && pred.note.is_empty() {
            pred.note = "no linear model".into();
        }
        out.insert(s.clone(), serde_json::to_value(&pred).unwrap_or(Value::Null));
    }
    Ok(out)
}

/// A deterministic unit direction of length `n`.
fn direction(n: usize) -> Col<f64> {
    let d = Col::from_fn(n, |i| ((i as f64 + 1.0) * 0.754_877_666_246_692_7).fract() - 0.5 + 1e-3);
    let norm = d.norm_l2();
    Col::from_fn(n, |i| d[i] / norm)
}

/// The measured per-iteration contraction of the residual over a trace.
pub fn measured_rate(residuals: &[f64]) -> Option<(f64, u64)> {
    let r0 = *residuals.first()?;
    if !(r0 > 0.0 && r0.is_finite()) {
        return None;
    }
    let floor = (1e-9 * r0).max(1e-14);
    let mut last = residuals.len() - 1;
    if let Some(k) = residuals.iter().position(|r| !r.is_finite() || *r <= floor) {
        last = k.saturating_sub(1);
    }
    if last < 2 {
        return None;
    }
    let k0 = last / 2;
    let k1 = last;
    let (a, b) = (residuals[k0], residuals[k1]);
    if !(a > 0.0 && b > 0.0) {
        return None;
    }
    Some(((b / a).powf(1.0 / (k1 - k0) as f64), (k1 - k0) as u64))
}

/// The unit direction of the slowest mode at step `eta`: for a per-eigenvalue model, the
/// (real part of the) eigenvector of `J` whose eigenvalue has the largest predicted factor; for
/// a matrix model, the dominant eigenvector of its iteration matrix. `None` without a dense
/// decomposition.
fn slowest_mode(
    m: &LinearModel,
    lin: &Linearization<'_>,
    eta: f64,
    eigvecs: Option<&faer::linalg::solvers::Eigen<f64>>,
) -> Option<Col<f64>> {
    let n = lin.jacobian.nrows();
    let (values, vectors) = match m.iteration_matrix(lin, eta) {
        Some(it) => {
            let e = it.eigen().ok()?;
            let v: Vec<c64> = e.S().column_vector().iter().copied().collect();
            let best = (0..v.len()).max_by(|&i, &j| v[i].norm().total_cmp(&v[j].norm()))?;
            return real_unit(e.U().col(best), n);
        }
        None => {
            let e = eigvecs?;
            (e.S().column_vector().iter().copied().collect::<Vec<c64>>(), e.U())
        }
    };
    let best = (0..values.len())
        .filter_map(|i| m.mode_rate(values[i], eta).map(|r| (i, r)))
        .max_by(|x, y| x.1.total_cmp(&y.1))?
        .0;
    real_unit(vectors.col(best), n)
}

/// The real part of a complex vector (its imaginary part if the real part vanishes), normalised.
fn real_unit(v: faer::ColRef<'_, c64>, n: usize) -> Option<Col<f64>> {
    let re = Col::from_fn(n, |r| v[r].re);
    let w = if re.norm_l2() > 1e-8 { re } else { Col::from_fn(n, |r| v[r].im) };
    let nw = w.norm_l2();
    (nw > 0.0).then(|| Col::from_fn(n, |r| w[r] / nw))
}

/// Measures a solver's rate beside its prediction, at the predicted step (inside the solver an
/// `"auto"` rule would resolve against its own secant estimate of `L` at the start, not the
/// local `||J||`); notes why when it cannot.
fn measure_into(pred: &mut Prediction, a: &DiagnoseArgs, at: &At<'_>, solver: &str, dir: Option<Col<f64>>) {
    let mut sp_run = at.sp.clone();
    if let (true, Some(eta)) = (pred.step_rule.starts_with("auto"), pred.step) {
        sp_run.insert("step".into(), json!(eta));
    }
    match measure(a, at, solver, &sp_run, dir) {
        Ok(Some((rate, its))) => {
            pred.measured_rate = Some(rate);
            pred.measured_iterations = Some(its);
        }
        Ok(None) => pred.add_note("measurement: the residual reached round-off at once or was not finite"),
        Err(e) => pred.add_note(&format!("measurement failed: {e}")),
    }
}

/// One short run of `solver` from `z + offset`; the measured factor per iteration.
fn measure(
    a: &DiagnoseArgs,
    at: &At<'_>,
    solver: &str,
    sp: &Map<String, Value>,
    dir: Option<Col<f64>>,
) -> Result<Option<(f64, u64)>> {
    let z = at.z;
    let mut p = build_problem(&a.selection.problem, &Value::Object(at.pp.clone()), a.selection.seed)?;
    let d = dir.unwrap_or_else(|| direction(z.nrows()));
    let r = a.offset * linalg::norm(z).max(1.0);
    let start = Col::from_fn(z.nrows(), |i| z[i] + r * d[i]);
    p.set_start(start.as_ref())?;
    let (mut s, _) = build_solver(solver, &Value::Object(sp.clone()), a.selection.seed)?;
    let runner =
        Runner::new(RunConfig { tol: 0.0, max_iters: a.measure_iters, trace_every: 1, ..RunConfig::default() })?;
    let report = runner.run(&mut p, s.as_mut())?;
    let res: Vec<f64> = report.trace.iter().map(|t| t.residual).collect();
    Ok(measured_rate(&res))
}
