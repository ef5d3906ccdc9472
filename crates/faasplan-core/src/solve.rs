//! The exact chance-constrained planner over the discrete configuration grid.
//!
//! A plan picks one configuration index per stage. On sample `s` the workflow
//! latency `L(s)` is the longest path through the DAG of the stage latencies
//! (see [`evaluate`]); a stage with a context uses the block of its context
//! parent's chosen `d`. With `a = allowed_violations`, a plan meets a latency bound
//! B when `#{s : L(s) > B} ≤ a`, and its guaranteed latency is the smallest such B.
//! The expected cost is `Σ_i expected_cost_usd`; the per-sample cost is
//! `Σ_i cost_usd[s]`, and a quantile cost bound C is met when `#{s : cost(s) > C} ≤ a`.
//! When `concurrency_limit = Some(c)`, `Σ_{i ∈ A} d_i ≤ c` for every maximal
//! antichain A of the DAG (stages that can run at once).
//!
//! Modes ([`Bound`]):
//! - latency-bounded: minimise expected cost subject to meeting B;
//! - cost-bounded: minimise guaranteed latency subject to expected cost ≤ C
//!   ([`CostKind::Mean`](crate::settings::CostKind::Mean)) or the quantile cost
//!   bound ([`CostKind::Quantile`](crate::settings::CostKind::Quantile));
//!   among latency-optimal plans the cheapest is returned.
//!
//! The answer is exact over the grid: [`Status::Optimal`] is a proof. When the
//! node budget stops the search, [`Status::Feasible`] carries the best plan and a
//! proven relative gap. An infeasible bound is [`Status::Infeasible`] with the
//! nearest achievable bound: the least guaranteed latency any plan reaches
//! (latency mode) or the least expected or quantile cost (cost mode).
//!
//! Method: branch-and-bound with constraint generation over samples, per-stage
//! dominance pruning, head/tail latency bounds and cost-ordered branching; see
//! `docs/solver.md` and the module docs of the internals.
//!
//! ```
//! use faasplan_core::settings::Bound;
//! use faasplan_core::solve::synthetic::{Shape, problem};
//! use faasplan_core::solve::{Planner, SolveSettings, Status, evaluate};
//!
//! let p = problem(Shape::Ml, 200, 1);
//! let planner = Planner::new(&p)?;
//! let sol = planner.solve(SolveSettings { bound: Bound::Latency { max_s: 120.0 }, max_nodes: None })?;
//! assert_eq!(sol.status, Status::Optimal);
//! let plan = sol.plan.expect("an optimal solve has a plan");
//! assert!(evaluate(&p, &plan)?.guaranteed_latency_s <= 120.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod antichain;
pub use antichain::MAX_ANTICHAINS;
mod bounds;
mod eval;
pub mod frontier;
mod precomputed;
mod search;
#[doc(hidden)]
pub mod synthetic;

pub use crate::problem::PlanError;
pub use crate::stats::quantile;
pub use antichain::concurrency_ok;
pub(crate) use antichain::maximal_antichains;
pub(crate) use eval::expected_cost as plan_expected_cost;
pub(crate) use eval::latencies as workflow_latencies;
pub use eval::{PlanEval, evaluate};

pub(crate) use precomputed::{Precomputed, validate};
pub(crate) use search::{Caps, Goal, Search, below};

use crate::problem::SampledProblem;
use crate::settings::Bound;

/// A plan: one configuration index per stage, indexed like the stages.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    /// Index into `StageTable::configs` of each stage.
    pub choice: Vec<u32>,
}

/// Most stages the solver takes (stage sets are `u64` bit sets).
pub const MAX_STAGES: usize = 64;

/// A problem the solver cannot work on (checked once, at construction).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SolveError {
    /// `n_samples` is zero or `allowed_violations` is not below it.
    #[error("n_samples {n_samples} must exceed allowed_violations {allowed_violations}")]
    Samples {
        /// Number of samples.
        n_samples: usize,
        /// Allowed violations.
        allowed_violations: usize,
    },
    /// The number of stages is 0 or above 64.
    #[error("stage count {0} is outside 1..=64")]
    StageCount(usize),
    /// The DAG has too many sets of stages that can run at once for the concurrency check.
    #[error(
        "the workflow has more than {0} sets of stages that can run at the same time (maximal antichains), too many for the concurrency check: make fewer branches independent, or merge parallel branches"
    )]
    Antichains(usize),
    /// `parents` has the wrong length.
    #[error("parents has {0} entries, not one per stage")]
    Parents(usize),
    /// `topo` is not a topological order of the stages.
    #[error("topo is not a topological order of the stages (at {0})")]
    Topo(usize),
    /// A stage has no configuration.
    #[error("stage {0} has no configurations")]
    EmptyStage(usize),
    /// A context names a stage that is not a parent, or has no `parent_d`.
    #[error(
        "stage {stage} has a context on stage {parent}, which is not a parent or has no parent_d"
    )]
    Context {
        /// The stage with the context.
        stage: usize,
        /// The named parent.
        parent: usize,
    },
    /// A table has the wrong length.
    #[error("stage {stage} field {field} has {found} values, expected {expected}")]
    TableSize {
        /// The stage.
        stage: usize,
        /// The field.
        field: &'static str,
        /// Expected length.
        expected: usize,
        /// Found length.
        found: usize,
    },
    /// A latency or cost is negative or not finite.
    #[error("stage {0} has a negative or non-finite latency or cost")]
    Value(usize),
    /// The bound is NaN or negative.
    #[error("bound {0} must be a non-negative number")]
    Bound(f64),
    /// The frontier's least latency step is negative or not finite.
    #[error("min_step_s {0} must be a non-negative finite number")]
    MinStep(f64),
    /// A resolution-bounded frontier needs at least 2 positions, in ascending order.
    #[error("a resolution-bounded frontier needs at least 2 ascending positions (got {0})")]
    Positions(usize),
}

/// Settings of one solve.
#[derive(Clone, Debug, PartialEq)]
pub struct SolveSettings {
    /// What is bounded (and so what is minimised).
    pub bound: Bound,
    /// Most search nodes [`solve`] spends (`None`: until proven).
    pub max_nodes: Option<u64>,
}

impl Default for SolveSettings {
    fn default() -> Self {
        SolveSettings {
            bound: Bound::Latency { max_s: 60.0 },
            max_nodes: None,
        }
    }
}

impl SolveSettings {
    /// Checks the bound.
    pub fn validate(&self) -> Result<(), SolveError> {
        let b = match self.bound {
            Bound::Latency { max_s } => max_s,
            Bound::Cost { max_usd, .. } => max_usd,
        };
        if b.is_nan() || b < 0.0 {
            return Err(SolveError::Bound(b));
        }
        Ok(())
    }
}

/// How a solve ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// The plan is optimal.
    Optimal,
    /// The budget stopped the search; the plan is feasible and within `gap` of the
    /// optimum: `(objective − lower_bound) / objective` (0 when the objective is 0).
    Feasible {
        /// Proven relative gap.
        gap: f64,
    },
    /// No plan meets the bound. `nearest_bound` is the tightest bound some plan
    /// meets (s or USD), or `None` when no plan exists at all (concurrency limit,
    /// missing contexts). If the budget stopped that search, it is the best found.
    Infeasible {
        /// Tightest achievable bound of the same kind.
        nearest_bound: Option<f64>,
    },
    /// The budget stopped the search before any plan was found.
    BudgetExhausted {
        /// Proven lower bound on the objective.
        lower_bound: f64,
    },
}

/// Counters of the search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Search nodes (candidate configurations tried) over all phases.
    pub nodes: u64,
    /// Rounds of constraint generation (restarts with more samples).
    pub rounds: u64,
    /// Samples in the reduced problem at the end.
    pub samples_used: usize,
}

/// The result of a solve.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    /// How the solve ended.
    pub status: Status,
    /// The plan (for `Optimal` and `Feasible`).
    pub plan: Option<Plan>,
    /// Guaranteed latency of the plan, s (NaN without a plan).
    pub guaranteed_latency_s: f64,
    /// Expected cost of the plan, USD (NaN without a plan).
    pub expected_cost_usd: f64,
    /// Search counters.
    pub stats: Stats,
}

/// SolveProgress after a [`Solver::step`].
#[derive(Clone, Debug, PartialEq)]
pub enum SolveProgress {
    /// More work remains.
    Running {
        /// Nodes so far.
        nodes: u64,
    },
    /// The solve is finished; read [`Solver::solution`].
    Finished,
}

mod planner;
mod solver;
pub use planner::Planner;
pub use solver::Solver;

/// Solves `problem` under `settings` (spending at most `settings.max_nodes` nodes).
pub fn solve(problem: &SampledProblem, settings: SolveSettings) -> Result<Solution, SolveError> {
    Planner::new(problem)?.solve(settings)
}

fn solve_with(mut s: Solver<'_>, max_nodes: Option<u64>) -> Solution {
    let max = max_nodes.unwrap_or(u64::MAX);
    while let SolveProgress::Running { nodes } = s.step(max.saturating_sub(s.nodes()).min(1 << 20))
    {
        if nodes >= max {
            break;
        }
    }
    s.solution()
}

fn limits(lat_max: f64, costq_max: f64, mean_max: f64) -> Caps {
    Caps {
        lat_max,
        costq_max,
        mean_max,
    }
}
