//! End-to-end `gan-mixture` runs (tiny network, small batch, few iterations so that debug
//! builds stay fast): same seed, same numbers; training improves the VEEGAN metrics with
//! preconditioned EFTP and extragradient on the minibatch (stochastic) oracle; aGRAAL on that
//! oracle ends with a status and the reason; the `--samples` scatter plot.

use serde_json::{json, Map, Value};
use vi_core::{RunConfig, RunSpec};
// Force-link the plugin crates so their registrations are visible.
use vi_problems as _;
use vi_solvers as _;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn tiny(iters: u64, seed: u64) -> RunSpec {
    RunSpec {
        problem: "gan-mixture".into(),
        solver: "eftp".into(),
        problem_params: obj(json!({
            "reg": "asymmetric", "latent_dim": 4, "g_hidden": [32, 32], "d_hidden": [32],
            "batch": 64, "metric_samples": 500,
        })),
        solver_params: obj(json!({"precond": "adam", "step": 1e-3, "beta1": 0.5, "beta2": 0.9})),
        seed,
        config: RunConfig { tol: 0.0, max_iters: iters, check_every: 500, trace_every: 500, ..RunConfig::default() },
    }
}

#[test]
fn same_seed_same_numbers() {
    let a = tiny(300, 3).run().unwrap();
    let b = tiny(300, 3).run().unwrap();
    assert_eq!(a.z, b.z);
    assert_eq!(a.metrics, b.metrics);
    assert_eq!(a.residual, b.residual);
    assert_eq!(a.oracle_calls, b.oracle_calls);
    let c = tiny(300, 4).run().unwrap();
    assert_ne!(a.z, c.z, "another seed draws other minibatches and another initialisation");
}

#[test]
fn asymmetric_eftp_training_improves_the_metrics() {
    let r = tiny(2000, 0).run().unwrap();
    let first = &r.trace[0].metrics;
    let last = &r.metrics;
    assert!(
        last["high_quality"] > first["high_quality"] && last["modes"] >= 4.0 && last["modes"] > first["modes"],
        "start {first:?}, end {last:?}"
    );
    assert!(last["reverse_kl"] < first["reverse_kl"], "start {first:?}, end {last:?}");
    // The metrics are recorded over training.
    assert_eq!(r.trace.len(), 5);
    assert!(r.trace.iter().all(|t| t.metrics.len() == 3));
}

#[test]
fn adam_extragradient_on_the_minibatch_oracle_improves_the_metrics() {
    let r = RunSpec { solver: "extragradient".into(), ..tiny(1000, 0) }.run().unwrap();
    let (first, last) = (&r.trace[0].metrics, &r.metrics);
    assert!(last["high_quality"] > first["high_quality"] && last["modes"] >= 4.0, "start {first:?}, end {last:?}");
    assert!(last["reverse_kl"] < first["reverse_kl"], "start {first:?}, end {last:?}");
}

#[test]
fn agraal_on_the_minibatch_oracle_ends_with_a_status_and_its_reason() {
    // Minibatch noise keeps ||F(z_{k+1}) - F(z_k)|| away from zero while the steps shrink, so
    // aGRAAL's local Lipschitz estimate collapses; the run must say so, not report success.
    let mut spec = RunSpec { solver: "agraal".into(), solver_params: Map::new(), ..tiny(20_000, 0) };
    spec.config.check_every = 1000;
    let r = spec.run().unwrap();
    assert_eq!(r.status, vi_core::Status::NumericalError, "{:?} {:?}", r.status, r.message);
    let m = r.message.unwrap_or_default();
    assert!(m.contains("adaptive step") && m.contains("deterministic"), "{m}");
    assert!(r.z.iter().all(|v| v.is_finite()), "the last finite iterate is kept");
}

/// A tiny `gan-mixture` for the command-line tests, with an extragradient step for it.
const TINY: [&str; 12] = [
    "--set",
    "problem.latent_dim=2",
    "--set",
    "problem.g_hidden=[8]",
    "--set",
    "problem.d_hidden=[8]",
    "--set",
    "problem.batch=8",
    "--set",
    "solver.step=0.01",
    "--tol",
    "0",
];

#[test]
fn samples_flag_draws_a_scatter_plot() {
    use clap::Parser;
    let dir = std::env::temp_dir().join(format!("vi-bench-gan-mixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("ring.svg");
    let args = ["vi-bench", "run", "--problem", "gan-mixture", "--solver", "extragradient"];
    let mut argv: Vec<String> = args.iter().chain(&TINY).map(|s| s.to_string()).collect();
    argv.extend(["--max-iters", "5", "--samples"].map(String::from));
    argv.push(svg.display().to_string());
    vi_bench::commands::execute(vi_bench::commands::Cli::try_parse_from(&argv).unwrap()).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg") && text.matches("<circle").count() >= 2500, "samples drawn");
    // A problem without a sampler: a clear error.
    let argv =
        ["vi-bench", "run", "--problem", "bilinear", "--solver", "extragradient", "--max-iters", "2", "--samples"]
            .iter()
            .map(|s| s.to_string())
            .chain([svg.display().to_string()])
            .collect::<Vec<_>>();
    let e =
        vi_bench::commands::execute(vi_bench::commands::Cli::try_parse_from(&argv).unwrap()).unwrap_err().to_string();
    assert!(e.contains("--samples") && e.contains("bilinear"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn metrics_plot_draws_one_panel_per_metric() {
    use clap::Parser;
    let dir = std::env::temp_dir().join(format!("vi-bench-gan-metrics-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("metrics.svg");
    let run = |problem: &str, extra: &[&str]| {
        let mut argv: Vec<String> = ["vi-bench", "run", "--problem", problem, "--solver", "extragradient"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect();
        argv.extend(["--metrics-plot".to_string(), svg.display().to_string()]);
        vi_bench::commands::execute(vi_bench::commands::Cli::try_parse_from(&argv).unwrap())
    };
    let small: Vec<&str> = TINY
        .iter()
        .copied()
        .chain(["--set", "problem.metric_samples=200", "--max-iters", "20", "--trace-every", "5"])
        .collect();
    run("gan-mixture", &small).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    for name in ["modes", "high_quality", "reverse_kl"] {
        assert!(text.contains(name), "the {name} panel is missing");
    }
    // Five trace points (iterations 0, 5, ..., 20) per panel, each drawn as a marker.
    assert!(text.matches("<circle").count() >= 3 * 5, "markers drawn");
    // A problem without metrics is refused before it runs, naming the flag.
    let e = run("quadratic", &["--max-iters", "2"]).unwrap_err().to_string();
    assert!(e.contains("--metrics-plot") && e.contains("quadratic") && e.contains("no metrics"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
