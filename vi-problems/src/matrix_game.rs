//! # `matrix-game`: zero-sum matrix games on simplices (docs/math.md §3.2)
//!
//! `min_{x in Delta_m} max_{y in Delta_n} x^T A y` with an `m x n` payoff matrix `A`, so
//!
//! ```text
//! F(x, y) = (A y, -A^T x)   on   C = Delta_m x Delta_n,     J = [[0, A], [-A^T, 0]] (skew).
//! ```
//!
//! `F` is monotone (`mu = 0`) and `L = sigma_max(A)` (exact singular values when
//! `min(m, n) <= 1000`, a block power-iteration estimate otherwise). Blocks: `x` (rows, minimizer) and
//! `y` (columns, maximizer).
//!
//! ## Presets and known solutions
//! | preset | `A` | value | equilibrium |
//! |---|---|---|---|
//! | `rps` | `[[0,-1,1],[1,0,-1],[-1,1,0]]` | 0 | `x* = y* = (1/3, 1/3, 1/3)` |
//! | `matching-pennies` | `[[1,-1],[-1,1]]` | 0 | `x* = y* = (1/2, 1/2)` |
//! | `two-by-two` | `[[2,-1],[-1,1]]` | 1/5 | `x* = y* = (2/5, 3/5)` |
//! | `random` | `m x n`, entries uniform in `[-1, 1]` (seeded) | computed | reference (below) |
//! | `file` | read from `file` (plain rows or Matrix Market, see [`crate::affine::io`]) | computed | reference (below) |
//!
//! For `random` and `file` games a reference equilibrium is computed at build time by projected
//! extragradient to a natural residual of `1e-13` (when `m n <= 250000`); it is reported only if
//! the residual reaches `1e-11`, otherwise the solution is left unknown and the duality gap is
//! the measure. (A random game with continuous payoffs has a unique equilibrium with
//! probability one, so the reference is *the* solution.)
//!
//! ## Metrics
//! - `duality_gap` `= max_j (A^T x)_j - min_i (A y)_i >= 0`, zero exactly at equilibria.
//! - `game_value` `= x^T A y` at the iterate (the value of the game at an equilibrium).
//!
//! ## Example
//!
//! ```
//! use vi_problems as _; // link the registrations
//! let mut p = vi_core::build_problem("matrix-game", &serde_json::json!({"preset": "two-by-two"}), 0).unwrap();
//! let z = p.solution().unwrap().to_owned(); // (2/5, 3/5, 2/5, 3/5)
//! let m = p.metrics(z.as_ref());
//! assert!(m["duality_gap"].abs() < 1e-15 && (m["game_value"] - 0.2).abs() < 1e-15);
//! ```
//!
//! ## Start
//! The skewed interior point `x_i ∝ i + 1`, `y_j ∝ n - j`: the uniform strategies are the
//! equilibrium of `rps` and `matching-pennies`, so they would make a trivial start.

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, ColMut, ColRef, Mat, Par};
use vi_core::{
    Block, BuildContext, Checked, ConstraintSet, Error, FnMetric, Monotonicity, Operator, Problem, Product, Result,
    Simplex,
};

use vi_core::memory::{self, Size};

use crate::affine::{dense_spectral_norm_estimate, io, reference_solution, SMALL};
use crate::limits;

vi_core::params! {
    /// Parameters of the `matrix-game` problem.
    ///
    /// With preset `random`, `m x n` must fit the memory limit ([`vi_core::memory`]: about
    /// `5 m n` values) and the build's singular values the work limit ([`crate::limits`]: `4 m n
    /// min(m, n)` operations up to `min(m, n) = 1000`, `3200 m n` beyond).
    pub struct MatrixGameParams {
        /// "rps", "matching-pennies", "two-by-two" (value 1/5), "random" (m x n), "file"
        pub preset: String = "rps";
        /// rows of A = dimension of x (the minimizer), for preset "random", >= 1
        pub m: usize = 5;
        /// columns of A = dimension of y (the maximizer), for preset "random", >= 1
        pub n: usize = 5;
        /// payoff matrix file: plain rows (whitespace/commas) or Matrix Market; implies preset "file"
        pub file: String = String::new();
    }
    validate(p, owner) {
        if !["rps", "matching-pennies", "two-by-two", "random", "file"].contains(&p.preset.as_str()) {
            return Err(Error::param(
                owner,
                "preset",
                format!("unknown preset `{}`; valid presets: {PRESETS}", p.preset),
            ));
        }
        if p.m == 0 {
            return Err(Error::param(owner, "m", "must be >= 1"));
        }
        if p.n == 0 {
            return Err(Error::param(owner, "n", "must be >= 1"));
        }
        let fixed = if p.file.is_empty() { p.preset.as_str() } else { "file" };
        if fixed != "random" {
            // A preset or a file fixes the size: a size given beside it would be silently ignored.
            let d = MatrixGameParams::default();
            for (name, v, default) in [("m", p.m, d.m), ("n", p.n, d.n)] {
                if v != default {
                    return Err(Error::param(
                        owner,
                        name,
                        format!(
                            "{name} = {v} applies only to preset \"random\"; preset \"{fixed}\" fixes the size of A"
                        ),
                    ));
                }
            }
        }
        if p.preset == "random" {
            // A, its copies in the operator and the two metrics, SVD workspace; vectors.
            let (m, n) = (p.m, p.n);
            let big = if m >= n { "m" } else { "n" };
            let what = format_args!("m x n = {m} x {n}");
            let words = Size::of(m) * n * 5usize + (Size::of(m) + n) * 8usize;
            memory::check(owner, big, what, words.f64s().get())?;
            let small = m.min(n);
            let flops = if small <= SMALL { Size::of(m) * n * small * 4usize } else { Size::of(m) * n * 3200usize };
            limits::check_build(owner, big, what, flops, "use m x n <= 2.5e7")?;
        }
        if p.preset == "file" && p.file.is_empty() {
            return Err(Error::param(owner, "file", "preset \"file\" needs a payoff matrix file in `file`"));
        }
        if !p.file.is_empty() && !["rps", "file"].contains(&p.preset.as_str()) {
            return Err(Error::param(
                owner,
                "file",
                format!("a payoff file conflicts with preset \"{}\"; give one or the other", p.preset),
            ));
        }
        Ok(())
    }
}

const PRESETS: &str = "\"rps\", \"matching-pennies\", \"two-by-two\", \"random\", \"file\"";

/// `F(x, y) = (A y, -A^T x)` for an `m x n` payoff matrix.
#[derive(Clone, Debug)]
pub struct MatrixGameOperator {
    a: Mat<f64>,
    lipschitz: f64,
}

impl MatrixGameOperator {
    /// The operator of the game with payoff `a`; `L = sigma_max(A)` (exact up to `min(m, n) =
    /// 1000`, block power iteration beyond).
    ///
    /// # Errors
    /// [`Error::NonFinite`] for NaN or infinite payoffs, [`Error::Numerical`] if the singular
    /// values fail.
    pub fn new(a: Mat<f64>) -> Result<Self> {
        if !a.is_all_finite() {
            return Err(Error::NonFinite("payoff matrix A".into()));
        }
        let lipschitz = if a.nrows().min(a.ncols()) <= SMALL {
            a.singular_values().map_err(|e| Error::Numerical(format!("singular values: {e:?}")))?[0]
        } else {
            dense_spectral_norm_estimate(a.as_ref())
        };
        Ok(Self { a, lipschitz })
    }

    /// The payoff matrix.
    pub fn payoff(&self) -> faer::MatRef<'_, f64> {
        self.a.as_ref()
    }
}

impl Operator for MatrixGameOperator {
    fn dim(&self) -> usize {
        self.a.nrows() + self.a.ncols()
    }
    fn eval(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        let m = self.a.nrows();
        let (x, y) = z.split_at_row(m);
        let (ox, oy) = out.split_at_row_mut(m);
        matmul(ox.as_mat_mut(), Accum::Replace, self.a.as_ref(), y.as_mat(), 1.0, Par::Seq);
        matmul(oy.as_mat_mut(), Accum::Replace, self.a.transpose(), x.as_mat(), -1.0, Par::Seq);
    }
    fn lipschitz(&self) -> Option<f64> {
        Some(self.lipschitz)
    }
    fn strong_monotonicity(&self) -> Option<f64> {
        Some(0.0)
    }
    fn monotonicity(&self) -> Monotonicity {
        Monotonicity::Monotone
    }
    fn jvp(&mut self, _z: ColRef<'_, f64>, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.eval(v, out);
    }
    fn jacobian(&mut self, _z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        let (m, n) = (self.a.nrows(), self.a.ncols());
        Some(Mat::from_fn(m + n, m + n, |i, j| match (i < m, j < m) {
            (true, false) => self.a[(i, j - m)],
            (false, true) => -self.a[(j, i - m)],
            _ => 0.0,
        }))
    }
}

/// `max_j (A^T x)_j - min_i (A y)_i` at `z = (x, y)`, using caller scratch `ax` (len `n`) and
/// `ay` (len `m`).
pub fn duality_gap(a: faer::MatRef<'_, f64>, z: ColRef<'_, f64>, ax: ColMut<'_, f64>, ay: ColMut<'_, f64>) -> f64 {
    let m = a.nrows();
    let (x, y) = z.split_at_row(m);
    let (mut ax, mut ay) = (ax, ay);
    matmul(ax.as_mut().as_mat_mut(), Accum::Replace, a.transpose(), x.as_mat(), 1.0, Par::Seq);
    matmul(ay.as_mut().as_mat_mut(), Accum::Replace, a, y.as_mat(), 1.0, Par::Seq);
    let best_y = ax.iter().fold(f64::NEG_INFINITY, |s, v| s.max(*v));
    let best_x = ay.iter().fold(f64::INFINITY, |s, v| s.min(*v));
    best_y - best_x
}

/// The payoff matrix and the known equilibrium `(x*, y*)` of a preset, if it has one.
pub fn preset_payoff(p: &MatrixGameParams, seed: impl vi_core::Seed) -> Result<(Mat<f64>, Option<Col<f64>>)> {
    let from = |rows: &[&[f64]]| Mat::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j]);
    let col = |v: &[f64]| Col::from_fn(v.len(), |i| v[i]);
    Ok(match p.preset.as_str() {
        "rps" if p.file.is_empty() => {
            (from(&[&[0.0, -1.0, 1.0], &[1.0, 0.0, -1.0], &[-1.0, 1.0, 0.0]]), Some(col(&[1.0 / 3.0; 6])))
        }
        "matching-pennies" => (from(&[&[1.0, -1.0], &[-1.0, 1.0]]), Some(col(&[0.5; 4]))),
        "two-by-two" => (from(&[&[2.0, -1.0], &[-1.0, 1.0]]), Some(col(&[0.4, 0.6, 0.4, 0.6]))),
        "random" => {
            let mut rng = vi_core::rng::seeded(seed.get(), 0x6a3e);
            (Mat::from_fn(p.m, p.n, |_, _| 2.0 * vi_core::rng::uniform(&mut rng) - 1.0), None)
        }
        _ => (io::read_matrix(&p.file)?.to_dense(&p.file)?, None),
    })
}

/// Parses a payoff matrix file's text (plain rows or Matrix Market, see [`crate::affine::io`])
/// into the dense payoff matrix; `path` is only used in error messages.
///
/// # Errors
/// [`Error::File`] naming the line that is wrong, a header whose sizes disagree with the
/// content, or a matrix beyond the memory limit ([`vi_core::memory`]).
pub fn parse_payoff(text: &str, path: &str) -> Result<Mat<f64>> {
    io::parse_matrix(text, path)?.to_dense(path)
}

/// The skewed interior start `x_i ∝ i + 1`, `y_j ∝ n - j`.
pub fn skewed_start(m: usize, n: usize) -> Col<f64> {
    let (sx, sy) = ((m * (m + 1)) as f64 / 2.0, (n * (n + 1)) as f64 / 2.0);
    Col::from_fn(m + n, |i| if i < m { (i + 1) as f64 / sx } else { (m + n - i) as f64 / sy })
}

fn build(p: Checked<MatrixGameParams>, ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let (a, known) = preset_payoff(&p, ctx)?;
    let (m, n) = (a.nrows(), a.ncols());
    let mut op = MatrixGameOperator::new(a.clone())?;
    let set: Box<dyn ConstraintSet> =
        Box::new(Product::new(vec![Box::new(Simplex::new(m, 1.0)?), Box::new(Simplex::new(n, 1.0)?)]));
    let start = skewed_start(m, n);
    let solution = match known {
        Some(s) => Some(s),
        None if m * n <= 250_000 && op.lipschitz > 0.0 => {
            let max_iters = (2e9 / (2.0 * (m * n) as f64)).min(200_000.0) as usize;
            let l = op.lipschitz;
            let (z, r) = reference_solution(&mut op, set.as_ref(), start.as_ref(), l, 1e-13, max_iters);
            (r <= 1e-11).then_some(z)
        }
        None => None,
    };
    let (a1, a2) = (a.clone(), a);
    let (mut ax, mut ay) = (Col::<f64>::zeros(n), Col::<f64>::zeros(m));
    let gap = move |z: ColRef<'_, f64>| duality_gap(a1.as_ref(), z, ax.as_mut(), ay.as_mut());
    let mut ayv = Col::<f64>::zeros(m);
    let value = move |z: ColRef<'_, f64>| {
        let (x, y) = z.split_at_row(m);
        matmul(ayv.as_mut().as_mat_mut(), Accum::Replace, a2.as_ref(), y.as_mat(), 1.0, Par::Seq);
        vi_core::linalg::dot(x, ayv.as_ref())
    };
    let mut problem = Problem::new("matrix-game", Box::new(op), set, start)?
        .with_blocks(vec![Block::new("x", 0..m), Block::new("y", m..m + n)])?
        .with_metric(Box::new(FnMetric::new("duality_gap", gap)))
        .with_metric(Box::new(FnMetric::new("game_value", value)));
    if let Some(s) = solution {
        problem = problem.with_solution(s)?;
    }
    Ok(problem)
}

/// In the default suite: a random 10 x 10 game (the presets are solved in a few iterations).
fn run_defaults(_: &MatrixGameParams) -> vi_core::RunDefaults {
    vi_core::RunDefaults::suite_only(
        serde_json::json!({"preset": "random", "m": 10, "n": 10}),
        vi_core::Budget::default(),
    )
}

vi_core::register_problem!(
    "matrix-game",
    "min_x max_y x'Ay on simplices: rps, matching-pennies, two-by-two (value 1/5), random m x n, or a file",
    MatrixGameParams,
    build,
    defaults = run_defaults
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::build_error;
    use vi_core::linalg::col_from_slice;

    /// `matrix-game` with `params` (seed 7).
    fn build_p(params: serde_json::Value) -> Problem {
        crate::testing::built("matrix-game", params, 7)
    }

    #[test]
    fn presets_known_solutions_values_and_constants() {
        // (preset, value, L = sigma_max(A))
        let cases =
            [("rps", 0.0, 3f64.sqrt()), ("matching-pennies", 0.0, 2.0), ("two-by-two", 0.2, (3.0 + 5f64.sqrt()) / 2.0)];
        for (preset, value, l) in cases {
            let mut p = build_p(serde_json::json!({ "preset": preset }));
            let z = p.solution().unwrap().to_owned();
            assert!(p.natural_residual(z.as_ref()) < 1e-14, "{preset}");
            let m = p.metrics(z.as_ref());
            assert!(m["duality_gap"].abs() < 1e-15, "{preset}: {m:?}");
            assert!((m["game_value"] - value).abs() < 1e-15, "{preset}: {m:?}");
            assert!((p.lipschitz().unwrap() - l).abs() < 1e-12, "{preset}");
            assert_eq!(p.strong_monotonicity(), Some(0.0));
            assert_eq!(p.blocks()[0].name, "x");
            assert_eq!(p.blocks()[1].name, "y");
            // The start is feasible and not the solution.
            assert!(p.set().contains(p.start(), 1e-15));
            assert!(p.distance_to_solution(p.start()).unwrap() > 0.1);
        }
    }

    #[test]
    fn duality_gap_and_value_of_pure_strategies() {
        // RPS: rock against rock. A^T e1 = (0, -1, 1), A e1 = (0, 1, -1): gap = 1 - (-1) = 2.
        let mut p = build_p(serde_json::json!({ "preset": "rps" }));
        let z = col_from_slice(&[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        let m = p.metrics(z.as_ref());
        assert_eq!((m["duality_gap"], m["game_value"]), (2.0, 0.0));
        // Paper against rock: x = e2, y = e1, payoff A[1][0] = 1 (the minimizer pays 1).
        // A^T e2 = (1, 0, -1) max 1; A e1 = (0, 1, -1) min -1: gap 2.
        let z = col_from_slice(&[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
        let m = p.metrics(z.as_ref());
        assert_eq!((m["duality_gap"], m["game_value"]), (2.0, 1.0));
        // Two-by-two, x = e1, y = e2: A^T e1 = (2, -1) max 2; A e2 = (-1, 1) min -1: gap 3,
        // value A[0][1] = -1. Uniform play: A^T x = (1/2, 0), A y = (1/2, 0): gap 1/2, value 1/4.
        let mut p = build_p(serde_json::json!({ "preset": "two-by-two" }));
        let m = p.metrics(col_from_slice(&[1.0, 0.0, 0.0, 1.0]).as_ref());
        assert_eq!((m["duality_gap"], m["game_value"]), (3.0, -1.0));
        let m = p.metrics(col_from_slice(&[0.5, 0.5, 0.5, 0.5]).as_ref());
        assert_eq!((m["duality_gap"], m["game_value"]), (0.5, 0.25));
    }

    #[test]
    fn operator_matches_formula_and_is_monotone() {
        let p = MatrixGameParams { preset: "random".into(), m: 4, n: 3, ..Default::default() };
        let (a, _) = preset_payoff(&p, 11).unwrap();
        let mut op = MatrixGameOperator::new(a.clone()).unwrap();
        let mut rng = vi_core::rng::seeded(1, 2);
        let mut f = Col::zeros(7);
        let mut g = Col::zeros(7);
        for _ in 0..20 {
            let z = Col::from_fn(7, |_| vi_core::rng::normal(&mut rng));
            let w = Col::from_fn(7, |_| vi_core::rng::normal(&mut rng));
            op.eval(z.as_ref(), f.as_mut());
            for i in 0..4 {
                let e: f64 = (0..3).map(|j| a[(i, j)] * z[4 + j]).sum();
                assert!((f[i] - e).abs() < 1e-14);
            }
            for j in 0..3 {
                let e: f64 = -(0..4).map(|i| a[(i, j)] * z[i]).sum::<f64>();
                assert!((f[4 + j] - e).abs() < 1e-14);
            }
            // Skew: <F z - F w, z - w> = 0.
            op.eval(w.as_ref(), g.as_mut());
            let s: f64 = (0..7).map(|i| (f[i] - g[i]) * (z[i] - w[i])).sum();
            assert!(s.abs() < 1e-12, "{s}");
        }
    }

    #[test]
    fn random_game_reference_equilibrium() {
        let mut p = build_p(serde_json::json!({ "preset": "random", "m": 4, "n": 6 }));
        assert_eq!(p.dim(), 10);
        let z = p.solution().expect("reference equilibrium").to_owned();
        assert!(p.natural_residual(z.as_ref()) < 1e-10);
        let m = p.metrics(z.as_ref());
        assert!(m["duality_gap"].abs() < 1e-9, "{m:?}");
        // Same seed, same game; another seed, another game.
        let q = build_p(serde_json::json!({ "preset": "random", "m": 4, "n": 6 }));
        assert_eq!(linalg_vec(q.solution().unwrap()), linalg_vec(z.as_ref()));
        let r = vi_core::build_problem("matrix-game", &serde_json::json!({ "preset": "random", "m": 4, "n": 6 }), 8)
            .unwrap();
        assert_ne!(linalg_vec(r.solution().unwrap()), linalg_vec(z.as_ref()));
    }

    fn linalg_vec(z: ColRef<'_, f64>) -> Vec<f64> {
        vi_core::linalg::to_vec(z)
    }

    #[test]
    fn bad_parameters_are_rejected() {
        let e = build_error("matrix-game", serde_json::json!({ "preset": "chess" }));
        assert_eq!(
            e,
            "invalid value for parameter `preset` of problem matrix-game: unknown preset `chess`; valid presets: \
             \"rps\", \"matching-pennies\", \"two-by-two\", \"random\", \"file\""
        );
        let e = build_error("matrix-game", serde_json::json!({ "preset": "random", "m": 0 }));
        assert_eq!(e, "invalid value for parameter `m` of problem matrix-game: must be >= 1");
        assert_eq!(
            build_error("matrix-game", serde_json::json!({ "n": -2 })),
            "invalid value for parameter `n` of problem matrix-game: invalid value: integer `-2`, expected a \
             whole number >= 0 (got -2)"
        );
        let e = build_error("matrix-game", serde_json::json!({ "preset": "file" }));
        assert_eq!(
            e,
            "invalid value for parameter `file` of problem matrix-game: preset \"file\" needs a payoff matrix file in `file`"
        );
        let e = build_error("matrix-game", serde_json::json!({ "preset": "random", "file": "a.txt" }));
        assert!(e.contains("conflicts with preset \"random\""), "{e}");
        // A size beside a preset that fixes it would be ignored: refused, naming it.
        assert_eq!(
            build_error("matrix-game", serde_json::json!({ "m": 1_000_000_000 })),
            "invalid value for parameter `m` of problem matrix-game: m = 1000000000 applies only to preset \"random\"; \
             preset \"rps\" fixes the size of A"
        );
        let e = build_error("matrix-game", serde_json::json!({ "preset": "two-by-two", "n": 3 }));
        assert!(e.contains("`n`") && e.contains("preset \"two-by-two\""), "{e}");
    }
}
