//! The three workloads of docs/performance.md, each against its bare-library baseline:
//!
//! - `dirac_run`: the whole run loop (runner + EFTP + Dirac-GAN, default monitoring: residual
//!   checked every iteration), 60000 iterations per sample; criterion's time / 60000 is the
//!   ns/iteration of `vi-bench run --problem gan-dirac --solver eftp --set solver.step=0.2
//!   --max-iters 60000 --tol 0`.
//! - `bilinear_1000`: one oracle call of `bilinear` with `m = n = 1000` through
//!   `Problem::eval` (one sweep over `A`), with `threads` 1 and 2, next to faer's two
//!   matrix-vector products `A y`, `A^T x` on one thread and with `Par::rayon(2)`.
//! - `gan_mixture_asymmetric`: one `gan-mixture` oracle call (minibatch draw + field) with
//!   `reg = asymmetric` at the default size.
//!
//! `cargo bench -p vi-bench --bench speed`

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Par};
use serde_json::json;
use vi_core::{RunConfig, Runner};

// Force-link the plugin crates, or the registry is empty.
use vi_problems as _;
use vi_solvers as _;

const DIRAC_ITERS: u64 = 60_000;

fn dirac_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("dirac_run");
    let runner = Runner::new(RunConfig { tol: 0.0, max_iters: DIRAC_ITERS, ..Default::default() }).expect("valid");
    let mut problem = vi_core::build_problem("gan-dirac", &json!({}), 0).expect("gan-dirac");
    let (solver, _) = vi_core::build_solver("eftp", &json!({ "step": 0.2 }), 0).expect("eftp");
    for (name, check_every) in [("eftp_60000_iters", 1), ("eftp_60000_iters_check_every_100000", 100_000)] {
        let runner = Runner::new(RunConfig { check_every, ..runner.config().clone() }).expect("valid");
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut s = solver.clone();
                let r = runner.run(&mut problem, s.as_mut()).expect("runs");
                assert_eq!(r.iterations, DIRAC_ITERS);
                black_box(r.residual)
            })
        });
    }
    group.finish();
}

fn bilinear(c: &mut Criterion) {
    const HALF: usize = 1000;
    let mut group = c.benchmark_group("bilinear_1000");
    for threads in [1, 2] {
        let mut problem = vi_core::build_problem("bilinear", &json!({ "m": HALF, "n": HALF, "threads": threads }), 0)
            .expect("bilinear");
        let z = problem.start().to_owned();
        let mut out = Col::<f64>::zeros(2 * HALF);
        group.bench_function(format!("problem_eval_threads_{threads}"), |b| {
            b.iter(|| {
                problem.eval(black_box(z.as_ref()), out.as_mut());
                black_box(out[0])
            })
        });
    }
    let mut problem = vi_core::build_problem("bilinear", &json!({ "m": HALF, "n": HALF }), 0).expect("bilinear");
    let z = problem.start().to_owned();
    let jac = problem.operator_mut().jacobian(z.as_ref()).expect("bilinear has an exact Jacobian");
    let a = jac.submatrix(0, HALF, HALF, HALF).to_owned();
    let (x, y) = (z.subrows(0, HALF).to_owned(), z.subrows(HALF, HALF).to_owned());
    let (mut ox, mut oy) = (Col::<f64>::zeros(HALF), Col::<f64>::zeros(HALF));
    for (name, par) in [("faer_two_matvecs_seq", Par::Seq), ("faer_two_matvecs_rayon_2", Par::rayon(2))] {
        group.bench_function(name, |b| {
            b.iter(|| {
                matmul(ox.as_mat_mut(), Accum::Replace, a.as_ref(), black_box(y.as_mat()), 1.0, par);
                matmul(oy.as_mat_mut(), Accum::Replace, a.transpose(), black_box(x.as_mat()), -1.0, par);
                black_box((ox[0], oy[0]))
            })
        });
    }
    group.finish();
}

fn gan_mixture(c: &mut Criterion) {
    let mut group = c.benchmark_group("gan_mixture_asymmetric");
    let mut p = vi_core::build_problem("gan-mixture", &json!({ "reg": "asymmetric" }), 0).expect("gan-mixture");
    let z = p.start().to_owned();
    let mut out = Col::zeros(p.dim());
    p.eval(z.as_ref(), out.as_mut());
    group.bench_function("oracle_call", |b| {
        b.iter(|| {
            p.eval(black_box(z.as_ref()), out.as_mut());
            black_box(out[0])
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    targets = dirac_run, bilinear, gan_mixture
}
criterion_main!(benches);
