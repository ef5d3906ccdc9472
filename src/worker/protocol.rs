//! Messages between the app and the planning worker (serialised with bincode
//! by yew-agent, so every type is `Serialize + Deserialize`).
//!
//! Core types that serde tags internally (`Bound`, the plan report's status)
//! do not survive bincode, so the project travels as the core project file
//! (JSON text) and plan reports as the plan JSON of [`faasplan_core::plan`].

use serde::{Deserialize, Serialize};

/// What a job asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Task {
    /// Fit, sample and compute the whole frontier ([`WorkerOutput::Frontier`]).
    Frontier,
    /// Solve the project's bound exactly (`pipeline::plan`), e.g. a quantile cost bound.
    Solve,
    /// Report a chosen plan (`pipeline::report`, with the out-of-sample check).
    Check {
        /// `(memory_mb, d)` of every stage, in workflow order.
        configs: Vec<(u32, u32)>,
    },
    /// The plan JSON of the project's bound, exactly as `faasplan plan` writes it.
    Export,
    /// Every baseline planner's plan for latency bound `bound_s`
    /// (`baselines::all` on the cached prepared problem, [`WorkerOutput::Baselines`]).
    Baselines {
        /// The latency bound the baselines plan for and are judged against, s.
        bound_s: f64,
    },
}

/// One request to the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The app's `inputs_rev` when the job was posted.
    pub rev: u64,
    /// The app's `bound_rev` (or export counter) when the job was posted.
    pub key: u64,
    /// The inputs as the core project file (JSON).
    pub project_json: String,
    /// What to do.
    pub task: Task,
}

/// How far a job has got.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Which phase is running, e.g. "fitting models", "sampling", "frontier".
    pub phase: String,
    /// Units of work done in this phase.
    pub done: u64,
    /// Units of work in this phase (0 when unknown).
    pub total: u64,
}

/// One configuration of a stage used by some frontier point, with its figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigRow {
    /// Memory per instance, MB.
    pub memory_mb: u32,
    /// Instance count.
    pub d: u32,
    /// Median stage latency over the samples, s.
    pub p50_s: f64,
    /// Stage latency quantile at the percentile q, s.
    pub q_s: f64,
    /// Expected stage cost per run, USD.
    pub expected_cost_usd: f64,
}

/// The configurations of one stage that frontier points use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageRows {
    /// Stage id.
    pub stage: String,
    /// Distinct configurations (with their input context) used by the frontier.
    pub rows: Vec<ConfigRow>,
}

/// One point of the latency–cost frontier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrontierPoint {
    /// Guaranteed latency at the settings' percentile, s.
    pub latency_s: f64,
    /// Expected cost per run, USD.
    pub cost_usd: f64,
    /// Per stage, the index into [`StageRows::rows`] of its configuration.
    pub rows: Vec<u32>,
}

/// One fitted curve of a stage: predicted mean wall time against memory at one d.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitCurve {
    /// Instance count (the input partitions, for a single-instance stage).
    pub d: u32,
    /// `(memory_mb, predicted mean wall time s)`, ascending in memory.
    pub points: Vec<(f64, f64)>,
}

/// The model fit of one stage and its errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageFit {
    /// Stage id.
    pub stage: String,
    /// One curve per measured d.
    pub curves: Vec<FitCurve>,
    /// Mean absolute % error of the mean wall time on the measured configurations.
    pub fit_mean_pct: f64,
    /// Same, leave-one-configuration-out cross-validated.
    pub cv_mean_pct: f64,
}

/// Wall-clock time of each phase in the worker, ms (`performance.now()`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Validating and fitting (with the fit report).
    pub fit_ms: f64,
    /// Sampling the problem.
    pub sample_ms: f64,
    /// The whole frontier.
    pub frontier_ms: f64,
    /// Everything, including the plan-table figures.
    pub total_ms: f64,
}

/// What a finished frontier job produced.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanOutput {
    /// The latency–cost frontier, ascending in latency, strictly descending in cost.
    pub frontier: Vec<FrontierPoint>,
    /// Per stage (workflow order), the configurations the frontier points use.
    pub stages: Vec<StageRows>,
    /// Per stage, the fitted curves and errors.
    pub fits: Vec<StageFit>,
    /// Monte Carlo samples N.
    pub samples: usize,
    /// Search nodes the frontier took.
    pub nodes: u64,
    /// Phase timings.
    pub timings: Timings,
}

/// One baseline planner's plan for a latency bound, judged on the planning samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineRow {
    /// The baseline's short name, e.g. "orion".
    pub name: String,
    /// Guaranteed latency at the percentile, s (NaN without a plan).
    pub guaranteed_latency_s: f64,
    /// Nearest-rank q-quantile of the workflow latency, s (NaN without a plan).
    pub q_latency_s: f64,
    /// Expected cost per run, USD (NaN without a plan).
    pub expected_cost_usd: f64,
    /// Whether the plan meets the bound (guarantee and concurrency limit).
    pub meets_bound: bool,
    /// `(stage id, memory_mb, d)` of every stage in workflow order; `None`
    /// when the baseline found no plan.
    pub plan: Option<Vec<(String, u32, u32)>>,
}

/// The baselines for one latency bound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineSet {
    /// The latency bound they were planned for, s.
    pub bound_s: f64,
    /// One row per baseline, in `Baseline::ALL` order.
    pub rows: Vec<BaselineRow>,
    /// Time the worker took, ms.
    pub elapsed_ms: f64,
}

/// Which report a [`WorkerOutput::Report`] answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportKind {
    /// [`Task::Solve`].
    Solve,
    /// [`Task::Check`].
    Check,
    /// [`Task::Export`].
    Export,
}

/// A message from the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum WorkerOutput {
    /// The job with this `rev` and `key` is still running.
    Progress {
        /// The job's inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
        /// Which report (`None`: the frontier).
        kind: Option<ReportKind>,
        /// Where it is.
        progress: Progress,
    },
    /// A frontier job ended; `Err` holds a message for the user.
    Frontier {
        /// The job's inputs revision.
        rev: u64,
        /// The output or why there is none.
        result: Result<PlanOutput, String>,
    },
    /// A solve, check or export ended with plan JSON or a message.
    Report {
        /// The job's inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
        /// Which task.
        kind: ReportKind,
        /// Plan JSON (`faasplan_core::plan::to_json`) or why there is none.
        result: Result<String, String>,
    },
    /// A baselines job ended.
    Baselines {
        /// The job's inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
        /// The baselines or why there are none.
        result: Result<BaselineSet, String>,
    },
}
