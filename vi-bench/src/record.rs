//! The results file `results.jsonl`: one [`RunRecord`] per line. The suite writes a record as
//! each run ends ([`RunRecord::to_line`]); `report` reads and merges records for its tables and
//! figures ([`read_records`]), and `--resume` reads which cases are recorded ([`recorded`]).
//! Every one of them goes through this type, so a field means the same thing to all.
//!
//! A line holds the fields of `vi-bench run --json` (a [`Report`] without its trace) plus the
//! case's `case_id`, `case_index`, `problem_label`, `solver_label` and a compact `trace`, keys in
//! sorted order. A run that produced no report (`Panicked`, `Error`, `Skipped`) keeps the
//! identifying fields, `params`, `status` and `message` only. Two optional fields: `jacobian`
//! (the spectral summary of a suite with `diagnose`) and `uses_seed = false` (a deterministic
//! case, run with its first seed only). Lines of `vi-bench run --json` are records too, without
//! the case fields.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vi_core::{Report, Status, TracePoint};

use crate::error::{BenchError, Result};

/// Name of the results file inside an output directory.
pub const RESULTS_FILE: &str = "results.jsonl";

/// Largest number of trace points a record keeps.
pub const MAX_TRACE_POINTS: usize = 500;

/// `DIR/results.jsonl` for a directory, the path itself otherwise.
pub fn results_file(input: &Path) -> PathBuf {
    if input.is_dir() {
        input.join(RESULTS_FILE)
    } else {
        input.to_path_buf()
    }
}

/// One line of `results.jsonl`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    /// Stable id of the case (empty for a line of `vi-bench run --json`).
    #[serde(default)]
    pub case_id: String,
    /// Position in the suite.
    #[serde(default)]
    pub case_index: Option<u64>,
    /// Problem configuration label (the problem name when absent).
    #[serde(default)]
    pub problem_label: Option<String>,
    /// Solver configuration label (the solver name when absent).
    #[serde(default)]
    pub solver_label: Option<String>,
    /// Name of the suite that ran the case (absent for `vi-bench run --json` and for results
    /// written before the field existed); `vi-bench report` titles its summary with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// Compact convergence trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceColumns>,
    /// The Jacobian's spectral summary, in a suite with `diagnose`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jacobian: Option<JacobianSummary>,
    /// Whether the problem or the solver reads the seed. A case that does not runs with its
    /// first seed only and stands for every seed; written only when false.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub uses_seed: bool,
    /// The report of the run, or why there is none.
    #[serde(flatten)]
    pub outcome: Outcome,
}

fn yes() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_true(b: &bool) -> bool {
    *b
}

/// How a case ended: with a report, or without one.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Outcome {
    /// The run's report; its trace is in the record's compact `trace`, not here.
    Ran(Box<Report>),
    /// The case produced no report.
    NoReport(NoReport),
}

/// A case without a report: who it was, and why.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NoReport {
    /// Problem name.
    pub problem: String,
    /// Solver name.
    pub solver: String,
    /// `{"problem", "solver", "run"}` as the suite gave them.
    #[serde(default)]
    pub params: Value,
    /// Seed.
    #[serde(default)]
    pub seed: u64,
    /// Why there is no report.
    pub status: NoReportStatus,
    /// The panic message, the error, or the reason for skipping.
    #[serde(default)]
    pub message: String,
}

/// The statuses of a case without a report (docs/architecture.md §5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoReportStatus {
    /// The problem or solver panicked.
    Panicked,
    /// Building or running returned an error.
    Error,
    /// An invalid case of a suite with `skip_invalid`.
    Skipped,
}

impl std::fmt::Display for NoReportStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

/// A compact trace: at most [`MAX_TRACE_POINTS`] points of the run's trace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceColumns {
    /// Iteration of each point.
    #[serde(default)]
    pub iteration: Vec<u64>,
    /// Oracle calls at each point.
    #[serde(default)]
    pub oracle_calls: Vec<u64>,
    /// Natural residual at each point (`null` where it was not finite).
    #[serde(default)]
    pub residual: Vec<Option<f64>>,
}

impl TraceColumns {
    /// The columns of `trace`, thinned to [`MAX_TRACE_POINTS`] (first and last kept).
    pub fn from_trace(trace: &[TracePoint]) -> Self {
        let pts = crate::plot::thin(trace, MAX_TRACE_POINTS);
        Self {
            iteration: pts.iter().map(|t| t.iteration).collect(),
            oracle_calls: pts.iter().map(|t| t.oracle_calls).collect(),
            residual: pts.iter().map(|t| t.residual.is_finite().then_some(t.residual)).collect(),
        }
    }

    /// The finite `(oracle calls, residual)` points.
    pub fn points(&self) -> Vec<(f64, f64)> {
        self.oracle_calls.iter().zip(&self.residual).filter_map(|(&c, &r)| r.map(|r| (c as f64, r))).collect()
    }
}

/// The spectral summary of the Jacobian `J = DF(z)` at the point a suite's `diagnose` names
/// (docs/math.md §5.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JacobianSummary {
    /// `solution` or `start`.
    pub at: String,
    /// `lambda_min((J + J^T)/2)`.
    #[serde(with = "vi_core::json_float")]
    pub mu: f64,
    /// `||J||_2`.
    #[serde(with = "vi_core::json_float")]
    pub lipschitz: f64,
    /// `max |Im lambda| / |Re lambda|`.
    #[serde(with = "vi_core::json_float")]
    pub phase_factor: f64,
    /// `max |lambda| / min |lambda|`.
    #[serde(with = "vi_core::json_float")]
    pub conditioning_factor: f64,
    /// The eigenvalues of smallest real part, `[re, im]`, at most [`SMALLEST_EIGENVALUES`].
    pub smallest_eigenvalues: Vec<[f64; 2]>,
    /// Why the diagnosis failed (the numbers are then NaN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How many eigenvalues of smallest real part a [`JacobianSummary`] keeps.
pub const SMALLEST_EIGENVALUES: usize = 4;

impl RunRecord {
    /// A case that ran: `report` (its trace moves into the compact `trace`).
    pub fn ran(case: CaseFields, mut report: Report) -> Self {
        let trace = TraceColumns::from_trace(&report.trace);
        report.trace = Vec::new();
        Self { trace: Some(trace), ..Self::with_outcome(case, Outcome::Ran(Box::new(report))) }
    }

    /// A case without a report.
    pub fn no_report(case: CaseFields, what: NoReport) -> Self {
        Self::with_outcome(case, Outcome::NoReport(what))
    }

    fn with_outcome(case: CaseFields, outcome: Outcome) -> Self {
        Self {
            case_id: case.id,
            case_index: Some(case.index),
            problem_label: Some(case.problem_label),
            solver_label: Some(case.solver_label),
            suite: None,
            trace: None,
            jacobian: None,
            uses_seed: true,
            outcome,
        }
    }

    /// The record as one JSON line (keys sorted, no newline).
    pub fn to_line(&self) -> String {
        // Through a `Value` (a sorted map): the key order of every line is the same whatever
        // the field order of the types.
        serde_json::to_value(self)
            .map_or_else(|e| format!("{{\"error\":\"cannot serialize record: {e}\"}}"), |v| v.to_string())
    }

    /// The report, for a case that ran.
    pub fn report(&self) -> Option<&Report> {
        match &self.outcome {
            Outcome::Ran(r) => Some(r),
            Outcome::NoReport(_) => None,
        }
    }

    /// Problem name.
    pub fn problem(&self) -> &str {
        match &self.outcome {
            Outcome::Ran(r) => &r.problem,
            Outcome::NoReport(f) => &f.problem,
        }
    }

    /// Solver name.
    pub fn solver(&self) -> &str {
        match &self.outcome {
            Outcome::Ran(r) => &r.solver,
            Outcome::NoReport(f) => &f.solver,
        }
    }

    /// Seed.
    pub fn seed(&self) -> u64 {
        match &self.outcome {
            Outcome::Ran(r) => r.seed,
            Outcome::NoReport(f) => f.seed,
        }
    }

    /// The parameters `{"problem", "solver", "run"}`.
    pub fn params(&self) -> &Value {
        match &self.outcome {
            Outcome::Ran(r) => &r.params,
            Outcome::NoReport(f) => &f.params,
        }
    }

    /// The status: a [`Status`] name, or `Panicked`, `Error`, `Skipped`.
    pub fn status(&self) -> String {
        match &self.outcome {
            Outcome::Ran(r) => r.status.to_string(),
            Outcome::NoReport(f) => f.status.to_string(),
        }
    }

    /// Detail on the status.
    pub fn message(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Ran(r) => r.message.as_deref(),
            Outcome::NoReport(f) => Some(&f.message),
        }
    }

    /// Whether the case was skipped as invalid.
    pub fn skipped(&self) -> bool {
        matches!(&self.outcome, Outcome::NoReport(f) if f.status == NoReportStatus::Skipped)
    }

    /// The problem configuration label.
    pub fn problem_label(&self) -> &str {
        self.problem_label.as_deref().unwrap_or_else(|| self.problem())
    }

    /// The solver configuration label.
    pub fn solver_label(&self) -> &str {
        self.solver_label.as_deref().unwrap_or_else(|| self.solver())
    }

    /// Whether the run converged.
    pub fn converged(&self) -> bool {
        self.report().is_some_and(|r| r.status == Status::Converged)
    }

    /// Oracle calls to tolerance: the oracle calls of a converged run.
    pub fn calls_to_tol(&self) -> Option<f64> {
        self.converged().then(|| self.report().map(|r| r.oracle_calls as f64)).flatten()
    }
}

/// The identifying fields of a suite case, as a record stores them.
#[derive(Clone, Debug)]
pub struct CaseFields {
    /// Stable id.
    pub id: String,
    /// Position in the suite.
    pub index: u64,
    /// Problem configuration label.
    pub problem_label: String,
    /// Solver configuration label.
    pub solver_label: String,
}

/// A line as a record, or why it is not one.
fn parse_line(line: &[u8]) -> std::result::Result<RunRecord, String> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8 (a run cut short?)".to_string())?;
    serde_json::from_str(text).map_err(|e| {
        // The untagged outcome hides which field failed; say what a record needs.
        if e.to_string().contains("did not match any variant") {
            "not a run record (a report, or a Panicked/Error/Skipped case with its reason)".to_string()
        } else {
            e.to_string()
        }
    })
}

/// Reads and merges results files: malformed lines (a run cut short) are skipped with a warning
/// on stderr; a case recorded twice (same `case_id`) counts once, the first record winning.
///
/// # Errors
/// An unreadable file, or one that is not a regular file.
pub fn read_records(files: &[PathBuf]) -> Result<Vec<RunRecord>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut duplicates = 0usize;
    for f in files {
        // Not a device such as /dev/zero, which would fill memory.
        if !std::fs::metadata(f).map_err(|e| BenchError::io(f, e))?.is_file() {
            return Err(BenchError::Format {
                path: f.display().to_string(),
                reason: "not a regular file (expected a results.jsonl file or a directory holding one)".into(),
            });
        }
        // Bytes, decoded line by line: a line cut inside a multi-byte character is one malformed
        // line, not an unreadable file.
        let bytes = std::fs::read(f).map_err(|e| BenchError::io(f, e))?;
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_line(line) {
                Ok(r) if !r.case_id.is_empty() && !seen.insert(r.case_id.clone()) => duplicates += 1,
                Ok(r) => out.push(r),
                Err(e) => eprintln!("warning: {}:{}: skipping a malformed line: {e}", f.display(), i + 1),
            }
        }
    }
    if duplicates > 0 {
        eprintln!("warning: {duplicates} runs recorded more than once (same case_id); each is counted once");
    }
    Ok(out)
}

/// What a results file holds, for `--resume`.
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    /// Ids of the cases recorded (as records that parse).
    pub ids: BTreeSet<String>,
    /// Non-blank lines, records or not.
    pub lines: usize,
}

/// The cases recorded in a results file (none if it does not exist). A last line cut short by
/// a killed process is removed from the file, so its case runs again; a whole last record
/// without its newline gets one.
///
/// # Errors
/// An unreadable or unwritable file.
pub fn recorded(path: &Path) -> Result<Recorded> {
    let mut out = Recorded::default();
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(BenchError::io(path, e)),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|e| BenchError::io(path, e))?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let tail = &bytes[complete..];
    let mut tail_kept = false;
    if !tail.iter().all(u8::is_ascii_whitespace) {
        if parse_line(tail).is_ok() {
            tail_kept = true;
            file.seek(SeekFrom::End(0)).map_err(|e| BenchError::io(path, e))?;
            file.write_all(b"\n").map_err(|e| BenchError::io(path, e))?;
        } else {
            eprintln!(
                "warning: {}: dropping an incomplete last line (a run cut short); it will run again",
                path.display()
            );
            file.set_len(complete as u64).map_err(|e| BenchError::io(path, e))?;
        }
    }
    for line in bytes[..complete].split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)) {
        out.lines += 1;
        if let Ok(r) = parse_line(line) {
            if !r.case_id.is_empty() {
                out.ids.insert(r.case_id);
            }
        }
    }
    if tail_kept {
        out.lines += 1;
        if let Ok(r) = parse_line(tail) {
            out.ids.insert(r.case_id);
        }
    }
    Ok(out)
}

/// The number of records per status, in name order.
pub fn status_counts<'r>(records: impl IntoIterator<Item = &'r RunRecord>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in records {
        *counts.entry(r.status()).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let line = r#"{"problem":"p","solver":"s","params":{"run":{}},"seed":2,"status":"Diverged","message":"m",
            "iterations":3,"oracle_calls":4,"projections":0,"residual":"inf","distance_to_solution":null,
            "metrics":{"modes":"NaN"},"elapsed_s":0.5,"step_size":0.1,"z":[1.0],"z_avg":[1.0],"residual_avg":2.0,
            "distance_to_solution_avg":null}"#;
        serde_json::from_str(line).unwrap()
    }

    fn fields() -> CaseFields {
        CaseFields { id: "00ff".into(), index: 7, problem_label: "p(m=1)".into(), solver_label: "s".into() }
    }

    #[test]
    fn a_report_record_round_trips_with_sorted_keys_and_non_finite_numbers() {
        let rec = RunRecord::ran(fields(), report());
        let line = rec.to_line();
        let keys: Vec<String> =
            serde_json::from_str::<serde_json::Map<String, Value>>(&line).unwrap().keys().cloned().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(line.contains(r#""residual":"inf""#) && line.contains(r#""modes":"NaN""#), "{line}");
        assert!(!line.contains("uses_seed") && !line.contains("jacobian"), "{line}");
        let back = parse_line(line.as_bytes()).unwrap();
        assert_eq!(back.to_line(), line);
        assert_eq!((back.status().as_str(), back.seed(), back.problem_label()), ("Diverged", 2, "p(m=1)"));
        assert_eq!(back.report().unwrap().residual, f64::INFINITY);
        assert!(back.report().unwrap().metrics["modes"].is_nan());
    }

    #[test]
    fn a_case_without_report_keeps_its_reason_and_a_malformed_report_is_not_read_as_one() {
        let what = NoReport {
            problem: "p".into(),
            solver: "s".into(),
            params: serde_json::json!({}),
            seed: 0,
            status: NoReportStatus::Skipped,
            message: "why".into(),
        };
        let mut rec = RunRecord::no_report(fields(), what);
        rec.uses_seed = false;
        let line = rec.to_line();
        assert_eq!(
            line,
            r#"{"case_id":"00ff","case_index":7,"message":"why","params":{},"problem":"p","problem_label":"p(m=1)","seed":0,"solver":"s","solver_label":"s","status":"Skipped","uses_seed":false}"#
        );
        let back = parse_line(line.as_bytes()).unwrap();
        assert!(back.skipped() && !back.uses_seed && back.report().is_none());
        assert_eq!(back.message(), Some("why"));
        // A `Converged` line missing its numbers is neither a report nor a case without one.
        let bad = r#"{"problem":"p","solver":"s","status":"Converged","iterations":3}"#;
        assert!(parse_line(bad.as_bytes()).unwrap_err().contains("not a run record"));
    }
}
