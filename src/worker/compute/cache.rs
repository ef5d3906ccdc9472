//! What the worker keeps between jobs, so that a change reruns only the
//! stages of the pipeline that read it:
//!
//! - the profiles of the last job that sent them, which later jobs refer to;
//! - the fitted models and the fit report depend on the workflow, the
//!   profiles and whether flagged runs are left out (`settings.exclude_flagged`)
//!   only: a bound, percentile, confidence or price change reuses them;
//! - the sampled problem depends on those and on the platform and the settings
//!   except the bound: a bound change reuses it.
//!
//! Each entry is keyed on exactly the inputs it reads.

use faasplan_core::advisor::anomaly::{AnomalyReport, AnomalySettings, detect, exclude_flagged};
use faasplan_core::dag::{Dag, Workflow};
use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::model::{WorkflowModel, fit_report};
use faasplan_core::pipeline::{PipelineError, Prepared};
use faasplan_core::platform::Platform;
use faasplan_core::profile::Profiles;
use faasplan_core::settings::{Bound, PlanSettings};

use std::borrow::Cow;

use super::{ComputeError, tables};
use crate::worker::protocol::{Job, JobProfiles, StageFit};

/// The fitted models of one workflow and its profiles, with the fit report's figures.
#[derive(Clone, Debug)]
pub struct Fitted {
    /// The workflow's index form.
    pub dag: Dag,
    /// The fitted stage models.
    pub model: WorkflowModel,
    /// Per stage, the fitted curves and errors for the profiles chart
    /// (computed on first use: the cross-validated report refits every stage).
    pub fits: Option<Vec<StageFit>>,
}

/// The inputs the sampled problem reads besides the fit.
#[derive(Clone, Debug, PartialEq)]
struct SampleKey {
    fit_generation: u64,
    platform: Platform,
    settings: PlanSettings,
}

impl SampleKey {
    fn of(project: &CoreProject, fit_generation: u64) -> Self {
        let mut settings = project.settings.clone();
        settings.bound = Bound::Latency { max_s: 0.0 };
        SampleKey {
            fit_generation,
            platform: project.platform.clone(),
            settings,
        }
    }
}

/// The workflow as the fit reads it: without its name and stage positions.
fn fit_inputs(workflow: &Workflow) -> Workflow {
    let mut w = workflow.clone();
    w.name.clear();
    for s in &mut w.stages {
        s.position = None;
    }
    w
}

/// What the fit reads: the workflow (as [`fit_inputs`] keeps it), the
/// profiles, and whether the flagged runs are left out of them.
type FitKey = (Workflow, Profiles, bool);

fn fit_key(project: &CoreProject) -> FitKey {
    (
        fit_inputs(&project.workflow),
        project.profiles.clone(),
        project.settings.exclude_flagged,
    )
}

/// The profiles the last job sent, the last fit and the last sampled problem.
#[derive(Default)]
pub struct Cache {
    /// The profiles of the last job that sent them, with their number.
    profiles: Option<(u64, Profiles)>,
    fit: Option<(FitKey, Fitted)>,

    fit_generation: u64,
    prepared: Option<(SampleKey, Prepared)>,
    /// The anomaly detector's verdict on the profiles it was run on.
    flagged: Option<(Profiles, AnomalyReport)>,
}

impl Cache {
    /// The job's project with its profiles: those it carries (kept for later
    /// jobs), or those it refers to; the number it refers to when they are not kept.
    pub fn resolve_profiles<'j>(&mut self, job: &'j Job) -> Result<Cow<'j, CoreProject>, u64> {
        match job.profiles {
            JobProfiles::Sent { id } => {
                self.profiles = Some((id, job.project.profiles.clone()));
                Ok(Cow::Borrowed(&job.project))
            }
            JobProfiles::Kept { id } => match &self.profiles {
                Some((kept, profiles)) if *kept == id => {
                    let mut project = job.project.clone();
                    project.profiles = profiles.clone();
                    Ok(Cow::Owned(project))
                }
                _ => Err(id),
            },
        }
    }

    /// The cached fit of the project's workflow and profiles, if any.
    pub fn cached_fit(&self, project: &CoreProject) -> Option<&Fitted> {
        let workflow = fit_inputs(&project.workflow);
        self.fit
            .as_ref()
            .filter(|((w, p, x), _)| {
                *w == workflow && *p == project.profiles && *x == project.settings.exclude_flagged
            })
            .map(|(_, f)| f)
    }

    /// Keeps the fit of a freshly prepared problem (its models drawn from `project`).
    pub fn store_fit(&mut self, project: &CoreProject, prepared: &Prepared) {
        let key = fit_key(project);
        let fitted = Fitted {
            dag: prepared.dag.clone(),
            model: prepared.model.clone(),
            fits: None,
        };
        self.fit = Some((key, fitted));
        self.fit_generation += 1;
        self.prepared = None;
    }

    /// The profiles chart's fitted curves and errors (the fit report) of the
    /// cached fit, computed once per fit; `None` without a cached fit.
    pub fn fit_tables(
        &mut self,
        project: &CoreProject,
    ) -> Option<Result<Vec<StageFit>, ComputeError>> {
        self.cached_fit(project)?;
        if let Some(fits) = self.fit.as_ref().and_then(|(_, f)| f.fits.as_ref()) {
            return Some(Ok(fits.clone()));
        }
        // The report of the runs the models were fitted on.
        let cleaned = project
            .settings
            .exclude_flagged
            .then(|| exclude_flagged(&project.profiles, &self.flagged(&project.profiles)));
        let (_, fitted) = self.fit.as_mut()?;
        let profiles = cleaned.as_ref().unwrap_or(&project.profiles);
        let report = match fit_report(&project.workflow, &fitted.dag, profiles) {
            Ok(r) => r,
            Err(e) => return Some(Err(PipelineError::from(e).into())),
        };
        let fits = tables::fits(&project.workflow, profiles, &fitted.model, &report);
        fitted.fits = Some(fits.clone());
        Some(Ok(fits))
    }

    /// The fit report's tables if they were already computed for the project's
    /// fit (never computes them).
    pub fn known_fit_tables(&self, project: &CoreProject) -> Option<Vec<StageFit>> {
        self.cached_fit(project)?.fits.clone()
    }

    /// The cached sampled problem of `project` (its bound ignored), if any.
    pub fn cached_prepared(&self, project: &CoreProject) -> Option<&Prepared> {
        // Drawn from the current fit, which must be the fit of this project.
        self.cached_fit(project)?;
        let key = SampleKey::of(project, self.fit_generation);
        self.prepared
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, p)| p)
    }

    /// The cached sampled problem of `project`, mutable (certification may lower its
    /// allowed violations while it re-solves).
    pub fn cached_prepared_mut(&mut self, project: &CoreProject) -> Option<&mut Prepared> {
        self.cached_fit(project)?;
        let key = SampleKey::of(project, self.fit_generation);
        self.prepared
            .as_mut()
            .filter(|(k, _)| *k == key)
            .map(|(_, p)| p)
    }

    /// Keeps `prepared` as the sampled problem of `project` (drawn from the current fit).
    pub fn store(&mut self, project: &CoreProject, prepared: Prepared) -> &Prepared {
        let key = SampleKey::of(project, self.fit_generation);
        &self.prepared.insert((key, prepared)).1
    }

    /// The anomaly detector's verdict on `profiles` (default thresholds), kept
    /// until the profiles change: bound and batch changes do not test again.
    pub fn flagged(&mut self, profiles: &Profiles) -> AnomalyReport {
        match &self.flagged {
            Some((p, report)) if p == profiles => report.clone(),
            _ => {
                let report = detect(profiles, &AnomalySettings::default());
                self.flagged = Some((profiles.clone(), report.clone()));
                report
            }
        }
    }

    /// Forgets the sampled problem (to free its memory before drawing a new one).
    pub fn drop_prepared(&mut self) {
        self.prepared = None;
    }

    /// Takes the sampled problem out of the cache (a pool worker's solver owns it).
    pub fn take_prepared(&mut self) -> Option<Prepared> {
        self.prepared.take().map(|(_, p)| p)
    }
}
