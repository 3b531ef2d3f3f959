//! Proves that solver steps and operator evaluations allocate nothing after warm-up.
//!
//! A counting global allocator counts allocations per thread (so parallel tests do not disturb
//! each other). Each check runs a few warm-up steps (faer may allocate on first use), then counts
//! the allocations made by many more steps and asserts zero.

use faer::{Col, Mat};
use serde_json::{json, Value};
use vi_core::alloc_check::{allocations_during, CountingAllocator};
use vi_core::{AffineOperator, AffineSum, Block, MiniBatch, Operator, Problem, Solver};
// Force-link the plugin crate so its registrations are visible.
use vi_solvers as _;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// A 40-dimensional strongly monotone affine problem with rotation, boxed to [-1, 1] when
/// `constrained`, with two players (blocks) of 20 coordinates.
fn affine_problem(constrained: bool) -> Problem {
    let n = 40;
    let m = Mat::from_fn(n, n, |i, j| {
        if i == j {
            1.0
        } else if i + 1 == j {
            0.5
        } else if j + 1 == i {
            -0.5
        } else {
            0.0
        }
    });
    let q = Col::from_fn(n, |i| (i as f64 * 0.37).sin());
    // A finite sum of 4 components whose mean is (M, q), so the stochastic solvers run too; the
    // deterministic ones evaluate the mean (an AffineOperator).
    let sign = |k: usize| if k.is_multiple_of(2) { 1.0 } else { -1.0 };
    let ms =
        (0..4).map(|k| Mat::from_fn(n, n, |i, j| m[(i, j)] + sign(k) * 0.1 * (((i + 2 * j) % 5) as f64))).collect();
    let qs = (0..4).map(|k| Col::from_fn(n, |i| q[i] + sign(k) * 0.2 * (i as f64).cos())).collect();
    let op = AffineSum::new(ms, qs).unwrap();
    let start = Col::from_fn(n, |i| (i as f64 * 0.11).cos());
    let p = if constrained {
        Problem::new("alloc", Box::new(op), Box::new(vi_core::BoxSet::uniform(n, -1.0, 1.0).unwrap()), start).unwrap()
    } else {
        Problem::unconstrained("alloc", Box::new(op), start).unwrap()
    };
    p.with_blocks(vec![Block::new("x", 0..20), Block::new("y", 20..40)]).unwrap()
}

/// Asserts that `solver.step` allocates nothing after warm-up, unconstrained and constrained.
pub fn assert_step_allocation_free(name: &str, make: impl Fn() -> Box<dyn Solver>) {
    for constrained in [false, true] {
        let mut p = affine_problem(constrained);
        let mut s = make();
        s.init(&mut p).unwrap();
        for _ in 0..3 {
            s.step(&mut p);
        }
        let n = allocations_during(|| {
            for _ in 0..50 {
                s.step(&mut p);
            }
        });
        assert_eq!(n, 0, "{name} (constrained: {constrained}) allocated {n} times in 50 steps");
    }
}

#[test]
fn affine_evaluation_allocates_nothing() {
    let mut p = affine_problem(false);
    let z = p.start().to_owned();
    let mut out = Col::zeros(p.dim());
    p.eval(z.as_ref(), out.as_mut());
    let n = allocations_during(|| {
        for _ in 0..100 {
            p.eval(z.as_ref(), out.as_mut());
            let _ = p.natural_residual(z.as_ref());
        }
    });
    assert_eq!(n, 0);
    // Minibatch evaluations of the finite sum.
    let batch = MiniBatch { indices: vec![0, 3, 1], weights: vec![0.2, 0.3, 0.5] };
    p.eval_components(&batch, z.as_ref(), out.as_mut());
    let n = allocations_during(|| {
        for _ in 0..100 {
            p.eval_components(&batch, z.as_ref(), out.as_mut());
        }
    });
    assert_eq!(n, 0);
    // And a large dense operator (faer's blocked kernels).
    let big = 500;
    let mut op =
        AffineOperator::new(Mat::from_fn(big, big, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0), Col::zeros(big))
            .unwrap();
    let z = Col::from_fn(big, |i| i as f64);
    let mut out = Col::zeros(big);
    op.eval(z.as_ref(), out.as_mut());
    assert_eq!(allocations_during(|| op.eval(z.as_ref(), out.as_mut())), 0);
}

/// The parameter sets checked for `name`: the defaults plus every variant with its own code
/// path (adaptive steps, preconditioners, EAG variants, Tikhonov around every inner solver with
/// stage switches and the floor inside the counted window).
fn variants(name: &str, all: &[&str]) -> Vec<Value> {
    let mut v = vec![json!({})];
    match name {
        "extragradient" | "eftp" | "ogda" => {
            v.push(json!({"step": "adaptive"}));
            for pre in ["rmsprop", "adam", "block-rmsprop"] {
                v.push(json!({"precond": pre}));
                v.push(json!({"precond": pre, "amsgrad": true}));
            }
        }
        "eag" => v.push(json!({"variant": "varying"})),
        "stochastic-eg" | "stochastic-eftp" => {
            v.push(json!({"schedule": "decreasing", "batch": 3, "sampling": "lipschitz"}));
        }
        "svrg-eg" | "svrg-forb" => v.push(json!({"p": 0.5, "batch": 2, "sampling": "lipschitz"})),
        "agraal" => v.push(json!({"step": 0.1})),
        // Dense path: analytic Jacobian (the affine operator's) and finite differences.
        "semismooth-newton" => v.push(json!({"jacobian": "finite-difference"})),
        "tikhonov" => {
            v.clear();
            for inner in all.iter().filter(|n| **n != "tikhonov") {
                v.push(json!({"inner": inner, "stage_max_iters": 3, "eps_min": 1e-3}));
            }
            v.push(json!({"inner": "eftp", "step": "adaptive", "stage_max_iters": 3, "eps_min": 1e-3}));
            v.push(json!({"inner": "ogda", "inner_params": {"precond": "adam"}, "stage_max_iters": 3}));
        }
        _ => {}
    }
    v
}

#[test]
fn every_registered_solver_step_allocates_nothing() {
    let names: Vec<&str> = vi_core::registry().unwrap().solvers().map(|e| e.name).collect();
    for expected in [
        "agraal",
        "alternating-gda",
        "eag",
        "eftp",
        "extragradient",
        "gda",
        "graal",
        "ogda",
        "prg",
        "semismooth-newton",
        "stochastic-eftp",
        "stochastic-eg",
        "svrg-eg",
        "svrg-forb",
        "tikhonov",
    ] {
        assert!(names.contains(&expected), "{expected} is not registered: {names:?}");
    }
    let mut checked = 0;
    for name in &names {
        for params in variants(name, &names) {
            assert_step_allocation_free(&format!("{name} {params}"), || {
                vi_core::build_solver(name, &params, 0).unwrap().0
            });
            checked += 1;
        }
    }
    assert!(checked >= 50, "{checked}");
}

#[test]
fn tikhonov_switches_stages_inside_the_counted_window() {
    // The allocation check above counts steps 4..53; with 3 inner iterations per stage and
    // eps from 1 down to 1e-3 (11 stages) both stage switches and the floor happen there.
    let mut p = affine_problem(true);
    let (mut s, _) = vi_core::build_solver("tikhonov", &json!({"stage_max_iters": 3, "eps_min": 1e-3}), 0).unwrap();
    s.init(&mut p).unwrap();
    for _ in 0..53 {
        s.step(&mut p);
    }
    let info = s.info();
    assert_eq!(info["stages"].as_array().unwrap().len(), 10, "{info}");
    assert_eq!(info["current"]["at_floor"], true);
}

/// `F(z) = B (z - c)^3 + M z` on a `k x k` grid (`B`, `M`: 5-point stencils with convection),
/// with its sparse Jacobian `B diag(3 (z - c)^2) + M` on the stencil pattern, so the sparse
/// Newton path runs. The cubic term keeps Newton busy for many iterations from a far start.
#[derive(Clone)]
struct GridCubic {
    k: usize,
    c: Col<f64>,
}

impl GridCubic {
    /// The stencil's entries of column `j` as `(row, b, m)`, rows increasing.
    fn column(&self, j: usize, mut f: impl FnMut(usize, f64, f64)) {
        let k = self.k;
        let (r, col) = (j / k, j % k);
        if r > 0 {
            f(j - k, -0.3, -1.0);
        }
        if col > 0 {
            f(j - 1, -0.2, -1.5);
        }
        f(j, 1.5, 4.0);
        if col + 1 < k {
            f(j + 1, -0.4, -0.5);
        }
        if r + 1 < k {
            f(j + k, -0.3, -1.0);
        }
    }
}

impl Operator for GridCubic {
    fn dim(&self) -> usize {
        self.k * self.k
    }
    fn eval(&mut self, z: faer::ColRef<'_, f64>, mut out: faer::ColMut<'_, f64>) {
        out.fill(0.0);
        for j in 0..self.dim() {
            let w = (z[j] - self.c[j]).powi(3);
            let zj = z[j];
            self.column(j, |i, b, m| out[i] += b * w + m * zj);
        }
    }
    fn jacobian_pattern(&self) -> Option<faer::sparse::SymbolicSparseColMat<usize>> {
        let n = self.dim();
        let (mut ptr, mut rows) = (vec![0], Vec::new());
        for j in 0..n {
            self.column(j, |i, _, _| rows.push(i));
            ptr.push(rows.len());
        }
        Some(faer::sparse::SymbolicSparseColMat::new_checked(n, n, ptr, None, rows))
    }
    fn jacobian_values_into(&mut self, z: faer::ColRef<'_, f64>, values: &mut [f64]) -> bool {
        let mut p = 0;
        for j in 0..self.dim() {
            let s = 3.0 * (z[j] - self.c[j]).powi(2);
            self.column(j, |_, b, m| {
                values[p] = b * s + m;
                p += 1;
            });
        }
        true
    }
}

#[test]
fn sparse_newton_step_allocates_nothing() {
    let k = 40;
    let n = k * k;
    let op = GridCubic { k, c: Col::from_fn(n, |i| 2.0 * (i as f64 * 0.7).sin()) };
    for constrained in [false, true] {
        let start = Col::from_fn(n, |i| 20.0 + (i as f64 * 0.3).cos());
        let mut p = if constrained {
            Problem::new("grid-cubic", Box::new(op.clone()), Box::new(vi_core::NonnegativeOrthant::new(n)), start)
                .unwrap()
        } else {
            Problem::unconstrained("grid-cubic", Box::new(op.clone()), start).unwrap()
        };
        let (mut s, _) = vi_core::build_solver("semismooth-newton", &json!({"linear_solver": "sparse"}), 0).unwrap();
        s.init(&mut p).unwrap();
        assert_eq!(s.info()["linear_solver"], "sparse");
        s.step(&mut p);
        let mut per_step = Vec::new();
        let mut factorized = 0;
        for _ in 0..40 {
            let before = s.info()["newton_steps"].as_u64().unwrap() + s.info()["gradient_steps"].as_u64().unwrap();
            per_step.push(allocations_during(|| {
                s.step(&mut p);
            }));
            let after = s.info()["newton_steps"].as_u64().unwrap() + s.info()["gradient_steps"].as_u64().unwrap();
            factorized += (after > before) as u32;
        }
        eprintln!("constrained {constrained}: {factorized} steps; allocations per step {per_step:?}; {}", s.info());
        assert!(factorized >= 10, "only {factorized} steps in the window: {}", s.info());
        assert!(per_step.iter().all(|a| *a == 0), "constrained {constrained}: allocations per step {per_step:?}");
    }
}
