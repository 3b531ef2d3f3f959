//! `vi-bench report`: summary tables and figures from results files.
//!
//! `vi-bench report DIR... [--out DIR]` reads `DIR/results.jsonl` of every input (or the given
//! `.jsonl` files), merges them (a case recorded twice, by `case_id`, is counted once: the first
//! record wins) and writes into the output directory (default: the first input directory):
//!
//! - `summary.md`: per problem configuration (`problem_label`), a table with one row per solver
//!   configuration (`solver_label`): runs, status (one status, or `Status (k/n)` per status
//!   when seeds disagree), iterations, oracle calls to tolerance and final residual (medians;
//!   oracle calls over the converged runs only), the distance to the known solution and every
//!   metric the problem reports (modes, high quality, reverse KL, duality gap, ...; medians),
//!   time (median milliseconds) and rank (more converged runs first, then fewer median oracle
//!   calls to tolerance; `-` for solvers that never converged); under it, the reason for each
//!   status other than `Converged` (the run's message, with the seeds it holds for). Before the
//!   tables, a Dolan-Moré performance profile on oracle calls to tolerance over every (problem
//!   configuration, seed) pair; at the end, the list of skipped cases.
//! - `figures/<problem>.svg`: residual (log scale) against oracle calls (log scale), every solver on one
//!   plot (one curve per run, one colour per solver);
//! - `figures/profile.svg`: the performance profile (see [`crate::profile`]).
//!
//! Merging shards: `vi-bench report results/shard-1 results/shard-2 results/shard-3 --out all`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

use crate::error::{BenchError, Result};
use crate::plot::{self, Curve};
use crate::profile::{performance_profile, Profile};

/// `vi-bench report DIR...`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Result directories (or results.jsonl files) to merge.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Where to write summary.md and the figures (default: the first input directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Regenerates the summary.
///
/// # Errors
/// Unreadable inputs.
pub fn execute(a: &ReportArgs) -> Result<()> {
    let files: Vec<PathBuf> = a.inputs.iter().map(|p| results_file(p)).collect();
    let out = match &a.out {
        Some(o) => o.clone(),
        None => {
            let first = &a.inputs[0];
            if first.is_dir() {
                first.clone()
            } else {
                first.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            }
        }
    };
    let summary = generate(&files, &out, "benchmark summary")?;
    println!("summary: {}", summary.display());
    Ok(())
}

/// `DIR/results.jsonl` for a directory, the path itself otherwise.
pub fn results_file(input: &Path) -> PathBuf {
    if input.is_dir() {
        input.join(crate::suite::RESULTS_FILE)
    } else {
        input.to_path_buf()
    }
}

/// A compact trace as written by the suite.
#[derive(Clone, Debug, Default, Deserialize)]
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

/// One line of `results.jsonl`, read leniently: runs that did not produce a report
/// (`Panicked`, `Error`, `Skipped`) have no numbers. Lines of `vi-bench run --json` are read
/// too (without a `case_id`, they are never deduplicated).
#[derive(Clone, Debug, Deserialize)]
pub struct RunRecord {
    /// Stable id of the case.
    #[serde(default)]
    pub case_id: String,
    /// Position in the suite.
    #[serde(default)]
    pub case_index: Option<u64>,
    /// Problem name.
    pub problem: String,
    /// Solver name.
    pub solver: String,
    /// Problem configuration label (defaults to the problem name).
    #[serde(default)]
    pub problem_label: Option<String>,
    /// Solver configuration label (defaults to the solver name).
    #[serde(default)]
    pub solver_label: Option<String>,
    /// Seed.
    #[serde(default)]
    pub seed: u64,
    /// A `vi_core::Status` name, or `Panicked`, `Error`, `Skipped`.
    pub status: String,
    /// Detail on the status.
    #[serde(default)]
    pub message: Option<String>,
    /// Iterations.
    #[serde(default)]
    pub iterations: Option<u64>,
    /// Oracle calls.
    #[serde(default)]
    pub oracle_calls: Option<u64>,
    /// Final natural residual (reports write a non-finite one as `"NaN"` or `"inf"`).
    #[serde(default, with = "vi_core::json_float::option")]
    pub residual: Option<f64>,
    /// Distance of the final iterate to the known solution, where the problem has one.
    #[serde(default, with = "vi_core::json_float::option")]
    pub distance_to_solution: Option<f64>,
    /// The problem's metrics at the final iterate (modes, duality gap, ...).
    #[serde(default, with = "vi_core::json_float::map")]
    pub metrics: BTreeMap<String, f64>,
    /// Wall time in seconds.
    #[serde(default, with = "vi_core::json_float::option")]
    pub elapsed_s: Option<f64>,
    /// Resolved parameters (`{"problem", "solver", "run"}`).
    #[serde(default)]
    pub params: serde_json::Value,
    /// Compact trace.
    #[serde(default)]
    pub trace: Option<TraceColumns>,
}

impl RunRecord {
    /// The problem configuration label.
    pub fn problem_label(&self) -> &str {
        self.problem_label.as_deref().unwrap_or(&self.problem)
    }
    /// The solver configuration label.
    pub fn solver_label(&self) -> &str {
        self.solver_label.as_deref().unwrap_or(&self.solver)
    }
    /// Whether the run converged.
    pub fn converged(&self) -> bool {
        self.status == "Converged"
    }
    /// Oracle calls to tolerance: the oracle calls of a converged run.
    pub fn calls_to_tol(&self) -> Option<f64> {
        self.converged().then(|| self.oracle_calls.map(|c| c as f64)).flatten()
    }
}

/// Reads and merges results files: malformed lines (a run cut short) are skipped with a warning
/// on stderr; a case recorded twice counts once.
///
/// # Errors
/// An unreadable file.
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
            let Ok(line) = std::str::from_utf8(line) else {
                eprintln!(
                    "warning: {}:{}: skipping a malformed line: not UTF-8 (a run cut short?)",
                    f.display(),
                    i + 1
                );
                continue;
            };
            match serde_json::from_str::<RunRecord>(line) {
                Ok(r) => {
                    if !r.case_id.is_empty() && !seen.insert(r.case_id.clone()) {
                        duplicates += 1;
                        continue;
                    }
                    out.push(r);
                }
                Err(e) => eprintln!("warning: {}:{}: skipping a malformed line: {e}", f.display(), i + 1),
            }
        }
    }
    if duplicates > 0 {
        eprintln!("warning: {duplicates} runs recorded more than once (same case_id); each is counted once");
    }
    Ok(out)
}

/// Reads `files` and writes `out/summary.md` and `out/figures/*.svg`; returns the summary path.
///
/// # Errors
/// Unreadable inputs, an unwritable output directory, a failing plot backend.
pub fn generate(files: &[PathBuf], out: &Path, title: &str) -> Result<PathBuf> {
    let records = read_records(files)?;
    let figures = out.join("figures");
    std::fs::create_dir_all(&figures).map_err(|e| BenchError::io(&figures, e))?;
    let summary = Summary::new(&records);
    let mut md = String::new();
    md.push_str(&format!("# {title}\n\n"));
    let sources: Vec<String> = files.iter().map(|f| format!("`{}`", f.display())).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &records {
        *counts.entry(r.status.as_str()).or_insert(0) += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
    md.push_str(&format!("{} runs recorded in {}: {}.\n\n", records.len(), sources.join(", "), counts.join(", ")));
    if let Some(b) = summary.budget() {
        md.push_str(&format!("Budget: {b}.\n\n"));
    }
    md.push_str(
        "Oracle calls to tolerance, iterations, residual and time are medians over seeds (oracle calls over \
         converged runs only). Rank: more converged runs first, then fewer oracle calls to tolerance.\n\n",
    );

    // Performance profile.
    let profile = summary.profile();
    if profile.problems > 0 {
        md.push_str("## Performance profile\n\n");
        md.push_str(&format!(
            "Dolan-Moré profile on oracle calls to tolerance over {} (problem, seed) pairs: the fraction of \
             problems each solver solves within tau times the cheapest solver's oracle calls.\n\n",
            profile.problems
        ));
        let taus = [1.0, 2.0, 4.0, 8.0, 16.0, 64.0];
        md.push_str("| solver |");
        for t in taus {
            md.push_str(&format!(" tau={t} |"));
        }
        md.push_str(" solved |\n|---|");
        md.push_str(&"---:|".repeat(taus.len() + 1));
        md.push('\n');
        for (i, s) in profile.solvers.iter().enumerate() {
            md.push_str(&format!("| {s} |"));
            for t in taus {
                md.push_str(&format!(" {:.2} |", profile.rho(i, t)));
            }
            md.push_str(&format!(" {:.2} |\n", profile.rho(i, f64::INFINITY)));
        }
        let path = figures.join("profile.svg");
        match plot::profile_plot(&profile, "performance profile (oracle calls to tolerance)", &path) {
            Ok(()) => md.push_str("\n![performance profile](figures/profile.svg)\n\n"),
            Err(e) => md.push_str(&format!("\n(no profile figure: {e})\n\n")),
        }
    }

    // One section per problem configuration.
    let mut used_names = BTreeSet::new();
    for inst in &summary.instances {
        md.push_str(&format!("## {}\n\n", inst.label));
        if summary.budget().is_none() {
            if let Some(b) = common_budget(inst.rows.iter().flat_map(|r| r.runs.iter().copied())) {
                md.push_str(&format!("Budget: {b}.\n\n"));
            }
        }
        md.push_str(&table(inst));
        let why = inst.why_not_converged();
        if !why.is_empty() {
            md.push_str(&format!("\nRuns that did not converge:\n\n{}\n", why.join("\n")));
        }
        let curves = inst.curves();
        if !curves.is_empty() {
            let name = unique_name(&slug(&inst.label), &mut used_names);
            let path = figures.join(format!("{name}.svg"));
            match plot::residual_curves_plot(&curves, &inst.label, &path, plot::XScale::Log) {
                Ok(()) => md.push_str(&format!("\n![residual of {}](figures/{name}.svg)\n", inst.label)),
                Err(e) => md.push_str(&format!("\n(no figure: {e})\n")),
            }
        }
        md.push('\n');
    }

    let skipped: Vec<&RunRecord> = records.iter().filter(|r| r.status == "Skipped").collect();
    if !skipped.is_empty() {
        md.push_str(&format!("## Skipped ({} cases)\n\n", skipped.len()));
        let mut reasons: BTreeMap<(String, String), Vec<&RunRecord>> = BTreeMap::new();
        for r in &skipped {
            reasons.entry((r.problem_label().to_string(), r.message.clone().unwrap_or_default())).or_default().push(r);
        }
        for ((problem, reason), rs) in reasons {
            let solvers: BTreeSet<&str> = rs.iter().map(|r| r.solver_label()).collect();
            md.push_str(&format!(
                "- {problem} with {}: {reason}\n",
                solvers.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let path = out.join("summary.md");
    std::fs::write(&path, md).map_err(|e| BenchError::io(&path, e))?;
    Ok(path)
}

/// The table of one problem configuration: the run columns, then the distance to the known
/// solution and each metric the problem reports (medians over seeds), where present.
fn table(inst: &Instance<'_>) -> String {
    let runs = || inst.rows.iter().flat_map(|row| row.runs.iter());
    let has_distance = runs().any(|r| r.distance_to_solution.is_some());
    let metrics: BTreeSet<&str> = runs().flat_map(|r| r.metrics.keys().map(String::as_str)).collect();
    let mut head = "| solver | runs | status | iterations | oracle calls to tol | final residual |".to_string();
    let mut rule = "|---|---:|---|---:|---:|---:|".to_string();
    if has_distance {
        head.push_str(" distance to solution |");
        rule.push_str("---:|");
    }
    for m in &metrics {
        head.push_str(&format!(" {} |", m.replace('_', " ")));
        rule.push_str("---:|");
    }
    head.push_str(" time (ms) | rank |\n");
    rule.push_str("---:|---:|\n");
    let mut md = head + &rule;
    for row in &inst.rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |",
            row.solver,
            row.runs.len(),
            row.status_cell(),
            fmt_opt(row.median(|r| r.iterations.map(|v| v as f64)), |v| format!("{v:.0}")),
            fmt_opt(row.median(RunRecord::calls_to_tol), |v| format!("{v:.0}")),
            fmt_opt(row.median(|r| r.residual), |v| format!("{v:.2e}")),
        ));
        if has_distance {
            md.push_str(&format!(" {} |", fmt_opt(row.median(|r| r.distance_to_solution), |v| format!("{v:.2e}"))));
        }
        for m in &metrics {
            md.push_str(&format!(" {} |", fmt_opt(row.median(|r| r.metrics.get(*m).copied()), fmt_metric)));
        }
        md.push_str(&format!(
            " {} | {} |\n",
            fmt_opt(row.median(|r| r.elapsed_s), |v| format!("{:.3}", 1e3 * v)),
            row.rank.map_or_else(|| "-".to_string(), |k| k.to_string()),
        ));
    }
    md
}

/// A metric value: integers (mode counts) as integers, the rest with three significant digits.
fn fmt_metric(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e6 {
        format!("{v:.0}")
    } else if v != 0.0 && (v.abs() < 1e-2 || v.abs() >= 1e4) {
        format!("{v:.2e}")
    } else {
        format!("{v:.3}")
    }
}

fn fmt_opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".to_string(), f)
}

/// A file-name-safe version of a label.
pub fn slug(label: &str) -> String {
    let mut s = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
            s.push(c);
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s = s.trim_matches('_').to_string();
    if s.is_empty() {
        "problem".into()
    } else {
        s.chars().take(120).collect()
    }
}

fn unique_name(base: &str, used: &mut BTreeSet<String>) -> String {
    let mut name = base.to_string();
    let mut k = 2;
    while name == "profile" || !used.insert(name.clone()) {
        name = format!("{base}-{k}");
        k += 1;
    }
    name
}

/// Solver label -> (first case index, runs).
type RowMap<'a> = BTreeMap<String, (u64, Vec<&'a RunRecord>)>;

/// The records grouped for the summary: problem configurations, each with solver rows.
pub struct Summary<'a> {
    /// Problem configurations in suite order (skipped runs left out).
    pub instances: Vec<Instance<'a>>,
    records: &'a [RunRecord],
}

/// One problem configuration.
pub struct Instance<'a> {
    /// `problem_label`.
    pub label: String,
    /// One row per solver configuration, in suite order.
    pub rows: Vec<Row<'a>>,
}

/// One solver configuration on one problem configuration.
pub struct Row<'a> {
    /// `solver_label`.
    pub solver: String,
    /// Its runs (one per seed).
    pub runs: Vec<&'a RunRecord>,
    /// Rank among the rows of its problem (`None`: never converged).
    pub rank: Option<usize>,
}

impl Row<'_> {
    /// The status cell: `Converged`, or `Converged (2/3), Diverged (1/3)`.
    pub fn status_cell(&self) -> String {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &self.runs {
            *counts.entry(r.status.as_str()).or_insert(0) += 1;
        }
        let n = self.runs.len();
        if counts.len() == 1 && n == 1 {
            return self.runs[0].status.clone();
        }
        counts.iter().map(|(s, k)| format!("{s} ({k}/{n})")).collect::<Vec<_>>().join(", ")
    }

    /// Median of `f` over the runs where it is defined.
    pub fn median(&self, f: impl Fn(&RunRecord) -> Option<f64>) -> Option<f64> {
        let mut v: Vec<f64> = self.runs.iter().filter_map(|r| f(r)).filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let k = v.len();
        Some(if k % 2 == 1 { v[k / 2] } else { 0.5 * (v[k / 2 - 1] + v[k / 2]) })
    }

    fn converged(&self) -> usize {
        self.runs.iter().filter(|r| r.converged()).count()
    }
}

impl Instance<'_> {
    /// One line per (solver, status) that is not `Converged`: how many runs, which seeds, and the
    /// message of the first (the reason a reader needs next to the status).
    pub fn why_not_converged(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for row in &self.rows {
            let mut by_status: BTreeMap<&str, Vec<&RunRecord>> = BTreeMap::new();
            for r in row.runs.iter().filter(|r| !r.converged()) {
                by_status.entry(r.status.as_str()).or_default().push(r);
            }
            for (status, rs) in by_status {
                let seeds: Vec<String> = rs.iter().map(|r| r.seed.to_string()).collect();
                let which = if row.runs.len() == 1 {
                    String::new()
                } else {
                    format!(
                        " ({} of {} runs, seed{} {})",
                        rs.len(),
                        row.runs.len(),
                        if rs.len() == 1 { "" } else { "s" },
                        seeds.join(", ")
                    )
                };
                let reason =
                    rs[0].message.as_deref().map_or_else(String::new, |m| format!(": {}", m.replace('|', "/")));
                lines.push(format!("- {} {status}{which}{reason}", row.solver));
            }
        }
        lines
    }
}

impl Instance<'_> {
    /// Residual curves: one per run with a trace, one colour per solver, one legend per solver.
    pub fn curves(&self) -> Vec<Curve> {
        let mut curves = Vec::new();
        for (color, row) in self.rows.iter().enumerate() {
            let mut labelled = false;
            for r in &row.runs {
                let Some(t) = &r.trace else { continue };
                let points: Vec<(f64, f64)> = t
                    .oracle_calls
                    .iter()
                    .zip(&t.residual)
                    .filter_map(|(&c, &res)| res.map(|res| (c as f64, res)))
                    .collect();
                if points.is_empty() {
                    continue;
                }
                curves.push(Curve { label: (!labelled).then(|| row.solver.clone()), color, points });
                labelled = true;
            }
        }
        curves
    }
}

impl<'a> Summary<'a> {
    /// Groups `records` by problem and solver configuration (in order of first `case_index`,
    /// then label), leaving out skipped runs, and ranks the rows.
    pub fn new(records: &'a [RunRecord]) -> Self {
        let order = |r: &RunRecord| r.case_index.unwrap_or(u64::MAX);
        let mut inst: BTreeMap<String, (u64, RowMap<'a>)> = BTreeMap::new();
        for r in records.iter().filter(|r| r.status != "Skipped") {
            let e = inst.entry(r.problem_label().to_string()).or_insert((u64::MAX, BTreeMap::new()));
            e.0 = e.0.min(order(r));
            let row = e.1.entry(r.solver_label().to_string()).or_insert((u64::MAX, Vec::new()));
            row.0 = row.0.min(order(r));
            row.1.push(r);
        }
        let mut instances: Vec<(u64, Instance<'a>)> = inst
            .into_iter()
            .map(|(label, (k, rows))| {
                let mut rows: Vec<(u64, Row<'a>)> = rows
                    .into_iter()
                    .map(|(solver, (k, mut runs))| {
                        runs.sort_by_key(|r| r.seed);
                        (k, Row { solver, runs, rank: None })
                    })
                    .collect();
                rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.solver.cmp(&b.1.solver)));
                let mut rows: Vec<Row<'a>> = rows.into_iter().map(|(_, r)| r).collect();
                rank(&mut rows);
                (k, Instance { label, rows })
            })
            .collect();
        instances.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.label.cmp(&b.1.label)));
        Self { instances: instances.into_iter().map(|(_, i)| i).collect(), records }
    }

    /// The performance profile over (problem configuration, seed) pairs, solvers in row order.
    pub fn profile(&self) -> Profile {
        let mut solvers: Vec<String> = Vec::new();
        let mut costs: BTreeMap<String, BTreeMap<String, Option<f64>>> = BTreeMap::new();
        for inst in &self.instances {
            for row in &inst.rows {
                if !solvers.contains(&row.solver) {
                    solvers.push(row.solver.clone());
                }
                for r in &row.runs {
                    costs
                        .entry(format!("{} seed {}", inst.label, r.seed))
                        .or_default()
                        .insert(row.solver.clone(), r.calls_to_tol());
                }
            }
        }
        performance_profile(&costs, &solvers)
    }

    /// The budget shared by every run, as text (`None` when runs differ or none is recorded).
    pub fn budget(&self) -> Option<String> {
        common_budget(self.records.iter())
    }
}

/// The stopping rules shared by every record, as `key = value, ...` (`None` when they differ or
/// none is recorded).
fn common_budget<'r>(records: impl Iterator<Item = &'r RunRecord>) -> Option<String> {
    let runs: BTreeSet<String> = records.filter_map(|r| r.params.get("run")).map(|v| v.to_string()).collect();
    if runs.len() != 1 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(runs.first()?).ok()?;
    let parts: Vec<String> =
        v.as_object()?.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| format!("{k} = {v}")).collect();
    Some(parts.join(", "))
}

/// Ranks rows: more converged runs first, then fewer median oracle calls to tolerance; equal
/// keys share a rank; rows that never converged get none.
fn rank(rows: &mut [Row<'_>]) {
    let keys: Vec<Option<(usize, f64)>> = rows
        .iter()
        .map(|r| {
            let c = r.converged();
            (c > 0).then(|| (c, r.median(RunRecord::calls_to_tol).unwrap_or(f64::INFINITY)))
        })
        .collect();
    let better = |a: (usize, f64), b: (usize, f64)| a.0 > b.0 || (a.0 == b.0 && a.1 < b.1);
    for i in 0..rows.len() {
        rows[i].rank = keys[i].map(|ki| 1 + keys.iter().flatten().filter(|&&kj| better(kj, ki)).count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: &str) -> RunRecord {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn records_with_non_finite_numbers_metrics_and_reasons_make_a_readable_table() {
        let runs = [
            record(
                r#"{"case_id":"a","problem":"gan","solver":"eftp","seed":0,"status":"Converged","iterations":10,
                "oracle_calls":11,"residual":1e-7,"metrics":{"modes":8.0,"high_quality":0.8125},"elapsed_s":0.5}"#,
            ),
            record(
                r#"{"case_id":"b","problem":"gan","solver":"eftp","seed":1,"status":"NumericalError","iterations":3,
                "oracle_calls":4,"residual":"NaN","message":"F is NaN at the start","metrics":{"modes":6.0,"high_quality":"NaN"},
                "elapsed_s":0.1}"#,
            ),
            record(
                r#"{"case_id":"c","problem":"gan","solver":"gda","seed":0,"status":"Diverged","residual":"inf",
                "distance_to_solution":2.5,"message":"residual 1e12 > 1e8 | r0"}"#,
            ),
        ];
        assert!(runs[1].residual.unwrap().is_nan() && runs[2].residual == Some(f64::INFINITY));
        let summary = Summary::new(&runs);
        let inst = &summary.instances[0];
        let md = table(inst);
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(
            lines[0],
            "| solver | runs | status | iterations | oracle calls to tol | final residual | distance to solution | high quality | modes | time (ms) | rank |"
        );
        // eftp: medians over seeds; the NaN quality of seed 1 is left out, not propagated.
        assert_eq!(
            lines[2],
            "| eftp | 2 | Converged (1/2), NumericalError (1/2) | 6 | 11 | 1.00e-7 | - | 0.812 | 7 | 300.000 | 1 |"
        );
        assert_eq!(lines[3], "| gda | 1 | Diverged | - | - | inf | 2.50e0 | - | - | - | - |");
        assert_eq!(
            inst.why_not_converged(),
            [
                "- eftp NumericalError (1 of 2 runs, seed 1): F is NaN at the start",
                "- gda Diverged: residual 1e12 > 1e8 / r0",
            ]
        );
    }
}
