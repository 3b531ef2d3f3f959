//! Work cut into blocks on rayon's pool, with the numbers of one thread.
//!
//! A step of a pass is written once, over views of the columns (or rows) it touches, as a
//! [`Blocks`] value; [`run`] runs it whole on one thread, or cut into contiguous blocks, two
//! halves at a time (`rayon::join`), on several. A step may be cut only along a dimension in
//! which every entry it writes is computed from its own column (or row) alone, in the same
//! order as on one thread: a column of a layer's product with its bias and activation, a row
//! of a parameter gradient with its bias-gradient sum. Then the result does not depend on the
//! thread count, bit for bit; `vi-bench/tests/thread_independence.rs` checks it for the whole
//! `gan-mixture` field.
//!
//! Waking a sleeping worker of the pool costs 10-40 µs on a 2-core VM, a worker goes to sleep
//! after ~10 µs without work, and a step at the default size takes 5-150 µs: a pass is worth
//! splitting when every step of it is, so that the other worker stays awake from one step to
//! the next.

use faer::{MatMut, MatRef};

/// A step that can be cut into independent blocks.
pub(super) trait Blocks: Sized + Send {
    /// Length of the dimension it is cut along.
    fn len(&self) -> usize;
    /// The blocks `..at` and `at..`.
    fn split(self, at: usize) -> (Self, Self);
    /// Runs the step (or one block of it) on this thread.
    fn run(self);
}

/// Runs `step` in `parts` blocks of about equal length.
pub(super) fn run<K: Blocks>(step: K, parts: usize) {
    if parts <= 1 {
        return step.run();
    }
    let left = parts / 2;
    let at = step.len() * left / parts;
    let (a, b) = step.split(at);
    rayon::join(|| run(a, left), || run(b, parts - left));
}

/// How many blocks of at least `min` to cut a length `len` into, with `threads` threads.
pub(super) fn parts(threads: usize, len: usize, min: usize) -> usize {
    threads.min(len / min.max(1)).max(1)
}

/// An optional view cut at column `at`.
pub(super) fn split_opt(m: Option<MatRef<'_, f64>>, at: usize) -> (Option<MatRef<'_, f64>>, Option<MatRef<'_, f64>>) {
    m.map(|m| m.split_at_col(at)).unzip()
}

/// An optional view cut at column `at`.
pub(super) fn split_opt_mut(
    m: Option<MatMut<'_, f64>>,
    at: usize,
) -> (Option<MatMut<'_, f64>>, Option<MatMut<'_, f64>>) {
    m.map(|m| m.split_at_col_mut(at)).unzip()
}
