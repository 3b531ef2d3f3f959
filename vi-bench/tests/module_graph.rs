//! The modules of vi-bench depend on each other without a cycle (issue 11): each file's
//! `crate::...` and `super::...` paths outside comments and tests are its edges, resolved to the
//! longest module they name; a parent depends on its children (it declares and re-exports
//! them), so a child that reaches back into its parent is a cycle too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`suite::cases`; the crate root is ``) -> source text without comments and tests.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                walk(&path, &format!("{prefix}{stem}::"), out);
            } else if path.extension().is_some_and(|x| x == "rs") && stem != "main" {
                let name = match stem.as_str() {
                    "lib" => String::new(),
                    "mod" => prefix.trim_end_matches("::").to_string(),
                    _ => format!("{prefix}{stem}"),
                };
                let text = std::fs::read_to_string(&path).unwrap();
                let code: Vec<&str> = text
                    .lines()
                    .take_while(|l| l.trim() != "#[cfg(test)]")
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect();
                out.insert(name, code.join("\n"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "", &mut out);
    out
}

/// The module a path names: the longest prefix of `segments` that is a module.
fn resolve(known: &BTreeMap<String, String>, segments: &[&str]) -> Option<String> {
    (1..=segments.len()).rev().map(|k| segments[..k].join("::")).find(|m| known.contains_key(m))
}

fn edges(known: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in known.iter().filter(|(m, _)| !m.is_empty()) {
        let deps = graph.entry(module.clone()).or_default();
        // A parent depends on each of its children.
        for child in known.keys().filter(|c| c.rsplit_once("::").is_some_and(|(p, _)| p == module)) {
            deps.insert(child.clone());
        }
        let parent: Vec<&str> = module.rsplit_once("::").map_or_else(Vec::new, |(p, _)| p.split("::").collect());
        for (i, _) in code.match_indices("crate::").chain(code.match_indices("super::")) {
            let rest = &code[i..];
            let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let base = segments.remove(0);
            let full: Vec<&str> =
                if base == "crate" { segments } else { parent.iter().copied().chain(segments).collect() };
            if let Some(target) = resolve(known, &full) {
                if !target.is_empty() && target != *module {
                    deps.insert(target);
                }
            }
        }
    }
    graph
}

/// A cycle of the graph, if it has one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let start = stack.iter().position(|s| s == n).unwrap();
                let mut c = stack[start..].to_vec();
                c.push(n.to_string());
                return Some(c);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    graph.keys().find_map(|n| visit(n, graph, &mut state, &mut Vec::new()))
}

#[test]
fn the_modules_of_vi_bench_form_a_dag() {
    let known = modules();
    assert!(known.contains_key("suite::cases") && known.contains_key("record"), "{:?}", known.keys());
    let graph = edges(&known);
    // The checker sees real edges: the suite runner writes records, the report reads them.
    assert!(graph["suite::runner"].contains("record") && graph["report"].contains("record"));
    assert!(graph["suite"].contains("suite::spec"), "a parent depends on its children");
    let shown: Vec<String> =
        graph.iter().map(|(m, d)| format!("{m} -> {}", d.iter().cloned().collect::<Vec<_>>().join(", "))).collect();
    assert_eq!(cycle(&graph), None, "import cycle; the graph:\n{}", shown.join("\n"));
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let g: BTreeMap<String, BTreeSet<String>> = [("a", "b"), ("b", "c"), ("c", "a")]
        .iter()
        .map(|(x, y)| (x.to_string(), BTreeSet::from([y.to_string()])))
        .collect();
    assert_eq!(cycle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}
