//! Matrix products with a tiny dimension: at most [`MAX`] rows, inner size or columns.
//!
//! The discriminator `2 -> 128 -> 1` is made of them: its first layer has inner size 2, its
//! output layer one row, its input gradient two rows and its parameter gradients two columns
//! or one row. A general GEMM spends most of such a product on setup and edge handling (faer:
//! 5-9 µs for a 128 x 512 operand, 2-4x one pass over it), so these shapes get loops on pulp,
//! faer's SIMD layer, with runtime CPU dispatch, that read each operand once:
//!
//! - inner size `k <= MAX`: `dst_j = sum_k (alpha b_kj) a_k`, a few axpys per column;
//! - `m <= MAX` rows: `dst_ij = alpha <a_i., b_.j>`, dot products of contiguous rows and columns;
//! - `n <= MAX` columns: `dst_.n += alpha sum_k b_kn a_k`, a few axpys per column of `a`, the
//!   columns of `dst` in registers.
//!
//! [`mm`] takes one of these when the shape and the strides fit, and faer otherwise. With
//! `threads > 1` a large faer product is cut into contiguous column blocks of `dst` (or row
//! blocks, whichever dimension is longer), one sequential faer product per block on rayon's
//! pool. Every entry of `dst` is then the same sum in the same order as on one thread (faer's
//! kernel cuts the inner dimension into blocks of a fixed depth, whatever `m` and `n`), so
//! the result is identical bit for bit for every thread count; a test checks it.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use pulp::Simd;

use super::blocks::{self, Blocks};

/// The largest dimension a thin product is taken for.
pub const MAX: usize = 4;

/// faer's small-product size (`m n k` up to 16^3 take another kernel, which sums in another
/// order): a block of a product cut for threads must stay above it.
pub(super) const FAER_SMALL: usize = 16 * 16 * 16;

/// The fewest multiply-adds a block of a product split across threads gets: ~40 µs on one
/// core, above what waking another worker of the pool costs (10-40 µs measured on a 2-core
/// VM; with 2^16 the default `gan-mixture` call got slower on two threads), and far above
/// faer's small-product path (16^3), which sums in another order.
const MIN_PART: usize = 1 << 21;
/// The narrowest block of a product split across threads.
const MIN_WIDTH: usize = 32;

/// `dst = alpha A B` (`Accum::Replace`) or `dst += alpha A B` (`Accum::Add`), a large product
/// split across up to `threads` threads of rayon's pool.
pub fn mm(dst: MatMut<'_, f64>, accum: Accum, a: MatRef<'_, f64>, b: MatRef<'_, f64>, alpha: f64, threads: usize) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    let col_major = |r: isize, c: isize, rows: usize| r == 1 || (c == 1 && rows <= 1);
    let dst_cm = col_major(dst.row_stride(), dst.col_stride(), dst.nrows());
    let a_cm = a.row_stride() == 1;
    let b_cm = b.row_stride() == 1;
    let add = accum == Accum::Add;
    if m > 0 && n > 0 && k > 0 {
        if k <= MAX && dst_cm && a_cm {
            return pulp::Arch::new().dispatch(Thin { kind: Kind::Inner, dst, add, a, b, alpha });
        }
        if m <= MAX && a.col_stride() == 1 && b_cm {
            return pulp::Arch::new().dispatch(Thin { kind: Kind::Rows, dst, add, a, b, alpha });
        }
        if n <= MAX && dst_cm && a_cm {
            return pulp::Arch::new().dispatch(Thin { kind: Kind::Cols, dst, add, a, b, alpha });
        }
        if m <= MAX && b.col_stride() == 1 && col_major(dst.col_stride(), dst.row_stride(), dst.ncols()) {
            // B^T is column-major: the transpose dst^T = B^T A^T has few columns.
            let (dst, a, b) = (dst.transpose_mut(), b.transpose(), a.transpose());
            return pulp::Arch::new().dispatch(Thin { kind: Kind::Cols, dst, add, a, b, alpha });
        }
    }
    let macs = m.saturating_mul(n).saturating_mul(k);
    let parts = blocks::parts(threads, m.max(n), MIN_WIDTH).min(macs / MIN_PART).max(1);
    blocks::run(Product { dst, accum, a, b, alpha }, parts);
}

/// `dst (+)= alpha A B` by faer on one thread, cut along the longer dimension of `dst`.
struct Product<'a> {
    dst: MatMut<'a, f64>,
    accum: Accum,
    a: MatRef<'a, f64>,
    b: MatRef<'a, f64>,
    alpha: f64,
}

impl Blocks for Product<'_> {
    fn len(&self) -> usize {
        self.dst.ncols().max(self.dst.nrows())
    }
    fn split(self, at: usize) -> (Self, Self) {
        let Product { dst, accum, a, b, alpha } = self;
        if dst.ncols() >= dst.nrows() {
            let (d0, d1) = dst.split_at_col_mut(at);
            let (b0, b1) = b.split_at_col(at);
            (Product { dst: d0, accum, a, b: b0, alpha }, Product { dst: d1, accum, a, b: b1, alpha })
        } else {
            let (d0, d1) = dst.split_at_row_mut(at);
            let (a0, a1) = a.split_at_row(at);
            (Product { dst: d0, accum, a: a0, b, alpha }, Product { dst: d1, accum, a: a1, b, alpha })
        }
    }
    fn run(self) {
        matmul(self.dst, self.accum, self.a, self.b, self.alpha, Par::Seq);
    }
}

/// A column of a column-major matrix as a slice.
#[inline(always)]
pub(super) fn col(m: MatRef<'_, f64>, j: usize) -> &[f64] {
    m.col(j).try_as_col_major().expect("unit row stride").as_slice()
}

/// A column of a column-major view as a slice.
#[inline(always)]
pub(super) fn col_mut(m: MatMut<'_, f64>, j: usize) -> &mut [f64] {
    m.col_mut(j).try_as_col_major_mut().expect("unit row stride").as_slice_mut()
}

/// Which dimension of a [`Thin`] product is small.
#[derive(Clone, Copy)]
enum Kind {
    /// Inner size `k <= MAX`: each column of `dst` is `alpha` times `k` columns of `a` combined.
    Inner,
    /// At most `MAX` rows: each entry of `dst` is a dot product of a row of `a` (contiguous)
    /// and a column of `b` (contiguous).
    Rows,
    /// At most `MAX` columns: `dst_.c (+)= alpha sum_l b_lc a_.l` over the columns `a_.l` of
    /// `a`, in blocks of [`ROWS`] vectors of rows whose sums stay in registers.
    Cols,
}

/// `dst (+)= alpha A B` with one small dimension.
struct Thin<'a> {
    kind: Kind,
    dst: MatMut<'a, f64>,
    add: bool,
    a: MatRef<'a, f64>,
    b: MatRef<'a, f64>,
    alpha: f64,
}

impl pulp::WithSimd for Thin<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        match self.kind {
            Kind::Inner => small_inner(simd, self),
            Kind::Rows => small_rows(simd, self),
            Kind::Cols => small_cols(simd, self),
        }
    }
}

#[inline(always)]
fn small_inner<S: Simd>(simd: S, t: Thin<'_>) {
    let Thin { mut dst, add, a, b, alpha, .. } = t;
    let k = a.ncols();
    let acols: [&[f64]; MAX] = std::array::from_fn(|l| if l < k { col(a, l) } else { &[] });
    for j in 0..dst.ncols() {
        let c: [f64; MAX] = std::array::from_fn(|l| if l < k { alpha * b[(l, j)] } else { 0.0 });
        affine(simd, &acols[..k], &c[..k], add, col_mut(dst.as_mut(), j));
    }
}

/// `out = sum_l x_l w_l` (`add`: `out += ...`) for at most [`MAX`] columns `w_l`.
#[inline(always)]
pub(super) fn affine<S: Simd>(simd: S, w: &[&[f64]], x: &[f64], add: bool, out: &mut [f64]) {
    match w.len() {
        0 => affine_k::<S, 0>(simd, w, x, add, out),
        1 => affine_k::<S, 1>(simd, w, x, add, out),
        2 => affine_k::<S, 2>(simd, w, x, add, out),
        3 => affine_k::<S, 3>(simd, w, x, add, out),
        _ => affine_k::<S, 4>(simd, w, x, add, out),
    }
}

/// [`affine`] with `K` columns, unrolled.
#[inline(always)]
fn affine_k<S: Simd, const K: usize>(simd: S, w: &[&[f64]], x: &[f64], add: bool, out: &mut [f64]) {
    let len = out.len();
    let (ov, ot) = S::as_mut_simd_f64s(out);
    let n = ov.len();
    let wv: [&[S::f64s]; K] = std::array::from_fn(|l| &S::as_simd_f64s(w[l]).0[..n]);
    let zero = simd.splat_f64s(0.0);
    // A loop, not `array::from_fn`: a closure is not compiled with the SIMD target features
    // unless it is inlined.
    let mut xv = [zero; K];
    for l in 0..K {
        xv[l] = simd.splat_f64s(x[l]);
    }
    for (v, o) in ov.iter_mut().enumerate() {
        let mut acc = if add { *o } else { zero };
        for l in 0..K {
            acc = simd.mul_add_e_f64s(wv[l][v], xv[l], acc);
        }
        *o = acc;
    }
    let t0 = len - ot.len();
    for (i, o) in ot.iter_mut().enumerate() {
        let mut acc = if add { *o } else { 0.0 };
        for l in 0..K {
            acc = w[l][t0 + i].mul_add(x[l], acc);
        }
        *o = acc;
    }
}

#[inline(always)]
fn small_rows<S: Simd>(simd: S, t: Thin<'_>) {
    let Thin { mut dst, add, a, b, alpha, .. } = t;
    let m = a.nrows();
    let rows: [&[f64]; MAX] = std::array::from_fn(|i| {
        if i < m {
            a.row(i).try_as_row_major().expect("unit column stride").as_slice()
        } else {
            &[]
        }
    });
    for j in 0..b.ncols() {
        let bj = col(b, j);
        for (i, row) in rows.iter().enumerate().take(m) {
            let s = alpha * dot(simd, row, bj);
            let d = &mut dst[(i, j)];
            *d = if add { *d + s } else { s };
        }
    }
}

/// `<x, y>` with four accumulators (the fused multiply-add latency hidden).
#[inline(always)]
pub(super) fn dot<S: Simd>(simd: S, x: &[f64], y: &[f64]) -> f64 {
    let (xv, xt) = S::as_simd_f64s(x);
    let (yv, yt) = S::as_simd_f64s(y);
    let (x4, x1) = pulp::as_arrays::<4, _>(xv);
    let (y4, y1) = pulp::as_arrays::<4, _>(yv);
    let zero = simd.splat_f64s(0.0);
    let mut acc = [zero; 4];
    for (x, y) in x4.iter().zip(y4) {
        for l in 0..4 {
            acc[l] = simd.mul_add_e_f64s(x[l], y[l], acc[l]);
        }
    }
    for (x, y) in x1.iter().zip(y1) {
        acc[0] = simd.mul_add_e_f64s(*x, *y, acc[0]);
    }
    let acc = simd.add_f64s(simd.add_f64s(acc[0], acc[1]), simd.add_f64s(acc[2], acc[3]));
    let mut s = simd.reduce_sum_f64s(acc);
    for (x, y) in xt.iter().zip(yt) {
        s = x.mul_add(*y, s);
    }
    s
}

/// Vectors of rows per block of [`Kind::Cols`]: with up to `MAX` columns, `ROWS * MAX`
/// independent sums hide the fused multiply-add latency.
const ROWS: usize = 4;

#[inline(always)]
fn small_cols<S: Simd>(simd: S, t: Thin<'_>) {
    let Thin { mut dst, add, a, b, alpha, .. } = t;
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    let lanes = size_of::<S::f64s>() / size_of::<f64>();
    let zero = simd.splat_f64s(0.0);
    let mut i0 = 0;
    // Blocks of ROWS full vectors, then single vectors; the scalar rows last.
    while i0 < m {
        let width = if m - i0 >= ROWS * lanes {
            ROWS
        } else if m - i0 >= lanes {
            1
        } else {
            0
        };
        if width == 0 {
            for i in i0..m {
                for c in 0..n {
                    let mut s = 0.0;
                    for l in 0..k {
                        s = a[(i, l)].mul_add(b[(l, c)], s);
                    }
                    let d = &mut dst[(i, c)];
                    *d = if add { alpha.mul_add(s, *d) } else { alpha * s };
                }
            }
            break;
        }
        let mut acc = [[zero; ROWS]; MAX];
        for l in 0..k {
            let al = S::as_simd_f64s(&col(a, l)[i0..i0 + width * lanes]).0;
            for c in 0..n {
                let bv = simd.splat_f64s(b[(l, c)]);
                for r in 0..width {
                    acc[c][r] = simd.mul_add_e_f64s(al[r], bv, acc[c][r]);
                }
            }
        }
        let av = simd.splat_f64s(alpha);
        for (c, acc) in acc.iter().enumerate().take(n) {
            let d = S::as_mut_simd_f64s(&mut col_mut(dst.as_mut(), c)[i0..i0 + width * lanes]).0;
            for r in 0..width {
                d[r] = if add { simd.mul_add_e_f64s(acc[r], av, d[r]) } else { simd.mul_f64s(acc[r], av) };
            }
        }
        i0 += width * lanes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    fn naive(dst: &Mat<f64>, add: bool, a: MatRef<'_, f64>, b: MatRef<'_, f64>, alpha: f64) -> Mat<f64> {
        Mat::from_fn(dst.nrows(), dst.ncols(), |i, j| {
            let s: f64 = (0..a.ncols()).map(|l| a[(i, l)] * b[(l, j)]).sum();
            if add {
                dst[(i, j)] + alpha * s
            } else {
                alpha * s
            }
        })
    }

    /// Every thin case (and the faer fallback) against the definition, for operands given
    /// as faer matrices, as tightly packed column-major slices (the layers' `W` views), and as
    /// transposes, into both kinds of destination, with both accumulations and sizes around the
    /// vector width.
    #[test]
    fn thin_products_match_the_definition() {
        let f = |i: usize, j: usize, s: usize| ((i * 7 + j * 13 + s) % 17) as f64 * 0.25 - 2.0;
        let tight = |r: usize, c: usize, s: usize| -> Vec<f64> { (0..r * c).map(|x| f(x % r, x / r, s)).collect() };
        let dims = [1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 33, 130];
        let mut checked = 0;
        for &m in &dims {
            for &k in &dims {
                for &n in &dims {
                    if m > MAX && k > MAX && n > MAX {
                        continue;
                    }
                    let a = Mat::from_fn(m, k, |i, j| f(i, j, 1));
                    let a_t = tight(m, k, 1);
                    let at = Mat::from_fn(k, m, |i, j| f(j, i, 1));
                    let b = Mat::from_fn(k, n, |i, j| f(i, j, 2));
                    let b_t = tight(k, n, 2);
                    let bt = Mat::from_fn(n, k, |i, j| f(j, i, 2));
                    let a_views = [a.as_ref(), MatRef::from_column_major_slice(&a_t, m, k), at.transpose()];
                    let b_views = [b.as_ref(), MatRef::from_column_major_slice(&b_t, k, n), bt.transpose()];
                    for aa in a_views {
                        for bb in b_views {
                            for (add, tight_dst) in [(false, false), (true, false), (false, true), (true, true)] {
                                let mut dst = Mat::from_fn(m, n, |i, j| f(i, j, 3));
                                let want = naive(&dst, add, aa, bb, -0.5);
                                let accum = if add { Accum::Add } else { Accum::Replace };
                                let mut dst_t = tight(m, n, 3);
                                if tight_dst {
                                    mm(MatMut::from_column_major_slice_mut(&mut dst_t, m, n), accum, aa, bb, -0.5, 1);
                                    dst = Mat::from_fn(m, n, |i, j| dst_t[i + j * m]);
                                } else {
                                    mm(dst.as_mut(), accum, aa, bb, -0.5, 1);
                                }
                                for i in 0..m {
                                    for j in 0..n {
                                        let (g, w) = (dst[(i, j)], want[(i, j)]);
                                        assert!(
                                            (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
                                            "{m}x{k}x{n} {add} {tight_dst}: {g} vs {w}"
                                        );
                                    }
                                }
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 20000);
    }

    /// A product split across threads equals the one-thread product bit for bit: the layer
    /// shapes of `gan-mixture` (forward, input adjoint, parameter gradient; transposed operands
    /// as the layers pass them), odd sizes, inner sizes past faer's depth block (512), both
    /// accumulations, 2 to 5 threads inside a pool of 3 workers (so that blocks also queue).
    #[test]
    fn split_products_are_bit_identical_to_one_thread() {
        let f = |i: usize, j: usize, s: usize| (((i * 7919 + j * 104_729 + s * 31) % 1009) as f64 - 504.0) / 97.0;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let shapes = [(128, 128, 256), (128, 16, 256), (128, 256, 128), (33, 700, 301), (517, 65, 129), (96, 1100, 80)];
        let mut split = 0;
        for (m, k, n) in shapes {
            for (ta, tb) in [(false, false), (true, false), (false, true)] {
                let a = if ta { Mat::from_fn(k, m, |i, j| f(i, j, 1)) } else { Mat::from_fn(m, k, |i, j| f(i, j, 1)) };
                let b = if tb { Mat::from_fn(n, k, |i, j| f(i, j, 2)) } else { Mat::from_fn(k, n, |i, j| f(i, j, 2)) };
                let (a, b) = (if ta { a.transpose() } else { a.as_ref() }, if tb { b.transpose() } else { b.as_ref() });
                for accum in [Accum::Replace, Accum::Add] {
                    let mut one = Mat::from_fn(m, n, |i, j| f(i, j, 3));
                    mm(one.as_mut(), accum, a, b, -0.75, 1);
                    for threads in 2..=5 {
                        let mut many = Mat::from_fn(m, n, |i, j| f(i, j, 3));
                        pool.install(|| mm(many.as_mut(), accum, a, b, -0.75, threads));
                        assert!(one == many, "{m}x{k}x{n} ta={ta} tb={tb} {accum:?}, {threads} threads");
                        split += usize::from(m.max(n) / MIN_WIDTH >= 2 && m * n * k / MIN_PART >= 2);
                    }
                }
            }
        }
        assert!(split >= 100, "only {split} products were split");
    }
}
