//! A solver defined outside vi-solvers, as a user would write it: declared with `params!`,
//! registered with one line, and described to the theory through `Solver::linear_model` and
//! `Solver::predicted_step`. `diagnose` asks it, by trait and not by name, and its prediction
//! matches what a run measures.

use faer::{Col, ColRef};
use serde_json::json;
use vi_bench::cli::Selection;
use vi_bench::diagnose::{diagnose, DiagnoseArgs};
use vi_core::{
    BuildContext, Checked, LinearModel, Method, PredictedStep, Problem, Result, Solver, StepRule, StepStatus,
};
use vi_problems as _;
use vi_solvers as _;

vi_core::params! {
    /// Parameters of the momentum method.
    pub struct MomentumParams {
        /// step size: a number or "auto" (factor / L)
        pub step: StepRule = StepRule::Auto, fixed_or_auto();
        /// eta = factor / L for "auto"
        pub factor: f64 = 0.2, open(0.0, 1.0);
        /// momentum weight beta
        pub beta: f64 = 0.3, closed_open(0.0, 1.0);
    }
}

/// Gradient descent-ascent with heavy-ball momentum: `z+ = z - eta F(z) + beta (z - z-)`.
#[derive(Clone, Debug)]
pub struct MomentumGda {
    params: MomentumParams,
    eta: f64,
    z: Col<f64>,
    z_prev: Col<f64>,
    f: Col<f64>,
}

impl Solver for MomentumGda {
    fn name(&self) -> &str {
        Self::NAME
    }
    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        self.z = problem.start().to_owned();
        self.z_prev = self.z.clone();
        self.f = Col::zeros(problem.dim());
        self.eta = self.params.step.resolve(problem, self.params.factor)?;
        Ok(())
    }
    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        problem.eval(self.z.as_ref(), self.f.as_mut());
        let (eta, beta) = (self.eta, self.params.beta);
        for i in 0..self.z.nrows() {
            let z = self.z[i];
            self.z[i] = z - eta * self.f[i] + beta * (z - self.z_prev[i]);
            self.z_prev[i] = z;
        }
        problem.project(self.z.as_mut());
        StepStatus::Continue
    }
    fn iterate(&self) -> ColRef<'_, f64> {
        self.z.as_ref()
    }
    fn step_size(&self) -> Option<f64> {
        Some(self.eta)
    }
    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        // Per eigenvalue, h = eta lambda: x+ = (1 + beta - h) x - beta x-.
        let beta = self.params.beta;
        Ok(LinearModel::modal("momentum-gda", 1, move |h| vec![1.0 + beta - h, (-beta).into()]))
    }
    fn predicted_step(&self, lipschitz: f64, _mu: Option<f64>) -> Option<PredictedStep> {
        self.params.step.predict(self.params.factor, lipschitz)
    }
}

impl Method for MomentumGda {
    const NAME: &'static str = "test-momentum-gda";
    const SUMMARY: &'static str = "GDA with heavy-ball momentum (a user solver in a test)";
    type Params = MomentumParams;
    fn build(params: Checked<MomentumParams>, _ctx: &BuildContext) -> Result<Self> {
        let z = || Col::zeros(0);
        Ok(Self { params: params.into_inner(), eta: 0.0, z: z(), z_prev: z(), f: z() })
    }
}

vi_core::register_solver!(MomentumGda);

#[test]
fn diagnose_predicts_a_user_solver_from_its_own_description() {
    let args = DiagnoseArgs {
        selection: Selection {
            problem: "quadratic".into(),
            set: vec!["problem.n=6".into(), "problem.rho=0.5".into()],
            seed: 0,
        },
        at: "solution".into(),
        json: true,
        solvers: vec!["test-momentum-gda".into(), "extragradient".into()],
        measure_iters: 400,
        offset: 1e-3,
        dense_max: 1000,
        krylov: 60,
        bounds: 0,
        radius: 0.5,
    };
    let d = diagnose(&args).unwrap();
    let p = &d.predictions["test-momentum-gda"];
    assert_eq!(p["model"], json!("momentum-gda"));
    let step = p["step"].as_f64().unwrap();
    assert!((step - 0.2 / d.spectrum.lipschitz).abs() < 1e-12, "{p}");
    assert!(p["step_rule"].as_str().unwrap().starts_with("auto"), "{p}");
    let (rate, measured) = (p["rate"].as_f64().unwrap(), p["measured_rate"].as_f64().unwrap());
    assert!(rate < 1.0 && rate > 0.5, "{p}");
    assert!((rate - measured).abs() < 2e-3 * rate, "predicted {rate} vs measured {measured}");
    // Its stable range comes from the same description: at that step the factor is 1.
    let smax = p["max_stable_step"].as_f64().unwrap();
    assert!(smax > step, "{p}");
    // A built-in solver goes through the same path.
    assert_eq!(d.predictions["extragradient"]["model"], json!("extragradient"));
    // The user solver is in the registry like any built-in one, and checks its parameters.
    let e = vi_core::build_solver("test-momentum-gda", &json!({"beta": 1.0}), 0).err().unwrap().to_string();
    assert!(e.contains("`beta`") && e.contains("[0, 1)"), "{e}");
}
