//! The error type of vi-bench.

use thiserror::Error;

/// Everything that can go wrong in a vi-bench command. Every variant prints as one line that
/// names the culprit.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BenchError {
    /// Bad problem/solver names, parameters or configuration.
    #[error(transparent)]
    Core(#[from] vi_core::Error),
    /// A file that could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A malformed suite file or results file.
    #[error("{path}: {reason}")]
    Format {
        /// The path (and line, where known).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Bad command-line usage not caught by the parser.
    #[error("{0}")]
    Usage(String),
    /// Plot rendering failed.
    #[error("cannot draw `{path}`: {reason}")]
    Plot {
        /// The output path.
        path: String,
        /// The backend's message.
        reason: String,
    },
}

/// `Result` with [`BenchError`].
pub type Result<T, E = BenchError> = std::result::Result<T, E>;

impl BenchError {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        BenchError::Io { path: path.as_ref().display().to_string(), source }
    }
}
