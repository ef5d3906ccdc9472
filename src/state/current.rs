//! The user's current configuration: the memory and d each stage runs with
//! today, entered in the stage inspector, and the worker's evaluation of it
//! (`pipeline::evaluate`, what `faasplan evaluate --config` prints): its point
//! on the frontier chart and what the planner would save.
//!
//! Entries are kept by stage id (a rename carries its entry along) and are a
//! view choice, not part of the project file. `current_rev` grows on every
//! change; an evaluation answer is kept only if it carries the current
//! `inputs_rev` and `current_rev`, so a bound move never re-evaluates (the
//! evaluation does not depend on the bound).

use std::rc::Rc;

use faasplan_core::dag::Config;

use super::{Action, AppState};
use crate::worker::protocol::EvaluationOutput;

/// State of the evaluation of the current configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum EvaluationStatus {
    /// Not asked for the current inputs and configuration.
    #[default]
    Idle,
    /// Asked for `(inputs_rev, current_rev)` `at`.
    Pending {
        /// `(inputs_rev, current_rev)` it was asked for.
        at: (u64, u64),
    },
    /// Arrived.
    Done {
        /// `(inputs_rev, current_rev)` it was asked for.
        at: (u64, u64),
        /// The evaluation.
        evaluation: Rc<EvaluationOutput>,
    },
    /// Failed with a message for the user.
    Failed {
        /// `(inputs_rev, current_rev)` it was asked for.
        at: (u64, u64),
        /// Why.
        message: String,
    },
}

impl EvaluationStatus {
    fn at(&self) -> Option<(u64, u64)> {
        match self {
            EvaluationStatus::Idle => None,
            EvaluationStatus::Pending { at }
            | EvaluationStatus::Done { at, .. }
            | EvaluationStatus::Failed { at, .. } => Some(*at),
        }
    }
}

impl AppState {
    pub(crate) fn apply_current(&mut self, action: Action) {
        let now = (self.inputs_rev, self.current_rev);
        match action {
            Action::SetCurrentConfig { stage, config } => {
                match config {
                    Some(c) => self.current_config.insert(stage, c),
                    None => self.current_config.remove(&stage),
                };
                self.current_rev += 1;
            }
            Action::EvaluationStarted { rev, key } if (rev, key) == now => {
                self.evaluation = EvaluationStatus::Pending { at: now };
            }
            Action::EvaluationFinished { rev, key, result } if (rev, key) == now => {
                self.evaluation = match result {
                    Ok(evaluation) => EvaluationStatus::Done {
                        at: now,
                        evaluation,
                    },
                    Err(message) => EvaluationStatus::Failed { at: now, message },
                };
            }
            _ => {}
        }
    }

    /// Moves the current configuration of a renamed stage to its new id.
    pub(crate) fn follow_rename(&mut self, id: &str, new_id: &str) {
        let renamed = self.project.workflow.stage_index(new_id).is_some()
            && self.project.workflow.stage_index(id).is_none();
        if let Some(c) = renamed.then(|| self.current_config.remove(id)).flatten() {
            self.current_config.insert(new_id.to_string(), c);
            self.current_rev += 1;
        }
    }

    /// The current configuration of every stage in workflow order, or the ids
    /// of the stages that have none yet.
    pub fn current_configs(&self) -> Result<Vec<(String, Config)>, Vec<String>> {
        let stages = &self.project.workflow.stages;
        let missing: Vec<String> = stages
            .iter()
            .filter(|s| !self.current_config.contains_key(&s.id))
            .map(|s| s.id.clone())
            .collect();
        if !missing.is_empty() || stages.is_empty() {
            return Err(missing);
        }
        Ok(stages
            .iter()
            .filter_map(|s| Some((s.id.clone(), *self.current_config.get(&s.id)?)))
            .collect())
    }

    /// The evaluation of the current configuration, if it is the current one.
    pub fn current_evaluation(&self) -> &EvaluationStatus {
        if self.evaluation.at() == Some((self.inputs_rev, self.current_rev)) {
            &self.evaluation
        } else {
            &EvaluationStatus::Idle
        }
    }
}
