//! The Jacobian diagnosis of a suite with `diagnose = "solution"` (or `"start"`): the spectral
//! summary of `J = DF(z)` at that point, from `vi_core::diagnostics` (docs/math.md §5.1), stored
//! in every record of the problem configuration.

use faer::Col;
use serde_json::Value;
use vi_core::diagnostics::analyze;
use vi_core::{Problem, RunSpec};

use super::spec::JacobianAt;
use crate::record::{JacobianSummary, SMALLEST_EIGENVALUES};

/// Largest dimension diagnosed (a dense eigendecomposition, as `vi-bench diagnose` does up to
/// its `--dense-max`).
pub const MAX_DIM: usize = 1000;

/// Whether `problem` can be diagnosed at `at`: a known solution where it is asked for, and a
/// dimension a dense decomposition handles.
///
/// # Errors
/// [`vi_core::Error::Config`] saying which.
pub fn check(problem: &Problem, at: JacobianAt) -> vi_core::Result<()> {
    let Some(name) = at.name() else { return Ok(()) };
    if at == JacobianAt::Solution && problem.solution().is_none() {
        return Err(vi_core::Error::Config(format!(
            "problem `{}` has no known solution, so `diagnose = \"solution\"` cannot apply to it; use \"start\" or \
             \"none\" for this entry",
            problem.name()
        )));
    }
    if problem.dim() > MAX_DIM {
        return Err(vi_core::Error::Config(format!(
            "problem `{}` has dimension {} > {MAX_DIM}: too large for `diagnose = \"{name}\"` (a dense \
             eigendecomposition); use `vi-bench diagnose`, which has a matrix-free mode",
            problem.name(),
            problem.dim()
        )));
    }
    Ok(())
}

/// The spectral summary of the Jacobian of `spec`'s problem at `at` (`None` for no diagnosis).
/// A failure (a problem that cannot be built, a decomposition that fails) is recorded in the
/// summary's `error`, with NaN numbers.
pub fn summary(spec: &RunSpec, at: JacobianAt) -> Option<JacobianSummary> {
    let name = at.name()?;
    let failed = |e: String| JacobianSummary {
        at: name.to_string(),
        mu: f64::NAN,
        lipschitz: f64::NAN,
        phase_factor: f64::NAN,
        conditioning_factor: f64::NAN,
        smallest_eigenvalues: Vec::new(),
        error: Some(e),
    };
    let mut problem =
        match vi_core::build_problem(&spec.problem, &Value::Object(spec.problem_params.clone()), spec.seed) {
            Ok(p) => p,
            Err(e) => return Some(failed(e.to_string())),
        };
    if let Err(e) = check(&problem, at) {
        return Some(failed(e.to_string()));
    }
    let z: Col<f64> = match at {
        JacobianAt::Solution => problem.solution().map(|s| s.to_owned())?,
        _ => problem.start().to_owned(),
    };
    Some(match analyze(problem.operator_mut(), z.as_ref()) {
        Ok((_, s)) => JacobianSummary {
            at: name.to_string(),
            mu: s.mu,
            lipschitz: s.lipschitz,
            phase_factor: s.phase_factor,
            conditioning_factor: s.conditioning_factor,
            // Sorted by real part, then imaginary part.
            smallest_eigenvalues: s.eigenvalues.iter().take(SMALLEST_EIGENVALUES).copied().collect(),
            error: None,
        },
        Err(e) => failed(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(problem: &str, params: Value) -> RunSpec {
        RunSpec {
            problem: problem.into(),
            solver: "gda".into(),
            problem_params: params.as_object().cloned().unwrap_or_default(),
            ..RunSpec::default()
        }
    }

    #[test]
    fn the_gaussian_mean_game_has_the_spectrum_of_docs_math_3_6() {
        // Defaults v = (0, 2), sigma = 0.7: eigenvalues 0.1175, 0.1225 +- 0.4848i, 2.1275; phase
        // factor 3.96, conditioning factor 18.1, mu = 0, L = 2.35 (docs/math.md §3.6).
        let s = summary(&spec("gan-gaussian-mean", serde_json::json!({})), JacobianAt::Solution).unwrap();
        assert_eq!(s.error, None);
        assert_eq!(s.at, "solution");
        assert!((s.phase_factor - 3.96).abs() < 0.01, "{s:?}");
        assert!((s.conditioning_factor - 18.1).abs() < 0.1, "{s:?}");
        assert!(s.mu.abs() < 1e-9 && (s.lipschitz - 2.35).abs() < 0.01, "{s:?}");
        let re: Vec<f64> = s.smallest_eigenvalues.iter().map(|e| e[0]).collect();
        assert_eq!(re.len(), 4);
        assert!((re[0] - 0.1175).abs() < 1e-3 && (re[1] - 0.1225).abs() < 1e-3 && (re[3] - 2.1275).abs() < 1e-3);
        assert!(summary(&spec("gan-gaussian-mean", serde_json::json!({})), JacobianAt::None).is_none());
    }

    #[test]
    fn a_problem_without_a_solution_cannot_be_diagnosed_there() {
        let p = vi_core::build_problem("gan-mixture", &serde_json::json!({}), 0).unwrap();
        let e = check(&p, JacobianAt::Solution).unwrap_err().to_string();
        assert!(e.contains("no known solution") && e.contains("gan-mixture"), "{e}");
        assert!(check(&p, JacobianAt::None).is_ok());
    }
}
