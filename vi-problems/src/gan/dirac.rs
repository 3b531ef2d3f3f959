//! # `gan-dirac`: the Dirac-GAN (Mescheder, Geiger, Nowozin, ICML 2018; docs/math.md §3.4)
//!
//! Data `p_D = delta_0`, generator `p_theta = delta_theta`, discriminator `D_psi(x) = psi x`,
//! `z = (theta, psi)`. In Mescheder's sign convention (the one of his code and of docs/math.md §3.4
//! and §1.6), with `t = psi theta`:
//!
//! ```text
//! V = f(t) + f(0),              F = (psi f'(t), -theta f'(t))
//! non-saturating: J_G = -f(-t), F_theta = psi f'(-t)
//! J_F(0) = [[0, f'(0)], [-f'(0), 0]]  (eigenvalues +- i f'(0): purely rotational)
//! ```
//!
//! Unique equilibrium `(0, 0)`; `distance_to_equilibrium = ||z||`. (docs/math.md §1.3 puts `f(-D)` on
//! generated samples; that reading is the mirror image `psi -> -psi` of this one: same
//! eigenvalues, same `||z_k||`.)
//!
//! Regularizers (module [`super::regularized`]): the zero-centered penalty is
//! `R = 1/2 (d/dx D)^2 = psi^2 / 2` on real and on fake samples alike (so R1 = R2 = a
//! Tikhonov term on `psi` centred at `psi* = 0`; the Gauss-Newton Gramian is `[1]`), and the
//! one-centered WGAN-GP penalty is `1/2 (|psi| - 1)^2`, whose gradient `psi - sign(psi)` jumps at
//! `psi = 0` and moves the rest point to `theta = -+ 2 gamma` as `psi -> 0+-`.
//!
//! Reference numbers (docs/math.md §1.6; step 0.2, 500 iterations from `(1, 1)`): `||z_500||` = 3.10
//! (GDA), 1.42 (alternating GDA), 0.122 (EG), 0.116 (EFTP), 3.3e-8 (EFTP + R1 0.3), 2.7e-10
//! (EFTP + R1 0.3 + `eps_g` 0.1), 3.7e-10 (EFTP + the `asymmetric` preset: penalty 0.3 and
//! `eps_d` 0.1, i.e. an effective discriminator damping of 0.4).
//!
//! ## Parameters
//!
//! | name | default | purpose |
//! |---|---|---|
//! | `loss` | `"standard"` | `standard`, `non-saturating`, `wgan` |
//! | `reg` | `"none"` | regularizers, `+`-separated (see [`super::regularized`]) |
//! | `gamma` | 0.3 | regularizer weight |
//! | `eps_g`, `eps_d` | 0, null | Tikhonov weights (`eps_d` null: 0.1 under `asymmetric`, else 0) |
//! | `gp_on` | `"real"` | samples of the `asymmetric` penalty |
//! | `anchor_g`, `anchor_d` | `[]` | Tikhonov anchors (empty: 0) |
//! | `prox_lambda`, `prox_steps`, `prox_lr` | 1, 5, 0.5 | proximal training (`prox_steps` in 1..=10000) |
//!
//! Start `(1, 1)` (the notebook's default).

use faer::prelude::ReborrowMut;
use faer::{Col, ColMut, ColRef, Mat};
use vi_core::{BuildContext, Checked, Problem, Result};

use super::common::{GpOn, Loss, RegParams};
use super::regularized::{build_problem, GanModel, RegConfig};

vi_core::params! {
    /// Parameters of `gan-dirac` (see the module documentation for the table).
    pub struct DiracParams {
        /// "standard" (f(t) = -log(1+e^-t)), "non-saturating" or "wgan" (f(t) = t)
        pub loss: Loss = Loss::Standard;
        /// weight of the penalty / NK / JARE / consensus / WGAN-GP term, in [0, 1e100]
        pub gamma: f64 = 0.3;
        ..regularization: RegParams;
    }
    validate(p, owner) {
        p.reg_config(owner).map(|_| ())
    }
}

impl DiracParams {
    /// The resolved regularization.
    ///
    /// # Errors
    /// As [`RegConfig::resolve`].
    pub fn reg_config(&self, owner: &str) -> Result<RegConfig> {
        RegConfig::resolve(owner, &self.regularization, self.gamma)
    }
}

/// The Dirac-GAN game (see the module documentation).
#[derive(Clone, Debug)]
pub struct DiracGan {
    loss: Loss,
}

impl DiracGan {
    /// The game with loss `loss`.
    pub fn new(loss: Loss) -> Self {
        Self { loss }
    }
}

/// `out = c1 [[psi^2, psi theta], [psi theta, theta^2]] u + c2 [[0, 1], [1, 0]] u`.
fn hess2(theta: f64, psi: f64, c1: f64, c2: f64, u: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
    let (a, b) = (u[0], u[1]);
    let s = psi * a + theta * b;
    out[0] = c1 * psi * s + c2 * b;
    out[1] = c1 * theta * s + c2 * a;
}

impl GanModel for DiracGan {
    fn generator_dim(&self) -> usize {
        1
    }
    fn discriminator_dim(&self) -> usize {
        1
    }
    fn value(&mut self, z: ColRef<'_, f64>) -> f64 {
        self.loss.f(z[1] * z[0]) + self.loss.f(0.0)
    }
    fn generator_objective(&mut self, z: ColRef<'_, f64>) -> f64 {
        match self.loss {
            Loss::NonSaturating => -self.loss.f(-z[1] * z[0]),
            _ => self.value(z),
        }
    }
    #[inline(always)]
    fn field(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let (theta, psi) = match vi_core::linalg::slice(z) {
            Some(&[theta, psi]) => (theta, psi),
            _ => (z[0], z[1]),
        };
        let t = psi * theta;
        // One `exp` per call unless the generator's term differs (non-saturating).
        let df = self.loss.df(t);
        let f = [
            match self.loss {
                Loss::NonSaturating => psi * self.loss.df(-t),
                _ => psi * df,
            },
            -theta * df,
        ];
        match vi_core::linalg::slice_mut(out.rb_mut()) {
            Some(o) => o.copy_from_slice(&f),
            None => {
                out[0] = f[0];
                out[1] = f[1];
            }
        }
    }
    fn hvp_value(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        let t = z[1] * z[0];
        hess2(z[0], z[1], self.loss.d2f(t), self.loss.df(t), u, out);
    }
    fn hvp_generator(&mut self, z: ColRef<'_, f64>, u: ColRef<'_, f64>, out: ColMut<'_, f64>) {
        match self.loss {
            Loss::NonSaturating => {
                let t = z[1] * z[0];
                hess2(z[0], z[1], -self.loss.d2f(-t), self.loss.df(-t), u, out);
            }
            _ => self.hvp_value(z, u, out),
        }
    }
    fn penalty(&mut self, z: ColRef<'_, f64>, _side: GpOn) -> f64 {
        0.5 * z[1] * z[1]
    }
    fn penalty_grad(&mut self, z: ColRef<'_, f64>, _side: GpOn, mut out: ColMut<'_, f64>) {
        out[0] = z[1];
    }
    fn penalty_jvp(&mut self, _z: ColRef<'_, f64>, _side: GpOn, u: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        out[0] = u[1];
    }
    fn has_one_centered(&self) -> bool {
        true
    }
    fn one_centered(&mut self, z: ColRef<'_, f64>) -> f64 {
        let d = z[1].abs() - 1.0;
        0.5 * d * d
    }
    fn one_centered_grad(&mut self, z: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        let psi = z[1];
        let sign = if psi > 0.0 {
            1.0
        } else if psi < 0.0 {
            -1.0
        } else {
            0.0
        };
        out[0] = psi - sign;
    }
    fn one_centered_jvp(&mut self, _z: ColRef<'_, f64>, u: ColRef<'_, f64>, mut out: ColMut<'_, f64>) {
        out[0] = u[1];
    }
    fn gauss_newton_gramian(&mut self, _z: ColRef<'_, f64>, _side: GpOn) -> Mat<f64> {
        Mat::from_fn(1, 1, |_, _| 1.0)
    }
    fn distance_to_equilibrium(&self, z: ColRef<'_, f64>) -> f64 {
        z.norm_l2()
    }
}

fn build(p: Checked<DiracParams>, _ctx: &BuildContext) -> Result<Problem> {
    let p = p.into_inner();
    let cfg = p.reg_config("problem gan-dirac")?;
    build_problem(
        "gan-dirac",
        DiracGan::new(p.loss),
        cfg,
        vi_core::linalg::col_from_slice(&[1.0, 1.0]),
        Some(Col::zeros(2)),
    )
}

vi_core::register_problem!(
    "gan-dirac",
    "Dirac-GAN (Mescheder 2018): 2 parameters, equilibrium (0,0), every GAN loss and regularizer",
    DiracParams,
    build
);

#[cfg(test)]
mod tests {
    use super::super::regularized::testing::{check_model, check_regularizers};
    use super::*;
    use serde_json::json;

    fn z(t: f64, p: f64) -> Col<f64> {
        vi_core::linalg::col_from_slice(&[t, p])
    }

    fn problem(params: serde_json::Value) -> Problem {
        vi_core::build_problem("gan-dirac", &params, 0).unwrap()
    }

    fn field(params: serde_json::Value, at: &Col<f64>) -> Col<f64> {
        let mut p = problem(params);
        let mut out = Col::zeros(2);
        p.eval(at.as_ref(), out.as_mut());
        out
    }

    #[test]
    fn model_derivatives_match_finite_differences() {
        for loss in [Loss::Standard, Loss::NonSaturating, Loss::Wgan] {
            for at in [z(0.7, -1.3), z(-0.4, 0.9), z(1.0, 1.0)] {
                check_model(&mut DiracGan::new(loss), &at, 1e-7);
                check_regularizers(&DiracGan::new(loss), &at, 1e-6);
            }
        }
    }

    #[test]
    fn field_matches_mescheder() {
        // F = -v with v = (-psi f'(psi theta), theta f'(psi theta)) (docs/math.md §3.4).
        let f = field(json!({}), &z(1.0, 1.0));
        let s = super::super::common::sigmoid(-1.0);
        assert!((f[0] - s).abs() < 1e-15 && (f[1] + s).abs() < 1e-15, "{f:?}");
        let f = field(json!({"loss": "wgan"}), &z(0.5, 2.0));
        assert_eq!((f[0], f[1]), (2.0, -0.5));
        // Non-saturating: F_theta = psi f'(-psi theta).
        let f = field(json!({"loss": "non-saturating"}), &z(1.0, 1.0));
        assert!((f[0] - super::super::common::sigmoid(1.0)).abs() < 1e-15);
    }

    #[test]
    fn jacobian_at_equilibrium_matches_math() {
        // docs/math.md §1.6: J(0) = [[eps_g, 1/2], [-1/2, gamma]].
        let mut p = problem(json!({"reg": "r1", "gamma": 0.3, "eps_g": 0.1}));
        let j = p.operator_mut().jacobian(Col::zeros(2).as_ref()).unwrap();
        for (got, want) in [(j[(0, 0)], 0.1), (j[(0, 1)], 0.5), (j[(1, 0)], -0.5), (j[(1, 1)], 0.3)] {
            assert!((got - want).abs() < 1e-15, "{j:?}");
        }
        // The asymmetric preset: gamma + eps_d on the discriminator, nothing on the generator.
        let mut p = problem(json!({"reg": "asymmetric"}));
        let j = p.operator_mut().jacobian(Col::zeros(2).as_ref()).unwrap();
        assert!((j[(1, 1)] - 0.4).abs() < 1e-15 && j[(0, 0)] == 0.0, "{j:?}");
        assert_eq!(p.params()["eps_d"], serde_json::Value::Null);
        let b = p.operator_mut().local_bounds(Col::zeros(2).as_ref()).unwrap();
        assert_eq!((b.terms["gauss_newton_min"], b.terms["gauss_newton_max"]), (1.0, 1.0));
        // mu >= min(eps_g, -f''(0)... ) at the equilibrium: the Jacobian's mu is 0 (generator).
        assert_eq!(b.mu_bound, 0.0);
    }

    #[test]
    fn zero_centered_regularizers_preserve_the_equilibrium() {
        let origin = Col::zeros(2);
        for reg in ["none", "asymmetric", "r1", "r2", "nk", "jare", "consensus", "proximal", "r1+consensus"] {
            for loss in ["standard", "non-saturating", "wgan"] {
                let f = field(json!({"reg": reg, "loss": loss, "eps_g": 0.1, "eps_d": 0.2}), &origin);
                assert!(f.norm_l2() == 0.0, "{reg}/{loss}: F_reg(0) = {f:?}");
            }
        }
    }

    #[test]
    fn one_centered_penalty_moves_the_equilibrium() {
        // WGAN-GP: F_psi = -theta f'(psi theta) + gamma (psi - sign psi). Near the Nash point
        // the field does not vanish: |F(0, 0+)| -> gamma.
        let gamma = 0.7;
        let params = json!({"reg": "wgan-gp", "gamma": gamma});
        for eps in [1e-3, 1e-6, 1e-9] {
            let f = field(params.clone(), &z(0.0, eps));
            assert!((f.norm_l2() - gamma).abs() < 2.0 * eps, "eps {eps}: {f:?}");
            // The rest point moved to theta = -2 gamma / (2 f'(0)) ... = -2 gamma for f'(0)=1/2.
            let f = field(params.clone(), &z(-2.0 * gamma, eps));
            assert!(f.norm_l2() < 3.0 * eps, "moved rest point: {f:?}");
        }
    }

    #[test]
    fn proximal_field_matches_the_exact_inner_maximiser_with_many_steps() {
        // With many inner steps the proximal field is F(theta, psi~) with psi~ the maximiser of
        // V(theta, .) - lambda/2 (. - psi)^2; check the optimality condition.
        let mut p = problem(json!({"reg": "proximal", "prox_steps": 200, "prox_lambda": 1.0}));
        let at = z(0.8, -0.3);
        let mut out = Col::zeros(2);
        p.eval(at.as_ref(), out.as_mut());
        // F_psi = -grad_psi V(theta, psi~) = -lambda (psi~ - psi)  =>  psi~ = psi - F_psi / lambda.
        let psi_t = at[1] - out[1];
        let mut g = DiracGan::new(Loss::Standard);
        let mut f = Col::zeros(2);
        g.field(z(at[0], psi_t).as_ref(), f.as_mut());
        assert!((f[0] - out[0]).abs() < 1e-12 && (f[1] - out[1]).abs() < 1e-12, "{f:?} vs {out:?}");
        assert_eq!(p.counters().oracle_calls, 1, "one counted call per proximal evaluation");
    }

    #[test]
    fn bad_parameters_name_the_culprit() {
        let e = vi_core::build_problem("gan-dirac", &json!({"reg": "r3"}), 0).unwrap_err().to_string();
        assert!(e.contains("`reg`") && e.contains("asymmetric"), "{e}");
        let e = vi_core::build_problem("gan-dirac", &json!({"loss": "hinge"}), 0).unwrap_err().to_string();
        assert!(e.contains("`loss`") && e.contains("wgan"), "{e}");
        let e = vi_core::build_problem("gan-dirac", &json!({"gamma": -1}), 0).unwrap_err().to_string();
        assert!(e.contains("`gamma`"), "{e}");
        let e = vi_core::build_problem("gan-dirac", &json!({"anchor_g": [1, 2]}), 0).unwrap_err().to_string();
        assert!(e.contains("`anchor_g`") && e.contains("1 entries"), "{e}");
        let e = vi_core::build_problem("gan-dirac", &json!({"reg": "proximal+nk"}), 0).unwrap_err().to_string();
        assert!(e.contains("`proximal` cannot be combined"), "{e}");
    }

    #[test]
    fn evaluation_is_deterministic_for_every_regularizer() {
        // Scratch buffers are reused: two evaluations at one point give identical fields.
        for reg in ["none", "asymmetric", "nk", "jare", "consensus", "proximal", "wgan-gp"] {
            let mut p = problem(json!({"reg": reg}));
            let mut out = Col::zeros(2);
            let at = z(0.3, 0.2);
            p.eval(at.as_ref(), out.as_mut());
            let first = out.clone();
            p.eval(at.as_ref(), out.as_mut());
            assert_eq!(first, out, "{reg}: evaluation is deterministic");
        }
    }
}
