//! Case expansion: a suite's entries, grids and seeds become the ordered list of cases, each a
//! [`RunSpec`] with its stable id; a case whose problem and solver never read the seed is kept
//! with the first seed only. Shards are slices of that list.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::{json, Map, Value};
use vi_core::{Budget, RunSpec};

use super::spec::{EntrySpec, JacobianAt, SuiteSpec, MAX_CASES};
use crate::error::{BenchError, Result};
use crate::record::CaseFields;

/// Whether a case depends on its seed ([`RunSpec::uses_seed`]: its problem or its solver read
/// it while being built). A case that cannot be built, or panics, counts as random: validation
/// reports it, and its seeds stay as given.
pub fn uses_seed(spec: &RunSpec) -> bool {
    catch_unwind(AssertUnwindSafe(|| spec.uses_seed())).map_or(true, |r| r.unwrap_or(true))
}

impl SuiteSpec {
    /// The number of cases, every seed counted, computed without expanding them (`None` past
    /// `u64::MAX`).
    pub fn case_count(&self) -> Option<u64> {
        let points =
            |e: &EntrySpec| e.grid.iter().try_fold(1u64, |n, (_, v)| n.checked_mul(u64::try_from(v.len()).ok()?));
        let solver_points = self.solvers.iter().try_fold(0u64, |n, e| n.checked_add(points(e)?))?;
        self.problems.iter().try_fold(0u64, |n, e| {
            let seeds = u64::try_from(e.seeds.as_ref().unwrap_or(&self.seeds).len()).ok()?;
            n.checked_add(points(e)?.checked_mul(seeds)?.checked_mul(solver_points)?)
        })
    }

    /// Every case, in order (see the [`crate::suite`] docs), with its id; a deterministic
    /// (problem, solver) configuration ([`uses_seed`]) with its first seed only.
    ///
    /// # Errors
    /// More than [`MAX_CASES`] cases, or two entries that produce the same case.
    pub fn cases(&self) -> Result<Vec<Case>> {
        self.cases_with(uses_seed)
    }

    /// [`SuiteSpec::cases`] with `uses_seed` deciding which configurations are random (asked
    /// once per configuration).
    ///
    /// # Errors
    /// As [`SuiteSpec::cases`].
    pub fn cases_with(&self, uses_seed: impl Fn(&RunSpec) -> bool) -> Result<Vec<Case>> {
        let count = self.case_count();
        if count.is_none_or(|n| n > MAX_CASES) {
            return Err(BenchError::Format {
                path: self.origin.clone(),
                reason: format!(
                    "the suite expands to {} cases, more than the {MAX_CASES} allowed; shorten its grids or seeds, \
                     or split it into several suites",
                    count.map_or_else(|| "over 2^64".to_string(), |n| n.to_string())
                ),
            });
        }
        let mut list = CaseList::default();
        for (mut case, seeds) in self.configurations() {
            case.uses_seed = uses_seed(&case.spec);
            let seeds = if case.uses_seed { seeds } else { &seeds[..1] };
            list.push_seeds(&case, seeds, &self.origin)?;
        }
        Ok(list.cases)
    }

    /// Every (problem configuration, solver configuration) pair in order, as a case with its
    /// first seed (index and id still unset), beside its seeds.
    fn configurations(&self) -> Vec<(Case, &[u64])> {
        let mut out = Vec::new();
        for (pi, pe) in self.problems.iter().enumerate() {
            let seeds = pe.seeds.as_ref().unwrap_or(&self.seeds);
            let Some(&first) = seeds.first() else { continue };
            for pp in pe.expand() {
                for (si, se) in self.solvers.iter().enumerate() {
                    let given = self.budget.then(&pe.budget).then(&se.budget);
                    for sp in se.expand() {
                        // The problem's run defaults depend on its parameters, not on the seed.
                        let spec = RunSpec {
                            problem: pe.name.clone(),
                            solver: se.name.clone(),
                            problem_params: pp.clone(),
                            solver_params: sp.clone(),
                            seed: first,
                            config: self.base.clone(),
                        };
                        let case = Case {
                            index: 0,
                            id: String::new(),
                            spec: self.resolve(spec, &given),
                            problem_label: label(&pe.name, &pp),
                            solver_label: label(&se.name, &sp),
                            uses_seed: true,
                            diagnose: pe.diagnose.unwrap_or(self.diagnose),
                            problem_entry: pi,
                            solver_entry: si,
                        };
                        out.push((case, &seeds[..]));
                    }
                }
            }
        }
        out
    }

    /// A case's spec with the problem's run defaults merged between the base and `given`. A
    /// case whose names or parameters are wrong keeps the plain budget: validation reports it.
    fn resolve(&self, spec: RunSpec, given: &Budget) -> RunSpec {
        match spec.clone().resolve(given, self.problem_defaults) {
            Ok((resolved, _)) => resolved,
            Err(_) => RunSpec { config: given.apply(spec.config.clone()), ..spec },
        }
    }
}

/// Cases in order, with the index of each id (two entries must not make the same case).
#[derive(Default)]
struct CaseList {
    cases: Vec<Case>,
    seen: HashMap<String, usize>,
}

impl CaseList {
    /// Appends `case` once per seed, each with its index and id.
    fn push_seeds(&mut self, case: &Case, seeds: &[u64], origin: &str) -> Result<()> {
        for &seed in seeds {
            let spec = RunSpec { seed, ..case.spec.clone() };
            let id = case_id(&spec);
            let index = self.cases.len();
            if let Some(prev) = self.seen.insert(id.clone(), index) {
                return Err(BenchError::Format {
                    path: origin.to_string(),
                    reason: format!(
                        "the case {} x {} seed {seed} appears twice (cases {prev} and {index}); remove the duplicate \
                         entry",
                        case.problem_label, case.solver_label
                    ),
                });
            }
            self.cases.push(Case { index, id, spec, ..case.clone() });
        }
        Ok(())
    }
}

/// `name` or `name(k=v, ...)` over the given parameters, keys sorted; strings unquoted.
pub fn label(name: &str, params: &Map<String, Value>) -> String {
    if params.is_empty() {
        return name.to_string();
    }
    let parts: Vec<String> = params
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    format!("{name}({})", parts.join(", "))
}

/// One run of a suite.
#[derive(Clone, Debug)]
pub struct Case {
    /// Position in the suite's case list.
    pub index: usize,
    /// Stable id: see [`case_id`].
    pub id: String,
    /// What to build and run.
    pub spec: RunSpec,
    /// `problem(k=v, ...)` over the problem parameters given.
    pub problem_label: String,
    /// `solver(k=v, ...)` over the solver parameters given.
    pub solver_label: String,
    /// Whether the problem or the solver reads the seed; a case that does not is run with the
    /// first seed only and stands for every seed.
    pub uses_seed: bool,
    /// Where to diagnose the problem's Jacobian.
    pub diagnose: JacobianAt,
    /// Index of its problem entry in the suite.
    pub(crate) problem_entry: usize,
    /// Index of its solver entry in the suite.
    pub(crate) solver_entry: usize,
}

impl Case {
    /// The identifying fields its record stores.
    pub fn fields(&self) -> CaseFields {
        CaseFields {
            id: self.id.clone(),
            index: self.index as u64,
            problem_label: self.problem_label.clone(),
            solver_label: self.solver_label.clone(),
        }
    }
}

/// FNV-1a, 64 bits: a documented hash that never changes between Rust versions (unlike
/// `DefaultHasher`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The stable id of a run: FNV-1a 64 (16 hex digits) of the canonical JSON (object keys
/// sorted, numbers as serde_json prints them) of problem, problem parameters, solver, solver
/// parameters, seed and budget (the whole [`vi_core::RunConfig`]).
pub fn case_id(spec: &RunSpec) -> String {
    let canonical = json!({
        "problem": spec.problem,
        "problem_params": spec.problem_params,
        "solver": spec.solver,
        "solver_params": spec.solver_params,
        "seed": spec.seed,
        "budget": spec.config,
    });
    format!("{:016x}", fnv1a64(canonical.to_string().as_bytes()))
}

/// `--shard I/N` for clap: the error states the expected form (clap names the option).
pub(crate) fn shard_arg(s: &str) -> std::result::Result<Shard, String> {
    Shard::parse(s).map_err(|_| "expected I/N with whole numbers 1 <= I <= N, e.g. 2/3".into())
}

/// A deterministic slice of a suite: cases with `index mod count == index_1based - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` with `1 <= I <= N`.
    ///
    /// # Errors
    /// [`BenchError::Usage`] naming the input.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || BenchError::Usage(format!("--shard `{s}`: expected I/N with 1 <= I <= N, e.g. 2/3"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// Whether case `k` belongs to this shard.
    pub fn contains(&self, k: usize) -> bool {
        k % self.count == self.index - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn case_ids_ignore_key_order_and_see_every_field() {
        let mut a = RunSpec { problem: "p".into(), solver: "s".into(), ..RunSpec::default() };
        a.problem_params.insert("m".into(), json!(3));
        a.problem_params.insert("cond".into(), json!(2.0));
        let mut b = RunSpec { problem: "p".into(), solver: "s".into(), ..RunSpec::default() };
        b.problem_params.insert("cond".into(), json!(2.0));
        b.problem_params.insert("m".into(), json!(3));
        assert_eq!(case_id(&a), case_id(&b));
        assert_eq!(case_id(&a).len(), 16);
        let mut c = b.clone();
        c.seed = 1;
        assert_ne!(case_id(&b), case_id(&c));
        let mut d = b.clone();
        d.config.max_calls = Some(10);
        assert_ne!(case_id(&b), case_id(&d));
        let mut e = b.clone();
        e.solver_params.insert("step".into(), json!(0.1));
        assert_ne!(case_id(&b), case_id(&e));
    }

    #[test]
    fn grids_expand_to_the_cross_product_last_key_fastest() {
        let e = EntrySpec::new("p", Map::from_iter([("n".to_string(), json!(4))]))
            .with_grid("m", vec![json!(1), json!(2)])
            .with_grid("cond", vec![json!("a"), json!("b"), json!("c")]);
        let pts = e.expand();
        assert_eq!(pts.len(), 6);
        let labels: Vec<String> = pts.iter().map(|p| label("p", p)).collect();
        assert_eq!(labels[0], "p(cond=a, m=1, n=4)");
        assert_eq!(labels[1], "p(cond=a, m=2, n=4)");
        assert_eq!(labels[5], "p(cond=c, m=2, n=4)");
    }

    #[test]
    fn shards_partition_the_indices() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard::parse(&format!("{i}/3")).unwrap()).collect();
        for k in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(k)).count(), 1);
        }
        assert!(shards[0].contains(0) && shards[1].contains(1) && shards[2].contains(5));
    }

    #[test]
    fn a_deterministic_configuration_keeps_its_first_seed_and_its_id() {
        let text = "seeds = [3, 1, 2]\n[[problems]]\nname = \"bilinear\"\n[[problems]]\nname = \"gan-dirac\"\n\
                    seeds = [5, 6]\n[[solvers]]\nname = \"eftp\"\n[[solvers]]\nname = \"gda\"\n";
        let spec = SuiteSpec::from_toml(text, "t.toml").unwrap();
        let all = spec.cases_with(|_| true).unwrap();
        assert_eq!(all.len(), 2 * 3 + 2 * 2);
        // gan-dirac reads no seed with either solver; bilinear draws its matrix from it.
        let some = spec.cases_with(|s| s.problem == "bilinear").unwrap();
        let seeds: Vec<(&str, &str, u64, bool)> =
            some.iter().map(|c| (c.spec.problem.as_str(), c.spec.solver.as_str(), c.spec.seed, c.uses_seed)).collect();
        assert_eq!(
            seeds,
            [
                ("bilinear", "eftp", 3, true),
                ("bilinear", "eftp", 1, true),
                ("bilinear", "eftp", 2, true),
                ("bilinear", "gda", 3, true),
                ("bilinear", "gda", 1, true),
                ("bilinear", "gda", 2, true),
                ("gan-dirac", "eftp", 5, false),
                ("gan-dirac", "gda", 5, false),
            ]
        );
        assert!(some.iter().enumerate().all(|(i, c)| c.index == i), "indices stay contiguous for --shard");
        // A deterministic case keeps the id it has with its first seed.
        for c in &some {
            let same = all.iter().find(|a| {
                a.spec.problem == c.spec.problem && a.spec.solver == c.spec.solver && a.spec.seed == c.spec.seed
            });
            assert_eq!(same.map(|a| &a.id), Some(&c.id));
        }
        // vi-core's flag says the same of these: bilinear's random matrix reads the seed, the
        // Dirac-GAN and these two methods do not.
        let real = spec.cases().unwrap();
        assert_eq!(
            real.iter().map(|c| (&c.id, c.uses_seed)).collect::<Vec<_>>(),
            some.iter().map(|c| (&c.id, c.uses_seed)).collect::<Vec<_>>()
        );
    }
}
