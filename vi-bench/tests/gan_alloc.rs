//! Proves that the GAN operators (every game x every regularizer) evaluate without heap
//! allocation after one warm-up call, with a per-thread counting global allocator; and that a
//! whole EFTP run on the Dirac-GAN allocates nothing per step either.

use faer::Col;
use serde_json::json;
use vi_core::alloc_check::{allocations_during, CountingAllocator};
use vi_problems as _;
use vi_solvers as _;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn gan_operators_do_not_allocate() {
    let cases = [
        (
            "gan-dirac",
            vec!["none", "asymmetric", "r1", "r2", "nk", "jare", "consensus", "proximal", "wgan-gp", "r1+nk"],
        ),
        (
            "gan-gaussian-mean",
            vec!["none", "asymmetric", "r1", "r2", "nk", "jare", "consensus", "proximal", "wgan-gp", "r2+consensus"],
        ),
        ("gan-covariance", vec!["none", "asymmetric", "r1", "r2", "nk", "jare", "consensus", "proximal"]),
        (
            "gan-two-point",
            vec!["none", "asymmetric", "r1", "r2", "nk", "jare", "consensus", "proximal", "r2+consensus"],
        ),
    ];
    for (name, regs) in cases {
        for reg in regs {
            for loss in ["standard", "non-saturating", "wgan"] {
                if name == "gan-two-point" && loss != "wgan" {
                    continue; // only the WGAN loss has the closed form
                }
                let mut p =
                    vi_core::build_problem(name, &json!({"reg": reg, "loss": loss, "eps_g": 0.1, "gp_on": "both"}), 0)
                        .unwrap();
                let z = p.start().to_owned();
                let mut out = Col::<f64>::zeros(p.dim());
                p.eval(z.as_ref(), out.as_mut());
                let n = allocations_during(|| {
                    for _ in 0..20 {
                        p.eval(z.as_ref(), out.as_mut());
                    }
                });
                assert_eq!(n, 0, "{name} with reg {reg}, loss {loss}: {n} allocations in 20 evaluations");
            }
        }
    }
}

#[test]
fn eftp_steps_on_the_dirac_gan_do_not_allocate() {
    let mut p = vi_core::build_problem("gan-dirac", &json!({"reg": "asymmetric"}), 0).unwrap();
    let (mut s, _) = vi_core::build_solver("eftp", &json!({"step": 0.2}), 0).unwrap();
    s.init(&mut p).unwrap();
    for _ in 0..3 {
        s.step(&mut p);
    }
    let n = allocations_during(|| {
        for _ in 0..100 {
            s.step(&mut p);
        }
    });
    assert_eq!(n, 0);
}
