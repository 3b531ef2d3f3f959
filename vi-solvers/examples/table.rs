//! Every registered solver, with its default parameters, on two problems with known solutions:
//! a strongly monotone affine game (docs/math.md §3.3) and a random bilinear game (§3.1). Prints one
//! markdown table per problem: iterations, oracle calls and final natural residual.
//!
//! `cargo run -p vi-solvers --example table`

use faer::{Col, Mat};
use vi_core::{rng, AffineOperator, Block, Problem, RunConfig, Runner};
// Force-link the plugin crate so its registrations are visible.
use vi_solvers as _;

/// Modified Gram-Schmidt of a seeded Gaussian matrix.
fn orthogonal(n: usize, seed: u64, stream: u64) -> Mat<f64> {
    let mut r = rng::seeded(seed, stream);
    let mut q = Mat::from_fn(n, n, |_, _| rng::normal(&mut r));
    for j in 0..n {
        for k in 0..j {
            let d: f64 = (0..n).map(|i| q[(i, j)] * q[(i, k)]).sum();
            for i in 0..n {
                q[(i, j)] -= d * q[(i, k)];
            }
        }
        let nrm: f64 = (0..n).map(|i| q[(i, j)] * q[(i, j)]).sum::<f64>().sqrt();
        for i in 0..n {
            q[(i, j)] /= nrm;
        }
    }
    q
}

fn affine_problem(name: &str, m: Mat<f64>, q: Col<f64>, start: Col<f64>, half: usize) -> Problem {
    use faer::prelude::Solve;
    let sol = m.partial_piv_lu().solve(&q);
    let sol = Col::from_fn(q.nrows(), |i| -sol[i]);
    let n = q.nrows();
    Problem::unconstrained(name, Box::new(AffineOperator::new(m, q).unwrap()), start)
        .unwrap()
        .with_solution(sol)
        .unwrap()
        .with_blocks(vec![Block::new("x", 0..half), Block::new("y", half..n)])
        .unwrap()
}

/// `M = Q diag(s) Q^T + rho K / ||K||`, `s` in `[mu, 1]`, `n = 20`.
fn strongly_monotone() -> Problem {
    let (n, mu, rho) = (20, 0.1, 1.0);
    let q = orthogonal(n, 1, 1);
    let mut r = rng::seeded(1, 2);
    let b = Mat::from_fn(n, n, |_, _| rng::normal(&mut r));
    let k = Mat::from_fn(n, n, |i, j| b[(i, j)] - b[(j, i)]);
    let kn = k.singular_values().unwrap()[0];
    let s: Vec<f64> = (0..n).map(|i| mu + (1.0 - mu) * i as f64 / (n - 1) as f64).collect();
    let m = Mat::from_fn(n, n, |i, j| (0..n).map(|l| q[(i, l)] * s[l] * q[(j, l)]).sum::<f64>() + rho * k[(i, j)] / kn);
    let off = Col::from_fn(n, |_| rng::normal(&mut r));
    let start = Col::from_fn(n, |_| rng::normal(&mut r));
    affine_problem("strongly-monotone (n=20, mu=0.1, rho=1)", m, off, start, n / 2)
}

/// `F = (A y + b, -A^T x - c)` with `A = U diag(1 .. 0.2) V^T`, `10 x 10`.
fn bilinear() -> Problem {
    let n = 10;
    let (u, v) = (orthogonal(n, 2, 1), orthogonal(n, 2, 2));
    let s: Vec<f64> = (0..n).map(|i| 1.0 - 0.8 * i as f64 / (n - 1) as f64).collect();
    let a = Mat::from_fn(n, n, |i, j| (0..n).map(|k| u[(i, k)] * s[k] * v[(j, k)]).sum::<f64>());
    let mut r = rng::seeded(2, 3);
    let big = Mat::from_fn(2 * n, 2 * n, |i, j| match (i < n, j < n) {
        (true, false) => a[(i, j - n)],
        (false, true) => -a[(j, i - n)],
        _ => 0.0,
    });
    let q = Col::from_fn(2 * n, |_| rng::normal(&mut r));
    let start = Col::from_fn(2 * n, |_| rng::normal(&mut r));
    affine_problem("bilinear (10x10, sigma in [0.2, 1])", big, q, start, n)
}

fn main() {
    let runner = Runner::new(RunConfig { tol: 1e-8, max_iters: 200_000, ..Default::default() }).unwrap();
    let names: Vec<&str> = vi_core::registry().unwrap().solvers().map(|e| e.name).collect();
    for make in [strongly_monotone as fn() -> Problem, bilinear] {
        println!("\n{} (tol 1e-8, max 200000 iterations, default parameters)\n", make().name());
        println!("| solver | status | iterations | oracle calls | residual | distance to z* |");
        println!("|---|---|---|---|---|---|");
        let mut cases: Vec<(String, serde_json::Value)> =
            names.iter().map(|n| (n.to_string(), serde_json::Value::Null)).collect();
        for n in ["extragradient", "eftp", "ogda"] {
            cases.push((n.into(), serde_json::json!({"step": "adaptive"})));
            cases.push((n.into(), serde_json::json!({"precond": "adam", "amsgrad": true, "step": 0.05})));
        }
        cases.push(("eag".into(), serde_json::json!({"variant": "varying"})));
        cases.push(("tikhonov".into(), serde_json::json!({"inner": "eftp"})));
        for (name, params) in &cases {
            let mut p = make();
            let (mut s, _) = vi_core::build_solver(name, params, 0).unwrap();
            let r = runner.run(&mut p, s.as_mut()).unwrap();
            let label = if params.is_null() { name.clone() } else { format!("{name} {params}") };
            println!(
                "| {label} | {:?} | {} | {} | {:.2e} | {:.2e} |",
                r.status,
                r.iterations,
                r.oracle_calls,
                r.residual,
                r.distance_to_solution.unwrap_or(f64::NAN)
            );
        }
    }
}
