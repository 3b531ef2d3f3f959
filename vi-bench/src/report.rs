//! `vi-bench report`: summary tables and figures from results files.
//!
//! `vi-bench report DIR... [--out DIR]` reads `DIR/results.jsonl` of every input (or the given
//! `.jsonl` files), merges them (a case recorded twice, by `case_id`, is counted once: the first
//! record wins; see [`crate::record`]) and writes into the output directory (default: the first
//! input directory):
//!
//! - `summary.md`: per problem configuration (`problem_label`), a table with one row per solver
//!   configuration (`solver_label`): seeds (the number of runs, or `deterministic` for a
//!   configuration run once because neither its problem nor its solver reads the seed), status
//!   (one status, or `Status (k/n)` per status when seeds disagree), iterations, oracle calls to
//!   tolerance and final residual (medians; oracle calls over the converged runs only), the
//!   distance to the known solution and every metric the problem reports (modes, high quality,
//!   reverse KL, duality gap, ...; medians), time (median milliseconds) and rank (a larger
//!   share of converged runs first, then fewer median oracle calls to tolerance; `-` for solvers
//!   that never converged); under it, the reason for each status other than `Converged` (the
//!   run's message, with the seeds it holds for) and a note on every row still improving at a
//!   sublinear rate when its budget ran out. Before the tables, a Dolan-Moré performance
//!   profile on oracle calls to tolerance over every (problem configuration, seed) pair (a
//!   configuration whose problem reads no seed counted once), and, when the suite diagnosed
//!   Jacobians, one
//!   table of the problem configurations with their spectral summaries and each solver's
//!   iterations to tolerance; at the end, the list of skipped cases.
//! - `figures/<problem>.svg`: residual (log scale) against oracle calls (log scale), every solver on one
//!   plot (one curve per run, one colour per solver);
//! - `figures/profile.svg`: the performance profile (see [`crate::profile`]).
//!
//! Merging shards: `vi-bench report results/shard-1 results/shard-2 results/shard-3 --out all`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::{BenchError, Result};
use crate::plot;
use crate::record::{read_records, results_file, status_counts, JacobianSummary, RunRecord};
use crate::summary::{common_budget, Instance, Summary};

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

/// The summary's title from the suites that wrote `records`: the suite's name when they share
/// one, the names joined when they come from several, "benchmark summary" when none is
/// recorded (`vi-bench run --json` lines, or results written before records named their suite).
fn title_of(records: &[RunRecord]) -> String {
    let suites: BTreeSet<&str> = records.iter().filter_map(|r| r.suite.as_deref()).collect();
    match suites.len() {
        0 => "benchmark summary".to_string(),
        1 => suites.into_iter().next().unwrap_or_default().to_string(),
        _ => format!("benchmark summary: {}", suites.into_iter().collect::<Vec<_>>().join(", ")),
    }
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
    let summary = generate(&files, &out, None)?;
    println!("summary: {}", summary.display());
    Ok(())
}

/// Reads `files` and writes `out/summary.md` and `out/figures/*.svg`; returns the summary path.
/// The title is `title`, else taken from the records: the name of the suite that wrote them,
/// the names joined when several did, "benchmark summary" when none is recorded.
///
/// # Errors
/// Unreadable inputs, an unwritable output directory, a failing plot backend.
pub fn generate(files: &[PathBuf], out: &Path, title: Option<&str>) -> Result<PathBuf> {
    let records = read_records(files)?;
    let title = title.map_or_else(|| title_of(&records), str::to_string);
    let figures = out.join("figures");
    std::fs::create_dir_all(&figures).map_err(|e| BenchError::io(&figures, e))?;
    let summary = Summary::new(&records);
    let mut md = format!("# {title}\n\n");
    let sources: Vec<String> = files.iter().map(|f| format!("`{}`", f.display())).collect();
    let counts: Vec<String> = status_counts(&records).iter().map(|(s, n)| format!("{s} {n}")).collect();
    md.push_str(&format!("{} runs recorded in {}: {}.\n\n", records.len(), sources.join(", "), counts.join(", ")));
    if let Some(b) = summary.budget() {
        md.push_str(&format!("Budget: {b}.\n\n"));
    }
    md.push_str(
        "Oracle calls to tolerance, iterations, residual and time are medians over seeds (oracle calls over \
         converged runs only). Rank: a larger share of converged runs first, then fewer oracle calls to tolerance.",
    );
    if records.iter().any(|r| !r.uses_seed) {
        md.push_str(
            " A `deterministic` row (neither its problem nor its solver reads the seed) ran once; a problem \
             with such rows is one test problem in the profile, where a seeded method's cost is its median over \
             seeds.",
        );
    }
    md.push_str("\n\n");
    md.push_str(&profile_section(&summary, &figures));
    md.push_str(&jacobian_section(&summary));
    let mut used_names = BTreeSet::new();
    for inst in &summary.instances {
        md.push_str(&instance_section(inst, summary.budget().is_none(), &figures, &mut used_names));
    }
    md.push_str(&skipped_section(&records));
    let path = out.join("summary.md");
    std::fs::write(&path, md).map_err(|e| BenchError::io(&path, e))?;
    Ok(path)
}

/// The performance profile: its table and `figures/profile.svg` (nothing without a pair).
fn profile_section(summary: &Summary<'_>, figures: &Path) -> String {
    let profile = summary.profile();
    if profile.problems == 0 {
        return String::new();
    }
    if profile.ratios.iter().all(Vec::is_empty) {
        // E.g. a suite run to a fixed budget with `tol = 0`: the problems' metrics are the result.
        return format!(
            "## Performance profile\n\nNo run reached its tolerance on any of the {} (problem, seed) pairs, so \
             there is no profile of oracle calls to tolerance; compare the metrics in the tables below.\n\n",
            profile.problems
        );
    }
    let mut md = "## Performance profile\n\n".to_string();
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
    md
}

/// One problem configuration: its table, why runs did not converge, sublinear notes, figure.
fn instance_section(inst: &Instance<'_>, own_budget: bool, figures: &Path, used: &mut BTreeSet<String>) -> String {
    let mut md = format!("## {}\n\n", inst.label);
    if own_budget {
        if let Some(b) = common_budget(inst.rows.iter().flat_map(|r| r.runs.iter().copied())) {
            md.push_str(&format!("Budget: {b}.\n\n"));
        }
    }
    md.push_str(&table(inst));
    let why = inst.why_not_converged();
    if !why.is_empty() {
        md.push_str(&format!("\nRuns that did not converge:\n\n{}\n", why.join("\n")));
    }
    let slow = inst.sublinear_notes();
    if !slow.is_empty() {
        md.push_str(&format!("\nStill improving when the budget ran out:\n\n{}\n", slow.join("\n")));
    }
    let curves = inst.curves();
    if !curves.is_empty() {
        let name = unique_name(&slug(&inst.label), used);
        let path = figures.join(format!("{name}.svg"));
        match plot::residual_curves_plot(&curves, &inst.label, &path, plot::XScale::Log) {
            Ok(()) => md.push_str(&format!("\n![residual of {}](figures/{name}.svg)\n", inst.label)),
            Err(e) => md.push_str(&format!("\n(no figure: {e})\n")),
        }
    }
    md.push('\n');
    md
}

/// The skipped cases, grouped by problem configuration and reason.
fn skipped_section(records: &[RunRecord]) -> String {
    let skipped: Vec<&RunRecord> = records.iter().filter(|r| r.skipped()).collect();
    if skipped.is_empty() {
        return String::new();
    }
    let mut md = format!("## Skipped ({} cases)\n\n", skipped.len());
    let mut reasons: BTreeMap<(String, String), Vec<&RunRecord>> = BTreeMap::new();
    for r in &skipped {
        reasons
            .entry((r.problem_label().to_string(), r.message().unwrap_or_default().to_string()))
            .or_default()
            .push(r);
    }
    for ((problem, reason), rs) in reasons {
        let solvers: BTreeSet<&str> = rs.iter().map(|r| r.solver_label()).collect();
        md.push_str(&format!("- {problem} with {}: {reason}\n", solvers.into_iter().collect::<Vec<_>>().join(", ")));
    }
    md
}

/// The problem configurations with a Jacobian summary: one row each, the spectral summary, then
/// each solver's iterations to tolerance (median over converged runs, with `(k/n)` when only
/// some converged; the status when none did).
fn jacobian_section(summary: &Summary<'_>) -> String {
    let diagnosed: Vec<(&Instance<'_>, &JacobianSummary)> =
        summary.instances.iter().filter_map(|i| i.jacobian().map(|j| (i, j))).collect();
    let Some((_, first)) = diagnosed.first() else { return String::new() };
    let at = if diagnosed.iter().all(|(_, j)| j.at == first.at) { first.at.as_str() } else { "the diagnosed points" };
    let mut solvers: Vec<&str> = Vec::new();
    for (inst, _) in &diagnosed {
        for row in &inst.rows {
            if !solvers.contains(&row.solver.as_str()) {
                solvers.push(&row.solver);
            }
        }
    }
    let mut md = format!(
        "## Jacobian at the {at}\n\nThe spectrum of J = DF at the {at} of each problem configuration (docs/math.md \
         §5.1): mu = lambda_min((J + J^T)/2), L = ||J||, the phase factor max |Im lambda| / |Re lambda|, the \
         conditioning factor max |lambda| / min |lambda| and the eigenvalues of smallest real part; then each \
         solver's iterations to tolerance (median over converged runs).\n\n| problem | mu | L | phase factor | \
         conditioning factor | smallest eigenvalues |"
    );
    let mut rule = "|---|---:|---:|---:|---:|---|".to_string();
    for s in &solvers {
        md.push_str(&format!(" {s} |"));
        rule.push_str("---:|");
    }
    md.push('\n');
    md.push_str(&rule);
    md.push('\n');
    for (inst, j) in diagnosed {
        md.push_str(&format!("| {} | {} |", inst.label, jacobian_cells(j)));
        for s in &solvers {
            let cell = inst.rows.iter().find(|r| r.solver == *s).map_or_else(|| "-".to_string(), iterations_cell);
            md.push_str(&format!(" {cell} |"));
        }
        md.push('\n');
    }
    md.push('\n');
    md
}

/// `mu | L | phase | conditioning | eigenvalues` (or the error, when the diagnosis failed).
fn jacobian_cells(j: &JacobianSummary) -> String {
    if let Some(e) = &j.error {
        return format!("- | - | - | - | not diagnosed: {}", e.replace('|', "/"));
    }
    let mut eig = Vec::new();
    let mut k = 0;
    while k < j.smallest_eigenvalues.len() {
        let [re, im] = j.smallest_eigenvalues[k];
        if im == 0.0 {
            eig.push(fmt_metric(re));
        } else {
            eig.push(format!("{} ± {}i", fmt_metric(re), fmt_metric(im.abs())));
            // Its conjugate follows it (eigenvalues are sorted by real, then imaginary part).
            if j.smallest_eigenvalues.get(k + 1).is_some_and(|n| n[0] == re && n[1] == -im) {
                k += 1;
            }
        }
        k += 1;
    }
    [j.mu, j.lipschitz, j.phase_factor, j.conditioning_factor]
        .iter()
        .map(|v| fmt_metric(*v))
        .chain([eig.join(", ")])
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Iterations to tolerance of a row: the median over converged runs, `(k/n)` when only some
/// converged, where they ended when that is not the known solution (a zero of `F` elsewhere, or
/// the rest point of a regularizer that moves it); the status when none converged.
fn iterations_cell(row: &crate::summary::Row<'_>) -> String {
    let converged: Vec<&&RunRecord> = row.runs.iter().filter(|r| r.converged()).collect();
    if converged.is_empty() {
        return row.status_cell();
    }
    let of_converged = |f: fn(&vi_core::Report) -> Option<f64>| {
        row.median(|r| r.converged().then(|| r.report().and_then(f)).flatten())
    };
    let mut cell = fmt_opt(of_converged(|r| Some(r.iterations as f64)), |v| format!("{v:.0}"));
    if converged.len() < row.runs.len() {
        cell.push_str(&format!(" ({}/{})", converged.len(), row.runs.len()));
    }
    if let Some(d) = of_converged(|r| r.distance_to_solution).filter(|d| *d > FAR_FROM_SOLUTION) {
        cell.push_str(&format!(" (ended {} from the solution)", fmt_metric(d)));
    }
    cell
}

/// A converged run farther than this from the known solution found another zero of `F`.
const FAR_FROM_SOLUTION: f64 = 1e-3;

/// The table of one problem configuration: the run columns, then the distance to the known
/// solution and each metric the problem reports (medians over seeds), where present.
fn table(inst: &Instance<'_>) -> String {
    let runs = || inst.rows.iter().flat_map(|row| row.runs.iter()).filter_map(|r| r.report());
    let has_distance = runs().any(|r| r.distance_to_solution.is_some());
    let metrics: BTreeSet<&str> = runs().flat_map(|r| r.metrics.keys().map(String::as_str)).collect();
    let mut head = "| solver | seeds | status | iterations | oracle calls to tol | final residual |".to_string();
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
        let num = |f: &dyn Fn(&vi_core::Report) -> Option<f64>| row.median(|r| r.report().and_then(f));
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |",
            row.solver,
            row.seeds_cell(),
            row.status_cell(),
            fmt_opt(num(&|r| Some(r.iterations as f64)), |v| format!("{v:.0}")),
            fmt_opt(row.median(RunRecord::calls_to_tol), |v| format!("{v:.0}")),
            fmt_opt(num(&|r| Some(r.residual)), |v| format!("{v:.2e}")),
        ));
        if has_distance {
            md.push_str(&format!(" {} |", fmt_opt(num(&|r| r.distance_to_solution), |v| format!("{v:.2e}"))));
        }
        for m in &metrics {
            md.push_str(&format!(" {} |", fmt_opt(num(&|r| r.metrics.get(*m).copied()), fmt_metric)));
        }
        md.push_str(&format!(
            " {} | {} |\n",
            fmt_opt(num(&|r| Some(r.elapsed_s)), |v| format!("{:.3}", 1e3 * v)),
            row.rank.map_or_else(|| "-".to_string(), |k| k.to_string()),
        ));
    }
    md
}

/// A metric value: integers (mode counts) as integers, the rest with three significant digits;
/// a negative zero as 0.
fn fmt_metric(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.fract() == 0.0 && v.abs() < 1e6 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A record of a run that produced a report: `fields` overrides those of a plain one.
    fn record(id: &str, fields: Value) -> RunRecord {
        let mut v = json!({
            "case_id": id, "problem": "gan", "solver": "eftp", "params": {"run": {"tol": 1e-6}}, "seed": 0,
            "status": "Converged", "iterations": 0, "oracle_calls": 0, "projections": 0, "residual": 0.0,
            "distance_to_solution": null, "metrics": {}, "elapsed_s": 0.0, "step_size": null, "z": [], "z_avg": [],
            "residual_avg": 0.0, "distance_to_solution_avg": null,
        });
        for (k, x) in fields.as_object().unwrap() {
            v[k] = x.clone();
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_title_names_the_suites_the_records_came_from() {
        let plain = [record("a", json!({})), record("b", json!({}))];
        assert_eq!(title_of(&plain), "benchmark summary");
        let one = [record("a", json!({"suite": "default suite"})), record("b", json!({"suite": "default suite"}))];
        assert_eq!(title_of(&one), "default suite");
        // A record without the field (written before it existed) does not hide the suite's name.
        let mixed = [record("a", json!({"suite": "mlp-gan"})), record("b", json!({}))];
        assert_eq!(title_of(&mixed), "mlp-gan");
        let two = [record("a", json!({"suite": "b-suite"})), record("b", json!({"suite": "a-suite"}))];
        assert_eq!(title_of(&two), "benchmark summary: a-suite, b-suite");
        // The field survives a round trip through a results line; `vi-bench run` lines lack it.
        assert_eq!(
            serde_json::from_str::<RunRecord>(&one[0].to_line()).unwrap().suite.as_deref(),
            Some("default suite")
        );
        assert!(!plain[0].to_line().contains("\"suite\""));
    }

    #[test]
    fn records_with_non_finite_numbers_metrics_and_reasons_make_a_readable_table() {
        let runs = [
            record(
                "a",
                json!({"iterations": 10, "oracle_calls": 11, "residual": 1e-7,
                       "metrics": {"modes": 8.0, "high_quality": 0.8125}, "elapsed_s": 0.5}),
            ),
            record(
                "b",
                json!({"seed": 1, "status": "NumericalError", "iterations": 3, "oracle_calls": 4, "residual": "NaN",
                       "message": "F is NaN at the start", "metrics": {"modes": 6.0, "high_quality": "NaN"},
                       "elapsed_s": 0.1}),
            ),
            serde_json::from_str(
                r#"{"case_id":"c","problem":"gan","solver":"gda","seed":0,"status":"Panicked",
                "message":"panicked: residual 1e12 > 1e8 | r0"}"#,
            )
            .unwrap(),
        ];
        assert!(runs[1].report().unwrap().residual.is_nan());
        let summary = Summary::new(&runs);
        let inst = &summary.instances[0];
        let md = table(inst);
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(
            lines[0],
            "| solver | seeds | status | iterations | oracle calls to tol | final residual | high quality | modes | time (ms) | rank |"
        );
        // eftp: medians over seeds; the NaN quality of seed 1 is left out, not propagated.
        assert_eq!(
            lines[2],
            "| eftp | 2 | Converged (1/2), NumericalError (1/2) | 6 | 11 | 1.00e-7 | 0.812 | 7 | 300.000 | 1 |"
        );
        assert_eq!(lines[3], "| gda | 1 | Panicked | - | - | - | - | - | - | - |");
        assert_eq!(
            inst.why_not_converged(),
            [
                "- eftp NumericalError (1 of 2 runs, seed 1): F is NaN at the start",
                "- gda Panicked: panicked: residual 1e12 > 1e8 / r0",
            ]
        );
    }

    #[test]
    fn a_deterministic_row_runs_once_ranks_by_share_and_its_problem_counts_once_in_the_profile() {
        let mut runs = vec![];
        for seed in 0..3 {
            let calls = [100, 400, 50][seed as usize];
            runs.push(record(&format!("r{seed}"), json!({"solver": "svrg-eg", "seed": seed, "oracle_calls": calls})));
        }
        let mut det = record("d", json!({"oracle_calls": 200, "iterations": 199}));
        det.uses_seed = false;
        runs.push(det);
        let summary = Summary::new(&runs);
        let inst = &summary.instances[0];
        let md = table(inst);
        let eftp = md.lines().find(|l| l.starts_with("| eftp ")).unwrap();
        assert!(eftp.starts_with("| eftp | deterministic | Converged | 199 | 200 |"), "{eftp}");
        // Both rows converged every run: the cheaper median (svrg-eg, 100 calls) ranks first.
        let ranks: Vec<(&str, Option<usize>)> = inst.rows.iter().map(|r| (r.solver.as_str(), r.rank)).collect();
        assert_eq!(ranks, [("eftp", Some(2)), ("svrg-eg", Some(1))]);
        // The problem reads no seed: one test problem, svrg-eg's cost the median of its seeds.
        let p = summary.profile();
        assert_eq!(p.problems, 1);
        let rho = |s: &str, tau: f64| p.rho(p.solvers.iter().position(|x| x == s).unwrap(), tau);
        assert_eq!((rho("svrg-eg", 1.0), rho("eftp", 1.0), rho("eftp", 2.0)), (1.0, 0.0, 1.0));
        // Without a deterministic row, one pair per seed.
        assert_eq!(Summary::new(&runs[..3]).profile().problems, 3);
    }

    #[test]
    fn a_sublinear_row_gets_a_note_with_its_rate_and_the_calls_it_would_need() {
        // residual = 10 / calls over 100000 calls: p = -1, final residual 1e-4, tol 1e-6.
        let calls: Vec<u64> = (1..=1000).map(|k| 100 * k).collect();
        let residual: Vec<f64> = calls.iter().map(|&c| 10.0 / c as f64).collect();
        let mut r =
            record("s", json!({"solver": "eag", "status": "OracleBudget", "oracle_calls": 100_000, "residual": 1e-4}));
        r.trace = Some(crate::record::TraceColumns {
            iteration: calls.clone(),
            oracle_calls: calls,
            residual: residual.into_iter().map(Some).collect(),
        });
        let runs = [r];
        let summary = Summary::new(&runs);
        let notes = summary.instances[0].sublinear_notes();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("- eag (extra anchored gradient"), "{}", notes[0]);
        assert!(
            notes[0].contains("calls^-1.00") && notes[0].contains("tol = 1e-6 needs about 1.0e7 oracle calls"),
            "{}",
            notes[0]
        );
    }

    #[test]
    fn the_jacobian_table_pairs_conjugate_eigenvalues_and_shows_iterations_or_status() {
        let mut runs = vec![
            record("a", json!({"iterations": 120})),
            record("b", json!({"solver": "gda", "status": "Diverged", "residual": "inf"})),
            record("c", json!({"solver": "ogda", "iterations": 80, "distance_to_solution": 6.0})),
        ];
        for r in &mut runs {
            r.jacobian = Some(JacobianSummary {
                at: "solution".into(),
                mu: 0.0,
                lipschitz: 2.35,
                phase_factor: 3.96,
                conditioning_factor: f64::INFINITY,
                smallest_eigenvalues: vec![[0.1176, 0.0], [0.1226, -0.4848], [0.1226, 0.4848], [2.1276, 0.0]],
                error: None,
            });
        }
        let md = jacobian_section(&Summary::new(&runs));
        assert!(md.starts_with("## Jacobian at the solution\n"), "{md}");
        let row = md.lines().rfind(|l| l.starts_with("| gan ")).unwrap();
        assert_eq!(
            row,
            "| gan | 0 | 2.350 | 3.960 | inf | 0.118, 0.123 ± 0.485i, 2.128 | 120 | Diverged | 80 (ended 6 from the solution) |"
        );
    }

    #[test]
    fn a_suite_without_a_converged_run_says_why_it_has_no_profile() {
        let runs: Vec<_> = (0..2)
            .map(|seed| {
                record(
                    &format!("m{seed}"),
                    json!({"seed": seed, "status": "MaxIterations", "iterations": 64000, "oracle_calls": 64001,
                           "params": {"run": {"tol": 0.0}}, "metrics": {"modes": 8.0}}),
                )
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let md = profile_section(&Summary::new(&runs), dir.path());
        assert!(md.contains("No run reached its tolerance on any of the 2 (problem, seed) pairs"), "{md}");
        assert!(!dir.path().join("profile.svg").exists());
    }
}
