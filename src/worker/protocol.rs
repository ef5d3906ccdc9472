//! Messages between the app and the planning worker (serialised with bincode
//! by yew-agent, so every type is `Serialize + Deserialize`).

use serde::{Deserialize, Serialize};

use crate::state::project::Project;

/// One planning request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The app's `inputs_rev` when the job was posted.
    pub rev: u64,
    /// The inputs: workflow, settings, platform and profiles.
    pub project: Project,
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

/// The planned configuration of one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StagePlan {
    /// Stage id.
    pub stage: String,
    /// Memory per instance, MB.
    pub memory_mb: u32,
    /// Instance count.
    pub d: u32,
}

/// One point of the latency–cost frontier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrontierPoint {
    /// Latency quantile at the settings' percentile, s.
    pub latency_s: f64,
    /// Expected cost per run, USD.
    pub cost_usd: f64,
}

/// What a finished job produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanOutput {
    /// The chosen plan for the bound in the settings (`None` when infeasible).
    pub plan: Option<Vec<StagePlan>>,
    /// The latency–cost frontier, ascending in latency.
    pub frontier: Vec<FrontierPoint>,
}

/// A message from the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum WorkerOutput {
    /// The job with this `rev` is still running.
    Progress {
        /// The job's inputs revision.
        rev: u64,
        /// Where it is.
        progress: Progress,
    },
    /// The job with this `rev` ended; `Err` holds a message for the user.
    Finished {
        /// The job's inputs revision.
        rev: u64,
        /// The output or why there is none.
        result: Result<PlanOutput, String>,
    },
}
