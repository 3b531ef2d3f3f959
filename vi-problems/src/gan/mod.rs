//! The small GAN games of docs/math.md (Dirac-GAN, Gaussian mean, covariance learning, the
//! two-point game without a Nash equilibrium) with every regularizer of section 4, posed as VIs.
//!
//! | name | game | parameters `(generator, discriminator)` |
//! |---|---|---|
//! | `gan-dirac` | Dirac-GAN (docs/math.md §3.4) | `(theta, psi)`, 1 + 1 |
//! | `gan-gaussian-mean` | Gaussian mean, linear discriminator (docs/math.md §3.6) | `(phi, psi)`, d + d |
//! | `gan-covariance` | covariance learning, LQ game (docs/math.md §3.5) | `(U, W)`, d^2 + d(d+1)/2 |
//! | `gan-two-point` | Dirac generator vs two data points, no local Nash equilibrium (docs/math.md §3.11) | `(theta, psi)`, 1 + 2 |
//!
//! Every one has exact derivatives (no finite differences in the operator), the blocks
//! `generator` and `discriminator`, the metric `distance_to_equilibrium`, and the shared
//! regularization parameters of [`regularized`].

pub mod common;
pub mod covariance;
pub mod dirac;
pub mod gaussian_mean;
pub mod regularized;
pub mod two_point;

pub use covariance::{Covariance, CovarianceParams};
pub use dirac::{DiracGan, DiracParams};
pub use gaussian_mean::{GaussianMean, GaussianMeanParams};
pub use regularized::{GanModel, GanOperator, RegConfig};
pub use two_point::{TwoPoint, TwoPointParams};
