//! A suite interrupted through `SuiteOptions::stop` (Ctrl-C in Python's `vi_engine.suite`)
//! keeps its finished runs, records none of those in flight, and still writes its summary.

use serde_json::Value;
use vi_bench::suite::{run_suite, SuiteOptions, SuiteSpec};

#[test]
fn an_interrupt_keeps_finished_runs_and_records_none_in_flight() {
    // One run that would take a minute (alternating GDA cycles on the unregularized Dirac GAN)
    // beside a quick one; the stop flag comes after the quick one is done.
    let spec = SuiteSpec::from_toml(
        r#"
[[problems]]
name = "gan-dirac"
params = { reg = "none" }
budget = { tol = 0.0, max_iters = 1000000000, time_limit = 60.0 }
[[problems]]
name = "bilinear"
params = { m = 5, n = 5 }
budget = { max_iters = 1000 }
[[solvers]]
name = "alternating-gda"
params = { step = 0.1 }
"#,
        "interrupt.toml",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = SuiteOptions::new(dir.path());
    opts.jobs = 2;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    opts.stop = Some(stop.clone());
    let t = std::time::Instant::now();
    let o = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        run_suite(&spec, &opts).unwrap()
    });
    assert!(t.elapsed().as_secs_f64() < 20.0, "the interrupted run stopped late: {:?}", t.elapsed());
    assert!(o.interrupted);
    let recorded: Vec<Value> =
        std::fs::read_to_string(&o.results).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let problems: Vec<&str> = recorded.iter().map(|r| r["problem"].as_str().unwrap()).collect();
    assert!(!problems.contains(&"gan-dirac"), "the run in flight is not a result: {problems:?}");
    assert!(problems.contains(&"bilinear") && recorded.iter().all(|r| r["status"] == "MaxIterations"), "{recorded:?}");
    assert!(o.summary.exists(), "the summary is still written");
}
