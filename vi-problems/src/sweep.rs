//! `(A y, A^T x)` in one sweep over a dense column-major `A` (the bilinear games' oracle).
//!
//! Column `j` of `A` gives one dot product (`(A^T x)_j = <A_j, x>`) and one axpy
//! (`A y += y_j A_j`), so every entry of `A` is read once per evaluation instead of twice by two
//! matrix-vector products: half the memory traffic, which is what bounds this kernel (`A` of
//! 1000 x 1000 is 8 MB, L3-resident). The inner loop runs on pulp, faer's SIMD layer, with
//! runtime CPU dispatch (AVX-512 where available, else AVX2/FMA), on groups of four columns
//! (two with AVX2's 16 registers): `x` and the partial `A y` are loaded, and the partial
//! stored, once per group, each column keeping its own four accumulators, so that a group sums
//! in the same order as columns taken one at a time.
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
        // Columns swept together: `x` and the partial are loaded and the partial stored once
        // per group instead of once per column (on one core the kernel is bound by L1 loads and
        // stores, not by the read of `A`). Four with 32 vector registers, two with 16.
        if S::F64_LANES >= 8 {
            self.sweep::<4, S>(simd);
        } else {
            self.sweep::<2, S>(simd);
        }
    }
}

impl Blocks<'_> {
    #[inline(always)]
    fn sweep<const C: usize, S: Simd>(self, simd: S) {
        let Blocks { a, x, y, oy, partial, col0 } = self;
        let m = a.nrows();
        let col = |j: usize| a.col(j).try_as_col_major().expect("unit row stride").as_slice();
        for (b, (oy, p)) in oy.chunks_mut(BLOCK).zip(partial.chunks_exact_mut(m)).enumerate() {
            let j0 = col0 + b * BLOCK;
            p.fill(0.0);
            let (groups, rest) = oy.as_chunks_mut::<C>();
            for (g, o) in groups.iter_mut().enumerate() {
                let j = j0 + g * C;
                let mut cols: [&[f64]; C] = [&[]; C];
                let mut yj = [0.0; C];
                for c in 0..C {
                    cols[c] = col(j + c);
                    yj[c] = y[j + c];
                }
                *o = dot_axpy(simd, cols, x, p, yj);
            }
            let j = j0 + groups.len() * C;
            for (k, o) in rest.iter_mut().enumerate() {
                *o = dot_axpy(simd, [col(j + k)], x, p, [y[j + k]])[0];
            }
        }
    }
}

/// Returns `<a_c, x>` for each of the `C` columns `a_c` and does `o += y_c a_c` for
/// `c = 0, 1, ...` in turn, reading each column once. Every entry of `o` and every dot product
/// is summed in the same order whatever `C` (so the grouping does not change the result).
#[inline(always)]
fn dot_axpy<const C: usize, S: Simd>(simd: S, a: [&[f64]; C], x: &[f64], o: &mut [f64], yj: [f64; C]) -> [f64; C] {
    let (xv, xt) = S::as_simd_f64s(x);
    let (ov, ot) = S::as_mut_simd_f64s(o);
    let (x4, x1) = pulp::as_arrays::<4, _>(xv);
    let (o4, o1) = pulp::as_arrays_mut::<4, _>(ov);
    let zero = simd.splat_f64s(0.0);
    let mut yv = [zero; C];
    let mut av = [&[][..]; C];
    for c in 0..C {
        yv[c] = simd.splat_f64s(yj[c]);
        av[c] = S::as_simd_f64s(a[c]).0;
    }
    // Four accumulators per column hide the latency of the fused multiply-adds of the dots.
    let mut acc = [[zero; 4]; C];
    for (i, (x, o)) in x4.iter().zip(o4.iter_mut()).enumerate() {
        let x = *x;
        let mut ok = *o;
        for c in 0..C {
            let a: &[S::f64s; 4] = av[c][4 * i..4 * i + 4].try_into().unwrap();
            for k in 0..4 {
                acc[c][k] = simd.mul_add_e_f64s(a[k], x[k], acc[c][k]);
                ok[k] = simd.mul_add_e_f64s(a[k], yv[c], ok[k]);
            }
        }
        *o = ok;
    }
    let v0 = 4 * x4.len();
    for (i, (x, o)) in x1.iter().zip(o1.iter_mut()).enumerate() {
        for c in 0..C {
            let a = av[c][v0 + i];
            acc[c][0] = simd.mul_add_e_f64s(a, *x, acc[c][0]);
            *o = simd.mul_add_e_f64s(a, yv[c], *o);
        }
    }
    let mut s = [0.0; C];
    for c in 0..C {
        let [a0, a1, a2, a3] = acc[c];
        s[c] = simd.reduce_sum_f64s(simd.add_f64s(simd.add_f64s(a0, a1), simd.add_f64s(a2, a3)));
    }
    let t0 = x.len() - xt.len();
    for (i, (x, o)) in xt.iter().zip(ot).enumerate() {
        for c in 0..C {
            let a = a[c][t0 + i];
            s[c] = a.mul_add(*x, s[c]);
            *o = a.mul_add(yj[c], *o);
        }
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
    /// The column grouping changes no bit, on every instruction set this CPU has.
    #[test]
    fn column_groups_sum_in_the_same_order() {
        fn sweep<const C: usize, S: Simd>(simd: S, a: MatRef<'_, f64>, x: &[f64], y: &[f64]) -> Vec<f64> {
            let (m, n) = (a.nrows(), a.ncols());
            let mut oy = vec![f64::NAN; n];
            let mut partial = vec![f64::NAN; workspace_len(m, n)];
            Blocks { a, x, y, oy: &mut oy, partial: &mut partial, col0: 0 }.sweep::<C, S>(simd);
            oy.extend_from_slice(&partial);
            oy
        }
        fn all<S: Simd>(simd: S, a: MatRef<'_, f64>, x: &[f64], y: &[f64]) {
            let one = sweep::<1, S>(simd, a, x, y);
            assert!(one.iter().all(|v| v.is_finite()));
            assert_eq!(one, sweep::<2, S>(simd, a, x, y), "{}x{}", a.nrows(), a.ncols());
            assert_eq!(one, sweep::<4, S>(simd, a, x, y), "{}x{}", a.nrows(), a.ncols());
        }
        for (m, n) in [(1, 1), (3, 5), (37, 11), (64, 6), (300, 515), (1003, 9)] {
            let a = Mat::from_fn(m, n, |i, j| ((i * 5 + j * 11) % 13) as f64 * 0.3 - (j as f64).cos());
            let x: Vec<f64> = (0..m).map(|i| (i as f64 * 0.71).sin()).collect();
            let y: Vec<f64> = (0..n).map(|j| 1.0 / (1.0 + j as f64)).collect();
            all(pulp::Scalar::new(), a.as_ref(), &x, &y);
            #[cfg(target_arch = "x86_64")]
            {
                if let Some(v3) = pulp::x86::V3::try_new() {
                    all(v3, a.as_ref(), &x, &y);
                }
                if let Some(v4) = pulp::x86::V4::try_new() {
                    all(v4, a.as_ref(), &x, &y);
                }
            }
        }
    }
}
