//! The advisor's and the pre-warm panel's state: the latest flagged runs and
//! proposals (asked for by `hooks::use_planner::jobs::use_advise_job` on every
//! input or bound change), the pre-warm planner's inputs and its latest plan,
//! and the two ways they reach the project:
//!
//! - "exclude flagged runs from the fit" sets `settings.exclude_flagged`, a
//!   planner input (the worker's fit cache keys on it);
//! - "use these cold-start rates" writes the rates a pre-warm plan buys into
//!   `settings.cold_start_stages` (as `faasplan prewarm --write-project`), as
//!   one undo step, so the frontier and the plan account for them.
//!
//! "Send to executor" hands the proposals, each as a whole-workflow
//! configuration, to the Executor panel's list (`to_executor`, which the
//! panel copies into its own state). Pure; tested natively.

use std::collections::BTreeMap;
use std::rc::Rc;

use faasplan_core::advisor::propose::Advice;
use faasplan_core::executor::StageConfig;
use faasplan_core::executor::configurations::format_configurations;
use faasplan_core::settings::ColdStarts;

use super::{AppState, Level, history};
use crate::worker::protocol::advisor::{
    AdvisorOutput, ForecasterChoice, PrewarmOutput, TraceInput, TraceShape,
};

/// The batch size the panel starts with.
pub const DEFAULT_BATCH: usize = 4;
/// Largest batch the advisor proposes (`AdvisorSettings::validate`).
pub const MAX_BATCH: usize = 8;

/// The advisor job's answer for the current inputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum AdviceStatus {
    /// Not asked for yet (no profiles).
    #[default]
    Idle,
    /// Asked for; `key` is the job's.
    Running {
        /// Inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
    },
    /// Arrived.
    Done {
        /// Inputs revision it was made for.
        rev: u64,
        /// The flagged runs and proposals.
        output: Rc<AdvisorOutput>,
    },
    /// The job failed.
    Failed {
        /// Inputs revision.
        rev: u64,
        /// Why.
        message: String,
    },
}

/// The pre-warm planner's latest plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum PrewarmStatus {
    /// Not asked for.
    #[default]
    Idle,
    /// Planning.
    Running {
        /// The request's key.
        key: u64,
    },
    /// The plan.
    Done {
        /// Inputs revision it was made for.
        rev: u64,
        /// The plan.
        output: Rc<PrewarmOutput>,
    },
    /// It failed.
    Failed(String),
}

/// Everything the advisor and pre-warm panels show.
#[derive(Clone, Debug, PartialEq)]
pub struct AdvisorState {
    /// Configurations to propose per batch.
    pub batch: usize,
    /// Grows on every change of `batch` (a new advisor job).
    pub advice_rev: u64,
    /// The latest flagged runs and proposals.
    pub advice: AdviceStatus,
    /// The invocation trace to plan pre-warming from.
    pub trace: TraceInput,
    /// Target cold-start rate, %.
    pub target_cold_pct: f64,
    /// The forecaster.
    pub forecaster: ForecasterChoice,
    /// Grows on every "plan pre-warming".
    pub prewarm_rev: u64,
    /// The latest pre-warm plan.
    pub prewarm: PrewarmStatus,
    /// The inputs revision right after the plan's rates were put in the project.
    pub applied_rev: Option<u64>,
    /// The configurations sent to the Executor panel, with a counter.
    pub to_executor: Option<(u64, Rc<str>)>,
}

impl Default for AdvisorState {
    fn default() -> Self {
        AdvisorState {
            batch: DEFAULT_BATCH,
            advice_rev: 0,
            advice: AdviceStatus::Idle,
            trace: TraceInput::Generated {
                shape: TraceShape::Diurnal,
                minutes: 3 * 1440,
                seed: 1,
            },
            target_cold_pct: 1.0,
            forecaster: ForecasterChoice::Quantile,
            prewarm_rev: 0,
            prewarm: PrewarmStatus::Idle,
            applied_rev: None,
            to_executor: None,
        }
    }
}

/// Everything that changes the advisor's state.
#[derive(Clone, Debug, PartialEq)]
pub enum AdvisorAction {
    /// Propose this many configurations (1..=8).
    SetBatch(usize),
    /// An advisor job was posted.
    AdviceStarted {
        /// Inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
    },
    /// An advisor job answered.
    AdviceFinished {
        /// Inputs revision.
        rev: u64,
        /// The job's key.
        key: u64,
        /// The answer or why there is none.
        result: Result<Rc<AdvisorOutput>, String>,
    },
    /// Leave the flagged runs out of the fit (or put them back).
    SetExcludeFlagged(bool),
    /// Put the proposals in the Executor panel's list of configurations to profile.
    SendToExecutor,
    /// Plan from this trace.
    SetTrace(TraceInput),
    /// Target cold-start rate, % (ignored outside [0, 100]).
    SetTarget(f64),
    /// Use this forecaster.
    SetForecaster(ForecasterChoice),
    /// Plan pre-warming for the current inputs.
    PlanPrewarm,
    /// A pre-warm job was posted.
    PrewarmStarted {
        /// The request's key (`prewarm_rev`).
        key: u64,
    },
    /// A pre-warm job answered.
    PrewarmFinished {
        /// Inputs revision.
        rev: u64,
        /// The request's key.
        key: u64,
        /// The plan or why there is none.
        result: Result<Rc<PrewarmOutput>, String>,
    },
    /// Use the cold-start rates the latest pre-warm plan buys (one undo step).
    ApplyColdStarts,
}

/// The advice of the current inputs, if it has arrived.
pub fn current_advice(state: &AppState) -> Option<&AdvisorOutput> {
    match &state.advisor.advice {
        AdviceStatus::Done { rev, output } if *rev == state.inputs_rev => Some(output),
        _ => None,
    }
}

/// The advice's proposals as the Executor panel's text, one whole-workflow
/// configuration per line; `None` without a current plan or proposals.
pub fn executor_text(advice: &Advice) -> Option<String> {
    let configs: Vec<Vec<StageConfig>> = advice
        .proposal_configurations()
        .into_iter()
        .map(|c| {
            c.into_iter()
                .map(|(stage, c)| StageConfig {
                    stage,
                    memory_mb: c.memory_mb,
                    d: c.d,
                })
                .collect()
        })
        .collect();
    (!configs.is_empty()).then(|| {
        format!(
            "# proposed by the advisor at {} s: the current plan with one stage changed\n{}",
            advice.bound_s,
            format_configurations(&configs)
        )
    })
}

/// The cold-start settings as "stage0 0.5 %, stage1 1 %".
pub fn describe_rates(rates: &BTreeMap<String, ColdStarts>) -> String {
    rates
        .iter()
        .map(|(stage, c)| format!("{stage} {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl AppState {
    /// Applies one advisor action.
    pub(crate) fn apply_advisor(&mut self, action: AdvisorAction) {
        let a = &mut self.advisor;
        match action {
            AdvisorAction::SetBatch(n) if (1..=MAX_BATCH).contains(&n) => {
                a.batch = n;
                a.advice_rev += 1;
            }
            AdvisorAction::SetBatch(n) => self.notify(
                Level::Warning,
                format!("batch must be 1 to {MAX_BATCH} configurations, got {n}"),
            ),
            AdvisorAction::AdviceStarted { rev, key } => {
                a.advice = AdviceStatus::Running { rev, key };
            }
            AdvisorAction::AdviceFinished { rev, key, result } => {
                if a.advice != (AdviceStatus::Running { rev, key }) || rev != self.inputs_rev {
                    return;
                }
                a.advice = match result {
                    Ok(output) => AdviceStatus::Done { rev, output },
                    Err(message) => AdviceStatus::Failed { rev, message },
                };
            }
            AdvisorAction::SetExcludeFlagged(on) => {
                if self.project.settings.exclude_flagged != on {
                    self.project.settings.exclude_flagged = on;
                    self.touch_inputs();
                }
            }
            AdvisorAction::SendToExecutor => {
                match current_advice(self)
                    .and_then(|o| o.advice.as_ref().ok())
                    .map(executor_text)
                {
                    Some(Some(text)) => {
                        let n = self.advisor.to_executor.as_ref().map_or(0, |(n, _)| *n) + 1;
                        self.advisor.to_executor = Some((n, Rc::from(text)));
                        self.notify(
                            Level::Info,
                            "The proposed configurations are in the Executor panel's list to profile",
                        );
                    }
                    _ => self.notify(
                        Level::Warning,
                        "No proposals to send: the advisor has no current plan at this bound",
                    ),
                }
            }
            AdvisorAction::SetTrace(trace) => a.trace = trace,
            AdvisorAction::SetTarget(pct) if (0.0..=100.0).contains(&pct) => {
                a.target_cold_pct = pct;
            }
            AdvisorAction::SetTarget(pct) => self.notify(
                Level::Warning,
                format!("the target cold-start rate must be 0 to 100 %, got {pct}"),
            ),
            AdvisorAction::SetForecaster(f) => a.forecaster = f,
            AdvisorAction::PlanPrewarm => a.prewarm_rev += 1,
            AdvisorAction::PrewarmStarted { key } => a.prewarm = PrewarmStatus::Running { key },
            AdvisorAction::PrewarmFinished { rev, key, result } => {
                if a.prewarm != (PrewarmStatus::Running { key }) {
                    return;
                }
                a.prewarm = match result {
                    Ok(output) => PrewarmStatus::Done { rev, output },
                    Err(message) => PrewarmStatus::Failed(message),
                };
                a.applied_rev = None;
            }
            AdvisorAction::ApplyColdStarts => self.apply_cold_starts(),
        }
    }

    /// Fails the advisor's and the pre-warm planner's jobs in flight when the
    /// worker stopped.
    pub(crate) fn advisor_crashed(&mut self, message: &str) {
        let a = &mut self.advisor;
        if let AdviceStatus::Running { rev, .. } = a.advice {
            a.advice = AdviceStatus::Failed {
                rev,
                message: message.to_string(),
            };
        }
        if let PrewarmStatus::Running { .. } = a.prewarm {
            a.prewarm = PrewarmStatus::Failed(message.to_string());
        }
    }

    /// Puts the latest pre-warm plan's cold-start rates in the project.
    fn apply_cold_starts(&mut self) {
        let PrewarmStatus::Done { output, .. } = &self.advisor.prewarm else {
            self.notify(
                Level::Warning,
                "No pre-warm plan to take cold-start rates from",
            );
            return;
        };
        let rates = output.cold_starts.clone();
        if rates.is_empty() {
            return;
        }
        let before = self.project.clone();
        self.history
            .record(history::Snapshot::Project(Rc::new(before)));
        self.project
            .settings
            .cold_start_stages
            .extend(rates.clone());
        self.touch_inputs();
        self.advisor.applied_rev = Some(self.inputs_rev);
        self.notify(
            Level::Info,
            format!(
                "Planning with the cold starts the pre-warm plan buys: {} (Undo restores the previous settings)",
                describe_rates(&rates)
            ),
        );
    }
}

#[cfg(test)]
mod tests;
