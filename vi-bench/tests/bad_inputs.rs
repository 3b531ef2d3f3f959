//! A catalogue of bad inputs through the real binary. Each one must end with exit status 2,
//! exactly one line on stderr naming the culprit (a substring of it), and no panic. Every child
//! runs under a 4 GiB address-space limit (`RLIMIT_AS`) and a 20 s wall-clock timeout, so a
//! regression that allocates without bound or hangs fails here instead of taking the machine.
//!
//! Arguments are written as one string split on whitespace; children run in a scratch directory
//! holding the fixture files of [`fixture`], so file arguments are relative names.
//!
//! Two groups: [`CATALOGUE`] (bad names, values, files and suites) and [`SIZE_BOMBS`], the
//! problem sizes and lying file headers that vi-problems must refuse before allocating (memory
//! estimated from the parameters, declared sizes checked against the file, checked sums of user
//! sizes, bounded inner loops).

#![cfg(unix)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address-space limit of every child.
const MEMORY_LIMIT: u64 = 4 << 30;
/// Wall-clock limit of every child.
const TIMEOUT: Duration = Duration::from_secs(20);

/// One bad input: what it is, the command line, and a substring the error line must contain.
struct Bad {
    what: &'static str,
    args: &'static str,
    culprit: &'static str,
}

const fn bad(what: &'static str, args: &'static str, culprit: &'static str) -> Bad {
    Bad { what, args, culprit }
}

/// A one-problem, one-solver suite file followed by `extra` lines.
const SUITE_BASE: &str = "[[problems]]\nname = \"bilinear\"\n[[solvers]]\nname = \"extragradient\"\n";

/// Files the catalogue refers to, by name.
fn fixture(dir: &Path) {
    let w = |name: &str, text: &[u8]| std::fs::write(dir.join(name), text).unwrap();
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
    // Suite files.
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
        w(&format!("{name}.toml"), text.as_bytes());
    }
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
        w(&format!("{name}.toml"), text.as_bytes());
    }
    // A results directory that already holds a run (suite without --resume must refuse).
    std::fs::create_dir_all(dir.join("done")).unwrap();
    w(
        "done/results.jsonl",
        b"{\"case_id\":\"0123456789abcdef\",\"problem\":\"bilinear\",\"solver\":\"gda\",\"status\":\"Converged\"}\n",
    );
}

/// Everything here must pass on its own.
const CATALOGUE: &[Bad] = &[
    // --- numeric options of `run`: negative, ill-typed, out of range ---
    bad(
        "max-iters negative",
        "run --problem bilinear --solver gda --max-iters -1",
        "'--max-iters <N>': expected a whole number >= 0",
    ),
    bad("max-iters word", "run --problem bilinear --solver gda --max-iters ten", "--max-iters"),
    bad("max-iters fraction", "run --problem bilinear --solver gda --max-iters 1.5", "--max-iters"),
    bad("max-iters 2^64", "run --problem bilinear --solver gda --max-iters 18446744073709551616", "--max-iters"),
    bad("max-iters eats a flag", "run --problem bilinear --solver gda --max-iters --json", "--max-iters"),
    bad("max-calls negative", "run --problem bilinear --solver gda --max-calls -1", "--max-calls"),
    bad("max-calls word", "run --problem bilinear --solver gda --max-calls many", "--max-calls"),
    bad("seed negative", "run --problem bilinear --solver gda --seed -1", "--seed"),
    bad("seed hex", "run --problem bilinear --solver gda --seed 0x10", "--seed"),
    bad("trace-every negative", "run --problem bilinear --solver gda --trace-every -1", "--trace-every"),
    bad("check-every negative", "run --problem bilinear --solver gda --check-every -1", "--check-every"),
    bad("check-every zero", "run --problem bilinear --solver gda --check-every 0", "--check-every"),
    bad("tol negative", "run --problem bilinear --solver gda --tol -1", "--tol"),
    bad("tol NaN", "run --problem bilinear --solver gda --tol NaN", "--tol"),
    bad("tol inf", "run --problem bilinear --solver gda --tol inf", "--tol"),
    bad("time-limit negative", "run --problem bilinear --solver gda --time-limit -1", "--time-limit"),
    bad("time-limit zero", "run --problem bilinear --solver gda --time-limit 0", "--time-limit"),
    bad("time-limit NaN", "run --problem bilinear --solver gda --time-limit nan", "--time-limit"),
    // --- suite options ---
    bad("jobs negative", "suite ok.toml --out o --jobs -1", "--jobs"),
    bad("jobs zero", "suite ok.toml --out o --jobs 0", "--jobs"),
    bad("jobs word", "suite ok.toml --out o --jobs many", "--jobs"),
    bad("shard negative", "suite ok.toml --out o --shard -1", "--shard"),
    bad("shard 0/3", "suite ok.toml --out o --shard 0/3", "--shard"),
    bad("shard 4/3", "suite ok.toml --out o --shard 4/3", "--shard"),
    bad("shard 1/0", "suite ok.toml --out o --shard 1/0", "--shard"),
    bad("shard word", "suite ok.toml --out o --shard half", "--shard"),
    bad("shard overflow", "suite ok.toml --out o --shard 1/99999999999999999999999", "--shard"),
    bad("suite refuses to overwrite", "suite ok.toml --out done", "--resume"),
    // --- diagnose and trajectory options ---
    bad("offset NaN", "diagnose --problem gan-dirac --offset NaN", "--offset"),
    bad("offset inf", "diagnose --problem gan-dirac --offset inf", "--offset"),
    bad("offset -inf", "diagnose --problem gan-dirac --offset -inf", "--offset"),
    bad("offset zero", "diagnose --problem gan-dirac --offset 0", "--offset"),
    bad("measure-iters negative", "diagnose --problem gan-dirac --measure-iters -1", "--measure-iters"),
    bad("krylov zero", "diagnose --problem gan-dirac --krylov 0", "--krylov"),
    bad("dense-max negative", "diagnose --problem gan-dirac --dense-max -1", "--dense-max"),
    bad("diagnose seed negative", "diagnose --problem gan-dirac --seed -1", "--seed"),
    bad(
        "trajectory max-iters negative",
        "trajectory --problem gan-dirac --solvers gda --out t.svg --max-iters -1",
        "--max-iters",
    ),
    bad(
        "trajectory trace-every zero",
        "trajectory --problem gan-dirac --solvers gda --out t.svg --trace-every 0",
        "--trace-every",
    ),
    bad("trajectory tol negative", "trajectory --problem gan-dirac --solvers gda --out t.svg --tol -1", "--tol"),
    bad("trajectory axes equal", "trajectory --problem gan-dirac --solvers gda --out t.svg --axes 1,1", "--axes"),
    // --- names ---
    bad("unknown problem", "run --problem bilinar --solver gda", "bilinar"),
    bad("unknown solver", "run --problem bilinear --solver eg", "`eg`"),
    bad("unknown problem parameter", "run --problem bilinear --solver gda --set problem.size=3", "`size`"),
    bad("unknown solver parameter", "run --problem bilinear --solver gda --set solver.foo=1", "`foo`"),
    bad("unknown inner solver", "run --problem bilinear --solver tikhonov --set solver.inner=nope", "`nope`"),
    bad("unknown diagnose solver", "diagnose --problem gan-dirac --solvers nope", "`nope`"),
    bad("unknown trajectory solver", "trajectory --problem gan-dirac --solvers nope --out t.svg", "`nope`"),
    bad("unknown list target", "list widgets", "widgets"),
    bad("missing --solver", "run --problem bilinear", "--solver"),
    bad("no sampler", "run --problem bilinear --solver gda --samples s.svg", "--samples"),
    // --- --set syntax ---
    bad("set without target", "run --problem bilinear --solver gda --set m=3", "problem."),
    bad("set without value", "run --problem bilinear --solver gda --set problem.m", "problem.m"),
    bad("set empty key", "run --problem bilinear --solver gda --set problem.=3", "empty parameter name"),
    bad("set empty left side", "run --problem bilinear --solver gda --set =3", "problem."),
    bad("set duplicated", "run --problem bilinear --solver gda --set problem.m=3 --set problem.m=5", "problem.m"),
    bad(
        "set duplicated, same value",
        "run --problem bilinear --solver gda --set solver.step=0.1 --set solver.step=0.1",
        "solver.step",
    ),
    bad(
        "set duplicated in diagnose",
        "diagnose --problem gan-dirac --set problem.gamma=1 --set problem.gamma=2",
        "problem.gamma",
    ),
    bad(
        "set duplicated in trajectory",
        "trajectory --problem gan-dirac --solvers gda --out t.svg --set solver.step=0.1 --set solver.step=0.2",
        "solver.step",
    ),
    // --- problem parameters: ill-typed and out of range, every problem ---
    bad("bilinear m word", "run --problem bilinear --solver gda --set problem.m=ten", "`m`"),
    bad("bilinear cond < 1", "run --problem bilinear --solver gda --set problem.cond=0.5", "`cond`"),
    bad("bilinear sigma_max inf", "run --problem bilinear --solver gda --set problem.sigma_max=inf", "`sigma_max`"),
    bad("bilinear rank too large", "run --problem bilinear --solver gda --set problem.rank=20", "`rank`"),
    bad("bilinear preset", "run --problem bilinear --solver gda --set problem.preset=yx", "`preset`"),
    bad("quadratic n fraction", "run --problem quadratic --solver gda --set problem.n=1.5", "`n`"),
    bad("quadratic n negative", "run --problem quadratic --solver gda --set problem.n=-3", "`n`"),
    bad("quadratic mu > l", "run --problem quadratic --solver gda --set problem.mu=2", "`mu`"),
    bad("quadratic family", "run --problem quadratic --solver gda --set problem.family=circle", "`family`"),
    bad("quadratic box negative", "run --problem quadratic --solver gda --set problem.box=-1", "`box`"),
    bad("matrix-game preset", "run --problem matrix-game --solver gda --set problem.preset=chess", "`preset`"),
    bad(
        "matrix-game m zero",
        "run --problem matrix-game --solver gda --set problem.preset=random --set problem.m=0",
        "`m`",
    ),
    bad(
        "matrix-game file preset without file",
        "run --problem matrix-game --solver gda --set problem.preset=file",
        "`file`",
    ),
    bad("affine set", "run --problem affine --solver gda --set problem.set=ball", "`set`"),
    bad(
        "affine lower NaN",
        "run --problem affine --solver gda --set problem.set=box --set problem.lower=nan",
        "`lower`",
    ),
    bad("affine blocks without simplex", "run --problem affine --solver gda --set problem.blocks=[8]", "`blocks`"),
    bad("affine vector without matrix", "run --problem affine --solver gda --set problem.vector=v3.txt", "`vector`"),
    bad("gan-dirac loss", "run --problem gan-dirac --solver gda --set problem.loss=hinge", "`loss`"),
    bad("gan-dirac reg", "run --problem gan-dirac --solver gda --set problem.reg=r3", "`reg`"),
    bad("gan-dirac gamma negative", "run --problem gan-dirac --solver gda --set problem.gamma=-1", "`gamma`"),
    bad("gan-dirac gamma word", "run --problem gan-dirac --solver gda --set problem.gamma=abc", "`gamma`"),
    bad("gan-dirac gp_on", "run --problem gan-dirac --solver gda --set problem.gp_on=sky", "`gp_on`"),
    bad("gan-dirac anchor length", "run --problem gan-dirac --solver gda --set problem.anchor_g=[1,2,3]", "`anchor_g`"),
    bad(
        "gan-dirac prox_lambda zero",
        "run --problem gan-dirac --solver gda --set problem.prox_lambda=0",
        "`prox_lambda`",
    ),
    bad(
        "gan-gaussian-mean sigma zero",
        "run --problem gan-gaussian-mean --solver gda --set problem.sigma=0",
        "`sigma`",
    ),
    bad("gan-gaussian-mean v length", "run --problem gan-gaussian-mean --solver gda --set problem.v=[1,2,3]", "`v`"),
    bad("gan-gaussian-mean d zero", "run --problem gan-gaussian-mean --solver gda --set problem.d=0", "`d`"),
    bad(
        "gan-covariance cov indefinite",
        "run --problem gan-covariance --solver gda --set problem.cov=[[1,2],[2,1]]",
        "`cov`",
    ),
    bad(
        "gan-covariance cov ragged",
        "run --problem gan-covariance --solver gda --set problem.cov=[[1,0],[0]]",
        "`cov`",
    ),
    bad(
        "gan-covariance samples too few",
        "run --problem gan-covariance --solver gda --set problem.samples=1 --set problem.loss=standard",
        "`samples`",
    ),
    bad("gan-mixture activation", "run --problem gan-mixture --solver gda --set problem.g_act=sigmoid", "`g_act`"),
    bad("gan-mixture preset", "run --problem gan-mixture --solver gda --set problem.preset=square", "`preset`"),
    bad("gan-mixture radius negative", "run --problem gan-mixture --solver gda --set problem.radius=-2", "`radius`"),
    bad("gan-mixture width zero", "run --problem gan-mixture --solver gda --set problem.g_hidden=[0]", "`g_hidden`"),
    bad("gan-mixture batch zero", "run --problem gan-mixture --solver gda --set problem.batch=0", "`batch`"),
    bad("gan-mixture std zero", "run --problem gan-mixture --solver gda --set problem.std=0", "`std`"),
    bad(
        "gan-mixture grid modes not square",
        "run --problem gan-mixture --solver gda --set problem.preset=grid --set problem.modes=10",
        "`modes`",
    ),
    // --- start ---
    bad("start wrong dimension", "run --problem bilinear --solver gda --set problem.start=[1,2]", "start"),
    bad(
        "start wrong dimension, small game",
        "run --problem bilinear --solver gda --set problem.m=3 --set problem.n=3 --set problem.start=[1,2]",
        "start",
    ),
    bad("start with null", "run --problem bilinear --solver gda --set problem.start=[1,2,null]", "`start`"),
    bad("start scalar", "run --problem bilinear --solver gda --set problem.start=5", "`start`"),
    bad("start strings", "run --problem bilinear --solver gda --set problem.start=[\"a\"]", "`start`"),
    bad("start overflowing number", "run --problem gan-dirac --solver gda --set problem.start=[1e400,0]", "`start`"),
    // --- infeasible sets ---
    bad(
        "box lower > upper",
        "run --problem affine --solver gda --set problem.set=box --set problem.lower=2 --set problem.upper=1",
        "`lower`",
    ),
    bad(
        "simplex blocks do not sum to n",
        "run --problem affine --solver gda --set problem.set=simplex --set problem.blocks=[3,4]",
        "`blocks`",
    ),
    bad(
        "simplex block of size 0",
        "run --problem affine --solver gda --set problem.set=simplex --set problem.blocks=[0,8]",
        "`blocks`",
    ),
    // --- solver parameters, every solver family ---
    bad("gda factor negative", "run --problem bilinear --solver gda --set solver.factor=-1", "`factor`"),
    bad("gda step word", "run --problem bilinear --solver gda --set solver.step=fast", "`step`"),
    bad("alternating-gda step zero", "run --problem bilinear --solver alternating-gda --set solver.step=0", "`step`"),
    bad("extragradient nu > 1", "run --problem bilinear --solver extragradient --set solver.nu=2", "`nu`"),
    bad(
        "extragradient precond",
        "run --problem bilinear --solver extragradient --set solver.precond=magic",
        "`precond`",
    ),
    bad(
        "extragradient amsgrad word",
        "run --problem bilinear --solver extragradient --set solver.amsgrad=maybe",
        "`amsgrad`",
    ),
    bad(
        "extragradient step overflow",
        "run --problem bilinear --solver extragradient --set solver.step=1e999",
        "`step`",
    ),
    bad("eftp grow < 1", "run --problem bilinear --solver eftp --set solver.grow=0.5", "`grow`"),
    bad(
        "eftp precond_eps negative",
        "run --problem bilinear --solver eftp --set solver.precond_eps=-1",
        "`precond_eps`",
    ),
    bad("ogda factor word", "run --problem bilinear --solver ogda --set solver.factor=abc", "`factor`"),
    bad("graal phi too large", "run --problem bilinear --solver graal --set solver.phi=3", "`phi`"),
    bad("agraal lambda_max zero", "run --problem bilinear --solver agraal --set solver.lambda_max=0", "`lambda_max`"),
    bad("agraal phi = 1", "run --problem bilinear --solver agraal --set solver.phi=1", "`phi`"),
    bad("eag variant", "run --problem bilinear --solver eag --set solver.variant=weird", "`variant`"),
    bad("eag factor negative", "run --problem bilinear --solver eag --set solver.factor=-1", "`factor`"),
    bad("prg factor zero", "run --problem bilinear --solver prg --set solver.factor=0", "`factor`"),
    bad("tikhonov shrink > 1", "run --problem bilinear --solver tikhonov --set solver.shrink=2", "`shrink`"),
    bad("tikhonov eps_min negative", "run --problem bilinear --solver tikhonov --set solver.eps_min=-1", "`eps_min`"),
    bad("tikhonov anchor word", "run --problem bilinear --solver tikhonov --set solver.anchor=sky", "`anchor`"),
    bad(
        "tikhonov stage_max_iters negative",
        "run --problem bilinear --solver tikhonov --set solver.stage_max_iters=-1",
        "`stage_max_iters`",
    ),
    bad(
        "tikhonov inner params invalid",
        "run --problem bilinear --solver tikhonov --set solver.inner_params={\"step\":-1}",
        "`step`",
    ),
    bad(
        "tikhonov inner params scalar",
        "run --problem bilinear --solver tikhonov --set solver.inner_params=3",
        "`inner_params`",
    ),
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
    // --- suite files ---
    bad("suite file missing", "suite missing.toml --out o", "missing.toml"),
    bad("suite file endless", "suite /dev/zero --out o", "/dev/zero"),
    bad("suite file not text", "suite garbage.bin --out o", "garbage.bin"),
    bad("suite file is a directory", "suite emptydir --out o", "emptydir"),
    bad("suite syntax", "suite syntax.toml --out o --dry-run", "syntax.toml:5: unclosed array table"),
    bad("suite duplicate key", "suite duplicate_key.toml --out o --dry-run", "`tol`"),
    bad("suite seeds negative", "suite seeds_neg.toml --out o --dry-run", "`seeds`"),
    bad("suite seeds fraction", "suite seeds_float.toml --out o --dry-run", "`seeds`"),
    bad("suite seeds string", "suite seeds_str.toml --out o --dry-run", "`seeds`"),
    bad("suite seeds empty", "suite seeds_empty.toml --out o --dry-run", "`seeds`"),
    bad("suite name number", "suite name_int.toml --out o --dry-run", "`name`"),
    bad("suite skip_invalid string", "suite skip_str.toml --out o --dry-run", "`skip_invalid`"),
    bad("suite unknown field", "suite unknown_top.toml --out o --dry-run", "`colour`"),
    bad("suite problems not a list", "suite problems_int.toml --out o --dry-run", "`problems`"),
    bad("suite budget tol negative", "suite tol_neg.toml --out o --dry-run", "`tol`"),
    bad("suite budget tol NaN", "suite tol_nan.toml --out o --dry-run", "`tol`"),
    bad("suite budget time_limit zero", "suite time_zero.toml --out o --dry-run", "`time_limit`"),
    bad("suite budget check_every zero", "suite check_zero.toml --out o --dry-run", "`check_every`"),
    bad("suite budget max_iters negative", "suite iters_neg.toml --out o --dry-run", "`budget.max_iters`"),
    bad("suite budget max_calls string", "suite calls_str.toml --out o --dry-run", "`budget.max_calls`"),
    bad("suite budget max_calls float", "suite calls_huge.toml --out o --dry-run", "`budget.max_calls`"),
    bad("suite budget divergence_factor", "suite divergence_one.toml --out o --dry-run", "`divergence_factor`"),
    bad("suite budget unknown field", "suite budget_unknown.toml --out o --dry-run", "`max_time`"),
    bad("suite entry budget", "suite entry_budget.toml --out o --dry-run", "`tol`"),
    bad("suite no solvers", "suite no_solvers.toml --out o --dry-run", "[[solvers]]"),
    bad("suite entry without name", "suite no_name.toml --out o --dry-run", "`name`"),
    bad("suite grid scalar", "suite grid_scalar.toml --out o --dry-run", "grid `m`"),
    bad("suite grid empty", "suite grid_empty.toml --out o --dry-run", "grid `m`"),
    bad("suite key in params and grid", "suite grid_both.toml --out o --dry-run", "`m`"),
    bad("suite unknown problem", "suite unknown_problem.toml --out o --dry-run", "unknown_problem.toml:2"),
    bad("suite unknown solver", "suite unknown_solver.toml --out o --dry-run", "`eg`"),
    bad("suite unknown parameter", "suite unknown_param.toml --out o --dry-run", "`size`"),
    bad("suite invalid value", "suite bad_value.toml --out o --dry-run", "`cond`"),
    bad("suite invalid solver grid value", "suite bad_solver_value.toml --out o --dry-run", "`step`"),
    bad("suite seeds on a solver", "suite solver_seeds.toml --out o --dry-run", "`seeds`"),
    bad("suite duplicate case", "suite duplicate.toml --out o --dry-run", "twice"),
    bad("suite grid bomb", "suite grid_bomb.toml --out o --dry-run", "1000000 cases"),
];

/// Problem-size bombs and lying headers: the causes are in vi-problems (another branch). Each
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

/// What a child did.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    timed_out: bool,
}

/// Runs the binary in `dir` under [`MEMORY_LIMIT`] and [`TIMEOUT`].
fn run_limited(dir: &Path, args: &[&str]) -> Outcome {
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
fn limit_memory(cmd: &mut Command) {
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
fn check_all(cases: &[Bad], group: &str) {
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

#[test]
fn the_catalogue_is_large_and_its_names_are_unique() {
    assert!(CATALOGUE.len() + SIZE_BOMBS.len() >= 80);
    let mut names: Vec<&str> = CATALOGUE.iter().chain(SIZE_BOMBS).map(|b| b.what).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "two cases share a name");
}

#[test]
fn every_bad_input_exits_2_with_one_line_naming_the_culprit() {
    check_all(CATALOGUE, "catalogue");
}

#[test]
fn size_bombs_and_lying_headers_exit_2_naming_the_parameter() {
    check_all(SIZE_BOMBS, "size bombs");
}

#[test]
fn the_harness_catches_a_hang_and_a_memory_bomb() {
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
