//! The Dirac-GAN reference numbers of docs/math.md §1.6 and §3.4, reproduced end to end through the
//! registry (step 0.2, start (1, 1), 500 iterations, tolerance 0), the Jacobian diagnostics of
//! docs/math.md §1.6 / §3.6 (library and binary), and the trajectory figure.

use vi_problems as _;
use vi_solvers as _;

use serde_json::{json, Map, Value};
use vi_bench::cli::Selection;
use vi_bench::diagnose::{diagnose, DiagnoseArgs};
use vi_core::{RunConfig, RunSpec, Status};

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `||z_500||` of `solver` at step 0.2 from (1, 1) on `gan-dirac` with `problem` parameters.
fn dirac(solver: &str, problem: Value) -> vi_core::Report {
    let spec = RunSpec {
        problem: "gan-dirac".into(),
        solver: solver.into(),
        problem_params: obj(problem),
        solver_params: obj(json!({"step": 0.2})),
        seed: 0,
        config: RunConfig { tol: 0.0, max_iters: 500, ..RunConfig::default() },
    };
    let r = spec.run().unwrap();
    assert_eq!(r.iterations, 500, "{solver}: {:?}", r.status);
    assert_eq!(r.status, Status::MaxIterations);
    r
}

fn assert_rel(got: f64, want: f64, rel: f64, what: &str) {
    assert!((got - want).abs() <= rel * want, "{what}: ||z_500|| = {got:e}, docs/math.md says {want:e} (+- {rel})");
}

#[test]
fn unregularized_methods_reproduce_the_math_table() {
    assert_rel(dirac("gda", json!({})).distance_to_solution.unwrap(), 3.10, 0.01, "simultaneous GDA");
    assert_rel(dirac("alternating-gda", json!({})).distance_to_solution.unwrap(), 1.42, 0.01, "alternating GDA");
    assert_rel(dirac("extragradient", json!({})).distance_to_solution.unwrap(), 0.122, 0.01, "EG");
    let r = dirac("eftp", json!({}));
    assert_rel(r.distance_to_solution.unwrap(), 0.116, 0.01, "EFTP");
    // The metric is the same distance.
    assert_eq!(r.metrics["distance_to_equilibrium"], r.distance_to_solution.unwrap());
}

#[test]
fn gradient_penalty_and_tikhonov_reproduce_the_math_table() {
    let d = |s: &str, p: Value| dirac(s, p).distance_to_solution.unwrap();
    assert_rel(d("gda", json!({"reg": "r1", "gamma": 0.3})), 2.6e-6, 0.03, "sim-GD + R1 0.3");
    assert_rel(d("gda", json!({"reg": "r1", "gamma": 1.0})), 9.5e-22, 0.03, "sim-GD + R1 1");
    assert_rel(d("eftp", json!({"reg": "r1", "gamma": 0.3})), 3.3e-8, 0.03, "EFTP + R1 0.3");
    // The row of docs/math.md §1.6 puts the Tikhonov term on theta (the generator): eps_g.
    assert_rel(
        d("eftp", json!({"reg": "r1", "gamma": 0.3, "eps_g": 0.1})),
        2.7e-10,
        0.03,
        "EFTP + R1 0.3 + Tikhonov(theta) 0.1",
    );
}

#[test]
fn asymmetric_preset_reaches_below_1e_9() {
    // Discriminator-only preset: penalty 0.3 (default gamma) + Tikhonov eps_d = 0.1 (default under
    // `asymmetric`); in the Dirac-GAN both act on psi, an effective damping of 0.4.
    let r = dirac("eftp", json!({"reg": "asymmetric"}));
    let d = r.distance_to_solution.unwrap();
    assert!(d < 1e-9, "asymmetric preset: ||z_500|| = {d:e}");
    assert_rel(d, 3.70e-10, 0.02, "EFTP + asymmetric preset");
    // Explicit weights give the same run.
    let same = dirac("eftp", json!({"reg": "r1", "gamma": 0.3, "eps_d": 0.1})).distance_to_solution.unwrap();
    assert_eq!(d, same);
    // The generator is never regularized by the preset.
    assert_eq!(r.params["problem"]["eps_g"], json!(0.0));
}

#[test]
fn every_equilibrium_preserving_regularizer_converges_with_eftp() {
    // From (1, 1) at step 0.2 with gamma 0.3: each stabilising regularizer beats plain EFTP
    // (0.116) by orders of magnitude within 2000 iterations.
    for reg in ["asymmetric", "r1", "r2", "nk", "jare", "consensus", "proximal"] {
        let spec = RunSpec {
            problem: "gan-dirac".into(),
            solver: "eftp".into(),
            problem_params: obj(json!({"reg": reg})),
            solver_params: obj(json!({"step": 0.2})),
            seed: 0,
            config: RunConfig { tol: 1e-8, max_iters: 2000, ..RunConfig::default() },
        };
        let r = spec.run().unwrap();
        assert_eq!(r.status, Status::Converged, "{reg}: {:?} after {} iterations", r.status, r.iterations);
        assert!(r.distance_to_solution.unwrap() < 1e-7, "{reg}: {:?}", r.distance_to_solution);
    }
}

#[test]
fn one_centered_penalty_does_not_converge_to_the_nash_point() {
    // WGAN-GP (docs/math.md §3.4): the field jumps by gamma across psi = 0; EFTP ends far from (0, 0).
    let r = dirac("eftp", json!({"reg": "wgan-gp", "gamma": 0.7}));
    assert!(r.distance_to_solution.unwrap() > 0.3, "{:?}", r.z);
    // Tikhonov continuation finds where the rest point moved: theta = -gamma / f'(0) = -2 gamma,
    // psi -> 0+ (the field vanishes there to first order in psi).
    let spec = RunSpec {
        problem: "gan-dirac".into(),
        solver: "tikhonov".into(),
        problem_params: obj(json!({"reg": "wgan-gp", "gamma": 0.3})),
        solver_params: obj(json!({"step": 0.2})),
        seed: 0,
        config: RunConfig { tol: 1e-8, max_iters: 20_000, ..RunConfig::default() },
    };
    let r = spec.run().unwrap();
    assert_eq!(r.status, Status::Converged, "{:?}", r.message);
    assert!((r.z[0] + 0.6).abs() < 1e-6 && r.z[1].abs() < 1e-6, "{:?}", r.z);
}

fn args(problem: &str, set: &[&str], at: &str, solvers: &[&str]) -> DiagnoseArgs {
    DiagnoseArgs {
        selection: Selection { problem: problem.into(), set: set.iter().map(|s| s.to_string()).collect(), seed: 0 },
        at: at.into(),
        json: true,
        solvers: solvers.iter().map(|s| s.to_string()).collect(),
        measure_iters: 300,
        offset: 1e-3,
        dense_max: 1000,
        krylov: 60,
        bounds: 0,
        radius: 0.5,
    }
}

#[test]
fn dirac_diagnostics_match_math() {
    // Penalty 0.3 at the equilibrium: 0.15 +- 0.477i, mu = 0.
    let d = diagnose(&args("gan-dirac", &["problem.reg=r1", "problem.gamma=0.3"], "solution", &["eftp"])).unwrap();
    assert_eq!(d.point, vec![0.0, 0.0]);
    for e in &d.spectrum.eigenvalues {
        assert!((e[0] - 0.15).abs() < 1e-12 && (e[1].abs() - 0.477).abs() < 1e-3, "{:?}", d.spectrum.eigenvalues);
    }
    assert!(d.spectrum.mu.abs() < 1e-12);
    // Plus Tikhonov 0.1 on theta: 0.2 +- 0.490i, mu = 0.1, L = 0.639.
    let d = diagnose(&args(
        "gan-dirac",
        &["problem.reg=r1", "problem.eps_g=0.1", "solver.step=0.2"],
        "solution",
        &["eftp", "gda"],
    ))
    .unwrap();
    for e in &d.spectrum.eigenvalues {
        assert!((e[0] - 0.2).abs() < 1e-12 && (e[1].abs() - 0.490).abs() < 1e-3, "{:?}", d.spectrum.eigenvalues);
    }
    assert!(
        (d.spectrum.mu - 0.1).abs() < 1e-12 && (d.spectrum.lipschitz - 0.639).abs() < 1e-3,
        "mu {} L {}",
        d.spectrum.mu,
        d.spectrum.lipschitz
    );
    let b = d.bounds.as_ref().unwrap();
    assert_eq!((b.terms["gauss_newton_min"], b.terms["gauss_newton_max"]), (1.0, 1.0));
    // EFTP at step 0.2: predicted factor = largest root of t^2 - (1 - 2 eta l) t - eta l, and the
    // short run measures the same within 0.2%.
    let p = &d.predictions["eftp"];
    let (pred, meas) = (p["rate"].as_f64().unwrap(), p["measured_rate"].as_f64().unwrap());
    assert!((pred - 0.9562).abs() < 1e-3, "{p}");
    assert!((meas - pred).abs() < 2e-3 * pred, "predicted {pred}, measured {meas}");
    // GDA: factor |1 - eta lambda|, stable iff eta < 2 Re / |lambda|^2 = 0.4 / 0.28 = 1.4286.
    let g = &d.predictions["gda"];
    let want = ((1.0f64 - 0.2 * 0.2).powi(2) + (0.2 * 0.48990f64).powi(2)).sqrt();
    assert!((g["rate"].as_f64().unwrap() - want).abs() < 1e-4, "{g}");
    assert!((g["max_stable_step"].as_f64().unwrap() - 0.4 / 0.28).abs() < 1e-9, "{g}");
}

#[test]
fn gaussian_mean_diagnostics_match_math() {
    let d = diagnose(&args("gan-gaussian-mean", &[], "solution", &["extragradient"])).unwrap();
    let want = [[0.1175, 0.0], [0.1225, -0.4848], [0.1225, 0.4848], [2.1275, 0.0]];
    let mut got = d.spectrum.eigenvalues.clone();
    got.sort_by(|a, b| (a[0], a[1]).partial_cmp(&(b[0], b[1])).unwrap());
    for (g, w) in got.iter().zip(want) {
        assert!((g[0] - w[0]).abs() < 1e-4 && (g[1] - w[1]).abs() < 1e-4, "{got:?}");
    }
    assert!((d.spectrum.phase_factor - 3.96).abs() < 0.01, "{}", d.spectrum.phase_factor);
    assert!((d.spectrum.conditioning_factor - 18.1).abs() < 0.05, "{}", d.spectrum.conditioning_factor);
    assert!(d.spectrum.mu.abs() < 1e-12 && (d.spectrum.lipschitz - 2.35).abs() < 0.01);
    let p = &d.predictions["extragradient"];
    let (pred, meas) = (p["rate"].as_f64().unwrap(), p["measured_rate"].as_f64().unwrap());
    assert!((meas - pred).abs() < 1e-3 * pred, "predicted {pred}, measured {meas}");
}

#[test]
fn diagnose_through_the_binary_prints_one_json_object() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vi-bench"))
        .args([
            "diagnose",
            "--problem",
            "gan-dirac",
            "--set",
            "problem.reg=r1",
            "--set",
            "problem.eps_g=0.1",
            "--at",
            "solution",
            "--solvers",
            "eftp,extragradient",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["point", "eigenvalues", "mu", "lipschitz", "phase_factor", "conditioning_factor", "predictions"] {
        assert!(v.get(key).is_some(), "missing `{key}` in {v}");
    }
    assert!((v["mu"].as_f64().unwrap() - 0.1).abs() < 1e-12);
    assert!((v["lipschitz"].as_f64().unwrap() - 0.639).abs() < 1e-3);
    assert!((v["eigenvalues"][0][0].as_f64().unwrap() - 0.2).abs() < 1e-12);
    assert!((v["eigenvalues"][0][1].as_f64().unwrap().abs() - 0.490).abs() < 1e-3);
    assert_eq!(v["jacobian_source"], json!("analytic"));
    assert!(v["predictions"]["eftp"]["max_stable_step"].as_f64().unwrap() > 0.0);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vi-bench"))
        .args(["diagnose", "--problem", "gan-gaussian-mean", "--at", "solution", "--measure-iters", "0", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v["phase_factor"].as_f64().unwrap() - 3.96).abs() < 0.01, "{v}");
    assert!((v["conditioning_factor"].as_f64().unwrap() - 18.1).abs() < 0.05, "{v}");

    // Bad input: one line, exit status 2.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vi-bench"))
        .args(["diagnose", "--problem", "gan-dirac", "--at", "/nonexistent/point.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim().lines().count(), 1);
}

#[test]
fn trajectory_figure_overlays_solvers() {
    let dir = std::env::temp_dir().join(format!("vi-bench-gan-dirac-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("dirac.svg");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vi-bench"))
        .args(["trajectory", "--problem", "gan-dirac", "--solvers", "gda,eftp", "--set", "solver.step=0.2", "--out"])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("gda") && text.contains("eftp"), "{}", &text[..200]);
    let one = dir.join("one.svg");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vi-bench"))
        .args(["run", "--problem", "gan-dirac", "--solver", "eftp", "--max-iters", "50", "--trajectory"])
        .arg(&one)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(&one).unwrap().contains("discriminator[0]"));
    std::fs::remove_dir_all(&dir).ok();
}
