//! [`PyOperator`]: a Python callable `F(z) -> array` as a [`vi_core::Operator`].
//!
//! Each evaluation attaches to the interpreter (free when the calling thread already holds the
//! GIL, as in `vi_engine.run` on a Python problem), copies `z` into a fresh float64 array, calls
//! `F` and copies the result into the engine's buffer. The fast path reads a contiguous float64
//! NumPy array of shape `(n,)`; anything else (a list, a JAX or torch array with `__array__`) goes
//! through `numpy.asarray(result, dtype=float64)`.
//!
//! Failure handling, shared by every clone of one run's operator through [`RunState`]:
//! - an exception inside `F` (or a result of the wrong shape) is stored and the operator returns
//!   NaN from then on, which ends the run (`NumericalError`, or an observer stop); the caller
//!   re-raises the stored exception. In a suite ([`OnError::Panic`]) the operator panics with the
//!   exception's type and message instead, and the harness records the run as `Panicked`.
//! - `KeyboardInterrupt` (raised inside `F` or found by [`RunState::check_signals`]) marks the run
//!   interrupted: counted evaluations then return 0 (the iterate stays put) while monitoring
//!   evaluations still call `F`, and the run's observer stops it with status `Stopped`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use faer::{ColMut, ColRef};
use numpy::{PyArray1, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use vi_core::{Monotonicity, Operator};

/// What the operator does with a Python exception raised by `F`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    /// Store it in the [`RunState`] and return NaN (single runs: the caller re-raises it).
    Store,
    /// Panic with its type and message (suite runs: the harness records `Panicked`).
    Panic,
}

/// State shared by the operator clones of one run and by the run's observer.
#[derive(Debug, Default)]
pub struct RunState {
    failed: AtomicBool,
    interrupted: AtomicBool,
    error: Mutex<Option<PyErr>>,
}

impl RunState {
    /// Whether `F` raised (the run must end).
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// Whether a `KeyboardInterrupt` arrived.
    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    /// The stored exception, if any.
    pub fn take_error(&self) -> Option<PyErr> {
        self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    /// Records `err`: a `KeyboardInterrupt` marks the run interrupted, anything else failed.
    pub fn record(&self, py: Python<'_>, err: PyErr) {
        if err.is_instance_of::<PyKeyboardInterrupt>(py) {
            self.interrupted.store(true, Ordering::Relaxed);
            return;
        }
        let mut slot = self.error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.get_or_insert(err);
        self.failed.store(true, Ordering::Relaxed);
    }

    /// Runs Python's signal handlers (a no-op off the main thread) and records what they raise.
    pub fn check_signals(&self, py: Python<'_>) {
        if let Err(e) = py.check_signals() {
            self.record(py, e);
        }
    }
}

/// The Python callables of a problem, shared (behind an `Arc`) by every operator built from it.
#[derive(Debug)]
pub struct Callables {
    /// `F(z) -> array`.
    pub f: Py<PyAny>,
    /// `jvp(z, v) -> array`, optional.
    pub jvp: Option<Py<PyAny>>,
}

/// A Python operator (see the module documentation).
#[derive(Clone)]
pub struct PyOperator {
    callables: Arc<Callables>,
    n: usize,
    lipschitz: Option<f64>,
    mu: Option<f64>,
    state: Arc<RunState>,
    on_error: OnError,
}

impl PyOperator {
    /// An operator of dimension `n` over `callables`, reporting into `state`.
    pub fn new(
        callables: Arc<Callables>,
        n: usize,
        lipschitz: Option<f64>,
        mu: Option<f64>,
        state: Arc<RunState>,
        on_error: OnError,
    ) -> Self {
        Self { callables, n, lipschitz, mu, state, on_error }
    }

    fn evaluate(&self, z: ColRef<'_, f64>, v: Option<ColRef<'_, f64>>, mut out: ColMut<'_, f64>, counted: bool) {
        if self.state.failed() {
            out.fill(f64::NAN);
            return;
        }
        if counted && self.state.interrupted() {
            out.fill(0.0);
            return;
        }
        let failure = Python::attach(|py| {
            let r = match v {
                None => call_into(py, self.callables.f.bind(py), "F", z, None, out.as_mut()),
                Some(v) => match &self.callables.jvp {
                    Some(j) => call_into(py, j.bind(py), "jvp", z, Some(v), out.as_mut()),
                    None => Ok(()),
                },
            };
            r.err().map(|e| {
                let text = describe(py, &e);
                self.state.record(py, e);
                text
            })
        });
        if let Some(text) = failure {
            if self.on_error == OnError::Panic && self.state.failed() {
                panic!("{text}");
            }
            out.fill(if self.state.failed() { f64::NAN } else { 0.0 });
        }
    }
}

/// `Type: message` of a Python exception.
pub fn describe(py: Python<'_>, e: &PyErr) -> String {
    let ty = e.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
    format!("{ty}: {}", e.value(py))
}

fn to_array<'py>(py: Python<'py>, z: ColRef<'_, f64>) -> Bound<'py, PyArray1<f64>> {
    match z.try_as_col_major() {
        Some(c) => PyArray1::from_slice(py, c.as_slice()),
        None => PyArray1::from_iter(py, z.iter().copied()),
    }
}

/// `numpy.asarray`, imported once.
fn asarray(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static ASARRAY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    ASARRAY.import(py, "numpy", "asarray")
}

/// Calls `f(z)` or `f(z, v)` and copies the result (length `out.nrows()`) into `out`.
fn call_into(
    py: Python<'_>,
    f: &Bound<'_, PyAny>,
    what: &str,
    z: ColRef<'_, f64>,
    v: Option<ColRef<'_, f64>>,
    out: ColMut<'_, f64>,
) -> PyResult<()> {
    let zarr = to_array(py, z);
    let res = match v {
        None => f.call1((zarr,))?,
        Some(v) => f.call1((zarr, to_array(py, v)))?,
    };
    let res = match res.cast_into::<PyArray1<f64>>() {
        Ok(a) => a,
        Err(e) => {
            let obj = e.into_inner();
            let conv = asarray(py)?.call1((obj, "float64"))?;
            match conv.cast_into::<PyArray1<f64>>() {
                Ok(a) => a,
                Err(e) => {
                    let shape: Vec<usize> =
                        e.into_inner().cast::<numpy::PyUntypedArray>().map(|a| a.shape().to_vec()).unwrap_or_default();
                    return Err(PyValueError::new_err(format!(
                        "{what} returned an array of shape {shape:?}; expected shape ({},)",
                        out.nrows()
                    )));
                }
            }
        }
    };
    let n = out.nrows();
    if res.len() != n {
        return Err(PyValueError::new_err(format!(
            "{what} returned an array of shape ({},); expected shape ({n},)",
            res.len()
        )));
    }
    let ro = res.readonly();
    match ro.as_slice() {
        Ok(s) => {
            for (o, x) in out.iter_mut().zip(s) {
                *o = *x;
            }
        }
        Err(_) => {
            for (o, x) in out.iter_mut().zip(ro.as_array().iter()) {
                *o = *x;
            }
        }
    }
    Ok(())
}

impl Operator for PyOperator {
    fn dim(&self) -> usize {
        self.n
    }

    fn eval(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.evaluate(z, None, out, true);
    }

    fn eval_monitor(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.evaluate(z, None, out, false);
    }

    fn lipschitz(&self) -> Option<f64> {
        self.lipschitz
    }

    fn strong_monotonicity(&self) -> Option<f64> {
        self.mu
    }

    fn monotonicity(&self) -> Monotonicity {
        match self.mu {
            Some(m) if m > 0.0 => Monotonicity::StronglyMonotone,
            Some(_) => Monotonicity::Monotone,
            None => Monotonicity::Unknown,
        }
    }

    fn jvp(&mut self, z: ColRef<'_, f64>, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        if self.callables.jvp.is_some() {
            self.evaluate(z, Some(v), out, false);
        } else {
            vi_core::operator::finite_difference_jvp(self, z, v, out);
        }
    }
}
