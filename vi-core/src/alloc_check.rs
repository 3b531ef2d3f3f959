//! Proving that a hot path allocates nothing: a counting global allocator.
//!
//! Solver steps and operator evaluations must not touch the heap after warm-up. Install
//! [`CountingAllocator`] as the global allocator of a test binary and measure a closure with
//! [`allocations_during`]; allocations are counted per thread, so tests running in parallel do
//! not disturb each other. Use it for your own operators too:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: vi_core::alloc_check::CountingAllocator = vi_core::alloc_check::CountingAllocator;
//!
//! #[test]
//! fn my_operator_allocates_nothing() {
//!     // ... build `op`, `z`, `out`, call `op.eval` once to warm up ...
//!     assert_eq!(vi_core::alloc_check::allocations_during(|| op.eval(z.as_ref(), out.as_mut())), 0);
//! }
//! ```
//!
//! [`allocations_during`] first checks that the counting allocator is really installed, and
//! panics if it is not, so such a test can never pass vacuously.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting allocations and reallocations per thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

#[inline]
fn count() {
    // `try_with`: the thread-local may already be gone while a thread shuts down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to `System` unchanged; counting touches only a const-initialised
// thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations made on this thread so far (only meaningful with [`CountingAllocator`]
/// installed).
pub fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// The number of allocations `f` makes on this thread.
///
/// # Panics
/// If [`CountingAllocator`] is not the global allocator of the binary (a probe allocation was
/// not counted), so that a zero can never come from a missing allocator.
pub fn allocations_during(f: impl FnOnce()) -> u64 {
    let probe = allocations();
    drop(std::hint::black_box(Box::new(0u64)));
    assert!(
        allocations() > probe,
        "allocations_during: install `#[global_allocator] static A: vi_core::alloc_check::CountingAllocator = vi_core::alloc_check::CountingAllocator;` in this binary"
    );
    let before = allocations();
    f();
    allocations() - before
}

#[cfg(test)]
mod tests {
    // This unit-test binary does not install the counting allocator: measuring must refuse.
    #[test]
    #[should_panic(expected = "install `#[global_allocator]")]
    fn refuses_to_measure_without_the_counting_allocator() {
        let _ = super::allocations_during(|| {});
    }
}
