//! The bad-input catalogue, files and sizes: missing, unreadable, lying or non-finite files,
//! and problem sizes and file headers that vi-problems must refuse before allocating (memory
//! estimated from the parameters, declared sizes checked against the file, checked sums of user
//! sizes, bounded inner loops). Each case must end with exit status 2 and one line naming the
//! culprit, under the memory and time limits of `common`.

#![cfg(unix)]

mod common;

use common::{catalogue, check_all, check_names, Bad};

/// Bad files given to problems, `diagnose --at`, `--trace` and `report` (`bad_inputs/files.txt`).
fn files() -> Vec<Bad> {
    catalogue(include_str!("bad_inputs/files.txt"))
}

/// Problem-size bombs and lying headers; the causes are in vi-problems (`bad_inputs/size_bombs.txt`).
fn size_bombs() -> Vec<Bad> {
    catalogue(include_str!("bad_inputs/size_bombs.txt"))
}

#[test]
fn the_cases_are_many_and_their_names_unique() {
    check_names(&[&files(), &size_bombs()], 40);
}

#[test]
fn every_bad_file_exits_2_with_one_line_naming_the_culprit() {
    check_all(&files(), "files");
}

#[test]
fn size_bombs_and_lying_headers_exit_2_naming_the_parameter() {
    check_all(&size_bombs(), "size bombs");
}
