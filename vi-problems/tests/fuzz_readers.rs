//! Property-based fuzzing of the text readers: the Matrix Market / plain-rows matrix reader
//! ([`io::parse_matrix`]), the vector reader ([`io::parse_vector`]) and the payoff-file reader
//! of `matrix-game` ([`parse_payoff`]).
//!
//! Inputs are random bytes and structured mutations of valid files (header numbers replaced by
//! huge values, lines dropped or duplicated, NaN / inf inserted, truncation). Every input must
//! give `Ok` or `Err` (never a panic), and an accepted result must be bounded by the input: a
//! dense matrix holds at most `4 len + 1` values (every stored value takes at least two bytes,
//! symmetric storage doubles), sparse triplets at most two per line, a vector at most what the
//! memory limit allows. The memory limit of this process is set to 64 MiB
//! ([`vi_core::memory::set_limit`]), so a size that escapes its check fails the bound (or the
//! test) instead of allocating gigabytes.
//!
//! Cases: 2000 per property by default (7 properties); more with the environment variable
//! `PROPTEST_CASES`, e.g. `PROPTEST_CASES=100000 cargo test -p vi-problems --test fuzz_readers`.

use proptest::prelude::*;
use vi_problems::affine::io::{self, MatrixData};
use vi_problems::matrix_game::parse_payoff;

const LIMIT: u64 = 64 << 20;

fn config() -> ProptestConfig {
    vi_core::memory::set_limit(Some(LIMIT));
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(2000);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Valid files of every supported kind.
const VALID: [&str; 9] = [
    "%%MatrixMarket matrix coordinate real general\n% comment\n2 3 2\n1 3 4.5\n2 1 -1\n",
    "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 1 2\n2 1 3\n",
    "%%MatrixMarket matrix coordinate integer skew-symmetric\n3 3 2\n2 1 3\n3 2 -1\n",
    "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n",
    "%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n4\n",
    "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n",
    "%%MatrixMarket matrix array real general\n3 1\n1\n-2\n3\n",
    "# payoff\n1, 2 3\n\n-4 5.5,6\n",
    "1 2,3\n# c\n4\n",
];

/// Replacements for a number: huge, overflowing, zero, negative, non-finite.
const NUMBERS: [&str; 14] = [
    "1000000000000000",
    "18446744073709551615",
    "18446744073709551616",
    "100000",
    "4294967296",
    "0",
    "-1",
    "NaN",
    "inf",
    "-inf",
    "1e999",
    "3.5",
    "",
    "9223372036854775808",
];

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the `k`-th number-like token.
    Number(usize, usize),
    /// Drop line `k`.
    Drop(usize),
    /// Duplicate line `k`.
    Duplicate(usize),
    /// Insert a token after line `k`.
    Insert(usize, usize),
    /// Cut the text at a byte fraction.
    Truncate(f64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..12usize, 0..NUMBERS.len()).prop_map(|(k, n)| Mutation::Number(k, n)),
        (0..8usize).prop_map(Mutation::Drop),
        (0..8usize).prop_map(Mutation::Duplicate),
        (0..8usize, 0..NUMBERS.len()).prop_map(|(k, n)| Mutation::Insert(k, n)),
        (0.0..1.0f64).prop_map(Mutation::Truncate),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len();
    match *m {
        Mutation::Number(k, r) => {
            let mut seen = 0;
            for line in lines.iter_mut().filter(|l| !l.starts_with('%') && !l.starts_with('#')) {
                let mut toks: Vec<String> = line.split(' ').map(str::to_string).collect();
                for t in toks.iter_mut() {
                    if t.trim_end_matches(',').parse::<f64>().is_ok() {
                        if seen == k {
                            *t = NUMBERS[r].to_string();
                        }
                        seen += 1;
                    }
                }
                *line = toks.join(" ");
            }
        }
        Mutation::Drop(k) if n > 0 => {
            lines.remove(k % n);
        }
        Mutation::Duplicate(k) if n > 0 => {
            let l = lines[k % n].clone();
            lines.insert(k % n, l);
        }
        Mutation::Insert(k, r) => lines.insert(k % (n + 1), NUMBERS[r].to_string()),
        Mutation::Truncate(f) => {
            let joined = lines.join("\n");
            let mut cut = (joined.len() as f64 * f) as usize;
            while !joined.is_char_boundary(cut) {
                cut -= 1;
            }
            return joined[..cut].to_string();
        }
        _ => {}
    }
    lines.join("\n") + "\n"
}

/// Checks that an accepted matrix is bounded by its text and holds only finite values.
fn check_matrix(text: &str, r: Result<MatrixData, vi_core::Error>) -> Result<(), TestCaseError> {
    match r {
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(msg.starts_with("cannot read `"), "{msg}");
            prop_assert!(!msg.contains('\n'), "{msg}");
        }
        Ok(MatrixData::Dense(m)) => {
            prop_assert!(
                m.nrows() * m.ncols() <= 4 * text.len() + 1,
                "{} x {} from {} bytes",
                m.nrows(),
                m.ncols(),
                text.len()
            );
            prop_assert!(m.is_all_finite());
        }
        Ok(MatrixData::Sparse { nrows, ncols, triplets }) => {
            prop_assert!(triplets.len() <= 2 * text.lines().count());
            prop_assert!(triplets.iter().all(|t| t.row < nrows && t.col < ncols && t.val.is_finite()));
        }
    }
    Ok(())
}

fn check_vector(r: Result<Vec<f64>, vi_core::Error>) -> Result<(), TestCaseError> {
    match r {
        Err(e) => prop_assert!(e.to_string().starts_with("cannot read `")),
        Ok(v) => {
            prop_assert!(!v.is_empty() && (v.len() as u64) * 8 <= LIMIT);
            prop_assert!(v.iter().all(|x| x.is_finite()));
        }
    }
    Ok(())
}

fn check_payoff(text: &str, r: Result<faer::Mat<f64>, vi_core::Error>) -> Result<(), TestCaseError> {
    match r {
        Err(e) => prop_assert!(e.to_string().starts_with("cannot read `")),
        Ok(m) => {
            let values = (m.nrows() * m.ncols()) as u64;
            prop_assert!(values * 8 <= LIMIT || values <= 4 * text.len() as u64 + 1);
            prop_assert!(m.is_all_finite());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        check_matrix(&text, io::parse_matrix(&text, "fuzz"))?;
        check_vector(io::parse_vector(&text, "fuzz"))?;
        check_payoff(&text, parse_payoff(&text, "fuzz"))?;
    }

    #[test]
    fn random_bytes_after_a_matrix_market_header_never_panic(
        kind in 0..VALID.len(),
        body in proptest::collection::vec(prop_oneof![Just(b' '), Just(b'\n'), Just(b'1'), Just(b'9'), Just(b'-'), Just(b'.'), Just(b'e'), any::<u8>()], 0..200),
    ) {
        let header = VALID[kind].lines().next().unwrap_or("");
        let text = format!("{header}\n{}", String::from_utf8_lossy(&body));
        check_matrix(&text, io::parse_matrix(&text, "fuzz"))?;
        check_vector(io::parse_vector(&text, "fuzz"))?;
        check_payoff(&text, parse_payoff(&text, "fuzz"))?;
    }

    #[test]
    fn mutated_matrices_are_bounded(kind in 0..VALID.len(), muts in proptest::collection::vec(mutation(), 1..4)) {
        let text = muts.iter().fold(VALID[kind].to_string(), |t, m| apply(&t, m));
        check_matrix(&text, io::parse_matrix(&text, "fuzz"))?;
    }

    #[test]
    fn mutated_vectors_are_bounded(kind in 0..VALID.len(), muts in proptest::collection::vec(mutation(), 1..4)) {
        let text = muts.iter().fold(VALID[kind].to_string(), |t, m| apply(&t, m));
        check_vector(io::parse_vector(&text, "fuzz"))?;
    }

    #[test]
    fn mutated_payoffs_are_bounded(kind in 0..VALID.len(), muts in proptest::collection::vec(mutation(), 1..4)) {
        let text = muts.iter().fold(VALID[kind].to_string(), |t, m| apply(&t, m));
        check_payoff(&text, parse_payoff(&text, "fuzz"))?;
    }

    /// Headers with arbitrary sizes over a short body: refused unless the body matches.
    #[test]
    fn arbitrary_header_sizes_are_checked_against_the_body(
        rows in prop_oneof![0..5u64, any::<u64>()],
        cols in prop_oneof![0..5u64, any::<u64>()],
        nnz in prop_oneof![0..5u64, any::<u64>()],
        coordinate in any::<bool>(),
        sym in 0..3usize,
        lines in 0..6usize,
    ) {
        let symmetry = ["general", "symmetric", "skew-symmetric"][sym];
        let (format, size) = if coordinate {
            ("coordinate", format!("{rows} {cols} {nnz}"))
        } else {
            ("array", format!("{rows} {cols}"))
        };
        let body: String = (0..lines).map(|k| if coordinate { format!("{} 1 0.5\n", k % 3 + 2) } else { "0.5\n".to_string() }).collect();
        let text = format!("%%MatrixMarket matrix {format} real {symmetry}\n{size}\n{body}");
        let r = io::parse_matrix(&text, "fuzz");
        if let Ok(m) = &r {
            let (r0, c0) = m.shape();
            prop_assert_eq!((r0 as u64, c0 as u64), (rows, cols));
        }
        check_matrix(&text, r)?;
        check_vector(io::parse_vector(&text, "fuzz"))?;
        check_payoff(&text, parse_payoff(&text, "fuzz"))?;
    }

    /// Valid files still parse after an appended comment (the readers are not only refusing).
    #[test]
    fn valid_files_parse(kind in 0..VALID.len(), comment in "[a-z ]{0,20}") {
        let text = format!("{}% {comment}\n", VALID[kind]);
        // The last file is a vector (rows of unequal length), the others are matrices.
        let vector = kind + 1 == VALID.len();
        prop_assert!(io::parse_matrix(&text, "ok").is_ok() != vector, "{}", text);
        prop_assert!(parse_payoff(VALID[kind], "ok").is_ok() != vector);
        prop_assert_eq!(io::parse_vector(VALID[kind], "ok").is_ok(), [6, 7, 8].contains(&kind));
    }
}
