//! Measured profiles: step times of stage runs under a few configurations.
//!
//! One [`ProfileRun`] is one measured run of one stage under one configuration
//! and repetition. Each step carries the mean over the stage's instances and the
//! 95th percentile over them (the straggler), in seconds. `start` is the stage's
//! wall time minus the mean in-function time (invocation, scheduling and, when
//! `cold`, start-up), so `start + read + compute + write` (means) is the stage's
//! measured wall time until its last instance returned.

use serde::{Deserialize, Serialize};

/// Mean over a stage's instances and 95th percentile over them, seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepStat {
    /// Mean over the instances, s.
    pub mean_s: f64,
    /// 95th percentile over the instances, s (for `start`, may be negative).
    pub p95_s: f64,
}

/// One measured run of one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileRun {
    /// Memory per instance, MB.
    pub memory_mb: u32,
    /// Instance count of the run. For a single-instance stage this is the number
    /// of partitions its input was split into by its parent.
    pub d: u32,
    /// Repetition number within this configuration.
    pub rep: u32,
    /// Whether the instances started cold.
    pub cold: bool,
    /// Invocation, scheduling and start-up (stage wall time minus mean in-function time).
    pub start: StepStat,
    /// Reading the input.
    pub read: StepStat,
    /// Computing (in-function time minus read and write).
    pub compute: StepStat,
    /// Writing the output, if the stage writes any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<StepStat>,
}

impl ProfileRun {
    /// Measured stage wall time, s: `start + read + compute + write` (means).
    pub fn wall_s(&self) -> f64 {
        self.start.mean_s + self.in_function_mean_s()
    }

    /// Mean in-function time of the instances (the billed part), s.
    pub fn in_function_mean_s(&self) -> f64 {
        self.read.mean_s + self.compute.mean_s + self.write.map_or(0.0, |w| w.mean_s)
    }
}

/// Measured runs of one stage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StageProfile {
    /// Id of the stage these runs belong to.
    pub stage: String,
    /// The runs, in the order they were read.
    pub runs: Vec<ProfileRun>,
}

/// All measured runs of a workflow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profiles {
    /// MB per vCPU of the platform the profiles were measured on.
    pub mb_per_vcpu: f64,
    /// One entry per profiled stage.
    pub stages: Vec<StageProfile>,
}

impl Profiles {
    /// The runs of stage `id`, if it was profiled.
    pub fn stage(&self, id: &str) -> Option<&StageProfile> {
        self.stages.iter().find(|s| s.stage == id)
    }
}
