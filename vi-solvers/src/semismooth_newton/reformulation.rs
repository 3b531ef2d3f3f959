//! The MCP as the semismooth equation `Phi(z) = 0` (the penalized Fischer-Burmeister function
//! composed per kind of bound) and its merit `psi = ||Phi||^2 / 2`.

use super::SemismoothNewton;

/// `(phi(a, b), d phi / d a, d phi / d b)` of the penalized Fischer-Burmeister function.
#[inline]
pub(super) fn fb(a: f64, b: f64, lambda: f64) -> (f64, f64, f64) {
    let r = a.hypot(b);
    // a + b - r without cancellation when a + b > 0.
    let v = if a + b > 0.0 { 2.0 * a * b / (a + b + r) } else { a + b - r };
    let (ga, gb) = if r == 0.0 {
        let c = 1.0 - std::f64::consts::FRAC_1_SQRT_2;
        (c, c)
    } else {
        (1.0 - a / r, 1.0 - b / r)
    };
    let (ap, bp) = (a.max(0.0), b.max(0.0));
    let mu = 1.0 - lambda;
    (
        lambda * v + mu * ap * bp,
        lambda * ga + if a > 0.0 { mu * bp } else { 0.0 },
        lambda * gb + if b > 0.0 { mu * ap } else { 0.0 },
    )
}

/// `(Phi_i, D_a, D_b)` for one coordinate with bounds `[l, u]`.
#[inline]
pub(super) fn component(z: f64, f: f64, l: f64, u: f64, lambda: f64) -> (f64, f64, f64) {
    match (l.is_finite(), u.is_finite()) {
        (false, false) => (f, 0.0, 1.0),
        (true, false) => fb(z - l, f, lambda),
        (false, true) => {
            let (p, pa, pb) = fb(u - z, -f, lambda);
            (-p, pa, pb)
        }
        (true, true) => {
            let (q, qa, qb) = fb(u - z, -f, lambda);
            let (p, pa, pb) = fb(z - l, -q, lambda);
            (p, pa + pb * qa, pb * qb)
        }
    }
}

impl SemismoothNewton {
    /// `Phi` of `(z, f)` into `phi` (and `D_a`, `D_b` when `derivs`); returns the merit.
    pub(super) fn reformulate(&mut self, trial: bool, derivs: bool) -> f64 {
        let lambda = self.params.lambda;
        let (z, f, phi) = if trial { (&self.zt, &self.ft, &mut self.phit) } else { (&self.z, &self.f, &mut self.phi) };
        let mut s = 0.0;
        for i in 0..z.nrows() {
            let (p, a, b) = component(z[i], f[i], self.lo[i], self.hi[i], lambda);
            phi[i] = p;
            s += p * p;
            if derivs {
                self.da[i] = a;
                self.db[i] = b;
            }
        }
        0.5 * s
    }

    /// The natural residual `||z - P(z - F(z))||` at the iterate.
    pub(super) fn natural_residual(&self) -> f64 {
        let mut s = 0.0;
        for i in 0..self.z.nrows() {
            let r = self.z[i] - (self.z[i] - self.f[i]).clamp(self.lo[i], self.hi[i]);
            s += r * r;
        }
        s.sqrt()
    }
}
