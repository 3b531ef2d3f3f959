//! One `gan-mixture` oracle call (minibatch draw + exact field) at the default size (G
//! 16 -> 128 -> 128 -> 2, D 2 -> 128 -> 1, batch 256), for each regularizer, and the same with
//! the paper's latent dimension 256 and batch 512 for the asymmetric preset.
//!
//! Each case also runs as `NAME_cpu`, timed by the thread's CPU time (see `common`).
//!
//! `cargo bench -p vi-bench --bench gan_oracle`

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use faer::Col;
// Force-link the plugin crates so their registrations are visible.
use vi_problems as _;
use vi_solvers as _;

mod common;
use common::wall_and_cpu;

fn oracle(c: &mut Criterion) {
    let mut group = c.benchmark_group("gan_mixture_oracle");
    let cases: Vec<(String, serde_json::Value)> =
        ["none", "asymmetric", "r1", "r2", "wgan-gp", "nk", "jare", "consensus", "proximal"]
            .iter()
            .map(|r| (r.to_string(), serde_json::json!({ "reg": r })))
            .chain(std::iter::once((
                "asymmetric-latent256-batch512".to_string(),
                serde_json::json!({"reg": "asymmetric", "latent_dim": 256, "batch": 512}),
            )))
            .collect();
    for (name, params) in cases {
        let mut p = vi_core::build_problem("gan-mixture", &params, 0).unwrap();
        let z = p.start().to_owned();
        let mut out = Col::zeros(p.dim());
        p.eval(z.as_ref(), out.as_mut());
        wall_and_cpu(&mut group, &format!("eval/{name}"), || {
            p.eval(black_box(z.as_ref()), out.as_mut());
            black_box(out[0]);
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = oracle
}
criterion_main!(benches);
