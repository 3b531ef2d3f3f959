//! The bad-input catalogue, suites: the options of `suite` and bad suite files (syntax,
//! types, budgets, grids, unknown names, duplicate cases, a grid of a million cases). Each case
//! must end with exit status 2 and one line naming the culprit, under the memory and time limits
//! of `common`.

#![cfg(unix)]

mod common;

use common::{catalogue, check_all, check_names, Bad};

/// Bad `suite` options and suite files (`bad_inputs/suites.txt`).
fn suites() -> Vec<Bad> {
    catalogue(include_str!("bad_inputs/suites.txt"))
}

#[test]
fn the_cases_are_many_and_their_names_unique() {
    check_names(&[&suites()], 40);
}

#[test]
fn every_bad_suite_exits_2_with_one_line_naming_the_culprit() {
    check_all(&suites(), "suites");
}
