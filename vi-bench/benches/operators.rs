//! Per-call cost of every registered problem's operator at its default size, and the overhead
//! of an operator call (through [`vi_core::Problem::eval`], which counts calls and dispatches
//! through `dyn Operator`) on a dense bilinear game of dimension 2000 (`bilinear` with
//! `m = n = 1000`) against a bare faer matrix-vector product of the same size.
//!
//! `cargo bench -p vi-bench --bench operators -- --warm-up-time 0.5 --measurement-time 1`

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, Par};
use serde_json::json;

// Force-link the plugin crates, or the registry is empty.
use vi_problems as _;
use vi_solvers as _;

fn problem_eval(c: &mut Criterion) {
    let reg = vi_core::registry().expect("a consistent registry");
    let mut group = c.benchmark_group("problem_eval");
    for entry in reg.problems() {
        let mut problem = match vi_core::build_problem(entry.name, &json!({}), 0) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("skipping {}: {e}", entry.name);
                continue;
            }
        };
        let n = problem.dim();
        let z = problem.start().to_owned();
        let mut out = Col::<f64>::zeros(n);
        group.bench_with_input(BenchmarkId::new(entry.name, n), &n, |b, _| {
            b.iter(|| {
                problem.eval(black_box(z.as_ref()), out.as_mut());
                black_box(&out);
            });
        });
    }
    group.finish();
}

fn dense_overhead(c: &mut Criterion) {
    const HALF: usize = 1000;
    let n = 2 * HALF;
    let mut group = c.benchmark_group("dense_bilinear_2000");
    let mut problem = vi_core::build_problem("bilinear", &json!({ "m": HALF, "n": HALF }), 0).expect("bilinear");
    let z = problem.start().to_owned();
    let mut out = Col::<f64>::zeros(n);
    group.bench_function(BenchmarkId::new("problem_eval", n), |b| {
        b.iter(|| {
            problem.eval(black_box(z.as_ref()), out.as_mut());
            black_box(&out);
        });
    });
    let a = Mat::from_fn(n, n, |i, j| ((i * 31 + j * 17) % 97) as f64 / 97.0 - 0.5);
    group.bench_function(BenchmarkId::new("faer_matmul", n), |b| {
        b.iter(|| {
            matmul(out.as_mat_mut(), Accum::Replace, a.as_ref(), black_box(z.as_mat()), 1.0, Par::Seq);
            black_box(&out);
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = problem_eval, dense_overhead
}
criterion_main!(benches);
