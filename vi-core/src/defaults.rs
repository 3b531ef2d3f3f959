//! Run defaults declared by a problem: the budget, monitoring interval and solver settings its
//! claims are made with, merged *under* whatever the user chose.
//!
//! A problem whose results need more than the engine-wide defaults (an MLP GAN trained with Adam
//! scaling for 40 000 iterations, monitored every 4 000) declares them once, beside its
//! registration ([`register_problem!`](crate::register_problem) with `defaults = f`). Then the
//! obvious command (`vi-bench run --problem NAME --solver S`) reproduces the claim, and `list`
//! shows what it uses.
//!
//! The layers, lowest first (a later layer wins field by field):
//!
//! 1. the engine's [`RunConfig::default`] (or a suite's base budget),
//! 2. the problem's [`RunDefaults`] (computed from its parameters),
//! 3. what the user gave: `--tol`, `--max-calls`, ..., a suite file's `[budget]`, and every
//!    solver parameter set by `--set solver.KEY=...` or in a suite entry.
//!
//! Solver settings come in groups; a group applies only to a solver that declares every key in
//! it (so Adam settings reach `eftp` and `extragradient`, not `agraal`), and within a group a key
//! the user set keeps the user's value. `--no-problem-defaults` (CLI), `problem_defaults = false`
//! (suite file) and `problem_defaults=False` (Python) turn layer 2 off.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Result;
use crate::runner::RunConfig;

/// Partial stopping rules: every given field overrides the one of [`RunConfig`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Budget {
    /// Tolerance on the natural residual.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tol: Option<f64>,
    /// Iteration limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_iters: Option<u64>,
    /// Oracle-call budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_calls: Option<u64>,
    /// Wall-time limit per run, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<f64>,
    /// Residual check interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_every: Option<u64>,
    /// Trace interval (iterations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_every: Option<u64>,
    /// Divergence threshold factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub divergence_factor: Option<f64>,
}

impl Budget {
    /// `cfg` with every given field of `self` applied.
    #[must_use]
    pub fn apply(&self, mut cfg: RunConfig) -> RunConfig {
        if let Some(v) = self.tol {
            cfg.tol = v;
        }
        if let Some(v) = self.max_iters {
            cfg.max_iters = v;
        }
        if self.max_calls.is_some() {
            cfg.max_calls = self.max_calls;
        }
        if self.time_limit.is_some() {
            cfg.time_limit = self.time_limit;
        }
        if let Some(v) = self.check_every {
            cfg.check_every = v;
        }
        if let Some(v) = self.trace_every {
            cfg.trace_every = v;
        }
        if let Some(v) = self.divergence_factor {
            cfg.divergence_factor = v;
        }
        cfg
    }

    /// `self` with every given field of `over` replacing its own.
    #[must_use]
    pub fn then(&self, over: &Budget) -> Budget {
        Budget {
            tol: over.tol.or(self.tol),
            max_iters: over.max_iters.or(self.max_iters),
            max_calls: over.max_calls.or(self.max_calls),
            time_limit: over.time_limit.or(self.time_limit),
            check_every: over.check_every.or(self.check_every),
            trace_every: over.trace_every.or(self.trace_every),
            divergence_factor: over.divergence_factor.or(self.divergence_factor),
        }
    }

    /// Checks the given fields against the ranges of [`RunConfig::validate`].
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the field.
    pub fn validate(&self) -> Result<()> {
        self.apply(RunConfig::default()).validate()
    }

    /// True when no field is given.
    pub fn is_empty(&self) -> bool {
        *self == Budget::default()
    }

    /// The given fields as `key=value` words, sorted by name.
    pub fn words(&self) -> Vec<String> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            _ => Vec::new(),
        }
    }
}

/// What a problem declares its claims are made with (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunDefaults {
    /// Stopping rules, under the user's.
    #[serde(skip_serializing_if = "Budget::is_empty")]
    pub budget: Budget,
    /// Groups of solver settings; a group applies to a solver that declares all its keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub solver: Vec<Map<String, Value>>,
    /// One line: the claim these settings reproduce.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// How the problem enters the built-in default suite (not a run default).
    #[serde(skip_serializing_if = "SuiteDefaults::is_empty")]
    pub default_suite: SuiteDefaults,
}

impl RunDefaults {
    /// True when the problem declares no run default (its default-suite entry aside).
    pub fn is_empty(&self) -> bool {
        self.budget.is_empty() && self.solver.is_empty()
    }

    /// Only a default-suite entry: parameter overrides (JSON object) and budget overrides.
    pub fn suite_only(params: Value, budget: Budget) -> Self {
        let params = match params {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        Self { default_suite: SuiteDefaults { params, budget }, ..Self::default() }
    }
}

/// How a problem enters the built-in default suite (`vi-bench suite` without a file): parameter
/// overrides that keep it small, so the whole suite runs in minutes, and budget overrides over
/// the suite's own. Declared by the problem, beside its run defaults, so the harness names no
/// problem.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SuiteDefaults {
    /// Parameter overrides (e.g. `{"m": 10, "n": 10}`).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
    /// Budget overrides.
    #[serde(skip_serializing_if = "Budget::is_empty")]
    pub budget: Budget,
}

impl SuiteDefaults {
    /// True when the problem enters the default suite as it is.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty() && self.budget.is_empty()
    }
}

/// What [`merge`] took from the problem's defaults: `key=value` words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Stopping rules taken from the problem (the user gave none for them).
    pub budget: Vec<String>,
    /// Solver parameters taken from the problem (the user set none of them).
    pub solver: Vec<String>,
}

impl Applied {
    /// True when nothing was taken.
    pub fn is_empty(&self) -> bool {
        self.budget.is_empty() && self.solver.is_empty()
    }

    /// One line for stderr, e.g. `gan-mixture's run defaults: max_iters=40000 ...; solver: precond="adam" ...`.
    pub fn describe(&self, problem: &str) -> String {
        let mut parts = Vec::new();
        if !self.budget.is_empty() {
            parts.push(self.budget.join(" "));
        }
        if !self.solver.is_empty() {
            parts.push(format!("solver {}", self.solver.join(" ")));
        }
        format!("{problem}'s run defaults: {}", parts.join("; "))
    }
}

/// Merges `defaults` under the user's choices.
///
/// `base` is the configuration before any problem default (engine or suite base), `given` the
/// stopping rules the user chose, `solver_params` the solver parameters the user set (taken
/// key by key over the defaults) and `solver_keys` the parameters the solver declares.
/// Returns the configuration, the merged solver parameters and what was taken.
pub fn merge(
    defaults: &RunDefaults,
    base: RunConfig,
    given: &Budget,
    solver_params: &Map<String, Value>,
    solver_keys: &[String],
) -> (RunConfig, Map<String, Value>, Applied) {
    let mut applied = Applied::default();
    let from_problem = Budget {
        tol: defaults.budget.tol.filter(|_| given.tol.is_none()),
        max_iters: defaults.budget.max_iters.filter(|_| given.max_iters.is_none()),
        max_calls: defaults.budget.max_calls.filter(|_| given.max_calls.is_none()),
        time_limit: defaults.budget.time_limit.filter(|_| given.time_limit.is_none()),
        check_every: defaults.budget.check_every.filter(|_| given.check_every.is_none()),
        trace_every: defaults.budget.trace_every.filter(|_| given.trace_every.is_none()),
        divergence_factor: defaults.budget.divergence_factor.filter(|_| given.divergence_factor.is_none()),
    };
    applied.budget = from_problem.words();
    let config = given.apply(from_problem.apply(base));
    let mut params = solver_params.clone();
    for group in &defaults.solver {
        if !group.keys().all(|k| solver_keys.iter().any(|s| s == k)) {
            continue;
        }
        for (k, v) in group {
            if !params.contains_key(k) {
                params.insert(k.clone(), v.clone());
                applied.solver.push(format!("{k}={v}"));
            }
        }
    }
    (config, params, applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn recipe() -> RunDefaults {
        RunDefaults {
            budget: Budget { tol: Some(0.0), max_iters: Some(40_000), check_every: Some(4_000), ..Budget::default() },
            solver: vec![obj(json!({"precond": "adam", "step": 1e-4})), obj(json!({"restarts": 3}))],
            note: "claim".into(),
            ..RunDefaults::default()
        }
    }

    #[test]
    fn the_user_wins_field_by_field_and_groups_need_every_key() {
        let keys: Vec<String> = ["step", "precond", "beta1"].iter().map(|s| s.to_string()).collect();
        let given = Budget { max_iters: Some(10), ..Budget::default() };
        let user = obj(json!({"step": 0.5}));
        let (cfg, params, applied) = merge(&recipe(), RunConfig::default(), &given, &user, &keys);
        assert_eq!((cfg.tol, cfg.max_iters, cfg.check_every), (0.0, 10, 4_000));
        assert_eq!(cfg.max_calls, None);
        // The user's step stays; precond comes from the group; `restarts` is not a key of this solver.
        assert_eq!(params, obj(json!({"step": 0.5, "precond": "adam"})));
        assert_eq!(applied.budget, vec!["check_every=4000", "tol=0.0"]);
        assert_eq!(applied.solver, vec!["precond=\"adam\""]);
    }

    #[test]
    fn a_solver_without_the_keys_gets_only_the_budget() {
        let keys = vec!["step".to_string()];
        let (cfg, params, applied) = merge(&recipe(), RunConfig::default(), &Budget::default(), &Map::new(), &keys);
        assert_eq!(cfg.max_iters, 40_000);
        assert!(params.is_empty());
        assert!(applied.solver.is_empty());
        assert_eq!(applied.describe("p"), "p's run defaults: check_every=4000 max_iters=40000 tol=0.0");
    }

    #[test]
    fn budgets_layer_in_order() {
        let a = Budget { tol: Some(1e-6), max_calls: Some(10), ..Budget::default() };
        let b = Budget { tol: Some(0.0), ..Budget::default() };
        let c = a.then(&b);
        assert_eq!((c.tol, c.max_calls), (Some(0.0), Some(10)));
        assert!(Budget::default().is_empty() && !c.is_empty());
    }
}
