//! Tests of `covariance`.

use super::super::regularized::testing::{check_model, check_regularizers};
use super::*;
use serde_json::json;

fn sigma() -> Mat<f64> {
    faer::mat![[2.0, 0.5], [0.5, 1.0]]
}

#[test]
fn model_derivatives_match_finite_differences() {
    let mut m = Covariance::new(sigma()).unwrap();
    let z = vi_core::linalg::col_from_slice(&[0.9, -0.3, 0.2, 1.1, 0.3, -0.4, 0.7]);
    check_model(&mut m, &z, 1e-6);
    check_regularizers(&m, &z, 1e-5);
    let s3 = faer::mat![[1.5, 0.2, 0.0], [0.2, 1.0, 0.3], [0.0, 0.3, 0.8]];
    let mut m = Covariance::new(s3.clone()).unwrap();
    let z = Col::from_fn(15, |i| ((i as f64 * 0.7548).fract() - 0.4) * 1.3);
    check_model(&mut m, &z, 1e-6);
    // The logistic losses on fixed samples.
    for loss in [Loss::Standard, Loss::NonSaturating] {
        let mut m = Covariance::with_loss(sigma(), loss, 64, 3).unwrap();
        let z = vi_core::linalg::col_from_slice(&[0.9, -0.3, 0.2, 1.1, 0.3, -0.4, 0.7]);
        check_model(&mut m, &z, 1e-6);
        check_regularizers(&m, &z, 1e-5);
        let mut m = Covariance::with_loss(s3.clone(), loss, 32, 4).unwrap();
        let z = Col::from_fn(15, |i| ((i as f64 * 0.7548).fract() - 0.4) * 0.8);
        check_model(&mut m, &z, 1e-6);
    }
}

#[test]
fn whitened_samples_keep_the_equilibrium_set() {
    for loss in ["standard", "non-saturating"] {
        let mut p = vi_core::build_problem("gan-covariance", &json!({"loss": loss, "samples": 50}), 7).unwrap();
        let sol = p.solution().unwrap().to_owned();
        assert!(p.natural_residual(sol.as_ref()) < 1e-14, "{loss}");
        // At the equilibrium the generator rows and the coupling are f'(0) = 1/2 times the
        // WGAN ones; the discriminator block gains the curvature of the concave loss,
        // -f''(0) E[(x' dW x) x x'] (symmetric positive semidefinite): logistic losses damp W.
        let j = p.operator_mut().jacobian(sol.as_ref()).unwrap();
        let mut w = vi_core::build_problem("gan-covariance", &json!({}), 7).unwrap();
        let jw = w.operator_mut().jacobian(sol.as_ref()).unwrap();
        for r in 0..7 {
            for c in 0..7 {
                if r >= 4 && c >= 4 {
                    continue;
                }
                assert!((j[(r, c)] - 0.5 * jw[(r, c)]).abs() < 1e-12, "{loss}: J[{r},{c}]");
            }
        }
        let c = Mat::from_fn(3, 3, |r, k| j[(4 + r, 4 + k)]);
        assert!((0..3).all(|r| (0..3).all(|k| (c[(r, k)] - c[(k, r)]).abs() < 1e-12)));
        let ev = c.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        assert!(ev[0] > 0.0, "{loss}: discriminator curvature {ev:?}");
    }
}

#[test]
fn equilibria_form_the_orthogonal_orbit() {
    let mut p = vi_core::build_problem("gan-covariance", &json!({"reg": "asymmetric"}), 0).unwrap();
    let sol = p.solution().unwrap().to_owned();
    assert!(p.natural_residual(sol.as_ref()) < 1e-14);
    assert!(p.metrics(sol.as_ref())["distance_to_equilibrium"] < 1e-14);
    // Rotate U by 30 degrees: still an equilibrium, at distance 0 from the set.
    let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
    let mut rot = sol.clone();
    for i in 0..2 {
        rot[2 * i] = sol[2 * i] * c + sol[2 * i + 1] * s;
        rot[2 * i + 1] = -sol[2 * i] * s + sol[2 * i + 1] * c;
    }
    assert!(p.natural_residual(rot.as_ref()) < 1e-14);
    assert!(p.metrics(rot.as_ref())["distance_to_equilibrium"] < 1e-14);
    // Off the set: W alone contributes ||W||_F, and a scaled U its Procrustes distance.
    let mut off = rot.clone();
    off[4] = 0.3;
    assert!((p.metrics(off.as_ref())["distance_to_equilibrium"] - 0.3).abs() < 1e-14);
    let scaled = Col::from_fn(7, |i| if i < 4 { 1.1 * sol[i] } else { 0.0 });
    let want = 0.1 * (2.0f64 + 1.0).sqrt(); // ||0.1 Sigma^{1/2}||_F = 0.1 sqrt(tr Sigma)
    assert!((p.metrics(scaled.as_ref())["distance_to_equilibrium"] - want).abs() < 1e-12);
    assert!(p.distance_to_solution(rot.as_ref()).unwrap() > 0.1);
    // The Gramian with real samples is dW -> 2 (Sigma dW + dW Sigma): in svec coordinates its
    // eigenvalues are 2 (s_i + s_j) over eigenvalue pairs of Sigma.
    let mut model = Covariance::with_loss(sigma(), Loss::Wgan, 0, 0).unwrap();
    let g = GanModel::gauss_newton_gramian(&mut model, sol.as_ref(), GpOn::Real);
    let ev = g.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
    // The same extremes reach `diagnose` through the problem's local bounds.
    let b = p.operator_mut().local_bounds(sol.as_ref()).unwrap();
    assert!((b.terms["gauss_newton_min"] - ev[0]).abs() < 1e-12 && (b.terms["gauss_newton_max"] - ev[2]).abs() < 1e-12);
    let se = sigma().self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
    let want = [4.0 * se[0], 2.0 * (se[0] + se[1]), 4.0 * se[1]];
    for (a, b) in ev.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{ev:?} vs {want:?}");
    }
}

#[test]
fn bad_samples_and_penalties_without_closed_form_are_rejected() {
    let e = vi_core::build_problem("gan-covariance", &json!({"loss": "standard", "samples": 3}), 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`samples`") && e.contains(">= 2 d = 4"), "{e}");
    let e = vi_core::build_problem("gan-covariance", &json!({"reg": "wgan-gp"}), 0).unwrap_err().to_string();
    assert!(e.contains("`wgan-gp` has no closed form"), "{e}");
    let e = vi_core::build_problem("gan-covariance", &json!({"cov": [[1, 2], [2, 1]]}), 0).unwrap_err().to_string();
    assert!(e.contains("`cov`") && e.contains("positive definite"), "{e}");
}

#[test]
fn zero_centered_regularizers_preserve_the_equilibrium() {
    for reg in ["asymmetric", "r1", "r2", "nk", "jare", "consensus", "proximal"] {
        let mut p = vi_core::build_problem("gan-covariance", &json!({"reg": reg, "gp_on": "both"}), 0).unwrap();
        let sol = p.solution().unwrap().to_owned();
        let mut f = Col::zeros(sol.nrows());
        p.eval(sol.as_ref(), f.as_mut());
        assert!(f.norm_l2() < 1e-14, "{reg}: {f:?}");
    }
}
