//! Execution: the cases of a suite (or of one shard) run in parallel, each record appended to
//! `results.jsonl` and flushed as its run ends, then the summary is written from the whole file.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::json;

use super::cases::{Case, Shard};
use super::jacobian;
use super::progress::{CaseCost, Progress};
use super::spec::SuiteSpec;
use super::validate::validate;
use crate::error::{BenchError, Result};
use crate::record::{recorded, NoReport, NoReportStatus, RunRecord, RESULTS_FILE};

/// How to run a suite.
#[derive(Clone, Debug)]
pub struct SuiteOptions {
    /// Output directory.
    pub out: PathBuf,
    /// Parallel runs (>= 1).
    pub jobs: usize,
    /// Run only this slice.
    pub shard: Option<Shard>,
    /// Skip cases already in `results.jsonl` (otherwise an existing non-empty file is an error).
    pub resume: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Say on stderr when `jobs` is capped (see [`capped_jobs`]).
    pub note_capped_jobs: bool,
    /// An interrupt (Ctrl-C in Python's `vi_engine.suite`): once set, no further case starts
    /// and the runs in flight stop within about a millisecond without being recorded, so
    /// `--resume` runs them again; the finished ones stay and the summary is still written.
    pub stop: Option<Arc<AtomicBool>>,
}

impl SuiteOptions {
    /// Defaults: one job, no shard, no resume, no progress bar.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            out: out.into(),
            jobs: 1,
            shard: None,
            resume: false,
            progress: false,
            note_capped_jobs: true,
            stop: None,
        }
    }
}

/// Worker threads per CPU core at most: runs are CPU-bound, more threads only add load.
pub const MAX_JOBS_PER_CORE: usize = 4;

/// The CPU cores this process may use (1 when unknown).
pub fn cpu_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The worker count for `requested` jobs and `cases` cases to run: at most one per case and
/// [`MAX_JOBS_PER_CORE`] per CPU core, at least 1. Returns the count and, when it is below
/// `requested`, why.
pub fn capped_jobs(requested: usize, cases: usize) -> (usize, Option<String>) {
    let per_case = cases.max(1);
    let per_core = MAX_JOBS_PER_CORE * cpu_cores();
    let jobs = requested.min(per_case).min(per_core).max(1);
    let why = (jobs < requested).then(|| {
        if jobs == per_case {
            format!("{cases} case{} to run", if cases == 1 { "" } else { "s" })
        } else {
            format!("at most {MAX_JOBS_PER_CORE} per CPU core, {} cores", cpu_cores())
        }
    });
    (jobs, why)
}

/// What [`run_suite`] did.
#[derive(Clone, Debug)]
pub struct SuiteOutcome {
    /// Cases in the whole suite.
    pub total_cases: usize,
    /// Cases in this shard (all when unsharded).
    pub shard_cases: usize,
    /// Cases of this shard already recorded (skipped by `--resume`).
    pub already_recorded: usize,
    /// Worker threads used (see [`capped_jobs`]).
    pub jobs: usize,
    /// Ids of the cases run now (including `Skipped`/`Panicked` records), in case order.
    pub ran: Vec<String>,
    /// Statuses of the runs made now.
    pub statuses: BTreeMap<String, usize>,
    /// `DIR/results.jsonl`.
    pub results: PathBuf,
    /// `DIR/summary.md`.
    pub summary: PathBuf,
    /// Wall time in seconds.
    pub elapsed_s: f64,
    /// [`SuiteOptions::stop`] was set: some cases did not run.
    pub interrupted: bool,
}

/// Expands, validates and runs a suite (or one shard of it), appending one line per run to
/// `DIR/results.jsonl` as each run ends, then writes `DIR/summary.md` and the figures from the
/// whole results file.
///
/// # Errors
/// An invalid suite (nothing has run), an unwritable output directory, or existing results
/// without `resume`.
pub fn run_suite(spec: &SuiteSpec, opts: &SuiteOptions) -> Result<SuiteOutcome> {
    let t0 = Instant::now();
    if opts.jobs == 0 {
        return Err(BenchError::Usage("--jobs must be >= 1".into()));
    }
    let cases = spec.cases()?;
    for c in &cases {
        c.spec.config.validate().map_err(|e| BenchError::Format {
            path: spec.origin.clone(),
            reason: format!("budget of {} x {}: {e}", c.problem_label, c.solver_label),
        })?;
    }
    let selected: Vec<&Case> = cases.iter().filter(|c| opts.shard.is_none_or(|s| s.contains(c.index))).collect();

    std::fs::create_dir_all(&opts.out).map_err(|e| BenchError::io(&opts.out, e))?;
    let results = opts.out.join(RESULTS_FILE);
    let recorded = recorded(&results)?;
    if !opts.resume && recorded.lines > 0 {
        return Err(BenchError::Usage(format!(
            "{} already holds {} runs; pass --resume to continue it, or choose another --out",
            results.display(),
            recorded.lines
        )));
    }
    let todo: Vec<&Case> = selected.iter().copied().filter(|c| !recorded.ids.contains(&c.id)).collect();
    let (jobs, why) = capped_jobs(opts.jobs, todo.len());
    if let (Some(why), true) = (why, opts.note_capped_jobs) {
        eprintln!("note: --jobs {} capped at {jobs} ({why})", opts.jobs);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("vi-bench-suite-{i}"))
        .build()
        .map_err(|e| BenchError::Usage(format!("cannot start {jobs} threads: {e}")))?;
    let verdicts = pool.install(|| validate(spec, &cases))?;
    let stop = opts.stop.as_ref();
    let ran = pool.install(|| run_cases(&spec.name, &todo, &verdicts, &results, (jobs, opts.progress), stop))?;

    let mut statuses = BTreeMap::new();
    for (_, status) in &ran {
        *statuses.entry(status.clone()).or_insert(0) += 1;
    }
    let summary = crate::report::generate(std::slice::from_ref(&results), &opts.out, Some(&spec.name))?;
    Ok(SuiteOutcome {
        total_cases: cases.len(),
        shard_cases: selected.len(),
        already_recorded: selected.len() - todo.len(),
        jobs,
        ran: ran.into_iter().map(|(id, _)| id).collect(),
        statuses,
        results,
        summary,
        elapsed_s: t0.elapsed().as_secs_f64(),
        interrupted: stop.is_some_and(|s| s.load(Ordering::Relaxed)),
    })
}

/// Runs `todo` on the current thread pool, appending each record to `results` as its run
/// ends; returns the (id, status) of each case run, in case order. The first write error stops
/// the cases not yet started and is returned; so does `stop` (see [`SuiteOptions::stop`]).
fn run_cases(
    suite: &str,
    todo: &[&Case],
    verdicts: &[Option<String>],
    results: &std::path::Path,
    (jobs, show_progress): (usize, bool),
    stop: Option<&Arc<AtomicBool>>,
) -> Result<Vec<(String, String)>> {
    let file = OpenOptions::new().create(true).append(true).open(results).map_err(|e| BenchError::io(results, e))?;
    let writer = Mutex::new(file);
    let write_error: Mutex<Option<BenchError>> = Mutex::new(None);
    let abort = AtomicBool::new(false);
    let costs = todo.iter().map(|c| CaseCost::of(c, verdicts[c.index].is_some())).collect();
    let progress = Progress::new(costs, jobs, show_progress);
    let ran: Vec<Option<(String, String)>> = todo
        .par_iter()
        .enumerate()
        .map(|(i, case)| {
            let stopped = || stop.is_some_and(|s| s.load(Ordering::Relaxed));
            if abort.load(Ordering::Relaxed) || stopped() {
                return None;
            }
            progress.started(i);
            let t = Instant::now();
            let mut record = run_case(case, verdicts[case.index].as_deref(), stop);
            record.suite = Some(suite.to_string());
            let status = record.status();
            if stopped() && status == "Stopped" {
                return None; // interrupted in flight: not a result
            }
            let mut w = writer.lock().unwrap_or_else(PoisonError::into_inner);
            let res = w.write_all(format!("{}\n", record.to_line()).as_bytes()).and_then(|()| w.flush());
            drop(w);
            if let Err(e) = res {
                abort.store(true, Ordering::Relaxed);
                write_error.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(BenchError::io(results, e));
                return None;
            }
            let what = format!("{} x {}", case.problem_label, case.solver_label);
            progress.finished(i, t.elapsed().as_secs_f64(), &status, &what);
            Some((case.id.clone(), status))
        })
        .collect();
    progress.finish();
    match write_error.into_inner().unwrap_or_else(PoisonError::into_inner) {
        Some(e) => Err(e),
        None => Ok(ran.into_iter().flatten().collect()),
    }
}

/// Runs one case (catching panics) and returns its record; a set `stop` ends the run on the
/// runner's clock schedule (status `Stopped`, [`vi_core::Runner::with_stop`]).
fn run_case(case: &Case, skip: Option<&str>, stop: Option<&Arc<AtomicBool>>) -> RunRecord {
    let no_report = |status: NoReportStatus, message: String| {
        let what = NoReport {
            problem: case.spec.problem.clone(),
            solver: case.spec.solver.clone(),
            params: json!({
                "problem": case.spec.problem_params,
                "solver": case.spec.solver_params,
                "run": case.spec.config,
            }),
            seed: case.spec.seed,
            status,
            message,
        };
        RunRecord::no_report(case.fields(), what)
    };
    let mut record = match skip {
        Some(reason) => no_report(NoReportStatus::Skipped, reason.to_string()),
        None => match catch_unwind(AssertUnwindSafe(|| match stop {
            None => case.spec.run(),
            Some(flag) => case.spec.prepare()?.with_stop(Arc::clone(flag)).run(),
        })) {
            Ok(Ok(report)) => RunRecord::ran(case.fields(), report),
            Ok(Err(e)) => no_report(NoReportStatus::Error, e.to_string()),
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string panic payload)".into());
                no_report(NoReportStatus::Panicked, format!("panicked: {msg}"))
            }
        },
    };
    record.uses_seed = case.uses_seed;
    if record.report().is_some() {
        record.jacobian =
            catch_unwind(AssertUnwindSafe(|| jacobian::summary(&case.spec, case.diagnose))).ok().flatten();
    }
    record
}
