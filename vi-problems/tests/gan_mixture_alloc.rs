//! Proves that the `gan-mixture` oracle (every regularizer and loss, stochastic and fixed-sample,
//! training and monitoring evaluations) allocates nothing after one warm-up call.
//!
//! A counting global allocator counts allocations per thread (so parallel tests do not disturb
//! each other), as in `vi-solvers/tests/alloc.rs`.

use faer::Col;
use vi_core::alloc_check::{allocations_during, CountingAllocator};
// Force-link the plugin crate so its registrations are visible.
use vi_problems as _;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn every_regularizer_evaluates_without_allocating() {
    let regs =
        ["none", "asymmetric", "r1", "r2", "wgan-gp", "nk", "jare", "consensus", "proximal", "r1+r2+nk+jare+consensus"];
    for reg in regs {
        for (loss, act) in [("standard", "relu"), ("non-saturating", "tanh"), ("wgan", "softplus")] {
            if reg.contains("consensus") && loss == "non-saturating" {
                continue;
            }
            for fixed in [false, true] {
                let params = serde_json::json!({
                    "latent_dim": 8, "g_hidden": [24, 24], "d_hidden": [24], "g_act": act, "d_act": act,
                    "batch": 16, "reg": reg, "loss": loss, "fixed_sample": fixed, "eps_g": 0.1,
                });
                let mut p = vi_core::build_problem("gan-mixture", &params, 1).unwrap();
                let z = p.start().to_owned();
                let mut out = Col::zeros(p.dim());
                p.eval(z.as_ref(), out.as_mut());
                let _ = p.natural_residual(z.as_ref());
                let n = allocations_during(|| {
                    for _ in 0..5 {
                        p.eval(z.as_ref(), out.as_mut());
                        let _ = p.natural_residual(z.as_ref());
                    }
                });
                assert_eq!(n, 0, "reg {reg}, loss {loss}, fixed_sample {fixed}: {n} allocations in 5 evaluations");
            }
        }
    }
}

#[test]
fn default_size_evaluates_without_allocating() {
    let mut p = vi_core::build_problem("gan-mixture", &serde_json::json!({"reg": "asymmetric"}), 0).unwrap();
    let z = p.start().to_owned();
    let mut out = Col::zeros(p.dim());
    p.eval(z.as_ref(), out.as_mut());
    assert_eq!(allocations_during(|| p.eval(z.as_ref(), out.as_mut())), 0);
}

/// With `threads = 2` the large products are split across the two workers of a pool: neither
/// allocates. The counts are per thread, so each worker reads its own before and after
/// (`broadcast`); the evaluations run inside the pool (`install`), the caller only waits.
#[test]
fn split_products_allocate_on_no_worker() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let params = serde_json::json!({"reg": "asymmetric", "threads": 2});
    let mut p = vi_core::build_problem("gan-mixture", &params, 0).unwrap();
    let z = p.start().to_owned();
    let mut out = Col::zeros(p.dim());
    let _ = allocations_during(|| {}); // panics unless the counting allocator is installed
    pool.install(|| p.eval(z.as_ref(), out.as_mut()));
    // faer's matrix product takes its packing buffers from a thread-local workspace, allocated
    // on a thread's first product: warm it up on every worker (the warm-up call above may
    // have run both halves of every product on one of them).
    pool.broadcast(|_| {
        let a = faer::Mat::<f64>::ones(64, 64);
        let mut c = faer::Mat::<f64>::zeros(64, 64);
        faer::linalg::matmul::matmul(c.as_mut(), faer::Accum::Replace, &a, &a, 1.0, faer::Par::Seq);
    });
    let counts = || pool.broadcast(|_| vi_core::alloc_check::allocations());
    let before = counts();
    pool.install(|| {
        for _ in 0..20 {
            p.eval(z.as_ref(), out.as_mut());
        }
    });
    let after = counts();
    assert_eq!(before.len(), 2);
    for (w, (b, a)) in before.iter().zip(&after).enumerate() {
        assert_eq!(a - b, 0, "worker {w} allocated {} times in 20 evaluations", a - b);
    }
}
