//! `gan-mixture`: MLP generator and discriminator on a mixture of Gaussians (MATH.md 3.7).
