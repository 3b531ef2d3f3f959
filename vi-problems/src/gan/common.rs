//! Vocabulary shared by every GAN problem (`gan-dirac`, `gan-gaussian-mean`, `gan-covariance`,
//! `gan-mixture`): the loss, the regularizer choice and where the gradient penalty samples.
//!
//! The game (docs/math.md §1.3): `V(theta, psi) = E_data f(D(x)) + E_gen f(-D(G(z)))`, generator
//! `theta` minimises, discriminator `psi` maximises; `F = (grad_theta V, -grad_psi V)`.
//! With the asymmetric regularization of docs/math.md §0:
//!
//! ```text
//! F_reg = ( grad_theta V + eps_g (theta - anchor_theta),
//!          -grad_psi V   + eps_d (psi - anchor_psi) + gamma grad_psi R )
//! R = 1/2 E ||grad_x D_psi(x)||^2  over real, fake or both samples (`gp_on`).
//! ```
//!
//! Every GAN problem exposes the same parameter names (`loss`, `reg`, `gamma`, `eps_g`,
//! `eps_d`, `gp_on`) so that suites can sweep them uniformly.

use serde::{Deserialize, Serialize};

/// The function `f` of the GAN value `V = E f(D(x)) + E f(-D(G(z)))`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// `f(t) = -log(1 + exp(-t))` (the original minimax GAN; `f'(0) = 1/2`).
    #[default]
    Standard,
    /// Discriminator as `Standard`; the generator minimises `-E f(D(G(z)))` instead (not
    /// zero-sum).
    NonSaturating,
    /// `f(t) = t` (WGAN).
    Wgan,
}

impl Loss {
    /// `f(t)`.
    pub fn f(self, t: f64) -> f64 {
        match self {
            Loss::Standard | Loss::NonSaturating => -softplus(-t),
            Loss::Wgan => t,
        }
    }
    /// `f'(t)`.
    pub fn df(self, t: f64) -> f64 {
        match self {
            Loss::Standard | Loss::NonSaturating => sigmoid(-t),
            Loss::Wgan => 1.0,
        }
    }
    /// `f''(t)`.
    pub fn d2f(self, t: f64) -> f64 {
        match self {
            Loss::Standard | Loss::NonSaturating => -sigmoid(t) * sigmoid(-t),
            Loss::Wgan => 0.0,
        }
    }
    /// `f'''(t)` (with `s = sigmoid(t)`: `-s (1 - s) (1 - 2 s)`); used by the exact Gaussian
    /// expectations of `gan-gaussian-mean`.
    pub fn d3f(self, t: f64) -> f64 {
        match self {
            Loss::Standard | Loss::NonSaturating => {
                let (s, c) = (sigmoid(t), sigmoid(-t));
                -s * c * (c - s)
            }
            Loss::Wgan => 0.0,
        }
    }
    /// `f''''(t)` (with `s = sigmoid(t)`: `-s (1 - s) (1 - 6 s (1 - s))`).
    pub fn d4f(self, t: f64) -> f64 {
        match self {
            Loss::Standard | Loss::NonSaturating => {
                let sc = sigmoid(t) * sigmoid(-t);
                -sc * (1.0 - 6.0 * sc)
            }
            Loss::Wgan => 0.0,
        }
    }
    /// The loss's name as the parameter spells it.
    pub fn name(self) -> &'static str {
        match self {
            Loss::Standard => "standard",
            Loss::NonSaturating => "non-saturating",
            Loss::Wgan => "wgan",
        }
    }
}

/// `1 / (1 + exp(-t))`, stable for large `|t|`.
pub fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + exp(t))`, stable for large `|t|`.
pub fn softplus(t: f64) -> f64 {
    if t > 30.0 {
        t + (-t).exp()
    } else {
        t.exp().ln_1p()
    }
}

/// Which regularizer modifies the game's vector field (docs/math.md §4). Tikhonov weights
/// `eps_g`, `eps_d` apply on top of any choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Reg {
    /// No gradient-based regularizer.
    #[default]
    None,
    /// The project's preset: zero-centered gradient penalty `gamma` on the discriminator only
    /// (samples per `gp_on`) plus Tikhonov `eps_d` on the discriminator.
    Asymmetric,
    /// Zero-centered gradient penalty on real samples (Mescheder et al. 2018).
    R1,
    /// Zero-centered gradient penalty on generated samples.
    R2,
    /// Nagarajan-Kolter: the generator adds `gamma ||grad_psi V||^2` to its objective.
    Nk,
    /// JARE (Nie & Patel): each player adds `gamma/2 ||grad of the other's loss||^2`.
    Jare,
    /// Consensus optimization: `F + gamma J^T F` for both players.
    Consensus,
    /// Proximal training (Farnia & Ozdaglar): an inner proximal maximisation of the
    /// discriminator.
    Proximal,
    /// WGAN-GP-like *one-centered* penalty `gamma/2 E (||grad_x D|| - 1)^2` on the
    /// discriminator (Gulrajani et al. 2017). Not equilibrium-preserving: kept to show the
    /// equilibrium moving (docs/math.md §3.4, §4).
    WganGp,
}

impl Reg {
    /// Every choice, in the order the parameter documentation lists them.
    pub const ALL: [Reg; 9] =
        [Reg::None, Reg::Asymmetric, Reg::R1, Reg::R2, Reg::Nk, Reg::Jare, Reg::Consensus, Reg::Proximal, Reg::WganGp];

    /// The name as the `reg` parameter spells it.
    pub fn name(self) -> &'static str {
        match self {
            Reg::None => "none",
            Reg::Asymmetric => "asymmetric",
            Reg::R1 => "r1",
            Reg::R2 => "r2",
            Reg::Nk => "nk",
            Reg::Jare => "jare",
            Reg::Consensus => "consensus",
            Reg::Proximal => "proximal",
            Reg::WganGp => "wgan-gp",
        }
    }

    /// Parses a `reg` value: one name, or several joined by `+` (e.g. `"r1+consensus"`),
    /// duplicates removed, `none` dropped.
    ///
    /// # Errors
    /// [`vi_core::Error::InvalidParameter`] naming the unknown part and listing the valid names.
    pub fn parse_list(owner: &str, s: &str) -> vi_core::Result<Vec<Reg>> {
        let mut out = Vec::new();
        for part in s.split('+').map(str::trim) {
            let r = Reg::ALL.iter().copied().find(|r| r.name() == part).ok_or_else(|| {
                let valid: Vec<&str> = Reg::ALL.iter().map(|r| r.name()).collect();
                vi_core::Error::param(
                    owner,
                    "reg",
                    format!(
                        "unknown regularizer `{part}`; valid: {} (combine with `+`, e.g. \"r1+nk\")",
                        valid.join(", ")
                    ),
                )
            })?;
            if r != Reg::None && !out.contains(&r) {
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// Where the zero-centered gradient penalty samples `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum GpOn {
    /// Data samples (R1).
    #[default]
    Real,
    /// Generated samples (R2).
    Fake,
    /// Both, averaged.
    Both,
}

impl GpOn {
    /// The name as the `gp_on` parameter spells it.
    pub fn name(self) -> &'static str {
        match self {
            GpOn::Real => "real",
            GpOn::Fake => "fake",
            GpOn::Both => "both",
        }
    }
}

/// The largest regularization weight (`gamma`, `eps_g`, `eps_d`): beyond it the field
/// overflows at ordinary points.
pub const MAX_WEIGHT: f64 = 1e100;

/// Checks the weights shared by every GAN problem.
///
/// # Errors
/// [`vi_core::Error::InvalidParameter`] naming the first weight outside `[0, 1e100]`.
pub fn validate_weights(owner: &str, gamma: f64, eps_g: f64, eps_d: f64) -> vi_core::Result<()> {
    for (name, v) in [("gamma", gamma), ("eps_g", eps_g), ("eps_d", eps_d)] {
        crate::limits::check_range(owner, name, v, 0.0, MAX_WEIGHT)?;
    }
    Ok(())
}

vi_core::params! {
    /// The regularization of every GAN game (docs/math.md §4), flattened into each GAN problem's
    /// parameters. `gamma`, the regularizers' weight, is declared by each game (its default
    /// differs between games).
    pub struct RegParams {
        /// none | asymmetric | r1 | r2 | nk | jare | consensus | proximal | wgan-gp; combine with + (e.g. "r1+nk")
        pub reg: String = "none";
        /// Tikhonov weight on the generator, in [0, 1e100]
        pub eps_g: f64 = 0.0;
        /// Tikhonov weight on the discriminator, in [0, 1e100]; null = 0.1 with reg asymmetric, else 0
        pub eps_d: Option<f64> = None;
        /// samples of the asymmetric penalty: "real", "fake" or "both"
        pub gp_on: GpOn = GpOn::Real;
        /// Tikhonov anchor of the generator; [] = 0
        pub anchor_g: Vec<f64> = Vec::new(), finite();
        /// Tikhonov anchor of the discriminator; [] = 0
        pub anchor_d: Vec<f64> = Vec::new(), finite();
        /// proximal weight lambda (reg proximal), in [1e-100, 1e100]
        pub prox_lambda: f64 = 1.0;
        /// inner ascent steps per proximal evaluation (each one more gradient of V), 1..=10000
        pub prox_steps: usize = 5;
        /// inner ascent step length, in (0, 2 / prox_lambda]
        pub prox_lr: f64 = 0.5;
    }
    validate(p, owner) { validate_prox(owner, p.prox_lambda, p.prox_steps, p.prox_lr) }
}

impl RegParams {
    /// The group with another default inner step length.
    pub fn with_prox_lr(prox_lr: f64) -> Self {
        Self { prox_lr, ..Self::default() }
    }

    /// The active regularizers, parsed from `reg`, and the discriminator's Tikhonov weight:
    /// `eps_d`, or its default, the game's `asymmetric_eps_d` under `asymmetric` and 0 otherwise.
    ///
    /// # Errors
    /// [`vi_core::Error::InvalidParameter`] for an unknown regularizer.
    pub fn regs(&self, owner: &str, asymmetric_eps_d: f64) -> vi_core::Result<(Vec<Reg>, f64)> {
        let regs = Reg::parse_list(owner, &self.reg)?;
        let eps_d = self.eps_d.unwrap_or(if regs.contains(&Reg::Asymmetric) { asymmetric_eps_d } else { 0.0 });
        Ok((regs, eps_d))
    }

    /// Checks the weights (`gamma`, `eps_g`, `eps_d`) and the regularizers' combination: the
    /// proximal term needs `prox_steps >= 1` and excludes the Jacobian-based terms (NK, JARE,
    /// consensus), which would need the Jacobian of the proximal field.
    ///
    /// # Errors
    /// [`vi_core::Error::InvalidParameter`] naming the parameter and the valid choices.
    pub fn check(&self, owner: &str, regs: &[Reg], gamma: f64, eps_d: f64) -> vi_core::Result<()> {
        validate_weights(owner, gamma, self.eps_g, eps_d)?;
        if !regs.contains(&Reg::Proximal) {
            return Ok(());
        }
        if self.prox_steps == 0 {
            return Err(vi_core::Error::param(owner, "prox_steps", "must be >= 1 with reg = proximal"));
        }
        match regs.iter().find(|x| matches!(x, Reg::Nk | Reg::Jare | Reg::Consensus)) {
            Some(x) => Err(vi_core::Error::param(
                owner,
                "reg",
                format!("`proximal` cannot be combined with `{}` (it needs the Jacobian of the proximal field); combine it with r1, r2, asymmetric, wgan-gp or Tikhonov", x.name()),
            )),
            None => Ok(()),
        }
    }
}

/// Checks the proximal inner loop: `prox_lambda` in `[1e-100, 1e100]`, `prox_lr` > 0 with
/// `prox_lr * prox_lambda <= 2` (beyond, the inner ascent on the `lambda`-strongly concave
/// objective diverges), `prox_steps <= MAX_PROX_STEPS`.
///
/// # Errors
/// [`vi_core::Error::InvalidParameter`] naming the parameter and its range.
pub fn validate_prox(owner: &str, prox_lambda: f64, prox_steps: usize, prox_lr: f64) -> vi_core::Result<()> {
    crate::limits::check_range(owner, "prox_lambda", prox_lambda, 1e-100, 1e100)?;
    if !(prox_lr.is_finite() && prox_lr > 0.0) {
        return Err(vi_core::Error::param(owner, "prox_lr", format!("must be a finite number > 0, got {prox_lr}")));
    }
    if !(prox_lr * prox_lambda <= 2.0) {
        return Err(vi_core::Error::param(
            owner,
            "prox_lr",
            format!(
                "must be <= 2 / prox_lambda = {:e} (the inner ascent diverges beyond), got {prox_lr}",
                2.0 / prox_lambda
            ),
        ));
    }
    crate::limits::check_prox_steps(owner, prox_steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_derivatives_match_finite_differences() {
        for loss in [Loss::Standard, Loss::Wgan] {
            for t in [-3.0, -0.5, 0.0, 0.7, 4.0] {
                let h = 1e-5;
                let d = (loss.f(t + h) - loss.f(t - h)) / (2.0 * h);
                let d2 = (loss.df(t + h) - loss.df(t - h)) / (2.0 * h);
                let d3 = (loss.d2f(t + h) - loss.d2f(t - h)) / (2.0 * h);
                let d4 = (loss.d3f(t + h) - loss.d3f(t - h)) / (2.0 * h);
                assert!((d - loss.df(t)).abs() < 1e-8, "{loss:?} f' at {t}");
                assert!((d2 - loss.d2f(t)).abs() < 1e-8, "{loss:?} f'' at {t}");
                assert!((d3 - loss.d3f(t)).abs() < 1e-8, "{loss:?} f''' at {t}");
                assert!((d4 - loss.d4f(t)).abs() < 1e-8, "{loss:?} f'''' at {t}");
            }
        }
        assert_eq!(Loss::Standard.df(0.0), 0.5);
        assert_eq!(Loss::Standard.d2f(0.0), -0.25);
        assert!(sigmoid(-800.0) >= 0.0 && sigmoid(800.0) <= 1.0 && softplus(800.0).is_finite());
    }

    #[test]
    fn names_parse_and_unknown_names_list_the_valid_ones() {
        let r: Reg = serde_json::from_value(serde_json::json!("jare")).unwrap();
        assert_eq!(r, Reg::Jare);
        let e = serde_json::from_value::<Reg>(serde_json::json!("wgan-lp")).unwrap_err().to_string();
        assert!(e.contains("asymmetric") && e.contains("consensus"), "{e}");
        let r: Reg = serde_json::from_value(serde_json::json!("wgan-gp")).unwrap();
        assert_eq!(r, Reg::WganGp);
        for r in Reg::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(r.name()));
        }
        assert_eq!(Reg::parse_list("p", "r1+nk+none+r1").unwrap(), vec![Reg::R1, Reg::Nk]);
        assert!(Reg::parse_list("p", "none").unwrap().is_empty());
        let e = Reg::parse_list("problem gan-dirac", "r1+r3").unwrap_err().to_string();
        assert!(e.contains("`r3`") && e.contains("wgan-gp") && e.contains("`reg`"), "{e}");
        let l: Loss = serde_json::from_value(serde_json::json!("non-saturating")).unwrap();
        assert_eq!(l, Loss::NonSaturating);
    }
}
