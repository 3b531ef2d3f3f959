//! The `vi-bench` binary. See the `vi_bench` library for the commands.

use std::process::ExitCode;

use clap::Parser;

// Force-link the plugin crates: without these the registry is silently empty.
use vi_problems as _;
use vi_solvers as _;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`vi-bench list | head -1`) would
    // panic; restore the default, which ends the process quietly as it does for `cat`.
    #[cfg(unix)]
    #[allow(unsafe_code)]
    // SAFETY: called first in main, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match vi_bench::commands::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line: clap's first line names the culprit.
            let text = e.to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let mut first = lines.next().unwrap_or("invalid usage").trim_start_matches("error: ").to_string();
            if first.ends_with(':') {
                // clap lists the missing arguments on the following lines.
                let more: Vec<&str> = lines.take_while(|l| !l.starts_with("Usage")).collect();
                first = format!("{first} {}", more.join(" "));
            }
            eprintln!("error: {first} (see `vi-bench --help`)");
            return ExitCode::from(2);
        }
    };
    match vi_bench::commands::execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.to_string().replace('\n', " "));
            ExitCode::from(2)
        }
    }
}
