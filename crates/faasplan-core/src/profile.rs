//! Measured profiles: step times of stage runs under a few configurations.
//!
//! One [`ProfileRun`] is one measured run of one stage under one configuration
//! and repetition. Each step carries the mean over the stage's instances and the
//! 95th percentile over them (the straggler), in seconds. `start` is the stage's
//! wall time minus the mean in-function time (invocation, scheduling and, when
//! `cold`, start-up), so `start + read + compute + write` (means) is the stage's
//! measured wall time until its last instance returned.

use serde::{Deserialize, Serialize};

pub mod packed;
pub mod window;

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
    /// When the run started, Unix time in seconds (UTC), if known. A sliding
    /// window ([`crate::settings::Window`]) keeps the most recent runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<f64>,
    /// The architecture the run was measured on, when it is not the platform's
    /// own (x86_64 or arm64; absent: the platform's). See [`crate::arch`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<crate::arch::Arch>,
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

/// The longest step time a measured run may report, s (one day: far beyond any
/// function platform's timeout, so a larger value is a unit or typing error).
pub const MAX_STEP_S: f64 = 86_400.0;

/// The most memory a measured run may report, MB (64 GiB: above every
/// function platform's largest size).
pub const MAX_RUN_MEMORY_MB: u32 = 65_536;

/// The largest instance count a measured run may report.
pub const MAX_RUN_D: u32 = 100_000;

/// A value of a measured run that cannot be right.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RunProblem {
    /// The field, e.g. `read.mean_s` or `memory_mb`.
    pub field: String,
    /// What is wrong with its value.
    pub message: String,
}

impl ProfileRun {
    /// Checks the run's values: memory in `1..=MAX_RUN_MEMORY_MB`, d in
    /// `1..=MAX_RUN_D`, every step time finite and at most [`MAX_STEP_S`] in
    /// size, read, compute and write times at least 0 (the start time may be
    /// negative: it is a difference of two measurements), and a wall time above 0.
    pub fn check(&self) -> Result<(), RunProblem> {
        let show = |v: f64| {
            if v.abs() < 1e9 {
                v.to_string()
            } else {
                format!("{v:e}")
            }
        };
        let problem = |field: &str, message: String| RunProblem {
            field: field.to_string(),
            message,
        };
        if !(1..=MAX_RUN_MEMORY_MB).contains(&self.memory_mb) {
            return Err(problem(
                "memory_mb",
                format!("{} is not in 1..={MAX_RUN_MEMORY_MB}", self.memory_mb),
            ));
        }
        if !(1..=MAX_RUN_D).contains(&self.d) {
            return Err(problem(
                "d",
                format!("{} is not in 1..={MAX_RUN_D}", self.d),
            ));
        }
        let steps = [
            ("start", Some(self.start), true),
            ("read", Some(self.read), false),
            ("compute", Some(self.compute), false),
            ("write", self.write, false),
        ];
        for (step, stat, may_be_negative) in steps {
            let Some(stat) = stat else { continue };
            for (name, v) in [("mean_s", stat.mean_s), ("p95_s", stat.p95_s)] {
                let field = format!("{step}.{name}");
                if !v.is_finite() {
                    return Err(problem(&field, format!("{v} is not a finite number")));
                }
                if v < 0.0 && !may_be_negative {
                    return Err(problem(
                        &field,
                        format!("{} s is a negative duration", show(v)),
                    ));
                }
                if v.abs() > MAX_STEP_S {
                    return Err(problem(
                        &field,
                        format!("{} s is longer than {MAX_STEP_S} s (one day)", show(v)),
                    ));
                }
            }
        }
        if let Some(t) = self.timestamp
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(problem(
                "timestamp",
                format!(
                    "{} is not a Unix time in seconds (finite, at least 0)",
                    show(t)
                ),
            ));
        }
        if self.wall_s() <= 0.0 {
            return Err(problem(
                "start.mean_s",
                format!(
                    "the run's wall time (start + read + compute + write) is {} s, not above 0",
                    self.wall_s()
                ),
            ));
        }
        Ok(())
    }
}

/// Profiles that do not fit a workflow, or hold a value that cannot be right.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// Runs of a stage the workflow does not have.
    #[error("profiles: stage `{0}` is not a stage of the workflow")]
    UnknownStage(String),
    /// A stage of the workflow without runs.
    #[error("profiles: stage `{0}` has no profiled runs")]
    NoRuns(String),
    /// A stage profiled twice.
    #[error("profiles: stage `{0}` is profiled twice")]
    Duplicate(String),
    /// A run value that cannot be right.
    #[error("profiles: stage `{stage}`, run {run} ({memory_mb} MB, d = {d}, rep {rep}): {problem}")]
    Run {
        /// Stage id.
        stage: String,
        /// Index of the run within the stage's runs.
        run: usize,
        /// Memory of the run, MB.
        memory_mb: u32,
        /// d of the run.
        d: u32,
        /// Repetition of the run.
        rep: u32,
        /// The field and what is wrong.
        problem: RunProblem,
    },
    /// `mb_per_vcpu` is not positive and finite.
    #[error("profiles: mb_per_vcpu {0} is not a finite value above 0")]
    MbPerVcpu(String),
}

impl Profiles {
    /// Checks the profiles against `workflow`: every profiled stage is one of
    /// its stages, profiled once; every stage of the workflow has at least one
    /// run (the model is fitted from them); every run passes [`ProfileRun::check`].
    pub fn validate(&self, workflow: &crate::dag::Workflow) -> Result<(), ProfileError> {
        if !(self.mb_per_vcpu.is_finite() && self.mb_per_vcpu > 0.0) {
            return Err(ProfileError::MbPerVcpu(self.mb_per_vcpu.to_string()));
        }
        for (i, s) in self.stages.iter().enumerate() {
            if workflow.stage_index(&s.stage).is_none() {
                return Err(ProfileError::UnknownStage(s.stage.clone()));
            }
            if self.stages[..i].iter().any(|t| t.stage == s.stage) {
                return Err(ProfileError::Duplicate(s.stage.clone()));
            }
            s.check_runs()?;
        }
        for stage in &workflow.stages {
            if self.stage(&stage.id).is_none_or(|s| s.runs.is_empty()) {
                return Err(ProfileError::NoRuns(stage.id.clone()));
            }
        }
        Ok(())
    }
}

impl StageProfile {
    /// Checks every run with [`ProfileRun::check`]; the error names the stage and the run.
    pub fn check_runs(&self) -> Result<(), ProfileError> {
        for (run, r) in self.runs.iter().enumerate() {
            r.check().map_err(|problem| ProfileError::Run {
                stage: self.stage.clone(),
                run,
                memory_mb: r.memory_mb,
                d: r.d,
                rep: r.rep,
                problem,
            })?;
        }
        Ok(())
    }
}
