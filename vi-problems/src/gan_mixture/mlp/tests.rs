//! Tests of `mlp`.

use super::*;

fn net(act: Activation) -> (Mlp, Vec<f64>) {
    let m = Mlp::new(&[3, 5, 4, 2], act);
    let mut p = vec![0.0; m.n_params()];
    let mut rng = vi_core::rng::seeded(1, 1);
    m.init_orthogonal(&mut p, 1.3, &mut rng);
    for v in p.iter_mut() {
        *v += 0.1 * vi_core::rng::normal(&mut rng);
    }
    (m, p)
}

/// phi(p, x) = sum_ij c_ij out_ij (a fixed linear functional of the output).
fn phi(m: &Mlp, p: &[f64], x: &Mat<f64>, c: &Mat<f64>) -> f64 {
    let mut w = MlpWork::new(m, x.ncols(), false);
    w.h[0].copy_from(x);
    forward(m, p, &mut w, 0..x.ncols());
    let o = w.output();
    (0..o.nrows()).flat_map(|i| (0..o.ncols()).map(move |j| (i, j))).map(|(i, j)| c[(i, j)] * o[(i, j)]).sum()
}

#[test]
fn gradients_and_tangents_match_finite_differences() {
    for act in [Activation::Tanh, Activation::Softplus, Activation::Relu, Activation::LeakyRelu] {
        let (m, p) = net(act);
        let n = 4;
        let mut rng = vi_core::rng::seeded(2, 2);
        let x = Mat::from_fn(3, n, |_, _| vi_core::rng::normal(&mut rng));
        let c = Mat::from_fn(2, n, |_, _| vi_core::rng::normal(&mut rng));
        let dp: Vec<f64> = (0..m.n_params()).map(|_| vi_core::rng::normal(&mut rng)).collect();
        let dx = Mat::from_fn(3, n, |_, _| vi_core::rng::normal(&mut rng));
        let mut w = MlpWork::new(&m, n, true);
        w.h[0].copy_from(&x);
        forward(&m, &p, &mut w, 0..n);
        backward(&m, &p, &mut w, c.as_ref(), true, 0..n);
        let mut g = vec![0.0; m.n_params()];
        param_grad(&m, &w, &mut g, 1.0, 0..n);
        let h = 1e-6;
        // parameter gradient
        for k in (0..m.n_params()).step_by(7) {
            let mut pp = p.clone();
            pp[k] += h;
            let fp = phi(&m, &pp, &x, &c);
            pp[k] -= 2.0 * h;
            let fm = phi(&m, &pp, &x, &c);
            assert!(((fp - fm) / (2.0 * h) - g[k]).abs() < 1e-6, "{act:?} grad {k}");
        }
        // tangent of the parameter gradient along (dp, dx): FD of the gradient
        w.hd[0].copy_from(&dx);
        forward_tangent(&m, &p, Some(&dp), &mut w, true, 0..n);
        backward_tangent(&m, &p, Some(&dp), &mut w, None, true, 0..n);
        let mut gt = vec![0.0; m.n_params()];
        param_grad_tangent(&m, &w, &mut gt, 1.0, true, 0..n);
        let gind = w.gind.clone();
        let grad_at = |eps: f64| {
            let pp: Vec<f64> = p.iter().zip(&dp).map(|(a, b)| a + eps * b).collect();
            let xx = Mat::from_fn(3, n, |i, j| x[(i, j)] + eps * dx[(i, j)]);
            let mut w2 = MlpWork::new(&m, n, true);
            w2.h[0].copy_from(&xx);
            forward(&m, &pp, &mut w2, 0..n);
            backward(&m, &pp, &mut w2, c.as_ref(), true, 0..n);
            let mut g2 = vec![0.0; m.n_params()];
            param_grad(&m, &w2, &mut g2, 1.0, 0..n);
            (g2, w2.gin.clone())
        };
        let (gp, ip) = grad_at(h);
        let (gm, im) = grad_at(-h);
        for k in 0..m.n_params() {
            let fd = (gp[k] - gm[k]) / (2.0 * h);
            assert!((fd - gt[k]).abs() < 1e-5 * (1.0 + fd.abs()), "{act:?} tangent {k}: {fd} vs {}", gt[k]);
        }
        for i in 0..3 {
            for j in 0..n {
                let fd = (ip[(i, j)] - im[(i, j)]) / (2.0 * h);
                assert!((fd - gind[(i, j)]).abs() < 1e-5 * (1.0 + fd.abs()), "{act:?} gin tangent");
            }
        }
    }
}

/// The column-by-column path of one-hidden-layer networks gives the numbers of the
/// layer-by-layer one (up to the order of sums) for every buffer a later pass reads.
#[test]
fn shallow_networks_column_by_column_match_layer_by_layer() {
    for act in [Activation::Tanh, Activation::Softplus, Activation::Relu, Activation::LeakyRelu] {
        for sizes in [[2usize, 9, 1], [1, 16, 1], [4, 33, 1]] {
            let m = Mlp::new(&sizes, act);
            assert!(shallow::fits(&m));
            let mut rng = vi_core::rng::seeded(3, 3);
            let p: Vec<f64> = (0..m.n_params()).map(|_| vi_core::rng::normal(&mut rng)).collect();
            let n = 11;
            let c = 2..9;
            let x = Mat::from_fn(sizes[0], n, |_, _| vi_core::rng::normal(&mut rng));
            let dx = Mat::from_fn(sizes[0], n, |_, _| vi_core::rng::normal(&mut rng));
            let e = Mat::from_fn(1, n, |_, _| vi_core::rng::normal(&mut rng));
            let run = |layered: bool| {
                let mut w = MlpWork::new(&m, n, true);
                w.h[0].copy_from(&x);
                w.hd[0].copy_from(&dx);
                if layered {
                    forward_layers(&m, &p, &mut w, c.clone());
                    backward_layers(&m, &p, &mut w, e.as_ref(), true, c.clone());
                    forward_tangent_layers(&m, &p, None, &mut w, true, c.clone());
                } else {
                    forward(&m, &p, &mut w, c.clone());
                    backward(&m, &p, &mut w, e.as_ref(), true, c.clone());
                    forward_tangent(&m, &p, None, &mut w, true, c.clone());
                }
                let mut g = vec![0.0; m.n_params()];
                param_grad(&m, &w, &mut g, 0.7, c.clone());
                let cols = |a: &Mat<f64>| -> Vec<f64> {
                    c.clone().flat_map(|j| (0..a.nrows()).map(move |i| a[(i, j)])).collect()
                };
                let mut out = g;
                for a in [&w.h[1], &w.u[1], &w.d[0], &w.d[1], &w.gin, &w.ud[0], &w.hd[1], &w.ud[1]] {
                    out.extend(cols(a));
                }
                if !act.is_piecewise_linear() {
                    out.extend(cols(&w.g[0]));
                }
                out.extend(w.db[0].iter().chain(&w.db[1]));
                out
            };
            let (a, b) = (run(true), run(false));
            assert_eq!(a.len(), b.len());
            for (i, (a, b)) in a.iter().zip(&b).enumerate() {
                assert!((a - b).abs() <= 1e-12 * (1.0 + a.abs()), "{act:?} {sizes:?} entry {i}: {a} vs {b}");
            }
        }
    }
}
