//! Choice points: groups of alternatives of which one runs per execution (a
//! Step Functions `Choice` state).
//!
//! Every stage of every alternative stays in the DAG. How the planner treats
//! a Choice is its [`ChoiceMode`]:
//!
//! - `Slowest` (the default): every alternative runs in every sample, so the
//!   DAG's latency is at least the slowest alternative's and the cost counts
//!   them all. A plan for this holds whatever the Choice picks.
//! - `Probabilities`: each Monte Carlo sample draws one alternative, alternative
//!   j with probability `p_j = w_j / Σ w` (the weights normalised), independently
//!   for each Choice and each sample. The stages of the other alternatives take
//!   zero time and cost in that sample, so the workflow's latency and cost
//!   distributions are the mixture `Σ_j p_j · F_j` over the alternatives. A
//!   stage in alternatives of nested Choices runs when every one of them picks it.
//!
//! An alternative lists the stages that run only when it is picked; stages
//! after the point where the alternatives join belong to none.

use serde::{Deserialize, Serialize};

use super::{Workflow, WorkflowError};

/// How the planner treats a [`Choice`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceMode {
    /// Every alternative runs: the plan holds for the slowest.
    #[default]
    Slowest,
    /// One alternative runs per sample, drawn with the alternatives' probabilities.
    Probabilities,
}

/// One alternative of a [`Choice`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    /// What the alternative is called (the state it starts at).
    pub label: String,
    /// Ids of the stages that run only when this alternative is picked (may be empty).
    pub stages: Vec<String>,
    /// Its weight: the probability once the Choice's weights are normalised.
    pub probability: f64,
}

/// A choice point of a workflow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Name (the Choice state's).
    pub name: String,
    /// How the planner treats it.
    #[serde(default)]
    pub mode: ChoiceMode,
    /// The alternatives, at least two.
    pub alternatives: Vec<Alternative>,
}

impl Choice {
    /// The alternatives' probabilities (the weights normalised to sum to 1), or
    /// `None` when the Choice is planned for the slowest.
    pub fn probabilities(&self) -> Option<Vec<f64>> {
        if self.mode == ChoiceMode::Slowest {
            return None;
        }
        let total: f64 = self.alternatives.iter().map(|a| a.probability).sum();
        Some(
            self.alternatives
                .iter()
                .map(|a| a.probability / total)
                .collect(),
        )
    }

    /// Sets the weights (one per alternative) and switches to `Probabilities`;
    /// on an error nothing changes.
    pub fn set_probabilities(&mut self, weights: &[f64]) -> Result<(), String> {
        if weights.len() != self.alternatives.len() {
            return Err(format!(
                "{} probabilities for {} alternatives ({})",
                weights.len(),
                self.alternatives.len(),
                self.labels()
            ));
        }
        let mut next = self.clone();
        for (a, &w) in next.alternatives.iter_mut().zip(weights) {
            a.probability = w;
        }
        next.mode = ChoiceMode::Probabilities;
        next.check().map_err(|e| match e {
            WorkflowError::Choice { message, .. } => message,
            other => other.to_string(),
        })?;
        *self = next;
        Ok(())
    }

    /// The alternatives' labels, comma-separated.
    pub fn labels(&self) -> String {
        let labels: Vec<&str> = self.alternatives.iter().map(|a| a.label.as_str()).collect();
        labels.join(", ")
    }

    /// Checks what needs no workflow: two alternatives or more and, for
    /// `Probabilities`, finite nonnegative weights with a positive sum.
    fn check(&self) -> Result<(), WorkflowError> {
        let fail = |message: String| {
            Err(WorkflowError::Choice {
                name: self.name.clone(),
                message,
            })
        };
        if self.alternatives.len() < 2 {
            return fail(format!(
                "has {} alternative(s); a Choice needs at least two",
                self.alternatives.len()
            ));
        }
        if self.mode == ChoiceMode::Probabilities {
            for a in &self.alternatives {
                if !(a.probability.is_finite() && a.probability >= 0.0) {
                    return fail(format!(
                        "alternative {:?}: probability {} is not a finite number ≥ 0",
                        a.label, a.probability
                    ));
                }
            }
            if self.alternatives.iter().map(|a| a.probability).sum::<f64>() <= 0.0 {
                return fail("the probabilities sum to 0".into());
            }
        }
        Ok(())
    }
}

impl Workflow {
    /// Checks every Choice: its own values, and that its alternatives name
    /// stages of the workflow, each in at most one alternative.
    pub(super) fn check_choices(&self) -> Result<(), WorkflowError> {
        for c in &self.choices {
            c.check()?;
            let mut seen: Vec<&str> = Vec::new();
            for a in &c.alternatives {
                for id in &a.stages {
                    let fail = |message: String| {
                        Err(WorkflowError::Choice {
                            name: c.name.clone(),
                            message,
                        })
                    };
                    if self.stage_index(id).is_none() {
                        return fail(format!(
                            "alternative {:?} names stage {id:?}, which the workflow does not have",
                            a.label
                        ));
                    }
                    if seen.contains(&id.as_str()) {
                        return fail(format!("stage {id:?} is in two alternatives"));
                    }
                    seen.push(id);
                }
            }
        }
        Ok(())
    }

    /// The Choice named `name`.
    pub fn choice_mut(&mut self, name: &str) -> Option<&mut Choice> {
        self.choices.iter_mut().find(|c| c.name == name)
    }
}
