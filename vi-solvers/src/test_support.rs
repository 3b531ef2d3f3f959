//! Small problems built directly on vi-core, for the solvers' unit tests (no dependency on
//! vi-problems).

use faer::{Col, Mat};
use vi_core::{
    rng, AffineOperator, Block, ConstraintSet, Problem, Product, Report, RunConfig, Runner, Simplex, Solver,
};

/// The scalar bilinear game `min_x max_y x*y`: `F(x, y) = (y, -x)`, solution `0`.
pub fn bilinear_xy(start: &[f64]) -> Problem {
    let m = faer::mat![[0.0, 1.0], [-1.0, 0.0]];
    affine(m, Col::zeros(2), start)
}

/// [`bilinear_xy`] with the two players declared as blocks `x` and `y`.
pub fn bilinear_xy_blocks(start: &[f64]) -> Problem {
    bilinear_xy(start).with_blocks(vec![Block::new("x", 0..1), Block::new("y", 1..2)]).unwrap()
}

/// The unconstrained affine problem `F(z) = M z + q` from `start`, with its solution
/// `-M^{-1} q` when `M` is invertible.
pub fn affine(m: Mat<f64>, q: Col<f64>, start: &[f64]) -> Problem {
    use faer::prelude::Solve;
    let sol = m.partial_piv_lu().solve(&q);
    let sol = Col::from_fn(q.nrows(), |i| -sol[i]);
    let op = AffineOperator::new(m, q).unwrap();
    Problem::unconstrained("test-affine", Box::new(op), vi_core::linalg::col_from_slice(start))
        .unwrap()
        .with_solution(sol)
        .unwrap()
}

/// A seeded random orthogonal `n x n` matrix: modified Gram-Schmidt (the Q of a QR) of a
/// Gaussian matrix.
pub fn random_orthogonal(n: usize, seed: u64, stream: u64) -> Mat<f64> {
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

/// `A = U diag(s) V^T` with seeded random orthogonal `U`, `V` (`n x n`).
pub fn matrix_with_singular_values(s: &[f64], seed: u64) -> (Mat<f64>, Mat<f64>, Mat<f64>) {
    let n = s.len();
    let u = random_orthogonal(n, seed, 11);
    let v = random_orthogonal(n, seed, 12);
    let a = Mat::from_fn(n, n, |i, j| (0..n).map(|k| u[(i, k)] * s[k] * v[(j, k)]).sum());
    (a, u, v)
}

/// The bilinear game `x^T A y + b^T x + c^T y`: `F = (A y + b, -A^T x - c)`, blocks `x`, `y`,
/// with `solution` declared when given.
pub fn bilinear(a: &Mat<f64>, b: &Col<f64>, c: &Col<f64>, start: &[f64], solution: Option<Col<f64>>) -> Problem {
    let (m, n) = (a.nrows(), a.ncols());
    let big = Mat::from_fn(m + n, m + n, |i, j| {
        if i < m && j >= m {
            a[(i, j - m)]
        } else if i >= m && j < m {
            -a[(j, i - m)]
        } else {
            0.0
        }
    });
    let q = Col::from_fn(m + n, |i| if i < m { b[i] } else { -c[i - m] });
    let op = AffineOperator::new(big, q).unwrap();
    let p = Problem::unconstrained("test-bilinear", Box::new(op), vi_core::linalg::col_from_slice(start))
        .unwrap()
        .with_blocks(vec![Block::new("x", 0..m), Block::new("y", m..m + n)])
        .unwrap();
    match solution {
        Some(s) => p.with_solution(s).unwrap(),
        None => p,
    }
}

/// The random square bilinear game with singular values `s` (no offsets; solution 0), from a
/// seeded Gaussian start.
pub fn random_bilinear(s: &[f64], seed: u64) -> Problem {
    let n = s.len();
    let (a, _, _) = matrix_with_singular_values(s, seed);
    let mut r = rng::seeded(seed, 13);
    let start: Vec<f64> = (0..2 * n).map(|_| rng::normal(&mut r)).collect();
    bilinear(&a, &Col::zeros(n), &Col::zeros(n), &start, Some(Col::zeros(2 * n)))
}

/// Block-diagonal `M` with `2x2` blocks `[[a_i, b_i], [-b_i, a_i]]` (docs/math.md §3.3): eigenvalues
/// `a_i +- i b_i`; `F(z) = M z`, solution 0.
pub fn rotation_blocks(ab: &[(f64, f64)], start: &[f64]) -> Problem {
    let n = 2 * ab.len();
    let m = Mat::from_fn(n, n, |i, j| {
        if i / 2 != j / 2 {
            return 0.0;
        }
        let (a, b) = ab[i / 2];
        match (i % 2, j % 2) {
            (0, 0) | (1, 1) => a,
            (0, 1) => b,
            _ => -b,
        }
    });
    affine(m, Col::zeros(n), start)
}

/// A strongly monotone affine problem `M = S + K` (docs/math.md §3.3): `S = Q diag(s) Q^T` with
/// `s` evenly spread in `[mu, 1]`, `K` skew with norm `rho`; offset and start seeded.
pub fn strongly_monotone(n: usize, mu: f64, rho: f64, seed: u64) -> Problem {
    let q = random_orthogonal(n, seed, 21);
    let s: Vec<f64> = (0..n).map(|i| mu + (1.0 - mu) * i as f64 / (n.max(2) - 1) as f64).collect();
    let mut r = rng::seeded(seed, 22);
    let b = Mat::from_fn(n, n, |_, _| rng::normal(&mut r));
    let k = Mat::from_fn(n, n, |i, j| b[(i, j)] - b[(j, i)]);
    let knorm = k.singular_values().unwrap()[0];
    let m =
        Mat::from_fn(n, n, |i, j| (0..n).map(|l| q[(i, l)] * s[l] * q[(j, l)]).sum::<f64>() + rho * k[(i, j)] / knorm);
    let off = Col::from_fn(n, |_| rng::normal(&mut r));
    let start: Vec<f64> = (0..n).map(|_| rng::normal(&mut r)).collect();
    affine(m, off, &start)
}

/// Rock-paper-scissors.
pub fn rps_matrix() -> Mat<f64> {
    faer::mat![[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]
}

/// Matching pennies.
pub fn matching_pennies_matrix() -> Mat<f64> {
    faer::mat![[1.0, -1.0], [-1.0, 1.0]]
}

/// The matrix game `min_x max_y x^T A y` over two probability simplices: `F = (A y, -A^T x)`,
/// blocks `x`, `y`, from `(x0, y0)`.
pub fn matrix_game(a: &Mat<f64>, x0: &[f64], y0: &[f64]) -> Problem {
    let (m, n) = (a.nrows(), a.ncols());
    let set: Vec<Box<dyn ConstraintSet>> =
        vec![Box::new(Simplex::new(m, 1.0).unwrap()), Box::new(Simplex::new(n, 1.0).unwrap())];
    let big = Mat::from_fn(m + n, m + n, |i, j| {
        if i < m && j >= m {
            a[(i, j - m)]
        } else if i >= m && j < m {
            -a[(j, i - m)]
        } else {
            0.0
        }
    });
    let op = AffineOperator::new(big, Col::zeros(m + n)).unwrap();
    let start: Vec<f64> = x0.iter().chain(y0).copied().collect();
    Problem::new("test-matrix-game", Box::new(op), Box::new(Product::new(set)), vi_core::linalg::col_from_slice(&start))
        .unwrap()
        .with_blocks(vec![Block::new("x", 0..m), Block::new("y", m..m + n)])
        .unwrap()
}

/// The duality gap `max_j (A^T x)_j - min_i (A y)_i` at `z = (x, y)`.
pub fn duality_gap(a: &Mat<f64>, z: &[f64]) -> f64 {
    let (m, n) = (a.nrows(), a.ncols());
    let best_y = (0..n).map(|j| (0..m).map(|i| a[(i, j)] * z[i]).sum::<f64>()).fold(f64::NEG_INFINITY, f64::max);
    let best_x = (0..m).map(|i| (0..n).map(|j| a[(i, j)] * z[m + j]).sum::<f64>()).fold(f64::INFINITY, f64::min);
    best_y - best_x
}

/// Runs with a tolerance and an iteration limit.
pub fn run(problem: &mut Problem, solver: &mut dyn Solver, tol: f64, max_iters: u64) -> Report {
    let runner = Runner::new(RunConfig { tol, max_iters, ..Default::default() }).unwrap();
    runner.run(problem, solver).unwrap()
}

/// The error text of building a registered solver with `params`.
pub fn build_error(name: &str, params: serde_json::Value) -> String {
    match vi_core::build_solver(name, &params, 0) {
        Ok(_) => panic!("{name} accepted {params}"),
        Err(e) => e.to_string(),
    }
}

/// A 2-D finite sum of `n` components `F_i(z) = c_i [[1, 1], [-1, 1]] z + q_i` with mean weight
/// 1 and centred offsets: the mean is `[[1, 1], [-1, 1]] z` (`mu = 1`, `L = sqrt 2`), `z* = 0`.
pub fn finite_sum_2d(n: usize, start: &[f64]) -> Problem {
    use faer::mat;
    let c: Vec<f64> = (0..n).map(|i| 0.5 + i as f64).collect();
    let cm = c.iter().sum::<f64>() / n as f64;
    let m = (0..n).map(|i| mat![[1.0, 1.0], [-1.0, 1.0]] * faer::Scale(c[i] / cm)).collect();
    let q = (0..n)
        .map(|i| {
            let s = i as f64 - (n as f64 - 1.0) / 2.0;
            vi_core::linalg::col_from_slice(&[0.3 * s, -0.2 * s])
        })
        .collect();
    let op = vi_core::AffineSum::new(m, q).unwrap();
    Problem::unconstrained("fs2", Box::new(op), vi_core::linalg::col_from_slice(start))
        .unwrap()
        .with_solution(Col::zeros(2))
        .unwrap()
}

/// Parameters checked as the registry would check them (a test fails on invalid ones).
pub fn checked<P: vi_core::Params>(p: P) -> vi_core::Checked<P> {
    p.check("solver under test").unwrap()
}

/// Parameters from a JSON object of overrides, read and checked as the registry does (flattened
/// group keys such as `step` or `beta1` sit at the top level).
pub fn params<P: vi_core::Params>(overrides: serde_json::Value) -> vi_core::Checked<P> {
    vi_core::params::parse_params::<P>("solver", "under-test", overrides.as_object().unwrap()).unwrap()
}

/// Steps `s` from `p`'s start, checks the iterate after each step against `expected` (to
/// `1e-15`), then the oracle calls made (`init` included).
pub fn assert_steps(s: &mut dyn Solver, p: &mut Problem, expected: &[[f64; 2]], calls: u64) {
    s.init(p).unwrap();
    for (k, e) in expected.iter().enumerate() {
        s.step(p);
        let z = s.iterate();
        assert!(
            (z[0] - e[0]).abs() < 1e-15 && (z[1] - e[1]).abs() < 1e-15,
            "step {}: {:?}, expected {e:?}",
            k + 1,
            [z[0], z[1]]
        );
    }
    assert_eq!(p.counters().oracle_calls, calls);
}
