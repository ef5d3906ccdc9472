//! The executor panel's state: where the executor is, the run in flight, and
//! the timeline of finished runs with their predicted and measured figures.
//!
//! An executor (see `docs/executor.md`) runs the workflow for real and returns
//! profile rows. The panel keeps its own state ([`ExecutorState`], changed only
//! by [`ExecutorState::apply`]); what reaches the project — the returned
//! profiles — goes through the app's reducer as one undoable step
//! ([`merge_profiles`], `Action::MergeExecutorProfiles`). Everything here is
//! pure and tested natively; the requests are made by
//! `components::executor_panel` through `browser::http`.

use std::collections::BTreeMap;
use std::rc::Rc;

use faasplan_core::dag::{Config, Workflow};
use faasplan_core::executor::cost::{mean_measured_cost, total_usd};
use faasplan_core::executor::{
    ExecutionRecord, ExecutorInfo, RunState, RunStatus as ExecRunStatus, StageConfig,
};
use faasplan_core::plan::PlanReport;
use faasplan_core::platform::Platform;
use faasplan_core::pricing::CostBreakdown;
use faasplan_core::profile::Profiles;
use faasplan_core::stats::empirical::quantile;

use super::run::{chosen, output};
use super::{AppState, Chosen, ReportStatus};
use crate::worker::protocol::ReportKind;

/// localStorage key of the remembered executor URL and token.
pub const REMEMBER_KEY: &str = "faasplan.executor.v1";

/// What the user remembers on this device (only when they tick the box).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Remembered {
    /// The executor's base URL.
    pub url: String,
    /// The bearer token ("" for none).
    pub token: String,
}

/// Whether the executor answered `GET /health`.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Connection {
    /// Not tested yet.
    #[default]
    Unknown,
    /// The test is under way.
    Testing,
    /// It answered.
    Connected(Rc<ExecutorInfo>),
    /// It did not; why, in words for the user.
    Failed(String),
}

/// What a run executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// The chosen plan, repeated.
    Plan,
    /// A list of configurations, to profile.
    Profile,
}

/// The model's figures for a plan, taken when the run was sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Predicted {
    /// Median workflow latency, s (when the plan's report was at hand).
    pub p50_s: Option<f64>,
    /// Latency at the percentile q, s.
    pub q_s: f64,
    /// Expected cost per run, USD.
    pub cost_usd: f64,
    /// The expected cost split by component (when the plan's report was at hand).
    pub breakdown: Option<CostBreakdown>,
    /// The percentile q the plan was made for.
    pub percentile: f64,
}

/// Figures of the finished executions of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Executions measured.
    pub executions: usize,
    /// Of which some stage started cold.
    pub cold: usize,
    /// Median latency, s.
    pub p50_s: f64,
    /// Latency at the percentile q (nearest rank), s.
    pub q_s: f64,
    /// Mean cost per execution, USD: the sum of `breakdown`.
    pub cost_usd: f64,
    /// The mean cost split like the prediction's
    /// (`faasplan_core::executor::cost::measured_cost`): functions at the
    /// measured billed GB·s and requests, orchestration and data transfer of
    /// the stages that ran, at the project's prices.
    pub breakdown: CostBreakdown,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Still running.
    Running,
    /// Every execution finished; `rows` profile rows came back.
    Done {
        /// Stage runs returned.
        rows: usize,
    },
    /// Stopped by the user.
    Cancelled,
    /// Stopped by an error.
    Failed(String),
}

/// One run in the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// Number in the timeline, from 1.
    pub number: usize,
    /// The executor's run id, once it answered.
    pub id: Option<String>,
    /// Plan or profiling run.
    pub kind: RunKind,
    /// What ran, e.g. "plan × 5" or "6 configurations × 3".
    pub label: String,
    /// The model's figures (plan runs).
    pub predicted: Option<Predicted>,
    /// The measured figures, once executions came back.
    pub measured: Option<Measured>,
    /// Where it is.
    pub outcome: Outcome,
}

/// The run in flight.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// Index in the timeline.
    pub record: usize,
    /// The latest `GET /runs/{id}`.
    pub status: Option<ExecRunStatus>,
    /// The user asked to cancel.
    pub cancelling: bool,
}

impl Job {
    /// Fraction of executions finished, when known.
    pub fn fraction(&self) -> Option<f64> {
        let s = self.status.as_ref()?;
        (s.executions_total > 0).then(|| s.executions_finished as f64 / s.executions_total as f64)
    }
}

/// Everything the executor panel shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutorState {
    /// The executor's base URL.
    pub url: String,
    /// The bearer token ("" for none). Kept in memory unless `remember`.
    pub token: String,
    /// Keep URL and token in this browser's storage.
    pub remember: bool,
    /// Executions per configuration.
    pub repetitions: u32,
    /// Generated input size, bytes.
    pub workload_bytes: u64,
    /// The configurations to profile, one per line (see [`parse_configurations`]).
    pub configurations: String,
    /// The connection test.
    pub connection: Connection,
    /// The run in flight.
    pub job: Option<Job>,
    /// Every run of this session, oldest first.
    pub timeline: Vec<RunRecord>,
}

impl Default for ExecutorState {
    fn default() -> Self {
        ExecutorState {
            url: "http://127.0.0.1:8787".to_string(),
            token: String::new(),
            remember: false,
            repetitions: 5,
            workload_bytes: 1 << 20,
            configurations: String::new(),
            connection: Connection::Unknown,
            job: None,
            timeline: Vec::new(),
        }
    }
}

/// Everything that changes the panel's state.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecutorAction {
    /// Values restored from this device.
    Restore(Remembered),
    /// Set the URL.
    SetUrl(String),
    /// Set the token.
    SetToken(String),
    /// Tick or untick "remember on this device".
    SetRemember(bool),
    /// Set the repetitions (ignored outside 1..=1000).
    SetRepetitions(u32),
    /// Set the input size in bytes (ignored when 0).
    SetWorkloadBytes(u64),
    /// Replace the list of configurations to profile.
    SetConfigurations(String),
    /// A connection test was started.
    TestStarted,
    /// The connection test ended.
    TestFinished(Result<Rc<ExecutorInfo>, String>),
    /// A run was sent.
    RunSent {
        /// Plan or profiling run.
        kind: RunKind,
        /// What runs.
        label: String,
        /// The model's figures (plan runs).
        predicted: Option<Predicted>,
    },
    /// The executor accepted the run.
    RunCreated(String),
    /// `GET /runs/{id}` answered.
    RunProgressed(ExecRunStatus),
    /// The user asked to cancel.
    CancelRequested,
    /// The run ended: the measured figures and the rows returned, or why not.
    RunEnded(Result<RunEnd, String>),
}

/// What a finished run gave.
#[derive(Clone, Debug, PartialEq)]
pub struct RunEnd {
    /// The run's final state.
    pub state: RunState,
    /// Measured figures (None when no execution finished).
    pub measured: Option<Measured>,
    /// Stage runs returned.
    pub rows: usize,
    /// The errors the executor reported.
    pub errors: Vec<String>,
}

impl ExecutorState {
    /// Applies one action.
    pub fn apply(&mut self, action: ExecutorAction) {
        match action {
            ExecutorAction::Restore(r) => {
                self.url = r.url;
                self.token = r.token;
                self.remember = true;
            }
            ExecutorAction::SetUrl(url) => {
                self.url = url.trim().to_string();
                self.connection = Connection::Unknown;
            }
            ExecutorAction::SetToken(token) => {
                self.token = token.trim().to_string();
                self.connection = Connection::Unknown;
            }
            ExecutorAction::SetRemember(on) => self.remember = on,
            ExecutorAction::SetRepetitions(n) if (1..=1000).contains(&n) => self.repetitions = n,
            ExecutorAction::SetRepetitions(_) => {}
            ExecutorAction::SetWorkloadBytes(b) if b > 0 => self.workload_bytes = b,
            ExecutorAction::SetWorkloadBytes(_) => {}
            ExecutorAction::SetConfigurations(text) => self.configurations = text,
            ExecutorAction::TestStarted => self.connection = Connection::Testing,
            ExecutorAction::TestFinished(Ok(info)) => self.connection = Connection::Connected(info),
            ExecutorAction::TestFinished(Err(e)) => self.connection = Connection::Failed(e),
            ExecutorAction::RunSent {
                kind,
                label,
                predicted,
            } => {
                self.timeline.push(RunRecord {
                    number: self.timeline.len() + 1,
                    id: None,
                    kind,
                    label,
                    predicted,
                    measured: None,
                    outcome: Outcome::Running,
                });
                self.job = Some(Job {
                    record: self.timeline.len() - 1,
                    status: None,
                    cancelling: false,
                });
            }
            ExecutorAction::RunCreated(id) => {
                if let Some(r) = self.job_record() {
                    r.id = Some(id);
                }
            }
            ExecutorAction::RunProgressed(status) => {
                if let Some(job) = &mut self.job {
                    job.status = Some(status);
                }
            }
            ExecutorAction::CancelRequested => {
                if let Some(job) = &mut self.job {
                    job.cancelling = true;
                }
            }
            ExecutorAction::RunEnded(result) => {
                let cancelling = self.job.as_ref().is_some_and(|j| j.cancelling);
                if let Some(r) = self.job_record() {
                    r.outcome = match result {
                        Ok(end) => {
                            r.measured = end.measured;
                            match end.state {
                                RunState::Cancelled => Outcome::Cancelled,
                                RunState::Failed => Outcome::Failed(if end.errors.is_empty() {
                                    "the executor reports the run failed".to_string()
                                } else {
                                    end.errors.join("; ")
                                }),
                                _ if cancelling => Outcome::Cancelled,
                                _ => Outcome::Done { rows: end.rows },
                            }
                        }
                        Err(e) => Outcome::Failed(e),
                    };
                }
                self.job = None;
            }
        }
    }

    fn job_record(&mut self) -> Option<&mut RunRecord> {
        let i = self.job.as_ref()?.record;
        self.timeline.get_mut(i)
    }

    /// Whether a run is in flight.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    /// What to keep on this device: `Some` only when the user ticked the box.
    pub fn remembered(&self) -> Option<Remembered> {
        self.remember.then(|| Remembered {
            url: self.url.clone(),
            token: self.token.clone(),
        })
    }
}

/// The plan the bound picks, as the protocol's list, and the model's figures
/// for it: P50 and Pq from the plan's report when it is at hand (the
/// out-of-sample check of a frontier point, or the exact solve), else the
/// frontier point's guaranteed latency and expected cost.
pub fn plan_target(state: &AppState) -> Result<(Vec<StageConfig>, Predicted), String> {
    let q = state.project.settings.percentile;
    let from_report = |report: &PlanReport| {
        let totals = report.totals.as_ref()?;
        let stages = StageConfig::of_plan(report);
        Some((
            stages,
            Predicted {
                p50_s: Some(totals.latency_p50_s),
                q_s: totals.latency_q_s,
                cost_usd: totals.expected_cost_usd,
                breakdown: report.cost_breakdown,
                percentile: q,
            },
        ))
    };
    match chosen(state) {
        Chosen::Point(i) => {
            let out = output(state).ok_or("no frontier yet")?;
            let stages: Vec<StageConfig> = out
                .point_configs(i)
                .map(|(st, c)| StageConfig {
                    stage: st.stage.clone(),
                    memory_mb: c.memory_mb,
                    d: c.d,
                })
                .collect();
            if let ReportStatus::Done { report, .. } = state.current_report(ReportKind::Check)
                && let Some((checked, predicted)) = from_report(report)
                && checked == stages
            {
                return Ok((stages, predicted));
            }
            let point = out.frontier.points.get(i).ok_or("no such frontier point")?;
            Ok((
                stages,
                Predicted {
                    p50_s: None,
                    q_s: point.guaranteed_latency_s,
                    cost_usd: point.expected_cost_usd,
                    breakdown: None,
                    percentile: q,
                },
            ))
        }
        Chosen::Solve => match state.current_report(ReportKind::Solve) {
            ReportStatus::Done { report, .. } => {
                from_report(report).ok_or_else(|| "the solve found no plan".to_string())
            }
            _ => Err("the plan for this bound is still being solved".to_string()),
        },
        Chosen::Infeasible(_) => Err("no plan meets the bound".to_string()),
        Chosen::NoFrontier => {
            Err("plan first: load a workflow with profiles of every stage".to_string())
        }
    }
}

/// Measured figures of `executions` of `workflow` at the project's prices and percentile.
pub fn measure(
    executions: &[ExecutionRecord],
    workflow: &Workflow,
    platform: &Platform,
    q: f64,
) -> Option<Measured> {
    if executions.is_empty() {
        return None;
    }
    let mut latencies: Vec<f64> = executions.iter().map(|e| e.latency_s).collect();
    latencies.sort_by(f64::total_cmp);
    let breakdown = mean_measured_cost(workflow, platform, executions);
    Some(Measured {
        executions: executions.len(),
        cold: executions.iter().filter(|e| e.cold).count(),
        p50_s: quantile(&latencies, 0.5),
        q_s: quantile(&latencies, q),
        cost_usd: total_usd(&breakdown),
        breakdown,
    })
}

/// Adds `fresh` to `existing`: each stage's runs are appended, with repetition
/// numbers continuing after the ones already measured for the same
/// configuration. Refused when the two were measured at different MB per vCPU
/// (one profile set has one platform).
pub fn merge_profiles(existing: Option<&Profiles>, fresh: &Profiles) -> Result<Profiles, String> {
    let Some(existing) = existing else {
        return Ok(fresh.clone());
    };
    if (existing.mb_per_vcpu - fresh.mb_per_vcpu).abs() > 1e-9 * existing.mb_per_vcpu.abs() {
        return Err(format!(
            "the executor measures at {} MB per vCPU but the project's profiles were measured at {}; \
             load them into a project of their own (or remove the current profiles) to use them",
            fresh.mb_per_vcpu, existing.mb_per_vcpu
        ));
    }
    let mut merged = existing.clone();
    for stage in &fresh.stages {
        let i = match merged.stages.iter().position(|s| s.stage == stage.stage) {
            Some(i) => i,
            None => {
                merged.stages.push(faasplan_core::profile::StageProfile {
                    stage: stage.stage.clone(),
                    runs: Vec::new(),
                });
                merged.stages.len() - 1
            }
        };
        let target = &mut merged.stages[i];
        let mut next_rep: BTreeMap<(u32, u32), u32> = BTreeMap::new();
        for r in &target.runs {
            let e = next_rep.entry((r.memory_mb, r.d)).or_insert(0);
            *e = (*e).max(r.rep + 1);
        }
        for run in &stage.runs {
            let mut run = run.clone();
            let e = next_rep.entry((run.memory_mb, run.d)).or_insert(0);
            run.rep = *e;
            *e += 1;
            target.runs.push(run);
        }
    }
    Ok(merged)
}

/// Total stage runs in `profiles`.
pub fn row_count(profiles: &Profiles) -> usize {
    profiles.stages.iter().map(|s| s.runs.len()).sum()
}

/// One configuration as the protocol's list, in the workflow's stage order.
pub fn stage_configs(workflow: &Workflow, configs: &[Config]) -> Vec<StageConfig> {
    workflow
        .stages
        .iter()
        .zip(configs)
        .map(|(s, c)| StageConfig {
            stage: s.id.clone(),
            memory_mb: c.memory_mb,
            d: c.d,
        })
        .collect()
}

/// A first design to profile when there is no plan yet: each stage's
/// smallest, middle and largest memory size crossed with its smallest,
/// middle and largest instance count, configuration k taking every stage's
/// k-th combination (a fixed stage keeps its configuration). At most `limit`.
pub fn starting_configurations(workflow: &Workflow, limit: usize) -> Vec<Vec<StageConfig>> {
    fn levels(mut v: Vec<u32>) -> Vec<u32> {
        v.sort_unstable();
        v.dedup();
        match v.len() {
            0 => Vec::new(),
            1 | 2 => v,
            n => vec![v[0], v[n / 2], v[n - 1]],
        }
    }
    let combos: Vec<Vec<Config>> = workflow
        .stages
        .iter()
        .map(|stage| {
            if let Some(fixed) = stage.fixed {
                return vec![fixed];
            }
            let ds = match stage.kind {
                faasplan_core::dag::StageKind::Single => vec![1],
                faasplan_core::dag::StageKind::Parallel => levels(stage.allowed_d.clone()),
            };
            let mut out = Vec::new();
            for &memory_mb in &levels(stage.memory.sizes().collect()) {
                for &d in &ds {
                    let c = Config { memory_mb, d };
                    if stage.allows(c) {
                        out.push(c);
                    }
                }
            }
            out
        })
        .collect();
    if combos.iter().any(Vec::is_empty) {
        return Vec::new();
    }
    let n = combos
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .min(limit.max(1));
    (0..n)
        .map(|k| {
            let configs: Vec<Config> = combos.iter().map(|c| c[k % c.len()]).collect();
            stage_configs(workflow, &configs)
        })
        .collect()
}

/// The plan and its neighbours: the plan itself, then for each stage the
/// next smaller and larger memory size and instance count the stage allows,
/// one stage changed at a time. At most `limit` configurations.
pub fn neighbours(
    workflow: &Workflow,
    plan: &[StageConfig],
    limit: usize,
) -> Vec<Vec<StageConfig>> {
    let mut out = vec![plan.to_vec()];
    for (i, entry) in plan.iter().enumerate() {
        let Some(stage) = workflow.stages.iter().find(|s| s.id == entry.stage) else {
            continue;
        };
        let sizes: Vec<u32> = stage.memory.sizes().collect();
        let lower_mb = sizes.iter().rev().find(|&&m| m < entry.memory_mb).copied();
        let higher_mb = sizes.iter().find(|&&m| m > entry.memory_mb).copied();
        let mut ds = stage.allowed_d.clone();
        ds.sort_unstable();
        let lower_d = ds.iter().rev().find(|&&d| d < entry.d).copied();
        let higher_d = ds.iter().find(|&&d| d > entry.d).copied();
        let changes = [
            lower_mb.map(|m| (m, entry.d)),
            higher_mb.map(|m| (m, entry.d)),
            lower_d.map(|d| (entry.memory_mb, d)),
            higher_d.map(|d| (entry.memory_mb, d)),
        ];
        for (memory_mb, d) in changes.into_iter().flatten() {
            let config = Config { memory_mb, d };
            if stage.fixed.is_some() || !stage.allows(config) {
                continue;
            }
            let mut c = plan.to_vec();
            c[i] = StageConfig {
                stage: entry.stage.clone(),
                memory_mb,
                d,
            };
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out.truncate(limit.max(1));
    out
}

pub use faasplan_core::executor::configurations::{format_configurations, parse_configurations};

#[cfg(test)]
mod tests;
