//! `vi-bench suite`: the comparative harness (problems x solvers x seeds).
//!
//! A suite is the cross product of problem configurations, solver configurations and seeds,
//! under one budget (stopping rules). Every case builds its own problem and solver from
//! `(name, parameters, seed)`, so results are the same bit for bit whatever `--jobs` is (only
//! the timings differ), and no random state is ever shared between cases.
//!
//! # Suite files (TOML)
//!
//! ```toml
//! name = "example"          # optional, shown in summary.md
//! seeds = [0, 1, 2]         # default [0]
//! skip_invalid = false      # default false: any invalid case rejects the whole suite
//! problem_defaults = true   # default true: merge each problem's declared run defaults
//!
//! [budget]                  # the stopping rules of vi_core::RunConfig (all optional)
//! tol = 1e-6                # tolerance on the natural residual (default 1e-8)
//! max_calls = 20000         # oracle-call budget (default none)
//! max_iters = 100000        # iteration limit (default 100000)
//! time_limit = 10.0         # seconds per run (default none)
//! trace_every = 10          # trace interval in iterations (default 10 in a suite; 0 = off)
//! check_every = 1           # residual check interval (default 1)
//!
//! [[problems]]
//! name = "bilinear"
//! params = { preset = "" }  # fixed values, taken as they are
//! grid = { m = [5, 10], cond = [2.0, 8.0] }   # each value lists alternatives
//! budget = { max_calls = 5000 }               # optional override for this problem
//! seeds = [0]                                 # optional override for this problem
//!
//! [[solvers]]
//! name = "extragradient"
//! grid = { step = [0.1, "auto"] }
//! ```
//!
//! - `params`: one value per parameter. A value that is itself an array (`start = [1, 1]`) is
//!   written here as it is.
//! - `grid`: every value is an *array of alternatives*; the grid expands to the cross product
//!   of its keys (keys in sorted order, the last key varying fastest). To sweep an
//!   array-valued parameter, list the arrays: `grid = { start = [[1, 1], [2, 0]] }`.
//!   A key may not appear in both `params` and `grid`.
//! - `params`, `grid` and `budget` may be written inline (as above) or as sub-tables after the
//!   entry's header: `[problems.grid]` then `m = [5, 10]` on the next lines.
//! - `budget` tables merge: the problem's declared run defaults ([`vi_core::defaults`], e.g.
//!   `gan-mixture`'s monitoring interval and Adam settings; `vi-bench list problems` shows
//!   them), then the suite's `[budget]`, then the problem entry's, then the solver entry's.
//!   Solver settings a problem declares apply to solvers that take them, under the entry's
//!   `params` and `grid`. `problem_defaults = false` turns the problem's layer off.
//! - Cases are ordered problem entry, problem grid point, solver entry, solver grid point,
//!   seed; that order gives each case its index (used by `--shard`).
//!
//! The reader checks the shape and every field before anything else: an ill-typed or
//! out-of-range field (`seeds = [-1]`, `budget.tol = -1`, `budget.time_limit = 0`) is rejected
//! with `FILE:LINE: `field`: message`. A suite file is at most [`MAX_SUITE_FILE_BYTES`] and a
//! suite at most [`MAX_CASES`] cases (counted before they are expanded).
//!
//! Every case is validated (problem and solver built, solver initialised on the problem) before
//! anything runs. A suite file with an unknown problem, solver or parameter, or an invalid
//! value, is rejected with `FILE:LINE: message` naming the valid choices (exit status 2),
//! unless `skip_invalid = true`, in which case the invalid cases are recorded with status
//! `Skipped` and the reason.
//!
//! # The default suite
//!
//! With no FILE, [`SuiteSpec::default_suite`] builds the suite from the registry: every
//! registered problem (with the small sizes of a curated override table) times every registered
//! solver (default parameters), seeds 0, 1, 2, `tol = 1e-6`, at most 100000 oracle calls and 20 s per
//! run, under each problem's declared run defaults and over them the per-problem budgets of
//! [`DEFAULT_PROBLEM_BUDGETS`] (the MLP GAN gets 5000 calls and 30 s). Problems that cannot be built with defaults (e.g. `affine`, which needs a data file)
//! are recorded as `Skipped` with the reason.
//!
//! # Outputs (in `--out DIR`)
//!
//! - `results.jsonl`: one JSON object per line and per run, appended and flushed as each run
//!   ends: the fields of `vi-bench run --json` plus `case_id` (16 hex digits: FNV-1a 64 of the
//!   canonical JSON of problem, problem parameters, solver, solver parameters, seed and budget),
//!   `case_index`, `problem_label`, `solver_label` and `trace`, a compact convergence trace
//!   `{"iteration": [...], "oracle_calls": [...], "residual": [...]}` (at most 500 points).
//!   Besides the [`vi_core::Status`] values, `status` may be `Panicked` (the problem or solver
//!   panicked; `message` holds the panic message), `Error` (the run returned an error) or
//!   `Skipped` (an invalid case in a suite with `skip_invalid`); those lines carry no numbers.
//! - `summary.md` and `figures/*.svg`: see [`crate::report`].
//!
//! `--jobs N` is capped at the number of cases to run and at [`MAX_JOBS_PER_CORE`] per CPU
//! core, with a note on stderr.
//!
//! `--dry-run` validates the suite and lists its cases (of the shard, with `--shard`) without
//! running anything.
//!
//! `--resume` skips cases whose `case_id` is already in `results.jsonl` (whatever their
//! status); without it an existing non-empty `results.jsonl` is an error, so finished results
//! are never overwritten. A line cut short by a killed process (even inside a multi-byte
//! character) is dropped with a warning and its case rerun.
//!
//! # Sharding
//!
//! `--shard I/N` runs the cases whose index `k` satisfies `k mod N == I - 1`. Every shard
//! validates the whole suite, so all shards reject a bad file alike. On a SLURM cluster:
//!
//! ```sh
//! #!/bin/sh
//! #SBATCH --array=1-8
//! #SBATCH --cpus-per-task=4
//! vi-bench suite big.toml --out results/shard-$SLURM_ARRAY_TASK_ID \
//!     --shard $SLURM_ARRAY_TASK_ID/8 --jobs $SLURM_CPUS_PER_TASK --resume
//! ```
//!
//! then `vi-bench report results/shard-* --out results/all` merges the shards into one summary.
//! (`--resume` makes a requeued task continue where it stopped.)

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::OpenOptions;
use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use vi_core::{RunConfig, RunSpec};

use crate::error::{BenchError, Result};

/// `vi-bench suite [FILE.toml] --out DIR [--jobs N] [--shard I/N] [--resume]`.
#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Suite file (TOML); the built-in default suite when absent.
    pub file: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Parallel runs (>= 1; default: the number of CPU cores). Capped at the number of cases to
    /// run and at 4 per CPU core, with a note on stderr.
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = crate::cli::arg::positive_size)]
    pub jobs: Option<usize>,
    /// Run only slice I of N (1-based), e.g. 2/3.
    #[arg(long, value_name = "I/N", allow_hyphen_values = true, value_parser = shard_arg)]
    pub shard: Option<Shard>,
    /// Skip runs already recorded in DIR/results.jsonl.
    #[arg(long)]
    pub resume: bool,
    /// Validate the suite and list its cases (index, id, problem, solver, seed) without running.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs the suite.
///
/// # Errors
/// Bad suite file or output directory.
pub fn execute(a: &SuiteArgs) -> Result<()> {
    let spec = match &a.file {
        Some(path) => SuiteSpec::from_file(path)?,
        None => SuiteSpec::default_suite()?,
    };
    let shard = a.shard;
    let jobs = match a.jobs {
        Some(0) => return Err(BenchError::Usage("--jobs must be >= 1".into())),
        Some(j) => j,
        None => cpu_cores(),
    };
    if a.dry_run {
        let cases = spec.cases()?;
        let verdicts = validate(&spec, &cases)?;
        for c in cases.iter().filter(|c| shard.is_none_or(|s| s.contains(c.index))) {
            let skip = verdicts[c.index].as_deref().map(|r| format!("  (skipped: {r})")).unwrap_or_default();
            println!("{:>6} {} {} x {} seed {}{skip}", c.index, c.id, c.problem_label, c.solver_label, c.spec.seed);
        }
        return Ok(());
    }
    let opts = SuiteOptions {
        out: a.out.clone(),
        jobs,
        shard,
        resume: a.resume,
        progress: progress_wanted(),
        note_capped_jobs: a.jobs.is_some(),
    };
    let o = run_suite(&spec, &opts)?;
    eprintln!(
        "{}: {} cases{}; ran {}, {} already recorded; {:.1} s",
        spec.name,
        o.total_cases,
        shard.map(|s| format!(" ({} in shard {}/{})", o.shard_cases, s.index, s.count)).unwrap_or_default(),
        o.ran.len(),
        o.already_recorded,
        o.elapsed_s
    );
    println!("results: {}", o.results.display());
    println!("summary: {}", o.summary.display());
    Ok(())
}

/// Whether to draw a progress bar: stderr is a terminal and `CI` is not set to a true value.
pub fn progress_wanted() -> bool {
    let ci = std::env::var("CI").map(|v| !v.is_empty() && v != "0" && v != "false").unwrap_or(false);
    std::io::stderr().is_terminal() && !ci
}

// ---------------------------------------------------------------------------------------------
// The suite specification
// ---------------------------------------------------------------------------------------------

/// A problem or solver entry of a suite: a registered name, fixed parameters and a grid.
#[derive(Clone, Debug, Default)]
pub struct EntrySpec {
    /// Registered name.
    pub name: String,
    /// Fixed parameter values.
    pub params: Map<String, Value>,
    /// Grid parameters, sorted by name: each lists its alternatives.
    pub grid: Vec<(String, Vec<Value>)>,
    /// Budget overrides for this entry.
    pub budget: Budget,
    /// Seeds for this entry (problems only; `None`: the suite's seeds).
    pub seeds: Option<Vec<u64>>,
    /// Source lines (1-based) of the name and of each parameter, for error messages.
    lines: EntryLines,
}

#[derive(Clone, Debug, Default)]
struct EntryLines {
    name: Option<usize>,
    params: BTreeMap<String, usize>,
}

impl EntrySpec {
    /// An entry with fixed parameters and no grid.
    pub fn new(name: impl Into<String>, params: Map<String, Value>) -> Self {
        Self { name: name.into(), params, ..Self::default() }
    }

    /// Adds a grid parameter (builder style).
    #[must_use]
    pub fn with_grid(mut self, key: impl Into<String>, values: Vec<Value>) -> Self {
        self.grid.push((key.into(), values));
        self.grid.sort_by(|a, b| a.0.cmp(&b.0));
        self
    }

    /// Adds budget overrides (builder style).
    #[must_use]
    pub fn with_budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// Every grid point: the fixed parameters merged with one value per grid key.
    pub fn expand(&self) -> Vec<Map<String, Value>> {
        let mut out = vec![self.params.clone()];
        for (key, values) in &self.grid {
            out = out
                .into_iter()
                .flat_map(|m| {
                    values.iter().map(move |v| {
                        let mut m = m.clone();
                        m.insert(key.clone(), v.clone());
                        m
                    })
                })
                .collect();
        }
        out
    }
}

pub use vi_core::Budget;

/// A whole suite: entries, seeds and budget. Build it from TOML ([`SuiteSpec::from_toml`]),
/// from the registry ([`SuiteSpec::default_suite`]) or by hand.
#[derive(Clone, Debug)]
pub struct SuiteSpec {
    /// Name shown in the summary.
    pub name: String,
    /// Where it came from (a path, or `built-in default suite`), used in error messages.
    pub origin: String,
    /// Seeds of every problem without its own.
    pub seeds: Vec<u64>,
    /// Stopping rules of every run before the problem's declared run defaults
    /// ([`vi_core::defaults`]): the engine's defaults, or the default suite's.
    pub base: RunConfig,
    /// The suite's `[budget]`: over the problem's run defaults, under per-entry budgets.
    pub budget: Budget,
    /// Merge each problem's declared run defaults under the suite's choices (default true).
    pub problem_defaults: bool,
    /// Problem entries.
    pub problems: Vec<EntrySpec>,
    /// Solver entries.
    pub solvers: Vec<EntrySpec>,
    /// Record invalid cases as `Skipped` instead of rejecting the suite.
    pub skip_invalid: bool,
}

/// The trace interval of a suite when the file gives none.
pub const DEFAULT_TRACE_EVERY: u64 = 10;

impl SuiteSpec {
    /// An empty suite named `name` (seed 0, default budget with a trace every 10 iterations).
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            origin: name.clone(),
            name,
            seeds: vec![0],
            base: RunConfig { trace_every: DEFAULT_TRACE_EVERY, ..RunConfig::default() },
            budget: Budget::default(),
            problem_defaults: true,
            problems: Vec::new(),
            solvers: Vec::new(),
            skip_invalid: false,
        }
    }

    /// Reads a suite file.
    ///
    /// # Errors
    /// Unreadable file, or as [`SuiteSpec::from_toml`].
    pub fn from_file(path: &Path) -> Result<Self> {
        let origin = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| BenchError::io(path, e))?;
        // A cap, so that `/dev/zero` or a huge file given by mistake fails instead of filling memory.
        let mut bytes = Vec::new();
        file.take(MAX_SUITE_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| BenchError::io(path, e))?;
        if bytes.len() as u64 > MAX_SUITE_FILE_BYTES {
            return Err(BenchError::Format {
                path: origin,
                reason: format!("larger than {} MiB: not a suite file", MAX_SUITE_FILE_BYTES >> 20),
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| BenchError::Format {
            path: format!("{origin}:{}", line_of_bytes(e.as_bytes(), e.utf8_error().valid_up_to())),
            reason: "not UTF-8 text (a suite file is TOML)".into(),
        })?;
        Self::from_toml(&text, &origin)
    }

    /// Parses a suite from TOML text; `origin` names it in errors (`origin:line: ...`).
    ///
    /// Only the syntax and the shape are checked here; names and parameters are checked by
    /// [`validate`] (which [`run_suite`] calls before running anything).
    ///
    /// # Errors
    /// [`BenchError::Format`] with the line of the culprit.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let at = |offset: usize| format!("{origin}:{}", line_of(text, offset));
        let raw: RawSuite = toml::from_str(text).map_err(|e| toml_error(text, origin, e))?;
        let mut spec = SuiteSpec::new(raw.name.unwrap_or_else(|| suite_name_from(origin)));
        spec.origin = origin.to_string();
        if let Some(seeds) = raw.seeds {
            if seeds.is_empty() {
                return Err(BenchError::Format { path: origin.into(), reason: "`seeds` must not be empty".into() });
            }
            spec.seeds = seeds;
        }
        spec.budget = spanned_budget(raw.budget, text, origin, "[budget]")?;
        spec.problem_defaults = raw.problem_defaults;
        spec.skip_invalid = raw.skip_invalid;
        let convert = |kind: &str, e: RawEntry| -> Result<EntrySpec> {
            let mut lines = EntryLines { name: Some(line_of(text, e.name.span().start)), ..EntryLines::default() };
            let mut params = Map::new();
            for (k, v) in e.params {
                lines.params.insert(k.get_ref().clone(), line_of(text, k.span().start));
                params.insert(k.into_inner(), toml_to_json(v));
            }
            let mut grid = Vec::new();
            for (k, v) in e.grid {
                let line = line_of(text, k.span().start);
                let key = k.into_inner();
                let bad = |reason: String| BenchError::Format { path: format!("{origin}:{line}"), reason };
                if params.contains_key(&key) {
                    return Err(bad(format!(
                        "{kind} `{}`: `{key}` is in both `params` and `grid`; keep one",
                        e.name.get_ref()
                    )));
                }
                let values = match v {
                    toml::Value::Array(a) if !a.is_empty() => a.into_iter().map(toml_to_json).collect(),
                    toml::Value::Array(_) => {
                        return Err(bad(format!("{kind} `{}`: grid `{key}` lists no values", e.name.get_ref())))
                    }
                    other => {
                        return Err(bad(format!(
                            "{kind} `{}`: grid `{key}` must be an array of alternatives, e.g. {key} = [{other}, ...]; \
                             put a single value under `params`",
                            e.name.get_ref()
                        )))
                    }
                };
                lines.params.insert(key.clone(), line);
                grid.push((key, values));
            }
            let budget = spanned_budget(e.budget, text, origin, &format!("{kind} `{}`: budget", e.name.get_ref()))?;
            if let Some(s) = &e.seeds {
                if s.is_empty() {
                    return Err(BenchError::Format {
                        path: format!("{origin}:{}", lines.name.unwrap_or(0)),
                        reason: format!("{kind} `{}`: `seeds` must not be empty", e.name.get_ref()),
                    });
                }
            }
            Ok(EntrySpec { name: e.name.into_inner(), params, grid, budget, seeds: e.seeds, lines })
        };
        for e in raw.problems {
            spec.problems.push(convert("problem", e)?);
        }
        for e in raw.solvers {
            if e.seeds.is_some() {
                return Err(BenchError::Format {
                    path: at(e.name.span().start),
                    reason: format!("solver `{}`: `seeds` belongs to problems or to the suite", e.name.get_ref()),
                });
            }
            spec.solvers.push(convert("solver", e)?);
        }
        if spec.problems.is_empty() || spec.solvers.is_empty() {
            return Err(BenchError::Format {
                path: origin.into(),
                reason: "a suite needs at least one [[problems]] and one [[solvers]] entry".into(),
            });
        }
        Ok(spec)
    }

    /// The built-in default suite, built from the registry: every registered problem (with the
    /// overrides of [`DEFAULT_PROBLEM_OVERRIDES`] whose parameters it declares) times every
    /// registered solver, seeds [`DEFAULT_SEEDS`], `tol = 1e-6`, at most [`DEFAULT_MAX_CALLS`] oracle
    /// calls and [`DEFAULT_TIME_LIMIT`] seconds per run
    /// (less where [`DEFAULT_PROBLEM_BUDGETS`] says so). Invalid cases are recorded as skipped.
    ///
    /// # Errors
    /// A broken registry (duplicate names).
    pub fn default_suite() -> Result<Self> {
        let reg = vi_core::registry()?;
        let mut spec = SuiteSpec::new("default suite");
        spec.origin = "built-in default suite".into();
        spec.skip_invalid = true;
        spec.seeds = DEFAULT_SEEDS.to_vec();
        spec.base = RunConfig {
            tol: 1e-6,
            max_iters: 100_000,
            max_calls: Some(DEFAULT_MAX_CALLS),
            time_limit: Some(DEFAULT_TIME_LIMIT),
            check_every: 1,
            trace_every: DEFAULT_TRACE_EVERY,
            ..RunConfig::default()
        };
        for e in reg.problems() {
            let declared: BTreeSet<String> = (e.params)().into_iter().map(|p| p.name).collect();
            let mut params = Map::new();
            for (problem, key, value) in DEFAULT_PROBLEM_OVERRIDES {
                if *problem == e.name && declared.contains(*key) {
                    params.insert((*key).to_string(), serde_json::from_str(value).unwrap_or(Value::Null));
                }
            }
            let mut entry = EntrySpec::new(e.name, params);
            if let Some((_, calls, secs)) = DEFAULT_PROBLEM_BUDGETS.iter().find(|(p, _, _)| *p == e.name) {
                entry.budget = Budget { max_calls: Some(*calls), time_limit: Some(*secs), ..Budget::default() };
            }
            spec.problems.push(entry);
        }
        for e in reg.solvers() {
            spec.solvers.push(EntrySpec::new(e.name, Map::new()));
        }
        Ok(spec)
    }

    /// The number of cases, computed without expanding them (`None` past `u64::MAX`).
    pub fn case_count(&self) -> Option<u64> {
        let points =
            |e: &EntrySpec| e.grid.iter().try_fold(1u64, |n, (_, v)| n.checked_mul(u64::try_from(v.len()).ok()?));
        let solver_points = self.solvers.iter().try_fold(0u64, |n, e| n.checked_add(points(e)?))?;
        self.problems.iter().try_fold(0u64, |n, e| {
            let seeds = u64::try_from(e.seeds.as_ref().unwrap_or(&self.seeds).len()).ok()?;
            n.checked_add(points(e)?.checked_mul(seeds)?.checked_mul(solver_points)?)
        })
    }

    /// Every case, in order (see the module docs), with its id.
    ///
    /// # Errors
    /// More than [`MAX_CASES`] cases, or two entries that produce the same case.
    pub fn cases(&self) -> Result<Vec<Case>> {
        let count = self.case_count();
        if count.is_none_or(|n| n > MAX_CASES) {
            return Err(BenchError::Format {
                path: self.origin.clone(),
                reason: format!(
                    "the suite expands to {} cases, more than the {MAX_CASES} allowed; shorten its grids or seeds, \
                     or split it into several suites",
                    count.map_or_else(|| "over 2^64".to_string(), |n| n.to_string())
                ),
            });
        }
        let mut cases = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (pi, pe) in self.problems.iter().enumerate() {
            let seeds = pe.seeds.as_ref().unwrap_or(&self.seeds);
            for pp in pe.expand() {
                let problem_label = label(&pe.name, &pp);
                for (si, se) in self.solvers.iter().enumerate() {
                    let given = self.budget.then(&pe.budget).then(&se.budget);
                    for sp in se.expand() {
                        let solver_label = label(&se.name, &sp);
                        // The problem's run defaults depend on its parameters, not on the seed.
                        let resolved = self.resolve(
                            RunSpec {
                                problem: pe.name.clone(),
                                solver: se.name.clone(),
                                problem_params: pp.clone(),
                                solver_params: sp.clone(),
                                seed: 0,
                                config: self.base.clone(),
                            },
                            &given,
                        );
                        for &seed in seeds {
                            let spec = RunSpec { seed, ..resolved.clone() };
                            let id = case_id(&spec);
                            let index = cases.len();
                            if let Some(prev) = seen.insert(id.clone(), index) {
                                return Err(BenchError::Format {
                                    path: self.origin.clone(),
                                    reason: format!(
                                        "the case {problem_label} x {solver_label} seed {seed} appears twice \
                                         (cases {prev} and {index}); remove the duplicate entry"
                                    ),
                                });
                            }
                            cases.push(Case {
                                index,
                                id,
                                spec,
                                problem_label: problem_label.clone(),
                                solver_label: solver_label.clone(),
                                problem_entry: pi,
                                solver_entry: si,
                            });
                        }
                    }
                }
            }
        }
        Ok(cases)
    }
}

impl SuiteSpec {
    /// A case's spec with the problem's run defaults merged between the base and `given`. A
    /// case whose names or parameters are wrong keeps the plain budget: [`validate`] reports it.
    fn resolve(&self, spec: RunSpec, given: &Budget) -> RunSpec {
        match spec.clone().resolve(given, self.problem_defaults) {
            Ok((resolved, _)) => resolved,
            Err(_) => RunSpec { config: given.apply(spec.config.clone()), ..spec },
        }
    }
}

/// Curated parameter overrides of the default suite: `(problem, parameter, JSON value)`.
/// Small sizes so the whole suite runs in minutes; an override applies only if the problem
/// declares the parameter.
pub const DEFAULT_PROBLEM_OVERRIDES: &[(&str, &str, &str)] = &[
    ("bilinear", "m", "10"),
    ("bilinear", "n", "10"),
    ("matrix-game", "preset", "\"random\""),
    ("matrix-game", "m", "10"),
    ("matrix-game", "n", "10"),
    ("quadratic", "n", "20"),
    ("grid-lcp", "k", "10"),
    ("gan-mixture", "batch", "64"),
    ("gan-mixture", "g_hidden", "[32, 32]"),
    ("gan-mixture", "d_hidden", "[32]"),
    ("gan-mixture", "metric_samples", "1000"),
];

/// Per-problem budgets of the default suite: `(problem, max oracle calls, time limit in s)`.
pub const DEFAULT_PROBLEM_BUDGETS: &[(&str, u64, f64)] =
    &[("gan-mixture", 5_000, 30.0), ("gan-gaussian-mean", 20_000, 20.0)];

/// Seeds of the default suite.
pub const DEFAULT_SEEDS: [u64; 3] = [0, 1, 2];
/// Oracle-call budget per run of the default suite.
pub const DEFAULT_MAX_CALLS: u64 = 100_000;
/// Wall-time limit per run of the default suite, in seconds.
pub const DEFAULT_TIME_LIMIT: f64 = 20.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    seeds: Option<Vec<u64>>,
    #[serde(default)]
    budget: Option<toml::Spanned<Budget>>,
    #[serde(default)]
    skip_invalid: bool,
    #[serde(default = "yes")]
    problem_defaults: bool,
    #[serde(default)]
    problems: Vec<RawEntry>,
    #[serde(default)]
    solvers: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: toml::Spanned<String>,
    #[serde(default)]
    params: BTreeMap<toml::Spanned<String>, toml::Value>,
    #[serde(default)]
    grid: BTreeMap<toml::Spanned<String>, toml::Value>,
    #[serde(default)]
    budget: Option<toml::Spanned<Budget>>,
    #[serde(default)]
    seeds: Option<Vec<u64>>,
}

fn yes() -> bool {
    true
}

/// Largest suite file read, in bytes.
pub const MAX_SUITE_FILE_BYTES: u64 = 16 << 20;

/// Largest number of cases a suite may expand to (checked before expanding).
pub const MAX_CASES: u64 = 100_000;

/// A TOML error as one line `origin:line: `key.path`: message`.
fn toml_error(text: &str, origin: &str, mut e: toml::de::Error) -> BenchError {
    let path = e.span().map_or_else(|| origin.to_string(), |s| format!("{origin}:{}", line_of(text, s.start)));
    // Without its input, the error prints its message and then the key path (`in `a.b``).
    e.set_input(None);
    let shown = e.to_string();
    let mut lines = shown.lines().map(str::trim).filter(|l| !l.is_empty());
    let message = lines.next().unwrap_or("malformed TOML").to_string();
    let key = lines.find_map(|l| l.strip_prefix("in `").and_then(|r| r.strip_suffix('`')).map(str::to_string));
    let reason = match key {
        Some(k) if !k.is_empty() => format!("`{k}`: {message}"),
        // Syntax errors carry no key path: quote the text they point at (e.g. a duplicate key).
        _ => match e.span().and_then(|s| text.get(s)).map(str::trim).filter(|t| !t.is_empty() && !t.contains('\n')) {
            Some(t) if t.chars().count() <= 60 => format!("{message} at `{t}`"),
            _ => message,
        },
    };
    BenchError::Format { path, reason }
}

/// A partial budget checked against the ranges of [`RunConfig::validate`]; an error names the
/// line where the budget table starts.
fn spanned_budget(b: Option<toml::Spanned<Budget>>, text: &str, origin: &str, what: &str) -> Result<Budget> {
    let Some(b) = b else { return Ok(Budget::default()) };
    let line = line_of(text, b.span().start);
    let b = b.into_inner();
    b.validate()
        .map_err(|e| BenchError::Format { path: format!("{origin}:{line}"), reason: format!("{what}: {e}") })?;
    Ok(b)
}

fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect()),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    line_of_bytes(text.as_bytes(), offset)
}

fn line_of_bytes(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

fn suite_name_from(origin: &str) -> String {
    Path::new(origin).file_stem().map_or_else(|| origin.to_string(), |s| s.to_string_lossy().into_owned())
}

/// `name` or `name(k=v, ...)` over the given parameters, keys sorted; strings unquoted.
pub fn label(name: &str, params: &Map<String, Value>) -> String {
    if params.is_empty() {
        return name.to_string();
    }
    let parts: Vec<String> = params
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    format!("{name}({})", parts.join(", "))
}

// ---------------------------------------------------------------------------------------------
// Cases and ids
// ---------------------------------------------------------------------------------------------

/// One run of a suite.
#[derive(Clone, Debug)]
pub struct Case {
    /// Position in the suite's case list.
    pub index: usize,
    /// Stable id: see [`case_id`].
    pub id: String,
    /// What to build and run.
    pub spec: RunSpec,
    /// `problem(k=v, ...)` over the problem parameters given.
    pub problem_label: String,
    /// `solver(k=v, ...)` over the solver parameters given.
    pub solver_label: String,
    problem_entry: usize,
    solver_entry: usize,
}

/// FNV-1a, 64 bits: a documented hash that never changes between Rust versions (unlike
/// `DefaultHasher`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The stable id of a run: FNV-1a 64 (16 hex digits) of the canonical JSON (object keys
/// sorted, numbers as serde_json prints them) of problem, problem parameters, solver, solver
/// parameters, seed and budget (the whole [`RunConfig`]).
pub fn case_id(spec: &RunSpec) -> String {
    let canonical = json!({
        "problem": spec.problem,
        "problem_params": spec.problem_params,
        "solver": spec.solver,
        "solver_params": spec.solver_params,
        "seed": spec.seed,
        "budget": spec.config,
    });
    format!("{:016x}", fnv1a64(canonical.to_string().as_bytes()))
}

/// `--shard I/N` for clap: the error states the expected form (clap names the option).
fn shard_arg(s: &str) -> std::result::Result<Shard, String> {
    Shard::parse(s).map_err(|_| "expected I/N with whole numbers 1 <= I <= N, e.g. 2/3".into())
}

/// A deterministic slice of a suite: cases with `index mod count == index_1based - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` with `1 <= I <= N`.
    ///
    /// # Errors
    /// [`BenchError::Usage`] naming the input.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || BenchError::Usage(format!("--shard `{s}`: expected I/N with 1 <= I <= N, e.g. 2/3"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// Whether case `k` belongs to this shard.
    pub fn contains(&self, k: usize) -> bool {
        k % self.count == self.index - 1
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// Checks every case before anything runs: the budget, then for each distinct (problem
/// configuration, solver configuration) pair, builds both (with the pair's first seed) and
/// initialises the solver on the problem. A panic here is not an error: the run will record it.
///
/// Returns, per case, `None` (valid) or the reason it is skipped (only with `skip_invalid`).
///
/// # Errors
/// Without `skip_invalid`, the first invalid case as `ORIGIN:LINE: message` (the line of the
/// offending name or parameter, where known).
pub fn validate(spec: &SuiteSpec, cases: &[Case]) -> Result<Vec<Option<String>>> {
    let mut groups: BTreeMap<(String, String, String, String), Vec<usize>> = BTreeMap::new();
    for c in cases {
        let key = (
            c.spec.problem.clone(),
            Value::Object(c.spec.problem_params.clone()).to_string(),
            c.spec.solver.clone(),
            Value::Object(c.spec.solver_params.clone()).to_string(),
        );
        groups.entry(key).or_default().push(c.index);
    }
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    let checked: Vec<Option<vi_core::Error>> = groups
        .par_iter()
        .map(|g| {
            let spec = &cases[g[0]].spec;
            let r = catch_unwind(AssertUnwindSafe(|| -> vi_core::Result<()> {
                let vi_core::PreparedRun { mut problem, mut solver, .. } = spec.prepare()?;
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

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

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
}

impl SuiteOptions {
    /// Defaults: one job, no shard, no resume, no progress bar.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self { out: out.into(), jobs: 1, shard: None, resume: false, progress: false, note_capped_jobs: true }
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
}

/// Name of the results file inside the output directory.
pub const RESULTS_FILE: &str = "results.jsonl";

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
    let recorded = recorded_ids(&results)?;
    if !opts.resume && !recorded.is_empty() {
        return Err(BenchError::Usage(format!(
            "{} already holds {} runs; pass --resume to continue it, or choose another --out",
            results.display(),
            recorded.len()
        )));
    }
    let todo: Vec<&Case> = selected.iter().copied().filter(|c| !recorded.contains(&c.id)).collect();
    let already_recorded = selected.len() - todo.len();
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

    let file = OpenOptions::new().create(true).append(true).open(&results).map_err(|e| BenchError::io(&results, e))?;
    let writer = Mutex::new(file);
    let write_error: Mutex<Option<BenchError>> = Mutex::new(None);
    let abort = AtomicBool::new(false);
    let bar = progress_bar(todo.len() as u64, opts.progress);
    let ran_lines: Vec<Option<(String, String)>> = pool.install(|| {
        todo.par_iter()
            .map(|case| {
                if abort.load(Ordering::Relaxed) {
                    return None;
                }
                let (line, status) = run_case(case, verdicts[case.index].as_deref());
                let mut w = writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let res = w.write_all(format!("{line}\n").as_bytes()).and_then(|()| w.flush());
                drop(w);
                if let Err(e) = res {
                    abort.store(true, Ordering::Relaxed);
                    write_error
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .get_or_insert(BenchError::io(&results, e));
                    return None;
                }
                bar.set_message(format!("{status}: {} x {}", case.problem_label, case.solver_label));
                bar.inc(1);
                Some((case.id.clone(), status))
            })
            .collect()
    });
    bar.finish_and_clear();
    if let Some(e) = write_error.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
        return Err(e);
    }
    let mut statuses = BTreeMap::new();
    let mut ran = Vec::new();
    for (id, status) in ran_lines.into_iter().flatten() {
        *statuses.entry(status).or_insert(0) += 1;
        ran.push(id);
    }
    let summary = crate::report::generate(std::slice::from_ref(&results), &opts.out, &spec.name)?;
    Ok(SuiteOutcome {
        total_cases: cases.len(),
        shard_cases: selected.len(),
        already_recorded,
        jobs,
        ran,
        statuses,
        results,
        summary,
        elapsed_s: t0.elapsed().as_secs_f64(),
    })
}

fn progress_bar(len: u64, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{elapsed_precise} [{bar:20}] {pos}/{len} ETA {eta} {wide_msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Largest number of trace points written per run.
pub const MAX_TRACE_POINTS: usize = 500;

/// Runs one case (catching panics) and returns its JSON line and status.
fn run_case(case: &Case, skip: Option<&str>) -> (String, String) {
    let base = |status: &str, message: String| {
        json!({
            "case_id": case.id,
            "case_index": case.index,
            "problem": case.spec.problem,
            "solver": case.spec.solver,
            "problem_label": case.problem_label,
            "solver_label": case.solver_label,
            "seed": case.spec.seed,
            "params": {
                "problem": case.spec.problem_params,
                "solver": case.spec.solver_params,
                "run": case.spec.config,
            },
            "status": status,
            "message": message,
        })
    };
    if let Some(reason) = skip {
        return (base("Skipped", reason.to_string()).to_string(), "Skipped".into());
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| case.spec.run()));
    let value = match outcome {
        Ok(Ok(report)) => {
            let mut v = crate::output::report_json_value(&report);
            let pts = crate::plot::thin(&report.trace, MAX_TRACE_POINTS);
            if let Value::Object(m) = &mut v {
                m.insert("case_id".into(), json!(case.id));
                m.insert("case_index".into(), json!(case.index));
                m.insert("problem_label".into(), json!(case.problem_label));
                m.insert("solver_label".into(), json!(case.solver_label));
                m.insert(
                    "trace".into(),
                    json!({
                        "iteration": pts.iter().map(|t| t.iteration).collect::<Vec<_>>(),
                        "oracle_calls": pts.iter().map(|t| t.oracle_calls).collect::<Vec<_>>(),
                        "residual": pts.iter().map(|t| t.residual).collect::<Vec<_>>(),
                    }),
                );
            }
            v
        }
        Ok(Err(e)) => base("Error", e.to_string()),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic payload)".into());
            base("Panicked", format!("panicked: {msg}"))
        }
    };
    let status = value.get("status").and_then(Value::as_str).unwrap_or("Error").to_string();
    (value.to_string(), status)
}

/// Ids of the cases recorded in a results file (empty if it does not exist). A last line cut
/// short by a killed process is removed from the file, so its case runs again.
///
/// # Errors
/// An unreadable or unwritable file.
pub fn recorded_ids(path: &Path) -> Result<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(BenchError::io(path, e)),
    };
    // Bytes, not text: a line cut inside a multi-byte character must not make the whole file
    // unreadable. Lines are decoded one by one.
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|e| BenchError::io(path, e))?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let tail = &bytes[complete..];
    if !tail.iter().all(u8::is_ascii_whitespace) {
        if std::str::from_utf8(tail).is_ok_and(|t| serde_json::from_str::<Value>(t).is_ok()) {
            // A whole record without its newline: keep it, end the line.
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
    for line in bytes.split(|&b| b == b'\n').filter_map(|l| std::str::from_utf8(l).ok()) {
        if let Ok(v) = serde_json::from_str::<Value>(line) {
            if let Some(id) = v.get("case_id").and_then(Value::as_str) {
                ids.insert(id.to_string());
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn case_ids_ignore_key_order_and_see_every_field() {
        let mut a = RunSpec { problem: "p".into(), solver: "s".into(), ..RunSpec::default() };
        a.problem_params.insert("m".into(), json!(3));
        a.problem_params.insert("cond".into(), json!(2.0));
        let mut b = RunSpec { problem: "p".into(), solver: "s".into(), ..RunSpec::default() };
        b.problem_params.insert("cond".into(), json!(2.0));
        b.problem_params.insert("m".into(), json!(3));
        assert_eq!(case_id(&a), case_id(&b));
        assert_eq!(case_id(&a).len(), 16);
        let mut c = b.clone();
        c.seed = 1;
        assert_ne!(case_id(&b), case_id(&c));
        let mut d = b.clone();
        d.config.max_calls = Some(10);
        assert_ne!(case_id(&b), case_id(&d));
        let mut e = b.clone();
        e.solver_params.insert("step".into(), json!(0.1));
        assert_ne!(case_id(&b), case_id(&e));
    }

    #[test]
    fn grids_expand_to_the_cross_product_last_key_fastest() {
        let e = EntrySpec::new("p", Map::from_iter([("n".to_string(), json!(4))]))
            .with_grid("m", vec![json!(1), json!(2)])
            .with_grid("cond", vec![json!("a"), json!("b"), json!("c")]);
        let pts = e.expand();
        assert_eq!(pts.len(), 6);
        let labels: Vec<String> = pts.iter().map(|p| label("p", p)).collect();
        assert_eq!(labels[0], "p(cond=a, m=1, n=4)");
        assert_eq!(labels[1], "p(cond=a, m=2, n=4)");
        assert_eq!(labels[5], "p(cond=c, m=2, n=4)");
    }

    #[test]
    fn shards_partition_the_indices() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard::parse(&format!("{i}/3")).unwrap()).collect();
        for k in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(k)).count(), 1);
        }
        assert!(shards[0].contains(0) && shards[1].contains(1) && shards[2].contains(5));
    }
}
