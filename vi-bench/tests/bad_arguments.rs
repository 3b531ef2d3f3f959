//! The bad-input catalogue, command-line arguments: numeric options, names, `--set` syntax, and
//! the parameters of every problem and solver. Each case must end with exit status 2 and one line
//! naming the culprit, under the memory and time limits of `common`.

#![cfg(unix)]

mod common;

use common::{catalogue, check_all, check_names, Bad};

/// Bad options, names and parameters of the command line; each must fail on its own (`bad_inputs/arguments.txt`).
fn arguments() -> Vec<Bad> {
    catalogue(include_str!("bad_inputs/arguments.txt"))
}

#[test]
fn the_cases_are_many_and_their_names_unique() {
    check_names(&[&arguments()], 100);
}

#[test]
fn every_bad_argument_exits_2_with_one_line_naming_the_culprit() {
    check_all(&arguments(), "arguments");
}

#[test]
fn the_harness_catches_a_hang_and_a_memory_bomb() {
    use common::{limit_memory, run_limited, MEMORY_LIMIT, TIMEOUT};
    use std::process::{Command, Stdio};
    use std::time::Instant;
    // The limits themselves: a child that would sleep past the timeout is killed, and one that
    // asks for more than the memory limit fails. `sh` stands in for a regressed binary.
    let dir = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "ulimit -v; sleep 1"]).stdout(Stdio::piped());
    limit_memory(&mut cmd);
    let out = cmd.output().unwrap();
    let kib: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(kib, MEMORY_LIMIT / 1024, "the child runs under RLIMIT_AS");
    assert!(t0.elapsed() < TIMEOUT);
    // A good command passes through the same runner with status 0 and no stderr.
    let o = run_limited(dir.path(), &["list", "solvers"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(!o.timed_out && o.stderr.is_empty());
}
