//! Networks with one hidden layer, one output and at most [`thin::MAX`] inputs (the
//! discriminator `2 -> 128 -> 1`), column by column.
//!
//! Layer by layer, such a network is a chain of thin products and elementwise passes, each a
//! sweep over a `d_1 x N` matrix (128 x 512 at the default size): about fourteen sweeps for one
//! asymmetric-penalty field. Here each column of the hidden layer is formed, activated, used for
//! the output, the adjoint or the tangent while it is in L1, and stored once: the forward pass
//! writes `H_1` once, the backward pass reads `H_1` and writes `Delta_0` once, the forward
//! tangent reads `H_1` and writes `dot U_0` and `dot H_1` once. The numbers are those of the
//! layer-by-layer passes of the parent module up to the order of floating-point sums.

use std::ops::Range;

use faer::reborrow::ReborrowMut;
use faer::{MatMut, MatRef};

use super::activation::{LeakyRelu, Relu, Sigma, Softplus, Tanh};
use super::blocks::{self, split_opt, split_opt_mut, Blocks};
use super::thin::{self, affine, col, col_mut, dot};
use super::{cols, cols_mut, opt_cols, opt_cols_mut, Activation, Mlp, MlpWork};

/// Whether `m` is taken column by column here.
pub(super) fn fits(m: &Mlp) -> bool {
    m.n_layers() == 2 && m.output_dim() == 1 && m.input_dim() <= thin::MAX
}

/// The columns of `W_0` (`d_1 x d_0`) and the row `W_1` (`1 x d_1`) as slices.
fn weights<'a>(m: &Mlp, p: &'a [f64]) -> ([&'a [f64]; thin::MAX], &'a [f64]) {
    let w0 = m.w(p, 0);
    let cols = std::array::from_fn(|k| if k < w0.ncols() { thin::col(w0, k) } else { &[][..] });
    let w1 = m.w(p, 1);
    (cols, w1.row(0).try_as_row_major().expect("W_1 is one contiguous row").as_slice())
}

/// Column blocks for the passes here: every column is computed from that column alone.
fn parts(work: &MlpWork, c: &Range<usize>) -> usize {
    blocks::parts(work.threads, c.len(), super::MIN_COLS)
}

/// Forward pass (see [`super::forward`]).
pub(super) fn forward(m: &Mlp, p: &[f64], work: &mut MlpWork, c: Range<usize>) {
    let (w0, w1) = weights(m, p);
    let (b0, b1) = (m.b(p, 0), m.b(p, 1)[0]);
    let parts = parts(work, &c);
    let MlpWork { h, u, g, .. } = work;
    let (x, hidden) = h.split_at_mut(1);
    let k = m.input_dim();
    let step = Forward {
        act: m.act,
        w0,
        k,
        b0,
        w1,
        b1,
        x: cols(&x[0], &c),
        h: cols_mut(&mut hidden[0], &c),
        g: opt_cols_mut(&mut g[0], &c),
        y: cols_mut(&mut u[1], &c),
    };
    blocks::run(step, parts);
}

struct Forward<'a> {
    act: Activation,
    w0: [&'a [f64]; thin::MAX],
    k: usize,
    b0: &'a [f64],
    w1: &'a [f64],
    b1: f64,
    x: MatRef<'a, f64>,
    h: MatMut<'a, f64>,
    /// `sigma'(U_0)`, when kept.
    g: Option<MatMut<'a, f64>>,
    y: MatMut<'a, f64>,
}

impl Blocks for Forward<'_> {
    fn len(&self) -> usize {
        self.h.ncols()
    }
    fn split(self, at: usize) -> (Self, Self) {
        let Forward { act, w0, k, b0, w1, b1, x, h, g, y } = self;
        let (x0, x1) = x.split_at_col(at);
        let (h0, h1) = h.split_at_col_mut(at);
        let (g0, g1) = split_opt_mut(g, at);
        let (y0, y1) = y.split_at_col_mut(at);
        (
            Forward { act, w0, k, b0, w1, b1, x: x0, h: h0, g: g0, y: y0 },
            Forward { act, w0, k, b0, w1, b1, x: x1, h: h1, g: g1, y: y1 },
        )
    }
    fn run(self) {
        pulp::Arch::new().dispatch(self);
    }
}

impl pulp::WithSimd for Forward<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<V: pulp::Simd>(self, simd: V) {
        let Forward { act, w0, k, b0, w1, b1, x, mut h, mut g, mut y } = self;
        with_sigma!(act, S, {
            for j in 0..h.ncols() {
                let hj = col_mut(h.rb_mut(), j);
                let xs: [f64; thin::MAX] = std::array::from_fn(|l| if l < k { x[(l, j)] } else { 0.0 });
                hj.copy_from_slice(b0);
                affine(simd, &w0[..k], &xs[..k], true, hj);
                if let Some(g) = g.as_mut() {
                    for (hi, gi) in hj.iter_mut().zip(col_mut(g.rb_mut(), j)) {
                        let v = *hi;
                        *hi = S::f(v);
                        *gi = S::df_at(v, *hi);
                    }
                } else {
                    for hi in hj.iter_mut() {
                        *hi = S::f(*hi);
                    }
                }
                y[(0, j)] = dot(simd, w1, hj) + b1;
            }
        })
    }
}

/// Backward pass (see [`super::backward`]). On one thread the bias-gradient sums are formed
/// in the pass; cut into column blocks, by [`super::param_grad`] (the same sums).
pub(super) fn backward(m: &Mlp, p: &[f64], work: &mut MlpWork, e: MatRef<'_, f64>, input_grad: bool, c: Range<usize>) {
    let (w0, w1) = weights(m, p);
    let parts = parts(work, &c);
    let fused = parts == 1;
    work.db_stale = !fused;
    let MlpWork { h, d, g, db, gin, .. } = work;
    let (d0, d1) = d.split_at_mut(1);
    let (db0, db1) = db.split_at_mut(1);
    if fused {
        db1[0][0] = 0.0;
    }
    for j in c.clone() {
        d1[0][(0, j)] = e[(0, j)];
        if fused {
            db1[0][0] += e[(0, j)];
        }
    }
    let step = Backward {
        act: m.act,
        w0,
        k: if input_grad { m.input_dim() } else { 0 },
        w1,
        e: cols(&d1[0], &c),
        h: cols(&h[1], &c),
        g: opt_cols(&g[0], &c),
        d: cols_mut(&mut d0[0], &c),
        sums: fused.then_some(&mut db0[0][..]),
        gin: opt_cols_mut(gin, &c),
    };
    blocks::run(step, parts);
}

struct Backward<'a> {
    act: Activation,
    w0: [&'a [f64]; thin::MAX],
    /// Input-gradient dot products per column (0: no input gradient).
    k: usize,
    w1: &'a [f64],
    e: MatRef<'a, f64>,
    h: MatRef<'a, f64>,
    g: Option<MatRef<'a, f64>>,
    d: MatMut<'a, f64>,
    /// `Delta_0 1`, formed in the pass on one thread.
    sums: Option<&'a mut [f64]>,
    gin: Option<MatMut<'a, f64>>,
}

impl Blocks for Backward<'_> {
    fn len(&self) -> usize {
        self.d.ncols()
    }
    fn split(self, at: usize) -> (Self, Self) {
        let Backward { act, w0, k, w1, e, h, g, d, sums, gin } = self;
        assert!(sums.is_none(), "a pass forming row sums is not cut into column blocks");
        let (e0, e1) = e.split_at_col(at);
        let (h0, h1) = h.split_at_col(at);
        let (g0, g1) = split_opt(g, at);
        let (d0, d1) = d.split_at_col_mut(at);
        let (i0, i1) = split_opt_mut(gin, at);
        (
            Backward { act, w0, k, w1, e: e0, h: h0, g: g0, d: d0, sums: None, gin: i0 },
            Backward { act, w0, k, w1, e: e1, h: h1, g: g1, d: d1, sums: None, gin: i1 },
        )
    }
    fn run(self) {
        pulp::Arch::new().dispatch(self);
    }
}

impl pulp::WithSimd for Backward<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<V: pulp::Simd>(self, simd: V) {
        let Backward { act, w0, k, w1, e, h, g, mut d, mut sums, mut gin } = self;
        if let Some(s) = sums.as_deref_mut() {
            s.fill(0.0);
        }
        with_sigma!(act, S, {
            for j in 0..d.ncols() {
                let ej = e[(0, j)];
                let dj = col_mut(d.rb_mut(), j);
                if let Some(g) = g {
                    for ((di, wi), gi) in dj.iter_mut().zip(w1).zip(col(g, j)) {
                        *di = (*wi * ej) * *gi;
                    }
                } else {
                    for ((di, wi), hi) in dj.iter_mut().zip(w1).zip(col(h, j)) {
                        *di = (*wi * ej) * S::df_h(*hi);
                    }
                }
                if let Some(s) = sums.as_deref_mut() {
                    for (si, di) in s.iter_mut().zip(dj.iter()) {
                        *si += *di;
                    }
                }
                if let Some(gin) = gin.as_mut() {
                    for (l, w) in w0.iter().enumerate().take(k) {
                        gin[(l, j)] = dot(simd, w, dj);
                    }
                }
            }
        })
    }
}

/// Forward tangent along an input direction only (see [`super::forward_tangent`] with
/// `dp = None`).
pub(super) fn forward_tangent_input(m: &Mlp, p: &[f64], work: &mut MlpWork, input_tangent: bool, c: Range<usize>) {
    let (w0, w1) = weights(m, p);
    let parts = parts(work, &c);
    let MlpWork { h, hd, ud, g, .. } = work;
    let (hd0, hd1) = hd.split_at_mut(1);
    let (ud0, ud1) = ud.split_at_mut(1);
    let step = ForwardTangent {
        act: m.act,
        w0,
        k: if input_tangent { m.input_dim() } else { 0 },
        w1,
        h: cols(&h[1], &c),
        g: opt_cols(&g[0], &c),
        hd0: cols(&hd0[0], &c),
        ud0: cols_mut(&mut ud0[0], &c),
        hd1: cols_mut(&mut hd1[0], &c),
        ud1: cols_mut(&mut ud1[0], &c),
    };
    blocks::run(step, parts);
}

struct ForwardTangent<'a> {
    act: Activation,
    w0: [&'a [f64]; thin::MAX],
    k: usize,
    w1: &'a [f64],
    h: MatRef<'a, f64>,
    g: Option<MatRef<'a, f64>>,
    hd0: MatRef<'a, f64>,
    ud0: MatMut<'a, f64>,
    hd1: MatMut<'a, f64>,
    ud1: MatMut<'a, f64>,
}

impl Blocks for ForwardTangent<'_> {
    fn len(&self) -> usize {
        self.ud0.ncols()
    }
    fn split(self, at: usize) -> (Self, Self) {
        let ForwardTangent { act, w0, k, w1, h, g, hd0, ud0, hd1, ud1 } = self;
        let (h0, h1) = h.split_at_col(at);
        let (g0, g1) = split_opt(g, at);
        let (t0, t1) = hd0.split_at_col(at);
        let (u0, u1) = ud0.split_at_col_mut(at);
        let (s0, s1) = hd1.split_at_col_mut(at);
        let (v0, v1) = ud1.split_at_col_mut(at);
        (
            ForwardTangent { act, w0, k, w1, h: h0, g: g0, hd0: t0, ud0: u0, hd1: s0, ud1: v0 },
            ForwardTangent { act, w0, k, w1, h: h1, g: g1, hd0: t1, ud0: u1, hd1: s1, ud1: v1 },
        )
    }
    fn run(self) {
        pulp::Arch::new().dispatch(self);
    }
}

impl pulp::WithSimd for ForwardTangent<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<V: pulp::Simd>(self, simd: V) {
        let ForwardTangent { act, w0, k, w1, h, g, hd0, mut ud0, mut hd1, mut ud1 } = self;
        with_sigma!(act, S, {
            for j in 0..ud0.ncols() {
                let uj = col_mut(ud0.rb_mut(), j);
                let ts: [f64; thin::MAX] = std::array::from_fn(|l| if l < k { hd0[(l, j)] } else { 0.0 });
                affine(simd, &w0[..k], &ts[..k], false, uj);
                let tj = col_mut(hd1.rb_mut(), j);
                if let Some(g) = g {
                    for ((ti, ui), gi) in tj.iter_mut().zip(uj.iter()).zip(col(g, j)) {
                        *ti = *ui * *gi;
                    }
                } else {
                    for ((ti, ui), hi) in tj.iter_mut().zip(uj.iter()).zip(col(h, j)) {
                        *ti = *ui * S::df_h(*hi);
                    }
                }
                ud1[(0, j)] = dot(simd, w1, tj);
            }
        })
    }
}
