//! How a run ended: the statuses of docs/architecture.md §5.5.

use serde::{Deserialize, Serialize};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// The natural residual reached the tolerance.
    Converged,
    /// The iteration limit was reached.
    MaxIterations,
    /// The oracle-call budget was reached.
    OracleBudget,
    /// The wall-time limit was reached.
    TimeLimit,
    /// The residual grew past the divergence threshold or the iterate overflowed.
    Diverged,
    /// NaN appeared (or a method-specific numerical failure, e.g. a step size collapsing).
    NumericalError,
    /// Stopped by an observer or by the solver itself (e.g. a finished schedule).
    Stopped,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}
