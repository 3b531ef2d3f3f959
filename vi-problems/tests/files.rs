//! Problems read from files (`affine`, `matrix-game` with `file`): parsing through the registry,
//! known solutions, and one clear error per kind of bad input.

use faer::Col;
use serde_json::json;
use vi_core::{build_problem, Monotonicity, Problem};
// Force-link the crate under test so its registrations are visible.
use vi_problems as _;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn build(name: &str, params: serde_json::Value) -> Problem {
    build_problem(name, &params, 0).unwrap_or_else(|e| panic!("{name} {params}: {e}"))
}

fn build_err(name: &str, params: serde_json::Value) -> String {
    build_problem(name, &params, 0).unwrap_err().to_string()
}

/// A temporary directory unique to this test process and `tag`.
fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("vi-problems-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn builtin_affine_example_is_sparse_with_exact_constants() {
    let mut p = build("affine", json!({}));
    assert_eq!(p.dim(), 8);
    // Symmetric part tridiag(-0.5, 2, -0.5): eigenvalues 2 - cos(k pi / 9), k = 1..8.
    let mu = 2.0 - (std::f64::consts::PI / 9.0).cos();
    assert!((p.strong_monotonicity().unwrap() - mu).abs() < 1e-12);
    assert_eq!(p.operator().monotonicity(), Monotonicity::StronglyMonotone);
    // F(z) = tridiag(-1.5, 2, 0.5) z + q, against the formula.
    let q = [1.0, -1.0, 0.5, 2.0, 0.0, -0.5, 1.0, -2.0];
    let z = Col::from_fn(8, |i| (i as f64 * 0.7).sin());
    let mut f = Col::zeros(8);
    p.operator_mut().eval(z.as_ref(), f.as_mut());
    for i in 0..8 {
        let mut e = 2.0 * z[i] + q[i];
        if i > 0 {
            e -= 1.5 * z[i - 1];
        }
        if i < 7 {
            e += 0.5 * z[i + 1];
        }
        assert!((f[i] - e).abs() < 1e-14, "{i}");
    }
    let s = p.solution().unwrap().to_owned();
    assert!(p.natural_residual(s.as_ref()) < 1e-12);
    // L = sigma_max: compare with the dense SVD of the Jacobian.
    let j = p.operator_mut().jacobian(z.as_ref()).unwrap();
    assert!((p.lipschitz().unwrap() - j.singular_values().unwrap()[0]).abs() < 1e-12);
}

#[test]
fn affine_operators_are_strongly_monotone_on_random_pairs_as_claimed() {
    // Built-in example (sparse) and the dense array file: <F z - F w, z - w> >= mu ||z - w||^2.
    for params in [json!({}), json!({"matrix": data("lcp4.mtx")})] {
        let mut p = build("affine", params.clone());
        let n = p.dim();
        let mu = p.strong_monotonicity().unwrap();
        assert!(mu > 1.0, "{params}: {mu}");
        let mut rng = vi_core::rng::seeded(8, 1);
        let (mut f, mut g) = (Col::zeros(n), Col::zeros(n));
        for _ in 0..20 {
            let z = Col::from_fn(n, |_| vi_core::rng::normal(&mut rng));
            let w = Col::from_fn(n, |_| vi_core::rng::normal(&mut rng));
            p.operator_mut().eval(z.as_ref(), f.as_mut());
            p.operator_mut().eval(w.as_ref(), g.as_mut());
            let inner: f64 = (0..n).map(|i| (f[i] - g[i]) * (z[i] - w[i])).sum();
            let d2: f64 = (0..n).map(|i| (z[i] - w[i]).powi(2)).sum();
            assert!(inner >= mu * d2 * (1.0 - 1e-12), "{params}: {inner} < {}", mu * d2);
        }
    }
}

#[test]
fn affine_lcp_from_files_has_the_hand_computed_solution() {
    let mut p = build("affine", json!({"matrix": data("lcp4.mtx"), "vector": data("lcp4_q.txt"), "set": "orthant"}));
    let s = p.solution().expect("reference solution").to_owned();
    let expected = [0.5, 0.0, 0.9, 0.2];
    for i in 0..4 {
        assert!((s[i] - expected[i]).abs() < 1e-11, "{i}: {}", s[i]);
    }
    assert!(p.natural_residual(s.as_ref()) < 1e-10);
    assert!((p.strong_monotonicity().unwrap() - 2.0).abs() < 1e-12);
    // Unconstrained: the LU solution of M z = -q.
    let mut p = build("affine", json!({"matrix": data("lcp4.mtx"), "vector": data("lcp4_q.txt")}));
    let s = p.solution().unwrap().to_owned();
    let mut f = Col::zeros(4);
    p.operator_mut().eval(s.as_ref(), f.as_mut());
    assert!(f.norm_l2() < 1e-14);
}

#[test]
fn affine_box_and_simplex_blocks_reference_solutions() {
    for params in [
        json!({"matrix": data("lcp4.mtx"), "vector": data("lcp4_q.txt"), "set": "box", "lower": -0.3, "upper": 0.4}),
        json!({"matrix": data("lcp4.mtx"), "vector": data("lcp4_q.txt"), "set": "simplex", "blocks": [1, 3]}),
        json!({"matrix": data("lcp4.mtx"), "set": "simplex"}),
        json!({"set": "box"}),
    ] {
        let mut p = build("affine", params.clone());
        assert!(p.set().contains(p.start(), 1e-15), "{params}");
        let s = p.solution().unwrap_or_else(|| panic!("{params}: no reference")).to_owned();
        assert!(p.natural_residual(s.as_ref()) < 1e-10, "{params}");
        assert!(p.set().contains(s.as_ref(), 1e-12), "{params}");
    }
    let p = build("affine", json!({"matrix": data("lcp4.mtx"), "set": "simplex", "blocks": [1, 3]}));
    assert_eq!(p.blocks().len(), 2);
    assert_eq!(p.blocks()[1].range, 1..4);
}

#[test]
fn large_sparse_matrix_stays_sparse_with_a_power_estimate() {
    let n = 3000;
    let dir = temp_dir("sparse");
    let path = dir.join("tridiag.mtx");
    let mut text = format!("%%MatrixMarket matrix coordinate real general\n{n} {n} {}\n", 3 * n - 2);
    for i in 1..=n {
        text.push_str(&format!("{i} {i} 2\n"));
        if i < n {
            text.push_str(&format!("{} {i} -1.5\n{i} {} 0.5\n", i + 1, i + 1));
        }
    }
    std::fs::write(&path, text).unwrap();
    let mut p = build("affine", json!({"matrix": path.to_str().unwrap()}));
    assert_eq!(p.dim(), n);
    // Not densified: no dense Jacobian is offered above the small-size limit.
    let z = Col::from_fn(n, |i| (i as f64).cos());
    assert!(p.operator_mut().jacobian(z.as_ref()).is_none());
    // sigma_max of tridiag(-1.5, 2, 0.5) tends to sqrt(28/3) = 3.0551 from below
    // (|symbol|^2 = 8 - 4c - 3c^2, maximal at c = -2/3); the estimate is a lower bound.
    let l = p.lipschitz().unwrap();
    assert!(l > 3.05 && l <= (28.0f64 / 3.0).sqrt() + 1e-12, "{l}");
    assert!(p.solution().is_none());
    assert_eq!(p.operator().monotonicity(), Monotonicity::Unknown);
    let mut f = Col::zeros(n);
    p.operator_mut().eval(z.as_ref(), f.as_mut());
    for i in [0, 1, n / 2, n - 1] {
        let mut e = 2.0 * z[i];
        if i > 0 {
            e -= 1.5 * z[i - 1];
        }
        if i + 1 < n {
            e += 0.5 * z[i + 1];
        }
        assert!((f[i] - e).abs() < 1e-13);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn matrix_game_from_files() {
    // The two-by-two game as a plain file: the reference equilibrium is (2/5, 3/5) twice.
    let mut p = build("matrix-game", json!({"file": data("game_2x2.txt")}));
    let s = p.solution().expect("reference").to_owned();
    for (i, e) in [0.4, 0.6, 0.4, 0.6].into_iter().enumerate() {
        assert!((s[i] - e).abs() < 1e-10, "{i}: {}", s[i]);
    }
    let m = p.metrics(s.as_ref());
    assert!((m["game_value"] - 0.2).abs() < 1e-10, "{m:?}");
    // A 3 x 2 Matrix Market game: value 6/5, x* = (3/5, 2/5, 0), y* = (2/5, 3/5).
    let mut p = build("matrix-game", json!({"preset": "file", "file": data("game_3x2.mtx")}));
    assert_eq!(p.dim(), 5);
    assert_eq!(p.blocks()[0].range, 0..3);
    let s = p.solution().expect("reference").to_owned();
    for (i, e) in [0.6, 0.4, 0.0, 0.4, 0.6].into_iter().enumerate() {
        assert!((s[i] - e).abs() < 1e-10, "{i}: {}", s[i]);
    }
    assert!(p.natural_residual(s.as_ref()) < 1e-10);
    let m = p.metrics(s.as_ref());
    assert!((m["game_value"] - 1.2).abs() < 1e-10 && m["duality_gap"].abs() < 1e-10, "{m:?}");
    // Pure strategies (row 1, column 1): A^T e1 = (0, 2) max 2; A e1 = (0, 3, 1.5) min 0: gap 2.
    let z = vi_core::linalg::col_from_slice(&[1.0, 0.0, 0.0, 1.0, 0.0]);
    assert_eq!(p.metrics(z.as_ref())["duality_gap"], 2.0);
}

#[test]
fn bad_files_give_one_clear_message_each() {
    let ragged = data("ragged.txt");
    assert_eq!(
        build_err("affine", json!({"matrix": ragged})),
        format!("cannot read `{ragged}`: line 2: row has 2 entries, but the first row (line 1) has 3")
    );
    assert_eq!(
        build_err("matrix-game", json!({"file": ragged})),
        format!("cannot read `{ragged}`: line 2: row has 2 entries, but the first row (line 1) has 3")
    );
    let ns = data("nonsquare.mtx");
    assert_eq!(
        build_err("affine", json!({"matrix": ns})),
        format!("cannot read `{ns}`: the matrix of an affine VI must be square, found 2 x 3")
    );
    // A non-square payoff matrix is fine for a game.
    assert_eq!(build("matrix-game", json!({"file": ns})).dim(), 5);
    let q = data("lcp4_q.txt");
    let g = data("game_2x2.txt");
    assert_eq!(
        build_err("affine", json!({"matrix": g, "vector": q})),
        format!("cannot read `{q}`: the vector has 4 entries, but the matrix `{g}` is 2 x 2")
    );
    let missing = data("no-such-file.mtx");
    let e = build_err("affine", json!({"matrix": missing}));
    assert!(e.starts_with(&format!("cannot read `{missing}`: ")) && e.contains("No such file"), "{e}");
    let dir = temp_dir("bad");
    let bad = dir.join("bad.mtx");
    std::fs::write(&bad, "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 4\n1 x 1\n").unwrap();
    let bad = bad.to_str().unwrap().to_string();
    assert_eq!(
        build_err("affine", json!({"matrix": bad})),
        format!("cannot read `{bad}`: line 4: column index `x` is not a positive integer")
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_affine_parameters_are_rejected() {
    assert_eq!(
        build_err("affine", json!({"set": "ball"})),
        "invalid value for parameter `set` of problem affine: unknown set `ball`; valid sets: \"none\", \"orthant\", \
         \"box\", \"simplex\""
    );
    assert_eq!(
        build_err("affine", json!({"set": "box", "lower": 2.0, "upper": 1.0})),
        "invalid value for parameter `lower` of problem affine: must be <= upper = 1, got 2"
    );
    assert_eq!(
        build_err("affine", json!({"set": "simplex", "blocks": [3, 3]})),
        "invalid value for parameter `blocks` of problem affine: block sizes [3, 3] sum to 6, but the matrix is 8 x 8"
    );
    assert_eq!(
        build_err("affine", json!({"blocks": [8]})),
        "invalid value for parameter `blocks` of problem affine: block sizes are only used with set = \"simplex\""
    );
    assert_eq!(
        build_err("affine", json!({"vector": "q.txt"})),
        "invalid value for parameter `vector` of problem affine: give `matrix` too (the built-in example has its own \
         vector)"
    );
}
