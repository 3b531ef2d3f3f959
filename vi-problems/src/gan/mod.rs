//! The small GAN games of MATH.md (Dirac-GAN, Gaussian mean, covariance learning) with every
//! regularizer of section 4, posed as VIs.

pub mod common;
