//! Defining, registering and solving your own problem from outside the workspace crates.
//!
//! The problem: a monotone, nonlinear "rotating quadratic" game in R^2 on the box [-2, 2]^2,
//!
//! ```text
//! F(x, y) = (x^3 + a x + y - 1,  y - x)        (a > 0)
//! ```
//!
//! Its Jacobian `[[3x^2 + a, 1], [-1, 1]]` has symmetric part `diag(3x^2 + a, 1) >= min(a, 1) I`,
//! so `F` is strongly monotone. The solution solves `x^3 + a x + x - 1 = 0`, `y = x`.
//!
//! Run it with `cargo run --release -p custom-problem`.

use faer::{Col, ColMut, ColRef};
use vi_core::{
    register_problem, BoxSet, BuildContext, Checked, Error, Method, Monotonicity, Operator, Params, Problem, Result,
    RunConfig, RunSpec, Runner,
};

// Force-link the plugin crates so that the registry also holds the built-in solvers.
use vi_problems as _;
use vi_solvers as _;

/// The operator. It owns no scratch; `eval` writes into the caller's buffer.
#[derive(Clone)]
pub struct RotatingCubic {
    a: f64,
}

impl Operator for RotatingCubic {
    fn dim(&self) -> usize {
        2
    }
    fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let (x, y) = (z[0], z[1]);
        out[0] = x * x * x + self.a * x + y - 1.0;
        out[1] = y - x;
    }
    fn lipschitz(&self) -> Option<f64> {
        // On the box [-2, 2]^2, ||J|| <= ||diag(12 + a, 1)|| + 1.
        Some(12.0 + self.a + 1.0)
    }
    fn strong_monotonicity(&self) -> Option<f64> {
        Some(self.a.min(1.0))
    }
    fn monotonicity(&self) -> Monotonicity {
        Monotonicity::StronglyMonotone
    }
}

vi_core::params! {
    /// Its parameters, each declared once: doc line, type, default and range. Unknown names and
    /// out-of-range values are rejected before `build` runs.
    pub struct RotatingCubicParams {
        /// linear coefficient of the cubic
        pub a: f64 = 0.5, positive();
    }
}

/// The build function: the registry calls it with checked parameters.
pub fn build(p: Checked<RotatingCubicParams>, _ctx: &BuildContext) -> Result<Problem> {
    let set = BoxSet::uniform(2, -2.0, 2.0)?;
    Problem::new("rotating-cubic", Box::new(RotatingCubic { a: p.a }), Box::new(set), Col::from_fn(2, |_| 2.0))
}

register_problem!(
    "rotating-cubic",
    "x^3 + a x + y - 1 = 0 = y - x on [-2,2]^2 (example plugin)",
    RotatingCubicParams,
    build
);

/// The real root of `x^3 + (a + 1) x - 1` by Newton's method (the closed-form answer).
pub fn exact_solution(a: f64) -> f64 {
    let mut x: f64 = 0.5;
    for _ in 0..50 {
        x -= (x * x * x + (a + 1.0) * x - 1.0) / (3.0 * x * x + a + 1.0);
    }
    x
}

fn main() -> Result<()> {
    // 1. Through the registry, exactly as `vi-bench run --problem rotating-cubic ...` would.
    let spec = RunSpec {
        problem: "rotating-cubic".into(),
        solver: "extragradient".into(),
        problem_params: serde_json::from_value(serde_json::json!({"a": 0.5}))
            .map_err(|e| Error::Config(e.to_string()))?,
        ..RunSpec::default()
    };
    let report = spec.run()?;
    println!("registry: {} after {} oracle calls, z = {:?}", report.status, report.oracle_calls, report.z);

    // 2. Directly through the Rust API.
    let mut problem = build(RotatingCubicParams { a: 0.5 }.check("problem rotating-cubic")?, &BuildContext::default())?;
    let mut solver = vi_solvers::Extragradient::with_step(0.05)?;
    let direct = Runner::new(RunConfig { tol: 1e-10, ..RunConfig::default() })?.run(&mut problem, &mut solver)?;
    println!("direct:   {} after {} iterations, z = {:?}", direct.status, direct.iterations, direct.z);
    println!("exact:    x = y = {}", exact_solution(0.5));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_and_direct_runs_find_the_closed_form_solution() {
        let x = exact_solution(0.5);
        assert!((x * x * x + 1.5 * x - 1.0).abs() < 1e-14);
        let spec = RunSpec { problem: "rotating-cubic".into(), solver: "extragradient".into(), ..RunSpec::default() };
        let r = spec.run().unwrap();
        assert_eq!(r.status, vi_core::Status::Converged);
        assert!((r.z[0] - x).abs() < 1e-7 && (r.z[1] - x).abs() < 1e-7, "{:?}", r.z);

        let params = RotatingCubicParams::default().check("problem rotating-cubic").unwrap();
        let mut problem = build(params, &BuildContext::default()).unwrap();
        let mut solver = vi_solvers::Extragradient::with_step(0.05).unwrap();
        let d = Runner::new(RunConfig { tol: 1e-10, ..RunConfig::default() })
            .unwrap()
            .run(&mut problem, &mut solver)
            .unwrap();
        assert_eq!(d.status, vi_core::Status::Converged);
        assert!((d.z[0] - x).abs() < 1e-9, "{:?}", d.z);
    }

    #[test]
    fn registered_alongside_builtin_problems() {
        let reg = vi_core::registry().unwrap();
        assert!(reg.problem("rotating-cubic").is_ok());
        assert!(reg.problem("bilinear").is_ok());
        let e = vi_core::build_problem("rotating-cubic", &serde_json::json!({"a": -1}), 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid value for parameter `a` of problem rotating-cubic: must be a finite number > 0, got -1"
        );
    }
}
