//! The planning computation behind the worker: one function per task, from a
//! job to its answer, reporting progress through a callback.
//!
//! - [`Task::Frontier`]: validate → fit (+ the fit report) → sample (progress
//!   from the core's `Sampler` steps) → the whole exact frontier (progress from
//!   `FrontierBuilder` steps: points found, search nodes) → the plan-table
//!   figures of every configuration a frontier point uses ([`tables`]).
//!   Exactly what `pipeline::prepare` + `pipeline::frontier` compute.
//! - [`Task::Solve`] / [`Task::Check`]: `pipeline::report` of the solved bound
//!   or of a given plan (with its out-of-sample check on fresh samples), as
//!   plan JSON.
//! - [`Task::Export`]: `pipeline::plan(project, Limits::default())` and
//!   `plan::to_json`, the same function `faasplan plan` calls, so the bytes are
//!   the CLI's.
//!
//! - [`Task::Baselines`]: `baselines::all` for the given latency bound on the
//!   cached prepared problem, one [`BaselineRow`] per baseline
//!   (10–85 ms natively for the bundled examples, a few times that in wasm).
//!
//! Fitting and sampling are reused between jobs through [`Cache`] when only
//! the bound changed (the prepared problem does not depend on it). Times come
//! from the `now` callback (`performance.now()` in the worker), never from the core.

pub mod tables;

use faasplan_core::baselines;
use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::model::{fit_report, fit_workflow};
use faasplan_core::pipeline::{self, Limits, PipelineError, Prepared};
use faasplan_core::plan::to_json;
use faasplan_core::sampling::{Sampler, SamplingProgress as SampleProgress};
use faasplan_core::settings::Bound;
use faasplan_core::solve::{self, Plan, SolveSettings, Status};
use thiserror::Error;

use super::protocol::{
    BaselineRow, BaselineSet, Job, PlanOutput, Progress, ReportKind, Task, Timings, WorkerOutput,
};

/// Why a job produced no output.
#[derive(Debug, Error)]
pub enum ComputeError {
    /// The project text is not a core project file.
    #[error("project: {0}")]
    Project(String),
    /// The workflow has no stages.
    #[error("the workflow has no stages")]
    EmptyWorkflow,
    /// No profiles have been loaded.
    #[error("no profiles loaded")]
    NoProfiles,
    /// A stage has no measured runs.
    #[error("stage {0} has no profile")]
    MissingProfile(String),
    /// The core pipeline refused the inputs.
    #[error("{0}")]
    Pipeline(#[from] PipelineError),
    /// A checked plan names a configuration outside a stage's candidates.
    #[error("stage {stage}: {memory_mb} mb × {d} is not a candidate configuration")]
    UnknownConfig {
        /// Stage id.
        stage: String,
        /// Memory, MB.
        memory_mb: u32,
        /// Instance count.
        d: u32,
    },
}

/// The prepared problem of the last job, kept for bound-only changes.
#[derive(Default)]
pub struct Cache {
    entry: Option<(CoreProject, Prepared)>,
}

impl Cache {
    /// The prepared problem of `project` (bound ignored), from the cache or fresh.
    fn prepared(&mut self, project: &CoreProject) -> Result<&Prepared, ComputeError> {
        let key = without_bound(project);
        let hit = self.entry.as_ref().is_some_and(|(k, _)| *k == key);
        if !hit {
            let prepared = pipeline::prepare(project)?;
            self.entry = Some((key, prepared));
        }
        match &self.entry {
            Some((_, p)) => Ok(p),
            None => unreachable!("the entry was filled just above"),
        }
    }

    fn store(&mut self, project: &CoreProject, prepared: Prepared) {
        self.entry = Some((without_bound(project), prepared));
    }
}

/// The project with a fixed bound: the key of what fitting and sampling read.
fn without_bound(project: &CoreProject) -> CoreProject {
    let mut p = project.clone();
    p.settings.bound = Bound::Latency { max_s: 0.0 };
    p
}

/// Runs one job; `progress` is called between steps, `now` reads a clock in ms.
pub fn compute(
    job: &Job,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    now: &dyn Fn() -> f64,
) -> WorkerOutput {
    let rev = job.rev;
    let key = job.key;
    let project = parse(&job.project_json);
    let report = |kind, result: Result<String, ComputeError>| WorkerOutput::Report {
        rev,
        key,
        kind,
        result: result.map_err(|e| e.to_string()),
    };
    match &job.task {
        Task::Frontier => WorkerOutput::Frontier {
            rev,
            result: project
                .and_then(|p| frontier(&p, cache, progress, now))
                .map_err(|e| e.to_string()),
        },
        Task::Solve => report(
            ReportKind::Solve,
            project.and_then(|p| {
                progress(phase("solving", 0, 1));
                solve_bound(&p, cache)
            }),
        ),
        Task::Check { configs } => report(
            ReportKind::Check,
            project.and_then(|p| check(&p, cache, configs)),
        ),
        Task::Export => report(
            ReportKind::Export,
            project.and_then(|p| {
                progress(phase("planning", 0, 1));
                Ok(to_json(&pipeline::plan(&p, Limits::default())?))
            }),
        ),
        Task::Baselines { bound_s } => WorkerOutput::Baselines {
            rev,
            key,
            result: project
                .and_then(|p| {
                    progress(phase("baselines", 0, 1));
                    baseline_set(&p, cache, *bound_s, now)
                })
                .map_err(|e| e.to_string()),
        },
    }
}

fn phase(name: &str, done: u64, total: u64) -> Progress {
    Progress {
        phase: name.to_string(),
        done,
        total,
    }
}

/// Reads the project and checks what the pipeline would only report later
/// with a less helpful message.
fn parse(text: &str) -> Result<CoreProject, ComputeError> {
    let project = CoreProject::from_json(text).map_err(|e| ComputeError::Project(e.to_string()))?;
    if project.workflow.stages.is_empty() {
        return Err(ComputeError::EmptyWorkflow);
    }
    project.workflow.validate().map_err(PipelineError::from)?;
    if project.profiles.stages.is_empty() {
        return Err(ComputeError::NoProfiles);
    }
    if let Some(stage) = project.workflow.stages.iter().find(|s| {
        project
            .profiles
            .stage(&s.id)
            .is_none_or(|p| p.runs.is_empty())
    }) {
        return Err(ComputeError::MissingProfile(stage.id.clone()));
    }
    Ok(project)
}

/// Fit, sample and sweep the frontier, as `pipeline::prepare` + `pipeline::frontier`.
fn frontier(
    project: &CoreProject,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    now: &dyn Fn() -> f64,
) -> Result<PlanOutput, ComputeError> {
    let t0 = now();
    progress(phase("fitting models", 0, 1));
    let dag = project.workflow.validate().map_err(PipelineError::from)?;
    project.platform.validate().map_err(PipelineError::from)?;
    project.settings.validate().map_err(PipelineError::from)?;
    let model =
        fit_workflow(&project.workflow, &dag, &project.profiles).map_err(PipelineError::from)?;
    let report =
        fit_report(&project.workflow, &dag, &project.profiles).map_err(PipelineError::from)?;
    let fits = tables::fits(&project.workflow, &project.profiles, &model, &report);
    let t1 = now();
    let mut sampler = Sampler::new(
        &project.workflow,
        &dag,
        &model,
        &project.platform,
        &project.settings,
    )
    .map_err(PipelineError::from)?;
    let mut budget = 1;
    while let SampleProgress::Running { done, total } = sampler.step(budget) {
        // About 50 reports over the whole sampling.
        budget = (total / 50).max(1);
        progress(phase("sampling", done as u64, total as u64));
    }
    let problem = sampler.finish().map_err(PipelineError::from)?;
    let prepared = Prepared {
        dag,
        model,
        problem,
    };
    let t2 = now();
    let mut nodes = 0;
    let front = pipeline::frontier(&prepared, |points, n| {
        nodes = n;
        progress(phase("frontier", points as u64, n));
    })?;
    let t3 = now();
    let (stages, frontier) = tables::frontier_rows(&project.workflow, &prepared.problem, &front)
        .map_err(PipelineError::from)?;
    let samples = prepared.problem.n_samples;
    cache.store(project, prepared);
    let t4 = now();
    Ok(PlanOutput {
        frontier,
        stages,
        fits,
        samples,
        nodes,
        timings: Timings {
            fit_ms: t1 - t0,
            sample_ms: t2 - t1,
            frontier_ms: t3 - t2,
            total_ms: t4 - t0,
        },
    })
}

/// Solves the project's bound exactly on the (cached) prepared problem and reports it.
fn solve_bound(project: &CoreProject, cache: &mut Cache) -> Result<String, ComputeError> {
    let prepared = cache.prepared(project)?;
    let solution = solve::solve(
        &prepared.problem,
        SolveSettings {
            bound: project.settings.bound,
            max_nodes: None,
        },
    )
    .map_err(PipelineError::from)?;
    let report = pipeline::report(project, prepared, &solution.status, solution.plan.as_ref())?;
    Ok(to_json(&report))
}

/// Reports the plan with these configurations (a frontier point, optimal for its bound).
fn check(
    project: &CoreProject,
    cache: &mut Cache,
    configs: &[(u32, u32)],
) -> Result<String, ComputeError> {
    let prepared = cache.prepared(project)?;
    let mut choice = Vec::with_capacity(configs.len());
    for (i, table) in prepared.problem.stages.iter().enumerate() {
        let (memory_mb, d) = configs.get(i).copied().unwrap_or((0, 0));
        let found = table
            .configs
            .iter()
            .position(|c| c.memory_mb == memory_mb && c.d == d);
        match found {
            Some(j) => choice.push(j as u32),
            None => {
                return Err(ComputeError::UnknownConfig {
                    stage: project.workflow.stages[i].id.clone(),
                    memory_mb,
                    d,
                });
            }
        }
    }
    let plan = Plan { choice };
    let report = pipeline::report(project, prepared, &Status::Optimal, Some(&plan))?;
    Ok(to_json(&report))
}

/// Every baseline's plan for `bound_s` on the (cached) prepared problem.
fn baseline_set(
    project: &CoreProject,
    cache: &mut Cache,
    bound_s: f64,
    now: &dyn Fn() -> f64,
) -> Result<BaselineSet, ComputeError> {
    let t0 = now();
    let prepared = cache.prepared(project)?;
    let problem = &prepared.problem;
    let rows = baselines::all(project, prepared, bound_s)
        .into_iter()
        .map(|r| BaselineRow {
            name: r.name.to_string(),
            guaranteed_latency_s: r.guaranteed_latency_s,
            q_latency_s: r.q_latency_s,
            expected_cost_usd: r.expected_cost_usd,
            meets_bound: r.meets_bound,
            plan: r.plan.map(|plan| {
                plan.choice
                    .iter()
                    .zip(&problem.stages)
                    .zip(&project.workflow.stages)
                    .map(|((&j, table), stage)| {
                        let c = &table.configs[j as usize];
                        (stage.id.clone(), c.memory_mb, c.d)
                    })
                    .collect()
            }),
        })
        .collect();
    Ok(BaselineSet {
        bound_s,
        rows,
        elapsed_ms: now() - t0,
    })
}

#[cfg(test)]
mod tests;
