//! Results do not depend on the thread a run is made on or on the size of the rayon pool
//! around it (a suite's `--jobs`): faer's implicit parallelism, which the decompositions of
//! problem construction would otherwise use, is off (`vi_core::linalg::sequential_faer`).

use vi_problems as _;
use vi_solvers as _;

/// `F` at the start of the MLP GAN (its orthogonal initialisation is a QR per layer).
fn field() -> Vec<f64> {
    let mut p = vi_core::build_problem("gan-mixture", &serde_json::json!({"reg": "asymmetric"}), 1).unwrap();
    let z = p.start().to_owned();
    let mut out = faer::Col::<f64>::zeros(z.nrows());
    p.eval(z.as_ref(), out.as_mut());
    vi_core::linalg::to_vec(out.as_ref())
}

/// A problem whose data comes from QR and SVD (a random bilinear game) after a short run.
fn bilinear_run() -> Vec<f64> {
    let spec = vi_core::RunSpec {
        problem: "bilinear".into(),
        solver: "extragradient".into(),
        problem_params: serde_json::json!({"m": 200, "n": 150}).as_object().unwrap().clone(),
        seed: 3,
        config: vi_core::RunConfig { max_iters: 50, tol: 0.0, ..Default::default() },
        ..Default::default()
    };
    spec.run().unwrap().z
}

#[test]
fn problems_and_runs_are_the_same_on_any_thread_and_pool_size() {
    let (f, b) = (field(), bilinear_run());
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        assert!(pool.install(field) == f, "gan-mixture F in a pool of {threads}");
        assert!(pool.install(bilinear_run) == b, "bilinear run in a pool of {threads}");
    }
    assert!(std::thread::spawn(field).join().unwrap() == f);
}
