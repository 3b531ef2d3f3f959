//! `diagnose --bounds N`: the bounds on `mu` and `L` an operator states, checked against the
//! measured values at seeded points around the diagnosed one.

use faer::Col;
use serde_json::{json, Value};
use vi_core::diagnostics::{jacobian_with_source, spectrum};
use vi_core::Problem;

use super::types::DiagnoseArgs;
use crate::error::{BenchError, Result};

/// The check `--bounds N` asks for (`None` without it).
///
/// # Errors
/// `--bounds` without a dense Jacobian or on a problem that states no bounds.
pub(super) fn check_if_asked(
    problem: &mut Problem,
    z: faer::ColRef<'_, f64>,
    a: &DiagnoseArgs,
    stated: bool,
    dense: bool,
) -> Result<Option<Value>> {
    if a.bounds == 0 {
        return Ok(None);
    }
    if !dense {
        return Err(BenchError::Usage(format!(
            "--bounds needs the dense Jacobian: dimension {} is above --dense-max {}",
            problem.dim(),
            a.dense_max
        )));
    }
    if !stated {
        return Err(BenchError::Usage(format!(
            "--bounds: problem {} states no bounds on mu and L with these parameters (the GAN games do with a gradient penalty or Tikhonov terms, without nk, jare, consensus, proximal or wgan-gp)",
            a.selection.problem
        )));
    }
    Ok(Some(check_bounds(problem, z, a.bounds, a.radius, a.selection.seed)?))
}

/// Random stream of the `--bounds` sample points.
const STREAM_BOUNDS: u64 = 0xb0d5;

/// The derived bounds against the measured `mu`, `L` at `count` points drawn uniformly from the
/// ball of radius `radius` around `z` (seeded).
fn check_bounds(
    problem: &mut Problem,
    z: faer::ColRef<'_, f64>,
    count: usize,
    radius: f64,
    seed: u64,
) -> Result<Value> {
    let n = z.nrows();
    let mut rng = vi_core::rng::seeded(seed, STREAM_BOUNDS);
    let mut rows = Vec::with_capacity(count);
    let (mut mu_holds, mut l_holds) = (0usize, 0usize);
    let (mut mu_margin, mut l_margin) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..count {
        let u = Col::from_fn(n, |_| vi_core::rng::normal(&mut rng));
        let r = radius * vi_core::rng::uniform(&mut rng).powf(1.0 / n as f64) / u.norm_l2().max(1e-300);
        let w = Col::from_fn(n, |i| z[i] + r * u[i]);
        let Some(b) = problem.operator_mut().local_bounds(w.as_ref()) else { continue };
        let (j, _) = jacobian_with_source(problem.operator_mut(), w.as_ref())?;
        let sp = spectrum(j.as_ref())?;
        // Rounding of the decompositions: a relative slack of 1e-10.
        let slack = 1e-10 * sp.lipschitz.max(1.0);
        let (dm, dl) = (sp.mu - b.mu_bound, b.lipschitz_bound - sp.lipschitz);
        let (mh, lh) = (dm >= -slack, dl >= -slack);
        mu_holds += usize::from(mh);
        l_holds += usize::from(lh);
        mu_margin = mu_margin.min(dm);
        l_margin = l_margin.min(dl);
        rows.push(json!({
            "distance": r * u.norm_l2(),
            "mu_bound": b.mu_bound, "mu": sp.mu, "mu_holds": mh,
            "lipschitz_bound": b.lipschitz_bound, "lipschitz": sp.lipschitz, "lipschitz_holds": lh,
        }));
    }
    Ok(json!({
        "samples": rows.len(), "radius": radius, "mu_holds": mu_holds, "lipschitz_holds": l_holds,
        "worst_mu_margin": mu_margin, "worst_lipschitz_margin": l_margin, "points": rows,
    }))
}
