//! The logic of the SLURM job-array task (`scripts/slurm_array_task.sh`), without SLURM: each
//! task runs its shard of a suite into `OUT/shard-I`; the union of the shards is the
//! single-machine run case by case; a requeued task resumes its shard instead of duplicating
//! it; outside an array the script refuses with a message. `scripts/slurm_suite.sh` runs the
//! same task under a real single-node SLURM cluster (not part of the test run: it needs root and
//! Debian packages).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const SUITE: &str = r#"
name = "array logic"
seeds = [0, 1]
[budget]
tol = 1e-6
max_calls = 5000
[[problems]]
name = "bilinear"
grid = { m = [5, 8] }
[[problems]]
name = "quadratic"
[[solvers]]
name = "extragradient"
[[solvers]]
name = "eftp"
[[solvers]]
name = "gda"
"#;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/slurm_array_task.sh")
}

fn task(suite: &Path, out: &Path, id: Option<(usize, usize)>) -> Output {
    let mut c = Command::new("bash");
    c.arg(script()).arg(env!("CARGO_BIN_EXE_vi-bench")).arg(suite).arg(out);
    c.env_remove("SLURM_ARRAY_TASK_ID").env_remove("SLURM_ARRAY_TASK_COUNT").env_remove("SLURM_CPUS_PER_TASK");
    if let Some((i, n)) = id {
        c.env("SLURM_ARRAY_TASK_ID", i.to_string()).env("SLURM_ARRAY_TASK_COUNT", n.to_string());
    }
    c.output().expect("run bash")
}

/// Case id -> (status, iterations, oracle calls, residual, z) of every run in the files.
fn runs(files: &[PathBuf]) -> BTreeMap<String, Value> {
    let mut m = BTreeMap::new();
    for f in files {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            let r: Value = serde_json::from_str(line).unwrap();
            let key = r["case_id"].as_str().unwrap().to_string();
            let fields = serde_json::json!([r["status"], r["iterations"], r["oracle_calls"], r["residual"], r["z"]]);
            assert!(m.insert(key.clone(), fields).is_none(), "case {key} recorded twice");
        }
    }
    m
}

#[test]
fn the_shards_of_a_job_array_are_the_single_machine_run() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");
    std::fs::write(&suite, SUITE).unwrap();
    let out = dir.path().join("array");
    let n = 3;
    for i in 1..=n {
        let o = task(&suite, &out, Some((i, n)));
        assert!(o.status.success(), "task {i}: {}", String::from_utf8_lossy(&o.stderr));
    }
    // A requeued task resumes its shard: nothing is run or recorded twice.
    let o = task(&suite, &out, Some((2, n)));
    assert!(o.status.success(), "requeued task: {}", String::from_utf8_lossy(&o.stderr));
    let shards: Vec<PathBuf> = (1..=n).map(|i| out.join(format!("shard-{i}/results.jsonl"))).collect();
    let merged = runs(&shards);

    let single = dir.path().join("single");
    let o = Command::new(env!("CARGO_BIN_EXE_vi-bench"))
        .args(["suite", suite.to_str().unwrap(), "--out", single.to_str().unwrap(), "--jobs", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let whole = runs(&[single.join("results.jsonl")]);
    assert_eq!(whole.len(), 3 * 3 * 2, "3 problem configurations x 3 solvers x 2 seeds");
    assert_eq!(merged, whole);
    // Every shard ran something, and `report` merges the shard directories.
    assert!(shards.iter().all(|s| !runs(std::slice::from_ref(s)).is_empty()));
    let o = Command::new(env!("CARGO_BIN_EXE_vi-bench"))
        .arg("report")
        .args((1..=n).map(|i| out.join(format!("shard-{i}"))))
        .arg("--out")
        .arg(dir.path().join("merged"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("merged/summary.md").exists());
}

#[test]
fn outside_a_job_array_the_task_refuses_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let o = task(Path::new("default"), &dir.path().join("x"), None);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("SLURM_ARRAY_TASK_ID"), "{e}");
}
