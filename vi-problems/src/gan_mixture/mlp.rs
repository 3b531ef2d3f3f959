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

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use serde::{Deserialize, Serialize};

/// Hidden-layer activation (the output layer is linear).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// `max(0, u)` (second derivative 0 almost everywhere).
    #[default]
    Relu,
    /// `max(0.2 u, u)`.
    LeakyRelu,
    /// `tanh(u)`.
    Tanh,
    /// `log(1 + exp(u))`.
    Softplus,
}

const LEAK: f64 = 0.2;

impl Activation {
    /// `sigma(u)`.
    #[inline]
    pub fn f(self, u: f64) -> f64 {
        match self {
            Activation::Relu => u.max(0.0),
            Activation::LeakyRelu => {
                if u > 0.0 {
                    u
                } else {
                    LEAK * u
                }
            }
            Activation::Tanh => u.tanh(),
            Activation::Softplus => crate::gan::common::softplus(u),
        }
    }
    /// `sigma'(u)`.
    #[inline]
    pub fn df(self, u: f64) -> f64 {
        match self {
            Activation::Relu => {
                if u > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu => {
                if u > 0.0 {
                    1.0
                } else {
                    LEAK
                }
            }
            Activation::Tanh => {
                let t = u.tanh();
                1.0 - t * t
            }
            Activation::Softplus => crate::gan::common::sigmoid(u),
        }
    }
    /// `sigma''(u)`.
    #[inline]
    pub fn d2f(self, u: f64) -> f64 {
        match self {
            Activation::Relu | Activation::LeakyRelu => 0.0,
            Activation::Tanh => {
                let t = u.tanh();
                -2.0 * t * (1.0 - t * t)
            }
            Activation::Softplus => {
                let s = crate::gan::common::sigmoid(u);
                s * (1.0 - s)
            }
        }
    }
    /// Whether `sigma'' = 0` (piecewise linear): the curvature terms of the tangents vanish.
    pub fn is_piecewise_linear(self) -> bool {
        matches!(self, Activation::Relu | Activation::LeakyRelu)
    }
}

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
    /// `U_l` (`d_{l+1} x N`), `l = 0..L`; `u[L-1]` is the output.
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
}

impl MlpWork {
    /// Buffers for `n` columns. With `tangents = false` only the forward pass is available.
    pub fn new(m: &Mlp, n: usize, tangents: bool) -> Self {
        let s = &m.sizes;
        let l = m.n_layers();
        let z = |r: usize| Mat::zeros(r, n);
        let opt = |r: usize| if tangents { Mat::zeros(r, n) } else { Mat::zeros(0, 0) };
        Self {
            n,
            h: (0..l).map(|i| z(s[i])).collect(),
            u: (0..l).map(|i| z(s[i + 1])).collect(),
            d: (0..l).map(|i| opt(s[i + 1])).collect(),
            gin: opt(s[0]),
            hd: (0..l).map(|i| opt(s[i])).collect(),
            ud: (0..l).map(|i| opt(s[i + 1])).collect(),
            dd: (0..l).map(|i| opt(s[i + 1])).collect(),
            gind: opt(s[0]),
            tmp: (0..l).map(|i| if tangents && !m.act.is_piecewise_linear() { z(s[i + 1]) } else { z(0) }).collect(),
        }
    }
    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.n
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

fn add_bias(mut u: MatMut<'_, f64>, b: &[f64]) {
    for j in 0..u.ncols() {
        for (i, bi) in b.iter().enumerate() {
            u[(i, j)] += *bi;
        }
    }
}

/// Forward pass on `work.h[0]`.
pub fn forward(m: &Mlp, p: &[f64], work: &mut MlpWork) {
    let nl = m.n_layers();
    for l in 0..nl {
        let MlpWork { h, u, .. } = work;
        matmul(u[l].as_mut(), Accum::Replace, m.w(p, l), h[l].as_ref(), 1.0, Par::Seq);
        add_bias(u[l].as_mut(), m.b(p, l));
        if l + 1 < nl {
            let act = m.act;
            let (src, dst) = (&u[l], &mut h[l + 1]);
            for j in 0..src.ncols() {
                let s = src.col_as_slice(j);
                let d = dst.col_as_slice_mut(j);
                for (di, si) in d.iter_mut().zip(s) {
                    *di = act.f(*si);
                }
            }
        }
    }
}

/// Backward pass with output adjoint `e` (`d_L x N`); fills `work.d` and, when `input_grad`,
/// `work.gin`. Requires a forward pass.
pub fn backward(m: &Mlp, p: &[f64], work: &mut MlpWork, e: MatRef<'_, f64>, input_grad: bool) {
    let nl = m.n_layers();
    work.d[nl - 1].copy_from(e);
    for l in (1..nl).rev() {
        let (lo, hi) = work.d.split_at_mut(l);
        matmul(lo[l - 1].as_mut(), Accum::Replace, m.w(p, l).transpose(), hi[0].as_ref(), 1.0, Par::Seq);
        let act = m.act;
        let u = &work.u[l - 1];
        let d = &mut lo[l - 1];
        for j in 0..u.ncols() {
            for (di, ui) in d.col_as_slice_mut(j).iter_mut().zip(u.col_as_slice(j)) {
                *di *= act.df(*ui);
            }
        }
    }
    if input_grad {
        matmul(work.gin.as_mut(), Accum::Replace, m.w(p, 0).transpose(), work.d[0].as_ref(), 1.0, Par::Seq);
    }
}

/// `g += alpha (Delta_l H_l^T, Delta_l 1)` for every layer. Requires a backward pass.
pub fn param_grad(m: &Mlp, work: &MlpWork, g: &mut [f64], alpha: f64) {
    for l in 0..m.n_layers() {
        matmul(m.w_mut(g, l), Accum::Add, work.d[l].as_ref(), work.h[l].transpose(), alpha, Par::Seq);
        add_row_sums(m.b_mut(g, l), work.d[l].as_ref(), alpha);
    }
}

fn add_row_sums(b: &mut [f64], d: MatRef<'_, f64>, alpha: f64) {
    for j in 0..d.ncols() {
        for (i, bi) in b.iter_mut().enumerate() {
            *bi += alpha * d[(i, j)];
        }
    }
}

/// Forward tangent along the parameter direction `dp` (if any) and the input direction
/// `work.hd[0]` (if `input_tangent`; otherwise it is treated as zero). Requires a forward pass.
pub fn forward_tangent(m: &Mlp, p: &[f64], dp: Option<&[f64]>, work: &mut MlpWork, input_tangent: bool) {
    let nl = m.n_layers();
    for l in 0..nl {
        let MlpWork { h, u, hd, ud, .. } = work;
        let mut acc = Accum::Replace;
        if l > 0 || input_tangent {
            matmul(ud[l].as_mut(), acc, m.w(p, l), hd[l].as_ref(), 1.0, Par::Seq);
            acc = Accum::Add;
        }
        if let Some(dp) = dp {
            matmul(ud[l].as_mut(), acc, m.w(dp, l), h[l].as_ref(), 1.0, Par::Seq);
            add_bias(ud[l].as_mut(), m.b(dp, l));
        } else if acc == Accum::Replace {
            ud[l].fill(0.0);
        }
        if l + 1 < nl {
            let act = m.act;
            let (src, t, dst) = (&u[l], &ud[l], &mut hd[l + 1]);
            for j in 0..src.ncols() {
                let s = src.col_as_slice(j);
                let tt = t.col_as_slice(j);
                for ((di, si), ti) in dst.col_as_slice_mut(j).iter_mut().zip(s).zip(tt) {
                    *di = act.df(*si) * *ti;
                }
            }
        }
    }
}

/// Backward tangent along the parameter direction `dp` (if any) and the output-adjoint
/// direction `ed` (if any), consistent with the last [`forward_tangent`] and [`backward`].
/// Fills `work.dd` and, when `input_grad`, `work.gind`.
pub fn backward_tangent(
    m: &Mlp,
    p: &[f64],
    dp: Option<&[f64]>,
    work: &mut MlpWork,
    ed: Option<MatRef<'_, f64>>,
    input_grad: bool,
) {
    let nl = m.n_layers();
    match ed {
        Some(e) => work.dd[nl - 1].copy_from(e),
        None => work.dd[nl - 1].fill(0.0),
    }
    let curved = !m.act.is_piecewise_linear();
    for l in (1..nl).rev() {
        let MlpWork { u, d, ud, dd, tmp, .. } = work;
        let (lo, hi) = dd.split_at_mut(l);
        let t = &mut lo[l - 1];
        matmul(t.as_mut(), Accum::Replace, m.w(p, l).transpose(), hi[0].as_ref(), 1.0, Par::Seq);
        if let Some(dp) = dp {
            matmul(t.as_mut(), Accum::Add, m.w(dp, l).transpose(), d[l].as_ref(), 1.0, Par::Seq);
        }
        let act = m.act;
        let uu = &u[l - 1];
        if curved {
            let g = &mut tmp[l - 1];
            matmul(g.as_mut(), Accum::Replace, m.w(p, l).transpose(), d[l].as_ref(), 1.0, Par::Seq);
            let udl = &ud[l - 1];
            for j in 0..uu.ncols() {
                let us = uu.col_as_slice(j);
                let gs = g.col_as_slice(j);
                let uds = udl.col_as_slice(j);
                for (i, ti) in t.col_as_slice_mut(j).iter_mut().enumerate() {
                    *ti = *ti * act.df(us[i]) + gs[i] * act.d2f(us[i]) * uds[i];
                }
            }
        } else {
            for j in 0..uu.ncols() {
                for (ti, ui) in t.col_as_slice_mut(j).iter_mut().zip(uu.col_as_slice(j)) {
                    *ti *= act.df(*ui);
                }
            }
        }
    }
    if input_grad {
        matmul(work.gind.as_mut(), Accum::Replace, m.w(p, 0).transpose(), work.dd[0].as_ref(), 1.0, Par::Seq);
        if let Some(dp) = dp {
            matmul(work.gind.as_mut(), Accum::Add, m.w(dp, 0).transpose(), work.d[0].as_ref(), 1.0, Par::Seq);
        }
    }
}

/// `g += alpha (dot Delta_l H_l^T + Delta_l dot H_l^T, dot Delta_l 1)`: the tangent of the
/// parameter gradient. `input_tangent` tells whether `work.hd[0]` holds a tangent (else zero).
pub fn param_grad_tangent(m: &Mlp, work: &MlpWork, g: &mut [f64], alpha: f64, input_tangent: bool) {
    for l in 0..m.n_layers() {
        let mut w = m.w_mut(g, l);
        matmul(w.as_mut(), Accum::Add, work.dd[l].as_ref(), work.h[l].transpose(), alpha, Par::Seq);
        if l > 0 || input_tangent {
            matmul(w.as_mut(), Accum::Add, work.d[l].as_ref(), work.hd[l].transpose(), alpha, Par::Seq);
        }
        add_row_sums(m.b_mut(g, l), work.dd[l].as_ref(), alpha);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(act: Activation) -> (Mlp, Vec<f64>) {
        let m = Mlp::new(&[3, 5, 4, 2], act);
        let mut p = vec![0.0; m.n_params()];
        let mut rng = vi_core::rng::seeded(1, 1);
        m.init_orthogonal(&mut p, 1.3, &mut rng);
        for v in p.iter_mut() {
            *v += 0.1 * vi_core::rng::normal(&mut rng);
        }
        (m, p)
    }

    /// phi(p, x) = sum_ij c_ij out_ij (a fixed linear functional of the output).
    fn phi(m: &Mlp, p: &[f64], x: &Mat<f64>, c: &Mat<f64>) -> f64 {
        let mut w = MlpWork::new(m, x.ncols(), false);
        w.h[0].copy_from(x);
        forward(m, p, &mut w);
        let o = w.output();
        (0..o.nrows()).flat_map(|i| (0..o.ncols()).map(move |j| (i, j))).map(|(i, j)| c[(i, j)] * o[(i, j)]).sum()
    }

    #[test]
    fn gradients_and_tangents_match_finite_differences() {
        for act in [Activation::Tanh, Activation::Softplus, Activation::Relu, Activation::LeakyRelu] {
            let (m, p) = net(act);
            let n = 4;
            let mut rng = vi_core::rng::seeded(2, 2);
            let x = Mat::from_fn(3, n, |_, _| vi_core::rng::normal(&mut rng));
            let c = Mat::from_fn(2, n, |_, _| vi_core::rng::normal(&mut rng));
            let dp: Vec<f64> = (0..m.n_params()).map(|_| vi_core::rng::normal(&mut rng)).collect();
            let dx = Mat::from_fn(3, n, |_, _| vi_core::rng::normal(&mut rng));
            let mut w = MlpWork::new(&m, n, true);
            w.h[0].copy_from(&x);
            forward(&m, &p, &mut w);
            backward(&m, &p, &mut w, c.as_ref(), true);
            let mut g = vec![0.0; m.n_params()];
            param_grad(&m, &w, &mut g, 1.0);
            let h = 1e-6;
            // parameter gradient
            for k in (0..m.n_params()).step_by(7) {
                let mut pp = p.clone();
                pp[k] += h;
                let fp = phi(&m, &pp, &x, &c);
                pp[k] -= 2.0 * h;
                let fm = phi(&m, &pp, &x, &c);
                assert!(((fp - fm) / (2.0 * h) - g[k]).abs() < 1e-6, "{act:?} grad {k}");
            }
            // tangent of the parameter gradient along (dp, dx): FD of the gradient
            w.hd[0].copy_from(&dx);
            forward_tangent(&m, &p, Some(&dp), &mut w, true);
            backward_tangent(&m, &p, Some(&dp), &mut w, None, true);
            let mut gt = vec![0.0; m.n_params()];
            param_grad_tangent(&m, &w, &mut gt, 1.0, true);
            let gind = w.gind.clone();
            let grad_at = |eps: f64| {
                let pp: Vec<f64> = p.iter().zip(&dp).map(|(a, b)| a + eps * b).collect();
                let xx = Mat::from_fn(3, n, |i, j| x[(i, j)] + eps * dx[(i, j)]);
                let mut w2 = MlpWork::new(&m, n, true);
                w2.h[0].copy_from(&xx);
                forward(&m, &pp, &mut w2);
                backward(&m, &pp, &mut w2, c.as_ref(), true);
                let mut g2 = vec![0.0; m.n_params()];
                param_grad(&m, &w2, &mut g2, 1.0);
                (g2, w2.gin.clone())
            };
            let (gp, ip) = grad_at(h);
            let (gm, im) = grad_at(-h);
            for k in 0..m.n_params() {
                let fd = (gp[k] - gm[k]) / (2.0 * h);
                assert!((fd - gt[k]).abs() < 1e-5 * (1.0 + fd.abs()), "{act:?} tangent {k}: {fd} vs {}", gt[k]);
            }
            for i in 0..3 {
                for j in 0..n {
                    let fd = (ip[(i, j)] - im[(i, j)]) / (2.0 * h);
                    assert!((fd - gind[(i, j)]).abs() < 1e-5 * (1.0 + fd.abs()), "{act:?} gin tangent");
                }
            }
        }
    }
}
