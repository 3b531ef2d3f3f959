//! What the theory says about a configured method: how it acts on a linear operator and which
//! step it takes. Solvers describe themselves through [`crate::Solver::linear_model`] and
//! [`crate::Solver::predicted_step`]; `vi-bench diagnose` asks them, never their names.
//!
//! On `F(z) = J (z - z*)` without constraints most methods act on each eigenvalue `lambda` of
//! `J` separately: with `h = eta lambda`, the mode follows a linear recursion
//! `x_{k+1} = a_0(h) x_k + a_1(h) x_{k-1} + ...`, and the per-iteration factor is the largest
//! modulus of the roots of `t^m - a_0 t^{m-1} - ... - a_{m-1}` over the eigenvalues
//! ([`LinearModel::modal`]). Methods that treat players differently (a Gauss-Seidel sweep) give
//! their iteration matrix instead ([`LinearModel::matrix`]). docs/math.md §5 lists the models
//! of the built-in methods.

use std::fmt;
use std::sync::Arc;

use faer::{c64, Mat, MatRef};

type Coefficients = dyn Fn(c64) -> Vec<c64> + Send + Sync;
type IterationMatrix = dyn Fn(MatRef<'_, f64>, usize, f64) -> Mat<f64> + Send + Sync;

/// The linearization a model is evaluated on.
#[derive(Clone, Copy, Debug)]
pub struct Linearization<'a> {
    /// The Jacobian (0 x 0 in the matrix-free mode, where only eigenvalue estimates exist).
    pub jacobian: MatRef<'a, f64>,
    /// Its eigenvalues (or Ritz values).
    pub eigenvalues: &'a [c64],
    /// Coordinates of the first player (the generator), for methods that sweep over players.
    pub first_block: usize,
}

#[derive(Clone)]
enum Recursion {
    Modal(Arc<Coefficients>),
    Matrix(Arc<IterationMatrix>),
}

/// How a configured method acts on a linear operator (see the module documentation).
#[derive(Clone)]
pub struct LinearModel {
    name: String,
    calls_per_iteration: u32,
    recursion: Recursion,
    note: String,
}

impl fmt::Debug for LinearModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinearModel")
            .field("name", &self.name)
            .field("calls_per_iteration", &self.calls_per_iteration)
            .finish_non_exhaustive()
    }
}

impl LinearModel {
    /// A method that acts on each eigenvalue separately: `coefficients(h)` gives
    /// `[a_0, a_1, ...]` of the mode's recursion at `h = eta lambda` (one entry for a one-step
    /// method such as GDA: `[1 - h]`).
    pub fn modal(
        name: impl Into<String>,
        calls_per_iteration: u32,
        coefficients: impl Fn(c64) -> Vec<c64> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            calls_per_iteration,
            recursion: Recursion::Modal(Arc::new(coefficients)),
            note: String::new(),
        }
    }

    /// A method given by its iteration matrix `m(J, first_block, eta)` on `z - z*` (it needs the
    /// dense Jacobian).
    pub fn matrix(
        name: impl Into<String>,
        calls_per_iteration: u32,
        m: impl Fn(MatRef<'_, f64>, usize, f64) -> Mat<f64> + Send + Sync + 'static,
    ) -> Self {
        Self { name: name.into(), calls_per_iteration, recursion: Recursion::Matrix(Arc::new(m)), note: String::new() }
    }

    /// Attaches a remark shown beside the prediction (e.g. how an adaptive method is modelled).
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    /// The model's name, e.g. `extragradient` or `graal(phi = 1.5)`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Oracle calls per iteration.
    pub fn calls_per_iteration(&self) -> u32 {
        self.calls_per_iteration
    }

    /// The remark, if any.
    pub fn note(&self) -> &str {
        &self.note
    }

    /// Whether the model needs the dense Jacobian (not only eigenvalues).
    pub fn needs_jacobian(&self) -> bool {
        matches!(self.recursion, Recursion::Matrix(_))
    }

    /// The factor of the mode of one eigenvalue `lambda` at step `eta` (modal models only).
    pub fn mode_rate(&self, lambda: c64, eta: f64) -> Option<f64> {
        match &self.recursion {
            Recursion::Modal(a) => Some(largest_root(&a(lambda * eta))),
            Recursion::Matrix(_) => None,
        }
    }

    /// The iteration matrix at step `eta` of a matrix model (with a dense Jacobian).
    pub fn iteration_matrix(&self, lin: &Linearization<'_>, eta: f64) -> Option<Mat<f64>> {
        match &self.recursion {
            Recursion::Matrix(m) if lin.jacobian.nrows() > 0 => Some(m(lin.jacobian, lin.first_block, eta)),
            _ => None,
        }
    }

    /// The predicted per-iteration contraction factor at step `eta`; `None` for a matrix model
    /// without a dense Jacobian.
    pub fn rate(&self, lin: &Linearization<'_>, eta: f64) -> Option<f64> {
        match &self.recursion {
            Recursion::Modal(a) => Some(lin.eigenvalues.iter().map(|&l| largest_root(&a(l * eta))).fold(0.0, f64::max)),
            Recursion::Matrix(m) => {
                if lin.jacobian.nrows() == 0 {
                    return None;
                }
                let it = m(lin.jacobian, lin.first_block, eta);
                Some(it.eigenvalues().map(|ev| ev.iter().map(|c| c.norm()).fold(0.0, f64::max)).unwrap_or(f64::NAN))
            }
        }
    }

    /// The largest `eta` (up to `hi`) below which the factor stays `< 1`, starting from 0: a
    /// log-spaced scan of `[1e-4 hi, hi]` refined by bisection at the first crossing; `0` when
    /// no step in the scan contracts.
    pub fn max_stable_step(&self, lin: &Linearization<'_>, hi: f64) -> Option<f64> {
        let stable = |eta: f64| self.rate(lin, eta).map(|r| r < 1.0);
        let grid = 400;
        let mut prev = 0.0;
        for i in 0..=grid {
            let eta = hi * 10f64.powf(-4.0 * (1.0 - f64::from(i) / f64::from(grid)));
            if !stable(eta)? {
                if i == 0 {
                    return Some(0.0);
                }
                let (mut a, mut b) = (prev, eta);
                for _ in 0..60 {
                    let m = 0.5 * (a + b);
                    if stable(m)? {
                        a = m;
                    } else {
                        b = m;
                    }
                }
                return Some(a);
            }
            prev = eta;
        }
        Some(hi)
    }
}

/// The largest modulus of the roots of `t^m - a_0 t^{m-1} - ... - a_{m-1}` (the factor of the
/// recursion `x_{k+1} = a_0 x_k + ... + a_{m-1} x_{k-m+1}`).
pub fn largest_root(a: &[c64]) -> f64 {
    match a {
        [] => 0.0,
        [a0] => a0.norm(),
        [b, c] => {
            let disc = (b * b + c * 4.0).sqrt();
            ((b + disc) * 0.5).norm().max(((b - disc) * 0.5).norm())
        }
        _ => {
            let m = a.len();
            let companion = Mat::<c64>::from_fn(m, m, |i, j| {
                if i == 0 {
                    a[j]
                } else if i == j + 1 {
                    c64::new(1.0, 0.0)
                } else {
                    c64::new(0.0, 0.0)
                }
            });
            companion.eigenvalues().map(|ev| ev.iter().map(|c| c.norm()).fold(0.0, f64::max)).unwrap_or(f64::NAN)
        }
    }
}

/// The step a configured method takes on an operator, and how it was obtained.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictedStep {
    /// The step.
    pub step: f64,
    /// How, e.g. `auto: factor 0.5 / L`.
    pub rule: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::mat;

    fn lin<'a>(j: MatRef<'a, f64>, e: &'a [c64]) -> Linearization<'a> {
        Linearization { jacobian: j, eigenvalues: e, first_block: 1 }
    }

    #[test]
    fn roots_of_the_recursions() {
        let c = |re: f64, im: f64| c64::new(re, im);
        assert_eq!(largest_root(&[c(0.5, 0.0)]), 0.5);
        // t^2 - 1.5 t + 0.5 = (t - 1)(t - 0.5): a_0 = 1.5, a_1 = -0.5.
        assert!((largest_root(&[c(1.5, 0.0), c(-0.5, 0.0)]) - 1.0).abs() < 1e-12);
        // t^3 - 0.25 t = t (t - 0.5)(t + 0.5) through the companion matrix.
        let r = largest_root(&[c(0.0, 0.0), c(0.25, 0.0), c(0.0, 0.0)]);
        assert!((r - 0.5).abs() < 1e-12, "{r}");
    }

    #[test]
    fn modal_and_matrix_models_agree_on_a_diagonalizable_jacobian() {
        // GDA written both ways on J = [[0.2, 0.49], [-0.49, 0.2]].
        let j = mat![[0.2, 0.49], [-0.49, 0.2]];
        let e = [c64::new(0.2, 0.49), c64::new(0.2, -0.49)];
        let modal = LinearModel::modal("gda", 1, |h| vec![1.0 - h]);
        let matrix = LinearModel::matrix("gda", 1, |j, _, eta| {
            Mat::from_fn(2, 2, |r, c| f64::from(u8::from(r == c)) - eta * j[(r, c)])
        });
        let l = lin(j.as_ref(), &e);
        let (a, b) = (modal.rate(&l, 0.3).unwrap(), matrix.rate(&l, 0.3).unwrap());
        assert!((a - b).abs() < 1e-12 && (a - (c64::new(1.0, 0.0) - e[0] * 0.3).norm()).abs() < 1e-12);
        // GDA's stable range is exactly 2 Re / |lambda|^2.
        let s = modal.max_stable_step(&l, 100.0).unwrap();
        assert!((s - 0.4 / (0.04 + 0.49 * 0.49)).abs() < 1e-9, "{s}");
        // Without the dense Jacobian a matrix model has no rate.
        let empty = Mat::<f64>::zeros(0, 0);
        assert_eq!(matrix.rate(&lin(empty.as_ref(), &e), 0.3), None);
    }
}
