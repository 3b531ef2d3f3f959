//! # Tikhonov continuation (Facchinei & Pang 2003, Section 12.2)
//!
//! Solves a sequence of regularised problems with any registered solver as the inner method:
//!
//! ```text
//! stage j:  VI(C, F + eps_j (z - anchor)),   eps_j = max(eps0 * shrink^j, eps_min)
//! ```
//!
//! `F + eps (z - anchor)` is `eps`-strongly monotone, so each stage has a unique solution
//! `z_eps`, and for monotone `F` with a nonempty solution set `z_eps` tends, as `eps -> 0`, to
//! the solution closest to the anchor (the minimum-norm solution for anchor 0; docs/math.md §2.7).
//! Plain methods instead converge to *some* solution that depends on the start.
//!
//! One iteration is one inner iteration on the shifted operator, installed with
//! [`Problem::set_tikhonov`]: every evaluation the inner method makes is a counted oracle call
//! of the original problem (the shift is free), so oracle calls per iteration are those of the
//! inner method. Every `stage_check_every` inner iterations the natural residual of the
//! *shifted* problem, `||z - P(z - F_eps(z))||`, is computed with one counted oracle call and
//! one counted projection (the stage switch is an algorithmic decision, so it is paid for like
//! any other evaluation). A stage ends when that residual is at most
//! `stage_tol_factor * eps_j`, or after `stage_max_iters` inner iterations; the next stage
//! warm-starts from the current point: the inner solver simply continues (its stored state,
//! e.g. EFTP's past evaluation, carries over as a small perturbation). Once `eps` reaches
//! `eps_min` the last stage continues indefinitely: the run is stopped by the runner's
//! tolerance on the residual of the *original* problem.
//!
//! Why the stage tolerance is relative to `eps_j`: the shifted operator is only
//! `eps_j`-strongly monotone, so a stage residual `r` bounds the distance to `z_eps` by about
//! `r / eps_j`, i.e. by `stage_tol_factor`, in the directions `F` does not see (e.g. the kernel
//! of a singular bilinear game, where the original residual is blind). The default `0.01` puts
//! the minimum-norm solution of the test game within `4e-9`; `0.1` leaves `5e-5` (the
//! kernel error is removed mostly in the early, strongly regularised stages). The stages (eps, inner iterations,
//! oracle calls, shifted residual at the end) are reported by [`Solver::info`].
//!
//! Step sizes of the inner method are resolved once, at `init`, for the first stage (`L` of the
//! shifted operator is `L + eps0`, an upper bound for every later stage), so rules of the form
//! `factor / L` stay valid throughout. GDA's `mu / L^2` rule does not (it needs
//! `eta < 2 eps_j / L^2`, shrinking with `eps_j`): prefer extrapolation methods inside.
//!
//! Memory: the shifted operators of all stages down to `eps_min` are built at `init` (one
//! weight vector and one anchor copy per stage, at most 1000 stages), so no stage switch
//! allocates. The runner removes the shift from the problem when the run ends.
//!
//! ## Step size
//! `step` is forwarded to the inner solver (unless `inner_params` sets its own `step`).
//!
//! ## References
//! - F. Facchinei, J.-S. Pang, *Finite-Dimensional Variational Inequalities and
//!   Complementarity Problems*, Vol. II, Springer 2003, Section 12.2.
//! - A. B. Bakushinskii, "Methods for solving monotonic variational inequalities, based on the
//!   principle of iterative regularization", Zh. Vychisl. Mat. Mat. Fiz. 17(6) (1977).

use faer::{Col, ColRef};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use vi_core::{
    BuildContext, Checked, Error, LinearModel, Method, Problem, Result, Solver, StepRule, StepStatus, TikhonovTerm,
};

/// Largest number of stages down to `eps_min`.
const MAX_STAGES: usize = 1000;

/// The Tikhonov anchor: `"zero"`, `"start"` or an explicit point (a JSON array).
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Anchor {
    /// The origin: the limit is the minimum-norm solution.
    #[default]
    Zero,
    /// The problem's start.
    Start,
    /// An explicit point.
    Point(Vec<f64>),
}

impl Serialize for Anchor {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Anchor::Zero => s.serialize_str("zero"),
            Anchor::Start => s.serialize_str("start"),
            Anchor::Point(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Anchor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let bad = || serde::de::Error::custom("expected \"zero\", \"start\" or an array of numbers");
        match Value::deserialize(d)? {
            Value::String(s) if s == "zero" => Ok(Anchor::Zero),
            Value::String(s) if s == "start" => Ok(Anchor::Start),
            Value::Array(a) => {
                a.iter().map(|v| v.as_f64().ok_or_else(bad)).collect::<std::result::Result<_, _>>().map(Anchor::Point)
            }
            _ => Err(bad()),
        }
    }
}

vi_core::params! {
    /// Parameters of [`TikhonovContinuation`].
    pub struct TikhonovParams {
        /// registered name of the inner solver (any solver but tikhonov)
        pub inner: String = "extragradient";
        /// parameters of the inner solver, an object
        pub inner_params: Map<String, Value> = Map::new();
        /// forwarded to the inner solver as its `step` unless inner_params sets one
        pub step: StepRule = StepRule::Auto, step_rule();
        /// first regularisation weight
        pub eps0: f64 = 1.0, positive();
        /// eps_{j+1} = shrink * eps_j
        pub shrink: f64 = 0.5, open(0.0, 1.0);
        /// floor of the schedule, in (0, eps0]; the last stage runs until the runner stops
        pub eps_min: f64 = 1e-12;
        /// "zero" (limit: minimum-norm solution), "start" or an array of finite numbers
        pub anchor: Anchor = Anchor::Zero;
        /// a stage ends when the shifted natural residual <= stage_tol_factor * eps
        pub stage_tol_factor: f64 = 0.01, positive();
        /// inner-iteration cap per stage
        pub stage_max_iters: u64 = 10_000, at_least(1.0);
        /// test the stage residual every this many inner iterations (one counted oracle call each)
        pub stage_check_every: u64 = 10, at_least(1.0);
    }
    validate(p, owner) {
        if p.inner == "tikhonov" {
            return Err(Error::param(
                owner,
                "inner",
                "cannot be \"tikhonov\" itself; choose a registered method such as extragradient or eftp",
            ));
        }
        if !(p.eps_min > 0.0 && p.eps_min <= p.eps0) {
            return Err(Error::param(owner, "eps_min", format!("must be in (0, eps0 = {}], got {}", p.eps0, p.eps_min)));
        }
        if p.schedule().len() > MAX_STAGES {
            return Err(Error::param(
                owner,
                "shrink",
                format!("the schedule from eps0 to eps_min needs more than {MAX_STAGES} stages; lower `shrink` or raise `eps_min`"),
            ));
        }
        if let Anchor::Point(a) = &p.anchor {
            if a.iter().any(|x| !x.is_finite()) {
                return Err(Error::param(owner, "anchor", "must contain finite numbers only"));
            }
        }
        Ok(())
    }
}

impl TikhonovParams {
    /// The schedule `max(eps0 shrink^j, eps_min)` down to the floor.
    fn schedule(&self) -> Vec<f64> {
        let mut v = Vec::new();
        let mut e = self.eps0;
        while v.len() <= MAX_STAGES {
            v.push(e.max(self.eps_min));
            if e <= self.eps_min {
                break;
            }
            e *= self.shrink;
        }
        v
    }

    /// The inner parameters with `step` forwarded.
    fn inner_overrides(&self) -> Value {
        let mut m = self.inner_params.clone();
        if !m.contains_key("step") {
            m.insert("step".into(), serde_json::to_value(self.step).unwrap_or(Value::Null));
        }
        Value::Object(m)
    }
}

/// One finished (or the current) stage.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Stage {
    /// The regularisation weight.
    pub eps: f64,
    /// Inner iterations in the stage.
    pub inner_iterations: u64,
    /// Oracle calls in the stage.
    pub oracle_calls: u64,
    /// Natural residual of the shifted problem at the end of the stage.
    pub residual: f64,
}

/// Tikhonov continuation around any registered inner solver. See the module documentation.
#[derive(Clone)]
pub struct TikhonovContinuation {
    params: TikhonovParams,
    inner: Box<dyn Solver>,
    schedule: Vec<f64>,
    /// Prebuilt shifts, taken one by one as the stages advance.
    terms: Vec<Option<TikhonovTerm>>,
    stage: usize,
    stages: Vec<Stage>,
    stage_iters: u64,
    stage_calls_start: u64,
    residual: f64,
    /// Scratch for the counted stage-residual test: `F_eps(z)`, then `P(z - F_eps(z))`.
    scratch: Col<f64>,
}

impl std::fmt::Debug for TikhonovContinuation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TikhonovContinuation")
            .field("inner", &self.inner.name())
            .field("stage", &self.stage)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl TikhonovContinuation {
    /// Builds the continuation and its inner solver through the registry.
    ///
    /// # Errors
    /// Invalid parameters, an unknown inner name, or invalid inner parameters.
    pub fn new(params: Checked<TikhonovParams>, ctx: &BuildContext) -> Result<Self> {
        let params = params.into_inner();
        let (inner, _) = vi_core::build_solver_in(&params.inner, &params.inner_overrides(), ctx)?;
        Ok(Self {
            params,
            inner,
            schedule: Vec::new(),
            terms: Vec::new(),
            stage: 0,
            stages: Vec::new(),
            stage_iters: 0,
            stage_calls_start: 0,
            residual: f64::NAN,
            scratch: Col::zeros(0),
        })
    }

    /// The current regularisation weight.
    pub fn eps(&self) -> f64 {
        self.schedule.get(self.stage).copied().unwrap_or(self.params.eps0)
    }

    /// The finished stages.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }
}

impl Solver for TikhonovContinuation {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn init(&mut self, problem: &mut Problem) -> Result<()> {
        let n = problem.dim();
        let anchor = match &self.params.anchor {
            Anchor::Zero => Col::zeros(n),
            Anchor::Start => problem.start().to_owned(),
            Anchor::Point(p) => {
                if p.len() != n {
                    return Err(Error::dim("solver tikhonov: parameter `anchor`", n, p.len()));
                }
                vi_core::linalg::col_from_slice(p)
            }
        };
        self.schedule = self.params.schedule();
        self.terms = self
            .schedule
            .iter()
            .map(|&e| TikhonovTerm::uniform(e, anchor.as_ref()).map(Some))
            .collect::<Result<_>>()?;
        self.stage = 0;
        self.stages = Vec::with_capacity(self.schedule.len());
        self.stage_iters = 0;
        self.stage_calls_start = problem.counters().oracle_calls;
        self.residual = f64::NAN;
        self.scratch = Col::zeros(n);
        problem.set_tikhonov(self.terms[0].take());
        self.inner.init(problem)
    }

    fn step(&mut self, problem: &mut Problem) -> StepStatus {
        let status = self.inner.step(problem);
        self.stage_iters += 1;
        if let StepStatus::Finished(_) = status {
            return status;
        }
        let eps = self.schedule[self.stage];
        let check = self.stage_iters.is_multiple_of(self.params.stage_check_every);
        if check {
            // Counted: w = F_eps(z) (the shift is installed), then w = P(z - w).
            let z = self.inner.iterate();
            problem.eval(z, self.scratch.as_mut());
            faer::zip!(self.scratch.as_mut(), z).for_each(|faer::unzip!(w, z)| *w = *z - *w);
            problem.project(self.scratch.as_mut());
            self.residual = vi_core::linalg::dist(z, self.scratch.as_ref());
        }
        let done = (check && self.residual <= self.params.stage_tol_factor * eps)
            || self.stage_iters >= self.params.stage_max_iters;
        if done && self.stage + 1 < self.schedule.len() {
            let calls = problem.counters().oracle_calls;
            // Capacity reserved at init: no allocation.
            self.stages.push(Stage {
                eps,
                inner_iterations: self.stage_iters,
                oracle_calls: calls - self.stage_calls_start,
                residual: self.residual,
            });
            self.stage += 1;
            problem.set_tikhonov(self.terms[self.stage].take());
            self.stage_iters = 0;
            self.stage_calls_start = calls;
        }
        StepStatus::Continue
    }

    fn iterate(&self) -> ColRef<'_, f64> {
        self.inner.iterate()
    }

    fn step_size(&self) -> Option<f64> {
        self.inner.step_size()
    }

    fn info(&self) -> Value {
        serde_json::json!({
            "inner": self.inner.name(),
            "stages": self.stages,
            "current": {
                "eps": self.eps(),
                "inner_iterations": self.stage_iters,
                "residual": self.residual,
                "at_floor": self.stage + 1 == self.schedule.len(),
            },
        })
    }

    fn linear_model(&self) -> std::result::Result<LinearModel, String> {
        Err("continuation: converges in stages as eps -> 0, no fixed linear rate".into())
    }
}

impl Method for TikhonovContinuation {
    const NAME: &'static str = "tikhonov";
    const SUMMARY: &'static str =
        "Tikhonov continuation eps_j -> 0 around any inner solver: converges to the solution nearest the anchor";
    type Params = TikhonovParams;

    fn build(params: Checked<TikhonovParams>, ctx: &BuildContext) -> Result<Self> {
        Self::new(params, ctx)
    }
}

vi_core::register_solver!(TikhonovContinuation);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{bilinear, bilinear_xy, build_error, checked, matrix_with_singular_values, run};
    use crate::Extragradient;
    use faer::Mat;
    use vi_core::{linalg, Status};

    fn eg_inner(step: f64, eps0: f64) -> TikhonovContinuation {
        TikhonovContinuation::new(
            checked(TikhonovParams { step: StepRule::Fixed(step), eps0, ..Default::default() }),
            &BuildContext::new(0),
        )
        .unwrap()
    }

    #[test]
    fn rejects_invalid_parameters() {
        let e = build_error("tikhonov", serde_json::json!({"inner": "newton"}));
        assert!(e.contains("unknown solver `newton`") && e.contains("extragradient"), "{e}");
        let e = build_error("tikhonov", serde_json::json!({"inner": "tikhonov"}));
        assert!(e.contains("`inner`"), "{e}");
        let e = build_error("tikhonov", serde_json::json!({"shrink": 1.0}));
        assert!(e.contains("`shrink`") && e.contains("(0, 1)"), "{e}");
        let e = build_error("tikhonov", serde_json::json!({"eps_min": 2.0}));
        assert!(e.contains("`eps_min`"), "{e}");
        let e = build_error("tikhonov", serde_json::json!({"anchor": "origin"}));
        assert!(e.contains("`anchor`") && e.contains("\"zero\", \"start\" or an array"), "{e}");
        let e = build_error("tikhonov", serde_json::json!({"inner_params": {"nu": 2.0}}));
        assert!(e.contains("`nu`") && e.contains("extragradient"), "{e}");
        let e = build_error("tikhonov", serde_json::json!({"shrink": 0.9999, "eps_min": 1e-12}));
        assert!(e.contains("`shrink`") && e.contains("1000 stages"), "{e}");
        let mut s = TikhonovContinuation::new(
            checked(TikhonovParams { anchor: Anchor::Point(vec![1.0]), ..Default::default() }),
            &BuildContext::new(0),
        )
        .unwrap();
        let e = s.init(&mut bilinear_xy(&[1.0, 1.0])).unwrap_err().to_string();
        assert!(e.contains("`anchor`") && e.contains("expected 2, got 1"), "{e}");
    }

    #[test]
    fn one_step_matches_hand_computation() {
        // F_eps = (y + 0.5 x, -x + 0.5 y), z0 = (1,1), EG with eta = 0.1:
        // F = (1.5, -0.5), z~ = (0.85, 1.05), F(z~) = (1.475, -0.325), z1 = (0.8525, 1.0325).
        let mut p = bilinear_xy(&[1.0, 1.0]);
        let mut s = eg_inner(0.1, 0.5);
        s.init(&mut p).unwrap();
        s.step(&mut p);
        assert!((s.iterate()[0] - 0.8525).abs() < 1e-15 && (s.iterate()[1] - 1.0325).abs() < 1e-15);
        assert_eq!(p.counters().oracle_calls, 2);
    }

    /// A rank-deficient 3x3 bilinear game with offsets in the range: its solutions form a
    /// plane; returns the problem, the minimum-norm solution and the norm of the start's
    /// component in the kernel of `M` (the offset of the solution plain EG finds).
    fn rank_deficient(shift: f64) -> (vi_core::Problem, Col<f64>, f64) {
        let (a, u, v) = matrix_with_singular_values(&[2.0, 1.0, 0.0], 9);
        let x0 = [0.5, -1.0, 0.8];
        let y0 = [1.0, 0.3, -0.6];
        let ax = |m: &Mat<f64>, t: bool, z: &[f64]| {
            Col::from_fn(3, |i| (0..3).map(|j| if t { m[(j, i)] } else { m[(i, j)] } * z[j]).sum::<f64>())
        };
        let b = -ax(&a, false, &y0);
        let c = -ax(&a, true, &x0);
        // Minimum-norm solution: the parts of x0, y0 in the ranges of U_r, V_r.
        let proj = |q: &Mat<f64>, z: &[f64]| {
            Col::from_fn(3, |i| (0..2).map(|k| q[(i, k)] * (0..3).map(|j| q[(j, k)] * z[j]).sum::<f64>()).sum::<f64>())
        };
        let (xs, ys) = (proj(&u, &x0), proj(&v, &y0));
        let sol = Col::from_fn(6, |i| if i < 3 { xs[i] } else { ys[i - 3] });
        let kernel = Col::from_fn(6, |i| if i < 3 { 0.8 * u[(i, 2)] } else { -0.6 * v[(i - 3, 2)] });
        let start: Vec<f64> = (0..6).map(|i| sol[i] + shift * kernel[i] + 0.3 * (i as f64 - 2.5)).collect();
        // ker M = span{(u_3, 0), (0, v_3)}.
        let cx: f64 = (0..3).map(|i| start[i] * u[(i, 2)]).sum();
        let cy: f64 = (0..3).map(|i| start[3 + i] * v[(i, 2)]).sum();
        (bilinear(&a, &b, &c, &start, Some(sol.clone())), sol, cx.hypot(cy))
    }

    #[test]
    fn converges_to_the_minimum_norm_solution_where_plain_eg_does_not() {
        let (mut p, sol, ker) = rank_deficient(1.0);
        // Plain EG keeps the kernel component of the start (F(z) lies in range M, orthogonal
        // to ker M): it converges to the solution sol + P_ker(start), at distance ||P_ker(start)||.
        let r = run(&mut p, &mut Extragradient::new(checked(Default::default())), 1e-10, 100_000);
        assert_eq!(r.status, Status::Converged);
        let d = r.distance_to_solution.unwrap();
        assert!(d > 0.5 && (d - ker).abs() < 1e-8, "EG distance {d}, kernel part {ker}");

        let (mut p, _, _) = rank_deficient(1.0);
        let mut s = TikhonovContinuation::new(checked(TikhonovParams::default()), &BuildContext::new(0)).unwrap();
        let r = run(&mut p, &mut s, 1e-10, 1_000_000);
        assert_eq!(r.status, Status::Converged);
        let d = linalg::dist(linalg::col_from_slice(&r.z).as_ref(), sol.as_ref());
        assert!(d < 1e-6, "Tikhonov distance to the minimum-norm solution {d}");
        let stages = r.solver_info["stages"].as_array().unwrap();
        assert!(stages.len() > 10, "{}", r.solver_info);
        assert_eq!(stages[0]["eps"], 1.0);
        assert_eq!(stages[1]["eps"], 0.5);
        let calls: u64 = stages.iter().map(|s| s["oracle_calls"].as_u64().unwrap()).sum();
        assert!(calls <= r.oracle_calls);
    }
}
