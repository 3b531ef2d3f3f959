//! `vi-bench diagnose`: Jacobian diagnostics of a problem at a point, the step sizes and linear
//! rates the theory predicts for every registered solver, and what a short run measures.
//!
//! ```text
//! vi-bench diagnose --problem gan-dirac --set problem.reg=r1 --at solution --json
//! ```
//!
//! What it does (docs/math.md §5):
//! 1. the point: `--at start`, `--at solution`, or `--at FILE` (a JSON array or numbers
//!    separated by whitespace or commas);
//! 2. the Jacobian there: the operator's analytic [`vi_core::Operator::jacobian`] when it has
//!    one, else one Jacobian-vector product per column (analytic JVP or central finite
//!    differences, as the operator provides). Dense decompositions up to `--dense-max`
//!    (default 1000) coordinates; above, matrix-free: `--krylov` Arnoldi steps on JVPs
//!    ([`vi_core::diagnostics::krylov_spectrum`]; Ritz values, `||J||` and `mu` estimates);
//! 3. eigenvalues, `mu = lambda_min((J + J^T)/2)`, `L = ||J||_2`, the phase factor, the
//!    conditioning factor, the singular-value condition number, and for problems with a gradient
//!    the bounds on `mu` and `L` the operator states at the point, with the terms they are
//!    built from ([`vi_core::diagnostics::LocalBounds`]; for the regularized GAN games those of
//!    docs/math.md §1.4, from the Gauss-Newton Gramian of the penalty);
//!    `--bounds N` checks them against the measured `mu`, `L` at `N` seeded points drawn
//!    uniformly from the ball of radius `--radius` around the point, and reports every point
//!    where one fails;
//! 4. per solver ([`vi_core::diagnostics::Prediction`]): the step it would use (its fixed
//!    `step`, or its default rule resolved against the local `L`: `factor / L`, `mu / L^2` for
//!    GDA with a declared `mu > 0`; `--set solver.step=X` overrides every solver), the stable
//!    step range and the predicted per-iteration factor of the linearisation;
//! 5. beside it, the measured per-iteration contraction of the natural residual over a short
//!    run (`--measure-iters`, default 500, tolerance 0) from the point plus a small offset
//!    (`--offset`, relative): `(r_k1 / r_k0)^(1 / (k1 - k0))` over the second half of the run,
//!    stopping before the residual reaches round-off. In the dense mode the offset points along
//!    (the real part of) the eigenvector of `J` whose eigenvalue gives the solver's largest
//!    predicted factor, so the measurement sees the slowest mode instead of a transient mix;
//!    otherwise (no model, matrix-free) along a fixed generic direction. A solver whose rule is
//!    `"auto"` is run at the predicted step (inside the solver `"auto"` would resolve against
//!    its own secant estimate of `L` at the start, not the local `||J||`).
//!
//! `--json` prints one object with `point`, `eigenvalues` (`[re, im]` pairs), `mu`, `lipschitz`,
//! `phase_factor`, `conditioning_factor`, `predictions` (an object keyed by solver) and more.
//! Infinite values (a purely imaginary eigenvalue's phase factor) print as `null`.

use std::path::Path;

use clap::Args;
use faer::c64;
use faer::Col;
use serde::Serialize;
use serde_json::{json, Map, Value};
use vi_core::diagnostics::{
    jacobian_with_source, krylov_spectrum, spectrum, JacobianSource, LocalBounds, Prediction, Spectrum,
};
use vi_core::{build_problem, build_solver, linalg, LinearModel, Linearization, Problem, RunConfig, Runner};

use crate::cli::{arg, Selection};
use crate::error::{BenchError, Result};

/// `vi-bench diagnose --problem NAME [--set ...] [--at start|solution|FILE] [--json]`.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Problem, parameters and seed.
    #[command(flatten)]
    pub selection: Selection,
    /// Where: `start`, `solution`, or a file holding the point (JSON array or whitespace list).
    #[arg(long, default_value = "start")]
    pub at: String,
    /// Print exactly one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Solvers to predict and measure, comma-separated (default: every registered solver).
    #[arg(long, value_delimiter = ',')]
    pub solvers: Vec<String>,
    /// Iterations of each measuring run (>= 0; 0: predictions only).
    #[arg(long, value_name = "N", default_value_t = 500, allow_hyphen_values = true, value_parser = arg::whole)]
    pub measure_iters: u64,
    /// Relative offset of the measuring runs' start from the diagnosed point (a finite number > 0).
    #[arg(long, default_value_t = 1e-3, allow_hyphen_values = true, value_parser = arg::positive)]
    pub offset: f64,
    /// Dense decompositions up to this dimension (>= 0); Arnoldi on JVPs above.
    #[arg(long, value_name = "N", default_value_t = 1000, allow_hyphen_values = true, value_parser = arg::size)]
    pub dense_max: usize,
    /// Arnoldi steps in the matrix-free mode (>= 1).
    #[arg(long, value_name = "N", default_value_t = 60, allow_hyphen_values = true, value_parser = arg::positive_size)]
    pub krylov: usize,
    /// Check the derived bounds on `mu` and `L` (docs/math.md §1.4) at this many seeded points
    /// around the diagnosed one (>= 0; dense mode only).
    #[arg(long, value_name = "N", default_value_t = 0, allow_hyphen_values = true, value_parser = arg::size)]
    pub bounds: usize,
    /// Radius of the ball the `--bounds` points are drawn from (a finite number > 0).
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true, value_parser = arg::positive)]
    pub radius: f64,
}

/// The diagnosis, as printed by `--json`.
#[derive(Clone, Debug, Serialize)]
pub struct Diagnosis {
    /// Problem name.
    pub problem: String,
    /// Resolved problem parameters.
    pub params: Value,
    /// `start`, `solution` or the file name.
    pub at: String,
    /// The point.
    pub point: Vec<f64>,
    /// Natural residual at the point (0 at a solution).
    pub residual: f64,
    /// Dimension.
    pub dim: usize,
    /// `dense` or `arnoldi`.
    pub method: String,
    /// Where the Jacobian came from: `analytic` or `jacobian-vector-products`.
    pub jacobian_source: JacobianSource,
    /// Eigenvalues (dense) or Ritz values (Arnoldi), `[re, im]`.
    pub eigenvalues: Vec<[f64; 2]>,
    /// `lambda_min` of the symmetric part.
    pub mu: f64,
    /// Spectral norm.
    pub lipschitz: f64,
    /// `max |Im| / |Re|` over the eigenvalues.
    pub phase_factor: f64,
    /// `max |lambda| / min |lambda|`.
    pub conditioning_factor: f64,
    /// `sigma_max / sigma_min`.
    pub singular_condition: f64,
    /// The bounds on `mu` and `L` the operator states at the point, with their terms.
    pub bounds: Option<LocalBounds>,
    /// `--bounds N`: the check at the sampled points (`samples`, `mu_holds`, `lipschitz_holds`,
    /// the worst margins, and `points`: one row per sampled point).
    pub bound_check: Option<Value>,
    /// Per-solver predictions and measurements, keyed by solver name.
    pub predictions: Map<String, Value>,
    /// Remarks (e.g. the point is not a zero of `F`).
    pub notes: Vec<String>,
}

/// Reads a point from a file: a JSON array, or numbers separated by whitespace or commas.
/// At most `4096 + 256 * max_len` bytes are read (a point of `max_len` numbers is far shorter),
/// so a wrong path such as `/dev/zero` fails instead of filling memory.
///
/// # Errors
/// [`BenchError::Io`] or [`BenchError::Format`] naming the file.
pub fn read_point(path: &Path, max_len: usize) -> Result<Vec<f64>> {
    use std::io::Read;
    let fmt = |reason: String| BenchError::Format { path: path.display().to_string(), reason };
    let cap = (max_len as u64).saturating_mul(256).saturating_add(4096);
    let file = std::fs::File::open(path).map_err(|e| BenchError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| BenchError::io(path, e))?;
    if bytes.len() as u64 > cap {
        return Err(fmt(format!("longer than {cap} bytes: too long for a point of dimension {max_len}")));
    }
    let text = String::from_utf8(bytes).map_err(|_| fmt("not UTF-8 text".into()))?;
    let t = text.trim();
    if t.starts_with('[') {
        return serde_json::from_str(t).map_err(|e| fmt(format!("not a JSON array of numbers: {e}")));
    }
    t.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>().map_err(|e| {
                let shown: String = s.chars().take(40).collect();
                let more = if shown.len() < s.len() { "..." } else { "" };
                fmt(format!("`{shown}{more}` is not a number: {e}"))
            })
        })
        .collect()
}

/// Resolves `--at`.
fn point(problem: &Problem, at: &str) -> Result<Col<f64>> {
    let z = match at {
        "start" => problem.start().to_owned(),
        "solution" => problem.solution().map(|s| s.to_owned()).ok_or_else(|| {
            BenchError::Usage(format!(
                "problem `{}` has no known solution; use --at start or --at FILE",
                problem.name()
            ))
        })?,
        file => linalg::col_from_slice(&read_point(Path::new(file), problem.dim())?),
    };
    if z.nrows() != problem.dim() {
        return Err(BenchError::Usage(format!(
            "--at {at}: the point has {} entries, problem `{}` has dimension {}",
            z.nrows(),
            problem.name(),
            problem.dim()
        )));
    }
    if !linalg::all_finite(z.as_ref()) {
        return Err(BenchError::Usage(format!("--at {at}: the point has non-finite entries")));
    }
    Ok(z)
}

/// A deterministic unit direction of length `n`.
fn direction(n: usize) -> Col<f64> {
    let d = Col::from_fn(n, |i| ((i as f64 + 1.0) * 0.754_877_666_246_692_7).fract() - 0.5 + 1e-3);
    let norm = d.norm_l2();
    Col::from_fn(n, |i| d[i] / norm)
}

/// The measured per-iteration contraction of the residual over a trace.
pub fn measured_rate(residuals: &[f64]) -> Option<(f64, u64)> {
    let r0 = *residuals.first()?;
    if !(r0 > 0.0 && r0.is_finite()) {
        return None;
    }
    let floor = (1e-9 * r0).max(1e-14);
    let mut last = residuals.len() - 1;
    if let Some(k) = residuals.iter().position(|r| !r.is_finite() || *r <= floor) {
        last = k.saturating_sub(1);
    }
    if last < 2 {
        return None;
    }
    let k0 = last / 2;
    let k1 = last;
    let (a, b) = (residuals[k0], residuals[k1]);
    if !(a > 0.0 && b > 0.0) {
        return None;
    }
    Some(((b / a).powf(1.0 / (k1 - k0) as f64), (k1 - k0) as u64))
}

/// Runs the diagnosis and returns it (what `--json` prints).
///
/// # Errors
/// Bad problem, parameters or point.
pub fn diagnose(a: &DiagnoseArgs) -> Result<Diagnosis> {
    let (pp, sp) = a.selection.params()?;
    let name = &a.selection.problem;
    let mut problem = build_problem(name, &Value::Object(pp.clone()), a.selection.seed)?;
    let z = point(&problem, &a.at)?;
    let n = problem.dim();
    let residual = problem.natural_residual(z.as_ref());
    let mut notes = Vec::new();

    let (spec, source, jac, method): (Spectrum, JacobianSource, Option<faer::Mat<f64>>, &str) = if n <= a.dense_max {
        let (j, src) = jacobian_with_source(problem.operator_mut(), z.as_ref())?;
        (spectrum(j.as_ref())?, src, Some(j), "dense")
    } else {
        let src = JacobianSource::JacobianVectorProducts;
        notes.push(format!(
            "matrix-free: {} Arnoldi steps on JVPs; eigenvalues are Ritz values (extremal ones converge first), lipschitz is a lower estimate of ||J||, mu an upper estimate",
            a.krylov
        ));
        (krylov_spectrum(problem.operator_mut(), z.as_ref(), a.krylov)?, src, None, "arnoldi")
    };
    let bounds = problem.operator_mut().local_bounds(z.as_ref());
    let bound_check = if a.bounds > 0 {
        if method != "dense" {
            return Err(BenchError::Usage(format!(
                "--bounds needs the dense Jacobian: dimension {n} is above --dense-max {}",
                a.dense_max
            )));
        }
        if bounds.is_none() {
            return Err(BenchError::Usage(format!(
                "--bounds: problem {name} states no bounds on mu and L with these parameters (the GAN games do with a gradient penalty or Tikhonov terms, without nk, jare, consensus, proximal or wgan-gp)"
            )));
        }
        Some(check_bounds(&mut problem, z.as_ref(), a.bounds, a.radius, a.selection.seed)?)
    } else {
        None
    };
    let scale = spec.lipschitz.max(1.0) * linalg::norm(z.as_ref()).max(1.0);
    if residual > 1e-8 * scale {
        notes.push(format!(
            "the point is not a zero of F (natural residual {residual:.3e}): the linear rates describe the dynamics near a zero only"
        ));
    }

    if !problem.is_unconstrained() {
        notes.push(
            "constrained problem: the linear models ignore the projection (exact only where no constraint is active)"
                .into(),
        );
    }

    // Predictions.
    let reg = vi_core::registry()?;
    let names: Vec<String> =
        if a.solvers.is_empty() { reg.solvers().map(|e| e.name.to_string()).collect() } else { a.solvers.clone() };
    let p_gen = problem.blocks().first().map_or(n, |b| b.range.len());
    let problem_mu = problem.strong_monotonicity();
    let jm = jac.unwrap_or_else(|| faer::Mat::zeros(0, 0));
    let eigs: Vec<c64> = spec.eigenvalues.iter().map(|&[re, im]| c64::new(re, im)).collect();
    let lin = Linearization { jacobian: jm.as_ref(), eigenvalues: &eigs, first_block: p_gen };
    let eigvecs = if method == "dense" { jm.eigen().ok() } else { None };
    let mut predictions = Map::new();
    for s in &names {
        reg.solver(s)?;
        // What the solver says about itself: its linear model and its step at the local L.
        let mut pred = match build_solver(s, &Value::Object(sp.clone()), a.selection.seed) {
            Ok((solver, _)) => {
                let model = solver.linear_model();
                let step = solver.predicted_step(spec.lipschitz, problem_mu);
                let mut pr = Prediction::new(s, model.as_ref().map_err(Clone::clone), &lin, step);
                if method != "dense" && model.is_ok() && pr.note.is_empty() {
                    pr.note = "from Ritz values (extremal eigenvalues)".into();
                }
                if a.measure_iters > 0 {
                    let dir =
                        model.ok().zip(pr.step).and_then(|(m, eta)| slowest_mode(&m, &lin, eta, eigvecs.as_ref()));
                    measure_into(&mut pr, name, &pp, s, &sp, a, z.as_ref(), dir);
                }
                pr
            }
            Err(e) => {
                let mut pr = Prediction::new(s, Err(String::new()), &lin, None);
                pr.note = format!("not built with these parameters: {e}");
                pr
            }
        };
        if pred.model.is_none() && pred.note.is_empty() {
            pred.note = "no linear model".into();
        }
        predictions.insert(s.clone(), serde_json::to_value(&pred).unwrap_or(Value::Null));
    }

    Ok(Diagnosis {
        problem: name.clone(),
        params: problem.params().clone(),
        at: a.at.clone(),
        point: linalg::to_vec(z.as_ref()),
        residual,
        dim: n,
        method: method.to_string(),
        jacobian_source: source,
        eigenvalues: spec.eigenvalues,
        mu: spec.mu,
        lipschitz: spec.lipschitz,
        phase_factor: spec.phase_factor,
        conditioning_factor: spec.conditioning_factor,
        singular_condition: spec.singular_condition,
        bounds,
        bound_check,
        predictions,
        notes,
    })
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

/// The unit direction of the slowest mode at step `eta`: for a per-eigenvalue model, the
/// (real part of the) eigenvector of `J` whose eigenvalue has the largest predicted factor; for
/// a matrix model, the dominant eigenvector of its iteration matrix. `None` without a dense
/// decomposition.
fn slowest_mode(
    m: &LinearModel,
    lin: &Linearization<'_>,
    eta: f64,
    eigvecs: Option<&faer::linalg::solvers::Eigen<f64>>,
) -> Option<Col<f64>> {
    let n = lin.jacobian.nrows();
    let (values, vectors) = match m.iteration_matrix(lin, eta) {
        Some(it) => {
            let e = it.eigen().ok()?;
            let v: Vec<c64> = e.S().column_vector().iter().copied().collect();
            let best = (0..v.len()).max_by(|&i, &j| v[i].norm().total_cmp(&v[j].norm()))?;
            return real_unit(e.U().col(best), n);
        }
        None => {
            let e = eigvecs?;
            (e.S().column_vector().iter().copied().collect::<Vec<c64>>(), e.U())
        }
    };
    let best = (0..values.len())
        .filter_map(|i| m.mode_rate(values[i], eta).map(|r| (i, r)))
        .max_by(|x, y| x.1.total_cmp(&y.1))?
        .0;
    real_unit(vectors.col(best), n)
}

/// The real part of a complex vector (its imaginary part if the real part vanishes), normalised.
fn real_unit(v: faer::ColRef<'_, c64>, n: usize) -> Option<Col<f64>> {
    let re = Col::from_fn(n, |r| v[r].re);
    let w = if re.norm_l2() > 1e-8 { re } else { Col::from_fn(n, |r| v[r].im) };
    let nw = w.norm_l2();
    (nw > 0.0).then(|| Col::from_fn(n, |r| w[r] / nw))
}

/// Measures a solver's rate beside its prediction, at the predicted step (inside the solver an
/// `"auto"` rule would resolve against its own secant estimate of `L` at the start, not the
/// local `||J||`); notes why when it cannot.
#[allow(clippy::too_many_arguments)]
fn measure_into(
    pred: &mut Prediction,
    problem: &str,
    pp: &Map<String, Value>,
    solver: &str,
    sp: &Map<String, Value>,
    a: &DiagnoseArgs,
    z: faer::ColRef<'_, f64>,
    dir: Option<Col<f64>>,
) {
    let mut sp_run = sp.clone();
    if let (true, Some(eta)) = (pred.step_rule.starts_with("auto"), pred.step) {
        sp_run.insert("step".into(), json!(eta));
    }
    match measure(problem, pp, solver, &sp_run, a, z, dir) {
        Ok(Some((rate, its))) => {
            pred.measured_rate = Some(rate);
            pred.measured_iterations = Some(its);
        }
        Ok(None) => pred.add_note("measurement: the residual reached round-off at once or was not finite"),
        Err(e) => pred.add_note(&format!("measurement failed: {e}")),
    }
}

/// One short run of `solver` from `z + offset`; the measured factor per iteration.
fn measure(
    problem: &str,
    pp: &Map<String, Value>,
    solver: &str,
    sp: &Map<String, Value>,
    a: &DiagnoseArgs,
    z: faer::ColRef<'_, f64>,
    dir: Option<Col<f64>>,
) -> Result<Option<(f64, u64)>> {
    let mut p = build_problem(problem, &Value::Object(pp.clone()), a.selection.seed)?;
    let d = dir.unwrap_or_else(|| direction(z.nrows()));
    let r = a.offset * linalg::norm(z).max(1.0);
    let start = Col::from_fn(z.nrows(), |i| z[i] + r * d[i]);
    p.set_start(start.as_ref())?;
    let (mut s, _) = build_solver(solver, &Value::Object(sp.clone()), a.selection.seed)?;
    let runner =
        Runner::new(RunConfig { tol: 0.0, max_iters: a.measure_iters, trace_every: 1, ..RunConfig::default() })?;
    let report = runner.run(&mut p, s.as_mut())?;
    let res: Vec<f64> = report.trace.iter().map(|t| t.residual).collect();
    Ok(measured_rate(&res))
}

fn fmt_num(x: f64) -> String {
    if x.is_infinite() {
        "inf".into()
    } else {
        format!("{x:.6}")
    }
}

/// Runs the diagnostics and prints them.
///
/// # Errors
/// Bad problem, parameters or point.
pub fn execute(a: &DiagnoseArgs) -> Result<()> {
    let d = diagnose(a)?;
    if a.json {
        println!("{}", serde_json::to_string(&d).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")));
        return Ok(());
    }
    let mut out = String::new();
    out.push_str(&format!(
        "{} at {} (dim {}, {} Jacobian, {})\n",
        d.problem,
        d.at,
        d.dim,
        match d.jacobian_source {
            JacobianSource::Analytic => "analytic",
            JacobianSource::JacobianVectorProducts => "JVP / finite-difference",
        },
        d.method
    ));
    let shown: Vec<String> = d.point.iter().take(8).map(|x| format!("{x}")).collect();
    let more = if d.point.len() > 8 { format!(", ... ({} more)", d.point.len() - 8) } else { String::new() };
    out.push_str(&format!("  point      [{}{more}]\n  residual   {:.3e}\n", shown.join(", "), d.residual));
    let eig: Vec<String> = d.eigenvalues.iter().map(|[r, i]| format!("{r:.4}{:+.4}i", i)).collect();
    out.push_str(&format!("  eigenvalues {}\n", eig.join(", ")));
    out.push_str(&format!(
        "  mu {}   L {}   phase factor {}   conditioning factor {}   sigma_max/sigma_min {}\n",
        fmt_num(d.mu),
        fmt_num(d.lipschitz),
        fmt_num(d.phase_factor),
        fmt_num(d.conditioning_factor),
        fmt_num(d.singular_condition)
    ));
    if let Some(b) = &d.bounds {
        out.push_str(&format!(
            "  stated bounds: mu >= {}, L <= {} (measured mu {}, L {}); {}\n",
            fmt_num(b.mu_bound),
            fmt_num(b.lipschitz_bound),
            fmt_num(d.mu),
            fmt_num(d.lipschitz),
            b.source
        ));
        let terms: Vec<String> = b.terms.iter().map(|(k, v)| format!("{k} {}", fmt_num(*v))).collect();
        out.push_str(&format!("    from {}\n", terms.join(", ")));
    }
    if let Some(c) = &d.bound_check {
        let num = |k: &str| c[k].as_f64().map_or("-".into(), fmt_num);
        out.push_str(&format!(
            "  bounds at {} points within radius {}: mu bound holds at {}, L bound at {} (worst margins {} and {})\n",
            c["samples"],
            c["radius"],
            c["mu_holds"],
            c["lipschitz_holds"],
            num("worst_mu_margin"),
            num("worst_lipschitz_margin")
        ));
        let rows = c["points"].as_array().map(Vec::as_slice).unwrap_or_default();
        for (i, r) in rows.iter().enumerate() {
            let (mh, lh) = (r["mu_holds"] == json!(true), r["lipschitz_holds"] == json!(true));
            if rows.len() <= 20 || !(mh && lh) {
                let f = |k: &str| r[k].as_f64().map_or("-".into(), fmt_num);
                out.push_str(&format!(
                    "    point {i:>4} at distance {}: mu {} vs bound {} ({}), L {} vs bound {} ({})\n",
                    f("distance"),
                    f("mu"),
                    f("mu_bound"),
                    if mh { "holds" } else { "FAILS" },
                    f("lipschitz"),
                    f("lipschitz_bound"),
                    if lh { "holds" } else { "FAILS" }
                ));
            }
        }
    }
    for n in &d.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    out.push_str(&format!(
        "\n  {:<16} {:>10} {:>12} {:>12} {:>12}  {}\n",
        "solver", "step", "max stable", "predicted", "measured", "step rule / note"
    ));
    let opt = |v: &Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:.6}"));
    for (name, p) in &d.predictions {
        out.push_str(&format!(
            "  {:<16} {:>10} {:>12} {:>12} {:>12}  {}{}\n",
            name,
            opt(&p["step"]),
            opt(&p["max_stable_step"]),
            opt(&p["rate"]),
            opt(&p["measured_rate"]),
            p["step_rule"].as_str().unwrap_or(""),
            p["note"].as_str().filter(|s| !s.is_empty()).map(|s| format!("; {s}")).unwrap_or_default()
        ));
    }
    print!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_rate_of_a_geometric_sequence() {
        let r: Vec<f64> = (0..100).map(|k| 0.9f64.powi(k)).collect();
        let (rate, _) = measured_rate(&r).unwrap();
        assert!((rate - 0.9).abs() < 1e-12);
        // Stops before round-off.
        let r: Vec<f64> = (0..400).map(|k| 0.5f64.powi(k).max(1e-17)).collect();
        let (rate, _) = measured_rate(&r).unwrap();
        assert!((rate - 0.5).abs() < 1e-9, "{rate}");
        assert!(measured_rate(&[0.0, 0.0]).is_none());
    }

    #[test]
    fn points_are_read_from_json_or_plain_text() {
        let dir = std::env::temp_dir().join(format!("vi-bench-diag-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.json");
        std::fs::write(&a, "[1, 2.5]").unwrap();
        assert_eq!(read_point(&a, 3).unwrap(), vec![1.0, 2.5]);
        std::fs::write(&a, "1 2.5,\n3").unwrap();
        assert_eq!(read_point(&a, 3).unwrap(), vec![1.0, 2.5, 3.0]);
        std::fs::write(&a, "1 x").unwrap();
        assert!(read_point(&a, 3).unwrap_err().to_string().contains("`x`"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
