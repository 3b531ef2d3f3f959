//! # vi-python: the native part of the `vi_engine` Python package
//!
//! Built by maturin (`pip install ./vi-python`) into `vi_engine._native`; the Python package
//! `python/vi_engine` wraps it with argument checking, NumPy conversions and docstrings.
//!
//! | function | what it does |
//! |---|---|
//! | [`registry_json`] | the registered problems and solvers (as `vi-bench list --json`) |
//! | [`run_registered`] | one run of a registered problem on rayon's pool, the GIL released throughout |
//! | [`run_python`] | one run of a [`problem::NativeProblem`] (a Python operator) |
//! | [`diagnose`] | `vi-bench diagnose` on a registered or Python problem |
//! | [`suite`] | the vi-bench harness on a suite given as TOML text, a file or JSON |
//!
//! Reports cross the boundary as the JSON of [`vi_core::Report`] (the `vi-bench run --json`
//! object, through `vi_bench::output`), so the Python dict has exactly those fields.

#![warn(missing_docs)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use serde_json::{json, Map, Value};
use vi_bench::suite::{run_suite, Shard, SuiteOptions, SuiteSpec};
use vi_core::{Budget, Observation, Observer, Report, RunConfig, RunSpec, Runner};

// Force-link the plugin crates: without these the registry is empty.
use vi_problems as _;
use vi_solvers as _;

pub mod operator;
pub mod problem;
pub mod sets;

use operator::{OnError, RunState};
use problem::NativeProblem;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn bench_error(e: vi_bench::BenchError) -> PyErr {
    match e {
        vi_bench::BenchError::Io { .. } => PyOSError::new_err(e.to_string()),
        other => value_error(other),
    }
}

fn parse_object(what: &str, text: &str) -> PyResult<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(value_error(format!("{what} must be a dict, got {other}"))),
        Err(e) => Err(value_error(format!("{what}: {e}"))),
    }
}

/// The stopping rules the caller gave (a partial [`RunConfig`]), checked as applied to the defaults.
fn parse_budget(text: &str) -> PyResult<Budget> {
    let b: Budget = serde_json::from_str(text).map_err(|e| value_error(format!("run configuration: {e}")))?;
    b.validate().map_err(value_error)?;
    Ok(b)
}

/// Stops a run on `KeyboardInterrupt` (signals checked at most every 50 ms) or once the Python
/// operator failed.
struct Interrupts<'a> {
    state: &'a RunState,
    last: Instant,
}

impl<'a> Interrupts<'a> {
    const EVERY: Duration = Duration::from_millis(50);

    fn new(state: &'a RunState) -> Self {
        Self { state, last: Instant::now() }
    }
}

impl Observer for Interrupts<'_> {
    fn observe(&mut self, _obs: &Observation<'_>) -> bool {
        if self.last.elapsed() >= Self::EVERY {
            self.last = Instant::now();
            Python::attach(|py| self.state.check_signals(py));
        }
        !(self.state.failed() || self.state.interrupted())
    }
}

/// The report and its trace as JSON texts, or the Python exception the operator stored.
fn finish(py: Python<'_>, state: &RunState, mut report: Report) -> PyResult<(String, String)> {
    if let Some(e) = state.take_error() {
        return Err(e);
    }
    // A signal that arrived after the last check still stops nothing, but must not be lost.
    state.check_signals(py);
    if let Some(e) = state.take_error() {
        return Err(e);
    }
    if state.interrupted() {
        report.status = vi_core::Status::Stopped;
        report.message = Some(format!("interrupted (KeyboardInterrupt) at iteration {}", report.iterations));
    }
    let trace = serde_json::to_string(&report.trace).map_err(value_error)?;
    Ok((vi_bench::output::report_json_line(&report), trace))
}

/// The registered problems and solvers as JSON: `{"problems": [...], "solvers": [...]}`, each
/// `{"name", "summary", "params": [{"name", "default", "doc"}]}` (the `python` entry excluded).
///
/// # Errors
/// A broken registry (duplicate names).
#[pyfunction]
pub fn registry_json() -> PyResult<String> {
    let reg = vi_core::registry().map_err(value_error)?;
    let entry = |name: &str, summary: &str, params: Vec<vi_core::ParamInfo>| json!({"name": name, "summary": summary, "params": params});
    let problems: Vec<Value> = reg
        .problems()
        .filter(|e| e.name != problem::ENTRY)
        .map(|e| {
            let mut v = entry(e.name, e.summary, (e.params)());
            let d = (e.defaults)(&serde_json::Map::new()).unwrap_or_default();
            if !d.is_empty() {
                v["run_defaults"] = json!(d);
            }
            v
        })
        .collect();
    let solvers: Vec<Value> = reg.solvers().map(|e| entry(e.name, e.summary, (e.params)())).collect();
    Ok(json!({"problems": problems, "solvers": solvers}).to_string())
}

/// Runs a registered problem exactly as `vi-bench run` does (same spec, same runner, on a
/// worker of rayon's pool), with the GIL released; returns `(report JSON, trace JSON)`.
/// Ctrl-C ends the run with status `Stopped` (see `on_pool`).
///
/// # Errors
/// `ValueError` for bad names, parameters or configuration.
#[pyfunction]
pub fn run_registered(
    py: Python<'_>,
    problem: String,
    solver: String,
    problem_params: &str,
    solver_params: &str,
    config: &str,
    seed: u64,
    problem_defaults: bool,
) -> PyResult<(String, String)> {
    let spec = RunSpec {
        problem,
        solver,
        problem_params: parse_object("problem_params", problem_params)?,
        solver_params: parse_object("solver_params", solver_params)?,
        seed,
        config: RunConfig::default(),
    };
    let (spec, _) = spec.resolve(&parse_budget(config)?, problem_defaults).map_err(value_error)?;
    let state = RunState::default();
    let stop = Arc::new(AtomicBool::new(false));
    // On a worker of rayon's pool, as `vi-bench run` does: a problem's `threads` blocks then go
    // to the other workers instead of waking them from a blocked caller.
    let run = || rayon::scope(|_| spec.prepare().and_then(|p| p.with_stop(stop.clone()).run()));
    let (report, interrupt) = watch_ctrl_c(py, &stop, run);
    if let Some(e) = interrupt {
        state.record(py, e);
    }
    let report = match report.unwrap_or_else(|panic| std::panic::resume_unwind(panic)) {
        Ok(r) => r,
        Err(e) => return Err(state.take_error().unwrap_or_else(|| value_error(e))),
    };
    finish(py, &state, report)
}

/// Runs `f` on a thread of its own while this thread, the one Python delivers signals to,
/// waits with the GIL released and checks for Ctrl-C every 50 ms (and returns as soon as `f`
/// ends). The first `KeyboardInterrupt` sets `stop`, which `f` must watch (a runner's
/// [`vi_core::Runner::with_stop`], a suite's [`SuiteOptions::stop`]), and is returned beside
/// `f`'s result (`Err` with the payload if `f` panicked).
fn watch_ctrl_c<R: Send>(
    py: Python<'_>,
    stop: &AtomicBool,
    f: impl FnOnce() -> R + Send,
) -> (std::thread::Result<R>, Option<PyErr>) {
    std::thread::scope(|s| {
        let (done, ended) = std::sync::mpsc::channel::<()>();
        let handle = s.spawn(move || {
            let r = f();
            // The receiver lives until the join below.
            let _ = done.send(());
            r
        });
        let mut ended = ended;
        let mut interrupt = None;
        loop {
            // The receiver crosses into the GIL-free closure and back (it is `Send`, not `Sync`);
            // `Disconnected` means `f` panicked.
            let (back, got) = py.detach(move || {
                let got = ended.recv_timeout(Duration::from_millis(50));
                (ended, got)
            });
            ended = back;
            if got != Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                break;
            }
            if interrupt.is_none() {
                if let Err(e) = py.check_signals() {
                    stop.store(true, Ordering::Relaxed);
                    interrupt = Some(e);
                }
            }
        }
        (handle.join(), interrupt)
    })
}

/// Runs a registered solver on a Python problem, holding the GIL (each oracle call needs it);
/// returns `(report JSON, trace JSON)`. An exception inside `F` is re-raised here.
///
/// # Errors
/// The operator's exception, or `ValueError` for bad names, parameters or configuration.
#[pyfunction]
pub fn run_python(
    py: Python<'_>,
    problem: &NativeProblem,
    solver: String,
    solver_params: &str,
    config: &str,
    seed: u64,
) -> PyResult<(String, String)> {
    let config = parse_budget(config)?.apply(RunConfig::default());
    let state = Arc::new(RunState::default());
    let mut p = problem.def.build(state.clone(), OnError::Store).map_err(value_error)?;
    let sp = Value::Object(parse_object("solver_params", solver_params)?);
    let (mut s, resolved) = vi_core::build_solver(&solver, &sp, seed).map_err(value_error)?;
    let mut stop = Interrupts::new(&state);
    let runner = Runner::new(config).map(|r| r.with_identity(seed, resolved));
    let report = runner.and_then(|r| r.run_observed(&mut p, s.as_mut(), &mut [&mut stop]));
    let report = match report {
        Ok(r) => r,
        Err(e) => return Err(state.take_error().unwrap_or_else(|| value_error(e))),
    };
    finish(py, &state, report)
}

/// `vi-bench diagnose` as a JSON text. `problem` is a registered name or a
/// [`NativeProblem`]; `at` is `start`, `solution` or a file holding the point.
///
/// # Errors
/// The operator's exception, or `ValueError` for bad input.
#[pyfunction]
#[pyo3(signature = (problem, problem_params, solver_params, at, solvers, measure_iters, offset, dense_max, krylov, seed, bounds, radius))]
#[allow(clippy::too_many_arguments)]
pub fn diagnose(
    py: Python<'_>,
    problem: &Bound<'_, PyAny>,
    problem_params: &str,
    solver_params: &str,
    at: String,
    solvers: Vec<String>,
    measure_iters: u64,
    offset: f64,
    dense_max: usize,
    krylov: usize,
    seed: u64,
    bounds: usize,
    radius: f64,
) -> PyResult<String> {
    let mut set = Vec::new();
    let (name, python) = match problem.cast::<NativeProblem>() {
        Ok(p) => {
            let def = p.get().def.clone();
            let name = def.name.clone();
            problem::publish(def);
            set.push(format!("problem.problem={}", Value::String(name.clone())));
            (name, true)
        }
        Err(_) => (problem.extract::<String>()?, false),
    };
    for (k, v) in parse_object("problem_params", problem_params)? {
        set.push(format!("problem.{k}={v}"));
    }
    for (k, v) in parse_object("solver_params", solver_params)? {
        set.push(format!("solver.{k}={v}"));
    }
    let args = vi_bench::diagnose::DiagnoseArgs {
        selection: vi_bench::cli::Selection {
            problem: if python { problem::ENTRY.to_string() } else { name.clone() },
            set,
            seed,
        },
        at,
        json: true,
        solvers,
        measure_iters,
        offset,
        dense_max,
        krylov,
        bounds,
        radius,
    };
    let result = if python {
        let state = Arc::new(RunState::default());
        problem::store_into(Some(state.clone()));
        let r = vi_bench::diagnose::diagnose(&args);
        problem::store_into(None);
        if let Some(e) = state.take_error() {
            return Err(e);
        }
        r
    } else {
        py.detach(|| vi_bench::diagnose::diagnose(&args))
    };
    let mut d = result.map_err(bench_error)?;
    d.problem = name;
    serde_json::to_string(&d).map_err(value_error)
}

/// A suite from the JSON of a dict shaped like a suite TOML file, read by the suite file's own
/// reader ([`SuiteSpec::from_json`]); unnamed, it is "python suite".
fn spec_from_json(text: &str) -> PyResult<SuiteSpec> {
    let mut v = parse_object("suite", text)?;
    v.entry("name").or_insert_with(|| Value::String("python suite".into()));
    SuiteSpec::from_json(&Value::Object(v), "suite dict").map_err(bench_error)
}

/// Runs a suite with the GIL released; returns what it did as JSON. Exactly one of `toml`
/// (text), `path` (a TOML file) or `spec` (JSON of a dict) is given; `python_problems` are
/// published to the harness first, under their names.
///
/// # Errors
/// `ValueError` for a bad suite, `OSError` for an unwritable output directory.
#[pyfunction]
#[pyo3(signature = (toml, path, spec, python_problems, out, jobs, shard, resume))]
#[allow(clippy::too_many_arguments)]
pub fn suite(
    py: Python<'_>,
    toml: Option<String>,
    path: Option<PathBuf>,
    spec: Option<String>,
    python_problems: Vec<Py<NativeProblem>>,
    out: PathBuf,
    jobs: Option<usize>,
    shard: Option<String>,
    resume: bool,
) -> PyResult<String> {
    let spec = match (toml, path, spec) {
        (Some(t), None, None) => SuiteSpec::from_toml(&t, "suite text").map_err(bench_error)?,
        (None, Some(p), None) => SuiteSpec::from_file(&p).map_err(bench_error)?,
        (None, None, Some(s)) => spec_from_json(&s)?,
        _ => return Err(value_error("suite: give exactly one of a TOML text, a path or a dict")),
    };
    for p in python_problems {
        problem::publish(p.get().def.clone());
    }
    let note_capped_jobs = jobs.is_some();
    let jobs = match jobs {
        Some(0) => return Err(value_error("jobs must be >= 1")),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let shard = shard.as_deref().map(Shard::parse).transpose().map_err(bench_error)?;
    let stop = Arc::new(AtomicBool::new(false));
    let progress = vi_bench::suite::progress_wanted();
    let opts = SuiteOptions { out, jobs, shard, resume, progress, note_capped_jobs, stop: Some(stop.clone()) };
    // The harness runs on its own thread (Python problems attach from its workers, one oracle
    // call at a time) while this one watches for Ctrl-C: signals are only delivered to the
    // main thread. On KeyboardInterrupt the suite stops (finished runs kept, runs in flight
    // not recorded, the summary written) and the exception is raised.
    let (outcome, interrupt) = watch_ctrl_c(py, &stop, || run_suite(&spec, &opts));
    let o = match outcome {
        Ok(r) => r.map_err(bench_error)?,
        Err(_) => return Err(value_error("suite: the harness thread panicked")),
    };
    if let Some(e) = interrupt {
        return Err(e);
    }
    Ok(json!({
        "total_cases": o.total_cases,
        "shard_cases": o.shard_cases,
        "already_recorded": o.already_recorded,
        "ran": o.ran,
        "statuses": o.statuses,
        "results": o.results,
        "summary": o.summary,
        "elapsed_s": o.elapsed_s,
    })
    .to_string())
}

/// The module `vi_engine._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeProblem>()?;
    m.add_function(wrap_pyfunction!(registry_json, m)?)?;
    m.add_function(wrap_pyfunction!(run_registered, m)?)?;
    m.add_function(wrap_pyfunction!(run_python, m)?)?;
    m.add_function(wrap_pyfunction!(diagnose, m)?)?;
    m.add_function(wrap_pyfunction!(suite, m)?)?;
    Ok(())
}
