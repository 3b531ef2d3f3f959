//! Per-step cost of every registered solver on strongly monotone quadratic games of size 2, 100
//! and 1000.
//!
//! The problem is the registered `quadratic` problem (`n` = size), built through the registry
//! like every suite case; if it is not registered, an [`AffineOperator`] `F(z) = (S + K) z`
//! (symmetric positive definite `S` plus skew `K`) stands in. The solver is initialised once per
//! sample, outside the timing, so allocation at `init` is not measured and iterates never drift
//! far from a state a real run would see.
//!
//! `cargo bench -p vi-bench --bench solvers -- --warm-up-time 0.5 --measurement-time 1`

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use faer::{Col, Mat};
use serde_json::json;
use vi_core::{AffineOperator, Problem};

// Force-link the plugin crates, or the registry is empty.
use vi_problems as _;
use vi_solvers as _;

const SIZES: [usize; 3] = [2, 100, 1000];

/// The quadratic game of dimension `n`: through the registry, or a stand-in.
fn quadratic(n: usize) -> Problem {
    if let Ok(p) = vi_core::build_problem("quadratic", &json!({ "n": n }), 0) {
        return p;
    }
    // Stand-in: F(z) = (I + K) z + q with K skew-symmetric and tridiagonal (mu = 1, L = 1 + 2).
    let m = Mat::from_fn(n, n, |i, j| match (i == j, j == i + 1, i == j + 1) {
        (true, _, _) | (_, true, _) => 1.0,
        (_, _, true) => -1.0,
        _ => 0.0,
    });
    let q = Col::from_fn(n, |i| (i as f64 + 1.0).sin());
    let op = AffineOperator::new(m, q).expect("a square matrix");
    Problem::unconstrained("quadratic-standin", Box::new(op), Col::from_fn(n, |_| 1.0)).expect("dimensions agree")
}

fn solver_steps(c: &mut Criterion) {
    let reg = vi_core::registry().expect("a consistent registry");
    let mut group = c.benchmark_group("solver_step");
    for n in SIZES {
        let mut problem = quadratic(n);
        for entry in reg.solvers() {
            let Ok((solver, _)) = vi_core::build_solver(entry.name, &json!({}), 0) else {
                eprintln!("skipping {}: cannot build with defaults", entry.name);
                continue;
            };
            let mut check = solver.clone();
            if let Err(e) = check.init(&mut problem) {
                eprintln!("skipping {} on size {n}: {e}", entry.name);
                continue;
            }
            group.bench_with_input(BenchmarkId::new(entry.name, n), &n, |b, _| {
                b.iter_custom(|iters| {
                    let mut s = solver.clone();
                    s.init(&mut problem).expect("checked above");
                    let t = Instant::now();
                    for _ in 0..iters {
                        black_box(s.step(&mut problem));
                    }
                    let elapsed = t.elapsed();
                    black_box(s.iterate());
                    elapsed
                });
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = solver_steps
}
criterion_main!(benches);
