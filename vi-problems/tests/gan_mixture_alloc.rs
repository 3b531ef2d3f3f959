//! Proves that the `gan-mixture` oracle (every regularizer and loss, stochastic and fixed-sample,
//! training and monitoring evaluations) allocates nothing after one warm-up call.
//!
//! A counting global allocator counts allocations per thread (so parallel tests do not disturb
//! each other), as in `vi-solvers/tests/alloc.rs`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use faer::Col;
// Force-link the plugin crate so its registrations are visible.
use vi_problems as _;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

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
