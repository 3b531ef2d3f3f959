//! The hidden-layer activations and their derivatives, each a type implementing `Sigma` so the
//! fused kernels of the parent module are compiled once per activation.

use serde::{Deserialize, Serialize};

/// Hidden-layer activation (the output layer is linear).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// `max(0, u)` (second derivative 0 almost everywhere).
    #[default]
    Relu,
    /// `max(0.2 u, u)`.
    LeakyRelu,
    /// `tanh(u)`.
    Tanh,
    /// `log(1 + exp(u))`.
    Softplus,
}

const LEAK: f64 = 0.2;

/// One activation as a type, so that each elementwise loop is compiled per activation without
/// a branch per element. The hidden `U_l` are not kept, so derivatives are read off what is:
/// `df_h(h)` is `sigma'(u)` from `h = sigma(u)` (for the piecewise-linear ones `u > 0` exactly
/// when `sigma(u) > 0`), `df_at(u, h)` is `sigma'(u)` when `u` is at hand too (the forward pass),
/// and `d2f_from(h, g)` is `sigma''(u)` from `h` and `g = sigma'(u)`; all give the same numbers
/// as evaluating from `u` alone.
pub(super) trait Sigma {
    fn f(u: f64) -> f64;
    fn df_h(h: f64) -> f64;
    #[inline(always)]
    fn df_at(_u: f64, h: f64) -> f64 {
        Self::df_h(h)
    }
    /// Piecewise linear unless overridden.
    #[inline(always)]
    fn d2f_from(_h: f64, _g: f64) -> f64 {
        0.0
    }
    #[inline(always)]
    fn df(u: f64) -> f64 {
        Self::df_at(u, Self::f(u))
    }
}

pub(super) struct Relu;
pub(super) struct LeakyRelu;
pub(super) struct Tanh;
pub(super) struct Softplus;

impl Sigma for Relu {
    #[inline(always)]
    fn f(u: f64) -> f64 {
        u.max(0.0)
    }
    #[inline(always)]
    fn df_h(h: f64) -> f64 {
        if h > 0.0 {
            1.0
        } else {
            0.0
        }
    }
}

impl Sigma for LeakyRelu {
    #[inline(always)]
    fn f(u: f64) -> f64 {
        if u > 0.0 {
            u
        } else {
            LEAK * u
        }
    }
    #[inline(always)]
    fn df_h(h: f64) -> f64 {
        if h > 0.0 {
            1.0
        } else {
            LEAK
        }
    }
}

impl Sigma for Tanh {
    #[inline(always)]
    fn f(u: f64) -> f64 {
        u.tanh()
    }
    #[inline(always)]
    fn df_h(h: f64) -> f64 {
        1.0 - h * h
    }
    #[inline(always)]
    fn d2f_from(h: f64, g: f64) -> f64 {
        -2.0 * h * g
    }
}

impl Sigma for Softplus {
    #[inline(always)]
    fn f(u: f64) -> f64 {
        crate::gan::common::softplus(u)
    }
    #[inline(always)]
    fn df_h(h: f64) -> f64 {
        // sigmoid(u) = 1 - exp(-softplus(u)); the forward pass keeps sigmoid(u) itself instead.
        1.0 - (-h).exp()
    }
    #[inline(always)]
    fn df_at(u: f64, _: f64) -> f64 {
        crate::gan::common::sigmoid(u)
    }
    #[inline(always)]
    fn d2f_from(_: f64, g: f64) -> f64 {
        g * (1.0 - g)
    }
}

/// Runs `$body` with the type `$S: Sigma` of `$act`.
macro_rules! with_sigma {
    ($act:expr, $S:ident, $body:expr) => {
        match $act {
            Activation::Relu => {
                type $S = Relu;
                $body
            }
            Activation::LeakyRelu => {
                type $S = LeakyRelu;
                $body
            }
            Activation::Tanh => {
                type $S = Tanh;
                $body
            }
            Activation::Softplus => {
                type $S = Softplus;
                $body
            }
        }
    };
}

impl Activation {
    /// `sigma(u)`.
    #[inline]
    pub fn f(self, u: f64) -> f64 {
        with_sigma!(self, S, S::f(u))
    }
    /// `sigma'(u)`.
    #[inline]
    pub fn df(self, u: f64) -> f64 {
        with_sigma!(self, S, S::df(u))
    }
    /// `sigma''(u)`.
    #[inline]
    pub fn d2f(self, u: f64) -> f64 {
        with_sigma!(self, S, S::d2f_from(S::f(u), S::df(u)))
    }
    /// Whether `sigma'' = 0` (piecewise linear): the curvature terms of the tangents vanish.
    pub fn is_piecewise_linear(self) -> bool {
        matches!(self, Activation::Relu | Activation::LeakyRelu)
    }
}
