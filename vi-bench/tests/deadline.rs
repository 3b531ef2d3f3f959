//! A run whose oracle has long inner loops (the proximal regularizer) ends `TimeLimit` once its
//! deadline passes, and its final residual is measured with full inner loops
//! ([`vi_core::deadline`]).

use serde_json::json;
use vi_core::build_problem;
use vi_problems as _;
use vi_solvers as _;

#[test]
fn a_run_cut_by_its_deadline_ends_time_limit_with_a_residual_from_full_inner_loops() {
    // 10 000 inner steps per call and a 0.2 s limit: inner loops are cut once it passes, the
    // final residual is measured after the deadline is withdrawn.
    let mut p =
        build_problem("gan-dirac", &json!({"reg": "proximal", "prox_steps": 10_000, "prox_lr": 1e-3}), 0).unwrap();
    let mut s = vi_core::build_solver("extragradient", &json!({"step": 0.1}), 0).unwrap().0;
    let cfg = vi_core::RunConfig { time_limit: Some(0.2), tol: 0.0, ..Default::default() };
    let report = vi_core::Runner::new(cfg).unwrap().run(&mut p, s.as_mut()).unwrap();
    assert_eq!(report.status, vi_core::Status::TimeLimit);
    let z = vi_core::linalg::col_from_slice(&report.z);
    let honest = p.natural_residual(z.as_ref());
    assert_eq!(report.residual, honest, "the reported residual is that of full inner loops");
}
