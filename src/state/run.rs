//! Planning results in the state: the frontier run for the current inputs,
//! the bound-dependent reports (the out-of-sample check of the chosen plan and
//! the exact solve of a quantile cost bound), and the pure look-up of the plan
//! a bound picks on the frontier ([`chosen`]).
//!
//! Answers carry the `inputs_rev` they were computed for, and bound-dependent
//! answers also the `bound_rev`; an answer whose revisions are not the current
//! ones is dropped.

use std::rc::Rc;

use faasplan_core::plan::PlanReport;
use faasplan_core::settings::{Bound, CostKind};

use super::{Action, AppState, BaselinesStatus, EvaluationStatus, Level};
use crate::worker::protocol::{PlanOutput, Progress, ReportKind};

/// State of the frontier run for the current inputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RunStatus {
    /// Nothing has been asked yet.
    #[default]
    Idle,
    /// A job for `rev` is running.
    Running {
        /// Inputs revision of the job.
        rev: u64,
        /// Latest progress report, if any.
        progress: Option<Progress>,
    },
    /// The job for `rev` finished.
    Done {
        /// Inputs revision of the job.
        rev: u64,
        /// Its output.
        output: Rc<PlanOutput>,
    },
    /// The job for `rev` failed with a message for the user.
    Failed {
        /// Inputs revision of the job.
        rev: u64,
        /// Why.
        message: String,
    },
}

/// The whole exact frontier, computed on request in its own worker (the
/// frontier run gives one optimal plan per slider position).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ExactRun {
    /// Not asked for the current inputs.
    #[default]
    Idle,
    /// Asked for `rev`; `progress` is the latest report.
    Running {
        /// Inputs revision it was asked for.
        rev: u64,
        /// Latest progress report, if any.
        progress: Option<Progress>,
    },
    /// Failed for `rev` with a message for the user.
    Failed {
        /// Inputs revision it was asked for.
        rev: u64,
        /// Why.
        message: String,
    },
}

/// The inputs revision the exact frontier is being computed for, when it is
/// the current one (an edit supersedes it).
pub fn exact_running(state: &AppState) -> Option<u64> {
    match state.exact {
        ExactRun::Running { rev, .. } if rev == state.inputs_rev => Some(rev),
        _ => None,
    }
}

/// Whether the frontier on screen is the whole exact frontier.
pub fn is_exact(state: &AppState) -> bool {
    output(state).is_some_and(|o| o.resolution.exact)
}

/// Whether the frontier on screen is the one at the slider's resolution: its
/// points are optimal for their own latencies, but a bound between two of them
/// may have a cheaper plan that is not drawn, so the plan for a bound is solved.
fn at_resolution(out: &PlanOutput) -> bool {
    !out.resolution.exact && out.resolution.positions > 0
}

/// State of a bound-dependent report (check or solve).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ReportStatus {
    /// Not asked for the current bound.
    #[default]
    Idle,
    /// Asked; `progress` is the latest report.
    Pending {
        /// `bound_rev` it was asked for.
        key: u64,
        /// Latest progress report, if any.
        progress: Option<Progress>,
    },
    /// Arrived.
    Done {
        /// `bound_rev` it was asked for.
        key: u64,
        /// The plan report.
        report: Rc<PlanReport>,
    },
    /// Failed with a message for the user.
    Failed {
        /// `bound_rev` it was asked for.
        key: u64,
        /// Why.
        message: String,
    },
}

/// What the bound picks once the frontier is known.
#[derive(Clone, Debug, PartialEq)]
pub enum Chosen {
    /// No frontier for the current inputs yet.
    NoFrontier,
    /// The frontier point with this index.
    Point(usize),
    /// No plan meets the bound; the nearest bound of the same type that one meets.
    Infeasible(Bound),
    /// A quantile cost bound: not a frontier look-up, the worker solves it.
    Solve,
}

/// The finished frontier output for the current inputs, if any.
pub fn output(state: &AppState) -> Option<&Rc<PlanOutput>> {
    match &state.run {
        RunStatus::Done { rev, output } if *rev == state.inputs_rev => Some(output),
        _ => None,
    }
}

/// The plan the current bound picks: the certified exact solve of the bound
/// (`pipeline::plan`, the frontier job's first answer) unless the whole exact
/// frontier is on screen; on the exact frontier, the core's look-up
/// (`Frontier::for_latency_bound` / `for_cost_bound`, by index) or the nearest
/// bound of the same kind that a plan meets, and the solve again when the bound
/// is a quantile cost or when fusion or an edge device is in play.
pub fn chosen(state: &AppState) -> Chosen {
    let Some(out) = output(state) else {
        // Before the first round: the frontier job's own solve of the bound.
        let running =
            matches!(state.run, RunStatus::Running { rev, .. } if rev == state.inputs_rev);
        let solving = !matches!(state.current_report(ReportKind::Solve), ReportStatus::Idle);
        return if running && solving {
            Chosen::Solve
        } else {
            Chosen::NoFrontier
        };
    };
    if at_resolution(out) {
        return Chosen::Solve;
    }
    let front = &out.frontier;
    let (Some(fastest), Some(cheapest)) = (front.points.first(), front.points.last()) else {
        return Chosen::NoFrontier;
    };
    // The frontier is unfused and all in the cloud: with fusion or an edge
    // device the worker solves the bound over every grouping and placement.
    if super::fusion::plans_over_groupings(&state.project) {
        return Chosen::Solve;
    }
    match state.project.settings.bound {
        Bound::Latency { max_s } => front.index_for_latency_bound(max_s).map_or(
            Chosen::Infeasible(Bound::Latency {
                max_s: fastest.guaranteed_latency_s,
            }),
            Chosen::Point,
        ),
        Bound::Cost {
            max_usd,
            kind: CostKind::Mean,
        } => front.index_for_cost_bound(max_usd).map_or(
            Chosen::Infeasible(Bound::Cost {
                max_usd: cheapest.expected_cost_usd,
                kind: CostKind::Mean,
            }),
            Chosen::Point,
        ),
        Bound::Cost {
            kind: CostKind::Quantile,
            ..
        } => Chosen::Solve,
    }
}

impl AppState {
    pub(crate) fn apply_run(&mut self, action: Action) {
        let current = |rev: u64, s: &AppState| rev == s.inputs_rev;
        match action {
            Action::RunStarted { rev } if current(rev, self) => {
                self.run = RunStatus::Running {
                    rev,
                    progress: None,
                };
                // The frontier job solves the bound first.
                self.solved = ReportStatus::Pending {
                    key: self.bound_rev,
                    progress: None,
                };
            }
            Action::RunProgressed { rev, progress } if current(rev, self) => {
                // Rounds already on screen stay there while the next is computed.
                let shown = matches!(self.run, RunStatus::Done { rev: r, .. } if r == rev);
                if !shown {
                    self.run = RunStatus::Running {
                        rev,
                        progress: Some(progress),
                    };
                }
            }
            Action::RunPartial { rev, output } if current(rev, self) && !self.exact_shown(rev) => {
                self.run = RunStatus::Done { rev, output };
            }
            Action::RunFinished { rev, result: Ok(_) } if self.exact_shown(rev) => {}
            Action::RunFinished { rev, result } if current(rev, self) => {
                if self.last_run_crashed {
                    self.last_run_crashed = false;
                    self.doc_rev += 1;
                }
                self.run = match result {
                    Ok(output) => RunStatus::Done { rev, output },
                    Err(message) => RunStatus::Failed { rev, message },
                };
            }
            Action::ReportStarted { kind, rev, key }
                if current(rev, self) && key == self.bound_rev =>
            {
                *self.report_mut(kind) = ReportStatus::Pending {
                    key,
                    progress: None,
                };
            }
            Action::ReportProgressed {
                kind,
                rev,
                key,
                progress,
            } if current(rev, self) && key == self.bound_rev => {
                *self.report_mut(kind) = ReportStatus::Pending {
                    key,
                    progress: Some(progress),
                };
            }
            Action::ReportFinished {
                kind,
                rev,
                key,
                result,
            } if current(rev, self) && key == self.bound_rev => {
                *self.report_mut(kind) = match result {
                    Ok(report) => ReportStatus::Done { key, report },
                    Err(message) => ReportStatus::Failed { key, message },
                };
            }
            Action::ExactRequested if output(self).is_some() && !is_exact(self) => {
                self.exact = ExactRun::Running {
                    rev: self.inputs_rev,
                    progress: None,
                };
            }
            Action::ExactCancelled => self.exact = ExactRun::Idle,
            Action::ExactProgressed { rev, progress } if exact_running(self) == Some(rev) => {
                self.exact = ExactRun::Running {
                    rev,
                    progress: Some(progress),
                };
            }
            Action::ExactFinished { rev, result } if exact_running(self) == Some(rev) => {
                match result {
                    Ok(output) => {
                        self.exact = ExactRun::Idle;
                        self.run = RunStatus::Done { rev, output };
                    }
                    Err(message) => self.exact = ExactRun::Failed { rev, message },
                }
            }
            Action::WorkerCrashed { message } => self.worker_crashed(&message),
            Action::RetryPlanning => {
                self.planning_paused = false;
                self.inputs_rev += 1;
                self.bound_rev += 1;
            }
            Action::EnterSafeMode => {
                self.planning_paused = true;
                self.last_run_crashed = true;
                self.run = RunStatus::Failed {
                    rev: self.inputs_rev,
                    message: "planning this project stopped the browser's planner last time, so \
                              it is paused (safe mode): check the percentile, confidence and \
                              stage ranges, then Retry"
                        .into(),
                };
                self.notify(
                    Level::Warning,
                    "Safe mode: the autosaved project crashed the planner last time; planning is \
                     paused until you change an input or Retry",
                );
            }
            _ => {}
        }
    }

    /// Fails every job in flight with the cause, asks for a new worker and
    /// marks the inputs as crashing (autosaved, so a reload starts in safe mode).
    fn worker_crashed(&mut self, cause: &str) {
        let message = format!("the planner stopped ({cause}); it has been restarted");
        if matches!(self.run, RunStatus::Running { .. } | RunStatus::Idle) {
            self.run = RunStatus::Failed {
                rev: self.inputs_rev,
                message: message.clone(),
            };
        }
        for report in [&mut self.check, &mut self.solved] {
            if let ReportStatus::Pending { key, .. } = *report {
                *report = ReportStatus::Failed {
                    key,
                    message: message.clone(),
                };
            }
        }
        if let EvaluationStatus::Pending { at } = self.evaluation {
            self.evaluation = EvaluationStatus::Failed {
                at,
                message: message.clone(),
            };
        }
        if let BaselinesStatus::Pending { key } = self.baselines {
            self.baselines = BaselinesStatus::Failed {
                key,
                message: message.clone(),
            };
        }
        self.advisor_crashed(&message);
        self.worker_generation += 1;
        self.last_run_crashed = true;
        self.doc_rev += 1;
        self.notify(Level::Error, format!("Planning failed: {message}"));
    }

    /// Whether the exact frontier of `rev` is on screen (a later resolution
    /// answer must not replace it).
    fn exact_shown(&self, rev: u64) -> bool {
        matches!(&self.run, RunStatus::Done { rev: r, output } if *r == rev && output.resolution.exact)
    }

    fn report_mut(&mut self, kind: ReportKind) -> &mut ReportStatus {
        match kind {
            ReportKind::Solve => &mut self.solved,
            ReportKind::Check => &mut self.check,
        }
    }

    /// The check report of the current bound, if it is the current one.
    pub fn current_report(&self, kind: ReportKind) -> &ReportStatus {
        let r = match kind {
            ReportKind::Solve => &self.solved,
            _ => &self.check,
        };
        let key = match r {
            ReportStatus::Idle => return r,
            ReportStatus::Pending { key, .. }
            | ReportStatus::Done { key, .. }
            | ReportStatus::Failed { key, .. } => *key,
        };
        if key == self.bound_rev {
            r
        } else {
            &ReportStatus::Idle
        }
    }
}

#[cfg(test)]
mod tests;
