//! The planning computation behind the worker: one function from a job to its
//! output, reporting progress through a callback.
//!
//! It checks the inputs it can check today (a non-empty, acyclic workflow with
//! profiles for every stage) and then needs the core's fit, sample and
//! frontier steps. Until those exist it reports
//! [`ComputeError::EngineUnavailable`] rather than any made-up numbers.

use thiserror::Error;

use super::protocol::{Job, PlanOutput, Progress};

/// Why a job produced no output.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ComputeError {
    /// The workflow has no stages.
    #[error("the workflow has no stages")]
    EmptyWorkflow,
    /// The workflow is not a valid DAG (the core's message, e.g. a cycle).
    #[error("workflow: {0}")]
    InvalidWorkflow(String),
    /// No profiles have been loaded.
    #[error("no profiles loaded")]
    NoProfiles,
    /// A stage has no measured runs.
    #[error("stage {0} has no profile")]
    MissingProfile(String),
    /// The fit/sample/frontier engine is not part of this build yet.
    #[error("planning engine not available")]
    EngineUnavailable,
}

/// Runs one planning job, calling `progress` between phases.
pub fn compute(job: &Job, progress: &mut dyn FnMut(Progress)) -> Result<PlanOutput, ComputeError> {
    progress(Progress {
        phase: "checking inputs".to_string(),
        done: 0,
        total: 1,
    });
    let workflow = &job.project.workflow;
    if workflow.stages.is_empty() {
        return Err(ComputeError::EmptyWorkflow);
    }
    workflow
        .validate()
        .map_err(|e| ComputeError::InvalidWorkflow(e.to_string()))?;
    let profiles = job
        .project
        .profiles
        .as_ref()
        .ok_or(ComputeError::NoProfiles)?;
    if let Some(stage) = workflow
        .stages
        .iter()
        .find(|s| profiles.stage(&s.id).is_none())
    {
        return Err(ComputeError::MissingProfile(stage.id.clone()));
    }
    progress(Progress {
        phase: "checking inputs".to_string(),
        done: 1,
        total: 1,
    });
    Err(ComputeError::EngineUnavailable)
}

#[cfg(test)]
mod tests {
    use faasplan_core::dag::{Edge, Position};
    use faasplan_core::profile::{Profiles, StageProfile};

    use super::*;
    use crate::state::project::{Project, new_stage};

    fn job(stages: &[&str], edges: &[(&str, &str)], profiled: Option<&[&str]>) -> Job {
        let mut project = Project::default();
        let at = Position { x: 0.0, y: 0.0 };
        project.workflow.stages = stages
            .iter()
            .map(|s| new_stage(s.to_string(), at))
            .collect();
        project.workflow.edges = edges
            .iter()
            .map(|(a, b)| Edge {
                from: a.to_string(),
                to: b.to_string(),
            })
            .collect();
        project.profiles = profiled.map(|ids| Profiles {
            mb_per_vcpu: 1792.0,
            stages: ids
                .iter()
                .map(|id| StageProfile {
                    stage: id.to_string(),
                    runs: Vec::new(),
                })
                .collect(),
        });
        Job { rev: 7, project }
    }

    fn run(job: &Job) -> (Result<PlanOutput, ComputeError>, usize) {
        let mut reports = 0;
        let result = compute(job, &mut |_| reports += 1);
        (result, reports)
    }

    #[test]
    fn compute_checks_inputs_before_planning() {
        assert_eq!(
            run(&job(&[], &[], None)).0,
            Err(ComputeError::EmptyWorkflow)
        );
        assert_eq!(
            run(&job(&["a"], &[], None)).0,
            Err(ComputeError::NoProfiles)
        );
        assert_eq!(
            run(&job(&["a", "b"], &[], Some(&["a"]))).0,
            Err(ComputeError::MissingProfile("b".into()))
        );
        let cyclic = job(&["a", "b"], &[("a", "b"), ("b", "a")], Some(&["a", "b"]));
        assert!(
            matches!(run(&cyclic).0, Err(ComputeError::InvalidWorkflow(m)) if m.contains("cycle"))
        );
    }

    #[test]
    fn compute_reports_progress_and_says_the_engine_is_missing_instead_of_inventing_numbers() {
        let (result, reports) = run(&job(&["a", "b"], &[("a", "b")], Some(&["a", "b"])));
        assert_eq!(result, Err(ComputeError::EngineUnavailable));
        assert_eq!(
            ComputeError::EngineUnavailable.to_string(),
            "planning engine not available"
        );
        assert!(reports >= 1);
    }
}
