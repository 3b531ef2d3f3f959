//! What `diagnose` is asked (its command-line arguments) and what it answers (the diagnosis).

use clap::Args;
use serde::Serialize;
use serde_json::{Map, Value};
use vi_core::diagnostics::{JacobianSource, LocalBounds, Spectrum};

use crate::cli::{arg, Selection};

/// `vi-bench diagnose --problem NAME [--set ...] [--at start|solution|FILE] [--json]`.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Problem, parameters and seed.
    #[command(flatten)]
    pub selection: Selection,
    /// Where: `start`, `solution`, or a file holding the point (JSON array or whitespace list).
    #[arg(long, default_value = "start")]
    pub at: String,
    /// Print exactly one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Solvers to predict and measure, comma-separated (default: every registered solver).
    #[arg(long, value_delimiter = ',')]
    pub solvers: Vec<String>,
    /// Iterations of each measuring run (>= 0; 0: predictions only).
    #[arg(long, value_name = "N", default_value_t = 500, allow_hyphen_values = true, value_parser = arg::whole)]
    pub measure_iters: u64,
    /// Relative offset of the measuring runs' start from the diagnosed point (a finite number > 0).
    #[arg(long, default_value_t = 1e-3, allow_hyphen_values = true, value_parser = arg::positive)]
    pub offset: f64,
    /// Dense decompositions up to this dimension (>= 0); Arnoldi on JVPs above.
    #[arg(long, value_name = "N", default_value_t = 1000, allow_hyphen_values = true, value_parser = arg::size)]
    pub dense_max: usize,
    /// Arnoldi steps in the matrix-free mode (>= 1).
    #[arg(long, value_name = "N", default_value_t = 60, allow_hyphen_values = true, value_parser = arg::positive_size)]
    pub krylov: usize,
    /// Check the derived bounds on `mu` and `L` (docs/math.md §1.4) at this many seeded points
    /// around the diagnosed one (>= 0; dense mode only).
    #[arg(long, value_name = "N", default_value_t = 0, allow_hyphen_values = true, value_parser = arg::size)]
    pub bounds: usize,
    /// Radius of the ball the `--bounds` points are drawn from (a finite number > 0).
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true, value_parser = arg::positive)]
    pub radius: f64,
}

/// The diagnosis, as printed by `--json`.
#[derive(Clone, Debug, Serialize)]
pub struct Diagnosis {
    /// Problem name.
    pub problem: String,
    /// Resolved problem parameters.
    pub params: Value,
    /// `start`, `solution` or the file name.
    pub at: String,
    /// The point.
    pub point: Vec<f64>,
    /// Natural residual at the point (0 at a solution).
    pub residual: f64,
    /// Dimension.
    pub dim: usize,
    /// `dense` or `arnoldi`.
    pub method: String,
    /// Where the Jacobian came from: `analytic` or `jacobian-vector-products`.
    pub jacobian_source: JacobianSource,
    /// Eigenvalues (dense) or Ritz values (Arnoldi), `mu`, `L` and the factors, as fields of
    /// the diagnosis itself.
    #[serde(flatten)]
    pub spectrum: Spectrum,
    /// The bounds on `mu` and `L` the operator states at the point, with their terms.
    pub bounds: Option<LocalBounds>,
    /// `--bounds N`: the check at the sampled points (`samples`, `mu_holds`, `lipschitz_holds`,
    /// the worst margins, and `points`: one row per sampled point).
    pub bound_check: Option<Value>,
    /// Per-solver predictions and measurements, keyed by solver name.
    pub predictions: Map<String, Value>,
    /// Remarks (e.g. the point is not a zero of `F`).
    pub notes: Vec<String>,
}
