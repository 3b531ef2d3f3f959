//! The run's wall-clock deadline, for loops inside one oracle call or one step.
//!
//! The runner checks `time_limit` between steps, but an operator with an inner loop (the
//! proximal regularizer's ascent steps, say) can spend seconds inside one call. While a run with a
//! time limit is between its start and its final measurements, the runner publishes the deadline
//! here (per thread, so parallel suite runs do not see each other's), and such loops stop early
//! when [`passed`] says so. The run then ends with `TimeLimit` at the next check; the final
//! residual and metrics are measured after the deadline is withdrawn, with full inner loops, so
//! they stay honest.

use std::cell::Cell;
use std::time::Instant;

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Whether the current run's deadline has passed (`false` when there is none). One clock read
/// when a deadline is set; call it every few dozen inner iterations, not every flop.
pub fn passed() -> bool {
    DEADLINE.with(Cell::get).is_some_and(|d| Instant::now() >= d)
}

/// Publishes a deadline on this thread until dropped (the previous one is restored).
#[must_use = "the deadline is withdrawn when the guard is dropped"]
pub struct Guard {
    previous: Option<Instant>,
}

impl Guard {
    /// Sets `deadline` (or none) for loops on this thread.
    pub fn set(deadline: Option<Instant>) -> Self {
        Self { previous: DEADLINE.with(|c| c.replace(deadline)) }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        DEADLINE.with(|c| c.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_guard_publishes_and_withdraws_its_deadline() {
        assert!(!passed(), "no deadline, never passed");
        {
            let _g = Guard::set(Some(Instant::now()));
            assert!(passed());
            {
                let _inner = Guard::set(Some(Instant::now() + Duration::from_secs(3600)));
                assert!(!passed());
            }
            assert!(passed(), "the outer deadline is restored");
        }
        assert!(!passed());
        let other = std::thread::spawn(|| {
            let _g = Guard::set(Some(Instant::now()));
            passed()
        });
        assert!(other.join().unwrap());
        assert!(!passed(), "another thread's deadline is not this one's");
    }
}
