use super::reformulation::{component, fb};
use super::*;
use crate::test_support::{build_error, checked, run, strongly_monotone};
use faer::{ColMut, MatMut};
use vi_core::{BoxSet, FnOperator, NonnegativeOrthant, Operator, Simplex};

fn newton() -> SemismoothNewton {
    SemismoothNewton::new(checked(SemismoothNewtonParams::default()))
}

/// Josephy's NCP as a closure: no Jacobian, so finite differences are used.
fn josephy_fn() -> Problem {
    let op = FnOperator::new(4, |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| {
        let (x1, x2, x3, x4) = (z[0], z[1], z[2], z[3]);
        o[0] = 3.0 * x1 * x1 + 2.0 * x1 * x2 + 2.0 * x2 * x2 + x3 + 3.0 * x4 - 6.0;
        o[1] = 2.0 * x1 * x1 + x1 + x2 * x2 + 3.0 * x3 + 2.0 * x4 - 2.0;
        o[2] = 3.0 * x1 * x1 + x1 * x2 + 2.0 * x2 * x2 + 2.0 * x3 + 3.0 * x4 - 1.0;
        o[3] = x1 * x1 + 3.0 * x2 * x2 + 2.0 * x3 + 3.0 * x4 - 3.0;
    });
    Problem::new("josephy-fn", Box::new(op), Box::new(NonnegativeOrthant::new(4)), Col::zeros(4)).unwrap()
}

#[test]
fn rejects_invalid_parameters_and_non_box_sets() {
    let e = build_error("semismooth-newton", serde_json::json!({"step": 0.1}));
    assert!(e.contains("`step`") && e.contains("only \"auto\""), "{e}");
    let e = build_error("semismooth-newton", serde_json::json!({"lambda": 0.0}));
    assert!(e.contains("`lambda`") && e.contains("(0, 1]"), "{e}");
    let e = build_error("semismooth-newton", serde_json::json!({"sigma": 0.7}));
    assert!(e.contains("`sigma`") && e.contains("(0, 0.5)"), "{e}");
    let e = build_error("semismooth-newton", serde_json::json!({"memory": 0}));
    assert!(e.contains("`memory`") && e.contains("[1, 100]"), "{e}");
    let e = build_error("semismooth-newton", serde_json::json!({"max_backtracks": 61}));
    assert!(e.contains("`max_backtracks`"), "{e}");
    let e = build_error("semismooth-newton", serde_json::json!({"p": 2.0}));
    assert!(e.contains("`p`") && e.contains("> 2"), "{e}");
    let e = build_error("semismooth-newton", serde_json::json!({"jacobian": "exact"}));
    assert!(e.contains("`jacobian`") && e.contains("finite-difference"), "{e}");
    let op = FnOperator::new(2, |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| o.copy_from(z));
    let mut p =
        Problem::new("simplex", Box::new(op), Box::new(Simplex::new(2, 1.0).unwrap()), Col::from_fn(2, |_| 0.5))
            .unwrap();
    let e = newton().init(&mut p).unwrap_err().to_string();
    assert!(e.contains("needs a box") && e.contains("simplex(2, r=1)"), "{e}");
    let mut s = SemismoothNewton::new(checked(SemismoothNewtonParams { max_dense_dim: 3, ..Default::default() }));
    let e = s.init(&mut josephy_fn()).unwrap_err().to_string();
    assert!(e.contains("max_dense_dim = 3"), "{e}");
}

#[test]
fn reformulation_matches_hand_values() {
    // phi(3, 4) = 3 + 4 - 5 = 2; derivatives 1 - 3/5, 1 - 4/5.
    let (p, a, b) = fb(3.0, 4.0, 1.0);
    assert!((p - 2.0).abs() < 1e-15 && (a - 0.4).abs() < 1e-15 && (b - 0.2).abs() < 1e-15);
    // Penalized: + (1 - lambda) * 3 * 4.
    assert!((fb(3.0, 4.0, 0.5).0 - (0.5 * 2.0 + 0.5 * 12.0)).abs() < 1e-14);
    // No cancellation: phi(40, 1e-12) = 1e-12 to full relative precision.
    assert!((fb(40.0, 1e-12, 1.0).0 / 1e-12 - 1.0).abs() < 1e-12);
    // The four kinds of bounds vanish exactly at complementary pairs.
    let inf = f64::INFINITY;
    assert_eq!(component(0.3, 0.0, -inf, inf, 1.0).0, 0.0);
    assert_eq!(component(0.0, 2.0, 0.0, inf, 1.0).0, 0.0);
    assert_eq!(component(1.0, -2.0, -inf, 1.0, 1.0).0, 0.0);
    assert_eq!(component(1.0, -2.0, 0.0, 1.0, 1.0).0, 0.0);
    assert_eq!(component(0.5, 0.0, 0.0, 1.0, 1.0).0, 0.0);
    assert!(component(0.5, 1.0, 0.0, 1.0, 1.0).0.abs() > 0.1);
}

#[test]
fn solves_each_kind_of_bound() {
    // F_i = z_i - c_i on [0, 1] x [0, inf) x (-inf, 1] x R: solution clamps c.
    let c = [2.0, -1.0, 3.0, 0.7];
    let op = FnOperator::new(4, move |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| {
        for i in 0..4 {
            o[i] = z[i] - c[i] + 0.1 * z[(i + 1) % 4].sin();
        }
    });
    let inf = f64::INFINITY;
    let set = BoxSet::new(
        vi_core::linalg::col_from_slice(&[0.0, 0.0, -inf, -inf]),
        vi_core::linalg::col_from_slice(&[1.0, inf, 1.0, inf]),
    )
    .unwrap();
    let mut p = Problem::new("bounds", Box::new(op), Box::new(set), Col::zeros(4)).unwrap();
    let r = run(&mut p, &mut newton(), 1e-12, 30);
    assert_eq!(r.status, Status::Converged, "{:?}", r.message);
    assert_eq!((r.z[0], r.z[1], r.z[2]), (1.0, 0.0, 1.0));
    assert!((r.z[3] - 0.7 + 0.1 * r.z[0].sin()).abs() < 1e-12);
}

#[test]
fn finite_differences_work_without_a_jacobian() {
    let mut p = josephy_fn();
    let mut s = newton();
    let r = run(&mut p, &mut s, 1e-10, 50);
    assert_eq!(r.status, Status::Converged, "{:?}", r.message);
    let e = [1.5f64.sqrt(), 0.0, 0.0, 0.5];
    for i in 0..4 {
        assert!((r.z[i] - e[i]).abs() < 1e-9, "{:?}", r.z);
    }
    let info = s.info();
    assert_eq!(info["analytic_jacobians"], 0);
    let fd = info["finite_difference_jacobians"].as_u64().unwrap();
    assert_eq!(fd, r.iterations);
    // 1 at init, 4 per Jacobian, 1 per trial.
    assert_eq!(r.oracle_calls, 1 + 4 * fd + info["line_search_trials"].as_u64().unwrap());
}

#[test]
fn analytic_jacobian_is_one_call_and_solves_an_affine_problem_in_one_step() {
    let mut p = strongly_monotone(6, 0.5, 1.0, 3);
    let mut s = newton();
    let r = run(&mut p, &mut s, 1e-10, 10);
    assert_eq!(r.status, Status::Converged);
    assert_eq!(r.iterations, 1);
    // F(z0) at init, F with J at z0, one trial.
    assert_eq!(r.oracle_calls, 3);
}

#[test]
fn singular_newton_system_at_a_stationary_point_ends_with_a_message() {
    // F(x) = x^2 + 1 has no zero; at x = 0, J = 0 and the merit gradient vanishes.
    let op = FnOperator::new(1, |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| o[0] = z[0] * z[0] + 1.0);
    let mut p = Problem::unconstrained("no-root", Box::new(op), Col::zeros(1)).unwrap();
    let r = run(&mut p, &mut newton(), 1e-10, 10);
    assert_eq!(r.status, Status::NumericalError);
    let m = r.message.unwrap();
    assert!(m.contains("singular Newton system") && m.contains("stationary point"), "{m}");
}

/// `F(x) = x - 1` on R with a Jacobian of the wrong sign.
#[derive(Clone)]
struct WrongJacobian;
impl Operator for WrongJacobian {
    fn dim(&self) -> usize {
        1
    }
    fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        out[0] = z[0] - 1.0;
    }
    fn jacobian_into(&mut self, _z: ColRef<'_, f64>, mut out: MatMut<'_, f64>) -> bool {
        out[(0, 0)] = -1.0;
        true
    }
}

#[test]
fn stalled_line_search_ends_with_a_message() {
    let mut p = Problem::unconstrained("wrong-j", Box::new(WrongJacobian), Col::zeros(1)).unwrap();
    let r = run(&mut p, &mut newton(), 1e-10, 10);
    assert_eq!(r.status, Status::NumericalError);
    let m = r.message.unwrap();
    assert!(m.contains("line search stalled") && m.contains("0 of 60 trials gave non-finite F"), "{m}");
}

#[test]
fn non_finite_values_end_with_a_message() {
    // F(x) = x - 2, undefined (NaN) beyond x = 1: the search reaches x = 1, then every trial
    // beyond it is non-finite and rejected.
    let op = FnOperator::new(1, |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| {
        o[0] = if z[0] > 1.0 { f64::NAN } else { z[0] - 2.0 }
    });
    let mut p = Problem::unconstrained("nan-beyond-1", Box::new(op), Col::zeros(1)).unwrap();
    let r = run(&mut p, &mut newton(), 1e-10, 10);
    assert_eq!(r.status, Status::NumericalError);
    let m = r.message.unwrap();
    assert!(m.contains("line search stalled") && m.contains("trials gave non-finite F"), "{m}");
    assert!(!m.contains(" 0 of "), "{m}");
    assert!(r.z[0] <= 1.0 && r.z[0] > 0.99, "{:?}", r.z);
    // NaN at the iterate itself (the runner's residual check is bypassed here).
    let op = FnOperator::new(1, |_z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| o[0] = f64::NAN);
    let mut p = Problem::unconstrained("nan", Box::new(op), Col::zeros(1)).unwrap();
    let mut s = newton();
    s.init(&mut p).unwrap();
    assert_eq!(s.step(&mut p), StepStatus::Finished(Status::NumericalError));
    assert!(s.status_message().unwrap().contains("non-finite value"));
}

#[test]
fn quadratic_local_convergence() {
    // F(z) = z + 0.5 z^3 - c (componentwise, coupled) on the orthant.
    let op = FnOperator::new(3, |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| {
        o[0] = z[0] + 0.5 * z[0].powi(3) + 0.2 * z[1] - 2.0;
        o[1] = z[1] + 0.5 * z[1].powi(3) - 0.2 * z[0] + 1.0;
        o[2] = z[2] + 0.5 * z[2].powi(3) + 0.1 * z[0] * z[1] - 1.0;
    });
    let mut p =
        Problem::new("cubic", Box::new(op), Box::new(NonnegativeOrthant::new(3)), Col::from_fn(3, |_| 3.0)).unwrap();
    let runner = vi_core::Runner::new(vi_core::RunConfig { tol: 1e-13, trace_every: 1, ..Default::default() }).unwrap();
    let r = runner.run(&mut p, &mut newton()).unwrap();
    assert_eq!(r.status, Status::Converged);
    let res: Vec<f64> = r.trace.iter().map(|t| t.residual).collect();
    let tail: Vec<f64> = res.iter().copied().filter(|v| *v < 1e-1 && *v > 1e-15).collect();
    assert!(tail.len() >= 3, "{res:?}");
    for w in tail.windows(2) {
        assert!(w[1] <= 10.0 * w[0] * w[0], "not quadratic: {res:?}");
    }
}
