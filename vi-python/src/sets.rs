//! Constraint sets from their Python descriptions.
//!
//! The Python classes (`vi_engine.Box`, `Orthant`, `Ball`, `Simplex`, `Product`) validate their
//! arguments and resolve their dimension, then describe themselves as a dict
//! `{"kind": ..., ...}` that [`from_spec`] turns into the vi-core set.

use faer::Col;
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyDictMethods};
use vi_core::{Ball, BoxSet, ConstraintSet, NonnegativeOrthant, Product, Simplex, WholeSpace};

fn item<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
    d.get_item(key)?
        .ok_or_else(|| PyKeyError::new_err(format!("set description without `{key}`")))?
        .extract()
        .map_err(Into::into)
}

fn col(v: Vec<f64>) -> Col<f64> {
    Col::from_fn(v.len(), |i| v[i])
}

fn core_err(e: vi_core::Error) -> PyErr {
    PyValueError::new_err(format!("set: {e}"))
}

/// The vi-core set described by `spec`.
///
/// # Errors
/// `ValueError` for an infeasible set (from vi-core), `KeyError` for a malformed description.
pub fn from_spec(spec: &Bound<'_, PyDict>) -> PyResult<Box<dyn ConstraintSet>> {
    let kind: String = item(spec, "kind")?;
    Ok(match kind.as_str() {
        "whole" => Box::new(WholeSpace::new(item(spec, "n")?)),
        "box" => Box::new(BoxSet::new(col(item(spec, "lower")?), col(item(spec, "upper")?)).map_err(core_err)?),
        "orthant" => Box::new(NonnegativeOrthant::new(item(spec, "n")?)),
        "ball" => Box::new(Ball::new(col(item(spec, "center")?), item(spec, "radius")?).map_err(core_err)?),
        "simplex" => Box::new(Simplex::new(item(spec, "n")?, item(spec, "radius")?).map_err(core_err)?),
        "product" => {
            let parts: Vec<Bound<'_, PyDict>> = item(spec, "parts")?;
            Box::new(Product::new(parts.iter().map(from_spec).collect::<PyResult<Vec<_>>>()?))
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown set kind `{other}`; valid: whole, box, orthant, ball, simplex, product"
            )))
        }
    })
}
