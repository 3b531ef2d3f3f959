//! `(A y, A^T x)` in one sweep over a dense column-major `A` (the bilinear games' oracle).
//!
//! Column `j` of `A` gives one dot product (`(A^T x)_j = <A_j, x>`) and one axpy
//! (`A y += y_j A_j`), so every entry of `A` is read once per evaluation instead of twice by two
//! matrix-vector products: half the memory traffic, which is what bounds this kernel (`A` of
//! 1000 x 1000 is 8 MB, L3-resident). The inner loop runs on pulp, faer's SIMD layer, with
//! runtime CPU dispatch (AVX2/FMA or AVX-512 where available).
//!
//! Rows are cut into blocks of [`BLOCK`] rows; each block yields a partial `A^T x` and the
//! partials are summed in block order. The blocking does not depend on the thread count, so
//! results are the same bit for bit with 1 or many threads. With `threads > 1` the blocks are
//! shared out among that many rayon tasks on the current pool (as faer's `Par::rayon` does).

use faer::MatRef;
use pulp::Simd;
use rayon::prelude::*;

/// Rows per block.
pub const BLOCK: usize = 256;

/// Length of the workspace [`matvec_pair`] needs for an `m x n` matrix.
pub fn workspace_len(m: usize, n: usize) -> usize {
    m.div_ceil(BLOCK) * n
}

/// `ox <- A y` and `oy <- A^T x` in one sweep over `A` (`m x n`, unit row stride), using
/// `partial` (length [`workspace_len`]) as scratch. No allocation on one thread.
///
/// # Panics
/// If the lengths do not fit `A` or `A` has a row stride other than 1.
pub fn matvec_pair(
    a: MatRef<'_, f64>,
    x: &[f64],
    y: &[f64],
    ox: &mut [f64],
    oy: &mut [f64],
    partial: &mut [f64],
    threads: usize,
) {
    let (m, n) = (a.nrows(), a.ncols());
    assert!(x.len() == m && ox.len() == m && y.len() == n && oy.len() == n);
    assert_eq!(partial.len(), workspace_len(m, n));
    assert!(m == 0 || a.row_stride() == 1, "matvec_pair needs a column-major matrix");
    if m == 0 || n == 0 {
        ox.fill(0.0);
        oy.fill(0.0);
        return;
    }
    let blocks = m.div_ceil(BLOCK);
    let tasks = threads.clamp(1, blocks);
    if tasks == 1 {
        pulp::Arch::new().dispatch(Blocks { a, x, y, ox, partial, row0: 0 });
    } else {
        let per_task = blocks.div_ceil(tasks);
        ox.par_chunks_mut(per_task * BLOCK).zip(partial.par_chunks_mut(per_task * n)).enumerate().for_each(
            |(t, (ox, partial))| {
                let row0 = t * per_task * BLOCK;
                pulp::Arch::new().dispatch(Blocks { a, x, y, ox, partial, row0 });
            },
        );
    }
    // oy_j = sum over blocks, in block order.
    oy.copy_from_slice(&partial[..n]);
    for p in partial[n..].chunks_exact(n) {
        for (o, p) in oy.iter_mut().zip(p) {
            *o += *p;
        }
    }
}

/// Consecutive row blocks starting at `row0`: `ox` covers their rows, `partial` holds one
/// length-`n` partial `A^T x` per block.
struct Blocks<'a> {
    a: MatRef<'a, f64>,
    x: &'a [f64],
    y: &'a [f64],
    ox: &'a mut [f64],
    partial: &'a mut [f64],
    row0: usize,
}

impl pulp::WithSimd for Blocks<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Blocks { a, x, y, ox, partial, row0 } = self;
        let n = a.ncols();
        for (b, (ox, partial)) in ox.chunks_mut(BLOCK).zip(partial.chunks_exact_mut(n)).enumerate() {
            let r0 = row0 + b * BLOCK;
            let rows = r0..r0 + ox.len();
            ox.fill(0.0);
            for (j, p) in partial.iter_mut().enumerate() {
                let col = a.col(j).try_as_col_major().expect("unit row stride").as_slice();
                *p = dot_axpy(simd, &col[rows.clone()], &x[rows.clone()], ox, y[j]);
            }
        }
    }
}

/// Returns `<a, x>` and does `o += yj a`, reading `a` once.
#[inline(always)]
fn dot_axpy<S: Simd>(simd: S, a: &[f64], x: &[f64], o: &mut [f64], yj: f64) -> f64 {
    let (av, at) = S::as_simd_f64s(a);
    let (xv, xt) = S::as_simd_f64s(x);
    let (ov, ot) = S::as_mut_simd_f64s(o);
    let yv = simd.splat_f64s(yj);
    // Four accumulators hide the latency of the fused multiply-adds of the dot product.
    let (a4, a1) = pulp::as_arrays::<4, _>(av);
    let (x4, x1) = pulp::as_arrays::<4, _>(xv);
    let (o4, o1) = pulp::as_arrays_mut::<4, _>(ov);
    let zero = simd.splat_f64s(0.0);
    let mut acc = [zero; 4];
    for ((a, x), o) in a4.iter().zip(x4).zip(o4) {
        for k in 0..4 {
            acc[k] = simd.mul_add_e_f64s(a[k], x[k], acc[k]);
            o[k] = simd.mul_add_e_f64s(a[k], yv, o[k]);
        }
    }
    for ((a, x), o) in a1.iter().zip(x1).zip(o1) {
        acc[0] = simd.mul_add_e_f64s(*a, *x, acc[0]);
        *o = simd.mul_add_e_f64s(*a, yv, *o);
    }
    let acc = simd.add_f64s(simd.add_f64s(acc[0], acc[1]), simd.add_f64s(acc[2], acc[3]));
    let mut s = simd.reduce_sum_f64s(acc);
    for ((a, x), o) in at.iter().zip(xt).zip(ot) {
        s = a.mul_add(*x, s);
        *o = a.mul_add(yj, *o);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    #[test]
    fn matches_two_products_for_every_shape_and_thread_count() {
        for (m, n) in [(1, 1), (3, 5), (257, 4), (600, 301), (1000, 7)] {
            let a = Mat::from_fn(m, n, |i, j| ((i * 7 + j * 13) % 17) as f64 - 8.0 + 0.25 * (i as f64).sin());
            let x: Vec<f64> = (0..m).map(|i| (i as f64 * 0.37).cos()).collect();
            let y: Vec<f64> = (0..n).map(|j| (j as f64 * 0.11).sin() - 0.3).collect();
            let mut want_x = vec![0.0; m];
            let mut want_y = vec![0.0; n];
            for j in 0..n {
                for i in 0..m {
                    want_x[i] += a[(i, j)] * y[j];
                    want_y[j] += a[(i, j)] * x[i];
                }
            }
            let mut first: Option<(Vec<f64>, Vec<f64>)> = None;
            for threads in [1, 2, 3, 8] {
                let (mut ox, mut oy) = (vec![f64::NAN; m], vec![f64::NAN; n]);
                let mut partial = vec![0.0; workspace_len(m, n)];
                matvec_pair(a.as_ref(), &x, &y, &mut ox, &mut oy, &mut partial, threads);
                for (got, want) in ox.iter().zip(&want_x).chain(oy.iter().zip(&want_y)) {
                    assert!((got - want).abs() <= 1e-11 * (1.0 + want.abs()), "{m}x{n}: {got} vs {want}");
                }
                // Bit for bit the same whatever the thread count.
                match &first {
                    None => first = Some((ox, oy)),
                    Some((fx, fy)) => assert!(fx == &ox && fy == &oy, "{m}x{n}, {threads} threads"),
                }
            }
        }
    }
}
