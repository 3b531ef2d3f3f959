//! # Semismooth Newton for box-constrained VIs (mixed complementarity problems)
//!
//! On a box `C = {l <= z <= u}` (infinite bounds allowed: the orthant and the whole space are
//! boxes) `VI(C, F)` is the mixed complementarity problem `MCP(F, l, u)`. It is rewritten as the
//! semismooth equation `Phi(z) = 0` with the penalized Fischer-Burmeister function
//!
//! ```text
//! phi(a, b) = lambda (a + b - sqrt(a^2 + b^2)) + (1 - lambda) max(a, 0) max(b, 0)
//! Phi_i(z)  = F_i(z)                                   l_i = -inf, u_i = +inf
//!           = phi(z_i - l_i, F_i(z))                   l_i finite, u_i = +inf
//!           = -phi(u_i - z_i, -F_i(z))                 l_i = -inf, u_i finite
//!           = phi(z_i - l_i, -phi(u_i - z_i, -F_i(z)))  both finite
//! ```
//!
//! and the merit function `psi(z) = ||Phi(z)||^2 / 2`. One iteration:
//!
//! ```text
//! H_k = D_a + D_b J(z_k)            (an element of the generalized Jacobian of Phi; D_a, D_b
//!                                    diagonal, from the partial derivatives of phi; at a = b = 0
//!                                    the element (1 - 1/sqrt 2, 1 - 1/sqrt 2) is taken)
//! g_k = H_k^T Phi(z_k)              (the gradient of psi)
//! d_k solves H_k d = -Phi(z_k)      (Newton direction), kept if finite and
//!                                    g_k^T d_k <= -rho ||d_k||^p (rho = 1e-8, p = 2.1)
//! otherwise d_k = -g_k              (gradient fallback)
//! z_{k+1} = P(z_k + t d_k)          (projected onto the box), t = beta^m, the first m with
//!     psi(z_{k+1}) <= R_k + sigma g_k^T (z_{k+1} - z_k)  and  g_k^T (z_{k+1} - z_k) < 0,
//!     R_k = max of the last `memory` merit values (non-monotone rule; memory = 1 is Armijo).
//! ```
//!
//! If the Newton direction finds no step in `max_backtracks` trials the gradient direction is
//! searched too. Iterates stay in the box, so `F` is only evaluated there (and at finite-
//! difference points inside it). Near a solution where `H` is nonsingular (BD-regularity) the
//! unit step is accepted and convergence is quadratic when `J` is locally Lipschitz.
//!
//! ## Safeguards (each ends the run with `NumericalError` and a message)
//! - `F` or `J` not finite at the iterate;
//! - the Newton system is singular (smallest LU pivot below `n eps` times the largest) and the
//!   projected merit gradient vanishes: a stationary point of `psi` that is no solution;
//! - the line search stalls: no trial along the Newton or the gradient direction was
//!   accepted (trial points where `F` is not finite are rejected, never accepted). The message
//!   compares the natural residual with the rounding floor of `F` at the iterate,
//!   `eps || |J| |z| + |F| ||` (the error of evaluating `F = M z + q` in floating point, and
//!   through the nonexpansive `P` of the natural residual): within a factor 10 of it the stall
//!   is reported as rounding-limited (the tolerance is below what float64 resolves there);
//! - the iterate sits below that floor and its natural residual has not halved in
//!   `FLOOR_PATIENCE` (10) iterations: the same rounding-limited end, without wasting iterations
//!   on rounding noise.
//!
//! ## Oracle calls
//! `init` evaluates `F(z_0)` (1 call). Each iteration forms the Jacobian at `z_k`: analytic
//! (the operator's `jacobian_into`) counts as **one** oracle call: `F(z_k)` is evaluated again
//! through the counted `Problem::eval` together with it; otherwise forward finite differences
//! through `Problem::eval` cost **n** calls (plus one per column retried on the other side
//! when `F` is not finite at the perturbed point). Every line-search trial is one more call. A full
//! Newton step with an analytic Jacobian thus costs 2 calls.
//!
//! ## Linear algebra
//! Dense LU with partial pivoting (faer `lu_in_place`) on a matrix allocated at `init`; `step`
//! allocates nothing. The dense Jacobian needs `8 n^2` bytes, so `init` refuses `n` above
//! `max_dense_dim`. Sparse path (operators with `jacobian_pattern`): COLAMD ordering once at
//! `init`, faer's simplicial LU with partial pivoting per iteration on scratch sized at `init`;
//! it allocates only when a factorization has more fill than every earlier one (its L/U
//! storage never shrinks), none in steady state. `sparse_factorization = "supernodal"` is
//! faster on large 2-D grids but faer 0.24 allocates work vectors in each factorization.
//!
//! ## References
//! - T. De Luca, F. Facchinei, C. Kanzow, "A semismooth equation approach to the solution of
//!   nonlinear complementarity problems", Math. Programming 75 (1996) 407-439.
//! - T. S. Munson, F. Facchinei, M. C. Ferris, A. Fischer, C. Kanzow, "The semismooth
//!   algorithm for large scale complementarity problems", INFORMS J. Computing 13 (2001).
//! - S. P. Dirkse, M. C. Ferris, "The PATH solver: a non-monotone stabilization scheme for
//!   mixed complementarity problems", Optim. Methods Softw. 5 (1995) 123-156.
//! - S. C. Billups, *Algorithms for complementarity problems and generalized equations*,
//!   PhD thesis, Univ. of Wisconsin (1995) (the box composition of `phi`).
//! - M. C. Ferris, C. Kanzow, T. S. Munson, "Feasible descent algorithms for mixed
//!   complementarity problems", Math. Programming 86 (1999) 475-497 (the projected search).

use faer::dyn_stack::MemStack;
use faer::linalg::lu::partial_pivoting::{factor, solve};
use faer::linalg::matmul::matmul;
use faer::sparse::linalg::lu::{factorize_symbolic_lu, LuSymbolicParams, NumericLu, SymbolicLu};
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};
use faer::{Accum, Col, ColRef, Conj, Mat, Par};
use serde::{Deserialize, Serialize};
use vi_core::{
    linalg, BuildContext, Checked, Error, LinearModel, Method, Problem, Result, Solver, Status, StepRule, StepStatus,
};

/// Where the Jacobian comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JacobianSource {
    /// The operator's analytic `jacobian_into` when it has one, else finite differences.
    Auto,
    /// Always forward finite differences (n oracle calls per Jacobian).
    FiniteDifference,
}

/// Which linear algebra solves the Newton system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinearSolver {
    /// Sparse when the operator has a sparse Jacobian and `n >= sparse_min_dim` (or
    /// `n > max_dense_dim`), dense otherwise.
    Auto,
    /// Dense LU (faer, partial pivoting); `n <= max_dense_dim`.
    Dense,
    /// Sparse LU (faer: COLAMD ordering and symbolic analysis once, numeric factorization per
    /// iteration); needs the operator's sparse Jacobian.
    Sparse,
}

/// Which faer sparse LU factorizes the Newton system on the sparse path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SparseFactorization {
    /// Left-looking simplicial LU: allocation-free per step once its L/U storage has grown to
    /// the largest fill seen.
    Simplicial,
    /// Supernodal LU (dense kernels on supernodes): faster on large 2-D grids, but faer 0.24
    /// allocates work vectors in every numeric factorization.
    Supernodal,
}

vi_core::params! {
    /// Parameters of [`SemismoothNewton`].
    pub struct SemismoothNewtonParams {
        /// only "auto": unit Newton step, backtracked by the line search (accepted so wrappers such as tikhonov can forward `step`)
        pub step: StepRule = StepRule::Auto;
        /// "auto" (analytic if the operator has one, 1 call) or "finite-difference" (n calls)
        pub jacobian: JacobianSource = JacobianSource::Auto;
        /// penalized Fischer-Burmeister weight; 1 = pure FB
        pub lambda: f64 = 0.95, open_closed(0.0, 1.0);
        /// sufficient-decrease constant of the line search
        pub sigma: f64 = 1e-4, open(0.0, 0.5);
        /// backtracking factor
        pub beta: f64 = 0.5, open(0.0, 1.0);
        /// non-monotone memory: compare with the max of the last `memory` merits (1 = monotone Armijo)
        pub memory: usize = 5, closed(1.0, 100.0);
        /// line-search trials per direction before giving up
        pub max_backtracks: u32 = 30, closed(1.0, 60.0);
        /// Newton direction kept when g'd <= -rho ||d||^p
        pub rho: f64 = 1e-8, positive();
        /// exponent of the descent test
        pub p: f64 = 2.1, above(2.0);
        /// largest dimension (the dense Jacobian takes 8 n^2 bytes)
        pub max_dense_dim: usize = 5000, at_least(1.0);
        /// "auto" (sparse LU for a sparse Jacobian from sparse_min_dim on), "dense" or "sparse"
        pub linear_solver: LinearSolver = LinearSolver::Auto;
        /// smallest n at which "auto" uses the sparse LU
        pub sparse_min_dim: usize = 200, at_least(1.0);
        /// "simplicial" (no allocation per step) or "supernodal" (faster on large grids; faer allocates per factorization)
        pub sparse_factorization: SparseFactorization = SparseFactorization::Simplicial;
    }
    validate(p, owner) {
        if p.step != StepRule::Auto {
            return Err(Error::param(
                owner,
                "step",
                "only \"auto\" is available: the step comes from the unit Newton step and the line search",
            ));
        }
        Ok(())
    }
}

/// A stall with a natural residual within this factor of the rounding floor is reported as
/// rounding-limited.
const FLOOR_FACTOR: f64 = 10.0;

/// Iterations in a row at the rounding floor (natural residual <= the floor) without halving
/// the best residual, after which the run ends as a stall at the floor.
const FLOOR_PATIENCE: u32 = 10;

/// Why the solver ended the run (formatted only in `status_message`).
#[derive(Clone, Copy, Debug)]
enum Failure {
    NonFiniteF,
    NonFiniteJacobian,
    NoSparseValues,
    Stationary { pivot_ratio: f64, merit: f64 },
    Stalled { merit: f64, residual: f64, floor: f64, nonfinite: u32, trials: u32 },
    AtFloor { residual: f64, floor: f64 },
}

/// Semismooth Newton on the penalized Fischer-Burmeister reformulation. See the module docs.
#[derive(Clone)]
pub struct SemismoothNewton {
    params: SemismoothNewtonParams,
    lo: Col<f64>,
    hi: Col<f64>,
    z: Col<f64>,
    f: Col<f64>,
    phi: Col<f64>,
    da: Col<f64>,
    db: Col<f64>,
    g: Col<f64>,
    d: Col<f64>,
    zt: Col<f64>,
    ft: Col<f64>,
    phit: Col<f64>,
    jac: Mat<f64>,
    /// The sparse path (`None`: dense).
    sparse: Option<SparseSystem>,
    perm: Vec<usize>,
    perm_inv: Vec<usize>,
    /// faer scratch (plain bytes: `MemBuffer` is not `Clone`).
    stack: Vec<std::mem::MaybeUninit<u8>>,
    history: Vec<f64>,
    next: usize,
    merit: f64,
    t: f64,
    /// Rounding floor of `F` at the iterate, `eps || |J| |z| + |F| ||` (set with each Jacobian).
    floor: f64,
    /// Best natural residual seen at the floor, and iterations since it last halved.
    floor_best: f64,
    floor_idle: u32,
    failure: Option<Failure>,
    newton_steps: u64,
    gradient_steps: u64,
    analytic_jacobians: u64,
    fd_jacobians: u64,
    trials: u64,
}

impl std::fmt::Debug for SemismoothNewton {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SemismoothNewton").field("params", &self.params).finish_non_exhaustive()
    }
}

/// The sparse Newton system: `H = D_a + D_b J` on `J`'s pattern (which holds the diagonal), its
/// symbolic LU (computed once at `init`) and numeric LU (refreshed every iteration).
#[derive(Clone)]
struct SparseSystem {
    pattern: SymbolicSparseColMat<usize>,
    /// Position of each diagonal entry in `values`.
    diag: Vec<usize>,
    /// `J` then, scaled in place, `H`, in the pattern's order.
    values: Vec<f64>,
    symbolic: SymbolicLu<usize>,
    numeric: NumericLu<usize, f64>,
}

/// `(phi(a, b), d phi / d a, d phi / d b)` of the penalized Fischer-Burmeister function.
#[inline]
fn fb(a: f64, b: f64, lambda: f64) -> (f64, f64, f64) {
    let r = a.hypot(b);
    // a + b - r without cancellation when a + b > 0.
    let v = if a + b > 0.0 { 2.0 * a * b / (a + b + r) } else { a + b - r };
    let (ga, gb) = if r == 0.0 {
        let c = 1.0 - std::f64::consts::FRAC_1_SQRT_2;
        (c, c)
    } else {
        (1.0 - a / r, 1.0 - b / r)
    };
    let (ap, bp) = (a.max(0.0), b.max(0.0));
    let mu = 1.0 - lambda;
    (
        lambda * v + mu * ap * bp,
        lambda * ga + if a > 0.0 { mu * bp } else { 0.0 },
        lambda * gb + if b > 0.0 { mu * ap } else { 0.0 },
    )
}

/// `(Phi_i, D_a, D_b)` for one coordinate with bounds `[l, u]`.
#[inline]
fn component(z: f64, f: f64, l: f64, u: f64, lambda: f64) -> (f64, f64, f64) {
    match (l.is_finite(), u.is_finite()) {
        (false, false) => (f, 0.0, 1.0),
        (true, false) => fb(z - l, f, lambda),
        (false, true) => {
            let (p, pa, pb) = fb(u - z, -f, lambda);
            (-p, pa, pb)
        }
        (true, true) => {
            let (q, qa, qb) = fb(u - z, -f, lambda);
            let (p, pa, pb) = fb(z - l, -q, lambda);
            (p, pa + pb * qa, pb * qb)
        }
    }
}

impl SemismoothNewton {
    /// A new solver with checked parameters.
    pub fn new(params: Checked<SemismoothNewtonParams>) -> Self {
        let params = params.into_inner();
        let c = || Col::zeros(0);
        Self {
            params,
            lo: c(),
            hi: c(),
            z: c(),
            f: c(),
            phi: c(),
            da: c(),
            db: c(),
            g: c(),
            d: c(),
            zt: c(),
            ft: c(),
            phit: c(),
            jac: Mat::zeros(0, 0),
            sparse: None,
            perm: Vec::new(),
            perm_inv: Vec::new(),
            stack: Vec::new(),
            history: Vec::new(),
            next: 0,
            merit: f64::NAN,
            t: 0.0,
            floor: 0.0,
            floor_best: f64::INFINITY,
            floor_idle: 0,
            failure: None,
            newton_steps: 0,
            gradient_steps: 0,
            analytic_jacobians: 0,
            fd_jacobians: 0,
            trials: 0,
        }
    }

    /// `Phi` of `(z, f)` into `phi` (and `D_a`, `D_b` when `derivs`); returns the merit.
    fn reformulate(&mut self, trial: bool, derivs: bool) -> f64 {
        let lambda = self.params.lambda;
        let (z, f, phi) = if trial { (&self.zt, &self.ft, &mut self.phit) } else { (&self.z, &self.f, &mut self.phi) };
        let mut s = 0.0;
        for i in 0..z.nrows() {
            let (p, a, b) = component(z[i], f[i], self.lo[i], self.hi[i], lambda);
            phi[i] = p;
            s += p * p;
            if derivs {
                self.da[i] = a;
                self.db[i] = b;
            }
        }
        0.5 * s
    }

    /// `zt = P(z + t dir)` (counted projection), `ft = F(zt)` (counted), merit of the trial.
    fn trial(&mut self, problem: &mut Problem, t: f64, gradient: bool) -> f64 {
        for i in 0..self.z.nrows() {
            let dir = if gradient { -self.g[i] } else { self.d[i] };
            self.zt[i] = self.z[i] + t * dir;
        }
        problem.project(self.zt.as_mut());
        problem.eval(self.zt.as_ref(), self.ft.as_mut());
        self.trials += 1;
        self.reformulate(true, false)
    }

    /// Backtracking along the Newton (`gradient = false`) or gradient direction; on success the
    /// trial becomes the iterate. Returns `(accepted, non-finite trials)`.
    fn search(&mut self, problem: &mut Problem, gradient: bool) -> (bool, u32) {
        let reference = self.history.iter().fold(f64::NEG_INFINITY, |m, v| m.max(*v));
        let mut t = 1.0;
        let mut nonfinite = 0;
        for _ in 0..self.params.max_backtracks {
            let merit = self.trial(problem, t, gradient);
            if !merit.is_finite() {
                nonfinite += 1;
            } else {
                let mut slope = 0.0;
                for i in 0..self.z.nrows() {
                    slope += self.g[i] * (self.zt[i] - self.z[i]);
                }
                if slope < 0.0 && merit <= reference + self.params.sigma * slope {
                    std::mem::swap(&mut self.z, &mut self.zt);
                    std::mem::swap(&mut self.f, &mut self.ft);
                    std::mem::swap(&mut self.phi, &mut self.phit);
                    self.merit = merit;
                    self.history[self.next] = merit;
                    self.next = (self.next + 1) % self.history.len();
                    self.t = t;
                    return (true, nonfinite);
                }
            }
            t *= self.params.beta;
        }
        (false, nonfinite)
    }

    /// Forms `J(z)` in `jac`: analytic (1 counted call, re-evaluating `F(z)`) or forward
    /// differences (n counted calls; one more for each column that is not finite, differenced the
    /// other way). Adds an active Tikhonov shift to the analytic Jacobian.
    fn jacobian(&mut self, problem: &mut Problem) -> bool {
        if let Some(sp) = &mut self.sparse {
            if !problem.jacobian_values_into(self.z.as_ref(), &mut sp.values) {
                return false;
            }
            self.analytic_jacobians += 1;
            problem.eval(self.z.as_ref(), self.f.as_mut());
            if let Some(s) = problem.tikhonov() {
                let w = s.weights();
                for (i, &k) in sp.diag.iter().enumerate() {
                    sp.values[k] += w[i];
                }
            }
            return true;
        }
        let analytic =
            self.params.jacobian == JacobianSource::Auto && problem.jacobian_into(self.z.as_ref(), self.jac.as_mut());
        if analytic {
            self.analytic_jacobians += 1;
            problem.eval(self.z.as_ref(), self.f.as_mut());
            if let Some(s) = problem.tikhonov() {
                let w = s.weights();
                for i in 0..self.z.nrows() {
                    self.jac[(i, i)] += w[i];
                }
            }
            return true;
        }
        self.fd_jacobians += 1;
        let n = self.z.nrows();
        self.zt.copy_from(&self.z);
        for j in 0..n {
            let mut h = f64::EPSILON.sqrt() * self.z[j].abs().max(1.0);
            if self.z[j] + h > self.hi[j] {
                h = -h;
            }
            self.zt[j] = self.z[j] + h;
            problem.eval(self.zt.as_ref(), self.jac.col_mut(j));
            if !linalg::all_finite(self.jac.col(j)) && self.z[j] - h >= self.lo[j] {
                // F undefined on that side (e.g. beyond a domain edge): difference the other way.
                h = -h;
                self.zt[j] = self.z[j] + h;
                problem.eval(self.zt.as_ref(), self.jac.col_mut(j));
            }
            self.zt[j] = self.z[j];
            for i in 0..n {
                self.jac[(i, j)] = (self.jac[(i, j)] - self.f[i]) / h;
            }
        }
        true
    }

    /// `eps || |J| |z| + |F| ||`: the size of the rounding error of `F` (and so of the natural
    /// residual, `P` being nonexpansive) at the iterate, from the unscaled Jacobian in `jac` or
    /// the sparse values. Uses `ft` as scratch.
    fn rounding_floor(&mut self) -> f64 {
        let n = self.z.nrows();
        for i in 0..n {
            self.ft[i] = self.f[i].abs();
        }
        match &self.sparse {
            Some(sp) => {
                let (ptr, rows) = (sp.pattern.col_ptr(), sp.pattern.row_idx());
                for j in 0..n {
                    let zj = self.z[j].abs();
                    for k in ptr[j]..ptr[j + 1] {
                        self.ft[rows[k]] += sp.values[k].abs() * zj;
                    }
                }
            }
            None => {
                for j in 0..n {
                    let zj = self.z[j].abs();
                    for i in 0..n {
                        self.ft[i] += self.jac[(i, j)].abs() * zj;
                    }
                }
            }
        }
        f64::EPSILON * linalg::norm(self.ft.as_ref())
    }

    /// The natural residual `||z - P(z - F(z))||` at the iterate.
    fn natural_residual(&self) -> f64 {
        let mut s = 0.0;
        for i in 0..self.z.nrows() {
            let r = self.z[i] - (self.z[i] - self.f[i]).clamp(self.lo[i], self.hi[i]);
            s += r * r;
        }
        s.sqrt()
    }

    /// Sparse path: `H = D_a + D_b J` in place of `J`'s values, `g = H^T Phi`, then `H d = -Phi`
    /// by the numeric sparse LU on the symbolic analysis of `init`. Returns 1 on success and 0
    /// when the system is singular: no pivot found (`LuError`), or a non-finite solution, or a
    /// relative residual `||H d + Phi|| > sqrt(eps) ||Phi||` (a zero pivot).
    fn sparse_newton_direction(&mut self) -> f64 {
        let sp = self.sparse.as_mut().expect("sparse path");
        let n = self.z.nrows();
        let ptr = sp.pattern.col_ptr();
        let rows = sp.pattern.row_idx();
        for j in 0..n {
            let mut gj = 0.0;
            for k in ptr[j]..ptr[j + 1] {
                sp.values[k] *= self.db[rows[k]];
                if k == sp.diag[j] {
                    sp.values[k] += self.da[j];
                }
                gj += sp.values[k] * self.phi[rows[k]];
            }
            self.g[j] = gj;
        }
        let stack = MemStack::new(&mut self.stack);
        let h = SparseColMatRef::new(sp.pattern.as_ref(), &sp.values);
        let Ok(lu) = sp.symbolic.factorize_numeric_lu(&mut sp.numeric, h, Par::Seq, stack, Default::default()) else {
            return 0.0;
        };
        for i in 0..n {
            self.d[i] = -self.phi[i];
        }
        lu.solve_in_place_with_conj(Conj::No, self.d.as_mut().as_mat_mut(), Par::Seq, stack);
        if !linalg::all_finite(self.d.as_ref()) {
            return 0.0;
        }
        // ||H d + Phi||^2, accumulated column by column into zt (free here).
        self.zt.copy_from(&self.phi);
        for j in 0..n {
            for k in ptr[j]..ptr[j + 1] {
                self.zt[rows[k]] += sp.values[k] * self.d[j];
            }
        }
        if linalg::norm(self.zt.as_ref()) > f64::EPSILON.sqrt() * linalg::norm(self.phi.as_ref()) {
            return 0.0;
        }
        1.0
    }

    /// Solves `H d = -Phi` by LU in place (destroys `H`). Returns the pivot ratio
    /// `min |u_ii| / max |u_ii|` (0 for a singular matrix).
    fn newton_direction(&mut self) -> f64 {
        let n = self.z.nrows();
        let stack = MemStack::new(&mut self.stack);
        let (_, perm) = factor::lu_in_place(
            self.jac.as_mut(),
            &mut self.perm,
            &mut self.perm_inv,
            Par::Seq,
            stack,
            Default::default(),
        );
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for i in 0..n {
            let u = self.jac[(i, i)].abs();
            lo = lo.min(u);
            hi = hi.max(u);
        }
        let ratio = if hi > 0.0 && lo.is_finite() { lo / hi } else { 0.0 };
        if ratio <= n as f64 * f64::EPSILON || !ratio.is_finite() {
            return 0.0;
        }
        for i in 0..n {
            self.d[i] = -self.phi[i];
        }
        solve::solve_in_place(
            self.jac.as_ref(),
            self.jac.as_ref(),
            perm,
            self.d.as_mut().as_mat_mut(),
            Par::Seq,
            stack,
        );
        ratio
    }
}

impl Solver for SemismoothNewton {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        self.lo = Col::zeros(n);
        self.hi = Col::zeros(n);
        if !problem.set().box_bounds(self.lo.as_mut(), self.hi.as_mut()) {
            return Err(Error::Config(format!(
                "semismooth-newton needs a box (whole space, orthant, box or products of them); problem `{}` has the set {}",
                problem.name(),
                problem.set().describe()
            )));
        }
        let analytic = self.params.jacobian == JacobianSource::Auto;
        let pattern = if analytic { problem.operator().jacobian_pattern() } else { None };
        let use_sparse = match self.params.linear_solver {
            LinearSolver::Dense => false,
            LinearSolver::Sparse => {
                if pattern.is_none() {
                    return Err(Error::Config(format!(
                        "semismooth-newton: linear_solver = \"sparse\" needs the operator's sparse Jacobian (Operator::jacobian_pattern){}; problem `{}` has none",
                        if analytic { "" } else { " and jacobian = \"auto\"" },
                        problem.name()
                    )));
                }
                true
            }
            LinearSolver::Auto => {
                pattern.is_some() && (n >= self.params.sparse_min_dim || n > self.params.max_dense_dim)
            }
        };
        if !use_sparse && n > self.params.max_dense_dim {
            return Err(Error::Config(format!(
                "semismooth-newton: dimension {n} exceeds max_dense_dim = {} (the dense Jacobian needs {:.1} MB); raise max_dense_dim{}",
                self.params.max_dense_dim,
                8.0 * (n as f64).powi(2) / 1e6,
                if pattern.is_some() { " or use linear_solver = \"sparse\"" } else { "" }
            )));
        }
        self.z = problem.start().to_owned();
        problem.project(self.z.as_mut());
        for v in [&mut self.f, &mut self.phi, &mut self.da, &mut self.db, &mut self.g, &mut self.d] {
            *v = Col::zeros(n);
        }
        self.zt = Col::zeros(n);
        self.ft = Col::zeros(n);
        self.phit = Col::zeros(n);
        let req = if use_sparse {
            let pattern = pattern.expect("checked above");
            let diag = vi_core::operator::check_jacobian_pattern(pattern.as_ref(), n)?;
            let symbolic = factorize_symbolic_lu(
                pattern.as_ref(),
                LuSymbolicParams {
                    supernodal_flop_ratio_threshold: match self.params.sparse_factorization {
                        SparseFactorization::Simplicial => SupernodalThreshold::FORCE_SIMPLICIAL,
                        SparseFactorization::Supernodal => SupernodalThreshold::FORCE_SUPERNODAL,
                    },
                    ..Default::default()
                },
            )
            .map_err(|e| Error::Numerical(format!("semismooth-newton: sparse symbolic LU: {e:?}")))?;
            let req = symbolic
                .factorize_numeric_lu_scratch::<f64>(Par::Seq, Default::default())
                .or(symbolic.solve_in_place_scratch::<f64>(1, Par::Seq));
            let values = vec![0.0; pattern.compute_nnz()];
            self.sparse = Some(SparseSystem { pattern, diag, values, symbolic, numeric: NumericLu::new() });
            self.jac = Mat::zeros(0, 0);
            self.perm = Vec::new();
            self.perm_inv = Vec::new();
            req
        } else {
            self.sparse = None;
            self.jac = Mat::zeros(n, n);
            self.perm = vec![0; n];
            self.perm_inv = vec![0; n];
            factor::lu_in_place_scratch::<usize, f64>(n, n, Par::Seq, Default::default())
                .or(solve::solve_in_place_scratch::<usize, f64>(n, 1, Par::Seq))
        };
        self.stack = vec![std::mem::MaybeUninit::new(0u8); req.unaligned_bytes_required() + 256];
        problem.eval(self.z.as_ref(), self.f.as_mut());
        self.merit = self.reformulate(false, false);
        self.history = vec![self.merit; self.params.memory];
        self.next = 0;
        self.t = 0.0;
        self.failure = None;
        self.floor = 0.0;
        (self.floor_best, self.floor_idle) = (f64::INFINITY, 0);
        (self.newton_steps, self.gradient_steps, self.analytic_jacobians, self.fd_jacobians, self.trials) =
            (0, 0, 0, 0, 0);
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        if !self.merit.is_finite() {
            self.failure = Some(Failure::NonFiniteF);
            return StepStatus::Finished(Status::NumericalError);
        }
        if self.merit == 0.0 {
            return StepStatus::Continue;
        }
        if !self.jacobian(problem) {
            self.failure = Some(Failure::NoSparseValues);
            return StepStatus::Finished(Status::NumericalError);
        }
        self.merit = self.reformulate(false, true);
        if !self.merit.is_finite() {
            self.failure = Some(Failure::NonFiniteF);
            return StepStatus::Finished(Status::NumericalError);
        }
        let jac_finite = match &self.sparse {
            Some(sp) => sp.values.iter().all(|v| v.is_finite()),
            None => self.jac.is_all_finite(),
        };
        if !jac_finite {
            self.failure = Some(Failure::NonFiniteJacobian);
            return StepStatus::Finished(Status::NumericalError);
        }
        self.floor = self.rounding_floor();
        // At the floor, progress is rounding noise: stop once it no longer halves the residual.
        let residual = self.natural_residual();
        if residual <= self.floor {
            if residual <= 0.5 * self.floor_best {
                (self.floor_best, self.floor_idle) = (residual, 0);
            } else {
                self.floor_idle += 1;
            }
            if self.floor_idle >= FLOOR_PATIENCE {
                self.failure = Some(Failure::AtFloor { residual, floor: self.floor });
                return StepStatus::Finished(Status::NumericalError);
            }
        } else {
            (self.floor_best, self.floor_idle) = (f64::INFINITY, 0);
        }
        let n = self.z.nrows();
        let ratio = if self.sparse.is_some() {
            self.sparse_newton_direction()
        } else {
            // H = D_a + D_b J (rows scaled in place), g = H^T Phi.
            for i in 0..n {
                let b = self.db[i];
                for j in 0..n {
                    self.jac[(i, j)] *= b;
                }
                self.jac[(i, i)] += self.da[i];
            }
            matmul(
                self.g.as_mut().as_mat_mut(),
                Accum::Replace,
                self.jac.transpose(),
                self.phi.as_ref().as_mat(),
                1.0,
                Par::Seq,
            );
            self.newton_direction()
        };
        let mut nonfinite = 0;
        let mut tried = 0;
        if ratio > 0.0 && linalg::all_finite(self.d.as_ref()) {
            let gd = linalg::dot(self.g.as_ref(), self.d.as_ref());
            if gd <= -self.params.rho * linalg::norm(self.d.as_ref()).powf(self.params.p) {
                let (ok, nf) = self.search(problem, false);
                tried += self.params.max_backtracks;
                nonfinite += nf;
                if ok {
                    self.newton_steps += 1;
                    return StepStatus::Continue;
                }
            }
        }
        // Gradient fallback; a vanishing projected gradient is a stationary point of psi.
        let stationary = (0..n).all(|i| {
            let v = (self.z[i] - self.g[i]).clamp(self.lo[i], self.hi[i]);
            v == self.z[i]
        });
        if stationary {
            self.failure = Some(Failure::Stationary { pivot_ratio: ratio, merit: self.merit });
            return StepStatus::Finished(Status::NumericalError);
        }
        let (ok, nf) = self.search(problem, true);
        tried += self.params.max_backtracks;
        nonfinite += nf;
        if ok {
            self.gradient_steps += 1;
            return StepStatus::Continue;
        }
        self.failure = Some(Failure::Stalled {
            merit: self.merit,
            residual: self.natural_residual(),
            floor: self.floor,
            nonfinite,
            trials: tried,
        });
        StepStatus::Finished(Status::NumericalError)
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }

    fn step_size(&self) -> Option<f64> {
        Some(self.t)
    }

    fn status_message(&self) -> Option<String> {
        Some(match self.failure? {
            Failure::NonFiniteF => "F is not finite at the iterate (non-finite value): no Newton step is possible".into(),
            Failure::NonFiniteJacobian => "the Jacobian of F has non-finite entries at the iterate".into(),
            Failure::NoSparseValues => {
                "the operator declared a sparse Jacobian pattern but wrote no values (jacobian_values_into returned false)".into()
            }
            Failure::Stationary { pivot_ratio, merit } => format!(
                "{}the merit gradient vanishes: a stationary point of psi = {merit:.3e} that is not a solution",
                if pivot_ratio == 0.0 { "singular Newton system and " } else { "" }
            ),
            Failure::AtFloor { residual, floor } => format!(
                "stalled at the rounding floor: natural residual {residual:.1e} has not halved in {FLOOR_PATIENCE} iterations below the rounding floor of F here, about {floor:.1e} (eps ||(|J| |z| + |F|)||); a tolerance below that is not resolvable in float64 for this problem"
            ),
            Failure::Stalled { merit, residual, floor, nonfinite, trials } if residual <= FLOOR_FACTOR * floor => format!(
                "line search stalled at the rounding floor: natural residual {residual:.1e}, the rounding floor of F here is about {floor:.1e} (eps ||(|J| |z| + |F|)||); a tolerance below that is not resolvable in float64 for this problem (merit psi = {merit:.3e}; {nonfinite} of {trials} trials gave non-finite F)"
            ),
            Failure::Stalled { merit, residual, floor, nonfinite, trials } => format!(
                "line search stalled: no trial along the Newton or gradient direction decreased the merit psi = {merit:.3e} (natural residual {residual:.1e}, far above the rounding floor {floor:.1e} of F; {nonfinite} of {trials} trials gave non-finite F)"
            ),
        })
    }

    fn info(&self) -> serde_json::Value {
        serde_json::json!({
            "newton_steps": self.newton_steps,
            "gradient_steps": self.gradient_steps,
            "analytic_jacobians": self.analytic_jacobians,
            "finite_difference_jacobians": self.fd_jacobians,
            "line_search_trials": self.trials,
            "linear_solver": if self.sparse.is_some() { "sparse" } else { "dense" },
            "merit": self.merit,
            "rounding_floor": self.floor,
        })
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        Err("Newton: locally quadratic, not a linear rate".into())
    }
}

impl Method for SemismoothNewton {
    const NAME: &'static str = "semismooth-newton";
    const SUMMARY: &'static str =
        "semismooth Newton on the penalized Fischer-Burmeister reformulation (box-constrained VIs / MCPs)";
    type Params = SemismoothNewtonParams;

    fn build(params: Checked<SemismoothNewtonParams>, _ctx: &BuildContext) -> Result<Self> {
        Ok(Self::new(params))
    }
}

vi_core::register_solver!(SemismoothNewton);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assert_send_clone, build_error, checked, run, strongly_monotone};
    use faer::{ColMut, MatMut};
    use vi_core::{BoxSet, FnOperator, NonnegativeOrthant, Operator, Simplex};

    fn newton() -> SemismoothNewton {
        SemismoothNewton::new(checked(SemismoothNewtonParams::default()))
    }

    /// Josephy's NCP as a closure: no Jacobian, so finite differences are used.
    fn josephy_fn() -> Problem {
        let op = FnOperator::new(4, |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| {
            let (x1, x2, x3, x4) = (z[0], z[1], z[2], z[3]);
            o[0] = 3.0 * x1 * x1 + 2.0 * x1 * x2 + 2.0 * x2 * x2 + x3 + 3.0 * x4 - 6.0;
            o[1] = 2.0 * x1 * x1 + x1 + x2 * x2 + 3.0 * x3 + 2.0 * x4 - 2.0;
            o[2] = 3.0 * x1 * x1 + x1 * x2 + 2.0 * x2 * x2 + 2.0 * x3 + 3.0 * x4 - 1.0;
            o[3] = x1 * x1 + 3.0 * x2 * x2 + 2.0 * x3 + 3.0 * x4 - 3.0;
        });
        Problem::new("josephy-fn", Box::new(op), Box::new(NonnegativeOrthant::new(4)), Col::zeros(4)).unwrap()
    }

    #[test]
    fn boxed_solver_is_send_and_clone() {
        assert_send_clone(Box::new(newton()));
    }

    #[test]
    fn rejects_invalid_parameters_and_non_box_sets() {
        let e = build_error("semismooth-newton", serde_json::json!({"step": 0.1}));
        assert!(e.contains("`step`") && e.contains("only \"auto\""), "{e}");
        let e = build_error("semismooth-newton", serde_json::json!({"lambda": 0.0}));
        assert!(e.contains("`lambda`") && e.contains("(0, 1]"), "{e}");
        let e = build_error("semismooth-newton", serde_json::json!({"sigma": 0.7}));
        assert!(e.contains("`sigma`") && e.contains("(0, 0.5)"), "{e}");
        let e = build_error("semismooth-newton", serde_json::json!({"memory": 0}));
        assert!(e.contains("`memory`") && e.contains("[1, 100]"), "{e}");
        let e = build_error("semismooth-newton", serde_json::json!({"max_backtracks": 61}));
        assert!(e.contains("`max_backtracks`"), "{e}");
        let e = build_error("semismooth-newton", serde_json::json!({"p": 2.0}));
        assert!(e.contains("`p`") && e.contains("> 2"), "{e}");
        let e = build_error("semismooth-newton", serde_json::json!({"jacobian": "exact"}));
        assert!(e.contains("`jacobian`") && e.contains("finite-difference"), "{e}");
        let op = FnOperator::new(2, |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| o.copy_from(z));
        let mut p =
            Problem::new("simplex", Box::new(op), Box::new(Simplex::new(2, 1.0).unwrap()), Col::from_fn(2, |_| 0.5))
                .unwrap();
        let e = newton().init(&mut p).unwrap_err().to_string();
        assert!(e.contains("needs a box") && e.contains("simplex(2, r=1)"), "{e}");
        let mut s = SemismoothNewton::new(checked(SemismoothNewtonParams { max_dense_dim: 3, ..Default::default() }));
        let e = s.init(&mut josephy_fn()).unwrap_err().to_string();
        assert!(e.contains("max_dense_dim = 3"), "{e}");
    }

    #[test]
    fn reformulation_matches_hand_values() {
        // phi(3, 4) = 3 + 4 - 5 = 2; derivatives 1 - 3/5, 1 - 4/5.
        let (p, a, b) = fb(3.0, 4.0, 1.0);
        assert!((p - 2.0).abs() < 1e-15 && (a - 0.4).abs() < 1e-15 && (b - 0.2).abs() < 1e-15);
        // Penalized: + (1 - lambda) * 3 * 4.
        assert!((fb(3.0, 4.0, 0.5).0 - (0.5 * 2.0 + 0.5 * 12.0)).abs() < 1e-14);
        // No cancellation: phi(40, 1e-12) = 1e-12 to full relative precision.
        assert!((fb(40.0, 1e-12, 1.0).0 / 1e-12 - 1.0).abs() < 1e-12);
        // The four kinds of bounds vanish exactly at complementary pairs.
        let inf = f64::INFINITY;
        assert_eq!(component(0.3, 0.0, -inf, inf, 1.0).0, 0.0);
        assert_eq!(component(0.0, 2.0, 0.0, inf, 1.0).0, 0.0);
        assert_eq!(component(1.0, -2.0, -inf, 1.0, 1.0).0, 0.0);
        assert_eq!(component(1.0, -2.0, 0.0, 1.0, 1.0).0, 0.0);
        assert_eq!(component(0.5, 0.0, 0.0, 1.0, 1.0).0, 0.0);
        assert!(component(0.5, 1.0, 0.0, 1.0, 1.0).0.abs() > 0.1);
    }

    #[test]
    fn solves_each_kind_of_bound() {
        // F_i = z_i - c_i on [0, 1] x [0, inf) x (-inf, 1] x R: solution clamps c.
        let c = [2.0, -1.0, 3.0, 0.7];
        let op = FnOperator::new(4, move |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| {
            for i in 0..4 {
                o[i] = z[i] - c[i] + 0.1 * z[(i + 1) % 4].sin();
            }
        });
        let inf = f64::INFINITY;
        let set = BoxSet::new(
            vi_core::linalg::col_from_slice(&[0.0, 0.0, -inf, -inf]),
            vi_core::linalg::col_from_slice(&[1.0, inf, 1.0, inf]),
        )
        .unwrap();
        let mut p = Problem::new("bounds", Box::new(op), Box::new(set), Col::zeros(4)).unwrap();
        let r = run(&mut p, &mut newton(), 1e-12, 30);
        assert_eq!(r.status, Status::Converged, "{:?}", r.message);
        assert_eq!((r.z[0], r.z[1], r.z[2]), (1.0, 0.0, 1.0));
        assert!((r.z[3] - 0.7 + 0.1 * r.z[0].sin()).abs() < 1e-12);
    }

    #[test]
    fn finite_differences_work_without_a_jacobian() {
        let mut p = josephy_fn();
        let mut s = newton();
        let r = run(&mut p, &mut s, 1e-10, 50);
        assert_eq!(r.status, Status::Converged, "{:?}", r.message);
        let e = [1.5f64.sqrt(), 0.0, 0.0, 0.5];
        for i in 0..4 {
            assert!((r.z[i] - e[i]).abs() < 1e-9, "{:?}", r.z);
        }
        let info = s.info();
        assert_eq!(info["analytic_jacobians"], 0);
        let fd = info["finite_difference_jacobians"].as_u64().unwrap();
        assert_eq!(fd, r.iterations);
        // 1 at init, 4 per Jacobian, 1 per trial.
        assert_eq!(r.oracle_calls, 1 + 4 * fd + info["line_search_trials"].as_u64().unwrap());
    }

    #[test]
    fn analytic_jacobian_is_one_call_and_solves_an_affine_problem_in_one_step() {
        let mut p = strongly_monotone(6, 0.5, 1.0, 3);
        let mut s = newton();
        let r = run(&mut p, &mut s, 1e-10, 10);
        assert_eq!(r.status, Status::Converged);
        assert_eq!(r.iterations, 1);
        // F(z0) at init, F with J at z0, one trial.
        assert_eq!(r.oracle_calls, 3);
    }

    #[test]
    fn singular_newton_system_at_a_stationary_point_ends_with_a_message() {
        // F(x) = x^2 + 1 has no zero; at x = 0, J = 0 and the merit gradient vanishes.
        let op = FnOperator::new(1, |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| o[0] = z[0] * z[0] + 1.0);
        let mut p = Problem::unconstrained("no-root", Box::new(op), Col::zeros(1)).unwrap();
        let r = run(&mut p, &mut newton(), 1e-10, 10);
        assert_eq!(r.status, Status::NumericalError);
        let m = r.message.unwrap();
        assert!(m.contains("singular Newton system") && m.contains("stationary point"), "{m}");
    }

    /// `F(x) = x - 1` on R with a Jacobian of the wrong sign.
    #[derive(Clone)]
    struct WrongJacobian;
    impl Operator for WrongJacobian {
        fn dim(&self) -> usize {
            1
        }
        fn eval(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
            out[0] = z[0] - 1.0;
        }
        fn jacobian_into(&mut self, _z: ColRef<'_, f64>, mut out: MatMut<'_, f64>) -> bool {
            out[(0, 0)] = -1.0;
            true
        }
    }

    #[test]
    fn stalled_line_search_ends_with_a_message() {
        let mut p = Problem::unconstrained("wrong-j", Box::new(WrongJacobian), Col::zeros(1)).unwrap();
        let r = run(&mut p, &mut newton(), 1e-10, 10);
        assert_eq!(r.status, Status::NumericalError);
        let m = r.message.unwrap();
        assert!(m.contains("line search stalled") && m.contains("0 of 60 trials gave non-finite F"), "{m}");
    }

    #[test]
    fn non_finite_values_end_with_a_message() {
        // F(x) = x - 2, undefined (NaN) beyond x = 1: the search reaches x = 1, then every trial
        // beyond it is non-finite and rejected.
        let op = FnOperator::new(1, |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| {
            o[0] = if z[0] > 1.0 { f64::NAN } else { z[0] - 2.0 }
        });
        let mut p = Problem::unconstrained("nan-beyond-1", Box::new(op), Col::zeros(1)).unwrap();
        let r = run(&mut p, &mut newton(), 1e-10, 10);
        assert_eq!(r.status, Status::NumericalError);
        let m = r.message.unwrap();
        assert!(m.contains("line search stalled") && m.contains("trials gave non-finite F"), "{m}");
        assert!(!m.contains(" 0 of "), "{m}");
        assert!(r.z[0] <= 1.0 && r.z[0] > 0.99, "{:?}", r.z);
        // NaN at the iterate itself (the runner's residual check is bypassed here).
        let op = FnOperator::new(1, |_z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| o[0] = f64::NAN);
        let mut p = Problem::unconstrained("nan", Box::new(op), Col::zeros(1)).unwrap();
        let mut s = newton();
        s.init(&mut p).unwrap();
        assert_eq!(s.step(&mut p), StepStatus::Finished(Status::NumericalError));
        assert!(s.status_message().unwrap().contains("non-finite value"));
    }

    #[test]
    fn quadratic_local_convergence() {
        // F(z) = z + 0.5 z^3 - c (componentwise, coupled) on the orthant.
        let op = FnOperator::new(3, |z: ColRef<'_, f64>, mut o: ColMut<'_, f64>| {
            o[0] = z[0] + 0.5 * z[0].powi(3) + 0.2 * z[1] - 2.0;
            o[1] = z[1] + 0.5 * z[1].powi(3) - 0.2 * z[0] + 1.0;
            o[2] = z[2] + 0.5 * z[2].powi(3) + 0.1 * z[0] * z[1] - 1.0;
        });
        let mut p = Problem::new("cubic", Box::new(op), Box::new(NonnegativeOrthant::new(3)), Col::from_fn(3, |_| 3.0))
            .unwrap();
        let runner =
            vi_core::Runner::new(vi_core::RunConfig { tol: 1e-13, trace_every: 1, ..Default::default() }).unwrap();
        let r = runner.run(&mut p, &mut newton()).unwrap();
        assert_eq!(r.status, Status::Converged);
        let res: Vec<f64> = r.trace.iter().map(|t| t.residual).collect();
        let tail: Vec<f64> = res.iter().copied().filter(|v| *v < 1e-1 && *v > 1e-15).collect();
        assert!(tail.len() >= 3, "{res:?}");
        for w in tail.windows(2) {
            assert!(w[1] <= 10.0 * w[0] * w[0], "not quadratic: {res:?}");
        }
    }
}
