//! Small allocation-free vector kernels on faer column views, shared by solvers and problems.
//!
//! Every function writes into a caller-owned [`ColMut`]; none allocates. They are named after
//! their formulas so that update rules read like the mathematics.

use faer::prelude::ReborrowMut;
use faer::{unzip, zip, ColMut, ColRef};

// Each kernel runs on plain slices when the columns are contiguous (the usual case: owned
// `Col`s and their sub-ranges) and falls back to `faer::zip!` on strided views. On slices a
// length-2 call is a few scalar instructions (no layout dispatch) and long columns are
// auto-vectorised. Reductions accumulate left to right on both paths, so a result does not
// depend on the layout.

/// `x` as a slice when it is contiguous.
#[inline]
pub fn slice(x: ColRef<'_, f64>) -> Option<&[f64]> {
    x.try_as_col_major().map(|x| x.as_slice())
}

/// `x` as a mutable slice when it is contiguous.
#[inline]
pub fn slice_mut(x: ColMut<'_, f64>) -> Option<&mut [f64]> {
    x.try_as_col_major_mut().map(|x| x.as_slice_mut())
}

/// Length-2 views (the tiny games: Dirac-GAN, `x y`), for straight-line code without a loop.
#[inline(always)]
fn two(x: &[f64]) -> Option<&[f64; 2]> {
    x.try_into().ok()
}

#[inline(always)]
fn two_mut(x: &mut [f64]) -> Option<&mut [f64; 2]> {
    x.try_into().ok()
}

/// The entries of a contiguous length-2 column, read as [`load2`] does.
#[inline(always)]
pub fn pair(x: ColRef<'_, f64>) -> Option<[f64; 2]> {
    slice(x).and_then(two).map(load2)
}

/// The two entries of a length-2 vector as two 8-byte loads. A solver usually has just written
/// them with two 8-byte stores, and one 16-byte load of two separate stores cannot be
/// store-forwarded on x86 (the load waits for both stores to reach the cache, ~15 cycles, a
/// third of a Dirac-GAN iteration); volatile reads keep the compiler from merging them.
#[inline(always)]
#[allow(unsafe_code)]
pub fn load2(x: &[f64; 2]) -> [f64; 2] {
    // SAFETY: both pointers come from a valid reference to initialised `f64`s.
    unsafe { [std::ptr::read_volatile(&raw const x[0]), std::ptr::read_volatile(&raw const x[1])] }
}

/// `y <- y + alpha * x`.
#[inline(always)]
pub fn axpy(alpha: f64, x: ColRef<'_, f64>, mut y: ColMut<'_, f64>) {
    if let (Some(x), Some(y)) = (pair(x), slice_mut(y.rb_mut()).and_then(two_mut)) {
        y[0] += alpha * x[0];
        y[1] += alpha * x[1];
        return;
    }
    axpy_any(alpha, x, y);
}

#[inline(always)]
fn axpy_any(alpha: f64, x: ColRef<'_, f64>, mut y: ColMut<'_, f64>) {
    if let (Some(x), Some(y)) = (slice(x), slice_mut(y.rb_mut())) {
        assert_eq!(x.len(), y.len());
        for (y, x) in y.iter_mut().zip(x) {
            *y += alpha * *x;
        }
        return;
    }
    zip!(y, x).for_each(|unzip!(y, x)| *y += alpha * *x);
}

/// `out <- x + alpha * y`.
#[inline(always)]
pub fn add_scaled(mut out: ColMut<'_, f64>, x: ColRef<'_, f64>, alpha: f64, y: ColRef<'_, f64>) {
    if let (Some(o), Some(x), Some(y)) = (slice_mut(out.rb_mut()).and_then(two_mut), pair(x), pair(y)) {
        o[0] = x[0] + alpha * y[0];
        o[1] = x[1] + alpha * y[1];
        return;
    }
    add_scaled_any(out, x, alpha, y);
}

#[inline(always)]
fn add_scaled_any(mut out: ColMut<'_, f64>, x: ColRef<'_, f64>, alpha: f64, y: ColRef<'_, f64>) {
    if let (Some(o), Some(x), Some(y)) = (slice_mut(out.rb_mut()), slice(x), slice(y)) {
        assert!(o.len() == x.len() && o.len() == y.len());
        for ((o, x), y) in o.iter_mut().zip(x).zip(y) {
            *o = *x + alpha * *y;
        }
        return;
    }
    zip!(out, x, y).for_each(|unzip!(o, x, y)| *o = *x + alpha * *y);
}

/// `out <- a * x + b * y`.
#[inline]
pub fn lincomb(mut out: ColMut<'_, f64>, a: f64, x: ColRef<'_, f64>, b: f64, y: ColRef<'_, f64>) {
    if let (Some(o), Some(x), Some(y)) = (slice_mut(out.rb_mut()), slice(x), slice(y)) {
        assert!(o.len() == x.len() && o.len() == y.len());
        for ((o, x), y) in o.iter_mut().zip(x).zip(y) {
            *o = a * *x + b * *y;
        }
        return;
    }
    zip!(out, x, y).for_each(|unzip!(o, x, y)| *o = a * *x + b * *y);
}

/// `<x, y>`.
#[inline]
pub fn dot(x: ColRef<'_, f64>, y: ColRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    if let (Some(xs), Some(ys)) = (slice(x), slice(y)) {
        assert_eq!(xs.len(), ys.len());
        for (x, y) in xs.iter().zip(ys) {
            s += *x * *y;
        }
        return s;
    }
    zip!(x, y).for_each(|unzip!(x, y)| s += *x * *y);
    s
}

/// `||x - y||_2`.
#[inline]
pub fn dist(x: ColRef<'_, f64>, y: ColRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    if let (Some(xs), Some(ys)) = (slice(x), slice(y)) {
        assert_eq!(xs.len(), ys.len());
        if let (Some(x), Some(y)) = (two(xs), two(ys)) {
            let (d0, d1) = (x[0] - y[0], x[1] - y[1]);
            return (d0 * d0 + d1 * d1).sqrt();
        }
        for (x, y) in xs.iter().zip(ys) {
            let d = *x - *y;
            s += d * d;
        }
        return s.sqrt();
    }
    zip!(x, y).for_each(|unzip!(x, y)| {
        let d = *x - *y;
        s += d * d;
    });
    s.sqrt()
}

/// `||x||_2`.
#[inline]
pub fn norm(x: ColRef<'_, f64>) -> f64 {
    x.norm_l2()
}

/// True when every entry is finite.
#[inline]
#[allow(clippy::eq_op)] // `v - v` is the finiteness test, not a mistake
pub fn all_finite(x: ColRef<'_, f64>) -> bool {
    match slice(x) {
        // `v - v` is 0 for a finite `v` and NaN for an infinite or NaN one (`finite_copy`).
        Some(xs) => match two(xs) {
            Some(x) => (x[0] - x[0]) + (x[1] - x[1]) == 0.0,
            None => finite_copy(xs, None),
        },
        None => x.iter().all(|v| v.is_finite()),
    }
}

/// True when some entry is NaN.
#[inline]
pub fn has_nan(x: ColRef<'_, f64>) -> bool {
    x.iter().any(|v| v.is_nan())
}

/// Copies `src` into `dst` and returns whether every entry of `src` is finite (one pass).
#[allow(clippy::eq_op)] // `v - v` is 0 exactly for finite `v` (see `all_finite`)
#[inline(always)]
pub fn copy_finite(mut dst: ColMut<'_, f64>, src: ColRef<'_, f64>) -> bool {
    // Length 2 without a loop (the tiny games). The general path is inlined too: a call to it
    // would take the views by reference, built in memory before the length test on every call.
    if let (Some(d), Some(s)) = (slice_mut(dst.rb_mut()).and_then(two_mut), pair(src)) {
        *d = s;
        return (s[0] - s[0]) + (s[1] - s[1]) == 0.0;
    }
    copy_finite_any(dst, src)
}

#[inline(always)]
fn copy_finite_any(mut dst: ColMut<'_, f64>, src: ColRef<'_, f64>) -> bool {
    if let (Some(d), Some(s)) = (slice_mut(dst.rb_mut()), slice(src)) {
        assert_eq!(d.len(), s.len());
        return finite_copy(s, Some(d));
    }
    dst.copy_from(src);
    all_finite(src)
}

/// Whether every entry of `xs` is finite, copying `xs` into `dst` on the way when given.
///
/// `v - v` is 0 for a finite `v` and NaN otherwise. The sums run in `LANES` independent lanes
/// (one sum in order would be a chain of dependent additions that does not vectorise), and no
/// early exit, so the loop compiles to whole-vector subtractions and additions.
#[inline(always)]
#[allow(clippy::eq_op)]
fn finite_copy(xs: &[f64], dst: Option<&mut [f64]>) -> bool {
    const LANES: usize = 8;
    let mut acc = [0.0f64; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    match dst {
        Some(d) => {
            let mut dc = d.chunks_exact_mut(LANES);
            for (c, dc) in chunks.zip(&mut dc) {
                for l in 0..LANES {
                    acc[l] += c[l] - c[l];
                }
                dc.copy_from_slice(c);
            }
            dc.into_remainder().copy_from_slice(rest);
        }
        None => {
            for c in chunks {
                for l in 0..LANES {
                    acc[l] += c[l] - c[l];
                }
            }
        }
    }
    for v in rest {
        acc[0] += *v - *v;
    }
    acc.iter().sum::<f64>() == 0.0
}

/// Two buffers whose roles swap each iteration (the newest value and the one before it, or a
/// value and the spare that receives its successor), by flipping an index instead of moving
/// the buffers (on a tiny game a move costs more than the arithmetic): `pair()` is
/// `(first, second)`, and after [`Flip::flip`] the two trade places.
#[derive(Clone, Debug)]
pub struct Flip<T> {
    bufs: [T; 2],
    first: usize,
}

impl<T> Flip<T> {
    /// `first` and `second`, in that order.
    pub fn new(first: T, second: T) -> Self {
        Self { bufs: [first, second], first: 0 }
    }

    /// `(first, second)`.
    #[inline(always)]
    pub fn pair(&self) -> (&T, &T) {
        let [a, b] = &self.bufs;
        if self.first == 0 {
            (a, b)
        } else {
            (b, a)
        }
    }

    /// `(first, second)`, both writable.
    #[inline(always)]
    pub fn pair_mut(&mut self) -> (&mut T, &mut T) {
        let [a, b] = &mut self.bufs;
        if self.first == 0 {
            (a, b)
        } else {
            (b, a)
        }
    }

    /// The first, the buffers given up.
    pub fn into_first(self) -> T {
        let [a, b] = self.bufs;
        if self.first == 0 {
            a
        } else {
            b
        }
    }

    /// The second becomes the first and the first the second.
    #[inline(always)]
    pub fn flip(&mut self) {
        self.first = 1 - self.first;
    }
}

/// Copies a column into a plain `Vec<f64>` (for serialization; faer 0.24 has no serde).
pub fn to_vec(x: ColRef<'_, f64>) -> Vec<f64> {
    x.iter().copied().collect()
}

/// Builds an owned column from a slice.
pub fn col_from_slice(x: &[f64]) -> faer::Col<f64> {
    faer::Col::from_fn(x.len(), |i| x[i])
}

/// Turns off faer's implicit parallelism (its global setting, used by the decompositions
/// called without an explicit `Par`: QR, SVD, eigenvalues, LU). Left on, those split their work
/// by the size of the current rayon pool, so a problem built or diagnosed inside a suite's
/// worker pool would differ in its last bits from the same problem built elsewhere, and results
/// would depend on `--jobs`. The engine's own parallel code asks for threads explicitly
/// (`threads`). Called by [`crate::registry()`] and [`crate::Runner::run_observed`]; a program
/// that builds problems without either can call it first.
pub fn sequential_faer() {
    faer::set_global_parallelism(faer::Par::Seq);
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Col;

    #[test]
    fn kernels_match_formulas() {
        let x = col_from_slice(&[1.0, 2.0, 3.0]);
        let mut y = col_from_slice(&[1.0, 1.0, 1.0]);
        axpy(2.0, x.as_ref(), y.as_mut());
        assert_eq!(to_vec(y.as_ref()), vec![3.0, 5.0, 7.0]);
        let mut out = Col::<f64>::zeros(3);
        lincomb(out.as_mut(), 2.0, x.as_ref(), -1.0, y.as_ref());
        assert_eq!(to_vec(out.as_ref()), vec![-1.0, -1.0, -1.0]);
        add_scaled(out.as_mut(), x.as_ref(), 0.5, y.as_ref());
        assert_eq!(to_vec(out.as_ref()), vec![2.5, 4.5, 6.5]);
        assert_eq!(dot(x.as_ref(), y.as_ref()), 3.0 + 10.0 + 21.0);
        assert!((dist(x.as_ref(), y.as_ref()) - (4.0f64 + 9.0 + 16.0).sqrt()).abs() < 1e-15);
        assert!(all_finite(x.as_ref()));
        let bad = col_from_slice(&[1.0, f64::NAN]);
        assert!(!all_finite(bad.as_ref()) && has_nan(bad.as_ref()));
    }

    #[test]
    fn flip_swaps_roles_without_moving_the_buffers() {
        let mut f = Flip::new(vec![1.0], vec![2.0]);
        assert_eq!(f.pair(), (&vec![1.0], &vec![2.0]));
        f.pair_mut().1[0] = 3.0;
        f.flip();
        assert_eq!(f.pair(), (&vec![3.0], &vec![1.0]));
        f.flip();
        assert_eq!(f.pair(), (&vec![1.0], &vec![3.0]));
        f.flip();
        assert_eq!(f.into_first(), vec![3.0]);
    }

    /// One non-finite entry anywhere (in the vector body, the remainder, the length-2 path)
    /// is found, by `all_finite` and by `copy_finite`, which still copies every entry.
    #[test]
    fn finiteness_tests_find_one_bad_entry_anywhere() {
        for n in [1, 2, 3, 7, 8, 9, 16, 17, 100] {
            let base: Vec<f64> = (0..n).map(|i| i as f64 * 1e300 - 3.0).collect();
            let mut dst = Col::<f64>::zeros(n);
            assert!(all_finite(col_from_slice(&base).as_ref()), "n = {n}");
            assert!(copy_finite(dst.as_mut(), col_from_slice(&base).as_ref()));
            assert_eq!(to_vec(dst.as_ref()), base);
            for i in 0..n {
                for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    let mut v = base.clone();
                    v[i] = bad;
                    let c = col_from_slice(&v);
                    assert!(!all_finite(c.as_ref()), "n = {n}, entry {i} = {bad}");
                    assert!(!copy_finite(dst.as_mut(), c.as_ref()), "n = {n}, entry {i} = {bad}");
                    assert_eq!(dst[i].to_bits(), bad.to_bits());
                }
            }
        }
    }
}
