//! `vi-bench list [problems|solvers] [--json]`: every registered problem and solver with its
//! summary, its parameters (name, default, one-line doc) and a problem's declared run defaults.

use clap::Args;
use serde_json::{json, Map, Value};

use crate::error::{BenchError, Result};

/// `vi-bench list [problems|solvers] [--json]`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// `problems`, `solvers`, or nothing for both.
    pub what: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Prints the registry.
///
/// # Errors
/// An unknown list target, or a broken registry.
pub fn execute(a: &ListArgs) -> Result<()> {
    let reg = vi_core::registry()?;
    let (show_p, show_s) = match a.what.as_deref() {
        None => (true, true),
        Some("problems" | "problem") => (true, false),
        Some("solvers" | "solver") => (false, true),
        Some(other) => {
            return Err(BenchError::Usage(format!("unknown list target `{other}`; valid: problems, solvers")))
        }
    };
    // A problem's run defaults at its default parameters (they may depend on the parameters).
    let defaults = |e: &vi_core::ProblemEntry| (e.defaults)(&Map::new()).unwrap_or_default();
    if a.json {
        let entry = |name: &str, summary: &str, params: Vec<vi_core::ParamInfo>| json!({"name": name, "summary": summary, "params": params});
        let mut out = Map::new();
        if show_p {
            let problems = reg.problems().map(|e| {
                let mut v = entry(e.name, e.summary, (e.params)());
                let d = defaults(e);
                if !d.is_empty() || !d.default_suite.is_empty() {
                    v["run_defaults"] = json!(d);
                }
                v
            });
            out.insert("problems".into(), problems.collect());
        }
        if show_s {
            out.insert("solvers".into(), reg.solvers().map(|e| entry(e.name, e.summary, (e.params)())).collect());
        }
        println!("{}", Value::Object(out));
        return Ok(());
    }
    let mut text = String::new();
    let mut section = |title: &str, items: Vec<(&str, &str, Vec<vi_core::ParamInfo>, Vec<String>)>| {
        text.push_str(&format!("{title}:\n"));
        for (name, summary, params, extra) in items {
            text.push_str(&format!("  {name:<20} {summary}\n"));
            for p in params {
                let range = if p.range.is_empty() { String::new() } else { format!(" [{}]", p.range) };
                text.push_str(&format!("      {:<14} = {:<12} {}{range}\n", p.name, p.default.to_string(), p.doc));
            }
            for line in extra {
                text.push_str(&format!("      {line}\n"));
            }
        }
    };
    if show_p {
        section(
            "problems (every problem also accepts `start`, an array)",
            reg.problems().map(|e| (e.name, e.summary, (e.params)(), defaults_lines(&defaults(e)))).collect(),
        );
    }
    if show_s {
        section("solvers", reg.solvers().map(|e| (e.name, e.summary, (e.params)(), Vec::new())).collect());
    }
    print!("{text}");
    Ok(())
}

/// The lines `list` shows under a problem that declares run defaults.
fn defaults_lines(d: &vi_core::RunDefaults) -> Vec<String> {
    let mut lines = Vec::new();
    if !d.is_empty() {
        lines.push(format!("run defaults ({}):", d.note));
        if !d.budget.is_empty() {
            lines.push(format!("  budget: {}", d.budget.words().join(" ")));
        }
        for g in &d.solver {
            let words: Vec<String> = g.iter().map(|(k, v)| format!("{k}={v}")).collect();
            lines.push(format!("  solvers that take them: {}", words.join(" ")));
        }
    }
    let s = &d.default_suite;
    if !s.is_empty() {
        let mut words: Vec<String> = s.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        words.extend(s.budget.words());
        lines.push(format!("in the default suite: {}", words.join(" ")));
    }
    lines
}
