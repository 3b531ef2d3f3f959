//! # vi-core: the vocabulary of the variational-inequality engine
//!
//! Find `z*` in a closed convex set `C` with `<F(z*), z - z*> >= 0` for every `z` in `C`.
//! Games are one use: for `min_x max_y f(x, y)` the operator is `F(x, y) = (grad_x f, -grad_y f)`.
//!
//! | concept | type | what it is |
//! |---|---|---|
//! | operator | [`Operator`] | `F`, evaluated into a caller-owned output; knows `L`, `mu` if it can |
//! | finite sum | [`FiniteSum`], [`ComponentSampler`] | `F = (1/N) sum_i F_i`: components, minibatches, seeded sampling |
//! | set | [`ConstraintSet`] | `C`, with an exact in-place projection |
//! | block | [`Block`] | a named index range of `z`: one player |
//! | Tikhonov | [`TikhonovTerm`], [`Problem::set_tikhonov`] | `F(z) + eps_b (z - anchor)` per block |
//! | problem | [`Problem`] | operator + set + start + blocks + known solution + metrics; counts oracle calls |
//! | solver | [`Solver`] | one algorithm: `init` allocates, `step` iterates without allocating |
//! | runner | [`Runner`] | the loop, stopping rules, averaged iterate, trace, observers → [`Report`] |
//! | status | [`Status`] | how a run ended (`Converged`, `Diverged`, ...), never an `Err` |
//! | registry | [`registry()`] | problems and solvers registered by name with typed parameters |
//! | run defaults | [`RunDefaults`], [`Budget`] | the budget and solver settings a problem's claims are made with, under the user's |
//! | diagnostics | [`diagnostics`] | Jacobian spectrum: `mu`, `L`, phase and conditioning factors |
//! | memory | [`memory`] | the memory limit that sizes from users and files are checked against |
//!
//! ## One run, as data
//!
//! ```text
//! params -> registry -> Problem + Box<dyn Solver>
//! Runner: init -> [ solver.step -> problem.eval / project (counted) -> residual every k ]* -> Report
//! ```
//!
//! ## Using the engine directly
//!
//! ```
//! use vi_core::{FnOperator, Problem, Runner, RunConfig, Status};
//! # use vi_core::{Solver, StepStatus};
//! # use faer::{Col, ColRef};
//! # #[derive(Clone)]
//! # struct Gda { z: Col<f64>, f: Col<f64>, eta: f64 }
//! # impl Solver for Gda {
//! #     fn name(&self) -> &str { "gda" }
//! #     fn init(&mut self, p: &mut Problem) -> vi_core::Result<()> {
//! #         self.z = p.start().to_owned(); self.f = Col::zeros(p.dim()); Ok(())
//! #     }
//! #     fn step(&mut self, p: &mut Problem) -> StepStatus {
//! #         p.eval(self.z.as_ref(), self.f.as_mut());
//! #         vi_core::linalg::axpy(-self.eta, self.f.as_ref(), self.z.as_mut());
//! #         StepStatus::Continue
//! #     }
//! #     fn iterate(&self) -> ColRef<'_, f64> { self.z.as_ref() }
//! # }
//! // F(z) = z - 1: a strongly monotone operator with solution z* = 1.
//! let op = FnOperator::new(3, |z, mut out| for i in 0..3 { out[i] = z[i] - 1.0 })
//!     .with_lipschitz(1.0).with_strong_monotonicity(1.0);
//! let mut problem = Problem::unconstrained("shift", Box::new(op), Col::zeros(3)).unwrap()
//!     .with_solution(Col::from_fn(3, |_| 1.0)).unwrap();
//! let mut solver = Gda { z: Col::zeros(0), f: Col::zeros(0), eta: 0.5 };
//! let report = Runner::new(RunConfig::default()).unwrap().run(&mut problem, &mut solver).unwrap();
//! assert_eq!(report.status, Status::Converged);
//! assert!(report.distance_to_solution.unwrap() < 1e-8);
//! ```

#![warn(missing_docs)]

pub mod alloc_check;
pub mod deadline;
pub mod defaults;
pub mod diagnostics;
pub mod error;
pub mod finite_sum;
pub mod json_float;
pub mod linalg;
pub mod memory;
pub mod operator;
pub mod params;
pub mod problem;
pub mod registry;
pub mod report;
pub mod rng;
pub mod runner;
pub mod sets;
pub mod solver;
pub mod status;
pub mod theory;

pub use defaults::{Applied, Budget, RunDefaults, SuiteDefaults};
pub use error::{Error, Result};
pub use finite_sum::{AffineSum, ComponentSampler, FiniteSum, MiniBatch, Sampling};
pub use operator::{AffineOperator, FnOperator, Monotonicity, Operator, TikhonovTerm};
pub use params::{Checked, NoParams, ParamInfo, Params};
pub use problem::{Block, Counters, FnMetric, Metric, Problem};
pub use registry::{
    build_problem, build_problem_in, build_solver, build_solver_in, registry, BuildContext, PreparedRun, ProblemEntry,
    Registry, RunSpec, Seed, SolverEntry,
};
pub use runner::{Observation, Observer, Report, RunConfig, Runner, Status, TracePoint};
pub use sets::{Ball, BoxSet, ConstraintSet, NonnegativeOrthant, Product, Simplex, WholeSpace};
pub use solver::{Method, Solver, StepRule, StepStatus};
pub use theory::{LinearModel, Linearization, PredictedStep};

#[doc(hidden)]
pub use inventory;
#[doc(hidden)]
pub use serde;
#[doc(hidden)]
pub use serde_json;
