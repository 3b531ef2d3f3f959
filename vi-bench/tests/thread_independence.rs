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

/// `F` of `gan-mixture` at a point moved off the start (so that the ReLUs are mixed), with
/// `threads` threads per oracle call, for regularizers whose passes cover every product of the
/// MLP module (tangents along parameter and input directions, curved activations, a deeper
/// generator with layers of different widths), at batch sizes where the hidden layers'
/// products are large enough to be split.
fn gan_field_with_threads(threads: usize) -> Vec<Vec<f64>> {
    let cases = [
        serde_json::json!({"reg": "asymmetric"}),
        serde_json::json!({"reg": "r1+nk+jare", "g_act": "tanh", "d_act": "softplus", "batch": 400}),
        serde_json::json!({
            "reg": "consensus", "g_hidden": [96, 160, 64], "d_hidden": [64, 48], "latent_dim": 40, "batch": 512
        }),
    ];
    cases
        .iter()
        .map(|params| {
            let mut params = params.clone();
            params["threads"] = threads.into();
            let mut p = vi_core::build_problem("gan-mixture", &params, 5).unwrap();
            let z = faer::Col::from_fn(p.dim(), |i| p.start()[i] + 0.01 * ((i * 37 % 101) as f64 - 50.0) / 50.0);
            let mut out = faer::Col::<f64>::zeros(z.nrows());
            p.eval(z.as_ref(), out.as_mut());
            vi_core::linalg::to_vec(out.as_ref())
        })
        .collect()
}

#[test]
fn gan_mixture_threads_split_products_without_changing_a_bit() {
    let one = gan_field_with_threads(1);
    for threads in [2, 3, 4] {
        for pool_size in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(pool_size).build().unwrap();
            let many = pool.install(|| gan_field_with_threads(threads));
            for (case, (a, b)) in one.iter().zip(&many).enumerate() {
                assert!(a == b, "case {case}: threads = {threads} in a pool of {pool_size} differs from threads = 1");
            }
        }
    }
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
