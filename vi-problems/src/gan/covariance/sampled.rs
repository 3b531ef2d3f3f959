//! The logistic losses of `gan-covariance` on fixed whitened samples: the sampled objective and
//! its exact derivatives (the WGAN loss has closed forms in the parent module).

use faer::{ColMut, ColRef};

use super::{Covariance, FakeTerm};

impl Covariance {
    /// `q(t), q'(t), q''(t)` of a generated-sample term.
    fn q(&self, term: FakeTerm, t: f64) -> (f64, f64, f64) {
        let f = self.loss;
        match term {
            FakeTerm::Value => (f.f(-t), -f.df(-t), f.d2f(-t)),
            FakeTerm::NonSaturating => (-f.f(t), -f.df(t), -f.d2f(t)),
        }
    }

    /// The sampled objective `[1/N sum_i f(x_i^T W x_i)] + 1/M sum_j q(t_j)` (real part only
    /// when `real`).
    pub(super) fn sampled_value(&mut self, z: ColRef<'_, f64>, real: bool, term: FakeTerm) -> f64 {
        let d = self.d;
        Self::unpack(&self.pairs, z, self.p(), &mut self.w);
        let mut v = 0.0;
        if real {
            let n = self.xs.ncols();
            for k in 0..n {
                let s: f64 = (0..d)
                    .map(|i| (0..d).map(|j| self.xs[(i, k)] * self.w[(i, j)] * self.xs[(j, k)]).sum::<f64>())
                    .sum();
                v += self.loss.f(s) / n as f64;
            }
        }
        let m = self.zs.ncols();
        for k in 0..m {
            for i in 0..d {
                self.y[i] = (0..d).map(|l| self.u(z, i, l) * self.zs[(l, k)]).sum();
            }
            let t: f64 = (0..d).map(|i| (0..d).map(|j| self.y[i] * self.w[(i, j)] * self.y[j]).sum::<f64>()).sum();
            v += self.q(term, t).0 / m as f64;
        }
        v
    }

    /// The gradient (`u = None`) or Hessian-vector product of the sampled objective into `out`.
    pub(super) fn sampled_derivative(
        &mut self,
        z: ColRef<'_, f64>,
        u: Option<ColRef<'_, f64>>,
        real: bool,
        term: FakeTerm,
        mut out: ColMut<'_, f64>,
    ) {
        let (d, p) = (self.d, self.p());
        Self::unpack(&self.pairs, z, p, &mut self.w);
        if let Some(u) = u {
            Self::unpack(&self.pairs, u, p, &mut self.dw);
        }
        self.m.fill(0.0);
        self.gu.fill(0.0);
        if real {
            self.add_real_derivative(u.is_some());
        }
        for k in 0..self.zs.ncols() {
            self.add_fake_derivative(z, u, term, k);
        }
        for i in 0..d {
            for j in 0..d {
                out[i * d + j] = self.gu[(i, j)];
            }
        }
        Self::pack(&self.pairs, &self.m, 1.0, out, p, false);
    }

    /// The real samples' part of [`Covariance::sampled_derivative`] into `m` (the
    /// discriminator block): `E f'(s) x x^T`, or along `dW`, `E f''(s) ds x x^T`.
    fn add_real_derivative(&mut self, tangent: bool) {
        let (d, n) = (self.d, self.xs.ncols());
        for k in 0..n {
            let x = self.xs.col(k);
            let s: f64 = (0..d).map(|i| (0..d).map(|j| x[i] * self.w[(i, j)] * x[j]).sum::<f64>()).sum();
            let c = if tangent {
                let ds: f64 = (0..d).map(|i| (0..d).map(|j| x[i] * self.dw[(i, j)] * x[j]).sum::<f64>()).sum();
                self.loss.d2f(s) * ds
            } else {
                self.loss.df(s)
            } / n as f64;
            for i in 0..d {
                for j in 0..d {
                    self.m[(i, j)] += c * x[i] * x[j];
                }
            }
        }
    }

    /// Generated sample `k`'s part of [`Covariance::sampled_derivative`] into `m` (the
    /// discriminator block) and `gu` (the generator's `U`).
    fn add_fake_derivative(&mut self, z: ColRef<'_, f64>, u: Option<ColRef<'_, f64>>, term: FakeTerm, k: usize) {
        let d = self.d;
        for i in 0..d {
            self.y[i] = (0..d).map(|l| self.u(z, i, l) * self.zs[(l, k)]).sum();
            self.dy[i] = match u {
                Some(u) => (0..d).map(|l| u[i * d + l] * self.zs[(l, k)]).sum(),
                None => 0.0,
            };
        }
        let t: f64 = (0..d).map(|i| (0..d).map(|j| self.y[i] * self.w[(i, j)] * self.y[j]).sum::<f64>()).sum();
        let (_, q1, q2) = self.q(term, t);
        let inv = 1.0 / self.zs.ncols() as f64;
        if u.is_none() {
            for i in 0..d {
                let wy: f64 = (0..d).map(|l| self.w[(i, l)] * self.y[l]).sum();
                for j in 0..d {
                    self.m[(i, j)] += inv * q1 * self.y[i] * self.y[j];
                    self.gu[(i, j)] += inv * q1 * 2.0 * wy * self.zs[(j, k)];
                }
            }
            return;
        }
        let mut dt = 0.0;
        for i in 0..d {
            for j in 0..d {
                dt += 2.0 * self.y[i] * self.w[(i, j)] * self.dy[j] + self.y[i] * self.dw[(i, j)] * self.y[j];
            }
        }
        for i in 0..d {
            let wy: f64 = (0..d).map(|l| self.w[(i, l)] * self.y[l]).sum();
            let dwy: f64 = (0..d).map(|l| self.dw[(i, l)] * self.y[l] + self.w[(i, l)] * self.dy[l]).sum();
            for j in 0..d {
                self.m[(i, j)] +=
                    inv * (q2 * dt * self.y[i] * self.y[j] + q1 * (self.dy[i] * self.y[j] + self.y[i] * self.dy[j]));
                self.gu[(i, j)] += inv * 2.0 * (q2 * dt * wy + q1 * dwy) * self.zs[(j, k)];
            }
        }
    }
}
