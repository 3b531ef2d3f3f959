//! A memory budget for sizes that come from users and files: check before allocating.
//!
//! A size in a parameter or a file header is a claim; multiplied out it may need terabytes, or
//! overflow 64 bits. Problems estimate the bytes a build needs with checked arithmetic
//! ([`Size`]) and call [`check`] (a parameter) or [`check_file`] (a file) before the first
//! allocation, so that an impossible request is an [`Error`](enum@Error) naming the culprit
//! instead of an abort:
//!
//! ```text
//! invalid value for parameter `m` of problem bilinear: m x n = 1000000000 x 10 (rank 10) needs
//! 464.0 GB of memory, more than the limit of 19.0 GB (3/4 of physical memory; set
//! VI_MEMORY_LIMIT to change it)
//! ```
//!
//! ## The limit
//! In order of precedence:
//! 1. [`set_limit`], for programs that embed the engine (and for tests);
//! 2. the environment variable `VI_MEMORY_LIMIT`: a number of bytes, or a number with a suffix
//!    `kB`, `MB`, `GB`, `TB` (powers of 1000) or `K`, `M`, `G`, `T`, `KiB`, `MiB`, `GiB`, `TiB`
//!    (powers of 1024), e.g. `8GiB`, `500MB`, `1.5G`; `unlimited` turns the check off;
//! 3. the default: 3/4 of the physical memory (`MemTotal` of `/proc/meminfo`, or the cgroup v2
//!    `memory.max` if lower), and at most 1/2 of the process's address-space limit
//!    (`RLIMIT_AS`, from `/proc/self/limits`) when one is set; [`FALLBACK_LIMIT`] (4 GiB) when
//!    none of these can be read.
//!
//! The estimates count the largest buffers a build holds at once; they are meant to refuse the
//! absurd (a typo, a lying header), not to account for every byte.
//!
//! ```
//! use vi_core::memory::{self, Size};
//! let m: usize = 1_000_000_000;
//! let bytes = (Size::of(m) * 10usize).f64s();
//! memory::set_limit(Some(1 << 30));
//! let e = memory::check("problem demo", "m", format_args!("m x n = {m} x 10"), bytes.get()).unwrap_err();
//! assert!(e.to_string().contains("needs 80.0 GB of memory, more than the limit of 1.1 GB"), "{e}");
//! memory::set_limit(None);
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The environment variable that overrides the default limit.
pub const ENV_VAR: &str = "VI_MEMORY_LIMIT";

/// The limit when the machine's memory cannot be read: 4 GiB.
pub const FALLBACK_LIMIT: u64 = 4 << 30;

/// `u64::MAX` means "no programmatic limit set".
static PROGRAM_LIMIT: AtomicU64 = AtomicU64::new(u64::MAX);

/// A byte or element count computed with checked arithmetic: once an operation overflows it
/// stays `None` ("more than 64 bits can count"), so an estimate can be written as a plain
/// expression and checked once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size(Option<u64>);

impl Size {
    /// The count `n` (a `usize`, `u64` or `u32`).
    pub fn of(n: impl TryInto<u64>) -> Self {
        Size(n.try_into().ok())
    }
    /// Zero.
    pub const ZERO: Size = Size(Some(0));
    /// The count, `None` if it overflowed.
    pub fn get(self) -> Option<u64> {
        self.0
    }
    /// The bytes of this many `f64` (or `usize`) values.
    pub fn f64s(self) -> Self {
        self * 8u64
    }
    /// The larger of two counts (an overflowed count is the larger).
    pub fn max(self, other: Size) -> Size {
        match (self.0, other.0) {
            (Some(a), Some(b)) => Size(Some(a.max(b))),
            _ => Size(None),
        }
    }
    /// The sum of counts.
    pub fn sum(it: impl IntoIterator<Item = Size>) -> Size {
        it.into_iter().fold(Size::ZERO, |s, x| s + x)
    }
}

impl<T: Into<Size>> std::ops::Add<T> for Size {
    type Output = Size;
    fn add(self, rhs: T) -> Size {
        let rhs = rhs.into();
        Size(self.0.zip(rhs.0).and_then(|(a, b)| a.checked_add(b)))
    }
}

impl<T: Into<Size>> std::ops::Mul<T> for Size {
    type Output = Size;
    fn mul(self, rhs: T) -> Size {
        let rhs = rhs.into();
        Size(self.0.zip(rhs.0).and_then(|(a, b)| a.checked_mul(b)))
    }
}

impl From<usize> for Size {
    fn from(n: usize) -> Self {
        Size::of(n)
    }
}

impl From<u64> for Size {
    fn from(n: u64) -> Self {
        Size(Some(n))
    }
}

impl From<u32> for Size {
    fn from(n: u32) -> Self {
        Size(Some(n.into()))
    }
}

/// Where the limit in force comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitSource {
    /// [`set_limit`].
    Program,
    /// The environment variable [`ENV_VAR`].
    Environment,
    /// 3/4 of the physical memory (or of the cgroup limit).
    Physical,
    /// 1/2 of the address-space limit `RLIMIT_AS`.
    AddressSpace,
    /// [`FALLBACK_LIMIT`].
    Fallback,
}

/// The memory limit in force: bytes (`None`: unlimited) and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The limit in bytes; `None` when the check is off (`VI_MEMORY_LIMIT=unlimited`).
    pub bytes: Option<u64>,
    /// Its origin.
    pub source: LimitSource,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.bytes.map_or_else(|| "unlimited".to_string(), format_bytes);
        let origin = match self.source {
            LimitSource::Program => "set by the program",
            LimitSource::Environment => "from VI_MEMORY_LIMIT",
            LimitSource::Physical => "3/4 of physical memory; set VI_MEMORY_LIMIT to change it",
            LimitSource::AddressSpace => "1/2 of the address-space limit; set VI_MEMORY_LIMIT to change it",
            LimitSource::Fallback => "physical memory unknown; set VI_MEMORY_LIMIT to change it",
        };
        write!(f, "{b} ({origin})")
    }
}

/// Sets (or with `None` clears) a process-wide limit that takes precedence over
/// `VI_MEMORY_LIMIT` and the default. `Some(u64::MAX)` means unlimited.
pub fn set_limit(bytes: Option<u64>) {
    PROGRAM_LIMIT.store(bytes.map_or(u64::MAX, |b| b.min(u64::MAX - 1)), Ordering::Relaxed);
}

/// The limit in force (see the module documentation for the rule).
///
/// # Errors
/// [`Error::Config`] when `VI_MEMORY_LIMIT` is set but is not a size.
pub fn limit() -> Result<Limit> {
    let p = PROGRAM_LIMIT.load(Ordering::Relaxed);
    if p != u64::MAX {
        let bytes = (p != u64::MAX - 1).then_some(p);
        return Ok(Limit { bytes, source: LimitSource::Program });
    }
    if let Some(v) = std::env::var_os(ENV_VAR) {
        let s = v.to_string_lossy();
        let t = s.trim();
        if t.eq_ignore_ascii_case("unlimited") {
            return Ok(Limit { bytes: None, source: LimitSource::Environment });
        }
        return match parse_size(t) {
            Some(b) => Ok(Limit { bytes: Some(b), source: LimitSource::Environment }),
            None => Err(Error::Config(format!(
                "{ENV_VAR}=`{s}` is not a size; give bytes or a number with a suffix, e.g. 8GiB, 500MB, 2G, or `unlimited`"
            ))),
        };
    }
    Ok(*default_limit())
}

fn default_limit() -> &'static Limit {
    static DEFAULT: OnceLock<Limit> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        let physical = [meminfo_total(), cgroup_max()].into_iter().flatten().min();
        let phys = physical.map(|b| Limit { bytes: Some(b / 4 * 3), source: LimitSource::Physical });
        let addr = address_space_limit().map(|b| Limit { bytes: Some(b / 2), source: LimitSource::AddressSpace });
        match (phys, addr) {
            (Some(p), Some(a)) => {
                if a.bytes < p.bytes {
                    a
                } else {
                    p
                }
            }
            (Some(l), None) | (None, Some(l)) => l,
            (None, None) => Limit { bytes: Some(FALLBACK_LIMIT), source: LimitSource::Fallback },
        }
    })
}

fn meminfo_total() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

fn cgroup_max() -> Option<u64> {
    std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok()?.trim().parse().ok()
}

fn address_space_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max address space"))?;
    line["Max address space".len()..].split_whitespace().next()?.parse().ok()
}

/// Parses a size: bytes, or a number (fractions allowed) with a suffix `k`/`kB`, `MB`, `GB`,
/// `TB`, `PB` (powers of 1000) or `K`, `M`, `G`, `T`, `P`, `KiB`, `MiB`, `GiB`, `TiB`, `PiB`
/// (powers of 1024), case-insensitive apart from `k`/`K`, with optional space before the
/// suffix. `None` for anything else or a size beyond `u64`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = (&s[..split], s[split..].trim());
    if num.is_empty() {
        return None;
    }
    let scale: f64 = match unit {
        "" | "B" | "b" => 1.0,
        "k" | "kB" | "KB" | "kb" => 1e3,
        "K" | "KiB" | "kiB" | "Kib" | "kib" => 1024.0,
        _ => {
            let u = unit.to_ascii_lowercase();
            let mut chars = u.chars();
            let power = match chars.next()? {
                'm' => 2,
                'g' => 3,
                't' => 4,
                'p' => 5,
                _ => return None,
            };
            let rest = chars.as_str();
            match rest {
                "" | "ib" => 1024f64.powi(power),
                "b" => 1000f64.powi(power),
                _ => return None,
            }
        }
    };
    let v: f64 = num.parse().ok()?;
    let bytes = (v * scale).round();
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// `bytes` in decimal units with one decimal, e.g. `80.0 GB`, `512 B`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1000.0;
    let mut u = 0;
    while v >= 999.95 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// `None` when `bytes` fit the limit, else the reason ("needs ... more than the limit ...").
///
/// # Errors
/// As [`limit`].
pub fn refusal(what: impl fmt::Display, bytes: Option<u64>) -> Result<Option<String>> {
    let lim = limit()?;
    let Some(max) = lim.bytes else { return Ok(None) };
    Ok(match bytes {
        Some(b) if b <= max => None,
        Some(b) => Some(format!("{what} needs {} of memory, more than the limit of {lim}", format_bytes(b))),
        None => Some(format!("{what} needs more memory than 64 bits can count, more than the limit of {lim}")),
    })
}

/// Refuses a build whose parameter `param` of `owner` (e.g. `problem bilinear`) makes it need
/// `bytes` (`None`: the estimate overflowed); `what` says which sizes, e.g. `m x n = 1000 x 10`.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `param`, the bytes and the limit; [`Error::Config`] for an
/// unreadable `VI_MEMORY_LIMIT`.
pub fn check(owner: &str, param: &str, what: impl fmt::Display, bytes: Option<u64>) -> Result<()> {
    match refusal(what, bytes)? {
        None => Ok(()),
        Some(reason) => Err(Error::param(owner, param, reason)),
    }
}

/// As [`check`] for sizes read from the file `path`.
///
/// # Errors
/// [`Error::File`] naming the path, the bytes and the limit; [`Error::Config`] as [`check`].
pub fn check_file(path: &str, what: impl fmt::Display, bytes: Option<u64>) -> Result<()> {
    match refusal(what, bytes)? {
        None => Ok(()),
        Some(reason) => Err(Error::File { path: path.to_string(), reason }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_both_unit_systems() {
        assert_eq!(parse_size("123"), Some(123));
        assert_eq!(parse_size("8GiB"), Some(8 << 30));
        assert_eq!(parse_size("8 gib"), Some(8 << 30));
        assert_eq!(parse_size("8G"), Some(8 << 30));
        assert_eq!(parse_size("500MB"), Some(500_000_000));
        assert_eq!(parse_size("1.5k"), Some(1500));
        assert_eq!(parse_size("1.5K"), Some(1536));
        assert_eq!(parse_size("2TB"), Some(2_000_000_000_000));
        for bad in ["", "abc", "-1", "1e9", "8 XB", "1GiBs", ".", "20000000PB", "5é", "1..2G"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn bytes_format_in_decimal_units() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(80_000_000_000), "80.0 GB");
        assert_eq!(format_bytes(1 << 30), "1.1 GB");
        assert_eq!(format_bytes(999_999), "1.0 MB");
        assert_eq!(format_bytes(u64::MAX), "18.4 EB");
    }

    #[test]
    fn checked_sizes_overflow_to_none() {
        assert_eq!((Size::of(3usize) * 4usize + 1usize).get(), Some(13));
        assert_eq!((Size::of(u64::MAX) * 2u64).get(), None);
        let zero = Size::of(std::hint::black_box(0u64));
        assert_eq!((Size::of(u64::MAX) * 2u64 * zero).get(), None, "an overflow stays an overflow");
        assert_eq!((Size::of(1u64 << 63) + (1u64 << 63)).get(), None);
        assert_eq!(Size::sum([Size::of(1u32), Size::of(2u32)]).get(), Some(3));
        assert_eq!(Size::of(2u32).max(Size::of(u64::MAX) * 2u64).get(), None);
    }

    #[test]
    fn check_names_parameter_bytes_and_limit() {
        // The only test in this binary that sets the process-wide limit.
        set_limit(Some(1000));
        assert!(check("problem p", "n", "n = 125", Some(1000)).is_ok());
        let e = check("problem p", "n", "n = 126", Some(1008)).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid value for parameter `n` of problem p: n = 126 needs 1.0 kB of memory, more than the limit of \
             1.0 kB (set by the program)"
        );
        let e = check_file("f.mtx", "a 2^64 x 2 array", None).unwrap_err().to_string();
        assert_eq!(
            e,
            "cannot read `f.mtx`: a 2^64 x 2 array needs more memory than 64 bits can count, more than the limit \
             of 1.0 kB (set by the program)"
        );
        set_limit(Some(u64::MAX));
        assert!(check("problem p", "n", "n", None).is_ok(), "unlimited");
        set_limit(None);
        // The environment variable (only this test touches it in this binary).
        std::env::set_var(ENV_VAR, "2kB");
        assert_eq!(limit().unwrap(), Limit { bytes: Some(2000), source: LimitSource::Environment });
        let e = check("problem p", "n", "n = 300", Some(2400)).unwrap_err().to_string();
        assert!(e.ends_with("needs 2.4 kB of memory, more than the limit of 2.0 kB (from VI_MEMORY_LIMIT)"), "{e}");
        std::env::set_var(ENV_VAR, "unlimited");
        assert_eq!(limit().unwrap().bytes, None);
        std::env::set_var(ENV_VAR, "lots");
        let e = check("problem p", "n", "n", Some(1)).unwrap_err().to_string();
        assert!(e.starts_with("invalid configuration: VI_MEMORY_LIMIT=`lots` is not a size"), "{e}");
        std::env::remove_var(ENV_VAR);
        let l = limit().unwrap();
        assert!(matches!(l.source, LimitSource::Physical | LimitSource::AddressSpace | LimitSource::Fallback), "{l:?}");
        assert!(l.bytes.is_some_and(|b| b > 0), "{l:?}");
    }
}
