//! Dolan-Moré performance profiles.
//!
//! For a set of test problems `P` and solvers `S` with costs `t(p, s)` (here: oracle calls to
//! reach the tolerance; infinite when the run did not converge), the performance ratio is
//! `r(p, s) = t(p, s) / min_s' t(p, s')` and the profile of solver `s` is
//! `rho_s(tau) = |{p : r(p, s) <= tau}| / |P|`: `rho_s(1)` is the fraction of problems on which
//! `s` was (one of) the cheapest, `rho_s(inf)` the fraction it solved at all.
//!
//! ## References
//! E. D. Dolan and J. J. Moré, *Benchmarking optimization software with performance profiles*,
//! Math. Program. 91 (2002), 201-213.

use std::collections::BTreeMap;

/// A performance profile: for each solver, its sorted finite performance ratios.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Solver labels, in the order given.
    pub solvers: Vec<String>,
    /// Number of test problems `|P|`.
    pub problems: usize,
    /// Per solver, the finite ratios `r(p, s)` sorted ascending (failures are left out).
    pub ratios: Vec<Vec<f64>>,
}

impl Profile {
    /// `rho_s(tau)` for the solver at position `s`.
    pub fn rho(&self, s: usize, tau: f64) -> f64 {
        if self.problems == 0 {
            return 0.0;
        }
        let k = self.ratios[s].partition_point(|&r| r <= tau);
        k as f64 / self.problems as f64
    }

    /// The largest finite ratio (at least 1).
    pub fn max_ratio(&self) -> f64 {
        self.ratios.iter().flatten().copied().fold(1.0, f64::max)
    }
}

/// The profile of `solvers` over the test problems in `costs` (problem -> solver -> cost;
/// `None` or a missing solver is a failure). A cost of 0 (solved at the start) counts as 1 so
/// that ratios stay finite.
pub fn performance_profile(costs: &BTreeMap<String, BTreeMap<String, Option<f64>>>, solvers: &[String]) -> Profile {
    let mut ratios = vec![Vec::new(); solvers.len()];
    for per_solver in costs.values() {
        let best = per_solver.values().flatten().map(|c| c.max(1.0)).fold(f64::INFINITY, f64::min);
        if !best.is_finite() {
            continue;
        }
        for (i, s) in solvers.iter().enumerate() {
            if let Some(Some(c)) = per_solver.get(s) {
                ratios[i].push(c.max(1.0) / best);
            }
        }
    }
    for r in &mut ratios {
        r.sort_by(f64::total_cmp);
    }
    Profile { solvers: solvers.to_vec(), problems: costs.len(), ratios }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_of_two_solvers_on_three_problems() {
        let mut costs = BTreeMap::new();
        let s = |a: Option<f64>, b: Option<f64>| BTreeMap::from([("a".to_string(), a), ("b".to_string(), b)]);
        costs.insert("p1".to_string(), s(Some(10.0), Some(20.0)));
        costs.insert("p2".to_string(), s(Some(40.0), Some(10.0)));
        costs.insert("p3".to_string(), s(None, Some(5.0)));
        let p = performance_profile(&costs, &["a".into(), "b".into()]);
        assert_eq!(p.problems, 3);
        assert_eq!(p.ratios[0], vec![1.0, 4.0]);
        assert_eq!(p.ratios[1], vec![1.0, 1.0, 2.0]);
        assert!((p.rho(0, 1.0) - 1.0 / 3.0).abs() < 1e-15);
        assert!((p.rho(0, 4.0) - 2.0 / 3.0).abs() < 1e-15);
        assert!((p.rho(1, 1.5) - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(p.rho(1, 2.0), 1.0);
        assert_eq!(p.max_ratio(), 4.0);
    }

    #[test]
    fn unsolved_problems_count_against_everyone() {
        let mut costs = BTreeMap::new();
        costs.insert("p1".to_string(), BTreeMap::from([("a".to_string(), Some(3.0))]));
        costs.insert("p2".to_string(), BTreeMap::from([("a".to_string(), None)]));
        let p = performance_profile(&costs, &["a".into()]);
        assert_eq!(p.rho(0, f64::INFINITY), 0.5);
    }
}
