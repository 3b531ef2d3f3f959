//! The harness of the bad-input catalogue (`bad_arguments.rs`, `bad_files.rs`,
//! `bad_suites.rs`): every case runs the real binary and must end with exit status 2, exactly
//! one line on stderr naming the culprit (a substring of it), and no panic. Every child runs
//! under a 4 GiB address-space limit (`RLIMIT_AS`) and a 20 s wall-clock timeout, so a
//! regression that allocates without bound or hangs fails there instead of taking the machine.
//!
//! The cases themselves are data, one a line in `bad_inputs/*.txt` ([`catalogue`]).
//! Arguments are written as one string split on whitespace; children run in a scratch directory
//! holding the fixture files of [`fixture`], so file arguments are relative names.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address-space limit of every child.
pub const MEMORY_LIMIT: u64 = 4 << 30;
/// Wall-clock limit of every child.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// One bad input: what it is, the command line, and a substring the error line must contain.
pub struct Bad {
    what: &'static str,
    args: &'static str,
    culprit: &'static str,
}

/// Parses a catalogue file (`bad_inputs/*.txt`): one case a line, `name | command line | culprit`;
/// blank lines and lines starting with `#` are skipped.
pub fn catalogue(text: &'static str) -> Vec<Bad> {
    let rows = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    rows.map(|(i, line)| match line.split(" | ").collect::<Vec<_>>()[..] {
        [what, args, culprit] => Bad { what, args, culprit },
        _ => panic!("catalogue line {}: expected `name | command line | culprit`, got {line:?}", i + 1),
    })
    .collect()
}

/// A one-problem, one-solver suite file followed by `extra` lines.
const SUITE_BASE: &str = "[[problems]]\nname = \"bilinear\"\n[[solvers]]\nname = \"extragradient\"\n";

fn write(dir: &Path, name: &str, text: &[u8]) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Files the catalogue refers to, by name.
fn fixture(dir: &Path) {
    data_files(dir);
    suite_variants(dir);
    whole_suites(dir);
    // A results directory that already holds a run (suite without --resume must refuse).
    std::fs::create_dir_all(dir.join("done")).unwrap();
    write(
        dir,
        "done/results.jsonl",
        b"{\"case_id\":\"0123456789abcdef\",\"problem\":\"bilinear\",\"solver\":\"gda\",\"status\":\"Converged\"}\n",
    );
}

/// Matrices, vectors and payoff files; points for `diagnose`; bytes that are not text; an empty
/// directory.
fn data_files(dir: &Path) {
    let w = |name: &str, text: &[u8]| write(dir, name, text);
    // Matrix Market and plain-rows matrices, vectors, payoff files.
    let mm = "%%MatrixMarket matrix coordinate real general\n";
    w("mm_nan.mtx", format!("{mm}3 3 2\n1 1 nan\n2 2 1\n").as_bytes());
    w("mm_range.mtx", format!("{mm}3 3 1\n5 1 1\n").as_bytes());
    w("mm_short.mtx", format!("{mm}3 3 3\n1 1 1\n").as_bytes());
    w("mm_long.mtx", format!("{mm}2 2 1\n1 1 1\n2 2 1\n").as_bytes());
    w("mm_rect.mtx", format!("{mm}3 2 1\n1 1 1\n").as_bytes());
    w("mm_banner.mtx", b"%%MatrixMarket tensor coordinate real general\n3 3 1\n1 1 1\n");
    w("mm_negnnz.mtx", format!("{mm}3 3 -5\n1 1 1\n").as_bytes());
    w("mm_huge_nnz.mtx", format!("{mm}3 3 1000000000000000\n1 1 1\n").as_bytes());
    w("mm_max_nnz.mtx", format!("{mm}3 3 18446744073709551615\n1 1 1\n").as_bytes());
    w("mm_big_array.mtx", b"%%MatrixMarket matrix array real general\n100000 100000\n1\n2\n");
    w("ragged.txt", b"1 2 3\n4 5\n7 8 9\n");
    w("inf.txt", b"1 2\ninf 4\n");
    w("nan.txt", b"1 2\nnan 4\n");
    w("id2.txt", b"1 0\n0 1\n");
    w("v3.txt", b"1 2 3\n");
    w("vnan.txt", b"1\nnan\n");
    w("empty.txt", b"");
    // Points for diagnose (gan-dirac has dimension 2).
    w("p3.txt", b"1 2 3");
    w("pnan.txt", b"1 nan");
    w("pword.txt", b"1 two");
    // Bytes that are not UTF-8 text.
    w("garbage.bin", &(0..3000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80).collect::<Vec<_>>());
    std::fs::create_dir_all(dir.join("emptydir")).unwrap();
}

/// Suites that are the base suite with a few lines added.
fn suite_variants(dir: &Path) {
    let suites: &[(&str, &str)] = &[
        ("ok", ""),
        ("seeds_neg", "seeds = [-1]\n"),
        ("seeds_float", "seeds = [1.5]\n"),
        ("seeds_str", "seeds = \"0\"\n"),
        ("seeds_empty", "seeds = []\n"),
        ("name_int", "name = 3\n"),
        ("skip_str", "skip_invalid = \"yes\"\n"),
        ("unknown_top", "colour = 1\n"),
        ("syntax", "[[problems]\n"),
        ("duplicate_key", "[budget]\ntol = 1\ntol = 2\n"),
        ("tol_neg", "[budget]\ntol = -1\n"),
        ("tol_nan", "[budget]\ntol = nan\n"),
        ("time_zero", "[budget]\ntime_limit = 0\n"),
        ("check_zero", "[budget]\ncheck_every = 0\n"),
        ("iters_neg", "[budget]\nmax_iters = -1\n"),
        ("calls_str", "[budget]\nmax_calls = \"many\"\n"),
        ("calls_huge", "[budget]\nmax_calls = 1e30\n"),
        ("divergence_one", "[budget]\ndivergence_factor = 1\n"),
        ("budget_unknown", "[budget]\nmax_time = 3\n"),
    ];
    for (name, extra) in suites {
        // Top-level keys go before the tables, tables after.
        let text = if extra.starts_with('[') { format!("{SUITE_BASE}{extra}") } else { format!("{extra}{SUITE_BASE}") };
        write(dir, &format!("{name}.toml"), text.as_bytes());
    }
}

/// Whole suite files.
fn whole_suites(dir: &Path) {
    let whole: &[(&str, &str)] = &[
        ("no_solvers", "[[problems]]\nname = \"bilinear\"\n"),
        ("problems_int", "problems = 3\n[[solvers]]\nname = \"extragradient\"\n"),
        ("no_name", "[[problems]]\nparams = { m = 3 }\n[[solvers]]\nname = \"extragradient\"\n"),
        ("entry_budget", "[[problems]]\nname = \"bilinear\"\nbudget = { tol = -2 }\n[[solvers]]\nname = \"extragradient\"\n"),
        ("grid_scalar", "[[problems]]\nname = \"bilinear\"\ngrid = { m = 3 }\n[[solvers]]\nname = \"extragradient\"\n"),
        ("grid_empty", "[[problems]]\nname = \"bilinear\"\ngrid = { m = [] }\n[[solvers]]\nname = \"extragradient\"\n"),
        (
            "grid_both",
            "[[problems]]\nname = \"bilinear\"\nparams = { m = 3 }\ngrid = { m = [3] }\n[[solvers]]\nname = \"extragradient\"\n",
        ),
        ("unknown_problem", "[[problems]]\nname = \"bilinar\"\n[[solvers]]\nname = \"extragradient\"\n"),
        ("unknown_solver", "[[problems]]\nname = \"bilinear\"\n[[solvers]]\nname = \"eg\"\n"),
        ("unknown_param", "[[problems]]\nname = \"bilinear\"\nparams = { size = 3 }\n[[solvers]]\nname = \"extragradient\"\n"),
        ("bad_value", "[[problems]]\nname = \"bilinear\"\nparams = { cond = -3 }\n[[solvers]]\nname = \"extragradient\"\n"),
        (
            "bad_solver_value",
            "[[problems]]\nname = \"bilinear\"\n[[solvers]]\nname = \"extragradient\"\ngrid = { step = [0.1, -1] }\n",
        ),
        ("solver_seeds", "[[problems]]\nname = \"bilinear\"\n[[solvers]]\nname = \"extragradient\"\nseeds = [1]\n"),
        ("duplicate", "[[problems]]\nname = \"bilinear\"\n[[problems]]\nname = \"bilinear\"\n[[solvers]]\nname = \"extragradient\"\n"),
        (
            "grid_bomb",
            "[[problems]]\nname = \"bilinear\"\ngrid = { a = [1,2,3,4,5,6,7,8,9,10], b = [1,2,3,4,5,6,7,8,9,10], \
             c = [1,2,3,4,5,6,7,8,9,10], d = [1,2,3,4,5,6,7,8,9,10], e = [1,2,3,4,5,6,7,8,9,10], \
             f = [1,2,3,4,5,6,7,8,9,10] }\n[[solvers]]\nname = \"extragradient\"\n",
        ),
        ("size_bomb", "[[problems]]\nname = \"bilinear\"\ngrid = { m = [3, 1000000000] }\n[[solvers]]\nname = \"extragradient\"\n"),
    ];
    for (name, text) in whole {
        write(dir, &format!("{name}.toml"), text.as_bytes());
    }
}

/// What a child did.
pub struct Outcome {
    pub code: Option<i32>,
    pub stderr: String,
    pub timed_out: bool,
}

/// Runs the binary in `dir` under [`MEMORY_LIMIT`] and [`TIMEOUT`].
pub fn run_limited(dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vi-bench"));
    cmd.args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    limit_memory(&mut cmd);
    let mut child = cmd.spawn().expect("start vi-bench");
    let mut pipe = child.stderr.take().expect("stderr pipe");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    });
    let deadline = Instant::now() + TIMEOUT;
    let (status, timed_out) = loop {
        if let Some(s) = child.try_wait().expect("wait for vi-bench") {
            break (s, false);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break (child.wait().expect("reap vi-bench"), true);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stderr = String::from_utf8_lossy(&reader.join().unwrap_or_default()).into_owned();
    Outcome { code: status.code(), stderr, timed_out }
}

/// Sets `RLIMIT_AS` in the child before it executes the binary.
#[allow(unsafe_code)]
pub fn limit_memory(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure only calls setrlimit, which is
    // async-signal-safe, and builds an io::Error from errno; it touches no lock or allocator.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: MEMORY_LIMIT as libc::rlim_t, rlim_max: MEMORY_LIMIT as libc::rlim_t };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// `None` if `b` holds, else what went wrong.
fn check(dir: &Path, b: &Bad) -> Option<String> {
    let args: Vec<&str> = b.args.split_whitespace().collect();
    let o = run_limited(dir, &args);
    let err = o.stderr.trim_end();
    let mut wrong = Vec::new();
    if o.timed_out {
        wrong.push(format!("killed after {} s", TIMEOUT.as_secs()));
    }
    if o.code != Some(2) {
        wrong.push(format!("exit status {:?}, expected 2", o.code));
    }
    if err.lines().count() != 1 {
        wrong.push(format!("{} lines on stderr, expected 1", err.lines().count()));
    }
    if !err.contains(b.culprit) {
        wrong.push(format!("`{}` not named", b.culprit));
    }
    if err.contains("panicked") {
        wrong.push("panicked".into());
    }
    let shown: String = err.chars().take(300).collect();
    (!wrong.is_empty()).then(|| format!("{} (`{}`): {}; stderr: {shown}", b.what, b.args, wrong.join(", ")))
}

/// Checks every case (two at a time) and fails with the list of those that do not hold.
pub fn check_all(cases: &[Bad], group: &str) {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let failures: Vec<String> = std::thread::scope(|s| {
        let halves = cases.split_at(cases.len() / 2);
        let workers: Vec<_> = [halves.0, halves.1]
            .into_iter()
            .map(|part| s.spawn(|| part.iter().filter_map(|b| check(dir.path(), b)).collect::<Vec<_>>()))
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    eprintln!("{group}: {} of {} bad inputs hold", cases.len() - failures.len(), cases.len());
    assert!(failures.is_empty(), "{group}: {} of {} fail:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// Asserts that `cases` hold at least `min` cases and that no two share a name.
pub fn check_names(cases: &[&[Bad]], min: usize) {
    let mut names: Vec<&str> = cases.iter().flat_map(|c| c.iter()).map(|b| b.what).collect();
    assert!(names.len() >= min, "{} cases, expected at least {min}", names.len());
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "two cases share a name");
}
