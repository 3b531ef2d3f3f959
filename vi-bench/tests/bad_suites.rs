//! The bad-input catalogue, suites: the options of `suite` and bad suite files (syntax,
//! types, budgets, grids, unknown names, duplicate cases, a grid of a million cases). Each case
//! must end with exit status 2 and one line naming the culprit, under the memory and time limits
//! of `common`.

#![cfg(unix)]

mod common;

use common::{bad, check_all, check_names, Bad};

/// Bad `suite` options and suite files.
const SUITES: &[Bad] = &[
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

#[test]
fn the_cases_are_many_and_their_names_unique() {
    check_names(&[SUITES], 40);
}

#[test]
fn every_bad_suite_exits_2_with_one_line_naming_the_culprit() {
    check_all(SUITES, "suites");
}
