//! The comparative harness: default suite, determinism across `--jobs`, `--resume`, shards,
//! skipped cases, panics recorded as failures (reading suites: `suite_spec.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use vi_bench::suite::{run_suite, Shard, SuiteOptions, SuiteSpec};
use vi_core::{BuildContext, FnOperator, Problem};

// Force-link the plugin crates.
use vi_problems as _;
use vi_solvers as _;

// A problem that panics on its `after`-th oracle call (after = 0: while being built).
vi_core::params! {
    /// Parameters of the panicking problem.
    struct PanickingParams {
        /// the oracle call that panics (0: the build panics)
        after: u64 = 5;
    }
}

fn build_panicking(p: vi_core::Checked<PanickingParams>, _ctx: &BuildContext) -> vi_core::Result<Problem> {
    let p = p.into_inner();
    assert!(p.after > 0, "boom while building");
    let mut calls = 0u64;
    let op = FnOperator::new(2, move |z, mut out| {
        calls += 1;
        assert!(calls < p.after, "boom at call {calls}");
        out[0] = z[1];
        out[1] = -z[0];
    })
    .with_lipschitz(1.0);
    Problem::unconstrained("test-panicking", Box::new(op), faer::Col::from_fn(2, |_| 1.0))
}
vi_core::register_problem!("test-panicking", "panics on its `after`-th oracle call", PanickingParams, build_panicking);

/// A small suite on what is registered today: bilinear x extragradient with grids and seeds.
const SMALL: &str = r#"
name = "small"
seeds = [0, 1, 2]

[budget]
tol = 1e-6
max_calls = 4000
trace_every = 5

[[problems]]
name = "bilinear"
grid = { m = [3, 6] }
params = { n = 4 }

[[problems]]
name = "bilinear"
params = { preset = "xy", start = [1.0, 0.5] }
seeds = [0]

[[solvers]]
name = "extragradient"
grid = { step = ["auto", 0.2] }
"#;

fn small() -> SuiteSpec {
    SuiteSpec::from_toml(SMALL, "small.toml").unwrap()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The records keyed by case id, without the timings.
fn normalized(path: &Path) -> BTreeMap<String, Value> {
    lines(path)
        .into_iter()
        .map(|mut v| {
            v.as_object_mut().unwrap().remove("elapsed_s");
            (v["case_id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

fn ids(path: &Path) -> Vec<String> {
    lines(path).iter().map(|v| v["case_id"].as_str().unwrap().to_string()).collect()
}

/// Parses summary.md: `## label` sections followed by table rows, as
/// (problem label, solver label) -> (runs, status cell); the Jacobian table is left out.
fn summary_rows(md: &str) -> BTreeMap<(String, String), (usize, String)> {
    let mut rows = BTreeMap::new();
    let mut section = String::new();
    for line in md.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.to_string();
        } else if line.starts_with("| ")
            && !line.starts_with("| solver |")
            && !section.starts_with("Performance")
            && !section.starts_with("Jacobian")
        {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            // The seeds column: a number of runs, or one run of a deterministic configuration.
            let runs = if cells[1] == "deterministic" { 1 } else { cells[1].parse().unwrap() };
            rows.insert((section.clone(), cells[0].to_string()), (runs, cells[2].to_string()));
        }
    }
    rows
}

/// Checks that summary.md, the figures and results.jsonl agree.
fn assert_outputs_agree(dir: &Path) {
    let records = lines(&dir.join("results.jsonl"));
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let rows = summary_rows(&md);
    // Group the jsonl the way the summary does.
    let mut expected: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut skipped = 0;
    for r in &records {
        let status = r["status"].as_str().unwrap().to_string();
        if status == "Skipped" {
            skipped += 1;
            continue;
        }
        let key = (r["problem_label"].as_str().unwrap().to_string(), r["solver_label"].as_str().unwrap().to_string());
        expected.entry(key).or_default().push(status);
    }
    assert_eq!(rows.len(), expected.len(), "table rows vs jsonl groups:\n{md}");
    let mut total = 0;
    for (key, statuses) in &expected {
        let (runs, cell) = rows.get(key).unwrap_or_else(|| panic!("no row for {key:?} in\n{md}"));
        assert_eq!(*runs, statuses.len(), "{key:?}");
        total += runs;
        if statuses.len() == 1 {
            assert_eq!(cell, &statuses[0], "{key:?}");
        } else {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for s in statuses {
                *counts.entry(s).or_insert(0) += 1;
            }
            let want: Vec<String> = counts.iter().map(|(s, k)| format!("{s} ({k}/{})", statuses.len())).collect();
            assert_eq!(cell, &want.join(", "), "{key:?}");
        }
    }
    assert_eq!(total + skipped, records.len());
    assert!(md.contains(&format!("{} runs recorded", records.len())));
    // Every figure the summary shows exists and is an SVG.
    let figures: Vec<&str> = md.split("](figures/").skip(1).map(|s| s.split(')').next().unwrap()).collect();
    assert!(!figures.is_empty());
    for f in &figures {
        let svg = std::fs::read_to_string(dir.join("figures").join(f)).unwrap();
        assert!(svg.contains("<svg"), "{f}");
    }
    // One residual figure per problem configuration with a trace, plus the profile.
    let traced: BTreeSet<&str> = records
        .iter()
        .filter(|r| r["trace"]["residual"].as_array().is_some_and(|t| !t.is_empty()))
        .map(|r| r["problem_label"].as_str().unwrap())
        .collect();
    assert_eq!(figures.len(), traced.len() + 1, "{md}");
}

#[test]
fn default_suite_covers_the_registry_and_its_outputs_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = SuiteSpec::default_suite().unwrap();
    // The default suite as it is, with one seed and a smaller budget so the test stays short in
    // debug builds.
    spec.seeds = vec![0];
    for p in &mut spec.problems {
        p.budget.max_calls = Some(p.budget.max_calls.unwrap_or(2_000).min(2_000));
        p.budget.time_limit = Some(2.0);
    }
    let reg = vi_core::registry().unwrap();
    let problems: BTreeSet<&str> = reg.problems().map(|e| e.name).collect();
    let solvers: BTreeSet<&str> = reg.solvers().map(|e| e.name).collect();
    assert_eq!(spec.problems.iter().map(|e| e.name.as_str()).collect::<BTreeSet<_>>(), problems);
    assert_eq!(spec.solvers.iter().map(|e| e.name.as_str()).collect::<BTreeSet<_>>(), solvers);

    let mut opts = SuiteOptions::new(dir.path());
    opts.jobs = 2;
    let o = run_suite(&spec, &opts).unwrap();
    assert_eq!(o.total_cases, problems.len() * solvers.len());
    assert_eq!(o.ran.len(), o.total_cases);
    let records = lines(&o.results);
    assert_eq!(records.len(), o.total_cases);
    // Every registered problem and solver appears, run or skipped with a reason.
    let seen: BTreeSet<&str> = records.iter().map(|r| r["problem"].as_str().unwrap()).collect();
    assert_eq!(seen, problems);
    for r in &records {
        if r["status"] == "Skipped" {
            assert!(!r["message"].as_str().unwrap().is_empty());
        }
    }
    // The panicking test problem is registered in this binary: recorded, and the suite went on.
    assert!(records.iter().any(|r| r["problem"] == "test-panicking" && r["status"] == "Panicked"));
    assert!(records.iter().any(|r| r["status"] == "Converged"));
    assert_outputs_agree(dir.path());
}

#[test]
fn results_do_not_depend_on_jobs() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut o1 = SuiteOptions::new(d1.path());
    o1.jobs = 1;
    let mut o2 = SuiteOptions::new(d2.path());
    o2.jobs = 2;
    let r1 = run_suite(&small(), &o1).unwrap();
    let r2 = run_suite(&small(), &o2).unwrap();
    assert_eq!(r1.total_cases, 2 * 3 * 2 + 2);
    let (n1, n2) = (normalized(&r1.results), normalized(&r2.results));
    assert_eq!(n1.len(), r1.total_cases);
    assert_eq!(n1, n2);
    // Different seeds give different data (no shared state, no ignored seed).
    let z_of = |seed: u64| {
        n1.values().find(|v| v["seed"] == seed && v["problem_label"] == "bilinear(m=3, n=4)").unwrap()["z"].clone()
    };
    assert_ne!(z_of(0), z_of(1));
    assert_outputs_agree(d1.path());
}

#[test]
fn resume_runs_only_the_missing_cases() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SuiteOptions::new(dir.path());
    let first = run_suite(&small(), &opts).unwrap();
    let all = ids(&first.results);
    let full = normalized(&first.results);
    assert_eq!(all.len(), first.total_cases);

    // Existing results are never overwritten without --resume.
    let e = run_suite(&small(), &opts).unwrap_err().to_string();
    assert!(e.contains("--resume") && e.contains("already holds 14 runs"), "{e}");

    // "Kill" the suite after 5 runs, in the middle of writing the 6th line.
    let text = std::fs::read_to_string(&first.results).unwrap();
    let kept: Vec<&str> = text.lines().take(5).collect();
    let partial = &text.lines().nth(5).unwrap()[..40];
    std::fs::write(&first.results, format!("{}\n{partial}", kept.join("\n"))).unwrap();

    let mut resume = opts.clone();
    resume.resume = true;
    resume.jobs = 2;
    let second = run_suite(&small(), &resume).unwrap();
    assert_eq!(second.already_recorded, 5);
    let ran: BTreeSet<String> = second.ran.iter().cloned().collect();
    let missing: BTreeSet<String> = all[5..].iter().cloned().collect();
    assert_eq!(ran, missing, "only the missing runs ran");
    let after = ids(&first.results);
    assert_eq!(after.len(), all.len(), "one line per case, the partial line dropped");
    assert_eq!(after.iter().collect::<BTreeSet<_>>(), all.iter().collect::<BTreeSet<_>>());
    assert_eq!(normalized(&first.results), full, "same numbers after resuming");

    // Resuming a finished suite runs nothing.
    let third = run_suite(&small(), &resume).unwrap();
    assert!(third.ran.is_empty());
    assert_eq!(third.already_recorded, all.len());
}

#[test]
fn shards_partition_the_suite_and_merge_back() {
    let whole = tempfile::tempdir().unwrap();
    let w = run_suite(&small(), &SuiteOptions::new(whole.path())).unwrap();
    let shards: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut union = BTreeMap::new();
    let mut files = Vec::new();
    for (i, d) in shards.iter().enumerate() {
        let mut o = SuiteOptions::new(d.path());
        o.shard = Some(Shard::parse(&format!("{}/3", i + 1)).unwrap());
        o.jobs = 2;
        let r = run_suite(&small(), &o).unwrap();
        assert!(r.shard_cases >= 4 && r.shard_cases <= 5, "{}", r.shard_cases);
        for (id, v) in normalized(&r.results) {
            assert!(union.insert(id, v).is_none(), "a case ran in two shards");
        }
        files.push(r.results);
    }
    assert_eq!(union, normalized(&w.results), "the shards together are the whole suite");

    // Merged with `report`, the summary equals the whole suite's (apart from timings).
    let merged = tempfile::tempdir().unwrap();
    vi_bench::report::generate(&files, merged.path(), None).unwrap();
    std::fs::copy(whole.path().join("results.jsonl"), merged.path().join("results.jsonl")).unwrap();
    assert_outputs_agree(merged.path());
    let strip_time = |md: &str| -> BTreeMap<(String, String), (usize, String)> { summary_rows(md) };
    let (merged_md, whole_md) = (
        std::fs::read_to_string(merged.path().join("summary.md")).unwrap(),
        std::fs::read_to_string(whole.path().join("summary.md")).unwrap(),
    );
    assert_eq!(strip_time(&merged_md), strip_time(&whole_md));
    // Titled by the suite its records name, as the suite titled its own summary.
    let title = |md: &str| md.lines().next().unwrap_or_default().to_string();
    assert_eq!(title(&merged_md), format!("# {}", small().name));
    assert_eq!(title(&merged_md), title(&whole_md));

    for bad in ["0/3", "4/3", "1/0", "x", "1-3"] {
        let e = Shard::parse(bad).unwrap_err().to_string();
        assert!(e.contains(bad) && e.contains("I/N"), "{e}");
    }
}

/// Runs `text` as a suite file and returns the error; asserts nothing ran.
#[test]
fn a_panicking_problem_is_recorded_and_the_suite_goes_on() {
    let text = r#"
[budget]
tol = 1e-6
max_calls = 4000
[[problems]]
name = "test-panicking"
grid = { after = [3, 0] }
[[problems]]
name = "bilinear"
params = { preset = "xy" }
[[solvers]]
name = "extragradient"
"#;
    let dir = tempfile::tempdir().unwrap();
    let spec = SuiteSpec::from_toml(text, "panic.toml").unwrap();
    let o = run_suite(&spec, &SuiteOptions::new(dir.path())).unwrap();
    assert_eq!(o.ran.len(), 3);
    let records = lines(&o.results);
    let by_label: BTreeMap<&str, &Value> = records.iter().map(|r| (r["problem_label"].as_str().unwrap(), r)).collect();
    let at_call = by_label["test-panicking(after=3)"];
    assert_eq!(at_call["status"], "Panicked");
    assert!(at_call["message"].as_str().unwrap().contains("boom at call 3"), "{at_call}");
    let at_build = by_label["test-panicking(after=0)"];
    assert_eq!(at_build["status"], "Panicked");
    assert!(at_build["message"].as_str().unwrap().contains("boom while building"), "{at_build}");
    assert_eq!(by_label["bilinear(preset=xy)"]["status"], "Converged");
    let md = std::fs::read_to_string(&o.summary).unwrap();
    assert!(md.contains("| extragradient | 1 | Panicked |"), "{md}");
    assert!(md.contains("boom at call 3"), "{md}");
    assert_outputs_agree(dir.path());
}

#[test]
fn the_binary_runs_a_suite_reports_it_and_exits_2_on_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.toml");
    std::fs::write(&file, SMALL).unwrap();
    let out = dir.path().join("out");
    let exe = env!("CARGO_BIN_EXE_vi-bench");
    let run = Command::new(exe)
        .args(["suite", file.to_str().unwrap(), "--out", out.to_str().unwrap(), "--jobs", "2"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(lines(&out.join("results.jsonl")).len(), 14);
    assert_outputs_agree(&out);

    let merged = dir.path().join("merged");
    let rep =
        Command::new(exe).args(["report", out.to_str().unwrap(), "--out", merged.to_str().unwrap()]).output().unwrap();
    assert!(rep.status.success(), "{}", String::from_utf8_lossy(&rep.stderr));
    let a = summary_rows(&std::fs::read_to_string(out.join("summary.md")).unwrap());
    let b = summary_rows(&std::fs::read_to_string(merged.join("summary.md")).unwrap());
    assert_eq!(a, b);
    assert!(merged.join("figures/profile.svg").exists());

    // --dry-run lists the shard's cases and runs nothing.
    let dry_out = dir.path().join("dry");
    let dry = Command::new(exe)
        .args(["suite", file.to_str().unwrap(), "--out", dry_out.to_str().unwrap(), "--dry-run", "--shard", "1/2"])
        .output()
        .unwrap();
    assert!(dry.status.success());
    assert_eq!(String::from_utf8_lossy(&dry.stdout).lines().count(), 7);
    assert!(!dry_out.join("results.jsonl").exists());

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[problems]]\nname = \"nope\"\n[[solvers]]\nname = \"extragradient\"\n").unwrap();
    let out2 = dir.path().join("out2");
    let r = Command::new(exe).args(["suite", bad.to_str().unwrap(), "--out", out2.to_str().unwrap()]).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.toml:2: unknown problem `nope`; valid problems:"), "{stderr}");
    assert!(!out2.join("results.jsonl").exists());
}

#[test]
fn skip_invalid_records_the_reason_and_runs_the_rest() {
    let text = r#"
skip_invalid = true
[budget]
tol = 1e-6
[[problems]]
name = "bilinear"
grid = { preset = ["xy", "nope"] }
[[solvers]]
name = "extragradient"
"#;
    let dir = tempfile::tempdir().unwrap();
    let spec = SuiteSpec::from_toml(text, "skip.toml").unwrap();
    let o = run_suite(&spec, &SuiteOptions::new(dir.path())).unwrap();
    assert_eq!(o.ran.len(), 2);
    assert_eq!(o.statuses.get("Skipped"), Some(&1));
    assert_eq!(o.statuses.get("Converged"), Some(&1));
    let records = lines(&o.results);
    let skipped = records.iter().find(|r| r["status"] == "Skipped").unwrap();
    assert_eq!(skipped["problem_label"], "bilinear(preset=nope)");
    assert!(skipped["message"].as_str().unwrap().contains("unknown preset `nope`"), "{skipped}");
    let md = std::fs::read_to_string(&o.summary).unwrap();
    assert!(md.contains("## Skipped (1 cases)") && md.contains("- bilinear(preset=nope) with extragradient:"), "{md}");
    assert_outputs_agree(dir.path());
}

#[test]
fn suites_merge_each_problems_run_defaults_under_their_budgets() {
    let cases = SuiteSpec::default_suite().unwrap().cases().unwrap();
    let case = |p: &str, s: &str| cases.iter().find(|c| c.spec.problem == p && c.spec.solver == s).unwrap();
    // gan-mixture declares tol 0, check_every 4000 and Adam settings; the default suite's own
    // per-problem budget (5000 calls, 30 s) sits over them.
    let eftp = &case("gan-mixture", "eftp").spec;
    assert_eq!(eftp.solver_params["precond"], "adam");
    assert_eq!((eftp.config.tol, eftp.config.check_every), (0.0, 4_000));
    assert_eq!((eftp.config.max_calls, eftp.config.time_limit), (Some(5_000), Some(30.0)));
    assert!(case("gan-mixture", "gda").spec.solver_params.is_empty());
    // A problem without declared defaults keeps the suite's.
    let bilinear = &case("bilinear", "eftp").spec;
    assert!(bilinear.solver_params.is_empty());
    assert_eq!((bilinear.config.tol, bilinear.config.check_every), (1e-6, 1));

    // A suite file's [budget] and entry params win; `problem_defaults = false` drops the layer.
    let text = r#"
        [budget]
        check_every = 7
        [[problems]]
        name = "gan-mixture"
        [[solvers]]
        name = "eftp"
        params = { step = 0.01 }
    "#;
    let spec = SuiteSpec::from_toml(text, "t.toml").unwrap();
    let c = &spec.cases().unwrap()[0].spec;
    assert_eq!((c.config.check_every, c.config.max_iters, c.config.tol), (7, 64_000, 0.0));
    assert_eq!((c.solver_params["step"].as_f64(), c.solver_params["precond"].as_str()), (Some(0.01), Some("adam")));
    let off = SuiteSpec::from_toml(&format!("problem_defaults = false\n{text}"), "t.toml").unwrap();
    let c = &off.cases().unwrap()[0].spec;
    assert_eq!((c.config.check_every, c.config.max_iters, c.config.tol), (7, 100_000, 1e-8));
    assert!(c.solver_params.get("precond").is_none());
}

#[test]
fn a_deterministic_case_runs_once_and_resumes_and_shards_like_any_other() {
    let text = r#"
seeds = [4, 5, 6]
[budget]
tol = 1e-6
max_calls = 4000
[[problems]]
name = "bilinear"
params = { m = 3, n = 3 }
[[problems]]
name = "gan-dirac"
[[solvers]]
name = "extragradient"
[[solvers]]
name = "agraal"
"#;
    let spec = || SuiteSpec::from_toml(text, "det.toml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = run_suite(&spec(), &SuiteOptions::new(dir.path())).unwrap();
    // bilinear draws its matrix and agraal its start perturbation from the seed; the Dirac-GAN
    // with extragradient reads none: 2 x 3 + 3 + 1 cases.
    assert_eq!(o.total_cases, 10);
    let records = lines(&o.results);
    let dirac_eg: Vec<&Value> =
        records.iter().filter(|r| r["problem"] == "gan-dirac" && r["solver"] == "extragradient").collect();
    assert_eq!(dirac_eg.len(), 1);
    assert_eq!((dirac_eg[0]["seed"].as_u64(), &dirac_eg[0]["uses_seed"]), (Some(4), &Value::Bool(false)));
    assert!(records.iter().filter(|r| r["uses_seed"] == false).count() == 1);
    // Its id is the one it has with its first seed when every seed runs.
    let all = spec().cases_with(|_| true).unwrap();
    assert!(all.iter().any(|c| c.id == dirac_eg[0]["case_id"].as_str().unwrap() && c.spec.seed == 4));
    let md = std::fs::read_to_string(&o.summary).unwrap();
    assert!(md.contains("| extragradient | deterministic | Converged |"), "{md}");
    assert_outputs_agree(dir.path());

    // Killed after 4 runs: resuming runs the other 6 and gives the same records.
    let full = normalized(&o.results);
    let kept: Vec<String> = std::fs::read_to_string(&o.results).unwrap().lines().take(4).map(str::to_string).collect();
    std::fs::write(&o.results, kept.join("\n") + "\n").unwrap();
    let mut resume = SuiteOptions::new(dir.path());
    resume.resume = true;
    let again = run_suite(&spec(), &resume).unwrap();
    assert_eq!((again.already_recorded, again.ran.len()), (4, 6));
    assert_eq!(normalized(&o.results), full);

    // Two shards are the whole suite.
    let mut union = BTreeMap::new();
    for i in 1..=2 {
        let d = tempfile::tempdir().unwrap();
        let mut opts = SuiteOptions::new(d.path());
        opts.shard = Some(Shard::parse(&format!("{i}/2")).unwrap());
        union.extend(normalized(&run_suite(&spec(), &opts).unwrap().results));
    }
    assert_eq!(union, full);
}
