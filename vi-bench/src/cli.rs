//! Command-line vocabulary shared by the subcommands: the problem and solver selection with its
//! `--set` assignments, and the value parsers of the numeric options. The subcommands themselves
//! are in [`crate::commands`].

use clap::Args;
use serde_json::{Map, Value};
use vi_core::registry::{parse_assignment, Target};

use crate::error::{BenchError, Result};

/// Problem and solver selection with parameter assignments (shared by `run` and `diagnose`).
#[derive(Debug, Args, Clone)]
pub struct Selection {
    /// Problem name (see `vi-bench list problems`).
    #[arg(long)]
    pub problem: String,
    /// Parameter assignment `problem.KEY=VALUE` or `solver.KEY=VALUE`; VALUE is JSON
    /// (numbers, booleans, arrays such as `[1,1]`) or a plain string. Repeatable.
    #[arg(long = "set", value_name = "TARGET.KEY=VALUE")]
    pub set: Vec<String>,
    /// Seed for random problem data and stochastic oracles.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = arg::whole)]
    pub seed: u64,
}

impl Selection {
    /// Splits the `--set` assignments into problem and solver parameter objects.
    ///
    /// # Errors
    /// A malformed assignment, or one key given twice.
    pub fn params(&self) -> Result<(Map<String, Value>, Map<String, Value>)> {
        split_assignments(&self.set)
    }
}

/// Parses `--set` assignments (`problem.KEY=VALUE`, `solver.KEY=VALUE`) into problem and solver
/// parameter objects.
///
/// # Errors
/// A malformed assignment, or a key given twice (the first and the second value are named).
pub fn split_assignments(set: &[String]) -> Result<(Map<String, Value>, Map<String, Value>)> {
    let (mut p, mut s) = (Map::new(), Map::new());
    let mut given: std::collections::HashMap<(&str, String), &str> = std::collections::HashMap::new();
    for a in set {
        let (t, k, v) = parse_assignment(a)?;
        let target = if t == Target::Problem { "problem" } else { "solver" };
        if let Some(first) = given.insert((target, k.clone()), a) {
            return Err(BenchError::Usage(format!(
                "--set {target}.{k} is given twice (`{first}` and `{a}`); keep one"
            )));
        }
        match t {
            Target::Problem => p.insert(k, v),
            Target::Solver => s.insert(k, v),
        };
    }
    Ok((p, s))
}

/// Value parsers of the numeric options. Each states its range, so that clap prints e.g.
/// `invalid value '-1' for '--max-iters <N>': expected a whole number >= 0`. Options using
/// them set `allow_hyphen_values`, so a negative number reaches the parser instead of being
/// read as an unknown flag.
pub mod arg {
    use std::num::IntErrorKind;

    fn whole_at_least(s: &str, min: u64) -> Result<u64, String> {
        match s.trim().parse::<u64>() {
            Ok(v) if v >= min => Ok(v),
            Err(e) if *e.kind() == IntErrorKind::PosOverflow => {
                Err(format!("expected a whole number from {min} to {}", u64::MAX))
            }
            _ => Err(format!("expected a whole number >= {min}")),
        }
    }

    fn number(s: &str) -> Result<f64, String> {
        s.trim().parse::<f64>().map_err(|_| "expected a number".to_string())
    }

    /// A whole number >= 0.
    ///
    /// # Errors
    /// Anything else, with the range.
    pub fn whole(s: &str) -> Result<u64, String> {
        whole_at_least(s, 0)
    }

    /// A whole number >= 1.
    ///
    /// # Errors
    /// Anything else, with the range.
    pub fn positive_whole(s: &str) -> Result<u64, String> {
        whole_at_least(s, 1)
    }

    /// A whole number >= 0 that fits a `usize`.
    ///
    /// # Errors
    /// Anything else, with the range.
    pub fn size(s: &str) -> Result<usize, String> {
        let v = whole_at_least(s, 0)?;
        usize::try_from(v).map_err(|_| format!("expected a whole number from 0 to {}", usize::MAX))
    }

    /// A whole number >= 1 that fits a `usize`.
    ///
    /// # Errors
    /// Anything else, with the range.
    pub fn positive_size(s: &str) -> Result<usize, String> {
        let v = whole_at_least(s, 1)?;
        usize::try_from(v).map_err(|_| format!("expected a whole number from 1 to {}", usize::MAX))
    }

    /// A finite number >= 0.
    ///
    /// # Errors
    /// Anything else (NaN, infinities, negatives), with the range.
    pub fn nonnegative(s: &str) -> Result<f64, String> {
        match number(s) {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err("expected a finite number >= 0".into()),
        }
    }

    /// A finite number > 0.
    ///
    /// # Errors
    /// Anything else (NaN, infinities, zero, negatives), with the range.
    pub fn positive(s: &str) -> Result<f64, String> {
        match number(s) {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
            _ => Err("expected a finite number > 0".into()),
        }
    }
}
