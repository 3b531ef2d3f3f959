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

use faer::{Mat, MatRef};

use super::activation::{LeakyRelu, Relu, Sigma, Softplus, Tanh};
use super::thin::{self, affine, dot};
use super::{Activation, Mlp, MlpWork};

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

/// Forward pass (see [`super::forward`]).
pub(super) fn forward(m: &Mlp, p: &[f64], work: &mut MlpWork, c: Range<usize>) {
    let (w0, w1) = weights(m, p);
    let (b0, b1) = (m.b(p, 0), m.b(p, 1)[0]);
    let MlpWork { h, u, g, .. } = work;
    let (x, hidden) = h.split_at_mut(1);
    let k = m.input_dim();
    pulp::Arch::new().dispatch(Forward {
        act: m.act,
        w0,
        k,
        b0,
        w1,
        b1,
        x: &x[0],
        h: &mut hidden[0],
        g: &mut g[0],
        y: &mut u[1],
        c,
    });
}

struct Forward<'a> {
    act: Activation,
    w0: [&'a [f64]; thin::MAX],
    k: usize,
    b0: &'a [f64],
    w1: &'a [f64],
    b1: f64,
    x: &'a Mat<f64>,
    h: &'a mut Mat<f64>,
    g: &'a mut Mat<f64>,
    y: &'a mut Mat<f64>,
    c: Range<usize>,
}

impl pulp::WithSimd for Forward<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<V: pulp::Simd>(self, simd: V) {
        let Forward { act, w0, k, b0, w1, b1, x, h, g, y, c } = self;
        let keep_g = g.ncols() > 0;
        with_sigma!(act, S, {
            for j in c.clone() {
                let hj = h.col_as_slice_mut(j);
                let xs: [f64; thin::MAX] = std::array::from_fn(|l| if l < k { x[(l, j)] } else { 0.0 });
                hj.copy_from_slice(b0);
                affine(simd, &w0[..k], &xs[..k], true, hj);
                if keep_g {
                    for (hi, gi) in hj.iter_mut().zip(g.col_as_slice_mut(j)) {
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

/// Backward pass (see [`super::backward`]).
pub(super) fn backward(m: &Mlp, p: &[f64], work: &mut MlpWork, e: MatRef<'_, f64>, input_grad: bool, c: Range<usize>) {
    let (w0, w1) = weights(m, p);
    let MlpWork { h, d, g, db, gin, .. } = work;
    let (d0, d1) = d.split_at_mut(1);
    let (db0, db1) = db.split_at_mut(1);
    db1[0][0] = 0.0;
    for j in c.clone() {
        d1[0][(0, j)] = e[(0, j)];
        db1[0][0] += e[(0, j)];
    }
    pulp::Arch::new().dispatch(Backward {
        act: m.act,
        w0,
        k: if input_grad { m.input_dim() } else { 0 },
        w1,
        e: d1[0].as_ref(),
        h: &h[1],
        g: &g[0],
        d: &mut d0[0],
        sums: &mut db0[0],
        gin,
        c,
    });
}

struct Backward<'a> {
    act: Activation,
    w0: [&'a [f64]; thin::MAX],
    /// Input-gradient dot products per column (0: no input gradient).
    k: usize,
    w1: &'a [f64],
    e: MatRef<'a, f64>,
    h: &'a Mat<f64>,
    g: &'a Mat<f64>,
    d: &'a mut Mat<f64>,
    sums: &'a mut [f64],
    gin: &'a mut Mat<f64>,
    c: Range<usize>,
}

impl pulp::WithSimd for Backward<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<V: pulp::Simd>(self, simd: V) {
        let Backward { act, w0, k, w1, e, h, g, d, sums, gin, c } = self;
        sums.fill(0.0);
        let from_g = g.ncols() > 0;
        with_sigma!(act, S, {
            for j in c.clone() {
                let ej = e[(0, j)];
                let dj = d.col_as_slice_mut(j);
                if from_g {
                    for ((di, wi), gi) in dj.iter_mut().zip(w1).zip(g.col_as_slice(j)) {
                        *di = (*wi * ej) * *gi;
                    }
                } else {
                    for ((di, wi), hi) in dj.iter_mut().zip(w1).zip(h.col_as_slice(j)) {
                        *di = (*wi * ej) * S::df_h(*hi);
                    }
                }
                for (si, di) in sums.iter_mut().zip(dj.iter()) {
                    *si += *di;
                }
                for (l, w) in w0.iter().enumerate().take(k) {
                    gin[(l, j)] = dot(simd, w, dj);
                }
            }
        })
    }
}

/// Forward tangent along an input direction only (see [`super::forward_tangent`] with
/// `dp = None`).
pub(super) fn forward_tangent_input(m: &Mlp, p: &[f64], work: &mut MlpWork, input_tangent: bool, c: Range<usize>) {
    let (w0, w1) = weights(m, p);
    let MlpWork { h, hd, ud, g, .. } = work;
    let (hd0, hd1) = hd.split_at_mut(1);
    let (ud0, ud1) = ud.split_at_mut(1);
    pulp::Arch::new().dispatch(ForwardTangent {
        act: m.act,
        w0,
        k: if input_tangent { m.input_dim() } else { 0 },
        w1,
        h: &h[1],
        g: &g[0],
        hd0: &hd0[0],
        ud0: &mut ud0[0],
        hd1: &mut hd1[0],
        ud1: &mut ud1[0],
        c,
    });
}

struct ForwardTangent<'a> {
    act: Activation,
    w0: [&'a [f64]; thin::MAX],
    k: usize,
    w1: &'a [f64],
    h: &'a Mat<f64>,
    g: &'a Mat<f64>,
    hd0: &'a Mat<f64>,
    ud0: &'a mut Mat<f64>,
    hd1: &'a mut Mat<f64>,
    ud1: &'a mut Mat<f64>,
    c: Range<usize>,
}

impl pulp::WithSimd for ForwardTangent<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<V: pulp::Simd>(self, simd: V) {
        let ForwardTangent { act, w0, k, w1, h, g, hd0, ud0, hd1, ud1, c } = self;
        let from_g = g.ncols() > 0;
        with_sigma!(act, S, {
            for j in c.clone() {
                let uj = ud0.col_as_slice_mut(j);
                let ts: [f64; thin::MAX] = std::array::from_fn(|l| if l < k { hd0[(l, j)] } else { 0.0 });
                affine(simd, &w0[..k], &ts[..k], false, uj);
                let tj = hd1.col_as_slice_mut(j);
                if from_g {
                    for ((ti, ui), gi) in tj.iter_mut().zip(uj.iter()).zip(g.col_as_slice(j)) {
                        *ti = *ui * *gi;
                    }
                } else {
                    for ((ti, ui), hi) in tj.iter_mut().zip(uj.iter()).zip(h.col_as_slice(j)) {
                        *ti = *ui * S::df_h(*hi);
                    }
                }
                ud1[(0, j)] = dot(simd, w1, tj);
            }
        })
    }
}
