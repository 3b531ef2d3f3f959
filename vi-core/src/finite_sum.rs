//! Finite-sum operators `F = (1/N) sum_i F_i` and the seeded component sampler.
//!
//! A [`FiniteSum`] evaluates one component (or accumulates a weighted one) into a caller-owned
//! output. An [`Operator`] exposes its finite-sum structure through
//! [`Operator::finite_sum`] / [`Operator::finite_sum_mut`]; solvers reach it through
//! [`Problem::eval_components`](crate::Problem::eval_components), which counts it.
//!
//! ## Accounting
//! `component_calls` counts component evaluations; `oracle_calls` stays in full-operator
//! equivalents: full evaluations plus `ceil(component_calls / N)` (N component evaluations are
//! one call; a partial pass counts as one), so stochastic and deterministic methods share one
//! axis and one budget.
//!
//! ## Sampling
//! [`ComponentSampler`] draws a [`MiniBatch`] of `b` indices with replacement, uniformly
//! (`q_i = 1/N`) or proportionally to the component Lipschitz constants (`q_i = L_i / sum L_j`,
//! Walker's alias method from `rand_distr`), with importance weights `1 / (b N q_i)` so that
//! `sum_j w_j F_{i_j}(z)` is an unbiased estimate of `F(z)`. The mean-square Lipschitz constant
//! of one draw, `L_Q^2 = sum_i L_i^2 / (N^2 q_i)` (`E ||F_xi(u) - F_xi(v)||^2 <= L_Q^2 ||u - v||^2`),
//! is [`ComponentSampler::mean_square_lipschitz`]: `sqrt(mean L_i^2)` uniform, `mean L_i`
//! Lipschitz-proportional. Drawing never allocates.
//!
//! [`AffineSum`] is the dense affine finite sum `F_i(z) = M_i z + q_i` used by the
//! `finite-sum-*` problems.

use faer::linalg::matmul::matmul;
use faer::prelude::ReborrowMut;
use faer::{Accum, Col, ColMut, ColRef, Mat, MatMut, Par};
use rand_distr::weighted::WeightedAliasIndex;
use rand_distr::Distribution;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::operator::{AffineOperator, Monotonicity, Operator};
use crate::rng::{self, Rng};

/// The components `F_i` of `F = (1/N) sum_i F_i`.
pub trait FiniteSum {
    /// The number of components `N`.
    fn components(&self) -> usize;

    /// `out += weight * F_i(z)`. Must not allocate.
    fn add_component(&mut self, i: usize, weight: f64, z: ColRef<'_, f64>, out: ColMut<'_, f64>);

    /// Writes `F_i(z)` into `out`.
    fn eval_component(&mut self, i: usize, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        out.fill(0.0);
        self.add_component(i, 1.0, z, out);
    }

    /// The Lipschitz constants `L_i` of the components, if known.
    fn component_lipschitz(&self) -> Option<&[f64]> {
        None
    }
}

/// How components are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampling {
    /// `q_i = 1/N`.
    #[default]
    Uniform,
    /// `q_i = L_i / sum_j L_j` (needs every `L_i > 0`).
    Lipschitz,
}

/// Indices and importance weights of one minibatch, allocated once (see [`ComponentSampler`]).
#[derive(Clone, Debug)]
pub struct MiniBatch {
    /// Component indices, drawn with replacement.
    pub indices: Vec<usize>,
    /// `1 / (b N q_i)` per index: `sum_j weights[j] F_{indices[j]}` is unbiased for `F`.
    pub weights: Vec<f64>,
}

impl MiniBatch {
    /// A batch of `b` draws (filled by [`ComponentSampler::fill`]).
    pub fn new(b: usize) -> Self {
        Self { indices: vec![0; b], weights: vec![0.0; b] }
    }
    /// The batch size `b`.
    pub fn len(&self) -> usize {
        self.indices.len()
    }
    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

/// A seeded sampler of component indices (see the module documentation).
#[derive(Clone, Debug)]
pub struct ComponentSampler {
    n: usize,
    rng: Rng,
    alias: Option<WeightedAliasIndex<f64>>,
    /// `1 / (N q_i)` per component (all ones for uniform sampling).
    scale: Vec<f64>,
    mean_square_lipschitz: Option<f64>,
}

impl ComponentSampler {
    /// A sampler over `n` components seeded by `(seed, stream)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`sampling`) for `n = 0`, or for Lipschitz sampling without
    /// finite positive constants for every component.
    pub fn new(
        n: usize,
        mode: Sampling,
        lipschitz: Option<&[f64]>,
        seed: u64,
        stream: u64,
        owner: &str,
    ) -> Result<Self> {
        if n == 0 {
            return Err(Error::param(owner, "sampling", "the problem has no components (N = 0)"));
        }
        let known = lipschitz.filter(|l| l.len() == n && l.iter().all(|v| v.is_finite() && *v >= 0.0));
        let (alias, scale) = match mode {
            Sampling::Uniform => (None, vec![1.0; n]),
            Sampling::Lipschitz => {
                let l = known.filter(|l| l.iter().all(|v| *v > 0.0)).ok_or_else(|| {
                    Error::param(
                        owner,
                        "sampling",
                        "\"lipschitz\" needs a finite Lipschitz constant > 0 for every component; this problem \
                         does not declare them, use \"uniform\"",
                    )
                })?;
                let total: f64 = l.iter().sum();
                let alias = WeightedAliasIndex::new(l.to_vec())
                    .map_err(|e| Error::param(owner, "sampling", format!("alias table: {e}")))?;
                (Some(alias), l.iter().map(|li| total / (n as f64 * li)).collect())
            }
        };
        // L_Q^2 = sum_i q_i (L_i / (N q_i))^2 = (1/N) sum_i L_i^2 * scale_i.
        let mean_square_lipschitz = known.map(|l| {
            let s: f64 = l.iter().zip(&scale).map(|(li, si)| li * li * si).sum();
            (s / n as f64).sqrt()
        });
        Ok(Self { n, rng: rng::seeded(seed, stream), alias, scale, mean_square_lipschitz })
    }

    /// The number of components.
    pub fn components(&self) -> usize {
        self.n
    }

    /// `L_Q`: the Lipschitz constant in mean square of one weighted draw, when the component
    /// constants are known.
    pub fn mean_square_lipschitz(&self) -> Option<f64> {
        self.mean_square_lipschitz
    }

    /// One index and its importance weight `1 / (N q_i)`.
    #[inline]
    pub fn draw(&mut self) -> (usize, f64) {
        let i = match &self.alias {
            Some(a) => a.sample(&mut self.rng),
            None => {
                use rand::Rng as _;
                self.rng.random_range(0..self.n)
            }
        };
        (i, self.scale[i])
    }

    /// Fills `batch` with fresh draws and weights `1 / (b N q_i)`.
    pub fn fill(&mut self, batch: &mut MiniBatch) {
        let b = batch.len() as f64;
        for j in 0..batch.len() {
            let (i, w) = self.draw();
            batch.indices[j] = i;
            batch.weights[j] = w / b;
        }
    }
}

/// `F(z) = (1/N) sum_i (M_i z + q_i)` with dense `M_i`.
///
/// The mean operator (its `L`, `mu`, monotonicity, Jacobian) is an [`AffineOperator`] built once;
/// a full evaluation costs one `n x n` product, a component one `n x n` product. The component
/// constants `L_i = sigma_max(M_i)` come from dense SVDs at construction.
#[derive(Clone, Debug)]
pub struct AffineSum {
    m: Vec<Mat<f64>>,
    q: Vec<Col<f64>>,
    mean: AffineOperator,
    lipschitz: Vec<f64>,
}

impl AffineSum {
    /// Builds the sum from `N >= 1` pairs `(M_i, q_i)`.
    ///
    /// # Errors
    /// [`Error::Config`] for no component, [`Error::Dimension`] for shapes that disagree, and
    /// the errors of [`AffineOperator::new`].
    pub fn new(m: Vec<Mat<f64>>, q: Vec<Col<f64>>) -> Result<Self> {
        if m.is_empty() {
            return Err(Error::Config("affine finite sum: no components".into()));
        }
        if q.len() != m.len() {
            return Err(Error::dim("affine finite sum: offsets (one per matrix)", m.len(), q.len()));
        }
        let n = m[0].nrows();
        let nf = m.len() as f64;
        let mut mean_m = Mat::<f64>::zeros(n, n);
        let mut mean_q = Col::<f64>::zeros(n);
        let mut lipschitz = Vec::with_capacity(m.len());
        for (i, (mi, qi)) in m.iter().zip(&q).enumerate() {
            if mi.nrows() != n || mi.ncols() != n || qi.nrows() != n {
                return Err(Error::dim(format!("affine finite sum: component {i}"), n, mi.nrows().max(qi.nrows())));
            }
            let (l, _) = crate::operator::spectral_constants(mi.as_ref())?;
            lipschitz.push(l);
            faer::zip!(mean_m.as_mut(), mi.as_ref()).for_each(|faer::unzip!(a, b)| *a += *b / nf);
            crate::linalg::axpy(1.0 / nf, qi.as_ref(), mean_q.as_mut());
        }
        let mean = AffineOperator::new(mean_m, mean_q)?;
        Ok(Self { m, q, mean, lipschitz })
    }

    /// The mean operator `(1/N) sum_i (M_i z + q_i)`.
    pub fn mean(&self) -> &AffineOperator {
        &self.mean
    }
}

impl FiniteSum for AffineSum {
    fn components(&self) -> usize {
        self.m.len()
    }

    fn add_component(&mut self, i: usize, weight: f64, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        matmul(out.rb_mut().as_mat_mut(), Accum::Add, self.m[i].as_ref(), z.as_mat(), weight, Par::Seq);
        crate::linalg::axpy(weight, self.q[i].as_ref(), out);
    }

    fn component_lipschitz(&self) -> Option<&[f64]> {
        Some(&self.lipschitz)
    }
}

impl Operator for AffineSum {
    fn dim(&self) -> usize {
        self.mean.dim()
    }
    fn eval(&mut self, z: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.mean.eval(z, out)
    }
    fn lipschitz(&self) -> Option<f64> {
        self.mean.lipschitz()
    }
    fn strong_monotonicity(&self) -> Option<f64> {
        self.mean.strong_monotonicity()
    }
    fn monotonicity(&self) -> Monotonicity {
        self.mean.monotonicity()
    }
    fn jvp(&mut self, z: ColRef<'_, f64>, v: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        self.mean.jvp(z, v, out)
    }
    fn jacobian(&mut self, z: ColRef<'_, f64>) -> Option<Mat<f64>> {
        self.mean.jacobian(z)
    }
    fn jacobian_into(&mut self, z: ColRef<'_, f64>, out: MatMut<'_, f64>) -> bool {
        self.mean.jacobian_into(z, out)
    }
    fn finite_sum(&self) -> Option<&dyn FiniteSum> {
        Some(self)
    }
    fn finite_sum_mut(&mut self) -> Option<&mut dyn FiniteSum> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::mat;

    fn two_components() -> AffineSum {
        let m = vec![mat![[2.0, 0.0], [0.0, 2.0]], mat![[0.0, 1.0], [-1.0, 0.0]]];
        let q = vec![crate::linalg::col_from_slice(&[1.0, 0.0]), crate::linalg::col_from_slice(&[-1.0, 2.0])];
        AffineSum::new(m, q).unwrap()
    }

    #[test]
    fn mean_is_the_average_of_the_components() {
        let mut op = two_components();
        let z = crate::linalg::col_from_slice(&[1.0, -1.0]);
        let (mut f, mut f0, mut f1) = (Col::zeros(2), Col::zeros(2), Col::zeros(2));
        op.eval(z.as_ref(), f.as_mut());
        op.eval_component(0, z.as_ref(), f0.as_mut());
        op.eval_component(1, z.as_ref(), f1.as_mut());
        // F_0 = (2 + 1, -2) = (3, -2); F_1 = (-1 - 1, -1 + 2) = (-2, 1); mean (0.5, -0.5).
        assert_eq!((f0[0], f0[1], f1[0], f1[1]), (3.0, -2.0, -2.0, 1.0));
        assert_eq!((f[0], f[1]), (0.5, -0.5));
        assert_eq!(op.component_lipschitz().unwrap(), &[2.0, 1.0]);
        // Mean matrix [[1, 0.5], [-0.5, 1]]: mu = 1, L = sqrt(1.25).
        assert!((op.strong_monotonicity().unwrap() - 1.0).abs() < 1e-12);
        assert!((op.lipschitz().unwrap() - 1.25f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn lipschitz_sampling_is_proportional_and_unbiased() {
        let l = [1.0, 3.0];
        let mut s = ComponentSampler::new(2, Sampling::Lipschitz, Some(&l), 5, 0, "t").unwrap();
        let mut counts = [0usize; 2];
        let mut weight_sum = [0.0; 2];
        let draws = 40_000;
        for _ in 0..draws {
            let (i, w) = s.draw();
            counts[i] += 1;
            weight_sum[i] += w;
        }
        // q = (1/4, 3/4): frequency within 4 standard deviations (sd ~ 0.0022).
        let q1 = counts[1] as f64 / draws as f64;
        assert!((q1 - 0.75).abs() < 0.01, "{q1}");
        // E[w 1{i}] = q_i / (N q_i) = 1/N for every i: unbiased.
        for ws in weight_sum {
            assert!((ws / draws as f64 - 0.5).abs() < 0.01, "{ws}");
        }
        // L_Q = mean L_i = 2 for proportional sampling, sqrt(mean L_i^2) = sqrt(5) uniform.
        assert!((s.mean_square_lipschitz().unwrap() - 2.0).abs() < 1e-12);
        let u = ComponentSampler::new(2, Sampling::Uniform, Some(&l), 5, 0, "t").unwrap();
        assert!((u.mean_square_lipschitz().unwrap() - 5f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn same_seed_same_batches_and_bad_input_is_named() {
        let mut a = ComponentSampler::new(10, Sampling::Uniform, None, 3, 1, "t").unwrap();
        let mut b = a.clone();
        let (mut ba, mut bb) = (MiniBatch::new(4), MiniBatch::new(4));
        a.fill(&mut ba);
        b.fill(&mut bb);
        assert_eq!(ba.indices, bb.indices);
        assert!(ba.weights.iter().all(|w| *w == 0.25));
        let e = ComponentSampler::new(2, Sampling::Lipschitz, None, 0, 0, "solver x").unwrap_err().to_string();
        assert!(e.contains("`sampling`") && e.contains("uniform"), "{e}");
        let e = ComponentSampler::new(2, Sampling::Lipschitz, Some(&[1.0, 0.0]), 0, 0, "s").unwrap_err();
        assert!(e.to_string().contains("> 0"), "{e}");
        assert!(ComponentSampler::new(0, Sampling::Uniform, None, 0, 0, "s").is_err());
    }

    #[test]
    fn component_calls_count_as_full_passes_rounded_up() {
        let mut p = crate::Problem::unconstrained("fs", Box::new(two_components()), Col::zeros(2)).unwrap();
        assert_eq!(p.components(), Some(2));
        let z = crate::linalg::col_from_slice(&[1.0, -1.0]);
        let mut out = Col::zeros(2);
        let batch = MiniBatch { indices: vec![0, 1], weights: vec![0.5, 0.5] };
        p.eval_components(&batch, z.as_ref(), out.as_mut());
        assert_eq!((out[0], out[1]), (0.5, -0.5));
        let one = MiniBatch { indices: vec![1], weights: vec![1.0] };
        p.eval_components(&one, z.as_ref(), out.as_mut());
        // 3 component calls over N = 2: ceil(3/2) = 2 full-operator equivalents.
        let c = p.counters();
        assert_eq!((c.component_calls, c.oracle_calls), (3, 2));
        p.eval(z.as_ref(), out.as_mut());
        p.eval_components(&one, z.as_ref(), out.as_mut());
        let c = p.counters();
        assert_eq!((c.component_calls, c.oracle_calls, c.monitor_calls), (4, 3, 0));
        let _ = p.natural_residual(z.as_ref());
        assert_eq!((p.counters().oracle_calls, p.counters().monitor_calls), (3, 1));
    }
}
