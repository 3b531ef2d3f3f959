//! Multilayer perceptrons on faer matrices, batch as columns, with hand-written reverse mode
//! and its forward-mode (Pearlmutter R-operator) tangent.
//!
//! A network with layer sizes `d_0, ..., d_L` has parameters `W_l` (`d_{l+1} x d_l`, column
//! major) and `b_l` (`d_{l+1}`) for `l = 0..L`, stored one after the other in a flat slice
//! (`W_0, b_0, W_1, b_1, ...`). With a batch `H_0` (`d_0 x N`):
//!
//! ```text
//! forward:   U_l = W_l H_l + b_l 1^T,   H_{l+1} = sigma(U_l) (hidden layers),   output U_{L-1}
//! backward:  Delta_{L-1} = E (output adjoint),
//!            Delta_{l-1} = (W_l^T Delta_l) .* sigma'(U_{l-1}),   Gin = W_0^T Delta_0
//! gradient:  dW_l = Delta_l H_l^T,   db_l = Delta_l 1
//! ```
//!
//! The tangent versions differentiate all of this along a parameter direction `dot W, dot b`
//! and/or an input direction `dot H_0`, and an output-adjoint direction `dot E`:
//!
//! ```text
//! dot U_l     = dot W_l H_l + dot b_l 1^T + W_l dot H_l,   dot H_{l+1} = sigma'(U_l) .* dot U_l
//! dot Delta_{l-1} = (dot W_l^T Delta_l + W_l^T dot Delta_l) .* sigma'(U_{l-1})
//!                   + (W_l^T Delta_l) .* sigma''(U_{l-1}) .* dot U_{l-1}
//! dot Gin     = dot W_0^T Delta_0 + W_0^T dot Delta_0
//! dot dW_l    = dot Delta_l H_l^T + Delta_l dot H_l^T,   dot db_l = dot Delta_l 1
//! ```
//!
//! These are exact (no finite differences): every second-order term of the GAN regularizers
//! (gradient penalty, Nagarajan-Kolter, JARE, consensus) is one of these tangents.
//! All buffers live in an [`MlpWork`] allocated once; the kernels allocate nothing.
//!
//! Speed (docs/performance.md): the products are faer's, except those with a dimension of at
//! most 4 (`thin`); a one-hidden-layer, one-output network runs column by column (`shallow`);
//! every elementwise step is one pass fused with its neighbours (bias and activation in place on
//! `H_{l+1}`; the `sigma'` scaling and the bias-gradient row sums), compiled once per activation
//! under pulp's runtime CPU dispatch. Curved activations keep `sigma'(U_l)` from the forward
//! pass instead of re-evaluating `tanh`/`exp`. The backward and tangent passes take a column
//! range, so a term that concerns only some samples (a gradient penalty on the real ones)
//! touches only those columns.
//!
//! Threads ([`MlpWork::with_threads`]): the forward and backward passes are cut into column
//! blocks (a layer's product with its bias and activation), the parameter gradients into row
//! blocks (a row of `dW_l` with its bias-gradient sum), and the large products of the tangent
//! passes into blocks of their output (module `blocks`). Every number is then the one of one
//! thread, bit for bit: on one thread the bias-gradient sums are formed inside the backward
//! pass, on several by [`param_grad`], column after column in both cases.

use std::ops::Range;

use faer::reborrow::ReborrowMut;
use faer::{Accum, Mat, MatMut, MatRef};

#[macro_use]
mod activation;
pub use activation::Activation;
use activation::{LeakyRelu, Relu, Sigma, Softplus, Tanh};
mod blocks;
mod shallow;
mod thin;

/// The shape of an MLP and where its parameters sit in a flat slice.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    sizes: Vec<usize>,
    act: Activation,
    w_off: Vec<usize>,
    b_off: Vec<usize>,
    n_params: usize,
}

impl Mlp {
    /// A network with layer sizes `sizes = [d_0, ..., d_L]` (`L >= 1`).
    ///
    /// # Panics
    /// If fewer than two sizes are given or a size is zero.
    pub fn new(sizes: &[usize], act: Activation) -> Self {
        assert!(sizes.len() >= 2 && sizes.iter().all(|&d| d > 0), "MLP sizes must be >= 2 positive numbers");
        let mut w_off = Vec::new();
        let mut b_off = Vec::new();
        let mut off = 0;
        for l in 0..sizes.len() - 1 {
            w_off.push(off);
            off += sizes[l + 1] * sizes[l];
            b_off.push(off);
            off += sizes[l + 1];
        }
        Self { sizes: sizes.to_vec(), act, w_off, b_off, n_params: off }
    }
    /// Number of parameters.
    pub fn n_params(&self) -> usize {
        self.n_params
    }
    /// Number of affine layers `L`.
    pub fn n_layers(&self) -> usize {
        self.sizes.len() - 1
    }
    /// Layer sizes.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
    /// Input dimension `d_0`.
    pub fn input_dim(&self) -> usize {
        self.sizes[0]
    }
    /// Output dimension `d_L`.
    pub fn output_dim(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }
    /// The activation.
    pub fn activation(&self) -> Activation {
        self.act
    }
    /// `W_l` as a view of the flat parameters.
    pub fn w<'a>(&self, p: &'a [f64], l: usize) -> MatRef<'a, f64> {
        let (r, c) = (self.sizes[l + 1], self.sizes[l]);
        MatRef::from_column_major_slice(&p[self.w_off[l]..self.w_off[l] + r * c], r, c)
    }
    /// `b_l`.
    pub fn b<'a>(&self, p: &'a [f64], l: usize) -> &'a [f64] {
        &p[self.b_off[l]..self.b_off[l] + self.sizes[l + 1]]
    }
    fn w_mut<'a>(&self, p: &'a mut [f64], l: usize) -> MatMut<'a, f64> {
        let (r, c) = (self.sizes[l + 1], self.sizes[l]);
        MatMut::from_column_major_slice_mut(&mut p[self.w_off[l]..self.w_off[l] + r * c], r, c)
    }
    fn b_mut<'a>(&self, p: &'a mut [f64], l: usize) -> &'a mut [f64] {
        &mut p[self.b_off[l]..self.b_off[l] + self.sizes[l + 1]]
    }
    /// `(W_l, b_l, the rest)` of a slice whose first entries are those of layer `l`.
    fn split_layer<'a>(&self, p: &'a mut [f64], l: usize) -> (MatMut<'a, f64>, &'a mut [f64], &'a mut [f64]) {
        let (r, c) = (self.sizes[l + 1], self.sizes[l]);
        let (w, rest) = p.split_at_mut(r * c);
        let (b, rest) = rest.split_at_mut(r);
        (MatMut::from_column_major_slice_mut(w, r, c), b, rest)
    }

    /// Orthogonal initialisation with the given gain (the rows or columns of each `W_l`,
    /// whichever are fewer, are orthonormal: thin QR of a Gaussian matrix), biases zero.
    pub fn init_orthogonal(&self, p: &mut [f64], gain: f64, rng: &mut vi_core::rng::Rng) {
        for l in 0..self.n_layers() {
            let (r, c) = (self.sizes[l + 1], self.sizes[l]);
            let tall = r >= c;
            let (m, n) = if tall { (r, c) } else { (c, r) };
            let g = Mat::from_fn(m, n, |_, _| vi_core::rng::normal(rng));
            let q = g.qr().compute_thin_Q();
            let mut w = self.w_mut(p, l);
            for j in 0..c {
                for i in 0..r {
                    w[(i, j)] = gain * if tall { q[(i, j)] } else { q[(j, i)] };
                }
            }
            self.b_mut(p, l).fill(0.0);
        }
    }
}

/// Buffers for one batch size: activations, adjoints and their tangents.
#[derive(Clone, Debug)]
pub struct MlpWork {
    n: usize,
    /// `H_l` (`d_l x N`), `l = 0..L`; `h[0]` is the input, filled by the caller.
    pub h: Vec<Mat<f64>>,
    /// `U_l` (`d_{l+1} x N`) of the output layer `l = L-1` (the hidden `U_l` are not kept: the
    /// products are written into `H_{l+1}` and the bias and activation applied in place).
    pub u: Vec<Mat<f64>>,
    /// `Delta_l`, the adjoint of `U_l`.
    pub d: Vec<Mat<f64>>,
    /// `W_0^T Delta_0`, the adjoint of the input.
    pub gin: Mat<f64>,
    /// Tangent of `H_l`; `hd[0]` (input tangent) is filled by the caller.
    pub hd: Vec<Mat<f64>>,
    /// Tangent of `U_l`.
    pub ud: Vec<Mat<f64>>,
    /// Tangent of `Delta_l`.
    pub dd: Vec<Mat<f64>>,
    /// Tangent of `Gin`.
    pub gind: Mat<f64>,
    tmp: Vec<Mat<f64>>,
    /// `sigma'(U_l)` of the hidden layers, kept by the forward pass for curved activations
    /// (empty otherwise: piecewise-linear derivatives are read off `H_{l+1}`).
    g: Vec<Mat<f64>>,
    /// `Delta_l 1` over the columns of the last backward pass.
    db: Vec<Vec<f64>>,
    /// The last backward pass was cut into column blocks and left `db` to [`param_grad`]
    /// (which forms it by rows, in the same order).
    db_stale: bool,
    /// `dot Delta_l 1` over the columns of the last backward tangent pass.
    ddb: Vec<Vec<f64>>,
    /// The last backward tangent pass found `dot Delta = 0` without forming it.
    dd_zero: bool,
    /// Threads of the passes ([`blocks`]); 1 by default.
    threads: usize,
}

impl MlpWork {
    /// Buffers for `n` columns. With `tangents = false` only the forward pass is available.
    pub fn new(m: &Mlp, n: usize, tangents: bool) -> Self {
        let s = &m.sizes;
        let l = m.n_layers();
        let z = |r: usize| Mat::zeros(r, n);
        let opt = |r: usize| if tangents { Mat::zeros(r, n) } else { Mat::zeros(0, 0) };
        let curved = tangents && !m.act.is_piecewise_linear();
        let vecs = |on: bool| (0..l).map(|i| vec![0.0; if on { s[i + 1] } else { 0 }]).collect();
        Self {
            n,
            h: (0..l).map(|i| z(s[i])).collect(),
            u: (0..l).map(|i| if i + 1 == l { z(s[i + 1]) } else { Mat::zeros(0, 0) }).collect(),
            d: (0..l).map(|i| opt(s[i + 1])).collect(),
            gin: opt(s[0]),
            hd: (0..l).map(|i| opt(s[i])).collect(),
            ud: (0..l).map(|i| opt(s[i + 1])).collect(),
            dd: (0..l).map(|i| opt(s[i + 1])).collect(),
            gind: opt(s[0]),
            tmp: (0..l).map(|i| if curved { z(s[i + 1]) } else { z(0) }).collect(),
            g: (0..l).map(|i| if curved && i + 1 < l { z(s[i + 1]) } else { Mat::zeros(0, 0) }).collect(),
            db: vecs(tangents),
            ddb: vecs(tangents),
            db_stale: false,
            dd_zero: false,
            threads: 1,
        }
    }
    /// The same buffers, with the forward and backward passes, the parameter gradients and the
    /// large products of the tangent passes cut into blocks on up to `threads` threads of
    /// rayon's pool (the numbers do not change: see the module documentation).
    #[must_use]
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }
    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.n
    }
    /// All columns.
    pub fn all(&self) -> Range<usize> {
        0..self.n
    }
    /// The output `U_{L-1}` of the last forward pass.
    pub fn output(&self) -> MatRef<'_, f64> {
        self.u[self.u.len() - 1].as_ref()
    }
    /// The output tangent of the last forward tangent pass.
    pub fn output_tangent(&self) -> MatRef<'_, f64> {
        self.ud[self.ud.len() - 1].as_ref()
    }
}

/// Columns `c` of `m`.
fn cols<'a>(m: &'a Mat<f64>, c: &Range<usize>) -> MatRef<'a, f64> {
    m.as_ref().subcols(c.start, c.len())
}

fn cols_mut<'a>(m: &'a mut Mat<f64>, c: &Range<usize>) -> MatMut<'a, f64> {
    m.as_mut().subcols_mut(c.start, c.len())
}

/// Columns `c` of `m`, or `None` when `m` is not kept (no columns).
fn opt_cols<'a>(m: &'a Mat<f64>, c: &Range<usize>) -> Option<MatRef<'a, f64>> {
    (m.ncols() > 0).then(|| cols(m, c))
}

/// Columns `c` of `m`, or `None` when `m` is not kept (no columns).
fn opt_cols_mut<'a>(m: &'a mut Mat<f64>, c: &Range<usize>) -> Option<MatMut<'a, f64>> {
    (m.ncols() > 0).then(|| cols_mut(m, c))
}

use thin::{col_mut, mm};

/// `u += b 1^T` and, for a hidden layer (`hidden`), `u = sigma(u)` in place and, when `g` is
/// kept, `g = sigma'`. One pass.
fn bias_act(act: Activation, b: &[f64], u: MatMut<'_, f64>, g: Option<MatMut<'_, f64>>, hidden: bool) {
    pulp::Arch::new().dispatch(BiasAct { act, b, u, g, hidden });
}

struct BiasAct<'a> {
    act: Activation,
    b: &'a [f64],
    u: MatMut<'a, f64>,
    g: Option<MatMut<'a, f64>>,
    hidden: bool,
}

impl pulp::WithSimd for BiasAct<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<V: pulp::Simd>(self, _: V) {
        let BiasAct { act, b, mut u, g, hidden } = self;
        match (hidden, g) {
            (false, _) => {
                for j in 0..u.ncols() {
                    for (ui, bi) in col_mut(u.rb_mut(), j).iter_mut().zip(b) {
                        *ui += *bi;
                    }
                }
            }
            (true, Some(mut g)) => with_sigma!(act, S, {
                for j in 0..u.ncols() {
                    for ((hi, bi), gi) in col_mut(u.rb_mut(), j).iter_mut().zip(b).zip(col_mut(g.rb_mut(), j)) {
                        let v = *hi + *bi;
                        *hi = S::f(v);
                        *gi = S::df_at(v, *hi);
                    }
                }
            }),
            (true, None) => with_sigma!(act, S, {
                for j in 0..u.ncols() {
                    for (hi, bi) in col_mut(u.rb_mut(), j).iter_mut().zip(b) {
                        *hi = S::f(*hi + *bi);
                    }
                }
            }),
        }
    }
}

/// `x <- src .* sigma'(U)` (`src = None`: `x <- x .* sigma'(U)`), with `sigma'` from
/// `H = sigma(U)` or the kept `g`, and `sums = x 1` when `sums` is given. One pass.
fn scale_by_df(
    act: Activation,
    h: MatRef<'_, f64>,
    g: Option<MatRef<'_, f64>>,
    src: Option<MatRef<'_, f64>>,
    x: MatMut<'_, f64>,
    sums: Option<&mut [f64]>,
) {
    pulp::Arch::new().dispatch(ScaleByDf { act, h, g, src, x, sums });
}

struct ScaleByDf<'a> {
    act: Activation,
    h: MatRef<'a, f64>,
    g: Option<MatRef<'a, f64>>,
    src: Option<MatRef<'a, f64>>,
    x: MatMut<'a, f64>,
    sums: Option<&'a mut [f64]>,
}

impl pulp::WithSimd for ScaleByDf<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<V: pulp::Simd>(self, _: V) {
        let ScaleByDf { act, h, g, src, mut x, mut sums } = self;
        if let Some(s) = sums.as_deref_mut() {
            s.fill(0.0);
        }
        with_sigma!(act, S, {
            for j in 0..x.ncols() {
                let xj = col_mut(x.rb_mut(), j);
                if let Some(src) = src {
                    xj.copy_from_slice(thin::col(src, j));
                }
                if let Some(g) = g {
                    for (xi, gi) in xj.iter_mut().zip(thin::col(g, j)) {
                        *xi *= *gi;
                    }
                } else {
                    for (xi, hi) in xj.iter_mut().zip(thin::col(h, j)) {
                        *xi *= S::df_h(*hi);
                    }
                }
                if let Some(s) = sums.as_deref_mut() {
                    for (si, xi) in s.iter_mut().zip(xj.iter()) {
                        *si += *xi;
                    }
                }
            }
        })
    }
}

/// `t <- t .* sigma'(U) + gt .* sigma''(U) .* ud` on the columns `c` (the curved part of the
/// backward tangent, `gt = W^T Delta`) and `sums = t 1`. One pass.
struct CurvedTangent<'a> {
    act: Activation,
    t: &'a mut Mat<f64>,
    gt: &'a Mat<f64>,
    g: &'a Mat<f64>,
    h: &'a Mat<f64>,
    ud: &'a Mat<f64>,
    c: Range<usize>,
    sums: &'a mut [f64],
}

impl pulp::WithSimd for CurvedTangent<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<V: pulp::Simd>(self, _: V) {
        let CurvedTangent { act, t, gt, g, h, ud, c, sums } = self;
        sums.fill(0.0);
        with_sigma!(act, S, {
            for j in c.clone() {
                let (gs, hs, gts, uds) = (g.col_as_slice(j), h.col_as_slice(j), gt.col_as_slice(j), ud.col_as_slice(j));
                for (i, (ti, si)) in t.col_as_slice_mut(j).iter_mut().zip(sums.iter_mut()).enumerate() {
                    *ti = *ti * gs[i] + gts[i] * S::d2f_from(hs[i], gs[i]) * uds[i];
                    *si += *ti;
                }
            }
        })
    }
}

/// `dst = src` on the columns `c` and `sums = src 1` when `sums` is given.
fn copy_row_sums(src: MatRef<'_, f64>, dst: &mut Mat<f64>, c: &Range<usize>, mut sums: Option<&mut [f64]>) {
    if let Some(s) = sums.as_deref_mut() {
        s.fill(0.0);
    }
    for j in c.clone() {
        let dj = dst.col_as_slice_mut(j);
        for (i, di) in dj.iter_mut().enumerate() {
            *di = src[(i, j)];
        }
        if let Some(s) = sums.as_deref_mut() {
            for (si, di) in s.iter_mut().zip(dj.iter()) {
                *si += *di;
            }
        }
    }
}

/// `b += alpha * sums`.
fn add_scaled(b: &mut [f64], sums: &[f64], alpha: f64) {
    for (bi, si) in b.iter_mut().zip(sums) {
        *bi += alpha * *si;
    }
}

/// Forward pass on the columns `c` of `work.h[0]`.
pub fn forward(m: &Mlp, p: &[f64], work: &mut MlpWork, c: Range<usize>) {
    if shallow::fits(m) {
        shallow::forward(m, p, work, c);
    } else {
        forward_layers(m, p, work, c);
    }
}

/// [`forward`] layer by layer: one [`LayerForward`] step per layer.
fn forward_layers(m: &Mlp, p: &[f64], work: &mut MlpWork, c: Range<usize>) {
    let nl = m.n_layers();
    for l in 0..nl {
        let parts = col_parts(work.threads, &c, m.sizes[l + 1] * m.sizes[l]);
        let MlpWork { h, u, g, .. } = work;
        let (lo, hi) = h.split_at_mut(l + 1);
        let hidden = l + 1 < nl;
        let (out, g) = if hidden {
            (cols_mut(&mut hi[0], &c), opt_cols_mut(&mut g[l], &c))
        } else {
            (cols_mut(&mut u[l], &c), None)
        };
        let step = LayerForward { act: m.act, w: m.w(p, l), b: m.b(p, l), x: cols(&lo[l], &c), out, g, hidden };
        blocks::run(step, parts);
    }
}

/// The fewest columns a block of a column step gets (a few microseconds of work at the
/// default widths).
const MIN_COLS: usize = 64;

/// Column blocks for a step whose product has `per_col` multiply-adds per column: at least
/// [`MIN_COLS`] columns each (so that no block becomes one of [`thin`]'s few-column shapes)
/// and more than faer's small-product size (16^3, which sums in another order).
fn col_parts(threads: usize, c: &Range<usize>, per_col: usize) -> usize {
    let small = thin::FAER_SMALL / per_col.max(1) + 1;
    blocks::parts(threads, c.len(), MIN_COLS.max(small))
}

/// `out = W x + b 1^T`, then `out = sigma(out)` (`hidden`, with `g = sigma'` when kept): one
/// layer of the forward pass on some columns.
struct LayerForward<'a> {
    act: Activation,
    w: MatRef<'a, f64>,
    b: &'a [f64],
    x: MatRef<'a, f64>,
    out: MatMut<'a, f64>,
    g: Option<MatMut<'a, f64>>,
    hidden: bool,
}

impl blocks::Blocks for LayerForward<'_> {
    fn len(&self) -> usize {
        self.out.ncols()
    }
    fn split(self, at: usize) -> (Self, Self) {
        let LayerForward { act, w, b, x, out, g, hidden } = self;
        let (x0, x1) = x.split_at_col(at);
        let (o0, o1) = out.split_at_col_mut(at);
        let (g0, g1) = blocks::split_opt_mut(g, at);
        (
            LayerForward { act, w, b, x: x0, out: o0, g: g0, hidden },
            LayerForward { act, w, b, x: x1, out: o1, g: g1, hidden },
        )
    }
    fn run(self) {
        let LayerForward { act, w, b, x, mut out, g, hidden } = self;
        mm(out.rb_mut(), Accum::Replace, w, x, 1.0, 1);
        bias_act(act, b, out, g, hidden);
    }
}

/// Backward pass on the columns `c` with output adjoint `e` (`d_L x N`, its columns `c` are
/// read); fills `work.d` and, when `input_grad`, `work.gin` on those columns. Requires a
/// forward pass.
pub fn backward(m: &Mlp, p: &[f64], work: &mut MlpWork, e: MatRef<'_, f64>, input_grad: bool, c: Range<usize>) {
    if shallow::fits(m) {
        shallow::backward(m, p, work, e, input_grad, c);
    } else {
        backward_layers(m, p, work, e, input_grad, c);
    }
}

/// [`backward`] layer by layer: one [`LayerBackward`] step per layer. On one thread the
/// bias-gradient sums `Delta_l 1` are formed in the same pass; on several, by
/// [`param_grad`].
fn backward_layers(m: &Mlp, p: &[f64], work: &mut MlpWork, e: MatRef<'_, f64>, input_grad: bool, c: Range<usize>) {
    let nl = m.n_layers();
    let threads = work.threads;
    let parts = |l: usize| col_parts(threads, &c, m.sizes[l + 1] * m.sizes[l]);
    let fused = (1..nl).all(|l| parts(l) == 1);
    work.db_stale = !fused;
    let MlpWork { h, d, g, db, gin, .. } = work;
    copy_row_sums(e, &mut d[nl - 1], &c, fused.then_some(&mut db[nl - 1][..]));
    for l in (1..nl).rev() {
        let (lo, hi) = d.split_at_mut(l);
        let step = LayerBackward {
            act: m.act,
            w: m.w(p, l),
            src: cols(&hi[0], &c),
            h: cols(&h[l], &c),
            g: opt_cols(&g[l - 1], &c),
            out: cols_mut(&mut lo[l - 1], &c),
            sums: fused.then_some(&mut db[l - 1][..]),
        };
        blocks::run(step, parts(l));
    }
    if input_grad {
        mm(cols_mut(gin, &c), Accum::Replace, m.w(p, 0).transpose(), cols(&d[0], &c), 1.0, threads);
    }
}

/// `out = (W^T src) .* sigma'(U)` (`sigma'` from `H = sigma(U)` or the kept `g`) and, on one
/// thread, `sums = out 1`: one layer of the backward pass on some columns.
struct LayerBackward<'a> {
    act: Activation,
    w: MatRef<'a, f64>,
    src: MatRef<'a, f64>,
    h: MatRef<'a, f64>,
    g: Option<MatRef<'a, f64>>,
    out: MatMut<'a, f64>,
    sums: Option<&'a mut [f64]>,
}

impl blocks::Blocks for LayerBackward<'_> {
    fn len(&self) -> usize {
        self.out.ncols()
    }
    fn split(self, at: usize) -> (Self, Self) {
        let LayerBackward { act, w, src, h, g, out, sums } = self;
        assert!(sums.is_none(), "a step forming row sums is not cut into column blocks");
        let (s0, s1) = src.split_at_col(at);
        let (h0, h1) = h.split_at_col(at);
        let (g0, g1) = blocks::split_opt(g, at);
        let (o0, o1) = out.split_at_col_mut(at);
        (
            LayerBackward { act, w, src: s0, h: h0, g: g0, out: o0, sums: None },
            LayerBackward { act, w, src: s1, h: h1, g: g1, out: o1, sums: None },
        )
    }
    fn run(self) {
        let LayerBackward { act, w, src, h, g, mut out, sums } = self;
        mm(out.rb_mut(), Accum::Replace, w.transpose(), src, 1.0, 1);
        scale_by_df(act, h, g, None, out, sums);
    }
}

/// `g += alpha (Delta_l H_l^T, Delta_l 1)` for every layer, over the columns of the last
/// backward pass, `c`: one `ParamRows` step per layer, cut into row blocks on several
/// threads.
pub fn param_grad(m: &Mlp, work: &MlpWork, g: &mut [f64], alpha: f64, c: Range<usize>) {
    let mut rest = g;
    for l in 0..m.n_layers() {
        let (w, b, tail) = m.split_layer(rest, l);
        rest = tail;
        let (rows, k) = (m.sizes[l + 1], m.sizes[l]);
        let sums = (!work.db_stale).then_some(&work.db[l][..]);
        let step = ParamRows { d: cols(&work.d[l], &c), h: cols(&work.h[l], &c), w, b, sums, alpha };
        // A block keeps the kernel of the whole product: more than thin::MAX rows, and enough
        // multiply-adds for faer's large-product path.
        let min_rows = (thin::MAX + 1).max(MIN_PART_ROWS.div_ceil((k * c.len()).max(1)));
        let parts = if rows > thin::MAX { blocks::parts(work.threads, rows, min_rows) } else { 1 };
        blocks::run(step, parts);
    }
}

/// Multiply-adds a row block of a parameter gradient keeps (above faer's small-product
/// path, 16^3, which sums in another order).
const MIN_PART_ROWS: usize = 1 << 15;

/// `w += alpha d h^T` and `b += alpha d 1` (`sums = d 1` when the backward pass formed it):
/// one layer's parameter gradient on some of its rows.
struct ParamRows<'a> {
    d: MatRef<'a, f64>,
    h: MatRef<'a, f64>,
    w: MatMut<'a, f64>,
    b: &'a mut [f64],
    sums: Option<&'a [f64]>,
    alpha: f64,
}

impl blocks::Blocks for ParamRows<'_> {
    fn len(&self) -> usize {
        self.w.nrows()
    }
    fn split(self, at: usize) -> (Self, Self) {
        let ParamRows { d, h, w, b, sums, alpha } = self;
        let (d0, d1) = d.split_at_row(at);
        let (w0, w1) = w.split_at_row_mut(at);
        let (b0, b1) = b.split_at_mut(at);
        let (s0, s1) = sums.map(|s| s.split_at(at)).unzip();
        (ParamRows { d: d0, h, w: w0, b: b0, sums: s0, alpha }, ParamRows { d: d1, h, w: w1, b: b1, sums: s1, alpha })
    }
    fn run(self) {
        let ParamRows { d, h, w, b, sums, alpha } = self;
        mm(w, Accum::Add, d, h.transpose(), alpha, 1);
        match sums {
            Some(s) => add_scaled(b, s, alpha),
            None => add_scaled_row_sums(b, d, alpha),
        }
    }
}

/// `b += alpha (d 1)`, the sums formed column after column as the one-thread backward pass
/// forms them (in chunks of rows held on the stack).
fn add_scaled_row_sums(b: &mut [f64], d: MatRef<'_, f64>, alpha: f64) {
    pulp::Arch::new().dispatch(RowSums { b, d, alpha });
}

struct RowSums<'a> {
    b: &'a mut [f64],
    d: MatRef<'a, f64>,
    alpha: f64,
}

impl pulp::WithSimd for RowSums<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<V: pulp::Simd>(self, _: V) {
        const CHUNK: usize = 64;
        let RowSums { b, d, alpha } = self;
        for (k, b) in b.chunks_mut(CHUNK).enumerate() {
            let mut sums = [0.0; CHUNK];
            let sums = &mut sums[..b.len()];
            let rows = d.subrows(k * CHUNK, b.len());
            for j in 0..rows.ncols() {
                for (si, di) in sums.iter_mut().zip(thin::col(rows, j)) {
                    *si += *di;
                }
            }
            add_scaled(b, sums, alpha);
        }
    }
}

/// Forward tangent on the columns `c` along the parameter direction `dp` (if any) and the
/// input direction `work.hd[0]` (if `input_tangent`; otherwise it is treated as zero).
/// Requires a forward pass.
pub fn forward_tangent(
    m: &Mlp,
    p: &[f64],
    dp: Option<&[f64]>,
    work: &mut MlpWork,
    input_tangent: bool,
    c: Range<usize>,
) {
    if dp.is_none() && shallow::fits(m) {
        shallow::forward_tangent_input(m, p, work, input_tangent, c);
    } else {
        forward_tangent_layers(m, p, dp, work, input_tangent, c);
    }
}

/// [`forward_tangent`] layer by layer.
fn forward_tangent_layers(
    m: &Mlp,
    p: &[f64],
    dp: Option<&[f64]>,
    work: &mut MlpWork,
    input_tangent: bool,
    c: Range<usize>,
) {
    let (nl, t) = (m.n_layers(), work.threads);
    for l in 0..nl {
        let MlpWork { h, hd, ud, g, .. } = work;
        let mut acc = Accum::Replace;
        if l > 0 || input_tangent {
            mm(cols_mut(&mut ud[l], &c), acc, m.w(p, l), cols(&hd[l], &c), 1.0, t);
            acc = Accum::Add;
        }
        if let Some(dp) = dp {
            mm(cols_mut(&mut ud[l], &c), acc, m.w(dp, l), cols(&h[l], &c), 1.0, t);
            bias_act(m.act, m.b(dp, l), cols_mut(&mut ud[l], &c), None, false);
        } else if acc == Accum::Replace {
            cols_mut(&mut ud[l], &c).fill(0.0);
        }
        if l + 1 < nl {
            // dot H_{l+1} = sigma'(U_l) .* dot U_l
            scale_by_df(
                m.act,
                cols(&h[l + 1], &c),
                opt_cols(&g[l], &c),
                Some(cols(&ud[l], &c)),
                cols_mut(&mut hd[l + 1], &c),
                None,
            );
        }
    }
}

/// Backward tangent on the columns `c` along the parameter direction `dp` (if any) and the
/// output-adjoint direction `ed` (if any), consistent with the last [`forward_tangent`] and
/// [`backward`]. Fills `work.dd` and, when `input_grad`, `work.gind` on those columns.
pub fn backward_tangent(
    m: &Mlp,
    p: &[f64],
    dp: Option<&[f64]>,
    work: &mut MlpWork,
    ed: Option<MatRef<'_, f64>>,
    input_grad: bool,
    c: Range<usize>,
) {
    let (nl, threads) = (m.n_layers(), work.threads);
    let curved = !m.act.is_piecewise_linear();
    // Without a parameter direction, an adjoint tangent or curvature every dot Delta is 0.
    work.dd_zero = dp.is_none() && ed.is_none() && !curved;
    if work.dd_zero {
        if input_grad {
            cols_mut(&mut work.gind, &c).fill(0.0);
        }
        return;
    }
    let MlpWork { h, d, ud, dd, tmp, g, ddb, .. } = work;
    match ed {
        Some(e) => copy_row_sums(e, &mut dd[nl - 1], &c, Some(&mut ddb[nl - 1])),
        None => {
            cols_mut(&mut dd[nl - 1], &c).fill(0.0);
            ddb[nl - 1].fill(0.0);
        }
    }
    for l in (1..nl).rev() {
        let (lo, hi) = dd.split_at_mut(l);
        let t = &mut lo[l - 1];
        mm(cols_mut(t, &c), Accum::Replace, m.w(p, l).transpose(), cols(&hi[0], &c), 1.0, threads);
        if let Some(dp) = dp {
            mm(cols_mut(t, &c), Accum::Add, m.w(dp, l).transpose(), cols(&d[l], &c), 1.0, threads);
        }
        if curved {
            let gt = &mut tmp[l - 1];
            mm(cols_mut(gt, &c), Accum::Replace, m.w(p, l).transpose(), cols(&d[l], &c), 1.0, threads);
            let k = CurvedTangent {
                act: m.act,
                t,
                gt,
                g: &g[l - 1],
                h: &h[l],
                ud: &ud[l - 1],
                c: c.clone(),
                sums: &mut ddb[l - 1],
            };
            pulp::Arch::new().dispatch(k);
        } else {
            scale_by_df(m.act, cols(&h[l], &c), opt_cols(&g[l - 1], &c), None, cols_mut(t, &c), Some(&mut ddb[l - 1]));
        }
    }
    if input_grad {
        mm(cols_mut(&mut work.gind, &c), Accum::Replace, m.w(p, 0).transpose(), cols(&work.dd[0], &c), 1.0, threads);
        if let Some(dp) = dp {
            mm(cols_mut(&mut work.gind, &c), Accum::Add, m.w(dp, 0).transpose(), cols(&work.d[0], &c), 1.0, threads);
        }
    }
}

/// `g += alpha (dot Delta_l H_l^T + Delta_l dot H_l^T, dot Delta_l 1)` over the columns `c`:
/// the tangent of the parameter gradient. `input_tangent` tells whether `work.hd[0]` holds a
/// tangent (else zero).
pub fn param_grad_tangent(m: &Mlp, work: &MlpWork, g: &mut [f64], alpha: f64, input_tangent: bool, c: Range<usize>) {
    let t = work.threads;
    for l in 0..m.n_layers() {
        let mut w = m.w_mut(g, l);
        if !work.dd_zero {
            mm(w.as_mut(), Accum::Add, cols(&work.dd[l], &c), cols(&work.h[l], &c).transpose(), alpha, t);
        }
        if l > 0 || input_tangent {
            mm(w.as_mut(), Accum::Add, cols(&work.d[l], &c), cols(&work.hd[l], &c).transpose(), alpha, t);
        }
        if !work.dd_zero {
            add_scaled(m.b_mut(g, l), &work.ddb[l], alpha);
        }
    }
}

#[cfg(test)]
mod tests;
