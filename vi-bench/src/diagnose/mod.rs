//! `vi-bench diagnose`: Jacobian diagnostics of a problem at a point, the step sizes and linear
//! rates the theory predicts for every registered solver, and what a short run measures.
//!
//! ```text
//! vi-bench diagnose --problem gan-dirac --set problem.reg=r1 --at solution --json
//! ```
//!
//! What it does (docs/math.md §5):
//! 1. the point: `--at start`, `--at solution`, or `--at FILE` (a JSON array or numbers
//!    separated by whitespace or commas);
//! 2. the Jacobian there: the operator's analytic [`vi_core::Operator::jacobian`] when it has
//!    one, else one Jacobian-vector product per column (analytic JVP or central finite
//!    differences, as the operator provides). Dense decompositions up to `--dense-max`
//!    (default 1000) coordinates; above, matrix-free: `--krylov` Arnoldi steps on JVPs
//!    ([`vi_core::diagnostics::krylov_spectrum`]; Ritz values, `||J||` and `mu` estimates);
//! 3. eigenvalues, `mu = lambda_min((J + J^T)/2)`, `L = ||J||_2`, the phase factor, the
//!    conditioning factor, the singular-value condition number, and for problems with a gradient
//!    the bounds on `mu` and `L` the operator states at the point, with the terms they are
//!    built from ([`vi_core::diagnostics::LocalBounds`]; for the regularized GAN games those of
//!    docs/math.md §1.4, from the Gauss-Newton Gramian of the penalty);
//!    `--bounds N` checks them against the measured `mu`, `L` at `N` seeded points drawn
//!    uniformly from the ball of radius `--radius` around the point, and reports every point
//!    where one fails;
//! 4. per solver ([`vi_core::diagnostics::Prediction`]): the step it would use (its fixed
//!    `step`, or its default rule resolved against the local `L`: `factor / L`, `mu / L^2` for
//!    GDA with a declared `mu > 0`; `--set solver.step=X` overrides every solver), the stable
//!    step range and the predicted per-iteration factor of the linearisation;
//! 5. beside it, the measured per-iteration contraction of the natural residual over a short
//!    run (`--measure-iters`, default 500, tolerance 0) from the point plus a small offset
//!    (`--offset`, relative): `(r_k1 / r_k0)^(1 / (k1 - k0))` over the second half of the run,
//!    stopping before the residual reaches round-off. In the dense mode the offset points along
//!    (the real part of) the eigenvector of `J` whose eigenvalue gives the solver's largest
//!    predicted factor, so the measurement sees the slowest mode instead of a transient mix;
//!    otherwise (no model, matrix-free) along a fixed generic direction. A solver whose rule is
//!    `"auto"` is run at the predicted step (inside the solver `"auto"` would resolve against
//!    its own secant estimate of `L` at the start, not the local `||J||`).
//!
//! `--json` prints one object with `point`, `eigenvalues` (`[re, im]` pairs), `mu`, `lipschitz`,
//! `phase_factor`, `conditioning_factor`, `predictions` (an object keyed by solver) and more.
//! Infinite values (a purely imaginary eigenvalue's phase factor) print as `null`.

use std::path::Path;

use faer::Col;
use serde_json::Value;
use vi_core::diagnostics::{jacobian_with_source, krylov_spectrum, spectrum, JacobianSource, Spectrum};
use vi_core::{build_problem, linalg, Problem};

mod bounds;
mod predict;
mod text;
mod types;

use crate::error::{BenchError, Result};
pub use predict::measured_rate;
pub use types::{DiagnoseArgs, Diagnosis};

/// Runs the diagnostics and prints them (text, or one JSON object with `--json`).
///
/// # Errors
/// Bad problem, parameters or point.
pub fn execute(a: &DiagnoseArgs) -> Result<()> {
    let d = diagnose(a)?;
    if a.json {
        println!("{}", serde_json::to_string(&d).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")));
    } else {
        print!("{}", text::render(&d));
    }
    Ok(())
}

/// Reads a point from a file: a JSON array, or numbers separated by whitespace or commas.
/// At most `4096 + 256 * max_len` bytes are read (a point of `max_len` numbers is far shorter),
/// so a wrong path such as `/dev/zero` fails instead of filling memory.
///
/// # Errors
/// [`BenchError::Io`] or [`BenchError::Format`] naming the file.
pub fn read_point(path: &Path, max_len: usize) -> Result<Vec<f64>> {
    use std::io::Read;
    let fmt = |reason: String| BenchError::Format { path: path.display().to_string(), reason };
    let cap = (max_len as u64).saturating_mul(256).saturating_add(4096);
    let file = std::fs::File::open(path).map_err(|e| BenchError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| BenchError::io(path, e))?;
    if bytes.len() as u64 > cap {
        return Err(fmt(format!("longer than {cap} bytes: too long for a point of dimension {max_len}")));
    }
    let text = String::from_utf8(bytes).map_err(|_| fmt("not UTF-8 text".into()))?;
    let t = text.trim();
    if t.starts_with('[') {
        return serde_json::from_str(t).map_err(|e| fmt(format!("not a JSON array of numbers: {e}")));
    }
    t.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>().map_err(|e| {
                let shown: String = s.chars().take(40).collect();
                let more = if shown.len() < s.len() { "..." } else { "" };
                fmt(format!("`{shown}{more}` is not a number: {e}"))
            })
        })
        .collect()
}

/// Resolves `--at`.
fn point(problem: &Problem, at: &str) -> Result<Col<f64>> {
    let z = match at {
        "start" => problem.start().to_owned(),
        "solution" => problem.solution().map(|s| s.to_owned()).ok_or_else(|| {
            BenchError::Usage(format!(
                "problem `{}` has no known solution; use --at start or --at FILE",
                problem.name()
            ))
        })?,
        file => linalg::col_from_slice(&read_point(Path::new(file), problem.dim())?),
    };
    if z.nrows() != problem.dim() {
        return Err(BenchError::Usage(format!(
            "--at {at}: the point has {} entries, problem `{}` has dimension {}",
            z.nrows(),
            problem.name(),
            problem.dim()
        )));
    }
    if !linalg::all_finite(z.as_ref()) {
        return Err(BenchError::Usage(format!("--at {at}: the point has non-finite entries")));
    }
    Ok(z)
}

/// Runs the diagnosis and returns it (what `--json` prints).
///
/// # Errors
/// Bad problem, parameters or point.
pub fn diagnose(a: &DiagnoseArgs) -> Result<Diagnosis> {
    let (pp, sp) = a.selection.params()?;
    let name = &a.selection.problem;
    let mut problem = build_problem(name, &Value::Object(pp.clone()), a.selection.seed)?;
    let z = point(&problem, &a.at)?;
    let n = problem.dim();
    let residual = problem.natural_residual(z.as_ref());
    let mut notes = Vec::new();
    let (spec, source, jac) = jacobian_summary(&mut problem, z.as_ref(), a, &mut notes)?;
    let method = if jac.is_some() { "dense" } else { "arnoldi" };
    let bounds = problem.operator_mut().local_bounds(z.as_ref());
    let bound_check = bounds::check_if_asked(&mut problem, z.as_ref(), a, bounds.is_some(), jac.is_some())?;
    let scale = spec.lipschitz.max(1.0) * linalg::norm(z.as_ref()).max(1.0);
    if residual > 1e-8 * scale {
        notes.push(format!(
            "the point is not a zero of F (natural residual {residual:.3e}): the linear rates describe the dynamics near a zero only"
        ));
    }
    if !problem.is_unconstrained() {
        notes.push(
            "constrained problem: the linear models ignore the projection (exact only where no constraint is active)"
                .into(),
        );
    }
    let at = predict::At { problem: &problem, z: z.as_ref(), spec: &spec, jacobian: jac, pp: &pp, sp: &sp };
    let predictions = predict::predictions(a, &at)?;
    Ok(Diagnosis {
        problem: name.clone(),
        params: problem.params().clone(),
        at: a.at.clone(),
        point: linalg::to_vec(z.as_ref()),
        residual,
        dim: n,
        method: method.to_string(),
        jacobian_source: source,
        spectrum: spec,
        bounds,
        bound_check,
        predictions,
        notes,
    })
}

/// The spectrum of the Jacobian at `z`: dense (with the matrix) up to `--dense-max`
/// coordinates, matrix-free Arnoldi above (with a note saying what that estimates).
fn jacobian_summary(
    problem: &mut Problem,
    z: faer::ColRef<'_, f64>,
    a: &DiagnoseArgs,
    notes: &mut Vec<String>,
) -> Result<(Spectrum, JacobianSource, Option<faer::Mat<f64>>)> {
    if problem.dim() <= a.dense_max {
        let (j, src) = jacobian_with_source(problem.operator_mut(), z)?;
        return Ok((spectrum(j.as_ref())?, src, Some(j)));
    }
    notes.push(format!(
        "matrix-free: {} Arnoldi steps on JVPs; eigenvalues are Ritz values (extremal ones converge first), lipschitz is a lower estimate of ||J||, mu an upper estimate",
        a.krylov
    ));
    Ok((krylov_spectrum(problem.operator_mut(), z, a.krylov)?, JacobianSource::JacobianVectorProducts, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_rate_of_a_geometric_sequence() {
        let r: Vec<f64> = (0..100).map(|k| 0.9f64.powi(k)).collect();
        let (rate, _) = measured_rate(&r).unwrap();
        assert!((rate - 0.9).abs() < 1e-12);
        // Stops before round-off.
        let r: Vec<f64> = (0..400).map(|k| 0.5f64.powi(k).max(1e-17)).collect();
        let (rate, _) = measured_rate(&r).unwrap();
        assert!((rate - 0.5).abs() < 1e-9, "{rate}");
        assert!(measured_rate(&[0.0, 0.0]).is_none());
    }

    #[test]
    fn points_are_read_from_json_or_plain_text() {
        let dir = std::env::temp_dir().join(format!("vi-bench-diag-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.json");
        std::fs::write(&a, "[1, 2.5]").unwrap();
        assert_eq!(read_point(&a, 3).unwrap(), vec![1.0, 2.5]);
        std::fs::write(&a, "1 2.5,\n3").unwrap();
        assert_eq!(read_point(&a, 3).unwrap(), vec![1.0, 2.5, 3.0]);
        std::fs::write(&a, "1 x").unwrap();
        assert!(read_point(&a, 3).unwrap_err().to_string().contains("`x`"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
