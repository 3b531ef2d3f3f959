//! The bad-input catalogue, files and sizes: missing, unreadable, lying or non-finite files,
//! and problem sizes and file headers that vi-problems must refuse before allocating (memory
//! estimated from the parameters, declared sizes checked against the file, checked sums of user
//! sizes, bounded inner loops). Each case must end with exit status 2 and one line naming the
//! culprit, under the memory and time limits of `common`.

#![cfg(unix)]

mod common;

use common::{bad, check_all, check_names, Bad};

/// Files given to problems, `diagnose --at`, `--trace` and `report`.
const FILES: &[Bad] = &[
    // --- files: missing, unreadable, lying, non-finite ---
    bad("matrix missing", "run --problem affine --solver gda --set problem.matrix=missing.mtx", "missing.mtx"),
    bad("matrix is a directory", "run --problem affine --solver gda --set problem.matrix=emptydir", "emptydir"),
    bad("matrix not text", "run --problem affine --solver gda --set problem.matrix=garbage.bin", "garbage.bin"),
    bad("matrix empty", "run --problem affine --solver gda --set problem.matrix=empty.txt", "empty.txt"),
    bad("matrix ragged rows", "run --problem affine --solver gda --set problem.matrix=ragged.txt", "ragged.txt"),
    bad("matrix inf", "run --problem affine --solver gda --set problem.matrix=inf.txt", "inf.txt"),
    bad("Matrix Market NaN entry", "run --problem affine --solver gda --set problem.matrix=mm_nan.mtx", "mm_nan.mtx"),
    bad(
        "Matrix Market index out of range",
        "run --problem affine --solver gda --set problem.matrix=mm_range.mtx",
        "mm_range.mtx",
    ),
    bad(
        "Matrix Market fewer entries than declared",
        "run --problem affine --solver gda --set problem.matrix=mm_short.mtx",
        "mm_short.mtx",
    ),
    bad(
        "Matrix Market more entries than declared",
        "run --problem affine --solver gda --set problem.matrix=mm_long.mtx",
        "mm_long.mtx",
    ),
    bad(
        "Matrix Market not square",
        "run --problem affine --solver gda --set problem.matrix=mm_rect.mtx",
        "mm_rect.mtx",
    ),
    bad(
        "Matrix Market banner",
        "run --problem affine --solver gda --set problem.matrix=mm_banner.mtx",
        "mm_banner.mtx",
    ),
    bad(
        "Matrix Market negative count",
        "run --problem affine --solver gda --set problem.matrix=mm_negnnz.mtx",
        "mm_negnnz.mtx",
    ),
    bad(
        "vector wrong length",
        "run --problem affine --solver gda --set problem.matrix=id2.txt --set problem.vector=v3.txt",
        "v3.txt",
    ),
    bad(
        "vector NaN",
        "run --problem affine --solver gda --set problem.matrix=id2.txt --set problem.vector=vnan.txt",
        "vnan.txt",
    ),
    bad(
        "vector missing",
        "run --problem affine --solver gda --set problem.matrix=id2.txt --set problem.vector=missing.txt",
        "missing.txt",
    ),
    bad(
        "payoff file wrong count",
        "run --problem matrix-game --solver gda --set problem.file=ragged.txt",
        "ragged.txt",
    ),
    bad("payoff file NaN", "run --problem matrix-game --solver gda --set problem.file=nan.txt", "nan.txt"),
    bad(
        "payoff file declared count",
        "run --problem matrix-game --solver gda --set problem.file=mm_short.mtx",
        "mm_short.mtx",
    ),
    bad("payoff file missing", "run --problem matrix-game --solver gda --set problem.file=missing.txt", "missing.txt"),
    bad("point missing", "diagnose --problem gan-dirac --at missing.txt", "missing.txt"),
    bad("point wrong length", "diagnose --problem gan-dirac --at p3.txt", "p3.txt"),
    bad("point NaN", "diagnose --problem gan-dirac --at pnan.txt", "pnan.txt"),
    bad("point word", "diagnose --problem gan-dirac --at pword.txt", "`two`"),
    bad("point endless", "diagnose --problem gan-dirac --at /dev/zero", "/dev/zero"),
    bad("point not text", "diagnose --problem gan-dirac --at garbage.bin", "garbage.bin"),
    bad("no known solution", "diagnose --problem gan-mixture --set problem.batch=8 --at solution", "--at start"),
    bad(
        "trace file unwritable",
        "run --problem bilinear --solver gda --max-iters 5 --trace no/such/dir/t.csv",
        "no/such/dir",
    ),
    bad("report missing", "report missing_dir", "missing_dir"),
    bad("report empty directory", "report emptydir", "emptydir"),
    bad("report device", "report /dev/zero", "/dev/zero"),
];

/// Problem-size bombs and lying headers: the causes are in vi-problems. Each
/// culprit is the parameter or file the fixed message names.
const SIZE_BOMBS: &[Bad] = &[
    bad("bilinear m = 10^9", "run --problem bilinear --solver gda --set problem.m=1000000000", "`m`"),
    bad("quadratic n = 10^5", "run --problem quadratic --solver gda --set problem.n=100000", "`n`"),
    bad("quadratic rho = 1e308", "run --problem quadratic --solver gda --set problem.rho=1e308", "`rho`"),
    bad(
        "matrix-game m = 10^9",
        "run --problem matrix-game --solver gda --set problem.preset=random --set problem.m=1000000000",
        "`m`",
    ),
    bad("matrix-game m = 10^9 beside a preset", "run --problem matrix-game --solver gda --set problem.m=1000000000", "`m`"),
    bad("gan-gaussian-mean d = 10^9", "run --problem gan-gaussian-mean --solver gda --set problem.d=1000000000", "`d`"),
    bad(
        "gan-covariance samples = 10^11",
        "run --problem gan-covariance --solver gda --set problem.loss=standard --set problem.samples=100000000000",
        "`samples`",
    ),
    bad("gan-mixture batch = 10^12", "run --problem gan-mixture --solver gda --set problem.batch=1000000000000", "`batch`"),
    bad(
        "gan-mixture latent_dim = 10^12",
        "run --problem gan-mixture --solver gda --set problem.latent_dim=1000000000000",
        "`latent_dim`",
    ),
    bad(
        "gan-mixture metric_samples = 10^12",
        "run --problem gan-mixture --solver gda --set problem.metric_samples=1000000000000",
        "`metric_samples`",
    ),
    bad("gan-mixture modes = 10^12", "run --problem gan-mixture --solver gda --set problem.modes=1000000000000", "`modes`"),
    bad(
        "gan-mixture g_hidden = [10^6, 10^6]",
        "run --problem gan-mixture --solver gda --set problem.g_hidden=[1000000,1000000]",
        "`g_hidden`",
    ),
    bad(
        "affine blocks = [2^63, 2^63, 8]",
        "run --problem affine --solver gda --set problem.set=simplex --set problem.blocks=[9223372036854775808,9223372036854775808,8]",
        "`blocks`",
    ),
    bad(
        "prox_steps = 10^12 with reg = proximal",
        "run --problem gan-dirac --solver gda --set problem.reg=proximal --set problem.prox_steps=1000000000000",
        "`prox_steps`",
    ),
    bad("Matrix Market declares 10^15 entries", "run --problem affine --solver gda --set problem.matrix=mm_huge_nnz.mtx", "mm_huge_nnz.mtx"),
    bad("Matrix Market declares 2^64-1 entries", "run --problem affine --solver gda --set problem.matrix=mm_max_nnz.mtx", "mm_max_nnz.mtx"),
    bad(
        "Matrix Market array 100000 x 100000, short file",
        "run --problem affine --solver gda --set problem.matrix=mm_big_array.mtx",
        "mm_big_array.mtx",
    ),
    bad("payoff file declares 10^15 entries", "run --problem matrix-game --solver gda --set problem.file=mm_huge_nnz.mtx", "mm_huge_nnz.mtx"),
    bad(
        "payoff file array 100000 x 100000, short file",
        "run --problem matrix-game --solver gda --set problem.file=mm_big_array.mtx",
        "mm_big_array.mtx",
    ),
    bad("suite with a size bomb in a grid", "suite size_bomb.toml --out o --dry-run", "`m`"),
];

#[test]
fn the_cases_are_many_and_their_names_unique() {
    check_names(&[FILES, SIZE_BOMBS], 40);
}

#[test]
fn every_bad_file_exits_2_with_one_line_naming_the_culprit() {
    check_all(FILES, "files");
}

#[test]
fn size_bombs_and_lying_headers_exit_2_naming_the_parameter() {
    check_all(SIZE_BOMBS, "size bombs");
}
