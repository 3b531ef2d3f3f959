//! The command-line contract of docs/architecture.md §5, through the real binary: `list`, `run --json`, and
//! one-line errors with exit status 2 for bad input.

use std::process::{Command, Output};

fn vi_bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vi-bench")).args(args).output().expect("run vi-bench")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts exit status 2 and exactly one line on stderr containing every fragment.
fn assert_bad_input(args: &[&str], fragments: &[&str]) {
    let o = vi_bench(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    for f in fragments {
        assert!(err.contains(f), "{args:?}: `{f}` missing from: {err}");
    }
}

#[test]
fn list_shows_problems_and_solvers_with_defaults() {
    let o = vi_bench(&["list"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("bilinear") && out.contains("extragradient"), "{out}");
    assert!(out.contains("cond") && out.contains("4.0"), "{out}");

    let o = vi_bench(&["list", "solvers", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let solvers = v["solvers"].as_array().unwrap();
    let eg = solvers.iter().find(|s| s["name"] == "extragradient").unwrap();
    let step = eg["params"].as_array().unwrap().iter().find(|p| p["name"] == "step").unwrap();
    assert_eq!(step["default"], "auto");
    assert!(v.get("problems").is_none());
}

#[test]
fn run_json_converges_on_the_default_bilinear_game() {
    let o = vi_bench(&["run", "--problem", "bilinear", "--solver", "extragradient", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(stdout.trim_end().lines().count(), 1, "exactly one JSON object: {stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "problem",
        "solver",
        "params",
        "status",
        "iterations",
        "oracle_calls",
        "projections",
        "residual",
        "distance_to_solution",
        "metrics",
        "elapsed_s",
        "z",
    ] {
        assert!(v.get(key).is_some(), "missing `{key}`");
    }
    assert_eq!(v["status"], "Converged");
    assert!(v["residual"].as_f64().unwrap() <= 1e-8);
    assert!(v["distance_to_solution"].as_f64().unwrap() < 1e-6);
    assert_eq!(v["z"].as_array().unwrap().len(), 20);
    // Extragradient makes two oracle calls per iteration.
    assert_eq!(v["oracle_calls"].as_u64().unwrap(), 2 * v["iterations"].as_u64().unwrap());
    assert_eq!(v["params"]["solver"]["step"], "auto");
    assert_eq!(v["params"]["problem"]["m"], 10);
}

#[test]
fn set_budget_trace_and_plot_options_work() {
    let dir = std::env::temp_dir().join(format!("vi-bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("t.csv");
    let svg = dir.join("t.svg");
    let o = vi_bench(&[
        "run",
        "--problem",
        "bilinear",
        "--solver",
        "extragradient",
        "--set",
        "problem.preset=xy",
        "--set",
        "solver.step=0.1",
        "--set",
        "problem.start=[2,0]",
        "--max-iters",
        "50",
        "--trace",
        csv.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "MaxIterations");
    assert_eq!(v["iterations"], 50);
    // |z_k|^2 = (1 - eta^2 + eta^4)^k |z_0|^2 on x*y (docs/math.md §2.3).
    let expected = 2.0 * (1.0f64 - 0.01 + 0.0001).powf(25.0);
    let z: Vec<f64> = serde_json::from_value(v["z"].clone()).unwrap();
    assert!(((z[0] * z[0] + z[1] * z[1]).sqrt() - expected).abs() < 1e-12);
    let trace = std::fs::read_to_string(&csv).unwrap();
    assert!(trace.starts_with("iteration,oracle_calls,projections,residual,distance_to_solution,elapsed_s"));
    assert_eq!(trace.lines().count(), 1 + 51, "header + iterations 0..=50");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));

    let o = vi_bench(&["run", "--problem", "bilinear", "--solver", "extragradient", "--max-calls", "10", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "OracleBudget");
    assert_eq!(v["oracle_calls"], 10);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_diverging_run_is_a_successful_command_with_status_diverged() {
    let o = vi_bench(&[
        "run",
        "--problem",
        "bilinear",
        "--solver",
        "extragradient",
        "--set",
        "problem.preset=xy",
        "--set",
        "solver.step=1.5",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "Diverged");
    assert!(v["z"].as_array().unwrap().iter().all(|x| x.as_f64().unwrap().is_finite()));
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_culprit() {
    assert_bad_input(
        &["run", "--problem", "bilinar", "--solver", "extragradient"],
        &["unknown problem `bilinar`", "valid problems:", "bilinear"],
    );
    assert_bad_input(&["run", "--problem", "bilinear", "--solver", "eg"], &["unknown solver `eg`", "extragradient"]);
    assert_bad_input(
        &["run", "--problem", "bilinear", "--solver", "extragradient", "--set", "problem.size=3"],
        &["unknown parameter `size`", "valid parameters:", "cond", "rank"],
    );
    assert_bad_input(
        &["run", "--problem", "bilinear", "--solver", "extragradient", "--set", "solver.step=-0.5"],
        &["`step`", "solver extragradient", "-0.5"],
    );
    assert_bad_input(
        &["run", "--problem", "bilinear", "--solver", "extragradient", "--set", "problem.m=ten"],
        &["`m`", "ten"],
    );
    assert_bad_input(
        &["run", "--problem", "bilinear", "--solver", "extragradient", "--set", "problem.start=[1,2]"],
        &["start", "expected 20, got 2"],
    );
    assert_bad_input(&["run", "--problem", "bilinear", "--solver", "extragradient", "--set", "m=3"], &["problem."]);
    assert_bad_input(&["run", "--problem", "bilinear", "--solver", "extragradient", "--tol", "-1"], &["--tol", ">= 0"]);
    assert_bad_input(&["run", "--problem", "bilinear"], &["--solver"]);
    assert_bad_input(&["list", "widgets"], &["widgets", "problems, solvers"]);
}

#[test]
#[cfg(unix)]
fn a_closed_stdout_ends_quietly_without_a_panic() {
    use std::process::Stdio;
    // The reader goes away before the report is printed, as `vi-bench run ... | head -c 1` does.
    let mut child = Command::new(env!("CARGO_BIN_EXE_vi-bench"))
        .args(["run", "--problem", "bilinear", "--solver", "extragradient", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.is_empty(), "{err}");
}

/// A small gan-mixture, so a few iterations take milliseconds.
const SMALL_GAN: [&str; 10] = [
    "--problem",
    "gan-mixture",
    "--set",
    "problem.g_hidden=[8]",
    "--set",
    "problem.d_hidden=[8]",
    "--set",
    "problem.batch=16",
    "--set",
    "problem.metric_samples=50",
];

fn run_small_gan(extra: &[&str]) -> (serde_json::Value, String) {
    let mut args = vec!["run"];
    args.extend_from_slice(&SMALL_GAN);
    args.extend_from_slice(extra);
    args.push("--json");
    let o = vi_bench(&args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    (serde_json::from_slice(&o.stdout).unwrap(), stderr(&o))
}

#[test]
fn a_problem_declared_run_default_applies_under_the_users_flags() {
    // gan-mixture declares Adam settings for solvers that take `precond`, and a budget.
    let (v, err) = run_small_gan(&["--solver", "eftp", "--max-iters", "6", "--set", "solver.step=0.001"]);
    let solver = &v["params"]["solver"];
    assert_eq!(solver["precond"], "adam");
    assert_eq!(solver["beta1"], 0.5);
    assert_eq!(solver["step"], 0.001, "the user's step wins over the problem's 1e-4");
    assert_eq!(v["iterations"], 6, "the user's --max-iters wins over the problem's 64000");
    // tol = 0 from the problem: a GAN is trained for its budget.
    assert_eq!(v["status"], "MaxIterations");
    assert!(err.contains("gan-mixture's run defaults") && err.contains("precond=\"adam\""), "{err}");
    assert!(!err.contains("max_iters"), "max_iters was the user's: {err}");

    // A solver without a preconditioner gets the budget only.
    let (v, err) = run_small_gan(&["--solver", "gda", "--max-iters", "3"]);
    assert!(v["params"]["solver"].get("precond").is_none());
    assert!(err.contains("check_every=4000") && !err.contains("solver "), "{err}");

    // --no-problem-defaults: the engine's defaults, and no note.
    let (v, err) = run_small_gan(&["--solver", "eftp", "--max-iters", "3", "--no-problem-defaults"]);
    assert_eq!(v["params"]["solver"]["precond"], "none");
    assert!(err.is_empty(), "{err}");

    let o = vi_bench(&["list", "problems", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let gan = v["problems"].as_array().unwrap().iter().find(|p| p["name"] == "gan-mixture").unwrap();
    assert_eq!(gan["run_defaults"]["budget"]["max_iters"], 64_000);
    assert_eq!(gan["run_defaults"]["solver"][0]["precond"], "adam");
    // bilinear declares no run default, only its size in the default suite.
    let bilinear = v["problems"].as_array().unwrap().iter().find(|p| p["name"] == "bilinear").unwrap();
    let d = &bilinear["run_defaults"];
    assert!(d.get("budget").is_none() && d.get("solver").is_none(), "{d}");
    assert_eq!(d["default_suite"]["params"], serde_json::json!({"m": 10, "n": 10}));
}
