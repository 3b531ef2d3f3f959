//! The claim suites under `vi-bench/suites/` reproduce what their headers and the README say.
//! Each test runs the shipped file through the binary and checks the table's statuses and
//! numbers.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Runs a shipped suite and returns its results keyed by (problem label, solver name), and its
/// summary.md.
fn run_shipped(name: &str) -> (BTreeMap<(String, String), Value>, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = Command::new(env!("CARGO_BIN_EXE_vi-bench"))
        .arg("suite")
        .arg(root.join("suites").join(format!("{name}.toml")))
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "2"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let records = text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let key = (v["problem_label"].as_str().unwrap().to_string(), v["solver"].as_str().unwrap().to_string());
            (key, v)
        })
        .collect();
    (records, std::fs::read_to_string(out.join("summary.md")).unwrap())
}

/// `(status, residual, distance_to_solution)` of one run of a shipped suite.
fn outcome(rs: &BTreeMap<(String, String), Value>, problem: &str, solver: &str) -> (String, f64, Option<f64>) {
    let r = rs.get(&(problem.to_string(), solver.to_string())).unwrap_or_else(|| panic!("{problem} x {solver}"));
    (r["status"].as_str().unwrap().to_string(), r["residual"].as_f64().unwrap(), r["distance_to_solution"].as_f64())
}

#[test]
fn nagarajan_kolter_the_nk_term_removes_the_wgan_cycle() {
    let (rs, _) = run_shipped("nagarajan-kolter");
    assert_eq!(rs.len(), 24);
    let get = |problem: &str, solver: &str| {
        let r = rs.get(&(problem.to_string(), solver.to_string())).unwrap_or_else(|| panic!("{problem} x {solver}"));
        (r["status"].as_str().unwrap().to_string(), r["iterations"].as_u64().unwrap(), r["residual"].as_f64().unwrap())
    };
    for game in ["gan-dirac(loss=wgan, reg=none, start=[0.5,0.5])", "gan-gaussian-mean(loss=wgan, reg=none)"] {
        // Purely imaginary eigenvalues: simultaneous steps spiral out, alternating steps circle.
        assert_eq!(get(game, "gda").0, "Diverged", "{game}");
        let (status, iters, residual) = get(game, "alternating-gda");
        assert_eq!((status.as_str(), iters), ("MaxIterations", 20_000), "{game}");
        assert!(residual > 0.05, "{game}: alternating GDA should not approach the equilibrium, residual {residual}");
        assert_eq!(get(game, "extragradient").0, "Converged", "{game}");
        // The NK term gives the eigenvalues a negative real part: every method converges, and
        // faster than extragradient without it.
        let nk = game.replace("reg=none", "reg=nk");
        let (_, eg_iters, _) = get(game, "extragradient");
        for solver in ["gda", "alternating-gda", "extragradient"] {
            let (status, iters, residual) = get(&nk, solver);
            assert_eq!(status, "Converged", "{nk} x {solver}");
            assert!(residual <= 1e-8);
            assert!(iters < eg_iters / 3, "{nk} x {solver}: {iters} iterations vs {eg_iters} without NK");
        }
    }
}

#[test]
fn asymmetric_regularization_stabilizes_the_small_gan_games() {
    let (rs, _) = run_shipped("asymmetric-regularization");
    assert_eq!(rs.len(), 36);
    let get = |problem: &str, solver: &str| outcome(&rs, problem, solver);
    // The Dirac-GAN table (docs/math.md §1.6): ||z_500|| from ||z_0|| = 1.414.
    let dist = |problem: &str, solver: &str| get(problem, solver).2.unwrap();
    assert!(dist("gan-dirac(reg=none)", "gda") > 3.0);
    assert!((dist("gan-dirac(reg=none)", "alternating-gda") - 1.42).abs() < 0.01);
    assert!((dist("gan-dirac(reg=none)", "extragradient") - 0.122).abs() < 0.005);
    for solver in ["gda", "alternating-gda", "extragradient", "eftp"] {
        assert!(dist("gan-dirac(reg=asymmetric)", solver) < 1e-7, "{solver}");
        assert!(dist("gan-dirac(gamma=0.3, reg=r1)", solver) < 1e-5, "{solver}");
    }
    assert!(dist("gan-dirac(reg=asymmetric)", "eftp") < 4e-10);
    // Covariance game: only extragradient converges without help; with it every method does.
    assert_eq!(get("gan-covariance(reg=none)", "gda").0, "Diverged");
    for solver in ["alternating-gda", "eftp"] {
        let (status, residual, _) = get("gan-covariance(reg=none)", solver);
        assert_eq!(status, "MaxIterations", "{solver}");
        assert!(residual > 0.1, "{solver}: {residual}");
    }
    for solver in ["gda", "alternating-gda", "extragradient", "eftp"] {
        assert_eq!(get("gan-covariance(reg=asymmetric)", solver).0, "Converged", "{solver}");
        assert_eq!(get("gan-gaussian-mean(reg=asymmetric)", solver).0, "Converged", "{solver}");
    }
}

/// The JARE suite, run once for the tests below.
struct Jare {
    records: BTreeMap<(String, String), Value>,
    summary: String,
}

fn jare() -> &'static Jare {
    static RUN: std::sync::OnceLock<Jare> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let (records, summary) = run_shipped("jare");
        assert_eq!(records.len(), 92);
        Jare { records, summary }
    })
}

impl Jare {
    fn get(&self, problem: &str, solver: &str) -> &Value {
        self.records.get(&(problem.to_string(), solver.to_string())).unwrap_or_else(|| panic!("{problem} x {solver}"))
    }

    /// A field of the Jacobian summary (the same in every record of a configuration); "inf" is
    /// infinite.
    fn factor(&self, problem: &str, key: &str) -> f64 {
        let v = &self.get(problem, "extragradient")["jacobian"][key];
        v.as_f64().unwrap_or_else(|| if v == "inf" { f64::INFINITY } else { panic!("{problem}: {key} = {v}") })
    }

    fn phase(&self, problem: &str) -> f64 {
        self.factor(problem, "phase_factor")
    }

    fn cond(&self, problem: &str) -> f64 {
        self.factor(problem, "conditioning_factor")
    }

    fn iterations(&self, problem: &str, solver: &str) -> u64 {
        let r = self.get(problem, solver);
        assert_eq!(r["status"], "Converged", "{problem} x {solver}");
        r["iterations"].as_u64().unwrap()
    }

    /// The row of `label` in summary.md's Jacobian table.
    fn row(&self, label: &str) -> &str {
        let s = &self.summary;
        s.lines().find(|l| l.starts_with(&format!("| {label} |"))).unwrap_or_else(|| panic!("{label}\n{s}"))
    }
}

fn gm(reg: &str) -> String {
    format!("gan-gaussian-mean(gamma=3.0, reg={reg})")
}

#[test]
fn jare_lowers_both_factors_where_the_other_regularizers_trade_one_for_the_other() {
    let j = jare();
    // Gaussian-mean game: the spectrum of docs/math.md §3.6 without regularization.
    let none = "gan-gaussian-mean(reg=none)";
    assert!((j.phase(none) - 3.96).abs() < 0.01 && (j.cond(none) - 18.1).abs() < 0.01, "{}", j.cond(none));
    // At gamma = 3 JARE lowers both factors, and converges faster than without it and than every
    // other weighted regularizer, with both methods.
    assert!(j.phase(&gm("jare")) < 0.3 && j.cond(&gm("jare")) < 16.0);
    for solver in ["extragradient", "eftp"] {
        let jare = j.iterations(&gm("jare"), solver);
        assert!(jare < j.iterations(none, solver), "{solver}");
        for reg in ["asymmetric", "r1", "r2", "nk", "consensus"] {
            assert!(jare * 3 < j.iterations(&gm(reg), solver), "{reg} x {solver}");
        }
    }
    // The others trade: no phase left but a worse conditioning factor, or (consensus) a smaller
    // phase with a much larger L.
    for reg in ["asymmetric", "r1", "r2", "nk"] {
        assert!(j.phase(&gm(reg)) < 1e-9 && j.cond(&gm(reg)) > 50.0, "{reg}");
    }
    assert!(j.phase(&gm("consensus")) < 0.3 && j.cond(&gm("consensus")) > 100.0);
    assert!(j.factor(&gm("consensus"), "lipschitz") > 18.0);
    // At the default weight JARE only trades too; proximal training lowers both.
    let jare_low = "gan-gaussian-mean(gamma=0.3, reg=jare)";
    assert!(j.phase(jare_low) < j.phase(none) && j.cond(jare_low) > j.cond(none));
    let prox = "gan-gaussian-mean(reg=proximal)";
    assert!(j.phase(prox) < 2.1 && j.cond(prox) < 4.4);
    // WGAN-GP moves the rest point: no convergence.
    for solver in ["extragradient", "eftp"] {
        assert_eq!(j.get(&gm("wgan-gp"), solver)["status"], "MaxIterations");
    }
}

#[test]
fn jare_keeps_the_dirac_gan_conditioned_and_nothing_conditions_the_covariance_game() {
    let j = jare();
    // Dirac-GAN: a purely rotational Jacobian; JARE's pair 0.25 gamma +- 0.5i keeps conditioning
    // 1, the penalties at gamma = 3 split it into two real eigenvalues far apart.
    assert_eq!(j.phase("gan-dirac(reg=none)"), f64::INFINITY);
    let (jare, r1) = ("gan-dirac(gamma=3.0, reg=jare)", "gan-dirac(gamma=3.0, reg=r1)");
    assert!((j.phase(jare) - 2.0 / 3.0).abs() < 1e-6 && (j.cond(jare) - 1.0).abs() < 1e-6);
    assert!(j.phase(r1) < 1e-9 && (j.cond(r1) - 33.97).abs() < 0.01);
    assert!(j.iterations(jare, "extragradient") * 10 < j.iterations(r1, "extragradient"));
    // Consensus has the same Jacobian at the equilibrium, but drifts into the saturated region.
    let consensus = j.get("gan-dirac(gamma=3.0, reg=consensus)", "extragradient");
    assert_eq!(consensus["status"], "MaxIterations");
    assert!(consensus["distance_to_solution"].as_f64().unwrap() > 10.0);
    // Covariance game: a manifold of equilibria, so J is singular under every regularizer.
    for (label, _) in j.records.keys().filter(|(p, _)| p.starts_with("gan-covariance")) {
        assert!(j.cond(label) > 1e9, "{label}: {}", j.cond(label));
    }
    assert!((j.phase("gan-covariance(gamma=3.0, reg=jare)") - 0.187).abs() < 1e-3);
}

#[test]
fn the_jare_summary_tables_the_jacobian_numbers_and_where_runs_ended() {
    let j = jare();
    assert!(j.summary.contains("## Jacobian at the solution\n"));
    let (eg, eftp) = (j.iterations(&gm("jare"), "extragradient"), j.iterations(&gm("jare"), "eftp"));
    let row = j.row(&gm("jare"));
    assert!(row.ends_with(&format!("| 0.259 | 15.196 | 0.231, 0.872 ± 0.226i, 3.514 | {eg} | {eftp} |")), "{row}");
    let row = j.row("gan-dirac(reg=none)");
    assert!(row.contains("| 0 | 0.500 | inf | 1 | 0 ± 0.500i |"), "{row}");
    // WGAN-GP's runs on the Dirac-GAN at gamma = 3 converge to its own rest point theta = 6.
    assert!(j.row("gan-dirac(gamma=3.0, reg=wgan-gp)").contains("(ended 6.000 from the solution)"));
}
#[test]
fn farnia_ozdaglar_proximal_training_reaches_the_proximal_equilibrium() {
    let (rs, _) = run_shipped("farnia-ozdaglar");
    assert_eq!(rs.len(), 12);
    let get = |problem: &str, solver: &str| outcome(&rs, problem, solver);
    for solver in ["gda", "alternating-gda", "extragradient", "eftp"] {
        // No local Nash equilibrium: every stationary point repels, the iterates cycle.
        let (status, residual, dist) = get("gan-two-point(reg=none)", solver);
        assert_eq!(status, "MaxIterations", "{solver}");
        assert!(residual > 0.5 && dist.unwrap() > 0.5, "{solver}: residual {residual}, distance {dist:?}");
        // lambda = 0.5 < lambda_max = 1: the closed-form proximal equilibrium (1/sqrt 2, -sqrt 2, 1).
        let (status, residual, dist) = get("gan-two-point(reg=proximal)", solver);
        assert_eq!(status, "Converged", "{solver}");
        assert!(residual <= 1e-10 && dist.unwrap() < 1e-9, "{solver}: residual {residual}, distance {dist:?}");
        // lambda = 2 > lambda_max: no longer a proximal equilibrium, and no method finds it.
        let (status, residual, _) = get("gan-two-point(prox_lambda=2.0, prox_lr=0.4, reg=proximal)", solver);
        assert_eq!(status, "MaxIterations", "{solver}");
        assert!(residual > 0.1, "{solver}: residual {residual}");
    }
}

/// `vi-bench diagnose ... --at solution --bounds 100 --json`: the check of the derived bounds.
fn bound_check(problem: &str, sets: &[&str]) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vi-bench"));
    cmd.args(["diagnose", "--problem", problem, "--at", "solution", "--solvers", "eftp", "--measure-iters", "0"]);
    cmd.args(["--bounds", "100", "--radius", "0.5", "--json"]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let r = cmd.output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    serde_json::from_slice(&r.stdout).unwrap()
}

#[test]
fn asymmetric_regularization_bounds_hold_where_the_derivation_applies() {
    // Zero-sum losses with the penalty on real samples (R depends on psi only): the symmetric
    // part is block-diagonal and Hess_psi R = G exactly in these games, so both bounds hold at
    // every sampled point (docs/math.md §1.4).
    let cases: [(&str, &[&str]); 4] = [
        ("gan-dirac", &["problem.reg=asymmetric"]),
        ("gan-gaussian-mean", &["problem.reg=asymmetric"]),
        ("gan-covariance", &["problem.reg=asymmetric"]),
        ("gan-covariance", &["problem.reg=asymmetric", "problem.loss=standard"]),
    ];
    for (problem, sets) in cases {
        let d = bound_check(problem, sets);
        let c = &d["bound_check"];
        assert_eq!(c["samples"], 100, "{problem} {sets:?}");
        assert_eq!(
            (c["mu_holds"].as_u64(), c["lipschitz_holds"].as_u64()),
            (Some(100), Some(100)),
            "{problem} {sets:?}: {c}"
        );
    }
    // At the equilibrium: Dirac-GAN discriminator term gamma sigma + eps_d = 0.3 + 0.1, and
    // L <= ||J_F|| + 0.4 = 0.9; covariance sigma = 4 lambda_min(Sigma).
    let b = &bound_check("gan-dirac", &["problem.reg=asymmetric"])["bounds"];
    assert!((b["terms"]["discriminator_term"].as_f64().unwrap() - 0.4).abs() < 1e-15 && b["mu_bound"] == 0.0, "{b}");
    assert!((b["lipschitz_bound"].as_f64().unwrap() - 0.9).abs() < 1e-12, "{b}");
    let b = &bound_check("gan-covariance", &["problem.reg=asymmetric"])["bounds"];
    let lmin = 1.5 - 0.5f64.sqrt();
    assert!((b["terms"]["gauss_newton_min"].as_f64().unwrap() - 4.0 * lmin).abs() < 1e-12, "{b}");
    assert!((b["terms"]["discriminator_term"].as_f64().unwrap() - (0.3 * 4.0 * lmin + 0.1)).abs() < 1e-12, "{b}");
    // Where the derivation's assumptions fail the mu bound fails, and the check says so: the
    // non-saturating loss is not zero-sum (the symmetric part has off-diagonal blocks), and a
    // penalty on generated samples depends on the generator (a theta-column in the Jacobian).
    for (problem, sets) in [
        ("gan-gaussian-mean", ["problem.reg=asymmetric", "problem.loss=non-saturating"]),
        ("gan-covariance", ["problem.reg=asymmetric", "problem.gp_on=fake"]),
    ] {
        let c = bound_check(problem, &sets)["bound_check"].clone();
        assert!(c["mu_holds"].as_u64().unwrap() < 100, "{problem} {sets:?}: {c}");
        assert!(c["worst_mu_margin"].as_f64().unwrap() < -0.01, "{problem} {sets:?}: {c}");
        assert_eq!(c["lipschitz_holds"], 100, "{problem} {sets:?}");
    }
}
