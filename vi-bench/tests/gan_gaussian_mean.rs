//! End-to-end runs on `gan-gaussian-mean` (docs/math.md §3.6, the Nie-Patel toy with its code
//! defaults) and `gan-covariance` (docs/math.md §3.5) through the registry.

use vi_problems as _;
use vi_solvers as _;

use serde_json::{json, Map, Value};
use vi_bench::cli::Selection;
use vi_bench::diagnose::{diagnose, DiagnoseArgs};
use vi_core::diagnostics::JacobianSource;
use vi_core::{RunConfig, RunSpec, Status};

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn run(problem: &str, solver: &str, pp: Value, sp: Value, max_iters: u64) -> vi_core::Report {
    RunSpec {
        problem: problem.into(),
        solver: solver.into(),
        problem_params: obj(pp),
        solver_params: obj(sp),
        seed: 0,
        config: RunConfig { tol: 1e-8, max_iters, ..RunConfig::default() },
    }
    .run()
    .unwrap()
}

#[test]
fn gaussian_mean_defaults_converge_to_the_data_mean() {
    // Default steps ("auto") from the code's start (0.05, 2.05), (0.05, 0.05).
    for (solver, max_calls) in [("extragradient", 1200), ("eftp", 700), ("gda", 3000)] {
        let r = run("gan-gaussian-mean", solver, json!({}), json!({}), 20_000);
        assert_eq!(r.status, Status::Converged, "{solver}");
        assert!(r.oracle_calls <= max_calls, "{solver}: {} calls", r.oracle_calls);
        assert!(r.distance_to_solution.unwrap() < 2e-7, "{solver}: {:?}", r.z);
        assert!((r.z[1] - 2.0).abs() < 2e-7, "{solver} learns v = (0, 2): {:?}", r.z);
    }
}

#[test]
fn gaussian_mean_regularizers_keep_the_equilibrium_and_wgan_gp_moves_it() {
    for reg in ["asymmetric", "r1", "nk", "jare", "consensus", "proximal"] {
        let r = run("gan-gaussian-mean", "extragradient", json!({"reg": reg}), json!({}), 20_000);
        assert_eq!(r.status, Status::Converged, "{reg}");
        assert!(r.distance_to_solution.unwrap() < 2e-7, "{reg}: {:?}", r.z);
    }
    let r = run("gan-gaussian-mean", "extragradient", json!({"reg": "wgan-gp"}), json!({}), 20_000);
    assert!(r.distance_to_solution.unwrap() > 0.3, "wgan-gp: {:?}", r.z);
    // A Tikhonov term on the generator anchored at 0 biases phi towards 0 (the anchor).
    let r = run("gan-gaussian-mean", "extragradient", json!({"eps_g": 0.1}), json!({}), 20_000);
    assert_eq!(r.status, Status::Converged);
    assert!(r.z[1] < 1.99 && r.z[1] > 0.0, "{:?}", r.z);
}

#[test]
fn gaussian_mean_losses_share_the_equilibrium() {
    for loss in ["non-saturating", "wgan"] {
        let r = run("gan-gaussian-mean", "extragradient", json!({"loss": loss, "reg": "r1"}), json!({}), 20_000);
        assert_eq!(r.status, Status::Converged, "{loss}");
        assert!(r.distance_to_solution.unwrap() < 2e-7, "{loss}: {:?}", r.z);
    }
}

#[test]
fn covariance_learns_sigma() {
    // From U = I, W = 0.1 I: the generator's U U^T reaches Sigma (distance to the equilibrium
    // set, an orbit of orthogonal matrices).
    for reg in ["none", "asymmetric", "r2", "nk"] {
        let r = run("gan-covariance", "extragradient", json!({"reg": reg}), json!({}), 20_000);
        assert_eq!(r.status, Status::Converged, "{reg}");
        assert!(r.metrics["distance_to_equilibrium"] < 1e-7, "{reg}: {:?}", r.metrics);
        let (u11, u12, u21, u22) = (r.z[0], r.z[1], r.z[2], r.z[3]);
        let uu = [u11 * u11 + u12 * u12, u11 * u21 + u12 * u22, u21 * u21 + u22 * u22];
        for (got, want) in uu.iter().zip([2.0, 0.5, 1.0]) {
            assert!((got - want).abs() < 1e-6, "{reg}: U U^T = {uu:?}");
        }
    }
}

#[test]
fn large_gaussian_mean_is_diagnosed_matrix_free_with_the_same_spectrum() {
    // d = 600 (n = 1200 > 1000): Arnoldi on analytic JVPs. J has only four distinct eigenvalues
    // (H = (sigma^2 I + v v^T)/2 has two), so the Krylov space becomes invariant and the Ritz
    // values are exact: the phase and conditioning factors of docs/math.md §3.6 do not depend on d.
    let a = DiagnoseArgs {
        selection: Selection { problem: "gan-gaussian-mean".into(), set: vec!["problem.d=600".into()], seed: 0 },
        at: "solution".into(),
        json: true,
        solvers: vec!["eftp".into()],
        measure_iters: 0,
        offset: 1e-3,
        dense_max: 1000,
        krylov: 60,
        bounds: 0,
        radius: 0.5,
    };
    let d = diagnose(&a).unwrap();
    assert_eq!((d.dim, d.method.as_str()), (1200, "arnoldi"));
    assert_eq!(d.jacobian_source, JacobianSource::JacobianVectorProducts);
    assert!((d.spectrum.phase_factor - 3.957).abs() < 1e-3, "{}", d.spectrum.phase_factor);
    assert!((d.spectrum.conditioning_factor - 18.105).abs() < 1e-3, "{}", d.spectrum.conditioning_factor);
    assert!(
        (d.spectrum.lipschitz - 2.3513).abs() < 1e-3 && d.spectrum.mu.abs() < 1e-9,
        "L {} mu {}",
        d.spectrum.lipschitz,
        d.spectrum.mu
    );
    let p = &d.predictions["eftp"];
    assert!((p["rate"].as_f64().unwrap() - 0.980409).abs() < 1e-5, "{p}");
}

#[test]
fn scalar_toy_regularized_jacobians_match_math_section_4() {
    // docs/math.md §4.10, scalar toy: A = 0, B = -1/2, C = h, gamma = eta = 1. The one-dimensional
    // Gaussian-mean game with v = 0 is exactly this toy with h = sigma^2 / 2. Columns:
    // eigenvalues, phase factor, max|l|/min|l|, mu, L (as printed in docs/math.md §4.10).
    type Row = (&'static str, [[f64; 2]; 2], f64, f64, f64, f64);
    let table: [(f64, [Row; 5]); 2] = [
        (
            0.01,
            [
                ("none", [[0.005, 0.5], [0.005, 0.5]], 100.0, 1.0, 0.0, 0.505),
                ("consensus", [[0.255, 0.500], [0.255, 0.500]], 1.96, 1.0, 0.248, 0.568),
                ("nk", [[0.255, 0.430], [0.255, 0.430]], 1.69, 1.0, 0.010, 0.802),
                ("r1", [[0.434, 0.0], [0.576, 0.0]], 0.0, 1.33, 0.0, 1.216),
                ("jare", [[0.255, 0.498], [0.255, 0.498]], 1.95, 1.0, 0.249, 0.565),
            ],
        ),
        (
            10.0,
            [
                ("none", [[0.0251, 0.0], [9.975, 0.0]], 0.0, 398.0, 0.0, 10.03),
                ("consensus", [[0.0255, 0.0], [110.5, 0.0]], 0.0, 4339.0, 0.023, 110.5),
                ("nk", [[0.0239, 0.0], [10.48, 0.0]], 0.0, 439.0, -1.65, 13.81),
                ("r1", [[0.0228, 0.0], [10.98, 0.0]], 0.0, 482.0, 0.0, 11.02),
                ("jare", [[0.0298, 0.0], [10.47, 0.0]], 0.0, 351.0, -0.34, 11.21),
            ],
        ),
    ];
    let close = |got: f64, want: f64, what: &str| {
        // docs/math.md §4.10 prints 3-4 significant digits.
        assert!((got - want).abs() <= 6e-3 * want.abs().max(0.1), "{what}: got {got}, docs/math.md {want}");
    };
    for (h, rows) in table {
        let sigma = (2.0 * h).sqrt();
        for (reg, eig, phase, cond, mu, lip) in rows {
            let a = DiagnoseArgs {
                selection: Selection {
                    problem: "gan-gaussian-mean".into(),
                    set: vec![
                        "problem.d=1".into(),
                        "problem.v=[0]".into(),
                        format!("problem.sigma={sigma}"),
                        format!("problem.reg={reg}"),
                        "problem.gamma=1".into(),
                    ],
                    seed: 0,
                },
                at: "solution".into(),
                json: true,
                solvers: vec!["eftp".into()],
                measure_iters: 0,
                offset: 1e-3,
                dense_max: 1000,
                krylov: 60,
                bounds: 0,
                radius: 0.5,
            };
            let d = diagnose(&a).unwrap();
            let what = format!("h = {h}, {reg}");
            let mut got = d.spectrum.eigenvalues.clone();
            got.sort_by(|x, y| x[0].total_cmp(&y[0]).then(x[1].abs().total_cmp(&y[1].abs())));
            for (g, w) in got.iter().zip(eig) {
                close(g[0], w[0], &format!("{what}: Re"));
                close(g[1].abs(), w[1], &format!("{what}: |Im|"));
            }
            close(d.spectrum.phase_factor, phase, &format!("{what}: phase"));
            close(d.spectrum.conditioning_factor, cond, &format!("{what}: conditioning"));
            close(d.spectrum.mu, mu, &format!("{what}: mu"));
            close(d.spectrum.lipschitz, lip, &format!("{what}: L"));
        }
    }
}

#[test]
fn covariance_with_logistic_losses_on_whitened_samples_learns_sigma() {
    // Step 0.05: the penalty's Gramian 2 (Sigma dW + dW Sigma) has norm 4 lambda_max(Sigma) ~ 8.8,
    // so gamma = 0.3 raises L and EG at step 0.1 settles on a cycle with the penalty.
    for loss in ["standard", "non-saturating"] {
        for reg in ["none", "asymmetric"] {
            let r = run(
                "gan-covariance",
                "extragradient",
                json!({"loss": loss, "reg": reg}),
                json!({"step": 0.05}),
                20_000,
            );
            assert_eq!(r.status, Status::Converged, "{loss}/{reg}");
            assert!(r.metrics["distance_to_equilibrium"] < 1e-7, "{loss}/{reg}: {:?}", r.metrics);
        }
    }
}
