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

mod linear;
mod reformulation;

use faer::{Col, ColRef};
use serde::{Deserialize, Serialize};
use vi_core::{
    linalg, BuildContext, Checked, Error, LinearModel, Method, Problem, Result, Solver, Status, StepRule, StepStatus,
};

use linear::NewtonSystem;

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

/// How a phase of an iteration ends: go on, or end the run with this failure.
type Phase = std::result::Result<(), Failure>;

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
    /// The Jacobian and the LU workspace of the Newton system.
    system: NewtonSystem,
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
            system: NewtonSystem::empty(),
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

    /// The box bounds of the problem's set into `lo`, `hi`; an error for any other set.
    fn box_bounds(&mut self, problem: &Problem) -> Result<()> {
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
        Ok(())
    }

    /// The projected start, the vectors of an iteration, `F(z_0)` (1 call) and its merit, and
    /// the line-search memory and counters reset.
    fn start(&mut self, problem: &mut Problem) {
        let n = problem.dim();
        self.z = problem.start().to_owned();
        problem.project(self.z.as_mut());
        for v in [&mut self.f, &mut self.phi, &mut self.da, &mut self.db, &mut self.g, &mut self.d] {
            *v = Col::zeros(n);
        }
        self.zt = Col::zeros(n);
        self.ft = Col::zeros(n);
        self.phit = Col::zeros(n);
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
    }

    /// One iteration, phase by phase: the linearization at `z_k`, the rounding-floor watch, the
    /// Newton direction and its line search, else the gradient fallback.
    fn iteration(&mut self, problem: &mut Problem) -> Phase {
        if !self.merit.is_finite() {
            return Err(Failure::NonFiniteF);
        }
        if self.merit == 0.0 {
            return Ok(());
        }
        self.linearize(problem)?;
        self.watch_floor()?;
        let ratio = self.system.newton_direction(
            self.da.as_ref(),
            self.db.as_ref(),
            self.phi.as_ref(),
            self.g.as_mut(),
            self.d.as_mut(),
            self.zt.as_mut(),
        );
        let (mut tried, mut nonfinite) = (0, 0);
        if self.is_descent(ratio) {
            let (ok, nf) = self.search(problem, false);
            tried += self.params.max_backtracks;
            nonfinite += nf;
            if ok {
                self.newton_steps += 1;
                return Ok(());
            }
        }
        self.gradient_fallback(problem, ratio, tried, nonfinite)
    }

    /// The merit: `J(z_k)`, `Phi(z_k)` with `D_a`, `D_b`, and the rounding floor; fails on
    /// non-finite values.
    fn linearize(&mut self, problem: &mut Problem) -> Phase {
        if !self.jacobian(problem) {
            return Err(Failure::NoSparseValues);
        }
        self.merit = self.reformulate(false, true);
        if !self.merit.is_finite() {
            return Err(Failure::NonFiniteF);
        }
        if !self.system.jacobian_finite() {
            return Err(Failure::NonFiniteJacobian);
        }
        self.floor = self.system.rounding_floor(self.z.as_ref(), self.f.as_ref(), self.ft.as_mut());
        Ok(())
    }

    /// At the floor, progress is rounding noise: fails once it no longer halves the residual.
    fn watch_floor(&mut self) -> Phase {
        let residual = self.natural_residual();
        if residual <= self.floor {
            if residual <= 0.5 * self.floor_best {
                (self.floor_best, self.floor_idle) = (residual, 0);
            } else {
                self.floor_idle += 1;
            }
            if self.floor_idle >= FLOOR_PATIENCE {
                return Err(Failure::AtFloor { residual, floor: self.floor });
            }
        } else {
            (self.floor_best, self.floor_idle) = (f64::INFINITY, 0);
        }
        Ok(())
    }

    /// Whether the Newton direction is kept: solved (`ratio > 0`), finite and
    /// `g^T d <= -rho ||d||^p`.
    fn is_descent(&self, ratio: f64) -> bool {
        ratio > 0.0
            && linalg::all_finite(self.d.as_ref())
            && linalg::dot(self.g.as_ref(), self.d.as_ref())
                <= -self.params.rho * linalg::norm(self.d.as_ref()).powf(self.params.p)
    }

    /// The gradient direction after the Newton direction found no step (`tried` trials so far,
    /// `nonfinite` of them non-finite); a vanishing projected gradient is a stationary point of
    /// `psi`.
    fn gradient_fallback(&mut self, problem: &mut Problem, ratio: f64, tried: u32, nonfinite: u32) -> Phase {
        let stationary = (0..self.z.nrows()).all(|i| {
            let v = (self.z[i] - self.g[i]).clamp(self.lo[i], self.hi[i]);
            v == self.z[i]
        });
        if stationary {
            return Err(Failure::Stationary { pivot_ratio: ratio, merit: self.merit });
        }
        let (ok, nf) = self.search(problem, true);
        if ok {
            self.gradient_steps += 1;
            return Ok(());
        }
        Err(Failure::Stalled {
            merit: self.merit,
            residual: self.natural_residual(),
            floor: self.floor,
            nonfinite: nonfinite + nf,
            trials: tried + self.params.max_backtracks,
        })
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
}

impl Solver for SemismoothNewton {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        self.box_bounds(problem)?;
        self.system = NewtonSystem::for_problem(&self.params, problem)?;
        self.start(problem);
        Ok(())
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        match self.iteration(problem) {
            Ok(()) => StepStatus::Continue,
            Err(failure) => {
                self.failure = Some(failure);
                StepStatus::Finished(Status::NumericalError)
            }
        }
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
            "linear_solver": if self.system.is_sparse() { "sparse" } else { "dense" },
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
mod tests;
