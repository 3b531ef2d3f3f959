//! A run ends `Stopped` soon after its runner's stop flag is set from another thread
//! ([`vi_core::Runner::with_stop`]), keeps an honest residual, and a flag that is never set
//! changes nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use vi_core::{build_problem, build_solver, RunConfig, Runner, Status};
use vi_problems as _;
use vi_solvers as _;

/// GDA on the Dirac GAN spirals out slowly: without a limit it runs for hours.
fn endless() -> (vi_core::Problem, Box<dyn vi_core::Solver>, RunConfig) {
    let p = build_problem("gan-dirac", &json!({"start": [1.0, 1.0]}), 0).unwrap();
    let s = build_solver("gda", &json!({"step": 1e-3}), 0).unwrap().0;
    (p, s, RunConfig { tol: 0.0, max_iters: u64::MAX, ..Default::default() })
}

#[test]
fn a_flag_set_from_another_thread_stops_the_run() {
    let (mut p, mut s, cfg) = endless();
    let flag = Arc::new(AtomicBool::new(false));
    let setter = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            flag.store(true, Ordering::Relaxed);
        })
    };
    let report = Runner::new(cfg).unwrap().with_stop(flag).run(&mut p, s.as_mut()).unwrap();
    setter.join().unwrap();
    assert_eq!(report.status, Status::Stopped);
    assert!(report.message.as_deref().is_some_and(|m| m.contains("stop flag")), "{:?}", report.message);
    // Set after 50 ms, read about every 0.5 ms: the run cannot have ended before, and ends
    // long before a human notices (a generous bound: the machine may be busy).
    assert!(report.elapsed_s >= 0.05 && report.elapsed_s < 5.0, "{} s", report.elapsed_s);
    assert!(report.iterations > 1000);
    let z = vi_core::linalg::col_from_slice(&report.z);
    assert_eq!(report.residual, p.natural_residual(z.as_ref()));
}

#[test]
fn a_flag_set_before_the_run_stops_it_at_once_and_an_unset_flag_changes_nothing() {
    let (mut p, mut s, cfg) = endless();
    let report =
        Runner::new(cfg.clone()).unwrap().with_stop(Arc::new(AtomicBool::new(true))).run(&mut p, s.as_mut()).unwrap();
    assert_eq!((report.status, report.iterations), (Status::Stopped, 0));

    let cfg = RunConfig { max_iters: 20_000, ..cfg };
    let (mut p, mut s, _) = endless();
    let plain = Runner::new(cfg.clone()).unwrap().run(&mut p, s.as_mut()).unwrap();
    let (mut p, mut s, _) = endless();
    let flagged =
        Runner::new(cfg).unwrap().with_stop(Arc::new(AtomicBool::new(false))).run(&mut p, s.as_mut()).unwrap();
    assert_eq!(plain.status, Status::MaxIterations);
    assert_eq!((plain.z, plain.residual, plain.iterations), (flagged.z, flagged.residual, flagged.iterations));
}
