//! Property-based fuzzing of the text a user hands the harness: the suite TOML reader
//! ([`SuiteSpec::from_toml`], [`SuiteSpec::from_file`]), `--set` parsing
//! ([`vi_bench::cli::split_assignments`]) and whole command lines ([`Cli`]). Random text, random
//! bytes and structured mutations of valid inputs must never panic, and the reader must never
//! hold more than [`HEAP_BOUND`] bytes at once on these small inputs (a grid or a header that
//! is believed before it is checked would).
//!
//! [`CASES`] cases per target by default; set `PROPTEST_CASES` for more.

#![allow(unsafe_code)] // the peak-measuring global allocator below

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use clap::Parser;
use proptest::prelude::*;
use serde_json::{json, Value};
use vi_bench::cli::split_assignments;
use vi_bench::commands::Cli;
use vi_bench::suite::{SuiteSpec, MAX_CASES};

// Force-link the plugin crates.
use vi_problems as _;
use vi_solvers as _;

/// Cases per target unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 4096;

/// Largest heap growth allowed while reading one (at most a few KiB long) suite.
const HEAP_BOUND: usize = 64 << 20;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(CASES);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------------
// Peak heap bytes per thread
// ---------------------------------------------------------------------------------------------

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grow(n: usize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get().saturating_add(n);
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

fn shrink(n: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(n)));
}

/// The system allocator, tracking live and peak bytes of the calling thread.
struct PeakAllocator;

// SAFETY: every method forwards to `System` unchanged; the bookkeeping touches only
// const-initialised thread-local `Cell`s, which never allocate.
unsafe impl GlobalAlloc for PeakAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        shrink(layout.size());
        grow(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: PeakAllocator = PeakAllocator;

thread_local! {
    static WARM: Cell<bool> = const { Cell::new(false) };
}

/// Makes this thread's one-time allocations before anything is measured: faer's matrix
/// products (behind the QR and SVD that problems such as `bilinear` run when built) reserve a
/// per-thread packing buffer of twice the L3 cache (64 MiB on a 32 MiB L3) on first use, however
/// small the matrices, and keep it for the thread's life. It is reserved, not touched, so it
/// costs no resident memory; it does not grow with the input this file bounds.
fn warm_up() {
    if !WARM.with(Cell::get) {
        let a = faer::Mat::<f64>::from_fn(128, 128, |i, j| (i + j) as f64);
        std::hint::black_box(&a * &a);
        WARM.with(|w| w.set(true));
    }
}

/// `f()` and the largest heap growth on this thread while it ran (after [`warm_up`]).
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    warm_up();
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    (out, PEAK.with(Cell::get) - base)
}

/// Reads a suite and, when it parses, counts and expands its cases (as `suite --dry-run` does
/// before validating them): no panic, and bounded memory.
fn read_suite(text: &str) {
    let (_, peak) = peak_during(|| {
        if let Ok(spec) = SuiteSpec::from_toml(text, "fuzz.toml") {
            assert!(!spec.problems.is_empty() && !spec.solvers.is_empty());
            match spec.cases() {
                Ok(cases) => {
                    // case_count counts every seed; a configuration that reads none runs once.
                    assert!(cases.len() as u64 <= MAX_CASES);
                    assert!(Some(cases.len() as u64) <= spec.case_count());
                    let every_seed = spec.cases_with(|_| true).unwrap().len() as u64;
                    assert_eq!(Some(every_seed), spec.case_count());
                }
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    });
    assert!(peak < HEAP_BOUND, "reading {} bytes held {peak} bytes at once", text.len());
}

#[test]
fn the_peak_allocator_is_installed_and_measures() {
    let (_, peak) = peak_during(|| drop(std::hint::black_box(vec![0u8; 1 << 20])));
    assert!(peak >= 1 << 20, "{peak}");
}

// ---------------------------------------------------------------------------------------------
// Suite files
// ---------------------------------------------------------------------------------------------

/// A valid suite touching every field the reader knows.
const VALID: &str = r#"name = "fuzz"
seeds = [0, 1]
skip_invalid = false

[budget]
tol = 1e-6
max_calls = 4000
max_iters = 1000
time_limit = 5.0
trace_every = 5
check_every = 1
divergence_factor = 1e6

[[problems]]
name = "bilinear"
params = { n = 4, preset = "" }
grid = { m = [3, 6], cond = [2.0, 8.0] }
budget = { max_calls = 500 }
seeds = [0]

[[problems]]
name = "gan-dirac"
[problems.params]
start = [1.0, 0.5]
[problems.grid]
reg = ["none", "r1"]

[[solvers]]
name = "extragradient"
grid = { step = ["auto", 0.2] }

[[solvers]]
name = "tikhonov"
params = { inner = "gda", inner_params = { step = 0.1 } }
budget = { tol = 1e-4 }
"#;

/// Tokens a mutation inserts: extreme numbers, wrong types, TOML syntax.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("1e400".to_string()),
        Just("18446744073709551616".to_string()),
        Just("9223372036854775807".to_string()),
        Just("\"x\"".to_string()),
        Just("[]".to_string()),
        Just("[[1, 2], [3]]".to_string()),
        Just("{ a = 1 }".to_string()),
        Just("true".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("[[problems]]\n".to_string()),
        Just("[[solvers]]\nname = \"gda\"\n".to_string()),
        Just("[budget]\n".to_string()),
        Just("grid = { k = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }\n".to_string()),
        Just("\u{e9}\u{1F600}".to_string()),
        Just("=".to_string()),
        Just("\n".to_string()),
        "[ -~]{0,12}",
    ]
}

/// A structured mutation of [`VALID`].
#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the value after the `k`-th `=` with a token.
    Value(usize, String),
    /// Insert a token at a byte position.
    Insert(usize, String),
    /// Delete a byte range.
    Delete(usize, usize),
    /// Repeat a line.
    Repeat(usize),
    /// Swap two lines.
    Swap(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..64usize, token()).prop_map(|(k, t)| Mutation::Value(k, t)),
        (0..VALID.len(), token()).prop_map(|(at, t)| Mutation::Insert(at, t)),
        (0..VALID.len(), 0..40usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (0..64usize).prop_map(Mutation::Repeat),
        (0..64usize, 0..64usize).prop_map(|(a, b)| Mutation::Swap(a, b)),
    ]
}

/// The largest char boundary of `s` at or before `at`.
fn boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match m {
        Mutation::Value(k, t) => {
            let eqs: Vec<usize> = text.match_indices('=').map(|(i, _)| i).collect();
            if eqs.is_empty() {
                return text.to_string();
            }
            let at = eqs[k % eqs.len()] + 1;
            let end = text[at..].find(['\n', ',', '}']).map_or(text.len(), |e| at + e);
            format!("{} {t}{}", &text[..at], &text[end..])
        }
        Mutation::Insert(at, t) => {
            let at = boundary(text, *at);
            format!("{}{t}{}", &text[..at], &text[at..])
        }
        Mutation::Delete(at, n) => {
            let a = boundary(text, *at);
            let b = boundary(text, a + n);
            format!("{}{}", &text[..a], &text[b..])
        }
        Mutation::Repeat(i) => {
            if !lines.is_empty() {
                let i = i % lines.len();
                lines.insert(i, lines[i].clone());
            }
            lines.join("\n")
        }
        Mutation::Swap(a, b) => {
            if !lines.is_empty() {
                let n = lines.len();
                lines.swap(a % n, b % n);
            }
            lines.join("\n")
        }
    }
}

/// Random concatenations of suite TOML fragments: table headers, keys, values, brackets.
fn toml_like_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("[[problems]]\n"),
            Just("[[solvers]]\n"),
            Just("[budget]\n"),
            Just("name = \"bilinear\"\n"),
            Just("name = \"gda\"\n"),
            Just("seeds = ["),
            Just("grid = { m = ["),
            Just("params = {"),
            Just("]"),
            Just("}"),
            Just(", "),
            Just("1"),
            Just("-1"),
            Just("1e999"),
            Just("nan"),
            Just("\"s\""),
            Just("\n"),
            Just("tol = "),
            Just("max_calls = "),
            Just("time_limit = "),
            Just("skip_invalid = true\n"),
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

#[test]
fn the_valid_suite_reads_and_expands() {
    let spec = SuiteSpec::from_toml(VALID, "fuzz.toml").unwrap();
    // bilinear: 2 x 2 grid points x 1 seed; gan-dirac: 2 x 2 seeds; solvers: 2 + 1 points.
    assert_eq!(spec.case_count(), Some((4 + 4) * 3));
    assert_eq!(spec.cases_with(|_| true).unwrap().len(), 24);
    // The Dirac-GAN and these solvers read no seed: its 2 x 3 configurations run once.
    assert_eq!(spec.cases().unwrap().len(), 12 + 6);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn suite_reader_survives_random_text(text in "(?s).{0,400}") {
        read_suite(&text);
    }

    #[test]
    fn suite_reader_survives_toml_like_text(text in toml_like_text()) {
        read_suite(&text);
    }

    #[test]
    fn suite_reader_survives_mutations_of_a_valid_suite(ms in proptest::collection::vec(mutation(), 1..6)) {
        let text = ms.iter().fold(VALID.to_string(), |t, m| apply(&t, m));
        read_suite(&text);
    }

    #[test]
    fn suite_file_reader_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let dir = std::env::temp_dir().join(format!("vi-bench-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:?}.toml", std::thread::current().id()).replace(['(', ')'], ""));
        std::fs::write(&path, &bytes).unwrap();
        let (r, peak) = peak_during(|| SuiteSpec::from_file(&path).map(|s| s.case_count()));
        prop_assert!(peak < HEAP_BOUND);
        if let Err(e) = r {
            let line = e.to_string();
            prop_assert!(!line.contains('\n') && line.contains(&*path.display().to_string()), "{line}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// --set and whole command lines
// ---------------------------------------------------------------------------------------------

/// JSON values of every shape, as `--set` would receive them.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|u| json!(u)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "[a-z0-9 _.\\-]{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn set_parsing_survives_random_assignments(
        set in proptest::collection::vec(
            prop_oneof!["(?s).{0,40}", "[ ]?(problem|solver|x)[ ]?[.]?[a-z]{0,2}[ ]?=?(?s).{0,8}"],
            0..6,
        )
    ) {
        // The rule, independently: `problem.KEY=VALUE` or `solver.KEY=VALUE` with a non-empty
        // KEY (everything after the first `.`), each (target, KEY) at most once.
        let mut seen = std::collections::BTreeSet::new();
        let valid = set.iter().all(|a| {
            a.split_once('=').and_then(|(lhs, _)| lhs.trim().split_once('.')).is_some_and(|(t, k)| {
                (t == "problem" || t == "solver") && !k.is_empty() && seen.insert((t.to_string(), k.to_string()))
            })
        });
        match split_assignments(&set) {
            Ok((p, s)) => {
                prop_assert!(valid, "{set:?} accepted");
                prop_assert_eq!(p.len() + s.len(), set.len());
            }
            Err(e) => prop_assert!(!valid && !e.to_string().is_empty(), "{set:?}: {e}"),
        }
    }

    #[test]
    fn set_parsing_keeps_json_values_and_rejects_repeated_keys(
        items in proptest::collection::vec((any::<bool>(), "[a-z_]{1,6}", json_value()), 1..6)
    ) {
        let set: Vec<String> = items
            .iter()
            .map(|(problem, k, v)| format!("{}.{k}={v}", if *problem { "problem" } else { "solver" }))
            .collect();
        let mut keys: Vec<(bool, &str)> = items.iter().map(|(p, k, _)| (*p, k.as_str())).collect();
        keys.sort_unstable();
        let repeated = keys.windows(2).any(|w| w[0] == w[1]);
        match split_assignments(&set) {
            Ok((p, s)) => {
                prop_assert!(!repeated);
                for (problem, k, v) in &items {
                    let got = if *problem { &p[k.as_str()] } else { &s[k.as_str()] };
                    // The value is the JSON text given (re-read, so float parsing is the same).
                    let expected: Value = serde_json::from_str(&v.to_string()).unwrap();
                    prop_assert_eq!(got, &expected);
                }
            }
            Err(e) => {
                prop_assert!(repeated, "{e}");
                prop_assert!(e.to_string().contains("given twice"));
            }
        }
    }

    #[test]
    fn command_lines_parse_or_fail_without_panicking(
        args in proptest::collection::vec(
            prop_oneof![
                Just("run"), Just("suite"), Just("diagnose"), Just("trajectory"), Just("report"), Just("list"),
                Just("--problem"), Just("bilinear"), Just("--solver"), Just("gda"), Just("--set"),
                Just("problem.m=3"), Just("solver.step=-1"), Just("--max-iters"), Just("--max-calls"),
                Just("--seed"), Just("--jobs"), Just("--shard"), Just("--offset"), Just("--tol"),
                Just("--time-limit"), Just("--trace-every"), Just("--check-every"), Just("-1"), Just("0"),
                Just("1/0"), Just("2/3"), Just("NaN"), Just("inf"), Just("1e400"), Just("18446744073709551616"),
                Just("--json"), Just("--resume"), Just("--dry-run"), Just("--out"), Just("x"), Just("="), Just(""),
            ],
            0..10,
        )
    ) {
        let argv = std::iter::once("vi-bench").chain(args.iter().copied());
        if let Ok(cli) = Cli::try_parse_from(argv) {
            if let vi_bench::commands::Command::Run(r) = &cli.command {
                // Parsed numbers are in range; the spec is built or refused, never a panic.
                prop_assert!(r.check_every.is_none_or(|c| c >= 1) && r.tol.is_none_or(|t| t.is_finite() && t >= 0.0));
                let _ = r.spec();
            }
            if let vi_bench::commands::Command::Diagnose(d) = &cli.command {
                prop_assert!(d.offset.is_finite() && d.offset > 0.0);
            }
        }
    }
}

/// A case CI's random seed found: `grid = { m = [3, 68.0] }` builds a 68 x 4 `bilinear`, whose
/// QR is the thread's first faer product large enough to reserve the packing buffer.
#[test]
fn a_first_mid_size_factorisation_is_not_counted_against_the_reader() {
    read_suite(&apply(VALID, &Mutation::Delete(260, 16)));
}
