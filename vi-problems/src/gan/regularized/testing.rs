//! Finite-difference checks shared by the GAN problems' tests.
use super::*;

/// Central-difference gradient of `f` at `z`.
pub fn fd_grad(z: &Col<f64>, mut f: impl FnMut(ColRef<'_, f64>) -> f64) -> Col<f64> {
    let n = z.nrows();
    let mut g = Col::zeros(n);
    let mut w = z.clone();
    for i in 0..n {
        let h = 1e-5 * z[i].abs().max(1.0);
        w[i] = z[i] + h;
        let fp = f(w.as_ref());
        w[i] = z[i] - h;
        let fm = f(w.as_ref());
        w[i] = z[i];
        g[i] = (fp - fm) / (2.0 * h);
    }
    g
}

/// Central-difference Jacobian of a vector function.
pub fn fd_jacobian(z: &Col<f64>, m: usize, mut f: impl FnMut(ColRef<'_, f64>, ColMut<'_, f64>)) -> Mat<f64> {
    let n = z.nrows();
    let mut j = Mat::zeros(m, n);
    let mut w = z.clone();
    let (mut fp, mut fm) = (Col::<f64>::zeros(m), Col::<f64>::zeros(m));
    for c in 0..n {
        let h = 1e-5 * z[c].abs().max(1.0);
        w[c] = z[c] + h;
        f(w.as_ref(), fp.as_mut());
        w[c] = z[c] - h;
        f(w.as_ref(), fm.as_mut());
        w[c] = z[c];
        for r in 0..m {
            j[(r, c)] = (fp[r] - fm[r]) / (2.0 * h);
        }
    }
    j
}

/// `max |a - b|` over entries, relative to `max(1, max |b|)`.
pub fn rel_err_col(a: ColRef<'_, f64>, b: ColRef<'_, f64>) -> f64 {
    let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    a.iter().zip(b.iter()).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
}

/// As [`rel_err_col`] for matrices.
pub fn rel_err_mat(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    let mut scale = 1.0f64;
    let mut e = 0.0f64;
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            scale = scale.max(b[(i, j)].abs());
            e = e.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    e / scale
}

/// Checks every piece of a model against finite differences at `z`:
/// the base field against `(grad_t J_G, -grad_p V)`, both HVPs against FD of the field's
/// parts, the penalty gradient against FD of `R`, its JVP against FD of its gradient, and
/// (when available) the one-centered penalty likewise.
pub fn check_model<M: GanModel>(model: &mut M, z: &Col<f64>, tol: f64) {
    let (p, q) = (model.generator_dim(), model.discriminator_dim());
    let n = p + q;
    // Base field.
    let gv = fd_grad(z, |w| model.clone().value(w));
    let gg = fd_grad(z, |w| model.clone().generator_objective(w));
    let mut f = Col::zeros(n);
    model.field(z.as_ref(), f.as_mut());
    let expect = Col::from_fn(n, |i| if i < p { gg[i] } else { -gv[i] });
    assert!(rel_err_col(f.as_ref(), expect.as_ref()) < tol, "field {:?} vs FD {:?}", f, expect);
    // HVPs: FD of the gradients, reconstructed from the field (J_G rows) and V rows.
    let hv = fd_jacobian(z, n, |w, mut out| {
        let m = &mut model.clone();
        let g = fd_grad(&w.to_owned(), |x| m.clone().value(x));
        out.copy_from(g.as_ref());
    });
    let hg = fd_jacobian(z, n, |w, mut out| {
        let m = &mut model.clone();
        let g = fd_grad(&w.to_owned(), |x| m.clone().generator_objective(x));
        out.copy_from(g.as_ref());
    });
    let mut e = Col::<f64>::zeros(n);
    let mut col = Col::<f64>::zeros(n);
    for c in 0..n {
        e[c] = 1.0;
        model.hvp_value(z.as_ref(), e.as_ref(), col.as_mut());
        let err = rel_err_col(col.as_ref(), hv.col(c));
        assert!(err < 100.0 * tol, "H_V column {c}: {col:?} vs {:?}", hv.col(c));
        model.hvp_generator(z.as_ref(), e.as_ref(), col.as_mut());
        let err = rel_err_col(col.as_ref(), hg.col(c));
        assert!(err < 100.0 * tol, "H_G column {c}: {col:?} vs {:?}", hg.col(c));
        e[c] = 0.0;
    }
    // Penalties.
    for side in [GpOn::Real, GpOn::Fake, GpOn::Both] {
        let gr = fd_grad(z, |w| model.clone().penalty(w, side));
        let mut g = Col::zeros(q);
        model.penalty_grad(z.as_ref(), side, g.as_mut());
        let expect = Col::from_fn(q, |i| gr[p + i]);
        assert!(rel_err_col(g.as_ref(), expect.as_ref()) < tol, "penalty grad {side:?}: {g:?} vs {expect:?}");
        let jr = fd_jacobian(z, q, |w, out| model.clone().penalty_grad(w, side, out));
        for c in 0..n {
            e[c] = 1.0;
            model.penalty_jvp(z.as_ref(), side, e.as_ref(), g.as_mut());
            let err = rel_err_col(g.as_ref(), jr.col(c));
            assert!(err < tol, "penalty jvp {side:?} column {c}: {g:?} vs {:?}", jr.col(c));
            e[c] = 0.0;
        }
    }
    if model.has_one_centered() {
        let gr = fd_grad(z, |w| model.clone().one_centered(w));
        let mut g = Col::zeros(q);
        model.one_centered_grad(z.as_ref(), g.as_mut());
        let expect = Col::from_fn(q, |i| gr[p + i]);
        assert!(rel_err_col(g.as_ref(), expect.as_ref()) < tol, "one-centered grad {g:?} vs {expect:?}");
        let jr = fd_jacobian(z, q, |w, out| model.clone().one_centered_grad(w, out));
        for c in 0..n {
            e[c] = 1.0;
            model.one_centered_jvp(z.as_ref(), e.as_ref(), g.as_mut());
            assert!(rel_err_col(g.as_ref(), jr.col(c)) < tol, "one-centered jvp column {c}");
            e[c] = 0.0;
        }
    }
}

/// Checks every regularizer's field against FD of its defining objective (docs/math.md §4):
/// R1/R2 against `gamma/2 E||grad_x D||^2`, NK against `V + gamma ||grad_psi V||^2` in
/// theta, JARE against the two half squared norms, consensus against `1/2 ||F||^2`; and
/// the analytic Jacobian against FD of the field.
pub fn check_regularizers<M: GanModel>(model: &M, z: &Col<f64>, tol: f64) {
    let (p, q) = (model.generator_dim(), model.discriminator_dim());
    let n = p + q;
    let gamma = 0.7;
    let cfg = |reg: &str| {
        let r = RegParams { reg: reg.into(), eps_d: Some(0.0), ..RegParams::default() };
        RegConfig::resolve("t", &r, gamma).unwrap()
    };
    let base = |w: ColRef<'_, f64>| {
        let mut m = model.clone();
        let mut f = Col::zeros(n);
        m.field(w, f.as_mut());
        f
    };
    let f0 = base(z.as_ref());
    let field = |reg: &str| {
        let mut op = GanOperator::new("t", model.clone(), cfg(reg)).unwrap();
        let mut out = Col::zeros(n);
        op.eval(z.as_ref(), out.as_mut());
        (op, out)
    };
    // Gradient penalties: F_p += gamma grad_psi R.
    for (reg, side) in [("r1", GpOn::Real), ("r2", GpOn::Fake)] {
        let (_, f) = field(reg);
        let gr = fd_grad(z, |w| gamma * model.clone().penalty(w, side));
        let d = Col::from_fn(n, |i| f[i] - f0[i]);
        let expect = Col::from_fn(n, |i| if i < p { 0.0 } else { gr[i] });
        assert!(rel_err_col(d.as_ref(), expect.as_ref()) < tol, "{reg}: {d:?} vs {expect:?}");
    }
    // NK: F_t = grad_theta (J_G + gamma ||grad_psi V||^2).
    let (_, f) = field("nk");
    let obj = |w: ColRef<'_, f64>| {
        let mut m = model.clone();
        let g = fd_grad(&w.to_owned(), |x| m.clone().value(x));
        let s: f64 = (p..n).map(|i| g[i] * g[i]).sum();
        m.generator_objective(w) + gamma * s
    };
    let gn = fd_grad(z, obj);
    for i in 0..p {
        assert!((f[i] - gn[i]).abs() < 1e3 * tol * gn[i].abs().max(1.0), "nk theta {i}: {} vs {}", f[i], gn[i]);
    }
    for i in p..n {
        assert!((f[i] - f0[i]).abs() < 1e-14 * f0[i].abs().max(1.0), "nk leaves psi unchanged");
    }
    // JARE: generator adds gamma/2 ||F_p||^2 (in theta), discriminator gamma/2 ||F_t||^2 (in psi).
    let (_, f) = field("jare");
    let gj_t = fd_grad(z, |w| {
        let b = base(w);
        0.5 * gamma * (p..n).map(|i| b[i] * b[i]).sum::<f64>()
    });
    let gj_p = fd_grad(z, |w| {
        let b = base(w);
        0.5 * gamma * (0..p).map(|i| b[i] * b[i]).sum::<f64>()
    });
    for i in 0..n {
        let expect = f0[i] + if i < p { gj_t[i] } else { gj_p[i] };
        assert!((f[i] - expect).abs() < tol * expect.abs().max(1.0), "jare {i}: {} vs {expect}", f[i]);
    }
    // Consensus: F + gamma grad 1/2 ||F||^2.
    let (_, f) = field("consensus");
    let gc = fd_grad(z, |w| {
        let b = base(w);
        0.5 * gamma * b.squared_norm_l2()
    });
    for i in 0..n {
        let expect = f0[i] + gc[i];
        assert!((f[i] - expect).abs() < tol * expect.abs().max(1.0), "consensus {i}: {} vs {expect}", f[i]);
    }
    // Analytic Jacobians against FD of the field.
    for reg in ["none", "r1", "r2", "asymmetric"] {
        let mut op = GanOperator::new("t", model.clone(), RegConfig { eps_g: 0.2, eps_d: 0.1, ..cfg(reg) }).unwrap();
        let j = op.jacobian(z.as_ref()).expect("analytic Jacobian");
        let jf = fd_jacobian(z, n, |w, out| op.clone().eval(w, out));
        assert!(rel_err_mat(&j, &jf) < tol, "Jacobian with reg {reg}: {j:?} vs {jf:?}");
    }
}
