//! The plugin registry: problems and solvers register themselves with [`inventory`] under a
//! unique kebab-case name, with a one-line summary, typed parameters with defaults and a build
//! function.
//!
//! Lookups go through one sorted, duplicate-checked map built once ([`registry`]). Unknown
//! names and unknown or ill-typed parameters are rejected with the list of valid choices.
//!
//! # Registering your own problem
//!
//! ```
//! use vi_core::{register_problem, BuildContext, Checked, FnOperator, Problem, Result};
//!
//! vi_core::params! {
//!     /// Parameters of the scalar bilinear game `x * y` scaled by `a`.
//!     struct ScaledXy {
//!         /// the scale of the game
//!         a: f64 = 1.0, positive();
//!     }
//! }
//!
//! fn build(p: Checked<ScaledXy>, _ctx: &BuildContext) -> Result<Problem> {
//!     let a = p.a;
//!     let op = FnOperator::new(2, move |z, mut out| { out[0] = a * z[1]; out[1] = -a * z[0]; })
//!         .with_lipschitz(a);
//!     Problem::unconstrained("doc-scaled-xy", Box::new(op), faer::Col::from_fn(2, |_| 1.0))
//! }
//!
//! register_problem!("doc-scaled-xy", "the game a*x*y", ScaledXy, build);
//!
//! let p = vi_core::build_problem("doc-scaled-xy", &serde_json::json!({"a": 2.0}), 0).unwrap();
//! assert_eq!(p.lipschitz(), Some(2.0));
//! ```

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::defaults::{Applied, Budget, RunDefaults};
use crate::error::{Error, Result};
use crate::params::{parse_params, ParamInfo, Params};
use crate::problem::Problem;
use crate::runner::{Report, RunConfig, Runner};
use crate::solver::{Method, Solver};

/// Seed and other context given to build functions.
///
/// The seed is read through [`BuildContext::seed`] (or passed on as a [`Seed`]), which records
/// the read: a problem or solver that never reads it is deterministic, and the harness runs it
/// once instead of once per seed ([`RunSpec::uses_seed`]). Read it only where randomness is
/// actually drawn (e.g. only for the random preset of a problem).
#[derive(Clone, Debug, Default)]
pub struct BuildContext {
    seed: u64,
    read: Cell<bool>,
}

impl BuildContext {
    /// A context for the run seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self { seed, read: Cell::new(false) }
    }

    /// The run's seed (random problem data and stochastic oracles derive from it); records the read.
    pub fn seed(&self) -> u64 {
        self.read.set(true);
        self.seed
    }

    /// Whether a build function read the seed.
    pub fn seed_was_read(&self) -> bool {
        self.read.get()
    }
}

/// Where a seed comes from: a plain number (tests, direct API use) or a [`BuildContext`], whose
/// read is then recorded only when the data generator actually draws from it.
pub trait Seed {
    /// The seed value.
    fn get(self) -> u64;
}

impl Seed for u64 {
    fn get(self) -> u64 {
        self
    }
}

impl Seed for &BuildContext {
    fn get(self) -> u64 {
        self.seed()
    }
}

/// A registered problem.
pub struct ProblemEntry {
    /// Unique kebab-case name.
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Its parameters with defaults.
    pub params: fn() -> Vec<ParamInfo>,
    /// Builds the problem from a JSON object of parameter overrides (validated).
    pub build: fn(&Map<String, Value>, &BuildContext) -> Result<Problem>,
    /// The run defaults its claims are made with, from the same overrides (see [`crate::defaults`]).
    pub defaults: fn(&Map<String, Value>) -> Result<RunDefaults>,
}

/// A registered solver.
pub struct SolverEntry {
    /// Unique kebab-case name.
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Its parameters with defaults.
    pub params: fn() -> Vec<ParamInfo>,
    /// Builds the solver from a JSON object of parameter overrides (validated); returns it with
    /// its resolved parameters.
    pub build: SolverBuildFn,
}

/// The build function of a [`SolverEntry`]: parameter overrides in, the solver and its resolved
/// parameters out.
pub type SolverBuildFn = fn(&Map<String, Value>, &BuildContext) -> Result<(Box<dyn Solver>, Value)>;

inventory::collect!(ProblemEntry);
inventory::collect!(SolverEntry);

/// The name-sorted, duplicate-checked view of every registration in the final binary.
pub struct Registry {
    problems: BTreeMap<&'static str, &'static ProblemEntry>,
    solvers: BTreeMap<&'static str, &'static SolverEntry>,
}

impl Registry {
    /// Registered problems, sorted by name.
    pub fn problems(&self) -> impl Iterator<Item = &'static ProblemEntry> + '_ {
        self.problems.values().copied()
    }
    /// Registered solvers, sorted by name.
    pub fn solvers(&self) -> impl Iterator<Item = &'static SolverEntry> + '_ {
        self.solvers.values().copied()
    }
    /// The problem registered as `name`.
    ///
    /// # Errors
    /// [`Error::UnknownName`] listing the valid names.
    pub fn problem(&self, name: &str) -> Result<&'static ProblemEntry> {
        self.problems.get(name).copied().ok_or_else(|| Error::UnknownName {
            kind: "problem",
            name: name.to_string(),
            valid: join(self.problems.keys()),
        })
    }
    /// The solver registered as `name`.
    ///
    /// # Errors
    /// [`Error::UnknownName`] listing the valid names.
    pub fn solver(&self, name: &str) -> Result<&'static SolverEntry> {
        self.solvers.get(name).copied().ok_or_else(|| Error::UnknownName {
            kind: "solver",
            name: name.to_string(),
            valid: join(self.solvers.keys()),
        })
    }
}

fn join<'a>(it: impl Iterator<Item = &'a &'static str>) -> String {
    let v: Vec<&str> = it.copied().collect();
    if v.is_empty() {
        "(none: is the plugin crate linked? add `use vi_solvers as _; use vi_problems as _;`)".into()
    } else {
        v.join(", ")
    }
}

/// The registry, built once on first use.
///
/// # Errors
/// [`Error::DuplicateName`] when two crates registered the same name.
pub fn registry() -> Result<&'static Registry> {
    static REG: OnceLock<std::result::Result<Registry, (&'static str, &'static str)>> = OnceLock::new();
    let r = REG.get_or_init(|| {
        crate::linalg::sequential_faer();
        let mut problems = BTreeMap::new();
        for e in inventory::iter::<ProblemEntry> {
            if problems.insert(e.name, e).is_some() {
                return Err(("problem", e.name));
            }
        }
        let mut solvers = BTreeMap::new();
        for e in inventory::iter::<SolverEntry> {
            if solvers.insert(e.name, e).is_some() {
                return Err(("solver", e.name));
            }
        }
        Ok(Registry { problems, solvers })
    });
    r.as_ref().map_err(|(kind, name)| Error::DuplicateName { kind, name: name.to_string() })
}

/// Builds the problem `name` with parameter overrides (a JSON object or `null`) and a seed.
///
/// The generic parameter `start` (an array) is accepted by every problem and replaces the
/// problem's own starting point.
///
/// # Errors
/// Unknown name, unknown or ill-typed parameter, invalid value, wrong dimension of `start`.
pub fn build_problem(name: &str, params: &Value, seed: u64) -> Result<Problem> {
    build_problem_in(name, params, &BuildContext::new(seed))
}

/// [`build_problem`] with a given context (to learn afterwards whether the seed was read).
///
/// # Errors
/// As [`build_problem`].
pub fn build_problem_in(name: &str, params: &Value, ctx: &BuildContext) -> Result<Problem> {
    let entry = registry()?.problem(name)?;
    let mut map = as_object("problem", name, params)?;
    let start = map.remove("start");
    let mut p = (entry.build)(&map, ctx)?;
    let mut resolved = match p.params().clone() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Some(s) = start {
        let v: Vec<f64> = serde_json::from_value(s.clone()).map_err(|e| {
            Error::param(format!("problem {name}"), "start", format!("must be an array of numbers: {e} (got {s})"))
        })?;
        p.set_start(crate::linalg::col_from_slice(&v).as_ref())?;
        resolved.insert("start".into(), s);
    }
    Ok(p.with_params(Value::Object(resolved)))
}

/// The run defaults of problem `name` with parameter overrides `params` (a JSON object; the
/// generic `start` is ignored here).
///
/// # Errors
/// Unknown problem, unknown or invalid parameter (as building it would report).
pub fn problem_defaults(name: &str, params: &Map<String, Value>) -> Result<RunDefaults> {
    let entry = registry()?.problem(name)?;
    let mut map = params.clone();
    map.remove("start");
    (entry.defaults)(&map)
}

/// Builds the solver `name` with parameter overrides; returns it with its resolved parameters.
///
/// # Errors
/// Unknown name, unknown or ill-typed parameter, invalid value.
pub fn build_solver(name: &str, params: &Value, seed: u64) -> Result<(Box<dyn Solver>, Value)> {
    build_solver_in(name, params, &BuildContext::new(seed))
}

/// [`build_solver`] with a given context (a continuation method builds its inner solver in its
/// own context, so the inner solver's use of the seed is recorded).
///
/// # Errors
/// As [`build_solver`].
pub fn build_solver_in(name: &str, params: &Value, ctx: &BuildContext) -> Result<(Box<dyn Solver>, Value)> {
    let entry = registry()?.solver(name)?;
    let map = as_object("solver", name, params)?;
    (entry.build)(&map, ctx)
}

fn as_object(kind: &str, name: &str, v: &Value) -> Result<Map<String, Value>> {
    match v {
        Value::Null => Ok(Map::new()),
        Value::Object(m) => Ok(m.clone()),
        other => Err(Error::Config(format!(
            "parameters of {kind} `{name}` must be an object of key = value pairs, got {other}"
        ))),
    }
}

/// Everything that defines one run by name: what `vi-bench run` and every suite case build.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSpec {
    /// Registered problem name.
    pub problem: String,
    /// Registered solver name.
    pub solver: String,
    /// Problem parameter overrides (JSON object).
    pub problem_params: Map<String, Value>,
    /// Solver parameter overrides (JSON object).
    pub solver_params: Map<String, Value>,
    /// Seed.
    pub seed: u64,
    /// Stopping rules.
    pub config: RunConfig,
}

impl RunSpec {
    /// Builds the problem and solver through the registry and runs them.
    ///
    /// # Errors
    /// Bad names, parameters or configuration; never for how the run ended.
    pub fn run(&self) -> Result<Report> {
        self.prepare()?.run()
    }

    /// Checks the configuration and builds the problem and the solver, once: the run as it
    /// will be made, whose report is complete (seed and resolved parameters included).
    ///
    /// # Errors
    /// Bad names, parameters or configuration.
    pub fn prepare(&self) -> Result<PreparedRun> {
        let runner = Runner::new(self.config.clone())?;
        let problem = build_problem(&self.problem, &Value::Object(self.problem_params.clone()), self.seed)?;
        let (solver, solver_params) =
            build_solver(&self.solver, &Value::Object(self.solver_params.clone()), self.seed)?;
        Ok(PreparedRun { problem, solver, runner: runner.with_identity(self.seed, solver_params) })
    }

    /// Resolves the spec before building: `self.config` is the base configuration and
    /// `self.solver_params` the solver parameters the user set; `given` holds the stopping rules
    /// the user chose. With `problem_defaults`, the problem's declared [`RunDefaults`] are merged
    /// between the two (see [`crate::defaults`]); without, `given` is applied to the base.
    /// Returns the resolved spec and what came from the problem.
    ///
    /// # Errors
    /// Unknown problem or solver, or invalid problem parameters.
    pub fn resolve(mut self, given: &Budget, problem_defaults: bool) -> Result<(Self, Applied)> {
        if !problem_defaults {
            self.config = given.apply(self.config);
            return Ok((self, Applied::default()));
        }
        let defaults = self::problem_defaults(&self.problem, &self.problem_params)?;
        let keys: Vec<String> = (registry()?.solver(&self.solver)?.params)().into_iter().map(|p| p.name).collect();
        let (config, params, applied) =
            crate::defaults::merge(&defaults, self.config, given, &self.solver_params, &keys);
        self.config = config;
        self.solver_params = params;
        Ok((self, applied))
    }

    /// Whether the run depends on its seed: builds the problem and the solver and reports
    /// whether either read the seed (all randomness of a run flows from it, see
    /// [`BuildContext`]). A spec that does not use its seed gives the same numbers for every seed.
    ///
    /// # Errors
    /// As [`RunSpec::prepare`].
    pub fn uses_seed(&self) -> Result<bool> {
        let (pc, sc) = (BuildContext::new(self.seed), BuildContext::new(self.seed));
        build_problem_in(&self.problem, &Value::Object(self.problem_params.clone()), &pc)?;
        build_solver_in(&self.solver, &Value::Object(self.solver_params.clone()), &sc)?;
        Ok(pc.seed_was_read() || sc.seed_was_read())
    }
}

/// A run built and checked by [`RunSpec::prepare`]: its problem and solver stay available
/// after the run (for samples of the final iterate, plots of the problem's geometry...).
pub struct PreparedRun {
    /// The problem.
    pub problem: Problem,
    /// The solver.
    pub solver: Box<dyn Solver>,
    runner: Runner,
}

impl PreparedRun {
    /// Runs the solver on the problem.
    ///
    /// # Errors
    /// Only configuration the solver rejects at `init`; how the run ended is in the report.
    pub fn run(&mut self) -> Result<Report> {
        self.runner.run(&mut self.problem, self.solver.as_mut())
    }

    /// As [`PreparedRun::run`], calling every observer at each residual check.
    ///
    /// # Errors
    /// As [`PreparedRun::run`].
    pub fn run_observed(&mut self, observers: &mut [&mut dyn crate::runner::Observer]) -> Result<Report> {
        self.runner.run_observed(&mut self.problem, self.solver.as_mut(), observers)
    }

    /// The stopping rules.
    pub fn config(&self) -> &RunConfig {
        self.runner.config()
    }

    /// Ends the run with [`crate::Status::Stopped`] once `flag` is set, from another thread
    /// (see [`Runner::with_stop`]).
    #[must_use]
    pub fn with_stop(mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.runner = self.runner.with_stop(flag);
        self
    }
}

/// Where a `--set` assignment goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `problem.key=value`.
    Problem,
    /// `solver.key=value`.
    Solver,
}

/// Parses `problem.key=value` or `solver.key=value`. The value is read as JSON (numbers,
/// booleans, arrays such as `[1,1]`, quoted strings) and otherwise taken as a plain string.
///
/// # Errors
/// [`Error::Parse`] for a missing `=` or an unknown prefix.
pub fn parse_assignment(s: &str) -> Result<(Target, String, Value)> {
    let (lhs, rhs) = s.split_once('=').ok_or_else(|| Error::Parse {
        input: s.into(),
        reason: "expected problem.KEY=VALUE or solver.KEY=VALUE".into(),
    })?;
    let (target, key) = match lhs.trim().split_once('.') {
        Some(("problem", k)) => (Target::Problem, k),
        Some(("solver", k)) => (Target::Solver, k),
        _ => {
            return Err(Error::Parse {
                input: s.into(),
                reason: "the key must start with `problem.` or `solver.` (e.g. problem.n=10, solver.step=0.1)".into(),
            })
        }
    };
    if key.is_empty() {
        return Err(Error::Parse { input: s.into(), reason: "empty parameter name".into() });
    }
    let rhs = rhs.trim();
    let value = serde_json::from_str(rhs).unwrap_or_else(|_| Value::String(rhs.to_string()));
    Ok((target, key.to_string(), value))
}

/// Registers a problem: `register_problem!(name, summary, ParamsType, build_fn)` where
/// `build_fn: fn(Checked<ParamsType>, &BuildContext) -> Result<Problem>`, optionally followed
/// by `defaults = defaults_fn` with `defaults_fn: fn(&ParamsType) -> RunDefaults`: the run
/// defaults its claims are made with (see [`crate::defaults`]).
#[macro_export]
macro_rules! register_problem {
    ($name:expr, $summary:expr, $params:ty, $build:path $(,)?) => {
        $crate::register_problem!(
            $name,
            $summary,
            $params,
            $build,
            defaults = $crate::registry::no_defaults::<$params>
        );
    };
    ($name:expr, $summary:expr, $params:ty, $build:path, defaults = $defaults:path $(,)?) => {
        $crate::inventory::submit! {
            $crate::ProblemEntry {
                name: $name,
                summary: $summary,
                params: <$params as $crate::Params>::table,
                build: |map, ctx| {
                    let p = $crate::params::parse_params::<$params>("problem", $name, map)?;
                    let resolved = $crate::Params::to_json(&*p);
                    Ok($build(p, ctx)?.with_params(resolved))
                },
                defaults: |map| {
                    let p = $crate::params::parse_params::<$params>("problem", $name, map)?;
                    Ok($defaults(&p))
                },
            }
        }
    };
}

/// The run defaults of a problem that declares none.
pub fn no_defaults<P>(_: &P) -> RunDefaults {
    RunDefaults::default()
}

/// Registers a solver type through its [`Method`] implementation: `register_solver!(MySolver);`.
#[macro_export]
macro_rules! register_solver {
    ($ty:ty $(,)?) => {
        $crate::inventory::submit! {
            $crate::SolverEntry {
                name: <$ty as $crate::Method>::NAME,
                summary: <$ty as $crate::Method>::SUMMARY,
                params: <<$ty as $crate::Method>::Params as $crate::Params>::table,
                build: $crate::registry::build_method::<$ty>,
            }
        }
    };
}

/// The [`SolverEntry::build`] of a [`Method`]: parses and checks its parameters, then builds it.
///
/// # Errors
/// Unknown or invalid parameters, or the method's own build error.
pub fn build_method<M: Method>(map: &Map<String, Value>, ctx: &BuildContext) -> Result<(Box<dyn Solver>, Value)> {
    let p = parse_params::<M::Params>("solver", M::NAME, map)?;
    let resolved = p.to_json();
    Ok((Box::new(M::build(p, ctx)?), resolved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_parse_as_json_or_string() {
        assert_eq!(parse_assignment("problem.n=10").unwrap(), (Target::Problem, "n".into(), serde_json::json!(10)));
        assert_eq!(
            parse_assignment("solver.step=auto").unwrap(),
            (Target::Solver, "step".into(), serde_json::json!("auto"))
        );
        assert_eq!(parse_assignment("problem.start=[1,1]").unwrap().2, serde_json::json!([1, 1]));
        assert!(parse_assignment("n=10").unwrap_err().to_string().contains("problem."));
        assert!(parse_assignment("problem.n").is_err());
    }
}
