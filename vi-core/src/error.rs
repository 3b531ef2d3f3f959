//! The error type of vi-core, shared by every crate that registers problems or solvers.
//!
//! An [`Error`](enum@Error) means *bad input or bad configuration*: an unknown name, an unknown or ill-typed
//! parameter, a wrong dimension, an infeasible set, an unreadable file. How a run *ended* is never
//! an error; it is a [`crate::Status`] inside the [`crate::Report`].

use thiserror::Error;

/// Every way a request to the engine can be wrong. Each message names the culprit and, where
/// there is a finite set of valid choices, lists them.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A problem or solver name that is not registered.
    #[error("unknown {kind} `{name}`; valid {kind}s: {valid}")]
    UnknownName {
        /// `problem` or `solver`.
        kind: &'static str,
        /// The name that was asked for.
        name: String,
        /// Comma-separated valid names.
        valid: String,
    },
    /// Two registrations under one name.
    #[error("duplicate {kind} name `{name}` in the registry (registered twice)")]
    DuplicateName {
        /// `problem` or `solver`.
        kind: &'static str,
        /// The clashing name.
        name: String,
    },
    /// A parameter that the problem or solver does not have.
    #[error("unknown parameter `{param}` for {kind} `{owner}`; valid parameters: {valid}")]
    UnknownParameter {
        /// `problem` or `solver`.
        kind: &'static str,
        /// The problem or solver name.
        owner: String,
        /// The parameter that was given.
        param: String,
        /// Comma-separated valid parameter names.
        valid: String,
    },
    /// A parameter value with the wrong type or outside its allowed range.
    #[error("invalid value for parameter `{param}` of {owner}: {reason}")]
    InvalidParameter {
        /// The problem or solver name (with its kind), e.g. `solver extragradient`.
        owner: String,
        /// The parameter name.
        param: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// Vectors or matrices whose sizes do not fit together.
    #[error("dimension mismatch in {what}: expected {expected}, got {got}")]
    Dimension {
        /// What was being checked.
        what: String,
        /// The expected size.
        expected: usize,
        /// The size that was given.
        got: usize,
    },
    /// A constraint set that is empty or ill-formed (e.g. a box with lower > upper).
    #[error("infeasible constraint set: {0}")]
    Infeasible(String),
    /// NaN or infinite values in user data (a start point, a matrix, a vector).
    #[error("non-finite value in {0}")]
    NonFinite(String),
    /// A file that could not be read or parsed.
    #[error("cannot read `{path}`: {reason}")]
    File {
        /// The path that was given.
        path: String,
        /// The I/O or parse failure.
        reason: String,
    },
    /// A run configuration that cannot work (e.g. `step = "auto"` on a problem with no
    /// Lipschitz constant and no way to estimate one).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A malformed `key=value` assignment or similar syntax error in user input.
    #[error("cannot parse `{input}`: {reason}")]
    Parse {
        /// The offending text.
        input: String,
        /// What was expected.
        reason: String,
    },
    /// A numerical routine (e.g. an eigenvalue decomposition) failed.
    #[error("numerical failure in {0}")]
    Numerical(String),
}

/// `Result` with the vi-core [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(owner: impl Into<String>, param: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidParameter { owner: owner.into(), param: param.into(), reason: reason.into() }
    }

    /// Shorthand for [`Error::Dimension`].
    pub fn dim(what: impl Into<String>, expected: usize, got: usize) -> Self {
        Error::Dimension { what: what.into(), expected, got }
    }
}
