//! The planning computation behind the worker: one function per task, from a
//! job to its answer, reporting progress through a callback.
//!
//! - [`Task::Frontier`]: validate → fit → sample (progress from the core's
//!   `Sampler` steps) → the frontier at the slider's resolution, coarse to fine
//!   ([`resolution`]): first the optimal plan for the job's own latency bound,
//!   then the core's `ResolutionBuilder` over 500 bounds
//!   ([`RESOLUTION_POSITIONS`](super::protocol::RESOLUTION_POSITIONS)) in
//!   rounds, each round answered as a [`WorkerOutput::FrontierPart`] with the
//!   plan-table figures of every configuration its points use ([`tables`]);
//!   then the fit report for the profiles chart and the final answer.
//! - [`Task::ExactFrontier`]: the same preparation, then the whole exact
//!   frontier (progress from `FrontierBuilder` steps: points found, search
//!   nodes): exactly what `pipeline::prepare` + `pipeline::frontier` compute.
//! - [`Task::Solve`]: `pipeline::solve_certified` of the bound (solved exactly,
//!   certified on fresh samples, re-solved with a smaller allowance when the
//!   certificate fails); [`Task::Check`]: `pipeline::report` of a given plan
//!   (with its out-of-sample check and certificate on fresh samples).
//! - [`Task::Export`]: `pipeline::solve_certified` with no node limit on the
//!   prepared problem, then `plan::to_json` — the steps of `pipeline::plan`,
//!   which `faasplan plan` calls, so the bytes are the CLI's.
//! - [`Task::Evaluate`]: the user's current configuration through
//!   `pipeline::plan_of` and `pipeline::evaluate` (what `faasplan evaluate`
//!   prints), with its point for the frontier chart.
//! - [`Task::Baselines`]: `baselines::all` for the given latency bound on the
//!   cached prepared problem, one [`BaselineRow`] per baseline
//!   (10–85 ms natively for the bundled examples, a few times that in wasm).
//!
//! - [`Task::Advise`] and [`Task::Prewarm`]: the advisor's flagged runs and
//!   proposals, and provisioned concurrency from a trace ([`advisor`]).
//!
//! [`Cache`] keeps the profiles a job sent (later jobs refer to them), the fit across bound, percentile, confidence and price
//! changes and the sampled problem across bound changes. Settings whose sampled
//! table would not fit in the worker's memory are refused before sampling
//! ([`limits`]). Times come from the `now` callback (`performance.now()` in the
//! worker), never from the core.

pub mod advisor;
pub mod cache;
pub mod limits;
pub mod resolution;
pub mod tables;

use faasplan_core::baselines;
use faasplan_core::dag::Config;
use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::fusion::FusionOptions;
use faasplan_core::pipeline::{self, PipelineError, Preparation, Prepared, RunProgress};
use faasplan_core::plan::to_json;
use faasplan_core::solve::{self, Status};
use thiserror::Error;

pub use cache::Cache;

use super::protocol::{
    BaselineRow, BaselineSet, EvaluationOutput, Job, PlanOutput, Progress, ReportKind, Resolution,
    StartTimings, Task, Timings, WirePlan, WorkerOutput,
};

/// Why a job produced no output.
#[derive(Debug, Error)]
pub enum ComputeError {
    /// The workflow has no stages.
    #[error("the workflow has no stages")]
    EmptyWorkflow,
    /// No profiles have been loaded.
    #[error("no profiles loaded")]
    NoProfiles,
    /// The inputs changed while the job ran (its prepared problem is gone).
    #[error("the inputs changed while the frontier was computed; it is computed again")]
    Stale,
    /// A stage has no measured runs.
    #[error("stage {0} has no profile")]
    MissingProfile(String),
    /// The core pipeline refused the inputs.
    #[error("{0}")]
    Pipeline(#[from] PipelineError),
    /// A job referred to profiles the worker does not keep.
    #[error("the planning worker no longer has these profiles (number {0}); plan again")]
    ProfilesNotKept(u64),
    /// The sampled table would not fit in the browser's memory.
    #[error(
        "these settings need {samples} samples × {rows} configurations = {mib} MiB of samples, \
         more than the {limit_mib} MiB the browser can plan with; lower the percentile or the \
         confidence, allow a larger empirical violation, or narrow the stages' memory and d ranges"
    )]
    TooLarge {
        /// Monte Carlo samples N.
        samples: u64,
        /// Table rows over all stages.
        rows: u64,
        /// The table's size, MiB.
        mib: u64,
        /// The limit, MiB.
        limit_mib: u64,
    },
}

/// Runs one job; `progress` is called between steps, `now` reads a clock in ms.
/// The rounds of a [`Task::Frontier`] are not reported (see [`compute_with_parts`]).
pub fn compute(
    job: &Job,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    now: &dyn Fn() -> f64,
) -> WorkerOutput {
    compute_with_parts(job, cache, progress, &mut |_| {}, now)
}

/// [`compute`], with `part` called with the answers a [`Task::Frontier`] gives
/// before its last: first the certified solve of the job's own bound (a
/// [`WorkerOutput::Report`] of [`ReportKind::Solve`], what `faasplan plan`
/// computes), then the frontier so far after each round
/// ([`WorkerOutput::FrontierPart`]). The worker posts them as they come.
pub fn compute_with_parts(
    job: &Job,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    part: &mut dyn FnMut(WorkerOutput),
    now: &dyn Fn() -> f64,
) -> WorkerOutput {
    let (rev, key) = (job.rev, job.key);
    let resolved = cache.resolve_profiles(job);
    let project = match &resolved {
        Ok(p) => check_inputs(p).map(|()| p.as_ref()),
        Err(id) => Err(ComputeError::ProfilesNotKept(*id)),
    };
    let report = |kind, result: Result<WirePlan, ComputeError>| WorkerOutput::Report {
        rev,
        key,
        kind,
        result: result.map_err(|e| e.to_string()),
    };
    match &job.task {
        Task::Frontier => WorkerOutput::Frontier {
            rev,
            result: project
                .and_then(|p| {
                    // The plan for the bound the user set, before any round.
                    let solved = solve_bound(p, cache, progress, &job.fusion);
                    part(report(ReportKind::Solve, solved.map(WirePlan)));
                    let mut round = |output| part(WorkerOutput::FrontierPart { rev, output });
                    resolution::frontier(p, cache, progress, &mut round, now)
                })
                .map_err(|e| e.to_string()),
        },
        Task::ExactFrontier => WorkerOutput::Frontier {
            rev,
            result: project
                .and_then(|p| frontier(p, cache, progress, now))
                .map_err(|e| e.to_string()),
        },
        Task::Solve => report(
            ReportKind::Solve,
            project.and_then(|p| {
                progress(Progress::Solving);
                solve_bound(p, cache, progress, &job.fusion).map(WirePlan)
            }),
        ),
        Task::Check { configs } => report(
            ReportKind::Check,
            project.and_then(|p| check(p, cache, progress, configs).map(WirePlan)),
        ),
        Task::Export => WorkerOutput::Export {
            key,
            result: project
                .and_then(|p| {
                    progress(Progress::Planning);
                    solve_bound(p, cache, progress, &job.fusion).map(|r| to_json(&r))
                })
                .map_err(|e| e.to_string()),
        },
        Task::Evaluate { configs } => WorkerOutput::Evaluation {
            rev,
            key,
            result: project
                .and_then(|p| {
                    progress(Progress::Evaluating);
                    evaluate(p, cache, progress, configs)
                })
                .map_err(|e| e.to_string()),
        },
        Task::Baselines { bound_s } => WorkerOutput::Baselines {
            rev,
            key,
            result: project
                .and_then(|p| {
                    progress(Progress::Baselines);
                    baseline_set(p, cache, progress, *bound_s, now)
                })
                .map_err(|e| e.to_string()),
        },
        Task::Advise { bound_s, batch } => WorkerOutput::Advice {
            rev,
            key,
            result: project
                .map(|p| {
                    progress(Progress::Advising);
                    advisor::advise(p, cache, *bound_s, *batch, now)
                })
                .map_err(|e| e.to_string()),
        },
        Task::Prewarm(request) => WorkerOutput::Prewarm {
            rev,
            key,
            result: project.map_err(|e| e.to_string()).and_then(|p| {
                progress(Progress::Prewarming);
                advisor::prewarm(p, cache, request, now)
            }),
        },
        Task::Positions { bounds, max_nodes } => WorkerOutput::Positions {
            rev,
            key,
            result: project
                .and_then(|p| resolution::solve_positions(p, cache, progress, bounds, *max_nodes))
                .map_err(|e| e.to_string()),
        },
        // The files are read asynchronously first: `agent` runs these jobs
        // through `opening`, never through here.
        Task::Import { .. } => WorkerOutput::Imported {
            key,
            result: Err(crate::import::ImportError {
                file: String::new(),
                message: "an import job is run by the worker agent, which reads its files".into(),
            }),
        },
    }
}

/// A frontier job whose rounds are solved elsewhere (a pool of workers, see
/// `worker::pool`), once its first round is answered.
pub struct FrontierStart {
    /// The job's project, with its profiles.
    pub project: CoreProject,
    /// The rounds left to solve: [`resolution::builder`]'s, after its first round.
    pub rounds: faasplan_core::frontier::ResolutionRounds,
    /// Start and end of the preparation, ms.
    pub times: (f64, f64),
    /// Bytes of the sampled problem's tables (what a pool worker needs too).
    pub table_bytes: u64,
    /// The steps so far.
    pub start: StartTimings,
}

/// The first part of a [`Task::Frontier`] whose rounds a pool solves, as
/// [`compute_with_parts`] runs it: the preparation (fit and sample, or the
/// cached problem), the certified solve of the job's own bound
/// ([`solve_own_bound`], answered through `part`), the positions' bounds and
/// the first round (answered at once through `part` as a
/// [`WorkerOutput::FrontierPart`]); the rest of the rounds are left to the
/// caller. A job that cannot go on gives its final answer as the error.
pub fn start_frontier(
    job: &Job,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    part: &mut dyn FnMut(WorkerOutput),
    now: &dyn Fn() -> f64,
) -> Result<FrontierStart, Box<WorkerOutput>> {
    let rev = job.rev;
    let fail = |e: ComputeError| {
        Box::new(WorkerOutput::Frontier {
            rev,
            result: Err(e.to_string()),
        })
    };
    let c0 = now();
    let project = match cache.resolve_profiles(job) {
        Ok(p) => p.into_owned(),
        Err(id) => return Err(fail(ComputeError::ProfilesNotKept(id))),
    };
    check_inputs(&project).map_err(fail)?;
    let t0 = now();
    let table_bytes = {
        let prep = prepared(&project, cache, progress).map_err(fail)?;
        prep.problem
            .stages
            .iter()
            .map(|t| t.configs.len() as u64)
            .sum::<u64>()
            .saturating_mul(prep.problem.n_samples as u64)
            .saturating_mul(2 * std::mem::size_of::<faasplan_core::problem::Sample>() as u64)
    };
    let t1 = now();
    // The plan panel's plan: the certified solve of the job's own bound, first.
    part(solve_own_bound(
        (rev, job.key),
        &job.fusion,
        &project,
        cache,
    ));
    let tb = now();
    let Some(prep) = cache.cached_prepared(&project) else {
        unreachable!("prepared() keeps the sampled problem")
    };
    let mut builder =
        resolution::builder(&prep.problem).map_err(|e| fail(PipelineError::from(e).into()))?;
    let t2 = now();
    let output = resolution::first_round(&project, cache, &mut builder, (t0, t1), progress, now)
        .map_err(fail)?;
    part(WorkerOutput::FrontierPart { rev, output });
    let t3 = now();
    Ok(FrontierStart {
        project,
        rounds: builder.into_rounds(),
        times: (t0, t1),
        table_bytes,
        start: StartTimings {
            started_at_ms: 0.0,
            check_ms: t0 - c0,
            prepare_ms: t1 - t0,
            bounds_ms: t2 - tb,
            first_round_ms: t3 - t2,
            own_bound_ms: tb - t1,
            stopped_previous: false,
        },
    })
}

/// The certified solve of a frontier job's own bound (the job `rev`, `key`,
/// with `fusion`) on the cached problem of `project` (the job's, with its
/// profiles): the [`WorkerOutput::Report`] of [`ReportKind::Solve`] that a
/// frontier job answers first.
pub fn solve_own_bound(
    (rev, key): (u64, u64),
    fusion: &FusionOptions,
    project: &CoreProject,
    cache: &mut Cache,
) -> WorkerOutput {
    let solved = solve_bound(project, cache, &mut |_| {}, fusion);
    WorkerOutput::Report {
        rev,
        key,
        kind: ReportKind::Solve,
        result: solved.map(WirePlan).map_err(|e| e.to_string()),
    }
}

/// Checks the inputs before any work: first what the pipeline would report
/// with a less helpful message, then `pipeline::check`.
fn check_inputs(project: &CoreProject) -> Result<(), ComputeError> {
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
    // Everything else the core would refuse (profile values, stage and antichain
    // counts, settings, sample memory), naming the stage and field, before any fit.
    pipeline::check(project, pipeline::Limits::default())?;
    Ok(())
}

/// The sampled problem of `project` (bound ignored): cached; or prepared by
/// the core's resumable `pipeline::Preparation` (one stage fit or a bounded
/// batch of rows per step, each reported), which starts from the cached fit
/// when the workflow and profiles did not change (`Preparation::with_model`). A table too large for
/// the browser is refused before anything is fitted or drawn.
pub fn prepared<'c>(
    project: &CoreProject,
    cache: &'c mut Cache,
    progress: &mut dyn FnMut(Progress),
) -> Result<&'c Prepared, ComputeError> {
    if cache.cached_prepared(project).is_some() {
        return cache
            .cached_prepared(project)
            .ok_or_else(|| unreachable!("checked just above"));
    }
    let dag = project.workflow.validate().map_err(PipelineError::from)?;
    project.platform.validate().map_err(PipelineError::from)?;
    project.settings.validate().map_err(PipelineError::from)?;
    let size = limits::table_size(
        &project.workflow,
        &dag,
        &project.platform,
        &project.settings,
    )
    .map_err(PipelineError::from)?;
    if size.bytes() > limits::MAX_TABLE_BYTES {
        return Err(ComputeError::TooLarge {
            samples: size.samples,
            rows: size.rows,
            mib: size.bytes() >> 20,
            limit_mib: limits::MAX_TABLE_BYTES >> 20,
        });
    }
    // Free the old table before drawing the new one.
    cache.drop_prepared();
    // The core's resumable preparation; with a cached fit its steps only sample.
    let (mut run, fitted) = match cache.cached_fit(project) {
        Some(fitted) => (Preparation::with_model(project, &fitted.model)?, true),
        None => (Preparation::new(project)?, false),
    };
    let mut budget = 1;
    loop {
        match run.step(budget)? {
            RunProgress::Fitting { done, total } => progress(Progress::Fitting {
                done: done as u64,
                total: total as u64,
            }),
            RunProgress::Sampling { done, total } => {
                // About 50 reports over the whole sampling.
                budget = (total / 50).max(1);
                progress(Progress::Sampling {
                    done: done as u64,
                    total: total as u64,
                });
            }
            RunProgress::Frontier { .. } | RunProgress::Finished => break,
        }
    }
    let prepared = run.finish()?;
    if !fitted {
        cache.store_fit(project, &prepared);
    }
    Ok(cache.store(project, prepared))
}

/// Fit, sample and sweep the whole exact frontier, as `pipeline::prepare` +
/// `pipeline::frontier`, then the fit report for the profiles chart (once per fit).
fn frontier(
    project: &CoreProject,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    now: &dyn Fn() -> f64,
) -> Result<PlanOutput, ComputeError> {
    let t0 = now();
    prepared(project, cache, progress)?;
    let t1 = now();
    let Some(fits) = cache.fit_tables(project) else {
        unreachable!("prepared() keeps the fit of the project")
    };
    let fits = fits?;
    let Some(prepared) = cache.cached_prepared(project) else {
        unreachable!("prepared() keeps the sampled problem")
    };
    let t2 = now();
    let mut nodes = 0;
    let front = pipeline::frontier(prepared, |points, n| {
        nodes = n;
        progress(Progress::Frontier {
            points: points as u64,
            nodes: n,
        });
    })?;
    let t3 = now();
    let (stages, point_rows) = tables::frontier_rows(&project.workflow, &prepared.problem, &front)
        .map_err(PipelineError::from)?;
    let t4 = now();
    Ok(PlanOutput {
        frontier: front,
        point_rows,
        stages,
        fits,
        samples: prepared.problem.n_samples,
        nodes,
        timings: Timings {
            fit_ms: t2 - t1,
            sample_ms: t1 - t0,
            frontier_ms: t3 - t2,
            total_ms: t4 - t0,
            memory_bytes: memory_bytes(),
            start: StartTimings::default(),
        },
        resolution: Resolution {
            positions: 0,
            resolved: 0,
            exact: true,
            unproven: 0,
        },
    })
}

/// The size of this wasm32 instance's linear memory, bytes (its peak: it never
/// shrinks); 0 on other targets.
pub(crate) fn memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as f64 * 65_536.0
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// Solves the project's bound exactly (no node limit) on the prepared problem,
/// certifies the plan on fresh samples and, when the certificate fails, re-solves
/// with a smaller allowance: `pipeline::solve_certified`, the steps of `pipeline::plan`.
/// With fusion allowed or an edge device in the pricing, over every grouping
/// and placement (`pipeline::solve_certified_fused`, which is `solve_certified`
/// byte for byte when nothing can be fused or placed).
fn solve_bound(
    project: &CoreProject,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    fusion: &FusionOptions,
) -> Result<faasplan_core::plan::PlanReport, ComputeError> {
    prepared(project, cache, progress)?;
    let Some(prepared) = cache.cached_prepared_mut(project) else {
        unreachable!("the problem was prepared and cached just above")
    };
    // The cached table serves later bounds: restore the allowance a re-solve lowered.
    let allowed = prepared.problem.allowed_violations;
    let report =
        pipeline::solve_certified_fused(project, prepared, fusion, pipeline::Limits::default());
    prepared.problem.allowed_violations = allowed;
    Ok(report?)
}

/// Reports the plan with these configurations (a frontier point, optimal for its bound).
fn check(
    project: &CoreProject,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    configs: &[(u32, u32)],
) -> Result<faasplan_core::plan::PlanReport, ComputeError> {
    let prepared = prepared(project, cache, progress)?;
    let configs: Vec<(String, Config)> = project
        .workflow
        .stages
        .iter()
        .zip(configs)
        .map(|(stage, &(memory_mb, d))| (stage.id.clone(), Config { memory_mb, d }))
        .collect();
    let plan = pipeline::plan_of(project, prepared, &configs).map_err(PipelineError::from)?;
    Ok(pipeline::report(
        project,
        prepared,
        &Status::Optimal,
        Some(&plan),
    )?)
}

/// The user's configuration evaluated on the (cached) prepared problem: its
/// point on the chart (the planning samples' figures, as the frontier's) and
/// `pipeline::evaluate`'s reports and saving, as `faasplan evaluate` prints them.
fn evaluate(
    project: &CoreProject,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    configs: &[(String, Config)],
) -> Result<EvaluationOutput, ComputeError> {
    let prepared = prepared(project, cache, progress)?;
    let plan = pipeline::plan_of(project, prepared, configs).map_err(PipelineError::from)?;
    let point = solve::evaluate(&prepared.problem, &plan).map_err(PipelineError::from)?;
    let evaluation = pipeline::evaluate(project, prepared, configs, None)?;
    Ok(EvaluationOutput {
        latency_s: point.guaranteed_latency_s,
        cost_usd: point.expected_cost_usd,
        saving_usd: evaluation.saving_usd(),
        current: WirePlan(evaluation.current),
        planned: evaluation.planned.map(WirePlan),
    })
}

/// Every baseline's plan for `bound_s` on the (cached) prepared problem.
fn baseline_set(
    project: &CoreProject,
    cache: &mut Cache,
    progress: &mut dyn FnMut(Progress),
    bound_s: f64,
    now: &dyn Fn() -> f64,
) -> Result<BaselineSet, ComputeError> {
    let t0 = now();
    let prepared = prepared(project, cache, progress)?;
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
