//! Reading suites: a bad suite is rejected in one line before anything runs, the shipped suite
//! files and the README's example are valid, and a suite given as JSON (Python's dict) is the
//! same suite as its TOML.

use std::path::Path;

use vi_bench::suite::{run_suite, SuiteOptions, SuiteSpec};

// Force-link the plugin crates.
use vi_problems as _;
use vi_solvers as _;

fn rejected(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let e = SuiteSpec::from_toml(text, "bad.toml")
        .and_then(|spec| run_suite(&spec, &SuiteOptions::new(dir.path().join("out"))))
        .unwrap_err()
        .to_string();
    let results = dir.path().join("out/results.jsonl");
    assert!(!results.exists() || std::fs::read_to_string(&results).unwrap().trim().is_empty());
    assert!(!e.contains('\n'), "one line: {e}");
    e
}

#[test]
fn invalid_suites_are_rejected_before_anything_runs() {
    // The first case is valid; the bad one comes later: still nothing runs.
    let unknown_problem = "seeds = [0]\n[[problems]]\nname = \"bilinear\"\n\n[[problems]]\nname = \"bilinaer\"\n\n[[solvers]]\nname = \"extragradient\"\n";
    let e = rejected(unknown_problem);
    assert!(e.starts_with("bad.toml:6: unknown problem `bilinaer`"), "{e}");
    assert!(e.contains("valid problems:") && e.contains("bilinear"), "{e}");

    let unknown_solver =
        "[[problems]]\nname = \"bilinear\"\n[[solvers]]\nname = \"extragradient\"\n[[solvers]]\nname = \"eg\"\n";
    let e = rejected(unknown_solver);
    assert!(e.starts_with("bad.toml:6: unknown solver `eg`"), "{e}");
    assert!(e.contains("valid solvers:") && e.contains("extragradient"), "{e}");

    let unknown_param = "[[problems]]\nname = \"bilinear\"\ngrid = { m = [3, 4] }\n[problems.params]\nn = 3\nsize = 4\n[[solvers]]\nname = \"extragradient\"\n";
    let e = rejected(unknown_param);
    assert!(e.starts_with("bad.toml:6: unknown parameter `size` for problem `bilinear`"), "{e}");
    assert!(e.contains("valid parameters:") && e.contains("cond") && e.contains("start"), "{e}");

    let bad_value =
        "[[problems]]\nname = \"bilinear\"\n[[solvers]]\nname = \"extragradient\"\ngrid = { step = [0.1, -1.0] }\n";
    let e = rejected(bad_value);
    assert!(e.starts_with("bad.toml:5: invalid value for parameter `step`"), "{e}");

    let bad_start = "[[problems]]\nname = \"bilinear\"\nparams = { m = 2, n = 2, start = [1, 2, 3] }\n[[solvers]]\nname = \"extragradient\"\n";
    let e = rejected(bad_start);
    assert!(e.starts_with("bad.toml:3:") && e.contains("start"), "{e}");

    let unknown_key =
        "[[problems]]\nname = \"bilinear\"\n[budget]\ntolerance = 1e-6\n[[solvers]]\nname = \"extragradient\"\n";
    let e = rejected(unknown_key);
    assert!(e.starts_with("bad.toml:4:") && e.contains("tolerance") && e.contains("max_calls"), "{e}");

    let grid_not_array = "[[problems]]\nname = \"bilinear\"\ngrid = { m = 3 }\n[[solvers]]\nname = \"extragradient\"\n";
    let e = rejected(grid_not_array);
    assert!(e.starts_with("bad.toml:3:") && e.contains("must be an array of alternatives"), "{e}");
}

#[test]
fn shipped_suite_files_and_the_readme_example_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    for e in std::fs::read_dir(root.join("suites")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            texts.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    let readme = std::fs::read_to_string(root.join("../README.md")).unwrap();
    let block = readme.split("```toml\n").nth(1).expect("a toml block in the README").split("```").next().unwrap();
    texts.push(("README.md".into(), block.to_string()));
    assert!(texts.len() >= 2);
    for (origin, text) in texts {
        let spec = SuiteSpec::from_toml(&text, &origin).unwrap_or_else(|e| panic!("{e}"));
        let cases = spec.cases().unwrap();
        assert!(!cases.is_empty(), "{origin}");
        let verdicts = vi_bench::suite::validate(&spec, &cases).unwrap_or_else(|e| panic!("{e}"));
        // A suite may skip cases on purpose (`skip_invalid`, e.g. a schedule that needs mu > 0
        // beside problems without it); it must still run something.
        if spec.skip_invalid {
            assert!(verdicts.iter().any(Option::is_none), "{origin}: every case is skipped");
        } else {
            assert!(verdicts.iter().all(Option::is_none), "{origin}");
        }
    }
}

#[test]
fn a_json_suite_is_the_toml_suite() {
    let toml = r#"
name = "same"
seeds = [3, 4]
diagnose = "start"
[budget]
tol = 1e-5
max_calls = 300
[[problems]]
name = "bilinear"
params = { preset = "xy", start = [1.0, 0.5] }
[[problems]]
name = "quadratic"
grid = { n = [4, 6], mu = [0.1, 1.0] }
seeds = [7]
budget = { max_iters = 50 }
[[solvers]]
name = "extragradient"
grid = { step = ["auto", 0.1] }
"#;
    let json = serde_json::json!({
        "name": "same", "seeds": [3, 4], "diagnose": "start",
        "budget": { "tol": 1e-5, "max_calls": 300 },
        "problems": [
            { "name": "bilinear", "params": { "preset": "xy", "start": [1.0, 0.5] } },
            { "name": "quadratic", "grid": { "n": [4, 6], "mu": [0.1, 1.0] }, "seeds": [7], "budget": { "max_iters": 50 } },
        ],
        "solvers": [{ "name": "extragradient", "grid": { "step": ["auto", 0.1] } }],
    });
    let (a, b) = (SuiteSpec::from_toml(toml, "same.toml").unwrap(), SuiteSpec::from_json(&json, "suite dict").unwrap());
    let ids =
        |s: &SuiteSpec| s.cases().unwrap().into_iter().map(|c| (c.id, c.spec.seed, c.spec.config)).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    assert_eq!((a.name, a.diagnose, a.problem_defaults), (b.name, b.diagnose, b.problem_defaults));
    // Errors name the dict and the key path, not a line of text the user never wrote.
    let e = SuiteSpec::from_json(&serde_json::json!({ "problems": [{ "name": "gda", "nam": 1 }] }), "suite dict")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("suite dict: ") && e.contains("unknown field `nam`"), "{e}");
    let e = SuiteSpec::from_json(&serde_json::json!({ "seeds": [0, null] }), "suite dict").unwrap_err().to_string();
    assert!(e.contains("`seeds[1]`: null"), "{e}");
}
