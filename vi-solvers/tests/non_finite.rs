//! No solver reports a solution where `F` failed: on every constraint set, every registered
//! solver (with its default parameters and with its adaptive step where it has one) ends a run
//! on an operator that becomes NaN, infinite or overflows with `NumericalError` or `Diverged`,
//! a finite last iterate, and a residual that says what happened.

use faer::{Col, ColMut, ColRef};
use serde_json::{json, Value};
use vi_core::{
    build_solver, registry, Ball, BoxSet, ConstraintSet, FiniteSum, FnOperator, NonnegativeOrthant, Operator, Problem,
    Product, RunConfig, Runner, Simplex, Status, WholeSpace,
};
// Force-link the plugin crate so its registrations are visible.
use vi_solvers as _;

const N: usize = 3;

/// The sets of the engine, each with a feasible start away from the NaN region.
fn sets() -> Vec<(Box<dyn ConstraintSet>, [f64; N])> {
    vec![
        (Box::new(WholeSpace::new(N)), [1.0; N]),
        (Box::new(NonnegativeOrthant::new(N)), [1.0; N]),
        (Box::new(BoxSet::uniform(N, 0.0, 2.0).unwrap()), [1.0; N]),
        (Box::new(Ball::new(Col::zeros(N), 2.0).unwrap()), [1.0; N]),
        (Box::new(Simplex::new(N, 3.0).unwrap()), [1.0; N]),
        (
            Box::new(Product::new(vec![
                Box::new(NonnegativeOrthant::new(1)),
                Box::new(Simplex::new(N - 1, 2.0).unwrap()),
            ])),
            [1.0; N],
        ),
    ]
}

/// The unconstrained solution of `F(z) = z - TARGET`; on every set of [`sets`] the solution
/// lies in the hole.
const TARGET: [f64; N] = [0.2, 0.2, 2.0];

/// `F(z) = z - TARGET`, undefined (NaN or infinite) once some coordinate drops below 0.5, as
/// the Nash-Cournot operator is at zero output: every method heads into the hole. A finite sum
/// of two components (`F -+ 0.1 e_1`), so the stochastic solvers are checked too.
fn hole(value: f64) -> TwoComponents {
    let f = |value: f64| {
        move |z: ColRef<'_, f64>, mut out: ColMut<'_, f64>| {
            let inside = (0..N).any(|i| z[i] < 0.5);
            for i in 0..N {
                out[i] = if inside { value } else { z[i] - TARGET[i] };
            }
        }
    };
    TwoComponents::new(Box::new(FnOperator::new(N, f(value)).with_lipschitz(1.0).with_strong_monotonicity(1.0)))
}

/// `F_0 = F - 0.1 e_1`, `F_1 = F + 0.1 e_1`: a finite sum with mean `F`.
#[derive(Clone)]
struct TwoComponents {
    inner: Box<dyn Operator>,
    scratch: Col<f64>,
    lipschitz: [f64; 2],
}

impl TwoComponents {
    fn new(inner: Box<dyn Operator>) -> Self {
        let l = inner.lipschitz().unwrap_or(1.0);
        Self { scratch: Col::zeros(inner.dim()), inner, lipschitz: [l, l] }
    }
}

impl Operator for TwoComponents {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn eval(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.inner.eval(z, out)
    }
    fn lipschitz(&self) -> Option<f64> {
        self.inner.lipschitz()
    }
    fn strong_monotonicity(&self) -> Option<f64> {
        self.inner.strong_monotonicity()
    }
    fn monotonicity(&self) -> vi_core::Monotonicity {
        self.inner.monotonicity()
    }
    fn finite_sum(&self) -> Option<&dyn FiniteSum> {
        Some(self)
    }
    fn finite_sum_mut(&mut self) -> Option<&mut dyn FiniteSum> {
        Some(self)
    }
}

impl FiniteSum for TwoComponents {
    fn components(&self) -> usize {
        2
    }
    fn add_component(&mut self, i: usize, weight: f64, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        self.inner.eval(z, self.scratch.as_mut());
        self.scratch[0] += if i == 0 { -0.1 } else { 0.1 };
        for k in 0..out.nrows() {
            out[k] += weight * self.scratch[k];
        }
    }
    fn component_lipschitz(&self) -> Option<&[f64]> {
        Some(&self.lipschitz)
    }
}

/// Every registered solver, with its defaults and, where accepted, `step = "adaptive"` and a
/// large fixed step (one jump into the hole).
fn solver_variants() -> Vec<(String, Value)> {
    let mut v = Vec::new();
    for e in registry().unwrap().solvers() {
        v.push((e.name.to_string(), json!({})));
        for params in [json!({"step": "adaptive"}), json!({"step": 3.0})] {
            if build_solver(e.name, &params, 0).is_ok() {
                v.push((e.name.to_string(), params));
            }
        }
    }
    v
}

fn is_box(set: &dyn ConstraintSet) -> bool {
    let (mut lo, mut hi) = (Col::zeros(set.dim()), Col::zeros(set.dim()));
    set.box_bounds(lo.as_mut(), hi.as_mut())
}

/// The report, or `None` when the solver refuses the set itself (Newton methods need a box).
fn run(problem: &mut Problem, name: &str, params: &Value, max_iters: u64) -> Option<vi_core::Report> {
    let (mut solver, _) = build_solver(name, params, 0).unwrap();
    let cfg = RunConfig { max_iters, tol: 1e-10, ..RunConfig::default() };
    match Runner::new(cfg).unwrap().run(problem, solver.as_mut()) {
        Ok(r) => Some(r),
        Err(e) if e.to_string().contains("needs a box") && !is_box(problem.set()) => None,
        Err(e) => panic!("{name} {params} on {}: {e}", problem.set().describe()),
    }
}

#[test]
fn nan_in_the_interior_ends_numerical_error_for_every_solver_and_set() {
    let variants = solver_variants();
    assert!(variants.len() >= 20, "only {} solver variants registered", variants.len());
    for (set, start) in sets() {
        let desc = set.describe();
        for (name, params) in &variants {
            for value in [f64::NAN, f64::INFINITY] {
                let mut p =
                    Problem::new("hole", Box::new(hole(value)), set.clone(), Col::from_fn(N, |i| start[i])).unwrap();
                let Some(r) = run(&mut p, name, params, 2000) else { continue };
                let what = format!("{name} {params} on {desc} with F = {value} in the hole");
                if r.status == Status::MaxIterations {
                    // A safeguarded method (backtracking) may refuse every step into the hole and
                    // stall at its edge: honest, as long as the residual is the true one there.
                    let honest = p.natural_residual(faer::Col::from_fn(N, |i| r.z[i]).as_ref());
                    assert!(params["step"] == json!("adaptive") || name == "agraal", "{what}: stalled");
                    assert!(r.residual == honest && honest > 0.1, "{what}: residual {} at the edge", r.residual);
                    continue;
                }
                assert!(
                    matches!(r.status, Status::NumericalError | Status::Diverged),
                    "{what}: ended {:?} ({:?}) with residual {}",
                    r.status,
                    r.message,
                    r.residual
                );
                assert!(r.message.is_some(), "{what}: no message");
                assert!(r.z.iter().all(|v| v.is_finite()), "{what}: last iterate {:?} is not finite", r.z);
                assert!(
                    !r.residual.is_finite() || r.residual > 1e-10,
                    "{what}: residual {} reads as solved",
                    r.residual
                );
            }
        }
    }
}

#[test]
fn nan_everywhere_ends_at_the_start_with_a_message_that_says_so() {
    for (set, _) in sets() {
        for (name, params) in solver_variants() {
            let op =
                TwoComponents::new(Box::new(FnOperator::new(N, |_z, mut out| out.fill(f64::NAN)).with_lipschitz(1.0)));
            let mut p = Problem::new("nan", Box::new(op), set.clone(), Col::from_fn(N, |_| 1.0)).unwrap();
            let Some(r) = run(&mut p, &name, &params, 100) else { continue };
            assert_eq!(r.status, Status::NumericalError, "{name} on {}", set.describe());
            assert_eq!(r.iterations, 0);
            assert!(r.residual.is_nan());
            // The report says NaN in JSON, never null.
            let j = serde_json::to_value(&r).unwrap();
            assert_eq!(j["residual"], json!("NaN"));
            let m = r.message.unwrap();
            assert!(m.contains("F is NaN at the start"), "{m}");
        }
    }
}

#[test]
fn an_overflowing_step_is_reported_as_diverged_with_an_infinite_or_numeric_residual() {
    // F(z) = z on the orthant started at 1: step 1e300 overflows in one or two steps.
    for (name, _) in solver_variants() {
        let params = json!({"step": 1e300});
        if build_solver(&name, &params, 0).is_err() {
            continue;
        }
        let op = TwoComponents::new(Box::new(
            FnOperator::new(N, |z, mut out| out.copy_from(z)).with_lipschitz(1.0).with_strong_monotonicity(1.0),
        ));
        let mut p = Problem::unconstrained("lin", Box::new(op), Col::from_fn(N, |_| 1.0)).unwrap();
        let Some(r) = run(&mut p, &name, &params, 1000) else { continue };
        if r.status == Status::Converged {
            // A method whose own safeguard shrinks the step may legitimately solve F(z) = z.
            assert!(r.residual <= 1e-10, "{name}: converged with residual {}", r.residual);
            continue;
        }
        assert!(
            matches!(r.status, Status::Diverged | Status::NumericalError),
            "{name}: ended {:?} ({:?}), residual {}",
            r.status,
            r.message,
            r.residual
        );
        let j = serde_json::to_value(&r).unwrap();
        assert!(
            j["residual"].is_number() || j["residual"] == json!("inf"),
            "{name}: residual written as {}",
            j["residual"]
        );
        assert!(r.z.iter().all(|v| v.is_finite()), "{name}: last iterate not finite");
    }
}
