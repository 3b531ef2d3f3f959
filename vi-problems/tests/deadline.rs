//! Inner loops of an oracle call stop at the run's deadline ([`vi_core::deadline`]), so a
//! proximal regularizer with many ascent steps cannot hold a run far past `--time-limit`.

use std::time::{Duration, Instant};

use faer::Col;
use serde_json::json;
use vi_core::{build_problem, deadline};
use vi_problems as _;

/// F at the start of `gan-dirac` with the proximal regularizer and `prox_steps` short inner steps
/// (far from converged after a few hundred).
fn proximal_field(prox_steps: u64) -> Col<f64> {
    let mut p =
        build_problem("gan-dirac", &json!({"reg": "proximal", "prox_steps": prox_steps, "prox_lr": 1e-3}), 0).unwrap();
    let z = p.start().to_owned();
    let mut out = Col::zeros(z.nrows());
    p.eval(z.as_ref(), out.as_mut());
    out
}

#[test]
fn the_proximal_inner_loop_stops_at_a_passed_deadline_and_not_before() {
    let full = proximal_field(10_000);
    let short = proximal_field(255);
    assert_ne!(full, short, "the inner steps matter at this start");
    {
        let _far = deadline::Guard::set(Some(Instant::now() + Duration::from_secs(3600)));
        assert_eq!(proximal_field(10_000), full, "a deadline ahead changes nothing");
    }
    let _passed = deadline::Guard::set(Some(Instant::now()));
    // The loop checks the clock every 256 steps: it stops after the first 255.
    assert_eq!(proximal_field(10_000), short);
}
