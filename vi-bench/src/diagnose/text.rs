//! `vi-bench diagnose` as text.

use serde_json::{json, Value};
use vi_core::diagnostics::JacobianSource;

use super::types::Diagnosis;

fn fmt_num(x: f64) -> String {
    if x.is_infinite() {
        "inf".into()
    } else {
        format!("{x:.6}")
    }
}

/// The diagnosis as text.
pub(super) fn render(d: &Diagnosis) -> String {
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
    let eig: Vec<String> = d.spectrum.eigenvalues.iter().map(|[r, i]| format!("{r:.4}{:+.4}i", i)).collect();
    out.push_str(&format!("  eigenvalues {}\n", eig.join(", ")));
    out.push_str(&format!(
        "  mu {}   L {}   phase factor {}   conditioning factor {}   sigma_max/sigma_min {}\n",
        fmt_num(d.spectrum.mu),
        fmt_num(d.spectrum.lipschitz),
        fmt_num(d.spectrum.phase_factor),
        fmt_num(d.spectrum.conditioning_factor),
        fmt_num(d.spectrum.singular_condition)
    ));
    bounds_lines(d, &mut out);
    for n in &d.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    predictions_table(d, &mut out);
    out
}

/// The stated bounds and, with `--bounds`, their check (every failing point listed).
fn bounds_lines(d: &Diagnosis, out: &mut String) {
    if let Some(b) = &d.bounds {
        out.push_str(&format!(
            "  stated bounds: mu >= {}, L <= {} (measured mu {}, L {}); {}\n",
            fmt_num(b.mu_bound),
            fmt_num(b.lipschitz_bound),
            fmt_num(d.spectrum.mu),
            fmt_num(d.spectrum.lipschitz),
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
}

/// One line per solver: step, stable range, predicted and measured rates, how.
fn predictions_table(d: &Diagnosis, out: &mut String) {
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
}
