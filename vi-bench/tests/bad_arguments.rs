//! The bad-input catalogue, command-line arguments: numeric options, names, `--set` syntax, and
//! the parameters of every problem and solver. Each case must end with exit status 2 and one line
//! naming the culprit, under the memory and time limits of `common`.

#![cfg(unix)]

mod common;

use common::{bad, check_all, check_names, Bad};

/// Bad options, names and parameters; each must fail on its own.
const ARGUMENTS: &[Bad] = &[
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
];

#[test]
fn the_cases_are_many_and_their_names_unique() {
    check_names(&[ARGUMENTS], 100);
}

#[test]
fn every_bad_argument_exits_2_with_one_line_naming_the_culprit() {
    check_all(ARGUMENTS, "arguments");
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
