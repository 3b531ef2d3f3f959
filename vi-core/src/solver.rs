//! The [`Solver`] trait: one algorithm, one iteration at a time.
//!
//! A solver allocates its workspace in [`Solver::init`] and performs one iteration per
//! [`Solver::step`] without touching the heap. The [`crate::Runner`] owns the loop, the stopping
//! rules, the averaged iterate and the observers; a solver only knows its update rule.
//!
//! Step sizes are described by [`StepRule`]: a fixed number, `"auto"` (derived from the
//! problem's Lipschitz constant with the factor the theory gives for that method), or
//! `"adaptive"` (a method-specific rule that needs no `L`).

use std::fmt;

use faer::ColRef;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::problem::Problem;
use crate::status::Status;
use crate::theory::{LinearModel, PredictedStep};

/// What a step reports to the runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepStatus {
    /// Keep going.
    Continue,
    /// The solver ended the run itself (e.g. a continuation method that finished its schedule,
    /// or a line search that could not find a step).
    Finished(Status),
}

/// One algorithm for `VI(C, F)`.
///
/// Implementations must be `Clone` (as trait objects) and `Send` so that a harness can hand a
/// fresh copy to every run on any thread.
pub trait Solver: dyn_clone::DynClone + Send {
    /// The registered name of the method (e.g. `extragradient`).
    fn name(&self) -> &str;

    /// Allocates the workspace for `problem.dim()` and sets the iterate to `problem.start()`.
    /// May evaluate the operator (counted), e.g. to estimate a Lipschitz constant.
    ///
    /// # Errors
    /// Bad configuration for this problem (e.g. `step = "auto"` with no way to get `L`).
    fn init(&mut self, problem: &mut Problem) -> Result<()>;

    /// One iteration; no heap allocation.
    fn step(&mut self, problem: &mut Problem) -> StepStatus;

    /// The current (last) iterate.
    fn iterate(&self) -> ColRef<'_, f64>;

    /// The point that enters the ergodic average this iteration. Extragradient-type methods
    /// average their extrapolated points (Nemirovski); the default is the iterate.
    fn averaging_point(&self) -> ColRef<'_, f64> {
        self.iterate()
    }

    /// A point `y` and the value `F(y)` that the solver's latest oracle call returned there, if
    /// the solver keeps them (extrapolated points of extragradient-type methods, the iterate
    /// itself for OGDA). The runner then judges its stopping rules at `y` without an oracle call
    /// ([`Problem::natural_residual_at_evaluated`]) and, if `y` meets the tolerance, reports `y`.
    fn evaluated_point(&self) -> Option<(ColRef<'_, f64>, ColRef<'_, f64>)> {
        None
    }

    /// The step size in use (the latest one for adaptive rules).
    fn step_size(&self) -> Option<f64> {
        None
    }

    /// Why the solver ended the run itself (after a step returned [`StepStatus::Finished`]),
    /// for the report's message. Called once, after the loop; may allocate.
    fn status_message(&self) -> Option<String> {
        None
    }

    /// Method-specific information for the report (e.g. Tikhonov stages), as JSON.
    fn info(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// What the theory says about this configured method on a linear operator (`vi-bench
    /// diagnose` sets it beside a measured run); `Err` says why there is none.
    ///
    /// # Errors
    /// The reason there is no model (the default: none declared).
    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        Err(format!("`{}` declares no linear model", self.name()))
    }

    /// The step this configuration takes on an operator with Lipschitz constant `lipschitz` and
    /// strong-monotonicity modulus `mu` (if known): its fixed step, or its rule resolved
    /// against them. `None`: the step is not determined by them.
    fn predicted_step(&self, lipschitz: f64, mu: Option<f64>) -> Option<PredictedStep> {
        let _ = (lipschitz, mu);
        None
    }

    /// The runner's iteration loop, compiled for this solver type: one dynamic call per run
    /// instead of four per iteration, and `step`, `iterate`, `averaging_point` and
    /// `evaluated_point` inlined into the loop. Called by [`crate::Runner`]; do not override.
    #[doc(hidden)]
    fn drive(&mut self, run: crate::runner::Loop<'_, '_>) -> Status {
        run.iterate(self)
    }
}

dyn_clone::clone_trait_object!(Solver);

/// What a solver type says about itself to the registry: its name, a one-line summary, its
/// parameters and its constructor. Built-in and user solvers implement it alike and register
/// with one line, `vi_core::register_solver!(MySolver);`; what the theory says about a
/// configured solver is on [`Solver`] itself ([`Solver::linear_model`],
/// [`Solver::predicted_step`]).
pub trait Method: Solver + Sized + 'static {
    /// The registered (kebab-case) name.
    const NAME: &'static str;
    /// One line for `vi-bench list`.
    const SUMMARY: &'static str;
    /// Its parameters (declared with [`crate::params!`]).
    type Params: crate::Params;

    /// Builds the solver from checked parameters; the seed, if the method draws random numbers,
    /// comes from `ctx` (read it only where it is used, see [`crate::BuildContext`]).
    ///
    /// # Errors
    /// A configuration that is invalid beyond the parameters' own checks.
    fn build(params: crate::Checked<Self::Params>, ctx: &crate::BuildContext) -> Result<Self>;

    /// The method with its default parameters but a fixed `step` (seed 0): the shortest way to
    /// a solver in a test or an example, `Extragradient::with_step(0.05)?`.
    ///
    /// # Errors
    /// If `eta` is not finite and positive, or the method has no parameter `step`.
    fn with_step(eta: f64) -> Result<Self> {
        let mut map = serde_json::Map::new();
        map.insert("step".into(), eta.into());
        Self::build(crate::params::parse_params("solver", Self::NAME, &map)?, &crate::BuildContext::new(0))
    }
}

/// How a solver chooses its step size. Serialized as a number, `"auto"` or `"adaptive"`.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum StepRule {
    /// A fixed step `eta > 0`.
    Fixed(f64),
    /// `eta = factor / L`, with `L` from the problem (or estimated at the start) and the factor
    /// the method's theory gives.
    #[default]
    Auto,
    /// A method-specific adaptive rule that needs no `L` (backtracking, aGRAAL...).
    Adaptive,
}

impl StepRule {
    /// Checks that a fixed step is finite and positive.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `owner` and `step`.
    pub fn validate(&self, owner: &str) -> Result<()> {
        match *self {
            StepRule::Fixed(s) if !(s.is_finite() && s > 0.0) => Err(Error::param(
                owner,
                "step",
                format!("must be a finite number > 0, \"auto\" or \"adaptive\"; got {s}"),
            )),
            _ => Ok(()),
        }
    }

    /// The step this rule gives with `eta = factor / L` on an operator with Lipschitz constant
    /// `lipschitz` (for `"adaptive"`, the initial step), as [`StepRule::resolve`] would.
    pub fn predict(&self, factor: f64, lipschitz: f64) -> Option<PredictedStep> {
        match *self {
            StepRule::Fixed(s) => Some(PredictedStep { step: s, rule: format!("fixed {s}") }),
            _ if !(lipschitz > 0.0 && lipschitz.is_finite()) => None,
            StepRule::Auto => Some(PredictedStep {
                step: factor / lipschitz,
                rule: format!("auto: factor {factor} / L {lipschitz:.6}"),
            }),
            StepRule::Adaptive => Some(PredictedStep {
                step: factor / lipschitz,
                rule: format!("adaptive: the initial step, factor {factor} / L {lipschitz:.6}"),
            }),
        }
    }

    /// Resolves the rule to a number: the fixed value, or `factor / L` for `Auto` (and for
    /// `Adaptive`, as the initial guess). `L` comes from the problem or, if it has none, from a
    /// local estimate at the start (costing a few counted oracle calls).
    ///
    /// # Errors
    /// [`Error::Config`] if `L` is unknown and cannot be estimated.
    pub fn resolve(&self, problem: &mut Problem, factor: f64) -> Result<f64> {
        match *self {
            StepRule::Fixed(s) => Ok(s),
            StepRule::Auto | StepRule::Adaptive => {
                let l = match problem.lipschitz() {
                    Some(l) => l,
                    None => estimate_lipschitz(problem)?,
                };
                if !(l.is_finite() && l > 0.0) {
                    return Err(Error::Config(format!(
                        "step = \"auto\": problem `{}` reports Lipschitz constant {l}; give a number for `step`",
                        problem.name()
                    )));
                }
                Ok(factor / l)
            }
        }
    }
}

/// A local Lipschitz estimate at the start: the largest secant ratio `||F(z0 + d) - F(z0)|| /
/// ||d||` over a few small deterministic directions. Counted as oracle calls.
///
/// # Errors
/// [`Error::Config`] if every probe gives a zero or non-finite ratio.
pub fn estimate_lipschitz(problem: &mut Problem) -> Result<f64> {
    let n = problem.dim();
    let z0 = problem.start().to_owned();
    let mut f0 = faer::Col::<f64>::zeros(n);
    let mut f1 = faer::Col::<f64>::zeros(n);
    let mut z1 = faer::Col::<f64>::zeros(n);
    problem.eval(z0.as_ref(), f0.as_mut());
    let scale = 1e-3 * z0.norm_l2().max(1.0);
    if !crate::linalg::all_finite(f0.as_ref()) {
        return Err(Error::Config(format!(
            "step = \"auto\": F is not finite at the start of problem `{}`, so no Lipschitz constant can be estimated there; choose another start",
            problem.name()
        )));
    }
    let mut best: f64 = 0.0;
    let mut non_finite = 0;
    // Directions: e_1, alternating signs, and a deterministic "random" pattern.
    for k in 0..3 {
        let d = faer::Col::<f64>::from_fn(n, |i| match k {
            0 => f64::from(u8::from(i == 0)),
            1 => {
                if i % 2 == 0 {
                    1.0
                } else {
                    -1.0
                }
            }
            _ => ((i as f64 + 1.0) * 0.754_877_666).fract() - 0.5,
        });
        let dn = d.norm_l2();
        if dn == 0.0 {
            continue;
        }
        crate::linalg::add_scaled(z1.as_mut(), z0.as_ref(), scale / dn, d.as_ref());
        problem.eval(z1.as_ref(), f1.as_mut());
        let r = crate::linalg::dist(f1.as_ref(), f0.as_ref()) / scale;
        if r.is_finite() {
            best = best.max(r);
        } else {
            non_finite += 1;
        }
    }
    if best > 0.0 {
        Ok(best)
    } else {
        let why = if non_finite > 0 {
            format!("F is not finite at {non_finite} of 3 probe points within {scale:.1e} of the start")
        } else {
            "F does not change along the probe directions (a zero or constant operator near the start)".to_string()
        };
        Err(Error::Config(format!(
            "step = \"auto\": problem `{}` declares no Lipschitz constant and the local estimate failed: {why}; give a number for `step`",
            problem.name()
        )))
    }
}

impl Serialize for StepRule {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            StepRule::Fixed(v) => s.serialize_f64(*v),
            StepRule::Auto => s.serialize_str("auto"),
            StepRule::Adaptive => s.serialize_str("adaptive"),
        }
    }
}

impl<'de> Deserialize<'de> for StepRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = StepRule;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a positive number, \"auto\" or \"adaptive\"")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<StepRule, E> {
                Ok(StepRule::Fixed(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<StepRule, E> {
                Ok(StepRule::Fixed(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<StepRule, E> {
                Ok(StepRule::Fixed(v as f64))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<StepRule, E> {
                match v {
                    "auto" => Ok(StepRule::Auto),
                    "adaptive" => Ok(StepRule::Adaptive),
                    other => Err(E::invalid_value(serde::de::Unexpected::Str(other), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_rule_serde_round_trip() {
        for (json, rule) in [
            ("0.5", StepRule::Fixed(0.5)),
            ("2", StepRule::Fixed(2.0)),
            ("\"auto\"", StepRule::Auto),
            ("\"adaptive\"", StepRule::Adaptive),
        ] {
            let r: StepRule = serde_json::from_str(json).unwrap();
            assert_eq!(r, rule);
        }
        let e = serde_json::from_str::<StepRule>("\"fast\"").unwrap_err().to_string();
        assert!(e.contains("\"auto\" or \"adaptive\""), "{e}");
        assert!(StepRule::Fixed(-1.0).validate("solver eg").unwrap_err().to_string().contains("step"));
    }
}
