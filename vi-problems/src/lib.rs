//! # vi-problems: benchmark variational inequalities and games
//!
//! Every problem lives in its own module, which states its operator, its closed-form answer
//! (docs/math.md §3) and its metrics, and registers itself under a kebab-case name:
//!
//! | name | problem |
//! |---|---|
//! | `bilinear` | `min_x max_y x'Ay + b'x + c'y`, unconstrained, seeded `A` with rank and condition |
//! | `matrix-game` | `min_x max_y x'Ay` on simplices (docs/math.md §3.2): rps, matching pennies, 2x2 with value 1/5, random, or a file |
//! | `quadratic` | `F(z) = (S + K) z + q` (docs/math.md §3.3), exact `mu`, `L`, rotation; dense or 2x2 rotation blocks; optional box |
//! | `affine` | `F(z) = M z + q` with `M`, `q` from Matrix Market / text files (sparse stays sparse), on none, orthant, box or simplices |
//! | `nash-cournot`, `kojima-shindo`, `josephy`, `mathiesen`, `hphard`, `braess` | complementarity test problems on boxes with known solutions (see [`mcp`]) |
//! | `finite-sum-quadratic`, `finite-sum-bilinear` | `F = (1/N) sum_i F_i` with affine components, a spread of `L_i`, noise at the closed-form solution (docs/math.md §3.9; see [`finite_sum`]) |
//! | `gan-dirac` | Dirac-GAN (docs/math.md §3.4), every GAN loss and regularizer, equilibrium `(0, 0)` |
//! | `gan-gaussian-mean` | Gaussian mean, affine generator, linear discriminator (docs/math.md §3.6), exact expectations |
//! | `gan-covariance` | covariance learning LQ game (docs/math.md §3.5): WGAN exact, logistic losses on whitened samples |
//! | `gan-two-point` | Dirac generator vs two data points (docs/math.md §3.11): no local Nash equilibrium, a closed-form proximal equilibrium |
//! | `gan-mixture` | MLP GAN on the 8-Gaussian ring / 25-grid (docs/math.md §3.7), minibatch oracle, exact second-order regularizers, VEEGAN metrics |
//!
//! To add a problem, copy `bilinear.rs`: a params struct implementing [`vi_core::Params`], a
//! build function returning a [`vi_core::Problem`], and one `vi_core::register_problem!` line.

#![warn(missing_docs)]

pub mod affine;
pub mod bilinear;
pub mod finite_sum;
pub mod gan;
pub mod gan_mixture;
pub mod limits;
pub mod matrix_game;
pub mod mcp;
pub mod quadratic;
pub mod sweep;
#[cfg(test)]
mod testing;

pub use affine::{Affine, AffineMatrix, AffineParams, DenseAffine, SparseAffine};
pub use bilinear::{BilinearOperator, BilinearParams};
pub use finite_sum::{FiniteSumBilinearParams, FiniteSumQuadraticParams};
pub use gan::{CovarianceParams, DiracParams, GaussianMeanParams, TwoPointParams};
pub use gan_mixture::GanMixtureParams;
pub use matrix_game::{MatrixGameOperator, MatrixGameParams};
pub use quadratic::{QuadraticParams, RotationBlocks};
