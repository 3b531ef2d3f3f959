//! Per-call cost of every registered problem's operator at its default size, and the overhead
//! of an operator call (through [`vi_core::Problem::eval`], which counts calls and dispatches
//! through `dyn Operator`) on a dense bilinear game of dimension 2000 (`bilinear` with
//! `m = n = 1000`) against bare faer matrix-vector products: `A y` and `A^T x` (the same work),
//! and, for scale, one product with the 2000 x 2000 block matrix.
//!
//! `cargo bench -p vi-bench --bench operators -- --warm-up-time 0.5 --measurement-time 1`

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Par};
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
    // The same work without the engine: `A y` and `-A^T x` with A the game's own matrix (the
    // top-right block of the Jacobian), into caller-owned columns.
    let jac = problem.operator_mut().jacobian(z.as_ref()).expect("bilinear has an exact Jacobian");
    let a = jac.submatrix(0, HALF, HALF, HALF).to_owned();
    let (x, y) = (z.subrows(0, HALF).to_owned(), z.subrows(HALF, HALF).to_owned());
    let (mut ox, mut oy) = (Col::<f64>::zeros(HALF), Col::<f64>::zeros(HALF));
    group.bench_function(BenchmarkId::new("faer_two_matvecs", n), |b| {
        b.iter(|| {
            matmul(ox.as_mat_mut(), Accum::Replace, a.as_ref(), black_box(y.as_mat()), 1.0, Par::Seq);
            matmul(oy.as_mat_mut(), Accum::Replace, a.transpose(), black_box(x.as_mat()), -1.0, Par::Seq);
            black_box((&ox, &oy));
        });
    });
    // For scale: one product with the full (m + n) x (m + n) block matrix [[0, A], [-A^T, 0]].
    group.bench_function(BenchmarkId::new("faer_dense_matvec", n), |b| {
        b.iter(|| {
            matmul(out.as_mat_mut(), Accum::Replace, jac.as_ref(), black_box(z.as_mat()), 1.0, Par::Seq);
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
