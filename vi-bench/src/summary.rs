//! The records of a results file grouped for the summary: problem configurations
//! ([`Instance`]), each with one [`Row`] per solver configuration, ranked; the performance
//! profile over them; and what a reader needs under a table (why runs did not converge, which
//! ones were still improving at a sublinear rate when their budget ran out).

use std::collections::{BTreeMap, BTreeSet};

use crate::plot::Curve;
use crate::profile::{performance_profile, Profile};
use crate::record::RunRecord;

/// Solver label -> (first case index, runs).
type RowMap<'a> = BTreeMap<String, (u64, Vec<&'a RunRecord>)>;

/// The records grouped for the summary: problem configurations, each with solver rows.
pub struct Summary<'a> {
    /// Problem configurations in suite order (skipped runs left out).
    pub instances: Vec<Instance<'a>>,
    records: &'a [RunRecord],
}

/// One problem configuration.
pub struct Instance<'a> {
    /// `problem_label`.
    pub label: String,
    /// One row per solver configuration, in suite order.
    pub rows: Vec<Row<'a>>,
}

/// One solver configuration on one problem configuration.
pub struct Row<'a> {
    /// `solver_label`.
    pub solver: String,
    /// Its runs (one per seed; one in all for a deterministic configuration).
    pub runs: Vec<&'a RunRecord>,
    /// Rank among the rows of its problem (`None`: never converged).
    pub rank: Option<usize>,
}

/// Statuses that mean "the budget ran out" (not a failure of the method).
const BUDGET_STATUSES: [&str; 3] = ["OracleBudget", "MaxIterations", "TimeLimit"];

impl Row<'_> {
    /// The status cell: `Converged`, or `Converged (2/3), Diverged (1/3)`.
    pub fn status_cell(&self) -> String {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for r in &self.runs {
            *counts.entry(r.status()).or_insert(0) += 1;
        }
        let n = self.runs.len();
        if counts.len() == 1 && n == 1 {
            return self.runs[0].status();
        }
        counts.iter().map(|(s, k)| format!("{s} ({k}/{n})")).collect::<Vec<_>>().join(", ")
    }

    /// Whether every run says its configuration reads no seed (one run stands for all seeds).
    pub fn deterministic(&self) -> bool {
        !self.runs.is_empty() && self.runs.iter().all(|r| !r.uses_seed)
    }

    /// The seeds cell: the number of runs, or `deterministic`.
    pub fn seeds_cell(&self) -> String {
        if self.deterministic() {
            "deterministic".into()
        } else {
            self.runs.len().to_string()
        }
    }

    /// Median of `f` over the runs where it is defined.
    pub fn median(&self, f: impl Fn(&RunRecord) -> Option<f64>) -> Option<f64> {
        median(self.runs.iter().filter_map(|r| f(r)).collect())
    }

    /// The share of converged runs.
    fn converged_share(&self) -> f64 {
        if self.runs.is_empty() {
            return 0.0;
        }
        self.runs.iter().filter(|r| r.converged()).count() as f64 / self.runs.len() as f64
    }

    /// For a row whose runs all ended on their budget: the median slope `p` of
    /// `log residual` against `log oracle calls` over the last decade of calls, when the
    /// residual still falls there as a power law (sublinear convergence: the slopes of the two
    /// halves of that decade agree within a factor 1.5; a linear rate steepens instead).
    pub fn sublinear_slope(&self) -> Option<f64> {
        if self.runs.is_empty() || !self.runs.iter().all(|r| BUDGET_STATUSES.contains(&r.status().as_str())) {
            return None;
        }
        let slopes: Vec<f64> = self.runs.iter().filter_map(|r| power_law_slope(&r.trace.as_ref()?.points())).collect();
        median(slopes).filter(|p| *p < -0.1)
    }
}

/// The median of `v` without its NaNs.
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let k = v.len();
    Some(if k % 2 == 1 { v[k / 2] } else { 0.5 * (v[k / 2 - 1] + v[k / 2]) })
}

/// The least-squares slope of `log y` against `log x` over the points with `x` in `[lo, hi]`.
fn loglog_slope(points: &[(f64, f64)], lo: f64, hi: f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x >= lo && *x <= hi && *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The slope over the last decade of a trace, if both of its halves have about that slope.
fn power_law_slope(points: &[(f64, f64)]) -> Option<f64> {
    let end = points.last()?.0;
    let mid = end / 10f64.sqrt();
    let (early, late) = (loglog_slope(points, end / 10.0, mid)?, loglog_slope(points, mid, end)?);
    let same = early < 0.0 && late < 0.0 && late / early < 1.5 && early / late < 1.5;
    same.then(|| loglog_slope(points, end / 10.0, end)).flatten()
}

impl Instance<'_> {
    /// One line per (solver, status) that is not `Converged`: how many runs, which seeds, and the
    /// message of the first (the reason a reader needs next to the status).
    pub fn why_not_converged(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for row in &self.rows {
            let mut by_status: BTreeMap<String, Vec<&RunRecord>> = BTreeMap::new();
            for r in row.runs.iter().filter(|r| !r.converged()) {
                by_status.entry(r.status()).or_default().push(r);
            }
            for (status, rs) in by_status {
                let seeds: Vec<String> = rs.iter().map(|r| r.seed().to_string()).collect();
                let which = if row.runs.len() == 1 {
                    String::new()
                } else {
                    format!(
                        " ({} of {} runs, seed{} {})",
                        rs.len(),
                        row.runs.len(),
                        if rs.len() == 1 { "" } else { "s" },
                        seeds.join(", ")
                    )
                };
                let reason = rs[0].message().map_or_else(String::new, |m| format!(": {}", m.replace('|', "/")));
                lines.push(format!("- {} {status}{which}{reason}", row.solver));
            }
        }
        lines
    }

    /// One line per row still improving at a sublinear rate when its budget ran out: the rate,
    /// the solver's own summary of its theory, and the oracle calls that rate needs to reach the
    /// tolerance.
    pub fn sublinear_notes(&self) -> Vec<String> {
        let reg = vi_core::registry().ok();
        let mut lines = Vec::new();
        for row in &self.rows {
            let Some(p) = row.sublinear_slope() else { continue };
            let theory = reg
                .and_then(|reg| reg.solver(row.runs[0].solver()).ok())
                .map_or_else(String::new, |e| format!(" ({})", e.summary));
            let calls = row.median(|r| r.report().map(|r| r.oracle_calls as f64));
            let residual = row.median(|r| r.report().map(|r| r.residual));
            let tol = row.runs[0].params().pointer("/run/tol").and_then(serde_json::Value::as_f64);
            let need = match (calls, residual, tol) {
                (Some(c), Some(r), Some(t)) if t > 0.0 && r > t => {
                    format!("; at that rate tol = {t:e} needs about {:.1e} oracle calls", c * (r / t).powf(-1.0 / p))
                }
                _ => String::new(),
            };
            lines.push(format!(
                "- {}{theory}: the residual still falls as calls^{p:.2} over the last decade of the budget, a sublinear \
                 rate{need}.",
                row.solver
            ));
        }
        lines
    }

    /// Residual curves: one per run with a trace, one colour per solver, one legend per solver.
    pub fn curves(&self) -> Vec<Curve> {
        let mut curves = Vec::new();
        for (color, row) in self.rows.iter().enumerate() {
            let mut labelled = false;
            for r in &row.runs {
                let Some(points) = r.trace.as_ref().map(crate::record::TraceColumns::points) else { continue };
                if points.is_empty() {
                    continue;
                }
                curves.push(Curve { label: (!labelled).then(|| row.solver.clone()), color, points });
                labelled = true;
            }
        }
        curves
    }

    /// The Jacobian summary of this configuration, from its first record that has one.
    pub fn jacobian(&self) -> Option<&crate::record::JacobianSummary> {
        self.rows.iter().flat_map(|r| r.runs.iter()).find_map(|r| r.jacobian.as_ref())
    }
}

impl<'a> Summary<'a> {
    /// Groups `records` by problem and solver configuration (in order of first `case_index`,
    /// then label), leaving out skipped runs, and ranks the rows.
    pub fn new(records: &'a [RunRecord]) -> Self {
        let order = |r: &RunRecord| r.case_index.unwrap_or(u64::MAX);
        let mut inst: BTreeMap<String, (u64, RowMap<'a>)> = BTreeMap::new();
        for r in records.iter().filter(|r| !r.skipped()) {
            let e = inst.entry(r.problem_label().to_string()).or_insert((u64::MAX, BTreeMap::new()));
            e.0 = e.0.min(order(r));
            let row = e.1.entry(r.solver_label().to_string()).or_insert((u64::MAX, Vec::new()));
            row.0 = row.0.min(order(r));
            row.1.push(r);
        }
        let mut instances: Vec<(u64, Instance<'a>)> = inst
            .into_iter()
            .map(|(label, (k, rows))| {
                let mut rows: Vec<(u64, Row<'a>)> = rows
                    .into_iter()
                    .map(|(solver, (k, mut runs))| {
                        runs.sort_by_key(|r| r.seed());
                        (k, Row { solver, runs, rank: None })
                    })
                    .collect();
                rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.solver.cmp(&b.1.solver)));
                let mut rows: Vec<Row<'a>> = rows.into_iter().map(|(_, r)| r).collect();
                rank(&mut rows);
                (k, Instance { label, rows })
            })
            .collect();
        instances.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.label.cmp(&b.1.label)));
        Self { instances: instances.into_iter().map(|(_, i)| i).collect(), records }
    }

    /// The performance profile over (problem configuration, seed) pairs, solvers in row order.
    /// A configuration whose problem reads no seed (it has a deterministic row) is one test
    /// problem, counted once: each row's cost is then the median over its runs (a failure counts
    /// as infinite).
    pub fn profile(&self) -> Profile {
        let mut solvers: Vec<String> = Vec::new();
        let mut costs: BTreeMap<String, BTreeMap<String, Option<f64>>> = BTreeMap::new();
        for inst in &self.instances {
            let once = inst.rows.iter().any(Row::deterministic);
            for row in &inst.rows {
                if !solvers.contains(&row.solver) {
                    solvers.push(row.solver.clone());
                }
                if once {
                    let cost = median(row.runs.iter().map(|r| r.calls_to_tol().unwrap_or(f64::INFINITY)).collect());
                    costs
                        .entry(inst.label.clone())
                        .or_default()
                        .insert(row.solver.clone(), cost.filter(|c| c.is_finite()));
                    continue;
                }
                for r in &row.runs {
                    let pair = format!("{} seed {}", inst.label, r.seed());
                    costs.entry(pair).or_default().insert(row.solver.clone(), r.calls_to_tol());
                }
            }
        }
        performance_profile(&costs, &solvers)
    }

    /// The budget shared by every run, as text (`None` when runs differ or none is recorded).
    pub fn budget(&self) -> Option<String> {
        common_budget(self.records.iter())
    }
}

/// The stopping rules shared by every record, as `key = value, ...` (`None` when they differ or
/// none is recorded).
pub fn common_budget<'r>(records: impl Iterator<Item = &'r RunRecord>) -> Option<String> {
    let runs: BTreeSet<String> = records.filter_map(|r| r.params().get("run")).map(|v| v.to_string()).collect();
    if runs.len() != 1 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(runs.first()?).ok()?;
    let parts: Vec<String> =
        v.as_object()?.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| format!("{k} = {v}")).collect();
    Some(parts.join(", "))
}

/// Ranks rows: a larger share of converged runs first, then fewer median oracle calls to
/// tolerance; equal keys share a rank; rows that never converged get none.
fn rank(rows: &mut [Row<'_>]) {
    let keys: Vec<Option<(f64, f64)>> = rows
        .iter()
        .map(|r| {
            let c = r.converged_share();
            (c > 0.0).then(|| (c, r.median(RunRecord::calls_to_tol).unwrap_or(f64::INFINITY)))
        })
        .collect();
    let better = |a: (f64, f64), b: (f64, f64)| a.0 > b.0 || (a.0 == b.0 && a.1 < b.1);
    for i in 0..rows.len() {
        rows[i].rank = keys[i].map(|ki| 1 + keys.iter().flatten().filter(|&&kj| better(kj, ki)).count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_power_law_has_a_steady_slope_and_a_linear_rate_does_not() {
        let pts = |f: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
            (1..=1000).map(|k| (10.0 * k as f64, f(10.0 * k as f64))).collect()
        };
        let p = power_law_slope(&pts(&|x| 3.0 / x)).unwrap();
        assert!((p + 1.0).abs() < 1e-9, "{p}");
        let p = power_law_slope(&pts(&|x| x.powf(-0.5))).unwrap();
        assert!((p + 0.5).abs() < 1e-9, "{p}");
        // exp(-x / 2000) over [1000, 10000]: the slope steepens from -0.5 x / 2000 ~ -1 to -5.
        assert_eq!(power_law_slope(&pts(&|x| (-x / 2000.0).exp())), None);
        assert_eq!(power_law_slope(&pts(&|_| 1.0)), None, "flat: no slope to speak of");
    }
}
