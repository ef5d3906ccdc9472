//! The executor protocol: the JSON an executor server and its clients (the app,
//! `faasplan run`) exchange, and the [`backend::Backend`] trait every executor
//! backend implements.
//!
//! An executor runs a workflow for real and measures it. A client sends a
//! [`RunRequest`] (`POST /runs`): the workflow, what to run ([`RunTarget`]: one
//! plan, or a list of configurations to profile), the workload and the number of
//! repetitions. The server answers with a [`RunCreated`] holding the run id,
//! reports a [`RunStatus`] on `GET /runs/{id}` (state, per-stage progress,
//! errors), and returns the measurements on `GET /runs/{id}/profiles` as a
//! [`RunProfiles`]: profile rows in the native format (each run flagged cold or
//! warm, with the configuration it ran) plus one [`ExecutionRecord`] per
//! end-to-end execution, so a client can set measured against predicted
//! latency. `DELETE /runs/{id}` cancels. `GET /health` returns an
//! [`ExecutorInfo`]. Every error body is an [`ErrorBody`]. The OpenAPI 3.1
//! description is `docs/executor-openapi.yaml`.
//!
//! These types are plain serde data, usable in the browser. The request is
//! checked by [`RunRequest::check`], which the server calls before it accepts a
//! run and a client may call before it sends one.
//!
//! ```
//! use faasplan_core::executor::{RunRequest, RunTarget, StageConfig, Workload};
//!
//! let json = r#"{
//!   "workflow": {"name": "w", "stages": [{"id": "sort", "kind": "parallel", "allowed_d": [1, 2, 4],
//!                "memory": {"min_mb": 128, "max_mb": 3008, "step_mb": 64}}], "edges": []},
//!   "target": {"kind": "plan", "stages": [{"stage": "sort", "memory_mb": 1024, "d": 4}]},
//!   "workload": {"kind": "size", "bytes": 1000000},
//!   "repetitions": 3
//! }"#;
//! let request: RunRequest = serde_json::from_str(json).unwrap();
//! let limits = faasplan_core::executor::Limits::default();
//! let configurations = request.check(&limits).unwrap();
//! assert_eq!(configurations[0][0].memory_mb, 1024);
//! assert_eq!(request.executions(), 3);
//! ```

pub mod backend;
pub mod configurations;
pub mod cost;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dag::{Config, StageKind, Workflow};
use crate::profile::{MAX_RUN_D, MAX_RUN_MEMORY_MB, Profiles};

/// The protocol version this module speaks; [`ExecutorInfo::protocol`] carries it.
pub const PROTOCOL_VERSION: u32 = 1;

/// The body of `POST /runs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRequest {
    /// The workflow to run (the project's workflow JSON).
    pub workflow: Workflow,
    /// One plan, or the configurations to profile.
    pub target: RunTarget,
    /// The input the workflow runs on.
    pub workload: Workload,
    /// How often each configuration runs end to end (at least 1).
    pub repetitions: u32,
    /// Seed of the run's random picks: which alternative of each Choice point
    /// runs in each execution (drawn with the alternatives' weights).
    #[serde(default)]
    pub seed: u64,
}

/// What a run executes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunTarget {
    /// One configuration of every stage, e.g. a plan's `stages` array (the
    /// plan JSON's extra fields are ignored).
    Plan {
        /// Memory and instance count of each stage.
        stages: Vec<StageConfig>,
    },
    /// Several whole-workflow configurations, each run `repetitions` times, to
    /// measure the profiles the planner needs.
    Profile {
        /// Each entry configures every stage.
        configurations: Vec<Vec<StageConfig>>,
    },
}

/// The configuration of one stage in a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageConfig {
    /// Stage id.
    pub stage: String,
    /// Memory per instance, MB.
    pub memory_mb: u32,
    /// Instance count (1 for a single-instance stage).
    pub d: u32,
}

impl StageConfig {
    /// The configuration of every stage of a plan, in the plan's order: what
    /// "run this plan" sends.
    pub fn of_plan(report: &crate::plan::PlanReport) -> Vec<StageConfig> {
        report
            .stages
            .iter()
            .map(|s| StageConfig {
                stage: s.stage.clone(),
                memory_mb: s.memory_mb,
                d: s.d,
            })
            .collect()
    }
}

/// The input a workflow runs on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Workload {
    /// A generated input of this many bytes (the backend decides its content,
    /// deterministically from `seed`).
    Size {
        /// Input size, bytes.
        bytes: u64,
        /// Seed of the generated content.
        #[serde(default)]
        seed: u64,
    },
    /// An input the client gives, base64-encoded.
    Payload {
        /// The input bytes, standard base64 with padding.
        data_base64: String,
    },
}

/// The limits an executor enforces (part of [`ExecutorInfo`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest request body, bytes (larger gets 413).
    pub max_body_bytes: u64,
    /// Requests per minute per client before 429.
    pub requests_per_minute: u32,
    /// Largest `repetitions`.
    pub max_repetitions: u32,
    /// Most configurations in one profiling run.
    pub max_configurations: u32,
    /// Largest instance count of a stage.
    pub max_d: u32,
    /// Largest memory per instance, MB.
    pub max_memory_mb: u32,
    /// Largest generated workload, bytes.
    pub max_workload_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            requests_per_minute: 600,
            max_repetitions: 100,
            max_configurations: 64,
            max_d: 64,
            max_memory_mb: 10_240,
            max_workload_bytes: 64 << 20,
        }
    }
}

/// Why a [`RunRequest`] was refused (the server answers 400 with its text).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RequestError {
    /// The workflow itself is invalid.
    #[error("workflow: {0}")]
    Workflow(String),
    /// A field is out of range or inconsistent.
    #[error("{field}: {message}")]
    Field {
        /// JSON path of the field, e.g. `target.configurations[2][0].d`.
        field: String,
        /// What is wrong.
        message: String,
    },
}

fn field_error(field: impl Into<String>, message: impl Into<String>) -> RequestError {
    RequestError::Field {
        field: field.into(),
        message: message.into(),
    }
}

impl RunRequest {
    /// Checks the request against the workflow and `limits`, and returns each
    /// configuration as one [`Config`] per stage, in the workflow's stage order.
    pub fn check(&self, limits: &Limits) -> Result<Vec<Vec<Config>>, RequestError> {
        self.workflow
            .validate()
            .map_err(|e| RequestError::Workflow(e.to_string()))?;
        if self.repetitions == 0 || self.repetitions > limits.max_repetitions {
            return Err(field_error(
                "repetitions",
                format!(
                    "{} is not within 1..={}",
                    self.repetitions, limits.max_repetitions
                ),
            ));
        }
        self.check_workload(limits)?;
        let (prefix, lists): (&str, Vec<&[StageConfig]>) = match &self.target {
            RunTarget::Plan { stages } => ("target.stages", vec![stages.as_slice()]),
            RunTarget::Profile { configurations } => (
                "target.configurations",
                configurations.iter().map(Vec::as_slice).collect(),
            ),
        };
        if lists.is_empty() || lists.len() > limits.max_configurations as usize {
            return Err(field_error(
                prefix,
                format!(
                    "{} configurations, expected 1..={}",
                    lists.len(),
                    limits.max_configurations
                ),
            ));
        }
        lists
            .iter()
            .enumerate()
            .map(|(i, list)| {
                let path = match self.target {
                    RunTarget::Plan { .. } => prefix.to_string(),
                    RunTarget::Profile { .. } => format!("{prefix}[{i}]"),
                };
                self.resolve(&path, list, limits)
            })
            .collect()
    }

    /// The number of end-to-end executions the request asks for.
    pub fn executions(&self) -> u64 {
        let configurations = match &self.target {
            RunTarget::Plan { .. } => 1,
            RunTarget::Profile { configurations } => configurations.len() as u64,
        };
        configurations * u64::from(self.repetitions)
    }

    fn check_workload(&self, limits: &Limits) -> Result<(), RequestError> {
        match &self.workload {
            Workload::Size { bytes, .. } if *bytes == 0 || *bytes > limits.max_workload_bytes => {
                Err(field_error(
                    "workload.bytes",
                    format!("{bytes} is not within 1..={}", limits.max_workload_bytes),
                ))
            }
            Workload::Payload { data_base64 } => {
                use base64::Engine as _;
                let data = base64::engine::general_purpose::STANDARD
                    .decode(data_base64)
                    .map_err(|e| field_error("workload.data_base64", format!("not base64: {e}")))?;
                if data.is_empty() {
                    return Err(field_error("workload.data_base64", "empty payload"));
                }
                Ok(())
            }
            Workload::Size { .. } => Ok(()),
        }
    }

    fn resolve(
        &self,
        path: &str,
        list: &[StageConfig],
        limits: &Limits,
    ) -> Result<Vec<Config>, RequestError> {
        for (j, entry) in list.iter().enumerate() {
            if !self.workflow.stages.iter().any(|s| s.id == entry.stage) {
                return Err(field_error(
                    format!("{path}[{j}].stage"),
                    format!("no stage {:?} in the workflow", entry.stage),
                ));
            }
            if list[..j].iter().any(|e| e.stage == entry.stage) {
                return Err(field_error(
                    format!("{path}[{j}].stage"),
                    format!("stage {:?} is configured twice", entry.stage),
                ));
            }
        }
        let max_memory = limits.max_memory_mb.min(MAX_RUN_MEMORY_MB);
        let max_d = limits.max_d.min(MAX_RUN_D);
        self.workflow
            .stages
            .iter()
            .map(|stage| {
                let (j, entry) = list
                    .iter()
                    .enumerate()
                    .find(|(_, e)| e.stage == stage.id)
                    .ok_or_else(|| {
                        field_error(path, format!("stage {:?} has no configuration", stage.id))
                    })?;
                if entry.memory_mb == 0 || entry.memory_mb > max_memory {
                    return Err(field_error(
                        format!("{path}[{j}].memory_mb"),
                        format!("{} is not within 1..={max_memory}", entry.memory_mb),
                    ));
                }
                let d_ok = match stage.kind {
                    StageKind::Parallel => (1..=max_d).contains(&entry.d),
                    StageKind::Single => entry.d == 1,
                };
                if !d_ok {
                    let expected = match stage.kind {
                        StageKind::Parallel => format!("1..={max_d}"),
                        StageKind::Single => "1 (a single-instance stage)".to_string(),
                    };
                    return Err(field_error(
                        format!("{path}[{j}].d"),
                        format!("{} is not {expected}", entry.d),
                    ));
                }
                Ok(Config {
                    memory_mb: entry.memory_mb,
                    d: entry.d,
                })
            })
            .collect()
    }
}

/// The answer to `POST /runs` (status 202).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCreated {
    /// The run id, for the other endpoints.
    pub id: String,
    /// The run's state right after it was accepted.
    pub state: RunState,
}

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Accepted, not started yet.
    Queued,
    /// Executing.
    Running,
    /// Every execution finished.
    Succeeded,
    /// Stopped by an error (see [`RunStatus::errors`]).
    Failed,
    /// Stopped by `DELETE /runs/{id}`.
    Cancelled,
}

impl RunState {
    /// Whether the run has ended (no more progress will come).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunState::Succeeded | RunState::Failed | RunState::Cancelled
        )
    }
}

/// The answer to `GET /runs/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunStatus {
    /// The run id.
    pub id: String,
    /// The backend that runs it.
    pub backend: String,
    /// Where the run is.
    pub state: RunState,
    /// End-to-end executions asked for.
    pub executions_total: u64,
    /// End-to-end executions finished.
    pub executions_finished: u64,
    /// Progress of each stage, in the workflow's stage order.
    pub stages: Vec<StageProgress>,
    /// What went wrong, oldest first (empty when nothing did).
    pub errors: Vec<String>,
}

/// Progress of one stage over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageProgress {
    /// Stage id.
    pub stage: String,
    /// Stage runs (one per execution) finished.
    pub runs_finished: u64,
    /// Instances started, over all executions.
    pub instances_started: u64,
    /// Instances finished, over all executions.
    pub instances_finished: u64,
}

/// The answer to `GET /runs/{id}/profiles`: what has been measured so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunProfiles {
    /// The run id.
    pub id: String,
    /// The run's state when the answer was made.
    pub state: RunState,
    /// The measured stage runs in the native JSON form (a project file's
    /// `profiles`); every run carries its configuration, repetition and cold flag.
    pub profiles: Profiles,
    /// The same rows as the native profile CSV (`formats::csv`).
    pub csv: String,
    /// One record per finished end-to-end execution.
    pub executions: Vec<ExecutionRecord>,
}

/// One end-to-end execution of the workflow.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    /// Index of the configuration (0 for a plan run).
    pub configuration: u32,
    /// Repetition number within the configuration.
    pub rep: u32,
    /// Whether any stage started cold.
    pub cold: bool,
    /// Measured workflow latency: start of the first stage to end of the last, s.
    pub latency_s: f64,
    /// Billed function time of every instance, GB·s (memory × in-function time).
    pub billed_gb_s: f64,
    /// Function instances invoked.
    pub invocations: u64,
    /// The stages that ran, in the order they finished (absent from executors
    /// that do not report them; then only the totals above are known).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageRecord>,
    /// The alternative each Choice point took (empty without Choices).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<BranchTaken>,
}

/// One stage run within an [`ExecutionRecord`]: what ran, for the measured
/// cost ([`cost::measured_cost`]) to price the same components as the prediction.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    /// Stage id.
    pub stage: String,
    /// Memory per instance, MB.
    pub memory_mb: u32,
    /// Instances that ran.
    pub d: u32,
    /// Stage wall time: first instance started to last returned, s.
    pub latency_s: f64,
    /// Billed function time of the stage's instances, GB·s.
    pub billed_gb_s: f64,
}

/// The alternative a Choice point took in one execution.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchTaken {
    /// The Choice's name.
    pub choice: String,
    /// The label of the alternative that ran.
    pub alternative: String,
}

/// The answer to `GET /health`: what the executor is and what it accepts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutorInfo {
    /// Always `"faasplan-executor"`.
    pub service: String,
    /// The server's version.
    pub version: String,
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The backend name (`local`, `aws`, ..).
    pub backend: String,
    /// MB of memory per vCPU on this backend (the profiles' `mb_per_vcpu`).
    pub mb_per_vcpu: f64,
    /// Stage ids the backend can run (empty when it runs any stage of a workflow
    /// it is given a function for).
    pub functions: Vec<String>,
    /// Whether requests need a bearer token.
    pub auth_required: bool,
    /// The limits the server enforces.
    pub limits: Limits,
}

/// The body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
}

#[cfg(test)]
mod tests;
