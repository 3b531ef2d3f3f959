//! The workloads of docs/performance.md, each next to its bare-library baseline and the
//! measurement that sets its physical limit on this machine:
//!
//! - `dirac_run`: the whole run loop (runner + EFTP + Dirac-GAN, default monitoring: residual
//!   checked every iteration), 60000 iterations per sample; criterion's time / 60000 is the
//!   ns/iteration of `vi-bench run --problem gan-dirac --solver eftp --set solver.step=0.2
//!   --max-iters 60000 --tol 0`.
//! - `bilinear_1000`: one oracle call of `bilinear` with `m = n = 1000` through
//!   `Problem::eval` (one sweep over `A`), with `threads` 1 and 2, next to faer's two
//!   matrix-vector products `A y`, `A^T x` on one thread and with `Par::rayon(2)`, and to one
//!   plain read of the 8 MB of `A` (faer's sum of all entries; on two threads each sums one
//!   half): the bandwidth limit of a kernel that must read `A` once. Throughput: the bytes of `A`.
//! - `gan_mixture_asymmetric`: one `gan-mixture` oracle call (minibatch draw + field) with
//!   `reg = asymmetric` at the default size, on one thread and with `threads = 2` (in a pool of
//!   two), next to a 1000 x 1000 x 1000 faer product on one thread (the float64 peak this
//!   machine reaches). Throughput: floating-point operations of
//!   the matrix products ([`GAN_FLOPS`]), shown by criterion as elements/s.
//! - `sparse_affine_grid300`: one oracle call `F(z) = M z + q` of `grid-lcp` with `k = 300`
//!   (`n = 90 000`, 5 entries per row, faer `SparseColMat`) through `Problem::eval`, next to the
//!   same work on the bare faer matrix (copy `q`, `sparse_dense_matmul`). Throughput: the bytes
//!   of `M` (values and row indices), its column pointers, `z`, `q` and the output.
//!
//! Each single-threaded benchmark also runs as `NAME_cpu`, timed by the thread's CPU time
//! instead of the wall clock: on a shared machine the wall time also counts the time the thread
//! waited for a core, the CPU time does not (it still includes the cache misses caused by other
//! programs). Two-thread benchmarks are wall time only.
//!
//! `cargo bench -p vi-bench --bench speed` (`-- _cpu` for the CPU-time variants only)

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use faer::linalg::matmul::matmul;
use faer::sparse::linalg::matmul::sparse_dense_matmul;
use faer::{Accum, Col, Mat, Par};
use serde_json::json;
use vi_core::{RunConfig, Runner};

mod common;
use common::wall_and_cpu;

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
        wall_and_cpu(&mut group, name, || {
            let mut s = solver.clone();
            let r = runner.run(&mut problem, s.as_mut()).expect("runs");
            assert_eq!(r.iterations, DIRAC_ITERS);
            black_box(r.residual);
        });
    }
    group.finish();
}

fn bilinear(c: &mut Criterion) {
    const HALF: usize = 1000;
    let mut group = c.benchmark_group("bilinear_1000");
    group.throughput(Throughput::Bytes((HALF * HALF * 8) as u64));
    for threads in [1, 2] {
        let mut problem = vi_core::build_problem("bilinear", &json!({ "m": HALF, "n": HALF, "threads": threads }), 0)
            .expect("bilinear");
        let z = problem.start().to_owned();
        let mut out = Col::<f64>::zeros(2 * HALF);
        let mut call = || {
            problem.eval(black_box(z.as_ref()), out.as_mut());
            black_box(out[0]);
        };
        if threads == 1 {
            wall_and_cpu(&mut group, "problem_eval_threads_1", call);
        } else {
            group.bench_function(format!("problem_eval_threads_{threads}"), |b| b.iter(&mut call));
        }
    }
    let mut problem = vi_core::build_problem("bilinear", &json!({ "m": HALF, "n": HALF }), 0).expect("bilinear");
    let z = problem.start().to_owned();
    let jac = problem.operator_mut().jacobian(z.as_ref()).expect("bilinear has an exact Jacobian");
    let a = jac.submatrix(0, HALF, HALF, HALF).to_owned();
    let (x, y) = (z.subrows(0, HALF).to_owned(), z.subrows(HALF, HALF).to_owned());
    let (mut ox, mut oy) = (Col::<f64>::zeros(HALF), Col::<f64>::zeros(HALF));
    let mut two_matvecs = |par: Par| {
        matmul(ox.as_mat_mut(), Accum::Replace, a.as_ref(), black_box(y.as_mat()), 1.0, par);
        matmul(oy.as_mat_mut(), Accum::Replace, a.transpose(), black_box(x.as_mat()), -1.0, par);
        black_box((ox[0], oy[0]));
    };
    wall_and_cpu(&mut group, "faer_two_matvecs_seq", || two_matvecs(Par::Seq));
    group.bench_function("faer_two_matvecs_rayon_2", |b| b.iter(|| two_matvecs(Par::rayon(2))));
    wall_and_cpu(&mut group, "read_a_once_seq", || {
        black_box(black_box(a.as_ref()).sum());
    });
    let (left, right) = a.as_ref().split_at_col(HALF / 2);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("a pool of 2 threads");
    group.bench_function("read_a_once_2_threads", |b| {
        b.iter(|| pool.install(|| rayon::join(|| black_box(left).sum(), || black_box(right).sum())))
    });
    group.finish();
}

/// Floating-point operations of the matrix products of one `gan-mixture` asymmetric oracle call
/// at the default size (G 16 -> 128 -> 128 -> 2 on B = 256 latent points, D 2 -> 128 -> 1 on
/// the 2B real and fake points, penalty on the B real points), 2 per multiply-add:
///
/// - generator: forward, backward (no input gradient) and parameter gradient,
///   `2 B (16*128 + 128*128 + 128*2)` each but the backward's `2 B (128*2 + 128*128)`;
/// - discriminator base field on 2B columns: forward `2 (2B) (2*128 + 128)`, backward with the
///   input gradient `2 (2B) (128 + 2*128)`, parameter gradient `2 (2B) (2*128 + 128)`;
/// - gradient penalty on B columns: backward with the input gradient, forward tangent and
///   parameter-gradient tangent, `2 B (2*128 + 128)` each.
///
/// Elementwise work (bias, activation, loss) is not counted: 29.4 MFLOP.
const GAN_FLOPS: u64 = {
    let (b, lat, gh, dh) = (256u64, 16u64, 128u64, 128u64);
    let g_layers = lat * gh + gh * gh + gh * 2;
    let g = 2 * b * g_layers * 2 + 2 * b * (gh * 2 + gh * gh);
    let d_layer = 2 * dh + dh;
    let d = 3 * 2 * (2 * b) * d_layer;
    let pen = 3 * 2 * b * d_layer;
    g + d + pen
};

fn gan_mixture(c: &mut Criterion) {
    let mut group = c.benchmark_group("gan_mixture_asymmetric");
    group.throughput(Throughput::Elements(GAN_FLOPS));
    let mut p = vi_core::build_problem("gan-mixture", &json!({ "reg": "asymmetric" }), 0).expect("gan-mixture");
    let z = p.start().to_owned();
    let mut out = Col::zeros(p.dim());
    p.eval(z.as_ref(), out.as_mut());
    wall_and_cpu(&mut group, "oracle_call", || {
        p.eval(black_box(z.as_ref()), out.as_mut());
        black_box(out[0]);
    });
    // `threads = 2`: the generator's products split over a pool of two, the calls made on one
    // of its workers (as `vi-bench run` makes them).
    let mut p2 =
        vi_core::build_problem("gan-mixture", &json!({ "reg": "asymmetric", "threads": 2 }), 0).expect("gan-mixture");
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("a pool of 2 threads");
    group.bench_function("oracle_call_threads_2", |b| {
        pool.install(|| {
            b.iter(|| {
                p2.eval(black_box(z.as_ref()), out.as_mut());
                black_box(out[0]);
            })
        })
    });
    const N: usize = 1000;
    group.throughput(Throughput::Elements(2 * (N * N * N) as u64));
    let a = Mat::<f64>::from_fn(N, N, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
    let mut prod = Mat::<f64>::zeros(N, N);
    wall_and_cpu(&mut group, "faer_matmul_1000_seq", || {
        matmul(prod.as_mut(), Accum::Replace, black_box(a.as_ref()), a.as_ref(), 1.0, Par::Seq)
    });
    group.finish();
}

fn sparse_affine(c: &mut Criterion) {
    const K: usize = 300;
    let n = K * K;
    let mut group = c.benchmark_group("sparse_affine_grid300");
    let mut problem = vi_core::build_problem("grid-lcp", &json!({ "k": K }), 0).expect("grid-lcp");
    let (triplets, q, _) = vi_problems::mcp::grid_lcp_data(K, 0.5, 0);
    let op = vi_problems::SparseAffine::from_triplets(n, n, &triplets, q.clone(), None, None).expect("grid-lcp matrix");
    let m = op.matrix();
    let nnz = m.compute_nnz();
    group.throughput(Throughput::Bytes((nnz * 16 + (n + 1) * 8 + 3 * n * 8) as u64));
    let z = Col::<f64>::from_fn(n, |i| ((i % 13) as f64) * 0.1);
    let mut out = Col::<f64>::zeros(n);
    wall_and_cpu(&mut group, "problem_eval", || {
        problem.eval(black_box(z.as_ref()), out.as_mut());
        black_box(out[0]);
    });
    let mut out = Col::<f64>::zeros(n);
    wall_and_cpu(&mut group, "faer_sparse_matvec", || {
        out.copy_from(&q);
        sparse_dense_matmul(out.as_mat_mut(), Accum::Add, m.as_ref(), black_box(z.as_mat()), 1.0, Par::Seq);
        black_box(out[0]);
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    targets = dirac_run, bilinear, gan_mixture, sparse_affine
}
criterion_main!(benches);
