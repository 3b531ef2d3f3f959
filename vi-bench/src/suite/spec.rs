//! The suite specification: what a suite file (TOML) or the built-in default suite says, read
//! and shape-checked, before any case exists (the format is in the [`crate::suite`] docs).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Map, Value};
use vi_core::{Budget, RunConfig};

use crate::error::{BenchError, Result};

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
    /// Where to diagnose the Jacobian (problems only; `None`: the suite's choice).
    pub diagnose: Option<JacobianAt>,
    /// Source lines (1-based) of the name and of each parameter, for error messages.
    pub(crate) lines: EntryLines,
}

/// Source lines (1-based) of an entry, for error messages.
#[derive(Clone, Debug, Default)]
pub(crate) struct EntryLines {
    /// The line of `name = ...`.
    pub(crate) name: Option<usize>,
    /// The line of each parameter, in `params` or `grid`.
    pub(crate) params: BTreeMap<String, usize>,
}

/// Where a suite diagnoses the Jacobian of each problem configuration (`diagnose = "..."`):
/// its spectral summary goes into every record (docs/math.md §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JacobianAt {
    /// No diagnosis (the default; turns a suite-wide choice off for one problem).
    None,
    /// At the problem's start.
    Start,
    /// At the problem's known solution (a problem without one is an invalid case).
    Solution,
}

impl JacobianAt {
    /// `start` or `solution` (`None` for no diagnosis).
    pub fn name(self) -> Option<&'static str> {
        match self {
            JacobianAt::None => None,
            JacobianAt::Start => Some("start"),
            JacobianAt::Solution => Some("solution"),
        }
    }
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
    /// Where to diagnose the Jacobian of every problem without its own choice.
    pub diagnose: JacobianAt,
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
            diagnose: JacobianAt::None,
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
    /// [`crate::suite::validate()`] (which [`crate::suite::run_suite`] calls before running anything).
    ///
    /// # Errors
    /// [`BenchError::Format`] with the line of the culprit.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
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
        spec.diagnose = raw.diagnose.unwrap_or(JacobianAt::None);
        let source = Source { text, origin };
        for e in raw.problems {
            spec.problems.push(source.entry("problem", e)?);
        }
        for e in raw.solvers {
            for (key, given) in [("seeds", e.seeds.is_some()), ("diagnose", e.diagnose.is_some())] {
                if given {
                    return Err(BenchError::Format {
                        path: source.at(e.name.span().start),
                        reason: format!("solver `{}`: `{key}` belongs to problems or to the suite", e.name.get_ref()),
                    });
                }
            }
            spec.solvers.push(source.entry("solver", e)?);
        }
        if spec.problems.is_empty() || spec.solvers.is_empty() {
            return Err(BenchError::Format {
                path: origin.into(),
                reason: "a suite needs at least one [[problems]] and one [[solvers]] entry".into(),
            });
        }
        Ok(spec)
    }

    /// A suite from a JSON object shaped like a suite file (what `vi_engine.suite` takes as a
    /// dict): read by [`SuiteSpec::from_toml`], so the keys, defaults and checks are the file's.
    /// Errors name `origin` and the key path, not a line (the text is not the user's).
    ///
    /// # Errors
    /// As [`SuiteSpec::from_toml`]; also a value TOML cannot hold (null, an integer past
    /// `i64::MAX`).
    pub fn from_json(v: &Value, origin: &str) -> Result<Self> {
        let bad = |reason: String| BenchError::Format { path: origin.into(), reason };
        if !v.is_object() {
            return Err(bad(format!("a suite is a dict of keys (name, seeds, budget, problems, solvers...), got {v}")));
        }
        let text = toml::to_string(&json_to_toml(v, "").map_err(bad)?).map_err(|e| bad(e.to_string()))?;
        Self::from_toml(&text, origin).map_err(|e| match e {
            BenchError::Format { reason, .. } => bad(reason),
            other => other,
        })
    }

    /// The built-in default suite, built from the registry: every registered problem (with the
    /// parameters and budget it declares for the default suite, [`vi_core::SuiteDefaults`])
    /// times every registered solver, seeds [`DEFAULT_SEEDS`], `tol = 1e-6`, at most
    /// [`DEFAULT_MAX_CALLS`] oracle calls and [`DEFAULT_TIME_LIMIT`] seconds per run. Invalid
    /// cases are recorded as skipped.
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
            // Each problem says how it enters the default suite (small sizes, budgets).
            let suite = (e.defaults)(&Map::new()).map(|d| d.default_suite).unwrap_or_default();
            let mut entry = EntrySpec::new(e.name, suite.params);
            entry.budget = suite.budget;
            spec.problems.push(entry);
        }
        for e in reg.solvers() {
            spec.solvers.push(EntrySpec::new(e.name, Map::new()));
        }
        Ok(spec)
    }
}

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
    diagnose: Option<JacobianAt>,
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
    #[serde(default)]
    diagnose: Option<JacobianAt>,
}

/// The text of a suite file and its name, for entries and error lines.
struct Source<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Source<'_> {
    /// `origin:line` of a byte offset.
    fn at(&self, offset: usize) -> String {
        format!("{}:{}", self.origin, line_of(self.text, offset))
    }

    /// A checked entry with the lines of its name and parameters.
    fn entry(&self, kind: &str, e: RawEntry) -> Result<EntrySpec> {
        let name = e.name.get_ref().clone();
        let mut lines = EntryLines { name: Some(line_of(self.text, e.name.span().start)), ..EntryLines::default() };
        let mut params = Map::new();
        for (k, v) in e.params {
            lines.params.insert(k.get_ref().clone(), line_of(self.text, k.span().start));
            params.insert(k.into_inner(), toml_to_json(v));
        }
        let mut grid = Vec::new();
        for (k, v) in e.grid {
            let line = line_of(self.text, k.span().start);
            let key = k.into_inner();
            let values = self.alternatives(kind, &name, &key, v, params.contains_key(&key), line)?;
            lines.params.insert(key.clone(), line);
            grid.push((key, values));
        }
        let budget = spanned_budget(e.budget, self.text, self.origin, &format!("{kind} `{name}`: budget"))?;
        if e.seeds.as_ref().is_some_and(Vec::is_empty) {
            return Err(BenchError::Format {
                path: format!("{}:{}", self.origin, lines.name.unwrap_or(0)),
                reason: format!("{kind} `{name}`: `seeds` must not be empty"),
            });
        }
        Ok(EntrySpec { name, params, grid, budget, seeds: e.seeds, diagnose: e.diagnose, lines })
    }

    /// The values of one grid key: a non-empty array, and a key not also in `params`.
    fn alternatives(
        &self,
        kind: &str,
        name: &str,
        key: &str,
        v: toml::Value,
        in_params: bool,
        line: usize,
    ) -> Result<Vec<Value>> {
        let bad = |reason: String| BenchError::Format { path: format!("{}:{line}", self.origin), reason };
        if in_params {
            return Err(bad(format!("{kind} `{name}`: `{key}` is in both `params` and `grid`; keep one")));
        }
        match v {
            toml::Value::Array(a) if !a.is_empty() => Ok(a.into_iter().map(toml_to_json).collect()),
            toml::Value::Array(_) => Err(bad(format!("{kind} `{name}`: grid `{key}` lists no values"))),
            other => Err(bad(format!(
                "{kind} `{name}`: grid `{key}` must be an array of alternatives, e.g. {key} = [{other}, ...]; \
                 put a single value under `params`"
            ))),
        }
    }
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

/// A JSON value as TOML; an error names the key path `at`.
fn json_to_toml(v: &Value, at: &str) -> std::result::Result<toml::Value, String> {
    let bad = |what: &str| format!("`{}`: {what}", if at.is_empty() { "suite" } else { at });
    Ok(match v {
        Value::Null => return Err(bad("null (None) has no value in a suite; leave the key out")),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => toml::Value::Integer(i),
            (None, _) if n.is_u64() => return Err(bad("an integer larger than 2^63 - 1")),
            (None, Some(f)) => toml::Value::Float(f),
            (None, None) => return Err(bad("not a number")),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(a) => toml::Value::Array(
            a.iter().enumerate().map(|(i, x)| json_to_toml(x, &format!("{at}[{i}]"))).collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => toml::Value::Table(
            m.iter()
                .map(|(k, x)| {
                    Ok((k.clone(), json_to_toml(x, &if at.is_empty() { k.clone() } else { format!("{at}.{k}") })?))
                })
                .collect::<Result<_, String>>()?,
        ),
    })
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
