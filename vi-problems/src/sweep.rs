//! `(A y, A^T x)` in one sweep over a dense column-major `A` (the bilinear games' oracle).
//!
//! Column `j` of `A` gives one dot product (`(A^T x)_j = <A_j, x>`) and one axpy
//! (`A y += y_j A_j`), so every entry of `A` is read once per evaluation instead of twice by two
//! matrix-vector products: half the memory traffic, which is what bounds this kernel (`A` of
//! 1000 x 1000 is 8 MB, L3-resident). The inner loop runs on pulp, faer's SIMD layer, with
//! runtime CPU dispatch (AVX-512 where available, else AVX2/FMA).
//!
//! Columns are cut into blocks of [`BLOCK`] columns, swept in memory order (whole columns one
//! after the other: one linear stream for the hardware prefetcher, with `x` and the block's
//! partial `A y` in L1 for up to a few thousand rows). Each block yields a partial `A y`, and
//! the partials are summed in block order. The blocking does not depend on the thread count,
//! so results are the same bit for bit with 1 or many threads. With `threads > 1` the blocks are
//! shared out among that many rayon tasks on the current pool (as faer's `Par::rayon` does),
//! each task reading one contiguous part of `A`.

use faer::MatRef;
use pulp::Simd;
use rayon::prelude::*;

/// Columns per block.
pub const BLOCK: usize = 256;

/// Length of the workspace [`matvec_pair`] needs for an `m x n` matrix.
pub fn workspace_len(m: usize, n: usize) -> usize {
    n.div_ceil(BLOCK) * m
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
    let blocks = n.div_ceil(BLOCK);
    let tasks = threads.clamp(1, blocks);
    if tasks == 1 {
        pulp::Arch::new().dispatch(Blocks { a, x, y, oy, partial, col0: 0 });
    } else {
        let per_task = blocks.div_ceil(tasks);
        oy.par_chunks_mut(per_task * BLOCK).zip(partial.par_chunks_mut(per_task * m)).enumerate().for_each(
            |(t, (oy, partial))| {
                let col0 = t * per_task * BLOCK;
                pulp::Arch::new().dispatch(Blocks { a, x, y, oy, partial, col0 });
            },
        );
    }
    // ox = sum over blocks, in block order.
    ox.copy_from_slice(&partial[..m]);
    for p in partial[m..].chunks_exact(m) {
        for (o, p) in ox.iter_mut().zip(p) {
            *o += *p;
        }
    }
}

/// Consecutive column blocks starting at column `col0`: `oy` covers their columns, `partial`
/// holds one length-`m` partial `A y` per block.
struct Blocks<'a> {
    a: MatRef<'a, f64>,
    x: &'a [f64],
    y: &'a [f64],
    oy: &'a mut [f64],
    partial: &'a mut [f64],
    col0: usize,
}

impl pulp::WithSimd for Blocks<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Blocks { a, x, y, oy, partial, col0 } = self;
        let m = a.nrows();
        for (b, (oy, p)) in oy.chunks_mut(BLOCK).zip(partial.chunks_exact_mut(m)).enumerate() {
            let j0 = col0 + b * BLOCK;
            p.fill(0.0);
            for (k, o) in oy.iter_mut().enumerate() {
                let col = a.col(j0 + k).try_as_col_major().expect("unit row stride").as_slice();
                *o = dot_axpy(simd, col, x, p, y[j0 + k]);
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
        for (m, n) in [(1, 1), (3, 5), (257, 4), (600, 301), (1000, 7), (7, 1000), (300, 769)] {
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
