//! A run that does not read its seed is deterministic: `RunSpec::uses_seed` is what the harness
//! uses to run such a case once instead of once per seed. Checked here both ways: the flag is
//! right on known cases, and every registered problem that reports "no seed" gives the same
//! numbers under two seeds (the flag is sound, not a guess).

use serde_json::{json, Map, Value};
use vi_core::{registry, RunConfig, RunSpec};
use vi_problems as _;
use vi_solvers as _;

fn spec(problem: &str, pp: Value, solver: &str, sp: Value, seed: u64) -> RunSpec {
    let obj = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    RunSpec {
        problem: problem.into(),
        solver: solver.into(),
        problem_params: obj(pp),
        solver_params: obj(sp),
        seed,
        config: RunConfig { max_iters: 200, tol: 0.0, ..RunConfig::default() },
    }
}

#[test]
fn the_flag_names_what_draws_random_numbers() {
    let uses = |p: &str, pp: Value, s: &str, sp: Value| spec(p, pp, s, sp, 0).uses_seed().unwrap();
    // Deterministic data and methods.
    assert!(!uses("gan-dirac", json!({}), "extragradient", json!({})));
    assert!(!uses("nash-cournot", json!({}), "eftp", json!({})));
    assert!(!uses("bilinear", json!({"preset": "xy"}), "gda", json!({})));
    assert!(!uses("matrix-game", json!({"preset": "rps"}), "extragradient", json!({})));
    assert!(!uses("gan-covariance", json!({"loss": "wgan"}), "eftp", json!({})));
    assert!(!uses("gan-dirac", json!({}), "agraal", json!({"step": 0.1})));
    assert!(!uses("gan-dirac", json!({}), "tikhonov", json!({})));
    // Seeded data, seeded methods.
    assert!(uses("bilinear", json!({}), "extragradient", json!({})));
    assert!(uses("matrix-game", json!({"preset": "random"}), "extragradient", json!({})));
    assert!(uses("gan-mixture", json!({}), "eftp", json!({})));
    assert!(uses("gan-dirac", json!({}), "agraal", json!({})));
    assert!(uses("finite-sum-quadratic", json!({}), "stochastic-eg", json!({})));
}

#[test]
fn a_problem_that_reads_no_seed_gives_the_same_numbers_for_every_seed() {
    let mut deterministic = 0;
    for entry in registry().unwrap().problems() {
        let (a, b) = (
            spec(entry.name, json!({}), "extragradient", json!({}), 0),
            spec(entry.name, json!({}), "extragradient", json!({}), 1),
        );
        // gan-mixture's default budget is a long training run; it reads its seed anyway.
        let Ok(uses) = a.uses_seed() else { continue };
        if uses {
            continue;
        }
        deterministic += 1;
        let (ra, rb) = (a.run().unwrap(), b.run().unwrap());
        assert_eq!(ra.iterations, rb.iterations, "{}", entry.name);
        let same = ra.z.iter().zip(rb.z.iter()).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "{} reads no seed but its iterates differ between seeds 0 and 1", entry.name);
    }
    assert!(deterministic >= 8, "only {deterministic} deterministic problems");
}
