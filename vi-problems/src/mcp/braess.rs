//! # `braess`: the Wardrop equilibrium of Braess's network
//!
//! Braess's network: links `1: s->a` (cost `10 f`), `2: a->t` (`f + 50`), `3: s->b` (`f + 50`),
//! `4: b->t` (`10 f`), `5: a->b` (`f + 10`); paths `(1,2)`, `(3,4)`, `(1,5,4)`; demand `d`.
//! Variables: path flows `h >= 0` and the free equilibrium cost `u`:
//! `F = (C(h) - u 1, sum h - d)` (Wardrop conditions). Monotone. Closed form: for
//! `d in [40/11, 80/9]` all paths are used, `h_1 = h_2 = (11 d - 40)/13`, `h_3 = (80 - 9 d)/13`;
//! below only path 3 (`u = 21 d + 10`), above only paths 1 and 2 (`u = 5.5 d + 50`). Start
//! `(d/3, d/3, d/3, 0)`.
//!
//! ## References
//! - D. Braess, "Über ein Paradoxon aus der Verkehrsplanung", Unternehmensforschung 12 (1968)
//!   258-268.

use vi_core::{
    AffineOperator, BuildContext, Checked, ConstraintSet, Error, NonnegativeOrthant, Problem, Product, Result,
    WholeSpace,
};

vi_core::params! {
    /// Parameters of `braess`.
    pub struct BraessParams {
        /// travel demand from s to t, > 0 (all three paths used for 40/11 <= d <= 80/9)
        pub demand: f64 = 6.0;
    }
    validate(p, owner) {
        if !(p.demand > 0.0 && p.demand.is_finite()) {
            return Err(Error::param(owner, "demand", format!("must be a finite number > 0, got {}", p.demand)));
        }
        Ok(())
    }
}

/// The Wardrop equilibrium `(h_1, h_2, h_3, u)` of Braess's network for demand `d`.
pub fn braess_solution(d: f64) -> [f64; 4] {
    if d <= 40.0 / 11.0 {
        [0.0, 0.0, d, 21.0 * d + 10.0]
    } else if d >= 80.0 / 9.0 {
        [d / 2.0, d / 2.0, 0.0, 5.5 * d + 50.0]
    } else {
        let a = (11.0 * d - 40.0) / 13.0;
        let b = (80.0 - 9.0 * d) / 13.0;
        [a, a, b, 11.0 * a + 10.0 * b + 50.0]
    }
}

fn build_braess(p: Checked<BraessParams>, _: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    // Path costs: C1 = 10(h1 + h3) + h1 + 50, C2 = h2 + 50 + 10(h2 + h3),
    // C3 = 10(h1 + h3) + h3 + 10 + 10(h2 + h3).
    let m =
        faer::mat![[11.0, 0.0, 10.0, -1.0], [0.0, 11.0, 10.0, -1.0], [10.0, 10.0, 21.0, -1.0], [1.0, 1.0, 1.0, 0.0],];
    let q = vi_core::linalg::col_from_slice(&[50.0, 50.0, 10.0, -p.demand]);
    let op = AffineOperator::new(m, q)?;
    let set: Box<dyn ConstraintSet> =
        Box::new(Product::new(vec![Box::new(NonnegativeOrthant::new(3)), Box::new(WholeSpace::new(1))]));
    let d = p.demand;
    let s = braess_solution(d);
    Problem::new("braess", Box::new(op), set, vi_core::linalg::col_from_slice(&[d / 3.0, d / 3.0, d / 3.0, 0.0]))?
        .with_solution(vi_core::linalg::col_from_slice(&s))
}

vi_core::register_problem!(
    "braess",
    "Braess's traffic network: Wardrop equilibrium as an MCP in path flows and cost, closed form",
    BraessParams,
    build_braess
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_satisfies_the_vi() {
        for d in [2.0, 6.0, 12.0] {
            let s = braess_solution(d);
            assert!(crate::mcp::residual("braess", serde_json::json!({ "demand": d }), &s) < 1e-10, "{d}");
        }
        assert_eq!(braess_solution(6.0), [2.0, 2.0, 2.0, 92.0]);
    }

    #[test]
    fn bad_demand_is_rejected() {
        let e = vi_core::build_problem("braess", &serde_json::json!({"demand": -1}), 0).unwrap_err().to_string();
        assert!(e.contains("`demand`"), "{e}");
    }
}
