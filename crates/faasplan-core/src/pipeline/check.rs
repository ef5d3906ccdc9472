//! The checks a planning run makes before it allocates anything.
//!
//! [`check`] is everything [`prepare`](super::prepare) would reject for bad
//! input, without fitting or sampling: the workflow, the platform, the
//! settings, the profiles against the workflow (every stage profiled with
//! runs that make sense, no runs of unknown stages), the stage count the
//! solver takes, the number of stage sets that can run at once (for the
//! concurrency check) and the memory the sample tables would take. So
//! `faasplan validate` and the app can refuse an input at once, with the
//! setting or input that is too large and the limit it exceeds.

use super::{Limits, PipelineError};
use crate::dag::Dag;
use crate::formats::project::Project;
use crate::sampling::{self, SizeEstimate};
use crate::solve::{MAX_ANTICHAINS, SolveError, maximal_antichains};

/// The most stages the exact solver plans (its search keeps stage sets as 64-bit sets).
pub const MAX_STAGES: usize = 64;

/// What the checks found: the DAG's index form and the size of the problem.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The workflow's index form.
    pub dag: Dag,
    /// Samples, table rows and bytes the problem will take.
    pub size: SizeEstimate,
}

/// Runs every check of a planning run that needs no fit (see the module docs).
pub fn check(project: &Project, limits: Limits) -> Result<Checked, PipelineError> {
    let dag = project.workflow.validate()?;
    let stages = project.workflow.stages.len();
    if stages > MAX_STAGES {
        return Err(PipelineError::TooManyStages {
            stages,
            limit: MAX_STAGES,
        });
    }
    project.platform.validate()?;
    project
        .platform
        .pricing
        .validate(Some(&project.workflow))
        .map_err(crate::platform::PlatformError::from)?;
    project.settings.validate()?;
    project.profiles.validate(&project.workflow)?;
    crate::arch::check(
        &project.workflow,
        &project.platform,
        &project.settings.architectures,
        &project.profiles,
    )?;
    if maximal_antichains(&dag.parents, &dag.topo).is_none() {
        return Err(SolveError::Antichains(MAX_ANTICHAINS).into());
    }
    let size = sampling::estimate(
        &project.workflow,
        &dag,
        &project.platform,
        &project.settings,
        limits.max_memory_bytes,
    )?;
    Ok(Checked { dag, size })
}

/// The sample count the sample-size formula asks for under the project's
/// settings (whatever `settings.samples` says), to tell whether a fixed count
/// is too small for the claimed confidence.
pub fn samples_needed(project: &Project) -> Result<usize, PipelineError> {
    let dag = project.workflow.validate()?;
    let mut settings = project.settings.clone();
    settings.samples = crate::settings::SampleCount::Auto;
    let size = sampling::estimate(
        &project.workflow,
        &dag,
        &project.platform,
        &settings,
        u64::MAX,
    )?;
    Ok(size.n_samples)
}
