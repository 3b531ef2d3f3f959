//! Cross-method tests of the behaviour docs/math.md predicts: step-size thresholds on bilinear
//! games, exact linear rates on the rotation-block family, projected matrix games, EAG's
//! `O(1/k^2)` rate, and the preconditioned variants.

use faer::c64;
use faer::Col;
use serde_json::json;
use vi_core::{Method, Problem, Solver, Status};

use crate::test_support::{
    checked, duality_gap, matching_pennies_matrix, matrix_game, params, random_bilinear, rotation_blocks, rps_matrix,
    run, strongly_monotone,
};
use crate::{Eag, EagParams, EagVariant, Eftp, Extragradient, Gda, Ogda};

fn solver(name: &str, params: serde_json::Value) -> Box<dyn Solver> {
    vi_core::build_solver(name, &params, 0).unwrap().0
}

/// `||z_k - z*|| / ||z_0 - z*||` after `k` steps (`z* = 0`).
fn decay(problem: &mut Problem, s: &mut dyn Solver, k: usize) -> f64 {
    s.init(problem).unwrap();
    let n0 = s.iterate().norm_l2();
    for _ in 0..k {
        s.step(problem);
    }
    s.iterate().norm_l2() / n0
}

#[test]
fn bilinear_step_thresholds_eg_below_one_eftp_ogda_below_inverse_sqrt3() {
    // A = U diag(s) V^T, sigma_max = 1 = L (docs/math.md §2.3, §2.4).
    let s = [1.0, 0.8, 0.6, 0.4, 0.2];
    for (name, ok, bad) in [("extragradient", 0.95, 1.05), ("eftp", 0.55, 0.6), ("ogda", 0.55, 0.6)] {
        let mut p = random_bilinear(&s, 42);
        let l = p.lipschitz().unwrap();
        assert!((l - 1.0).abs() < 1e-12);
        let conv = decay(&mut p, solver(name, json!({"step": ok / l})).as_mut(), 1000);
        let mut p = random_bilinear(&s, 42);
        let div = decay(&mut p, solver(name, json!({"step": bad / l})).as_mut(), 1000);
        assert!(conv < 1e-2, "{name} at {ok}/L: ratio {conv}");
        assert!(div > 1e6, "{name} at {bad}/L: ratio {div}");
    }
}

// --- exact rates on the rotation-block family (docs/math.md §3.3) ---------------------------

/// The exact per-step factor of each method at `w = eta * lambda` (docs/math.md §3.3), written
/// out independently of the solvers' own models.
fn factor(method: &str, w: c64) -> f64 {
    let one = c64::new(1.0, 0.0);
    match method {
        "gda" => (one - w).norm(),
        "extragradient" => (one - w + w * w).norm(),
        // Roots of t^2 - (1 - 2w) t - w: t = ((1 - 2w) +- sqrt(1 + 4 w^2)) / 2.
        _ => {
            let b = one - w * 2.0;
            let d = (one + w * w * 4.0).sqrt();
            ((b + d) * 0.5).norm().max(((b - d) * 0.5).norm())
        }
    }
}

#[test]
fn measured_linear_rates_match_the_exact_factors_and_the_solvers_own_models() {
    let blocks = [(1.0, 2.0), (0.5, 1.0), (2.0, 0.0)];
    let start = [1.0, -0.5, 0.3, 0.8, -1.0, 0.4];
    let eigs: Vec<c64> = blocks.iter().flat_map(|&(a, b)| [c64::new(a, b), c64::new(a, -b)]).collect();
    let none = faer::Mat::<f64>::zeros(0, 0);
    let lin = vi_core::Linearization { jacobian: none.as_ref(), eigenvalues: &eigs, first_block: 0 };
    for (name, eta) in [("gda", 0.1), ("extragradient", 0.2), ("eftp", 0.1), ("ogda", 0.1), ("prg", 0.1)] {
        let predicted = eigs.iter().map(|&l| factor(name, l * eta)).fold(0.0, f64::max);
        let mut s = solver(name, json!({ "step": eta }));
        // The solver's own description gives the same factor.
        let model = s.linear_model().unwrap();
        let own = model.rate(&lin, eta).unwrap();
        assert!((own - predicted).abs() < 1e-12, "{name}: model {own} vs closed form {predicted}");
        let mut p = rotation_blocks(&blocks, &start);
        s.init(&mut p).unwrap();
        for _ in 0..100 {
            s.step(&mut p);
        }
        let n1 = s.iterate().norm_l2();
        for _ in 0..200 {
            s.step(&mut p);
        }
        let measured = (s.iterate().norm_l2() / n1).powf(1.0 / 200.0);
        let rel = (measured - predicted).abs() / predicted;
        assert!(rel < 1e-3, "{name}: measured {measured}, predicted {predicted}");
        assert!(predicted < 1.0);
    }
}

#[test]
fn stable_step_ranges_from_the_models_match_the_known_bounds() {
    // Bilinear x*y (lambda = +- i): EG is stable iff eta < 1, EFTP / OGDA iff eta < 1/sqrt(3)
    // (docs/math.md §2.3, §2.4), GDA never; alternating GDA stays on the unit circle for eta < 2.
    let xy = faer::mat![[0.0, 1.0], [-1.0, 0.0]];
    let eigs = [c64::new(0.0, 1.0), c64::new(0.0, -1.0)];
    let lin = vi_core::Linearization { jacobian: xy.as_ref(), eigenvalues: &eigs, first_block: 1 };
    let stable = |name: &str| solver(name, json!({})).linear_model().unwrap().max_stable_step(&lin, 4.0).unwrap();
    assert_eq!(stable("gda"), 0.0);
    assert!((stable("extragradient") - 1.0).abs() < 1e-6);
    assert!((stable("eftp") - 1.0 / 3f64.sqrt()).abs() < 1e-6);
    assert!((stable("ogda") - 1.0 / 3f64.sqrt()).abs() < 1e-6);
    let alt = solver("alternating-gda", json!({})).linear_model().unwrap();
    assert!((alt.rate(&lin, 0.5).unwrap() - 1.0).abs() < 1e-12);
    // GRAAL on one real eigenvalue: roots of t^2 - (1 - h) t - h / phi.
    let one = [c64::new(1.0, 0.0)];
    let lin1 = vi_core::Linearization { jacobian: xy.as_ref(), eigenvalues: &one, first_block: 1 };
    let g = solver("graal", json!({"phi": 1.5})).linear_model().unwrap();
    let (h, phi) = (0.25f64, 1.5f64);
    let want = ((1.0 - h) + ((1.0 - h).powi(2) + 4.0 * h / phi).sqrt()) / 2.0;
    assert!((g.rate(&lin1, h).unwrap() - want).abs() < 1e-12);
    // Methods without a fixed linear rate say why.
    for name in ["eag", "tikhonov", "semismooth-newton"] {
        assert!(!solver(name, json!({})).linear_model().unwrap_err().is_empty(), "{name}");
    }
    assert!(solver("extragradient", json!({"precond": "adam"})).linear_model().unwrap_err().contains("preconditioned"));
}

// --- matrix games on simplices (docs/math.md §3.2) --------------------------------------------

#[test]
fn eg_eftp_ogda_solve_rps_and_matching_pennies_while_gda_does_not() {
    let games = [
        ("rps", rps_matrix(), vec![0.6, 0.3, 0.1], vec![0.2, 0.5, 0.3]),
        ("matching pennies", matching_pennies_matrix(), vec![0.8, 0.2], vec![0.3, 0.7]),
    ];
    for (game, a, x0, y0) in &games {
        let norm = a.singular_values().unwrap()[0];
        for (name, params) in
            [("extragradient", json!({ "step": 0.3 / norm })), ("eftp", json!({})), ("ogda", json!({}))]
        {
            let mut p = matrix_game(a, x0, y0);
            let r = run(&mut p, solver(name, params).as_mut(), 1e-13, 200_000);
            let gap = duality_gap(a, &r.z);
            assert_eq!(r.status, Status::Converged, "{name} on {game}");
            assert!(gap < 1e-8 && gap > -1e-12, "{name} on {game}: gap {gap}");
        }
        // Projected GDA: the iterate circles near the boundary; gap ~ 1 after 3000 steps.
        let mut p = matrix_game(a, x0, y0);
        let mut g = Gda::with_step(0.3 / norm).unwrap();
        g.init(&mut p).unwrap();
        for _ in 0..3000 {
            g.step(&mut p);
        }
        let gap = duality_gap(a, &vi_core::linalg::to_vec(g.iterate()));
        assert!(gap > 0.5, "gda on {game}: gap {gap}");
    }
}

// --- EAG: ||F(z_k)||^2 = O(1/k^2) (docs/math.md §2.5) ------------------------------------------

#[test]
fn eag_squared_residual_decays_like_k_to_the_minus_two() {
    for variant in [EagVariant::Constant, EagVariant::Varying] {
        let mut p = random_bilinear(&[1.0, 0.8, 0.6, 0.5], 4);
        let mut s = Eag::new(checked(EagParams { variant, ..Default::default() }));
        s.init(&mut p).unwrap();
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        let mut k = 0u64;
        for target in [2000u64, 4000, 8000, 16000, 32000, 64000] {
            while k < target {
                s.step(&mut p);
                k += 1;
            }
            let r = p.natural_residual(s.iterate());
            xs.push((k as f64).ln());
            ys.push((r * r).ln());
        }
        let n = xs.len() as f64;
        let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
        let slope = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum::<f64>()
            / xs.iter().map(|x| (x - mx).powi(2)).sum::<f64>();
        // Measured: -2.00 for both variants (k^2 ||F||^2 -> 417 and 34 here).
        assert!((-2.05..=-1.95).contains(&slope), "{variant:?}: slope {slope}");
    }
}

// --- preconditioned variants ---------------------------------------------------------------------

fn precond_problem() -> Problem {
    strongly_monotone(8, 0.3, 0.5, 10)
        .with_blocks(vec![vi_core::Block::new("x", 0..4), vi_core::Block::new("y", 4..8)])
        .unwrap()
}

#[test]
fn preconditioned_eg_eftp_ogda_converge_on_a_strongly_monotone_problem() {
    // mu = 0.3, L <= 1.5. With AMSGrad every variant converges; block-RMSProp also without it.
    for kind in ["rmsprop", "adam", "block-rmsprop"] {
        for name in ["extragradient", "eftp", "ogda"] {
            for amsgrad in [true, false] {
                if !amsgrad && kind != "block-rmsprop" {
                    continue;
                }
                let params = json!({"precond": kind, "step": 0.1, "amsgrad": amsgrad});
                let r = run(&mut precond_problem(), solver(name, params).as_mut(), 1e-9, 20_000);
                assert_eq!(r.status, Status::Converged, "{name} {kind} amsgrad={amsgrad}: {:?}", r.message);
                assert!(r.distance_to_solution.unwrap() < 1e-8, "{name} {kind} amsgrad={amsgrad}");
            }
        }
    }
}

#[test]
fn extra_adam_step_matches_hand_computation() {
    // F(z) = 2 z in 1-D, z0 = 1, eta = 0.1, beta1 = 0.5, beta2 = 0.9:
    // g1 = 2, d1 = 2 / (2 + eps) ~ 1, z~ = 0.9; g2 = 1.8;
    // m = 0.5*0.5*2 + 0.5*1.8 = 1.4, m^ = 1.4/0.75; v = 0.9*0.1*4 + 0.1*1.8^2 = 0.684, v^ = 3.6;
    // z1 = 1 - 0.1 m^ / sqrt(v^) = 0.901618...; with beta1 = 0 (RMSProp): 1 - 0.1*1.8/sqrt(3.6).
    for (beta1, expect) in [(0.5, 0.901_618_028_350_317_1), (0.0, 0.905_131_670_194_948_6)] {
        let mut p = crate::test_support::affine(faer::mat![[2.0]], Col::zeros(1), &[1.0]);
        let mut s = Extragradient::new(params(
            serde_json::json!({"step": 0.1, "precond": "adam", "beta1": beta1, "beta2": 0.9}),
        ));
        s.init(&mut p).unwrap();
        s.step(&mut p);
        assert!((s.averaging_point()[0] - 0.9).abs() < 1e-8);
        assert!((s.iterate()[0] - expect).abs() < 1e-8, "beta1 = {beta1}: {}", s.iterate()[0]);
    }
    // Optimistic Adam's first step is sign-like: z1 = z0 - 0.1 * (2 - 1) d0 ~ 1 - 0.1.
    let mut p = crate::test_support::affine(faer::mat![[2.0]], Col::zeros(1), &[1.0]);
    let mut s = Ogda::new(params(serde_json::json!({"step": 0.1, "precond": "adam"})));
    s.init(&mut p).unwrap();
    s.step(&mut p);
    assert!((s.iterate()[0] - 0.9).abs() < 1e-8);
    // EFTP with Adam reuses the past direction: first extrapolation and update both use d(F(z0)).
    let mut p = crate::test_support::affine(faer::mat![[2.0]], Col::zeros(1), &[1.0]);
    let mut s = Eftp::new(params(serde_json::json!({"step": 0.1, "precond": "adam", "beta2": 0.9})));
    s.init(&mut p).unwrap();
    s.step(&mut p);
    assert!((s.averaging_point()[0] - 0.9).abs() < 1e-8);
    // Update uses the Adam direction of g = F(0.9) = 1.8 at t = 2: same numbers as above.
    assert!((s.iterate()[0] - 0.901_618_028_350_317_1).abs() < 1e-8, "{}", s.iterate()[0]);
}

// --- robustness ------------------------------------------------------------------------------

#[test]
fn every_solver_ends_a_run_on_a_nan_oracle_with_a_status_not_a_panic() {
    let names: Vec<&str> = vi_core::registry().unwrap().solvers().map(|e| e.name).collect();
    for name in names {
        for params in [json!({}), json!({"step": "adaptive"})] {
            let Ok((mut s, _)) = vi_core::build_solver(name, &params, 0) else { continue };
            // The finite-sum methods refuse this operator (tests/non_finite.rs checks them on a
            // finite sum that turns NaN).
            if ["stochastic-eg", "stochastic-eftp", "svrg-eg", "svrg-forb"].contains(&name) {
                continue;
            }
            // The rotation (y, -x) for 6 evaluations, NaN afterwards.
            let mut calls = 0u32;
            let op = vi_core::FnOperator::new(2, move |z, mut out| {
                calls += 1;
                let bad = if calls > 6 { f64::NAN } else { 0.0 };
                out[0] = z[1] + bad;
                out[1] = -z[0] + bad;
            })
            .with_lipschitz(1.0)
            .with_strong_monotonicity(0.0);
            let mut p =
                Problem::unconstrained("nan-after-6", Box::new(op), vi_core::linalg::col_from_slice(&[1.0, 1.0]))
                    .unwrap()
                    .with_blocks(vec![vi_core::Block::new("x", 0..1), vi_core::Block::new("y", 1..2)])
                    .unwrap();
            let r = run(&mut p, s.as_mut(), 1e-12, 1000);
            // A Newton method solves this linear problem exactly before the NaNs start.
            let solved_first = r.status == Status::Converged && r.oracle_calls <= 6;
            assert!(
                solved_first || matches!(r.status, Status::NumericalError | Status::Diverged),
                "{name} {params}: {:?} {:?}",
                r.status,
                r.message
            );
            assert!(r.z.iter().all(|v| v.is_finite()), "{name} {params}");
        }
    }
}

#[test]
fn every_parameter_of_every_solver_is_documented_and_every_solver_has_step() {
    for e in vi_core::registry().unwrap().solvers() {
        let table = (e.params)();
        assert!(table.iter().any(|p| p.name == "step"), "{} has no `step`", e.name);
        for p in table {
            assert!(!p.doc.is_empty(), "{}: parameter `{}` has no doc", e.name, p.name);
        }
    }
}

#[test]
fn strongly_monotone_contraction_bounds_hold() {
    // docs/math.md §1.5 / §2.1 / §2.3: ||z_k - z*||^2 contracts per step by at most 1 - mu/(4L) for
    // EG, EFTP and OGDA at eta = 1/(4L), and by 1 - mu^2/L^2 for GDA at eta = mu/L^2. Measured
    // over steps 20..120 (after the transient constant, before round-off at 1e-15).
    let mut p = strongly_monotone(10, 0.2, 1.0, 11);
    let (mu, l) = (p.strong_monotonicity().unwrap(), p.lipschitz().unwrap());
    let sol = p.solution().unwrap().to_owned();
    for (name, eta, bound) in [
        ("extragradient", 0.25 / l, 1.0 - mu / (4.0 * l)),
        ("eftp", 0.25 / l, 1.0 - mu / (4.0 * l)),
        ("ogda", 0.25 / l, 1.0 - mu / (4.0 * l)),
        ("gda", mu / (l * l), 1.0 - mu * mu / (l * l)),
    ] {
        let mut s = solver(name, json!({ "step": eta }));
        s.init(&mut p).unwrap();
        let dist = |s: &dyn Solver| vi_core::linalg::dist(s.iterate(), sol.as_ref());
        for _ in 0..20 {
            s.step(&mut p);
        }
        let d0 = dist(s.as_ref());
        for _ in 0..100 {
            s.step(&mut p);
        }
        let d1 = dist(s.as_ref());
        assert!(d1 > 1e-12, "{name}: window reached round-off");
        let rate_sq = (d1 / d0).powf(2.0 / 100.0);
        assert!(rate_sq <= bound, "{name}: measured {rate_sq}, bound {bound}");
    }
}

// --- stopping at the point the solver evaluated ----------------------------------------------

#[test]
fn runs_stop_at_the_evaluated_point_with_its_honest_residual_whatever_the_trace() {
    // EG and EFTP judge the tolerance at their extrapolated point (F known there, no monitoring
    // call); OGDA at its iterate. The reported point is the one that met the tolerance, its
    // residual is recomputed from scratch, and tracing does not change where the run stops.
    for name in ["extragradient", "eftp", "ogda"] {
        let mut reports = Vec::new();
        for trace_every in [0, 1, 7] {
            let mut p = random_bilinear(&[1.0, 0.5, 0.25], 3);
            let mut s = solver(name, json!({}));
            let cfg = vi_core::RunConfig { tol: 1e-8, trace_every, ..Default::default() };
            let r = vi_core::Runner::new(cfg).unwrap().run(&mut p, s.as_mut()).unwrap();
            assert_eq!(r.status, Status::Converged, "{name}");
            let z = vi_core::linalg::col_from_slice(&r.z);
            let honest = p.natural_residual(z.as_ref());
            assert_eq!(r.residual, honest, "{name}: the reported residual is the reported point's");
            assert!(r.residual <= 1e-8, "{name}");
            if trace_every > 0 {
                let last = r.trace.last().unwrap();
                assert_eq!(
                    (last.iteration, last.residual),
                    (r.iterations, r.residual),
                    "{name}: the trace ends at the reported point"
                );
            }
            reports.push((r.iterations, r.oracle_calls, r.z.clone()));
        }
        assert!(reports.windows(2).all(|w| w[0] == w[1]), "{name}: {reports:?}");
        // No monitoring evaluation was needed to decide (only the final measurements).
        let mut p = random_bilinear(&[1.0, 0.5, 0.25], 3);
        let mut s = solver(name, json!({}));
        let r = vi_core::Runner::new(vi_core::RunConfig { tol: 1e-8, ..Default::default() })
            .unwrap()
            .run(&mut p, s.as_mut())
            .unwrap();
        assert!(r.monitor_calls <= 3, "{name}: {} monitoring calls", r.monitor_calls);
    }
}

#[test]
fn every_registered_solver_is_send_and_a_clone_continues_identically() {
    // Send is required by the trait object; the clone must carry the solver's whole state
    // (iterates, step, sampler). `q` is brought to `p`'s state (tikhonov installs a shift on
    // the problem) by a twin solver, then the clone of the first continues on it.
    fn is_send<T: Send>(_: &T) {}
    let names: Vec<&str> = vi_core::registry().unwrap().solvers().map(|e| e.name).collect();
    assert!(names.len() >= 15, "{names:?}");
    for name in names {
        let problem = || crate::test_support::finite_sum_2d(4, &[1.0, -2.0]);
        let (mut p, mut q) = (problem(), problem());
        let (mut s, mut twin) = (solver(name, json!({})), solver(name, json!({})));
        is_send(&s);
        s.init(&mut p).unwrap();
        twin.init(&mut q).unwrap();
        for _ in 0..3 {
            s.step(&mut p);
            twin.step(&mut q);
        }
        let mut c = s.clone();
        assert_eq!(c.name(), s.name());
        for _ in 0..5 {
            s.step(&mut p);
            c.step(&mut q);
        }
        assert_eq!(s.iterate().to_owned(), c.iterate().to_owned(), "{name}");
    }
}
