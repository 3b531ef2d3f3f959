//! The Newton system `H d = -Phi`, `H = D_a + D_b J`: the Jacobian `J` (a dense matrix, or values
//! on the operator's sparse pattern), the LU workspace sized once at `init`, and the solve.

use std::mem::MaybeUninit;

use faer::dyn_stack::{MemStack, StackReq};
use faer::linalg::lu::partial_pivoting::{factor, solve};
use faer::linalg::matmul::matmul;
use faer::sparse::linalg::lu::{factorize_symbolic_lu, LuSymbolicParams, NumericLu, SymbolicLu};
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};
use faer::{Accum, ColMut, ColRef, Conj, Mat, Par};
use vi_core::{linalg, Error, Problem, Result};

use super::{JacobianSource, LinearSolver, SemismoothNewton, SemismoothNewtonParams, SparseFactorization};

/// The Newton system's storage: the dense Jacobian with its LU permutations, or the sparse
/// system; and faer's scratch for the factorization and the solve.
#[derive(Clone)]
pub(super) struct NewtonSystem {
    jac: Mat<f64>,
    /// The sparse path (`None`: dense).
    sparse: Option<SparseSystem>,
    perm: Vec<usize>,
    perm_inv: Vec<usize>,
    /// faer scratch (plain bytes: `MemBuffer` is not `Clone`).
    stack: Vec<MaybeUninit<u8>>,
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

impl NewtonSystem {
    /// No storage (before `init`).
    pub(super) fn empty() -> Self {
        Self { jac: Mat::zeros(0, 0), sparse: None, perm: Vec::new(), perm_inv: Vec::new(), stack: Vec::new() }
    }

    /// The dense or sparse system for `problem`, as `linear_solver` chooses, with its scratch.
    pub(super) fn for_problem(params: &SemismoothNewtonParams, problem: &Problem) -> Result<Self> {
        let n = problem.dim();
        let analytic = params.jacobian == JacobianSource::Auto;
        let pattern = if analytic { problem.operator().jacobian_pattern() } else { None };
        let use_sparse = match params.linear_solver {
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
            LinearSolver::Auto => pattern.is_some() && (n >= params.sparse_min_dim || n > params.max_dense_dim),
        };
        if !use_sparse && n > params.max_dense_dim {
            return Err(Error::Config(format!(
                "semismooth-newton: dimension {n} exceeds max_dense_dim = {} (the dense Jacobian needs {:.1} MB); raise max_dense_dim{}",
                params.max_dense_dim,
                8.0 * (n as f64).powi(2) / 1e6,
                if pattern.is_some() { " or use linear_solver = \"sparse\"" } else { "" }
            )));
        }
        match pattern.filter(|_| use_sparse) {
            Some(pattern) => Self::sparse(pattern, n, params.sparse_factorization),
            None => Ok(Self::dense(n)),
        }
    }

    /// The sparse system on `pattern`: COLAMD ordering and symbolic LU, once.
    fn sparse(pattern: SymbolicSparseColMat<usize>, n: usize, factorization: SparseFactorization) -> Result<Self> {
        let diag = vi_core::operator::check_jacobian_pattern(pattern.as_ref(), n)?;
        let symbolic = factorize_symbolic_lu(
            pattern.as_ref(),
            LuSymbolicParams {
                supernodal_flop_ratio_threshold: match factorization {
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
        let sparse = SparseSystem { pattern, diag, values, symbolic, numeric: NumericLu::new() };
        Ok(Self { sparse: Some(sparse), ..Self::empty() }.with_scratch(req))
    }

    /// The dense system: an `n x n` matrix and the LU permutations.
    fn dense(n: usize) -> Self {
        let req = factor::lu_in_place_scratch::<usize, f64>(n, n, Par::Seq, Default::default())
            .or(solve::solve_in_place_scratch::<usize, f64>(n, 1, Par::Seq));
        Self { jac: Mat::zeros(n, n), sparse: None, perm: vec![0; n], perm_inv: vec![0; n], stack: Vec::new() }
            .with_scratch(req)
    }

    fn with_scratch(mut self, req: StackReq) -> Self {
        self.stack = vec![MaybeUninit::new(0u8); req.unaligned_bytes_required() + 256];
        self
    }

    pub(super) fn is_sparse(&self) -> bool {
        self.sparse.is_some()
    }

    /// Whether every entry of the Jacobian is finite.
    pub(super) fn jacobian_finite(&self) -> bool {
        match &self.sparse {
            Some(sp) => sp.values.iter().all(|v| v.is_finite()),
            None => self.jac.is_all_finite(),
        }
    }

    /// `eps || |J| |z| + |F| ||`: the size of the rounding error of `F` (and so of the natural
    /// residual, `P` being nonexpansive) at `z`, from the unscaled Jacobian. Uses `scratch`.
    pub(super) fn rounding_floor(&self, z: ColRef<'_, f64>, f: ColRef<'_, f64>, mut scratch: ColMut<'_, f64>) -> f64 {
        let n = z.nrows();
        for i in 0..n {
            scratch[i] = f[i].abs();
        }
        match &self.sparse {
            Some(sp) => {
                let (ptr, rows) = (sp.pattern.col_ptr(), sp.pattern.row_idx());
                for j in 0..n {
                    let zj = z[j].abs();
                    for k in ptr[j]..ptr[j + 1] {
                        scratch[rows[k]] += sp.values[k].abs() * zj;
                    }
                }
            }
            None => {
                for j in 0..n {
                    let zj = z[j].abs();
                    for i in 0..n {
                        scratch[i] += self.jac[(i, j)].abs() * zj;
                    }
                }
            }
        }
        f64::EPSILON * linalg::norm(scratch.as_ref())
    }

    /// Turns `J` into `H = D_a + D_b J` in place, sets `g = H^T Phi` and solves `H d = -Phi`.
    /// Returns a positive number (dense: the pivot ratio `min |u_ii| / max |u_ii|`) on success,
    /// 0 when the system is singular. Uses `scratch` on the sparse path.
    pub(super) fn newton_direction(
        &mut self,
        da: ColRef<'_, f64>,
        db: ColRef<'_, f64>,
        phi: ColRef<'_, f64>,
        g: ColMut<'_, f64>,
        d: ColMut<'_, f64>,
        scratch: ColMut<'_, f64>,
    ) -> f64 {
        if self.sparse.is_some() {
            return self.sparse_direction(da, db, phi, g, d, scratch);
        }
        let n = phi.nrows();
        // H = D_a + D_b J (rows scaled in place), g = H^T Phi.
        for i in 0..n {
            let b = db[i];
            for j in 0..n {
                self.jac[(i, j)] *= b;
            }
            self.jac[(i, i)] += da[i];
        }
        matmul(g.as_mat_mut(), Accum::Replace, self.jac.transpose(), phi.as_mat(), 1.0, Par::Seq);
        self.dense_solve(phi, d)
    }

    /// Sparse path: `H = D_a + D_b J` in place of `J`'s values, `g = H^T Phi`, then `H d = -Phi`
    /// by the numeric sparse LU on the symbolic analysis of `init`. Returns 1 on success and 0
    /// when the system is singular: no pivot found (`LuError`), or a non-finite solution, or a
    /// relative residual `||H d + Phi|| > sqrt(eps) ||Phi||` (a zero pivot).
    fn sparse_direction(
        &mut self,
        da: ColRef<'_, f64>,
        db: ColRef<'_, f64>,
        phi: ColRef<'_, f64>,
        mut g: ColMut<'_, f64>,
        mut d: ColMut<'_, f64>,
        mut scratch: ColMut<'_, f64>,
    ) -> f64 {
        let sp = self.sparse.as_mut().expect("sparse path");
        let n = phi.nrows();
        let ptr = sp.pattern.col_ptr();
        let rows = sp.pattern.row_idx();
        for j in 0..n {
            let mut gj = 0.0;
            for k in ptr[j]..ptr[j + 1] {
                sp.values[k] *= db[rows[k]];
                if k == sp.diag[j] {
                    sp.values[k] += da[j];
                }
                gj += sp.values[k] * phi[rows[k]];
            }
            g[j] = gj;
        }
        let stack = MemStack::new(&mut self.stack);
        let h = SparseColMatRef::new(sp.pattern.as_ref(), &sp.values);
        let Ok(lu) = sp.symbolic.factorize_numeric_lu(&mut sp.numeric, h, Par::Seq, stack, Default::default()) else {
            return 0.0;
        };
        for i in 0..n {
            d[i] = -phi[i];
        }
        lu.solve_in_place_with_conj(Conj::No, d.as_mut().as_mat_mut(), Par::Seq, stack);
        if !linalg::all_finite(d.as_ref()) {
            return 0.0;
        }
        // ||H d + Phi||^2, accumulated column by column into the scratch.
        scratch.copy_from(phi);
        for j in 0..n {
            for k in ptr[j]..ptr[j + 1] {
                scratch[rows[k]] += sp.values[k] * d[j];
            }
        }
        if linalg::norm(scratch.as_ref()) > f64::EPSILON.sqrt() * linalg::norm(phi) {
            return 0.0;
        }
        1.0
    }

    /// Solves `H d = -Phi` by LU in place (destroys `H`). Returns the pivot ratio
    /// `min |u_ii| / max |u_ii|` (0 for a singular matrix).
    fn dense_solve(&mut self, phi: ColRef<'_, f64>, mut d: ColMut<'_, f64>) -> f64 {
        let n = phi.nrows();
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
            d[i] = -phi[i];
        }
        solve::solve_in_place(self.jac.as_ref(), self.jac.as_ref(), perm, d.as_mat_mut(), Par::Seq, stack);
        ratio
    }
}

impl SemismoothNewton {
    /// Forms `J(z)`: analytic (1 counted call, re-evaluating `F(z)`) or forward differences (n
    /// counted calls; one more for each column that is not finite, differenced the other way).
    /// Adds an active Tikhonov shift to the analytic Jacobian. `false`: the operator declared a
    /// sparse pattern but wrote no values.
    pub(super) fn jacobian(&mut self, problem: &mut Problem) -> bool {
        let sys = &mut self.system;
        if let Some(sp) = &mut sys.sparse {
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
            self.params.jacobian == JacobianSource::Auto && problem.jacobian_into(self.z.as_ref(), sys.jac.as_mut());
        if analytic {
            self.analytic_jacobians += 1;
            problem.eval(self.z.as_ref(), self.f.as_mut());
            if let Some(s) = problem.tikhonov() {
                let w = s.weights();
                for i in 0..self.z.nrows() {
                    sys.jac[(i, i)] += w[i];
                }
            }
            return true;
        }
        self.finite_difference_jacobian(problem);
        true
    }

    /// Forward differences of `F` at `z` into the dense Jacobian, stepping inside the box.
    fn finite_difference_jacobian(&mut self, problem: &mut Problem) {
        self.fd_jacobians += 1;
        let jac = &mut self.system.jac;
        let n = self.z.nrows();
        self.zt.copy_from(&self.z);
        for j in 0..n {
            let mut h = f64::EPSILON.sqrt() * self.z[j].abs().max(1.0);
            if self.z[j] + h > self.hi[j] {
                h = -h;
            }
            self.zt[j] = self.z[j] + h;
            problem.eval(self.zt.as_ref(), jac.col_mut(j));
            if !linalg::all_finite(jac.col(j)) && self.z[j] - h >= self.lo[j] {
                // F undefined on that side (e.g. beyond a domain edge): difference the other way.
                h = -h;
                self.zt[j] = self.z[j] + h;
                problem.eval(self.zt.as_ref(), jac.col_mut(j));
            }
            self.zt[j] = self.z[j];
            for i in 0..n {
                jac[(i, j)] = (jac[(i, j)] - self.f[i]) / h;
            }
        }
    }
}
