//! Every gradient of `gan-mixture` against central finite differences of its defining
//! objective (small networks, small fixed batch).

use super::*;
use crate::gan::common::{GpOn, Loss, RegParams};
use vi_core::Params;

fn small(act: Activation, loss: Loss, reg: &str) -> GanMixtureParams {
    GanMixtureParams {
        latent_dim: 3,
        g_hidden: vec![5],
        d_hidden: vec![6, 4],
        g_act: act,
        d_act: act,
        d_input_scale: 0.7,
        batch: 4,
        fixed_sample: true,
        metric_samples: 50,
        loss,
        gamma: Some(0.7),
        regularization: RegParams {
            reg: reg.into(),
            eps_d: Some(0.0),
            gp_on: GpOn::Both,
            ..RegParams::with_prox_lr(0.1)
        },
        ..Default::default()
    }
}

/// A point away from the initialisation so that every term is non-trivial.
fn point(p: &GanMixtureParams) -> Col<f64> {
    let (g, d) = p.networks();
    let (np, nq) = (g.n_params(), d.n_params());
    let mut z = vec![0.0; np + nq];
    let mut rng = vi_core::rng::seeded(5, 9);
    g.init_orthogonal(&mut z[..np], 1.2, &mut rng);
    d.init_orthogonal(&mut z[np..], 1.5, &mut rng);
    for v in z.iter_mut() {
        *v += 0.3 * vi_core::rng::normal(&mut rng);
    }
    Col::from_fn(np + nq, |i| z[i])
}

fn field(p: &GanMixtureParams, z: &Col<f64>) -> Col<f64> {
    let mut op = GanMixtureOperator::new(p, 3).unwrap();
    let mut out = Col::zeros(z.nrows());
    op.eval_monitor(z.as_ref(), out.as_mut());
    out
}

/// Central differences of `f` over the coordinates `range` of `z`.
fn fd(z: &Col<f64>, range: std::ops::Range<usize>, mut f: impl FnMut(&Col<f64>) -> f64) -> Vec<f64> {
    let h = 1e-5;
    range
        .map(|i| {
            let mut zp = z.clone();
            zp[i] += h;
            let fp = f(&zp);
            zp[i] -= 2.0 * h;
            let fm = f(&zp);
            (fp - fm) / (2.0 * h)
        })
        .collect()
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(1e-3_f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 2e-6 * scale, "{what}[{i}]: got {g}, finite differences {w} (scale {scale})");
    }
}

fn sizes(p: &GanMixtureParams) -> (usize, usize) {
    let (g, d) = p.networks();
    (g.n_params(), d.n_params())
}

fn objectives(p: &GanMixtureParams, z: &Col<f64>) -> (f64, f64) {
    GanMixtureOperator::new(p, 3).unwrap().objectives(z.as_ref())
}

fn sub(a: &Col<f64>, b: &Col<f64>, r: std::ops::Range<usize>) -> Vec<f64> {
    r.map(|i| a[i] - b[i]).collect()
}

fn part(a: &Col<f64>, r: std::ops::Range<usize>) -> Vec<f64> {
    r.map(|i| a[i]).collect()
}

#[test]
fn base_field_is_the_gradient_of_the_objectives() {
    for act in [Activation::Tanh, Activation::Softplus, Activation::Relu, Activation::LeakyRelu] {
        for loss in [Loss::Standard, Loss::NonSaturating, Loss::Wgan] {
            let p = small(act, loss, "none");
            let z = point(&p);
            let (np, nq) = sizes(&p);
            let f = field(&p, &z);
            let gv = fd(&z, np..np + nq, |z| objectives(&p, z).0);
            let gl = fd(&z, 0..np, |z| objectives(&p, z).1);
            assert_close(&format!("{act:?} {loss:?} F_theta"), &part(&f, 0..np), &gl);
            let neg: Vec<f64> = gv.iter().map(|v| -v).collect();
            assert_close(&format!("{act:?} {loss:?} F_psi"), &part(&f, np..np + nq), &neg);
        }
    }
}

#[test]
fn gradient_penalties_are_exact() {
    for act in [Activation::Tanh, Activation::Softplus, Activation::Relu] {
        for (reg, side, one) in [
            ("r1", GpOn::Real, false),
            ("r2", GpOn::Fake, false),
            ("asymmetric", GpOn::Both, false),
            ("wgan-gp", GpOn::Both, true),
        ] {
            let p = small(act, Loss::Standard, reg);
            let base = small(act, Loss::Standard, "none");
            let z = point(&p);
            let (np, nq) = sizes(&p);
            let (f, f0) = (field(&p, &z), field(&base, &z));
            assert_eq!(part(&f, 0..np), part(&f0, 0..np), "{reg}: the generator never sees the penalty");
            let mut op = GanMixtureOperator::new(&p, 3).unwrap();
            let batch = op.monitor_batch().clone();
            let gr = fd(&z, np..np + nq, |z| 0.7 * op.engine().penalty(z.as_ref(), &batch, side, one));
            assert_close(&format!("{act:?} {reg} gamma grad_psi R"), &sub(&f, &f0, np..np + nq), &gr);
        }
    }
}

#[test]
fn nagarajan_kolter_and_jare_are_exact() {
    for act in [Activation::Tanh, Activation::Softplus] {
        for loss in [Loss::Standard, Loss::NonSaturating, Loss::Wgan] {
            let base = small(act, loss, "none");
            let z = point(&base);
            let (np, nq) = sizes(&base);
            let g = 0.7;
            // ||grad_psi V||^2 and ||grad_theta L_G||^2 from the (tested) base field.
            let dnorm = |z: &Col<f64>| {
                let f = field(&base, z);
                (np..np + nq).map(|i| f[i] * f[i]).sum::<f64>()
            };
            let gnorm = |z: &Col<f64>| {
                let f = field(&base, z);
                (0..np).map(|i| f[i] * f[i]).sum::<f64>()
            };
            // NK: the generator minimises L_G + gamma ||grad_psi V||^2.
            let nk = field(&small(act, loss, "nk"), &z);
            let want = fd(&z, 0..np, |z| objectives(&base, z).1 + g * dnorm(z));
            assert_close(&format!("{act:?} {loss:?} NK F_theta"), &part(&nk, 0..np), &want);
            let f0 = field(&base, &z);
            assert_eq!(part(&nk, np..np + nq), part(&f0, np..np + nq));
            // JARE: L_G + gamma/2 ||grad_psi L_D||^2 and L_D + gamma/2 ||grad_theta L_G||^2.
            let jare = field(&small(act, loss, "jare"), &z);
            let want_t = fd(&z, 0..np, |z| objectives(&base, z).1 + 0.5 * g * dnorm(z));
            let want_p = fd(&z, np..np + nq, |z| -objectives(&base, z).0 + 0.5 * g * gnorm(z));
            assert_close(&format!("{act:?} {loss:?} JARE F_theta"), &part(&jare, 0..np), &want_t);
            assert_close(&format!("{act:?} {loss:?} JARE F_psi"), &part(&jare, np..np + nq), &want_p);
        }
    }
}

#[test]
fn consensus_is_f_plus_gamma_grad_half_norm_squared() {
    for act in [Activation::Tanh, Activation::Relu] {
        for loss in [Loss::Standard, Loss::Wgan] {
            let base = small(act, loss, "none");
            let z = point(&base);
            let n = z.nrows();
            let f0 = field(&base, &z);
            let co = field(&small(act, loss, "consensus"), &z);
            let want = fd(&z, 0..n, |z| {
                let f = field(&base, z);
                0.5 * (0..n).map(|i| f[i] * f[i]).sum::<f64>()
            });
            let got: Vec<f64> = (0..n).map(|i| (co[i] - f0[i]) / 0.7).collect();
            assert_close(&format!("{act:?} {loss:?} J^T F"), &got, &want);
        }
    }
    let e =
        vi_core::build_problem("gan-mixture", &serde_json::json!({"reg": "consensus", "loss": "non-saturating"}), 0)
            .unwrap_err()
            .to_string();
    assert!(e.contains("`reg`") && e.contains("zero-sum"), "{e}");
}

#[test]
fn proximal_field_is_the_base_field_at_the_inner_point() {
    let mut p = small(Activation::Tanh, Loss::Standard, "proximal");
    p.regularization.prox_steps = 3;
    p.regularization.prox_lr = 0.2;
    p.regularization.prox_lambda = 2.0;
    let base = small(Activation::Tanh, Loss::Standard, "none");
    let z = point(&p);
    let (np, nq) = sizes(&p);
    // Independent inner loop on grad_psi V = -F_psi of the base field.
    let mut zt = z.clone();
    for _ in 0..3 {
        let f = field(&base, &zt);
        for i in np..np + nq {
            zt[i] += 0.2 * (-f[i] - 2.0 * (zt[i] - z[i]));
        }
    }
    let want = field(&base, &zt);
    let got = field(&p, &z);
    assert_close("proximal field", &part(&got, 0..np + nq), &part(&want, 0..np + nq));
}

#[test]
fn tikhonov_anchors_and_combinations_add_up() {
    let mut p = small(Activation::Softplus, Loss::Standard, "r1+nk");
    let (np, nq) = sizes(&p);
    p.regularization.eps_g = 0.3;
    p.regularization.eps_d = Some(0.2);
    p.regularization.anchor_d = (0..nq).map(|i| 0.01 * i as f64).collect();
    let z = point(&p);
    let f = field(&p, &z);
    let r1 = field(&small(Activation::Softplus, Loss::Standard, "r1"), &z);
    let nk = field(&small(Activation::Softplus, Loss::Standard, "nk"), &z);
    let f0 = field(&small(Activation::Softplus, Loss::Standard, "none"), &z);
    let want: Vec<f64> = (0..np + nq)
        .map(|i| {
            let tik = if i < np { 0.3 * z[i] } else { 0.2 * (z[i] - 0.01 * (i - np) as f64) };
            r1[i] + nk[i] - f0[i] + tik
        })
        .collect();
    assert_close("r1+nk+Tikhonov", &part(&f, 0..np + nq), &want);
    // The asymmetric preset's default Tikhonov weight.
    let mut a = small(Activation::Tanh, Loss::Standard, "asymmetric");
    a.regularization.eps_d = None;
    assert_eq!(a.game("t").unwrap().eps_d, ASYMMETRIC_EPS_D);
    assert_eq!(a.game("t").unwrap().eps_g, 0.0);
    // gamma: 10 with a gradient penalty, NK's 0.5 otherwise.
    a.gamma = None;
    assert_eq!(a.game("t").unwrap().gamma, PENALTY_GAMMA);
    a.preset = "grid".into();
    assert_eq!(a.game("t").unwrap().gamma, GRID_PENALTY_GAMMA);
    a.regularization.reg = "nk".into();
    assert_eq!(a.game("t").unwrap().gamma, CROSS_GAMMA);
    assert_eq!(a.game("t").unwrap().eps_d, 0.0);
    // The grid's run defaults: a larger step and a longer budget than the ring's.
    let ring = run_defaults(&GanMixtureParams::default());
    let grid = run_defaults(&GanMixtureParams { preset: "grid".into(), ..Default::default() });
    assert_eq!((ring.budget.max_iters, grid.budget.max_iters), (Some(64_000), Some(80_000)));
    assert_eq!((ring.solver[0]["step"].clone(), grid.solver[0]["step"].clone()), (json!(7e-5), json!(1.5e-4)));
}

#[test]
fn stochastic_oracle_is_seeded_and_monitor_is_fixed() {
    let mut p = small(Activation::Relu, Loss::Standard, "asymmetric");
    p.fixed_sample = false;
    let z = point(&p);
    let n = z.nrows();
    let run = |seed| {
        let mut op = GanMixtureOperator::new(&p, seed).unwrap();
        let mut a = Col::zeros(n);
        let mut b = Col::zeros(n);
        let mut m1 = Col::zeros(n);
        let mut m2 = Col::zeros(n);
        op.eval_monitor(z.as_ref(), m1.as_mut());
        op.eval(z.as_ref(), a.as_mut());
        op.eval_monitor(z.as_ref(), m2.as_mut());
        op.eval(z.as_ref(), b.as_mut());
        assert_eq!(m1, m2, "the monitor batch is fixed");
        assert_ne!(a, b, "each eval draws a fresh minibatch");
        (a, b)
    };
    let (a1, b1) = run(4);
    // Monitoring in between does not shift the training stream.
    let mut op = GanMixtureOperator::new(&p, 4).unwrap();
    let mut a = Col::zeros(n);
    let mut b = Col::zeros(n);
    op.eval(z.as_ref(), a.as_mut());
    op.eval(z.as_ref(), b.as_mut());
    assert_eq!((a, b), (a1.clone(), b1));
    assert_ne!(run(5).0, a1);
    // fixed_sample: eval is deterministic and equals eval_monitor.
    p.fixed_sample = true;
    let mut op = GanMixtureOperator::new(&p, 4).unwrap();
    let mut a = Col::zeros(n);
    let mut b = Col::zeros(n);
    op.eval(z.as_ref(), a.as_mut());
    op.eval_monitor(z.as_ref(), b.as_mut());
    assert_eq!(a, b);
}

#[test]
fn metrics_follow_the_veegan_definitions() {
    let mix = GanMixtureParams::default().mixture("t").unwrap();
    assert_eq!(mix.means.len(), 8);
    assert!((mix.means[2][0] - 2.0).abs() < 1e-12 && mix.means[2][1].abs() < 1e-12);
    // 3 samples on mode 0, 1 on mode 1, one far away (not high quality).
    let s = [[0.0, 2.0], [0.01, 2.0], [0.0, 1.95], mix.means[1], [0.0, 0.0]];
    let q = sample_quality(&mix, s.iter().copied());
    assert_eq!(q.modes, 2.0);
    assert!((q.high_quality - 0.8).abs() < 1e-12);
    let want = 0.75 * (8.0f64 * 0.75).ln() + 0.25 * (8.0f64 * 0.25).ln();
    assert!((q.reverse_kl - want).abs() < 1e-12);
    // Uniform over all modes: KL 0; nothing high quality: ln K.
    let q = sample_quality(&mix, mix.means.iter().copied());
    assert_eq!((q.modes, q.high_quality, q.reverse_kl), (8.0, 1.0, 0.0));
    let q = sample_quality(&mix, [[0.0, 0.0]].into_iter());
    assert_eq!((q.modes, q.high_quality), (0.0, 0.0));
    assert!((q.reverse_kl - 8f64.ln()).abs() < 1e-15);
    // The grid preset.
    let g = GanMixtureParams { preset: "grid".into(), ..Default::default() }.mixture("t").unwrap();
    assert_eq!(g.means.len(), 25);
    assert_eq!(g.means[0], [-4.0, -4.0]);
    assert_eq!(g.std, 0.05);
}

#[test]
fn problem_metrics_and_samples_depend_only_on_z() {
    let params =
        serde_json::json!({"latent_dim": 4, "g_hidden": [8], "d_hidden": [8], "batch": 8, "metric_samples": 300});
    let mut p = vi_core::build_problem("gan-mixture", &params, 7).unwrap();
    assert_eq!(p.metric_names(), vec!["modes", "high_quality", "reverse_kl"]);
    assert_eq!(p.blocks()[0].name, "generator");
    assert_eq!(p.blocks()[1].name, "discriminator");
    let z = p.start().to_owned();
    let m1 = p.metrics(z.as_ref());
    let s1 = p.samples(z.as_ref(), 10).unwrap();
    let mut q = vi_core::build_problem("gan-mixture", &params, 7).unwrap();
    assert_eq!(q.metrics(z.as_ref()), m1);
    assert_eq!(q.samples(z.as_ref(), 10).unwrap(), s1);
    assert_eq!(q.reference_points().len(), 8);
    assert_eq!(p.start(), q.start());
}

#[test]
fn bad_parameters_name_the_culprit() {
    let e = |v: serde_json::Value| vi_core::build_problem("gan-mixture", &v, 0).unwrap_err().to_string();
    let s = e(serde_json::json!({"preset": "spiral"}));
    assert!(s.contains("`preset`") && s.contains("grid"), "{s}");
    let s = e(serde_json::json!({"preset": "grid", "modes": 24}));
    assert!(s.contains("`modes`") && s.contains("square"), "{s}");
    let s = e(serde_json::json!({"reg": "r3"}));
    assert!(s.contains("`reg`") && s.contains("asymmetric"), "{s}");
    let s = e(serde_json::json!({"g_act": "sigmoid"}));
    assert!(s.contains("g_act") && s.contains("leaky-relu"), "{s}");
    let s = e(serde_json::json!({"gamma": -1.0}));
    assert!(s.contains("`gamma`"), "{s}");
    let s = e(serde_json::json!({"std": 0.0}));
    assert!(s.contains("`std`"), "{s}");
    let s = e(serde_json::json!({"anchor_d": [1.0, 2.0]}));
    assert!(s.contains("`anchor_d`") && s.contains("entries"), "{s}");
    let s = e(serde_json::json!({"reg": "proximal+nk"}));
    assert!(s.contains("proximal") && s.contains("nk"), "{s}");
    for t in [0, 257] {
        let s = e(serde_json::json!({ "threads": t }));
        assert!(s.contains("`threads`") && s.contains("1..=256") && s.contains(&t.to_string()), "{s}");
    }
}

#[test]
fn a_finite_data_set_is_the_average_of_its_chunks() {
    let mut p = small(Activation::Relu, Loss::Standard, "asymmetric");
    let z = point(&p);
    let n = z.nrows();
    // One chunk is the fixed-sample batch: same stream, same draws.
    let mut fixed = GanMixtureOperator::new(&p, 4).unwrap();
    p.fixed_sample = false;
    p.dataset_size = p.batch;
    let mut one = GanMixtureOperator::new(&p, 4).unwrap();
    let (mut a, mut b) = (Col::zeros(n), Col::zeros(n));
    fixed.eval(z.as_ref(), a.as_mut());
    one.eval(z.as_ref(), b.as_mut());
    assert_eq!(a, b);
    assert!(fixed.finite_sum().is_none() && one.finite_sum().unwrap().components() == 1);
    // Three chunks: eval and eval_monitor are the mean of the components, every call the same.
    p.dataset_size = 3 * p.batch;
    let mut op = GanMixtureOperator::new(&p, 4).unwrap();
    assert_eq!(op.finite_sum().unwrap().components(), 3);
    let (mut full, mut mon, mut sum, mut c) = (Col::zeros(n), Col::zeros(n), Col::<f64>::zeros(n), Col::zeros(n));
    op.eval(z.as_ref(), full.as_mut());
    op.eval_monitor(z.as_ref(), mon.as_mut());
    assert_eq!(full, mon);
    for i in 0..3 {
        op.finite_sum_mut().unwrap().eval_component(i, z.as_ref(), c.as_mut());
        sum += &c;
    }
    let err = (&full - &sum * faer::Scale(1.0 / 3.0)).norm_l2();
    assert!(err <= 1e-14 * full.norm_l2(), "{err}");
    // The first chunk is the one-chunk data set's batch; the others differ.
    op.finite_sum_mut().unwrap().eval_component(0, z.as_ref(), c.as_mut());
    assert_eq!(c, b);
    op.finite_sum_mut().unwrap().eval_component(1, z.as_ref(), c.as_mut());
    assert_ne!(c, b);
}

#[test]
fn bad_data_set_sizes_are_refused_naming_the_parameter() {
    let mut p = small(Activation::Relu, Loss::Standard, "none");
    p.dataset_size = 6; // batch = 4
    let e = p.clone().check("problem gan-mixture").unwrap_err().to_string();
    assert!(e.contains("`dataset_size`") && e.contains("multiple of batch = 4"), "{e}");
    p.dataset_size = 8;
    let e = p.clone().check("problem gan-mixture").unwrap_err().to_string();
    assert!(e.contains("`dataset_size`") && e.contains("fixed_sample"), "{e}");
    p.fixed_sample = false;
    assert!(p.clone().check("problem gan-mixture").is_ok());
    // A data set whose full pass exceeds the work limit of one oracle call.
    let mut big = GanMixtureParams { dataset_size: 256 * 100_000, ..Default::default() };
    let e = big.clone().check("problem gan-mixture").unwrap_err().to_string();
    assert!(e.contains("`dataset_size`"), "{e}");
    big.dataset_size = 2560;
    assert!(big.clone().check("problem gan-mixture").is_ok());
}
