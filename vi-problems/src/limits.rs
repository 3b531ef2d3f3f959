//! Work limits: a build, and one oracle call, must finish in bounded time whatever the sizes.
//!
//! Memory is checked against [`vi_core::memory`]; this module bounds the *time* that sizes
//! imply. Every problem estimates, with checked arithmetic ([`Size`]), the floating-point
//! operations of its build (decompositions, initialisation) and of one evaluation of its
//! operator (including inner loops such as proximal steps), and refuses parameters beyond:
//!
//! | limit | value | about |
//! |---|---|---|
//! | [`MAX_BUILD_FLOPS`] | `1e11` | a minute of build on one core |
//! | [`MAX_CALL_FLOPS`] | `1e10` | seconds per oracle call on one core |
//! | [`MAX_PROX_STEPS`] | `10_000` | inner proximal steps per oracle call |
//!
//! The errors name the parameter and its usable range, e.g. `invalid value for parameter `n`
//! of problem quadratic: n = 5000 with family "dense" needs about 6.4e11 floating-point
//! operations to build (O(n^3) decompositions), more than the limit of 1e11 (about a minute on
//! one core); use n <= 2300 or family "blocks"`.

use std::fmt;

use vi_core::memory::Size;
use vi_core::{Error, Result};

/// Floating-point operations a build may take: `1e11`, about a minute on one core.
pub const MAX_BUILD_FLOPS: u64 = 100_000_000_000;

/// Floating-point operations one oracle call may take: `1e10`, seconds on one core, so that a
/// run's time limit is checked at least that often.
pub const MAX_CALL_FLOPS: u64 = 10_000_000_000;

/// The largest `prox_steps` of the GAN problems (inner ascent steps per oracle call).
pub const MAX_PROX_STEPS: usize = 10_000;

fn refuse(kind: &str, limit: u64, about: &str, flops: Size) -> Option<String> {
    match flops.get() {
        Some(f) if f <= limit => None,
        Some(f) => Some(format!(
            "needs about {:.1e} floating-point operations {kind}, more than the limit of {:.0e} ({about})",
            f as f64, limit as f64
        )),
        None => Some(format!(
            "needs more than 2^64 floating-point operations {kind}, more than the limit of {:.0e} ({about})",
            limit as f64
        )),
    }
}

/// Refuses a build of `flops` operations; `what` says which sizes (`n = 100000`), `hint` the
/// usable range (`use n <= 3000`).
///
/// # Errors
/// [`Error::InvalidParameter`] naming `param`.
pub fn check_build(owner: &str, param: &str, what: impl fmt::Display, flops: Size, hint: &str) -> Result<()> {
    match refuse("to build", MAX_BUILD_FLOPS, "about a minute on one core", flops) {
        None => Ok(()),
        Some(r) => Err(Error::param(owner, param, format!("{what} {r}; {hint}"))),
    }
}

/// Refuses an oracle call of `flops` operations (see [`check_build`]).
///
/// # Errors
/// [`Error::InvalidParameter`] naming `param`.
pub fn check_call(owner: &str, param: &str, what: impl fmt::Display, flops: Size, hint: &str) -> Result<()> {
    match refuse("per oracle call", MAX_CALL_FLOPS, "seconds on one core", flops) {
        None => Ok(()),
        Some(r) => Err(Error::param(owner, param, format!("{what} {r}; {hint}"))),
    }
}

/// Checks `prox_steps` against [`MAX_PROX_STEPS`].
///
/// # Errors
/// [`Error::InvalidParameter`] naming `prox_steps` and its range.
pub fn check_prox_steps(owner: &str, prox_steps: usize) -> Result<()> {
    if prox_steps > MAX_PROX_STEPS {
        return Err(Error::param(
            owner,
            "prox_steps",
            format!("must be in 1..={MAX_PROX_STEPS} (inner steps per oracle call), got {prox_steps}"),
        ));
    }
    Ok(())
}

/// `v` in plain notation when moderate, else in scientific notation (`1e100`, not 101 digits).
pub fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-4..1e16).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Checks a scale parameter against the range where the problem's arithmetic stays finite.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `param` and the range `[lo, hi]` (`lo = 0` allows 0).
pub fn check_range(owner: &str, param: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if !(v >= lo && v <= hi) {
        return Err(Error::param(
            owner,
            param,
            format!("must be a number in [{}, {}], got {}", num(lo), num(hi), num(v)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_parameter_and_the_range() {
        assert!(check_build("problem p", "n", "n = 10", Size::of(1000u32), "use n <= 5").is_ok());
        let e = check_build("problem p", "n", "n = 10^6", Size::of(2_000_000_000_000u64), "use n <= 5")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid value for parameter `n` of problem p: n = 10^6 needs about 2.0e12 floating-point operations \
             to build, more than the limit of 1e11 (about a minute on one core); use n <= 5"
        );
        let e = check_call("problem p", "batch", "batch = 2^70", Size::of(u64::MAX) * 2u64, "use less").unwrap_err();
        assert!(e.to_string().contains("more than 2^64 floating-point operations per oracle call"), "{e}");
        assert!(check_prox_steps("problem p", MAX_PROX_STEPS).is_ok());
        let e = check_prox_steps("problem p", 1_000_000_000_000).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid value for parameter `prox_steps` of problem p: must be in 1..=10000 (inner steps per oracle \
             call), got 1000000000000"
        );
        assert!(check_range("problem p", "rho", 0.0, 0.0, 1e100).is_ok());
        let e = check_range("problem p", "rho", f64::NAN, 0.0, 1e100).unwrap_err().to_string();
        assert_eq!(e, "invalid value for parameter `rho` of problem p: must be a number in [0, 1e100], got NaN");
    }
}
