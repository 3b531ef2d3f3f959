//! Proves that every problem's operator evaluation allocates nothing after warm-up, at a small and
//! a large size (dense, sparse and structured operators), and that the natural residual (the
//! projection onto each problem's set) does not allocate either.
//!
//! A counting global allocator counts allocations per thread (so parallel tests do not disturb
//! each other). Each check makes one warm-up call (faer may allocate on first use), then counts
//! the allocations made by many more calls and asserts zero.

use faer::Col;
use serde_json::json;
use vi_core::alloc_check::{allocations_during, CountingAllocator};
use vi_core::Problem;
// Force-link the crate under test so its registrations are visible.
use vi_problems as _;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn build(name: &str, params: serde_json::Value) -> Problem {
    vi_core::build_problem(name, &params, 1).unwrap_or_else(|e| panic!("{name} {params}: {e}"))
}

/// Asserts that counted evaluations, raw operator evaluations and natural residuals allocate
/// nothing after one warm-up call; returns the dimension (for the caller's size assertion).
fn assert_eval_allocation_free(name: &str, params: serde_json::Value) -> usize {
    let mut p = build(name, params.clone());
    let n = p.dim();
    let z = Col::from_fn(n, |i| ((i as f64) * 0.37).sin());
    let mut out = Col::zeros(n);
    p.eval(z.as_ref(), out.as_mut());
    let _ = p.natural_residual(z.as_ref());
    let count = allocations_during(|| {
        for _ in 0..20 {
            p.eval(z.as_ref(), out.as_mut());
            p.operator_mut().eval(z.as_ref(), out.as_mut());
            let _ = p.natural_residual(z.as_ref());
        }
    });
    assert_eq!(count, 0, "{name} {params} (n = {n}) allocated {count} times in 20 evaluations");
    n
}

#[test]
fn bilinear_eval_allocates_nothing() {
    assert_eq!(assert_eval_allocation_free("bilinear", json!({"preset": "xy"})), 2);
    assert_eq!(assert_eval_allocation_free("bilinear", json!({"m": 300, "n": 300})), 600);
}

#[test]
fn matrix_game_eval_allocates_nothing() {
    assert_eq!(assert_eval_allocation_free("matrix-game", json!({"preset": "matching-pennies"})), 4);
    assert_eq!(assert_eval_allocation_free("matrix-game", json!({"preset": "rps"})), 6);
    assert_eq!(assert_eval_allocation_free("matrix-game", json!({"preset": "random", "m": 700, "n": 500})), 1200);
}

#[test]
fn quadratic_eval_allocates_nothing() {
    assert_eq!(assert_eval_allocation_free("quadratic", json!({"n": 2})), 2);
    assert_eq!(assert_eval_allocation_free("quadratic", json!({"n": 500})), 500);
    assert_eq!(assert_eval_allocation_free("quadratic", json!({"n": 2, "family": "blocks"})), 2);
    assert_eq!(assert_eval_allocation_free("quadratic", json!({"n": 6000, "family": "blocks", "box": 0.5})), 6000);
    assert_eq!(assert_eval_allocation_free("quadratic", json!({"n": 40, "box": 0.5})), 40);
}

#[test]
fn affine_eval_allocates_nothing() {
    assert_eq!(assert_eval_allocation_free("affine", json!({})), 8);
    assert_eq!(assert_eval_allocation_free("affine", json!({"set": "simplex", "blocks": [3, 5]})), 8);
    let n = 5000;
    let dir = std::env::temp_dir().join(format!("vi-problems-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.mtx");
    let mut text = format!("%%MatrixMarket matrix coordinate real symmetric\n{n} {n} {}\n", 2 * n - 1);
    for i in 1..=n {
        text.push_str(&format!("{i} {i} 3\n"));
        if i < n {
            text.push_str(&format!("{} {i} -1\n", i + 1));
        }
    }
    std::fs::write(&path, text).unwrap();
    let m = path.to_str().unwrap();
    assert_eq!(assert_eval_allocation_free("affine", json!({"matrix": m, "set": "orthant"})), n);
    assert_eq!(assert_eval_allocation_free("affine", json!({"matrix": m, "set": "box"})), n);
    std::fs::remove_dir_all(dir).unwrap();
}
