//! Shared by the benches: every single-threaded benchmark timed by the wall clock and by the
//! thread's CPU time. On a shared machine the wall time also counts the time the thread waited
//! for a core; the CPU time does not (it still includes cache misses caused by other programs).

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;

/// The calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`).
#[cfg(unix)]
#[allow(unsafe_code)]
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Benchmarks `f` as `name` (wall time) and, on Unix, as `name_cpu` (thread CPU time).
pub fn wall_and_cpu(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, mut f: impl FnMut()) {
    group.bench_function(name, |b| b.iter(&mut f));
    #[cfg(unix)]
    group.bench_function(format!("{name}_cpu"), |b| {
        b.iter_custom(|iters| {
            let t0 = thread_cpu_time();
            for _ in 0..iters {
                f();
            }
            thread_cpu_time() - t0
        })
    });
}
