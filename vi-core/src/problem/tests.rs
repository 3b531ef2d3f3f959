//! Tests of `problem`.

use super::*;
use crate::operator::FnOperator;
use crate::sets::Simplex;

/// `F(z) = M z` with `M = [[2, 0], [1, 3]]`, dense and sparse (diagonal included).
#[derive(Clone)]
struct SparseTwo;
impl Operator for SparseTwo {
    fn dim(&self) -> usize {
        2
    }
    fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        out[0] = 2.0 * z[0];
        out[1] = z[0] + 3.0 * z[1];
    }
    fn jacobian_into(&mut self, _z: ColRef<'_, f64>, mut out: MatMut<'_, f64>) -> bool {
        out.copy_from(faer::mat![[2.0, 0.0], [1.0, 3.0]]);
        true
    }
    fn jacobian_pattern(&self) -> Option<faer::sparse::SymbolicSparseColMat<usize>> {
        Some(faer::sparse::SymbolicSparseColMat::new_checked(2, 2, vec![0, 2, 3], None, vec![0, 1, 1]))
    }
    fn jacobian_values_into(&mut self, _z: ColRef<'_, f64>, values: &mut [f64]) -> bool {
        values.copy_from_slice(&[2.0, 1.0, 3.0]);
        true
    }
}

#[test]
fn the_jacobian_a_solver_sees_includes_the_tikhonov_shift() {
    let z = Col::<f64>::zeros(2);
    let mut p = Problem::unconstrained("two", Box::new(SparseTwo), z.clone()).unwrap();
    let (mut j, mut v) = (faer::Mat::<f64>::zeros(2, 2), [0.0; 3]);
    assert!(p.jacobian_into(z.as_ref(), j.as_mut()) && p.jacobian_values_into(z.as_ref(), &mut v));
    assert_eq!((j[(0, 0)], v), (2.0, [2.0, 1.0, 3.0]));
    p.set_tikhonov(Some(TikhonovTerm::uniform(0.5, z.as_ref()).unwrap()));
    assert!(p.jacobian_into(z.as_ref(), j.as_mut()) && p.jacobian_values_into(z.as_ref(), &mut v));
    assert_eq!(j, faer::mat![[2.5, 0.0], [1.0, 3.5]]);
    assert_eq!(v, [2.5, 1.0, 3.5]);
    // No analytic Jacobian: nothing is written.
    let mut q = Problem::unconstrained("rot", rotation(), z.clone()).unwrap();
    q.set_tikhonov(Some(TikhonovTerm::uniform(0.5, z.as_ref()).unwrap()));
    assert!(!q.jacobian_into(z.as_ref(), j.as_mut()) && !q.jacobian_values_into(z.as_ref(), &mut v));
}

fn rotation() -> Box<dyn Operator> {
    Box::new(FnOperator::new(2, |z, mut out| {
        out[0] = z[1];
        out[1] = -z[0];
    }))
}

#[test]
fn counts_calls_and_projections() {
    let mut p =
        Problem::new("t", rotation(), Box::new(Simplex::new(2, 1.0).unwrap()), linalg::col_from_slice(&[0.5, 0.5]))
            .unwrap();
    let z = p.start().to_owned();
    let mut out = Col::zeros(2);
    p.eval(z.as_ref(), out.as_mut());
    p.project(out.as_mut());
    let _ = p.natural_residual(z.as_ref());
    assert_eq!(p.counters(), Counters { oracle_calls: 1, projections: 1, component_calls: 0, monitor_calls: 1 });
}

#[test]
fn natural_residual_is_norm_of_f_when_unconstrained() {
    let mut p = Problem::unconstrained("t", rotation(), linalg::col_from_slice(&[3.0, 4.0])).unwrap();
    let z = p.start().to_owned();
    assert!((p.natural_residual(z.as_ref()) - 5.0).abs() < 1e-15);
}

#[test]
fn rejects_bad_start_and_blocks() {
    let e = Problem::unconstrained("t", rotation(), Col::zeros(3)).unwrap_err();
    assert_eq!(e.to_string(), "dimension mismatch in problem `t`: start: expected 2, got 3");
    let e = Problem::unconstrained("t", rotation(), linalg::col_from_slice(&[f64::NAN, 0.0])).unwrap_err();
    assert!(matches!(e, Error::NonFinite(_)));
    let p = Problem::unconstrained("t", rotation(), Col::zeros(2)).unwrap();
    assert!(p.with_blocks(vec![Block::new("a", 0..2), Block::new("b", 1..2)]).is_err());
}

#[test]
fn the_start_is_projected_onto_the_set() {
    let op = FnOperator::new(3, |z: ColRef<'_, f64>, mut out: ColMut<'_, f64>| out.copy_from(z));
    let set = crate::sets::BoxSet::uniform(3, -1.0, 1.0).unwrap();
    let mut p = Problem::new("box", Box::new(op), Box::new(set), faer::col![5.0, -7.0, 0.5]).unwrap();
    assert_eq!(p.start(), faer::col![1.0, -1.0, 0.5].as_ref());
    p.set_start(faer::col![0.25, 3.0, -2.0].as_ref()).unwrap();
    assert_eq!(p.start(), faer::col![0.25, 1.0, -1.0].as_ref());
}
