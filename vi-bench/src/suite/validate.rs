//! Validation: every case is checked before anything runs (problem and solver built, the solver
//! initialised on the problem, the Jacobian diagnosis possible), and an invalid one is located
//! at the line of the suite file that caused it.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rayon::prelude::*;
use serde_json::Value;

use super::cases::Case;
use super::jacobian;
use super::spec::{EntrySpec, SuiteSpec};
use crate::error::{BenchError, Result};

/// Checks every case before anything runs: for each distinct (problem configuration, solver
/// configuration) pair, builds both (with the pair's first seed), initialises the solver on the
/// problem and checks that the Jacobian can be diagnosed where the suite asks. A panic here is
/// not an error: the run will record it.
///
/// Returns, per case, `None` (valid) or the reason it is skipped (only with `skip_invalid`).
///
/// # Errors
/// Without `skip_invalid`, the first invalid case as `ORIGIN:LINE: message` (the line of the
/// offending name or parameter, where known).
pub fn validate(spec: &SuiteSpec, cases: &[Case]) -> Result<Vec<Option<String>>> {
    let mut groups: BTreeMap<(String, String, String, String, String), Vec<usize>> = BTreeMap::new();
    for c in cases {
        let key = (
            c.spec.problem.clone(),
            Value::Object(c.spec.problem_params.clone()).to_string(),
            c.spec.solver.clone(),
            Value::Object(c.spec.solver_params.clone()).to_string(),
            format!("{:?}", c.diagnose),
        );
        groups.entry(key).or_default().push(c.index);
    }
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    let checked: Vec<Option<vi_core::Error>> = groups
        .par_iter()
        .map(|g| {
            let case = &cases[g[0]];
            let r = catch_unwind(AssertUnwindSafe(|| -> vi_core::Result<()> {
                let vi_core::PreparedRun { mut problem, mut solver, .. } = case.spec.prepare()?;
                jacobian::check(&problem, case.diagnose)?;
                solver.init(&mut problem)
            }));
            match r {
                Ok(Err(e)) => Some(e),
                _ => None,
            }
        })
        .collect();
    let mut verdicts = vec![None; cases.len()];
    let mut first: Option<(usize, BenchError)> = None;
    for (g, err) in groups.iter().zip(checked) {
        let Some(err) = err else { continue };
        let case = &cases[g[0]];
        if first.as_ref().is_none_or(|(i, _)| case.index < *i) {
            first = Some((case.index, locate(spec, case, &err)));
        }
        for &i in g {
            verdicts[i] = Some(err.to_string());
        }
    }
    match first {
        Some((_, e)) if !spec.skip_invalid => Err(e),
        _ => Ok(verdicts),
    }
}

/// The error of `case` located at `origin[:line]` (printed as `origin:line: message`).
fn locate(spec: &SuiteSpec, case: &Case, err: &vi_core::Error) -> BenchError {
    let pe = &spec.problems[case.problem_entry];
    let se = &spec.solvers[case.solver_entry];
    let param_line = |e: &EntrySpec, p: &str| e.lines.params.get(p).copied();
    let line = match err {
        vi_core::Error::UnknownName { kind, name, .. } => {
            let e = if *kind == "problem" { pe } else { se };
            if e.name == *name {
                e.lines.name
            } else {
                // A name inside a parameter (e.g. tikhonov's `inner`).
                [pe, se].iter().find_map(|e| {
                    e.lines.params.iter().find_map(|(k, l)| {
                        let given = e
                            .params
                            .get(k)
                            .cloned()
                            .or_else(|| e.grid.iter().find(|(g, _)| g == k).map(|(_, v)| Value::Array(v.clone())));
                        given.filter(|v| v.to_string().contains(&format!("\"{name}\""))).map(|_| *l)
                    })
                })
            }
        }
        vi_core::Error::UnknownParameter { kind, param, .. } => {
            param_line(if *kind == "problem" { pe } else { se }, param)
        }
        vi_core::Error::InvalidParameter { owner, param, .. } => {
            if owner.starts_with("problem") {
                param_line(pe, param).or(pe.lines.name)
            } else if owner.starts_with("solver") {
                param_line(se, param).or(se.lines.name)
            } else {
                None
            }
        }
        _ => param_line(pe, "start").or(pe.lines.name),
    };
    BenchError::Format {
        path: line.map_or_else(|| spec.origin.clone(), |l| format!("{}:{l}", spec.origin)),
        reason: format!("{err} (case {} x {} seed {})", case.problem_label, case.solver_label, case.spec.seed),
    }
}
