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
//! diagnose = "solution"     # default "none": the Jacobian's spectrum at "solution" or "start"
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
//! diagnose = "none"                           # optional override for this problem
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
//! - Seeds only where they matter: a (problem, solver) configuration whose problem and solver
//!   never read the seed ([`vi_core::RunSpec::uses_seed`]) runs with its entry's first seed
//!   only, keeps the case id it has with that seed, is recorded with `uses_seed = false` and
//!   shown as `deterministic`; a problem configuration with such a row is one test problem in
//!   the performance profile, not one per seed.
//! - `diagnose = "solution"` (or `"start"`; per problem entry or for the whole suite) records
//!   the spectral summary of the Jacobian at that point in every record of the problem
//!   configuration (`jacobian`: `mu`, `lipschitz`, `phase_factor`, `conditioning_factor`,
//!   `smallest_eigenvalues`, docs/math.md §5.1), and `summary.md` shows them in a table of the
//!   problem configurations beside each solver's iterations to tolerance. A problem without a
//!   known solution, or above [`jacobian::MAX_DIM`] dimensions, makes the case invalid.
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
//! registered problem (with the small sizes it declares for the default suite,
//! [`vi_core::SuiteDefaults`]) times every registered solver (default parameters), seeds 0, 1,
//! 2 (one for a configuration that reads no seed), `tol = 1e-6`, at most 100000 oracle calls and
//! 20 s per run, under each problem's declared run defaults and over them the budget it declares
//! for the default suite (the MLP GAN: 5000 calls and 30 s). Cases that cannot be built with defaults (e.g. a stochastic
//! method on a problem that is not a finite sum) are recorded as `Skipped` with the reason.
//!
//! # Outputs (in `--out DIR`)
//!
//! - `results.jsonl`: one [`crate::record::RunRecord`] per line and per run, appended and
//!   flushed as each run ends: the fields of `vi-bench run --json` plus `case_id` (16 hex
//!   digits: FNV-1a 64 of the canonical JSON of problem, problem parameters, solver, solver
//!   parameters, seed and budget), `case_index`, `problem_label`, `solver_label` and `trace`, a
//!   compact convergence trace `{"iteration": [...], "oracle_calls": [...], "residual": [...]}`
//!   (at most 500 points). Besides the [`vi_core::Status`] values, `status` may be `Panicked`
//!   (the problem or solver panicked; `message` holds the panic message), `Error` (the run
//!   returned an error) or `Skipped` (an invalid case in a suite with `skip_invalid`); those
//!   lines carry no numbers.
//! - `summary.md` and `figures/*.svg`: see [`crate::report`].
//!
//! `--jobs N` is capped at the number of cases to run and at [`MAX_JOBS_PER_CORE`] per CPU
//! core, with a note on stderr. The progress line and its cost-weighted ETA: [`progress`].
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
//!
//! # Modules
//!
//! One job each, in the order of a run: [`spec`] (the suite file or the default suite),
//! [`cases`] (expansion into cases with ids, shards), [`mod@validate`] (every case checked before
//! anything runs), [`runner`] (the parallel runner) with [`progress`] and [`jacobian`]; the
//! records they write are [`crate::record`], the summary [`crate::report`].

use std::path::PathBuf;

use clap::Args;

pub use vi_core::Budget;

use crate::error::{BenchError, Result};

pub mod cases;
pub mod jacobian;
pub mod progress;
pub mod runner;
pub mod spec;
pub mod validate;

pub use cases::{case_id, fnv1a64, label, uses_seed, Case, Shard};
pub use progress::progress_wanted;
pub use runner::{capped_jobs, cpu_cores, run_suite, SuiteOptions, SuiteOutcome, MAX_JOBS_PER_CORE};
pub use spec::{
    EntrySpec, JacobianAt, SuiteSpec, DEFAULT_MAX_CALLS, DEFAULT_SEEDS, DEFAULT_TIME_LIMIT, DEFAULT_TRACE_EVERY,
    MAX_CASES, MAX_SUITE_FILE_BYTES,
};
pub use validate::validate;

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
    #[arg(long, value_name = "I/N", allow_hyphen_values = true, value_parser = cases::shard_arg)]
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
            let once = if c.uses_seed { "" } else { " (deterministic: this seed only)" };
            println!(
                "{:>6} {} {} x {} seed {}{once}{skip}",
                c.index, c.id, c.problem_label, c.solver_label, c.spec.seed
            );
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
        stop: None,
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
