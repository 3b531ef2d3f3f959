//! Every parameter of every problem with extreme values: each build ends in `Ok` or in a clean
//! `Err` whose message names the parameter (or, for a path, the file); never a panic, an
//! opaque library error or an allocation beyond the memory limit; and a problem that builds
//! has a finite `F` at its start.
//!
//! The process-wide memory limit is set to 1 GiB here ([`vi_core::memory::set_limit`]), so a
//! missing size check fails the test instead of exhausting a shared machine.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use faer::Col;
use serde_json::{json, Value};
use vi_core::{build_problem, registry};
use vi_problems as _;

fn limit_memory() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| vi_core::memory::set_limit(Some(1 << 30)));
}

/// The values every parameter is tried with.
fn extremes() -> Vec<Value> {
    let mut v = vec![
        json!(0),
        json!(1),
        json!(-1),
        json!(2),
        json!(0.5),
        json!(1e308),
        json!(-1e308),
        json!(1e-308),
        json!(5e-324),
        json!(1e12),
        json!(1e20),
        json!(9_223_372_036_854_775_808u64),
        json!(u64::MAX),
        json!("NaN"),
        json!("inf"),
        json!(""),
        json!("no-such-choice"),
        json!(true),
        json!(null),
        json!([]),
        json!([0]),
        json!([1e308]),
        json!(["NaN"]),
        json!([1, 2, 3]),
        json!([1e12]),
        json!([1_000_000, 1_000_000]),
        json!([9_223_372_036_854_775_808u64, 9_223_372_036_854_775_808u64, 8]),
        json!([[1]]),
        json!([[1e308, 0], [0, 1e308]]),
        json!([[1, 2], [3]]),
        json!({}),
    ];
    // A few values that are valid for some parameter of some problem.
    v.extend([json!("random"), json!("grid"), json!("simplex"), json!("proximal"), json!("blocks")]);
    v
}

/// Problems registered by this crate.
const PROBLEMS: [&str; 9] = [
    "affine",
    "bilinear",
    "gan-covariance",
    "gan-dirac",
    "gan-gaussian-mean",
    "gan-mixture",
    "gan-two-point",
    "matrix-game",
    "quadratic",
];

/// Extra settings under which a parameter matters (e.g. `m` only with preset `random`).
fn contexts(problem: &str) -> Vec<Value> {
    match problem {
        "matrix-game" => vec![json!({}), json!({"preset": "random"})],
        "affine" => vec![json!({}), json!({"set": "simplex"}), json!({"set": "box"})],
        "quadratic" => vec![json!({}), json!({"family": "blocks", "n": 4})],
        "gan-dirac" | "gan-gaussian-mean" | "gan-two-point" => vec![json!({}), json!({"reg": "proximal"})],
        "gan-covariance" => vec![json!({}), json!({"reg": "proximal"}), json!({"loss": "standard", "samples": 8})],
        "gan-mixture" => {
            vec![
                json!({"metric_samples": 50, "batch": 8}),
                json!({"reg": "proximal", "metric_samples": 50, "batch": 8}),
            ]
        }
        _ => vec![json!({})],
    }
}

#[derive(Default)]
struct Tally {
    ok: usize,
    err: usize,
    nonfinite_start: Vec<String>,
    failures: Vec<String>,
}

fn try_case(problem: &str, params: &Value, param: &str, value: &Value, t: &mut Tally) {
    let case = format!("{problem} {params}");
    let built = catch_unwind(AssertUnwindSafe(|| build_problem(problem, params, 0)));
    match built {
        Err(_) => t.failures.push(format!("{case}: build panicked")),
        Ok(Err(e)) => {
            let msg = e.to_string();
            // `n`, or `mu <= l = ...` when `l` makes another parameter out of range, or the start.
            let names_param = msg.contains(&format!("`{param}`"))
                || msg.contains(&format!(" {param} = "))
                || (param == "start" && msg.contains(": start: "));
            let names_file = value.as_str().is_some_and(|s| !s.is_empty() && msg.contains(&format!("`{s}`")));
            let opaque = msg.contains("numerical failure") || msg.contains("NoConvergence");
            if !(names_param || names_file) || opaque || msg.contains('\n') {
                t.failures.push(format!("{case}: {msg}"));
            }
            t.err += 1;
        }
        Ok(Ok(mut p)) => {
            let z = p.start().to_owned();
            let mut f = Col::<f64>::zeros(p.dim());
            match catch_unwind(AssertUnwindSafe(|| p.eval(z.as_ref(), f.as_mut()))) {
                Err(_) => t.failures.push(format!("{case}: F(start) panicked")),
                Ok(()) if !f.iter().all(|v| v.is_finite()) => t.nonfinite_start.push(case),
                Ok(()) => {}
            }
            t.ok += 1;
        }
    }
}

#[test]
fn every_parameter_with_extreme_values_builds_or_names_itself() {
    limit_memory();
    let reg = registry().unwrap();
    let mut t = Tally::default();
    for problem in PROBLEMS {
        let entry = reg.problem(problem).unwrap();
        let names: Vec<String> = (entry.params)().into_iter().map(|p| p.name).chain(["start".to_string()]).collect();
        for ctx in contexts(problem) {
            for name in &names {
                for value in extremes() {
                    let mut params = ctx.clone();
                    params[name.as_str()] = value.clone();
                    try_case(problem, &params, name, &value, &mut t);
                }
            }
        }
    }
    eprintln!(
        "extreme parameters: {} builds ok, {} clean errors, {} failures; F(start) non-finite in {} builds",
        t.ok,
        t.err,
        t.failures.len(),
        t.nonfinite_start.len()
    );
    // A value that makes F non-finite at the problem's own start is outside its usable range.
    assert!(t.nonfinite_start.is_empty(), "F(start) is not finite for:\n{}", t.nonfinite_start.join("\n"));
    assert!(t.ok > 100 && t.err > 1000, "the table must exercise both outcomes: {} ok, {} err", t.ok, t.err);
    assert!(t.failures.is_empty(), "{} failures:\n{}", t.failures.len(), t.failures.join("\n"));
}

fn err(problem: &str, params: Value) -> String {
    limit_memory();
    build_problem(problem, &params, 0).map(|_| ()).unwrap_err().to_string()
}

/// The cases of the issue: sizes that used to abort, overflow or hang.
#[test]
fn hostile_sizes_are_refused_naming_the_parameter() {
    let cases: [(&str, Value, &str, &str); 14] = [
        ("bilinear", json!({"m": 1_000_000_000}), "m", "of memory, more than the limit"),
        ("quadratic", json!({"n": 100_000}), "n", "of memory, more than the limit"),
        ("quadratic", json!({"n": 3000}), "n", "use n <= 2300 or family \"blocks\""),
        ("matrix-game", json!({"preset": "random", "m": 1_000_000_000}), "m", "of memory"),
        ("gan-gaussian-mean", json!({"d": 1_000_000_000}), "d", "of memory"),
        ("gan-covariance", json!({"loss": "standard", "samples": 100_000_000_000u64}), "samples", "of memory"),
        ("gan-mixture", json!({"modes": 1_000_000_000_000u64}), "modes", "of memory"),
        ("gan-mixture", json!({"g_hidden": [1_000_000, 1_000_000]}), "g_hidden", "of memory"),
        ("gan-mixture", json!({"batch": 1_000_000_000_000u64}), "batch", "of memory"),
        ("gan-mixture", json!({"latent_dim": 1_000_000_000_000u64}), "latent_dim", "of memory"),
        ("gan-mixture", json!({"metric_samples": 1_000_000_000_000u64}), "metric_samples", "of memory"),
        ("gan-mixture", json!({"reg": "proximal", "prox_steps": 1_000_000_000_000u64}), "prox_steps", "1..=10000"),
        ("gan-dirac", json!({"reg": "proximal", "prox_steps": 1_000_000_000_000u64}), "prox_steps", "1..=10000"),
        ("quadratic", json!({"rho": 1e308}), "rho", "must be a number in [0, 1e100], got 1e308"),
    ];
    for (problem, params, param, needle) in cases {
        let e = err(problem, params.clone());
        assert!(
            e.starts_with(&format!("invalid value for parameter `{param}` of problem {problem}: "))
                && e.contains(needle),
            "{problem} {params}: {e}"
        );
    }
    let e = err(
        "affine",
        json!({"set": "simplex", "blocks": [9_223_372_036_854_775_808u64, 9_223_372_036_854_775_808u64, 8]}),
    );
    assert_eq!(
        e,
        "invalid value for parameter `blocks` of problem affine: block sizes [9223372036854775808, \
         9223372036854775808, 8] sum to more than 18446744073709551615 (the sizes must sum to n)"
    );
}

/// A Matrix Market file whose header lies, through the `affine` and `matrix-game` readers.
#[test]
fn lying_matrix_market_headers_are_refused_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("vi-problems-extreme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let huge = file("huge.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1000000000000000\n1 1 1\n");
    let e = err("affine", json!({ "matrix": huge }));
    assert_eq!(
        e,
        format!("cannot read `{huge}`: line 2: the size line declares 1000000000000000 entries, but the file has 1 entry lines")
    );
    let max = file("max.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 2 18446744073709551615\n1 1 1\n");
    assert!(err("matrix-game", json!({ "file": max })).contains("declares 18446744073709551615 entries"));
    let array = file("array.mtx", "%%MatrixMarket matrix array real general\n100000 100000\n1\n2\n");
    let e = err("matrix-game", json!({ "file": array }));
    assert_eq!(
        e,
        format!("cannot read `{array}`: line 2: a 100000 x 100000 general array stores 10000000000 values, but the file has 2")
    );
    // A sparse header with a huge shape: fine as sparse, refused when densified.
    let wide = file("wide.mtx", "%%MatrixMarket matrix coordinate real general\n1000000 1000000 1\n1 1 1\n");
    let e = err("matrix-game", json!({ "file": wide }));
    assert!(e.contains("a dense copy of the 1000000 x 1000000 matrix needs 8.0 TB of memory"), "{e}");
    let wider = file("wider.mtx", "%%MatrixMarket matrix coordinate real general\n1000000000 1000000000 1\n1 1 1\n");
    let e = err("affine", json!({ "matrix": wider }));
    assert!(
        e.starts_with("invalid value for parameter `matrix` of problem affine: the 1000000000 x 1000000000 matrix"),
        "{e}"
    );
    let nan = file("nan.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n2 2 NaN\n");
    assert_eq!(err("affine", json!({ "matrix": nan })), format!("cannot read `{nan}`: line 4: non-finite value `NaN`"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Prints the messages of the cases with the machine's default limit (run alone:
/// `cargo test -p vi-problems --test extreme_params -- --ignored --nocapture`).
#[test]
#[ignore = "prints messages with the default memory limit; run alone"]
fn print_messages_with_the_default_limit() {
    vi_core::memory::set_limit(None);
    for (problem, params) in [
        ("bilinear", json!({"m": 1_000_000_000})),
        ("quadratic", json!({"n": 100_000})),
        ("matrix-game", json!({"preset": "random", "m": 1_000_000_000})),
        ("gan-gaussian-mean", json!({"d": 1_000_000_000})),
        ("gan-covariance", json!({"loss": "standard", "samples": 100_000_000_000u64})),
        ("gan-mixture", json!({"modes": 1_000_000_000_000u64})),
        ("gan-mixture", json!({"g_hidden": [1_000_000, 1_000_000]})),
        (
            "affine",
            json!({"set": "simplex", "blocks": [9_223_372_036_854_775_808u64, 9_223_372_036_854_775_808u64, 8]}),
        ),
        ("gan-mixture", json!({"reg": "proximal", "prox_steps": 1_000_000_000_000u64})),
        ("quadratic", json!({"rho": 1e308})),
    ] {
        let e = build_problem(problem, &params, 0).map(|_| ()).unwrap_err();
        println!("{problem} {params}\n  {e}");
    }
}
