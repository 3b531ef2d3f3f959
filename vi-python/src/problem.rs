//! Python problems: [`NativeProblem`] (the object behind `vi_engine.Problem`) and the registry
//! entry `python` through which the vi-bench harness (suites, diagnostics) builds them by name.
//!
//! `vi_engine` registers each Python problem it hands to the harness in a process-wide table
//! under its name; the registry entry `python` with parameter `problem = NAME` builds a fresh
//! [`vi_core::Problem`] from that table (a new operator over the same callables).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use faer::Col;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use vi_core::{Block, BuildContext, ConstraintSet, Error, Problem, WholeSpace};

use crate::operator::{Callables, OnError, PyOperator, RunState};
use crate::sets;

/// Everything that defines a Python problem.
#[derive(Debug)]
pub struct Definition {
    /// The problem's name (reports, suite labels).
    pub name: String,
    callables: Arc<Callables>,
    start: Vec<f64>,
    set: Box<dyn ConstraintSet>,
    blocks: Vec<Block>,
    lipschitz: Option<f64>,
    mu: Option<f64>,
    solution: Option<Vec<f64>>,
}

fn col(v: &[f64]) -> Col<f64> {
    Col::from_fn(v.len(), |i| v[i])
}

impl Definition {
    /// A fresh problem whose operator reports into `state`.
    ///
    /// # Errors
    /// Dimensions that disagree, non-finite data.
    pub fn build(&self, state: Arc<RunState>, on_error: OnError) -> vi_core::Result<Problem> {
        let n = self.start.len();
        let op = PyOperator::new(self.callables.clone(), n, self.lipschitz, self.mu, state, on_error);
        let mut p = Problem::new(self.name.clone(), Box::new(op), self.set.clone(), col(&self.start))?;
        if !self.blocks.is_empty() {
            p = p.with_blocks(self.blocks.clone())?;
        }
        if let Some(s) = &self.solution {
            p = p.with_solution(col(s))?;
        }
        Ok(p.with_params(serde_json::json!({ "problem": self.name })))
    }
}

/// A Python problem as the native module holds it (built by `vi_engine.Problem`).
#[pyclass(module = "vi_engine._native", frozen)]
pub struct NativeProblem {
    /// The definition, shared with the harness table.
    pub def: Arc<Definition>,
}

#[pymethods]
impl NativeProblem {
    /// Builds and checks the problem (the Python wrapper has normalised the arguments).
    #[new]
    #[pyo3(signature = (name, f, start, set, blocks, lipschitz, mu, solution, jvp))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: String,
        f: Py<PyAny>,
        start: Vec<f64>,
        set: Option<Bound<'_, PyDict>>,
        blocks: Vec<(String, usize, usize)>,
        lipschitz: Option<f64>,
        mu: Option<f64>,
        solution: Option<Vec<f64>>,
        jvp: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let n = start.len();
        let set: Box<dyn ConstraintSet> = match set {
            Some(s) => sets::from_spec(&s)?,
            None => Box::new(WholeSpace::new(n)),
        };
        let def = Definition {
            name,
            callables: Arc::new(Callables { f, jvp }),
            start,
            set,
            blocks: blocks.into_iter().map(|(name, a, b)| Block::new(name, a..b)).collect(),
            lipschitz,
            mu,
            solution,
        };
        // Check once that the parts fit together.
        def.build(Arc::new(RunState::default()), OnError::Store).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Self { def: Arc::new(def) })
    }

    /// The problem's name.
    #[getter]
    fn name(&self) -> String {
        self.def.name.clone()
    }

    /// The dimension.
    #[getter]
    fn dim(&self) -> usize {
        self.def.start.len()
    }

    /// The set, described (e.g. `simplex(3, r=1) x simplex(3, r=1)`).
    #[getter]
    fn set_description(&self) -> String {
        self.def.set.describe()
    }
}

/// The registered name of the entry that builds Python problems.
pub const ENTRY: &str = "python";

static TABLE: Mutex<BTreeMap<String, Arc<Definition>>> = Mutex::new(BTreeMap::new());

/// When set, problems built from the table report into this state (diagnostics); otherwise
/// each build gets its own state and panics on a Python exception (suites).
static STORE_INTO: Mutex<Option<Arc<RunState>>> = Mutex::new(None);

/// Makes `def` buildable by the harness as `python` with `problem = def.name`.
pub fn publish(def: Arc<Definition>) {
    TABLE.lock().unwrap_or_else(PoisonError::into_inner).insert(def.name.clone(), def);
}

/// Routes exceptions of table-built problems into `state` (or back to panics with `None`).
pub fn store_into(state: Option<Arc<RunState>>) {
    *STORE_INTO.lock().unwrap_or_else(PoisonError::into_inner) = state;
}

vi_core::params! {
    /// Parameters of the `python` registry entry.
    pub struct PythonParams {
        /// name of a vi_engine.Problem passed to vi_engine.suite or vi_engine.diagnose
        pub problem: String = "";
    }
    validate(p, owner) {
        let table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
        if !table.contains_key(&p.problem) {
            let valid: Vec<&str> = table.keys().map(String::as_str).collect();
            return Err(Error::param(
                owner,
                "problem",
                format!("no Python problem named `{}`; known: {}", p.problem, valid.join(", ")),
            ));
        }
        Ok(())
    }
}

fn build(p: vi_core::Checked<PythonParams>, _ctx: &BuildContext) -> vi_core::Result<Problem> {
    // Clone the Arc out before building: building attaches to Python, and the table's lock must
    // never be held while waiting for the interpreter.
    let def = TABLE.lock().unwrap_or_else(PoisonError::into_inner).get(&p.problem).cloned();
    let def = def.ok_or_else(|| Error::param("problem python", "problem", format!("unknown `{}`", p.problem)))?;
    let store = STORE_INTO.lock().unwrap_or_else(PoisonError::into_inner).clone();
    match store {
        Some(state) => def.build(state, OnError::Store),
        None => def.build(Arc::new(RunState::default()), OnError::Panic),
    }
}

vi_core::register_problem!(ENTRY, "a vi_engine.Problem (Python operator) by name", PythonParams, build);
