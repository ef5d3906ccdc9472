//! The planning run end to end: validate → fit → sample → solve → report.
//!
//! [`prepare`] checks a [`Project`], fits the stage models and samples the
//! [`SampledProblem`]; [`plan`] then solves one bound exactly, certifies the plan
//! on a fresh, independent sample set and, when the certificate fails, tightens
//! the allowance and solves again ([`solve_certified`]); [`report`] turns a plan
//! into the exported [`PlanReport`]: its figures on the planning samples, the
//! same figures on the fresh samples (out of sample) and its certificate. The
//! CLI and the browser worker both go through these functions, so the same
//! inputs and seed give the same bytes in both.
//!
//! # Driving a run step by step
//!
//! A front end that must stay responsive (a Web Worker posting progress, a
//! terminal progress line) drives the same work in bounded steps and reads a
//! typed [`RunProgress`] after each:
//!
//! - [`Preparation`]: [`Preparation::new`] validates the project (cheap); each
//!   [`Preparation::step`] then fits **one** stage model, or samples at most
//!   `budget` rows of the table (a row is one configuration in one context, N
//!   samples), and reports [`RunProgress::Fitting`] or [`RunProgress::Sampling`];
//!   [`Preparation::finish`] returns the [`Prepared`] project. [`prepare`] is this
//!   loop run to the end.
//! - [`FrontierRun`]: each [`FrontierRun::step`] spends at most `budget` search
//!   nodes and reports [`RunProgress::Frontier`]; [`FrontierRun::finish`] returns
//!   the [`Frontier`]. [`frontier`] is this loop run to the end.
//!
//! Both end with [`RunProgress::Finished`]. The results are the same bits
//! whatever the budgets: a step only decides where the work pauses.
//!
//! ```
//! # use faasplan_core::formats::jolteon::{JolteonProfileOptions, import};
//! # use faasplan_core::formats::project::Project;
//! # use faasplan_core::platform::Preset;
//! # use faasplan_core::settings::{Bound, PlanSettings};
//! use faasplan_core::pipeline::{FrontierRun, Preparation, RunProgress};
//! # let wf = include_str!("../../../static/examples/ML-pipeline.json");
//! # let pf = include_str!("../../../static/examples/ML-Pipeline_profile.json");
//! # let (workflow, profiles) = import(wf, pf, None, &JolteonProfileOptions::default())?;
//! # let settings = PlanSettings { bound: Bound::Latency { max_s: 80.0 }, ..PlanSettings::default() };
//! # let project = Project { workflow, profiles, platform: Preset::AwsX86_64.platform(), settings };
//! let mut run = Preparation::new(&project)?;
//! // In a worker: post each progress value, yield to the event loop, continue.
//! while let RunProgress::Fitting { .. } | RunProgress::Sampling { .. } = run.step(64)? {}
//! let prepared = run.finish()?;
//! let mut sweep = FrontierRun::new(&prepared)?;
//! while let RunProgress::Frontier { .. } = sweep.step(1 << 14) {}
//! let frontier = sweep.finish();
//! assert!(frontier.for_latency_bound(80.0).is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod check;
mod evaluate;
mod fused;
#[cfg(test)]
mod window_tests;

pub use check::{Checked, MAX_STAGES, check, samples_needed};
pub use evaluate::{ConfigError, Evaluation, evaluate, plan_of};
pub use fused::{architectures, plan_fused, solve_certified_fused};

use thiserror::Error;

use crate::advisor::anomaly::{AnomalySettings, detect, exclude_flagged};
use crate::certify::certify;
use crate::dag::{Config, Dag, WorkflowError};
use crate::formats::project::Project;
use crate::frontier::{Frontier, FrontierBuilder, FrontierProgress, FrontierSettings};
use crate::model::{FitError, StageModel, WorkflowModel, fit_stage_at};
use crate::plan::{
    Guarantee, OutOfSample, PlanReport, PlanStatus, PlanTotals, SettingsEcho, StagePlan,
};
use crate::platform::PlatformError;
use crate::problem::DEFAULT_MEMORY_LIMIT_BYTES;
use crate::problem::SampledProblem;
use crate::profile::{ProfileError, Profiles};
use crate::sampling::{self, Sampler, SamplingError, SamplingProgress, evaluate_fresh_on};
use crate::settings::{Bound, SettingsError};
use crate::solve::{self, Plan, PlanError, SolveError, SolveSettings, Status};

/// Why a planning run could not start or finish.
#[derive(Debug, Error)]
pub enum PipelineError {
    /// The workflow is invalid.
    #[error("workflow: {0}")]
    Workflow(#[from] WorkflowError),
    /// The platform is invalid.
    #[error("{0}")]
    Platform(#[from] PlatformError),
    /// The settings are invalid.
    #[error("{0}")]
    Settings(#[from] SettingsError),
    /// The profiles do not fit the workflow or hold a value that cannot be right.
    #[error("{0}")]
    Profiles(#[from] ProfileError),
    /// More stages than the solver plans.
    #[error(
        "workflow: {stages} stages, more than the {limit} the exact solver plans: merge stages or plan parts of the workflow apart"
    )]
    TooManyStages {
        /// Stages in the workflow.
        stages: usize,
        /// The most the solver takes.
        limit: usize,
    },
    /// A stage model could not be fitted.
    #[error("fit: {0}")]
    Fit(#[from] FitError),
    /// A fitted model given for a workflow with another number of stages.
    #[error("fit: the model has {model} stage models, the workflow {stages} stages")]
    ModelStages {
        /// Stage models given.
        model: usize,
        /// Stages in the workflow.
        stages: usize,
    },
    /// The models could not be sampled.
    #[error("sampling: {0}")]
    Sampling(#[from] SamplingError),
    /// The sampled problem is not one the solver takes.
    #[error("solver: {0}")]
    Solve(#[from] SolveError),
    /// A configuration to evaluate is not one the planner could choose.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// A plan does not fit the problem.
    #[error("plan: {0}")]
    Plan(#[from] PlanError),
    /// Fusion cannot be planned.
    #[error("{0}")]
    Fusion(#[from] crate::fusion::FusionError),
    /// The stages' architecture choices cannot be planned.
    #[error("{0}")]
    Architecture(#[from] crate::arch::ArchError),
}

/// A project after fitting and sampling: everything a solve needs.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The workflow's index form.
    pub dag: Dag,
    /// The fitted stage models.
    pub model: WorkflowModel,
    /// The sampled problem.
    pub problem: SampledProblem,
}

/// Where a run is after a step: what it is doing and how far it has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunProgress {
    /// Fitting the stage models: `done` of `total` stages fitted.
    Fitting {
        /// Stages fitted.
        done: usize,
        /// Stages in all.
        total: usize,
    },
    /// Sampling the problem: `done` of `total` table rows filled.
    Sampling {
        /// Rows filled.
        done: usize,
        /// Rows in all.
        total: usize,
    },
    /// Sweeping the frontier: points found and search nodes spent so far.
    Frontier {
        /// Frontier points found.
        points: usize,
        /// Search nodes spent.
        nodes: u64,
    },
    /// The run (or this part of it) is complete; call `finish`.
    Finished,
}

/// The profiles the stage models are fitted on when the settings narrow them:
/// the sliding window (`settings.window`, [`crate::profile::window`]) first,
/// then, with `settings.exclude_flagged`, without the runs of the
/// configurations the anomaly detector flags among those. `None` when every
/// run is used.
pub fn fit_profiles(project: &Project) -> Option<Profiles> {
    let settings = &project.settings;
    // Runs measured on the platform's other architecture only set that
    // architecture's time factor (`crate::arch`), never the stage model.
    let native = crate::arch::native_profiles(&project.profiles, project.platform.architecture());
    let all = native.as_ref().unwrap_or(&project.profiles);
    let windowed = if settings.window.is_none() {
        native.clone()
    } else {
        Some(crate::profile::window::apply(all, &settings.window))
    };
    if !settings.exclude_flagged {
        return windowed;
    }
    let base = windowed.as_ref().unwrap_or(all);
    Some(exclude_flagged(
        base,
        &detect(base, &AnomalySettings::default()),
    ))
}

/// A resumable [`prepare`]: fit one stage per step, then sample in bounded steps.
pub struct Preparation<'p> {
    project: &'p Project,
    limits: Limits,
    dag: Dag,
    stages: Vec<StageModel>,
    /// The profiles without the flagged runs, when the settings exclude them.
    cleaned: Option<Profiles>,
    sampler: Option<Sampler<'p>>,
    problem: Option<SampledProblem>,
}

impl<'p> Preparation<'p> {
    /// Runs every check of [`check`] within the default limits.
    pub fn new(project: &'p Project) -> Result<Self, PipelineError> {
        Self::new_within(project, Limits::default())
    }

    /// Runs every check of [`check`] within `limits`, so an input too large for
    /// the memory limit is refused before anything large is allocated.
    pub fn new_within(project: &'p Project, limits: Limits) -> Result<Self, PipelineError> {
        let Checked { dag, .. } = check(project, limits)?;
        Ok(Preparation {
            project,
            limits,
            dag,
            stages: Vec::with_capacity(project.workflow.stages.len()),
            cleaned: fit_profiles(project),
            sampler: None,
            problem: None,
        })
    }

    /// [`Preparation::new`] for a project whose stage models are already fitted
    /// (`model`, e.g. kept by a front end across settings changes that leave the
    /// workflow and profiles alone): the steps only sample. A model with another
    /// number of stages than the workflow is refused.
    pub fn with_model(project: &'p Project, model: &WorkflowModel) -> Result<Self, PipelineError> {
        let mut run = Self::new(project)?;
        let stages = project.workflow.stages.len();
        if model.stages.len() != stages {
            return Err(PipelineError::ModelStages {
                model: model.stages.len(),
                stages,
            });
        }
        run.stages = model.stages.clone();
        Ok(run)
    }

    /// Does one bounded piece of work: fits the next stage model, or fills at
    /// most `budget` rows of the sampled table (at least one while work remains).
    pub fn step(&mut self, budget: usize) -> Result<RunProgress, PipelineError> {
        let p = self.project;
        let total = p.workflow.stages.len();
        if self.problem.is_some() {
            return Ok(RunProgress::Finished);
        }
        if self.stages.len() < total {
            let i = self.stages.len();
            self.stages.push(fit_stage_at(
                &p.workflow,
                &self.dag,
                self.cleaned.as_ref().unwrap_or(&p.profiles),
                i,
            )?);
            return Ok(RunProgress::Fitting { done: i + 1, total });
        }
        let sampler = match &mut self.sampler {
            Some(s) => s,
            None => {
                let model = WorkflowModel {
                    stages: self.stages.clone(),
                };
                let arch = crate::arch::resolve(
                    &p.workflow,
                    &p.platform,
                    &p.settings.architectures,
                    &p.profiles,
                    &model,
                )?;
                self.sampler.insert(Sampler::with_architectures(
                    &p.workflow,
                    &self.dag,
                    &model,
                    &p.platform,
                    &p.settings,
                    self.limits.max_memory_bytes,
                    arch.as_ref(),
                )?)
            }
        };
        match sampler.step(budget) {
            SamplingProgress::Running { done, total } => Ok(RunProgress::Sampling { done, total }),
            SamplingProgress::Done => {
                if let Some(s) = self.sampler.take() {
                    self.problem = Some(s.finish()?);
                }
                Ok(RunProgress::Finished)
            }
        }
    }

    /// Runs any remaining steps and returns the prepared project.
    pub fn finish(mut self) -> Result<Prepared, PipelineError> {
        // `step` sets `problem` when it reports `Finished`, and each step advances.
        let problem = loop {
            match self.problem.take() {
                Some(problem) => break problem,
                None => self.step(usize::MAX)?,
            };
        };
        Ok(Prepared {
            dag: self.dag,
            model: WorkflowModel {
                stages: self.stages,
            },
            problem,
        })
    }
}

/// Checks the project, fits its models and samples the problem, within the
/// default limits.
pub fn prepare(project: &Project) -> Result<Prepared, PipelineError> {
    Preparation::new(project)?.finish()
}

/// [`prepare`] within `limits`.
pub fn prepare_within(project: &Project, limits: Limits) -> Result<Prepared, PipelineError> {
    Preparation::new_within(project, limits)?.finish()
}

/// [`prepare_within`], calling `observe` after every step (one stage fitted,
/// or a bounded number of sample rows), so a front end can show progress.
pub fn prepare_observed(
    project: &Project,
    limits: Limits,
    mut observe: impl FnMut(RunProgress),
) -> Result<Prepared, PipelineError> {
    let mut run = Preparation::new_within(project, limits)?;
    // Rows per step: with thousands of samples a row, a few reports a second.
    let budget = 64;
    loop {
        let progress = run.step(budget)?;
        observe(progress);
        if progress == RunProgress::Finished {
            return run.finish();
        }
    }
}

/// A resumable [`frontier`] sweep of a prepared project.
pub struct FrontierRun<'a> {
    builder: FrontierBuilder<'a>,
    finished: bool,
}

impl<'a> FrontierRun<'a> {
    /// Validates the prepared problem for the sweep.
    pub fn new(prepared: &'a Prepared) -> Result<Self, PipelineError> {
        Ok(FrontierRun {
            builder: FrontierBuilder::new(&prepared.problem, FrontierSettings::default())?,
            finished: false,
        })
    }

    /// Spends at most `budget` search nodes (at least one while work remains).
    pub fn step(&mut self, budget: u64) -> RunProgress {
        if self.finished {
            return RunProgress::Finished;
        }
        match self.builder.step(budget) {
            FrontierProgress::Running { points, nodes } => RunProgress::Frontier { points, nodes },
            FrontierProgress::Finished => {
                self.finished = true;
                RunProgress::Finished
            }
        }
    }

    /// Runs any remaining steps and returns the frontier.
    pub fn finish(mut self) -> Frontier {
        while self.step(u64::MAX) != RunProgress::Finished {}
        self.builder.frontier()
    }
}

/// Limits of a planning run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most search nodes to spend (`None`: until optimality is proven).
    pub max_nodes: Option<u64>,
    /// Most bytes the sampled problem may take
    /// (default [`DEFAULT_MEMORY_LIMIT_BYTES`], 2 GiB).
    pub max_memory_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: None,
            max_memory_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
        }
    }
}

/// Plans the project's bound exactly, certifies the plan and reports it.
pub fn plan(project: &Project, limits: Limits) -> Result<PlanReport, PipelineError> {
    let mut prepared = prepare_within(project, limits)?;
    solve_certified(project, &mut prepared, limits)
}

/// Solves the project's bound on `prepared`, certifies the plan on fresh samples
/// and, while the certificate fails the bound, halves the allowed violations a
/// (0 on the last attempt) and solves again, at most
/// [`CERTIFY_ATTEMPTS`](crate::sampling::CERTIFY_ATTEMPTS) times. Returns the report
/// of the last solve; `prepared.problem.allowed_violations` is left as used.
pub fn solve_certified(
    project: &Project,
    prepared: &mut Prepared,
    limits: Limits,
) -> Result<PlanReport, PipelineError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let solution = solve::solve(
            &prepared.problem,
            SolveSettings {
                bound: project.settings.bound,
                max_nodes: limits.max_nodes,
            },
        )?;
        let mut rep = report(project, prepared, &solution.status, solution.plan.as_ref())?;
        let a = prepared.problem.allowed_violations;
        let failed = rep
            .guarantee
            .as_ref()
            .and_then(|g| g.certificate.as_ref())
            .is_some_and(|c| c.meets_bound == Some(false));
        if let Some(g) = rep.guarantee.as_mut() {
            g.attempts = attempts;
        }
        if !failed || a == 0 || attempts >= sampling::CERTIFY_ATTEMPTS {
            return Ok(rep);
        }
        prepared.problem.allowed_violations = if attempts + 1 >= sampling::CERTIFY_ATTEMPTS {
            0
        } else {
            a / 2
        };
    }
}

/// Computes the whole latency–cost frontier of a prepared project, calling
/// `progress(points, nodes)` between steps.
pub fn frontier(
    prepared: &Prepared,
    mut progress: impl FnMut(usize, u64),
) -> Result<Frontier, PipelineError> {
    let mut run = FrontierRun::new(prepared)?;
    while let RunProgress::Frontier { points, nodes } = run.step(1 << 16) {
        progress(points, nodes);
    }
    Ok(run.finish())
}

/// The configuration of every stage under `plan`.
pub fn configs(problem: &SampledProblem, plan: &Plan) -> Result<Vec<Config>, PlanError> {
    problem.configs(&plan.choice)
}

/// The report of `plan` (or of no plan, for an infeasible bound) under the project's settings.
pub fn report(
    project: &Project,
    prepared: &Prepared,
    status: &Status,
    plan: Option<&Plan>,
) -> Result<PlanReport, PipelineError> {
    let settings = &project.settings;
    let problem = &prepared.problem;
    let mut report = PlanReport {
        workflow: project.workflow.name.clone(),
        settings: SettingsEcho {
            bound: settings.bound,
            percentile: settings.percentile,
            confidence: 1.0 - settings.delta,
            alpha: settings.alpha,
            samples: problem.n_samples,
            seed: settings.seed,
            platform: project.platform.name.clone(),
        },
        status: plan_status(settings.bound, status),
        stages: Vec::new(),
        totals: None,
        cost_breakdown: None,
        out_of_sample: None,
        guarantee: Some(Guarantee {
            samples: problem.n_samples,
            allowed_violations: problem.allowed_violations,
            union_bound: union_bound(project, problem),
            attempts: 1,
            certificate: None,
        }),
    };
    let Some(plan) = plan else {
        return Ok(report);
    };
    let eval = solve::evaluate(problem, plan)?;
    let configs = problem.configs(&plan.choice)?;
    let rows = problem.rows(&plan.choice)?;
    let archs = problem.architectures(&plan.choice);
    for (i, (stage, cfg)) in project.workflow.stages.iter().zip(&configs).enumerate() {
        let (p50, q) = eval.stage_latency_quantiles_s[i];
        report.stages.push(StagePlan {
            stage: stage.id.clone(),
            memory_mb: cfg.memory_mb,
            vcpu: f64::from(cfg.memory_mb) / project.platform.mb_per_vcpu,
            d: cfg.d,
            latency_p50_s: p50,
            latency_q_s: q,
            expected_cost_usd: problem.expected_cost(i, rows[i]),
            fused_into: None,
            on_edge: false,
            architecture: archs[i],
            shares_memory_with: project
                .workflow
                .shares_memory_with(&stage.id)
                .into_iter()
                .map(String::from)
                .collect(),
        });
    }
    report.totals = Some(PlanTotals {
        latency_p50_s: eval.p50_latency_s,
        latency_q_s: eval.q_latency_s,
        guaranteed_latency_s: eval.guaranteed_latency_s,
        expected_cost_usd: eval.expected_cost_usd,
        cost_q_usd: eval.q_cost_usd,
    });
    let extras: Vec<_> = configs
        .iter()
        .enumerate()
        .map(|(i, &cfg)| {
            crate::pricing::workflow_stage_extra(
                &project.platform.pricing,
                &project.workflow,
                &problem.parents,
                &problem.topo,
                i,
                cfg,
            )
        })
        .collect();
    report.cost_breakdown = Some(cost_breakdown(
        problem,
        &rows,
        &extras,
        eval.expected_cost_usd,
    ));
    // The stages' architectures as the tables were sampled (the same resolution).
    let resolved = if archs.iter().any(Option::is_some) {
        crate::arch::resolve(
            &project.workflow,
            &project.platform,
            &settings.architectures,
            &project.profiles,
            &prepared.model,
        )?
    } else {
        None
    };
    let of: Vec<crate::arch::Arch> = resolved.as_ref().map_or(Vec::new(), |a| {
        archs.iter().map(|x| x.unwrap_or(a.native)).collect()
    });
    let fresh = evaluate_fresh_on(
        &project.workflow,
        &prepared.dag,
        &prepared.model,
        &project.platform,
        settings,
        &configs,
        resolved.as_ref().map(|a| (a, of.as_slice())),
    )?;
    attach_fresh(&mut report, settings, fresh, eval.guaranteed_latency_s);
    Ok(report)
}

/// Adds the out-of-sample figures and the certificate of `fresh` (the plan's
/// fresh samples) to `report`; `planned_guarantee` is the planning samples'
/// guaranteed latency, used when no certificate exists.
fn attach_fresh(
    report: &mut PlanReport,
    settings: &crate::settings::PlanSettings,
    mut fresh: sampling::FreshEvaluation,
    planned_guarantee: f64,
) {
    let meeting = match settings.bound {
        Bound::Latency { max_s } => 1.0 - fresh.violation_rate(max_s),
        Bound::Cost { max_usd, .. } => {
            let n = fresh.cost_usd.len().max(1) as f64;
            fresh.cost_usd.iter().filter(|&&c| c <= max_usd).count() as f64 / n
        }
    };
    let fresh_totals = PlanTotals {
        latency_p50_s: crate::stats::quantile_in_place(&mut fresh.latency_s, 0.5),
        latency_q_s: crate::stats::quantile_in_place(&mut fresh.latency_s, settings.percentile),
        guaranteed_latency_s: f64::NAN,
        expected_cost_usd: fresh.mean_cost_usd(),
        cost_q_usd: crate::stats::quantile_in_place(&mut fresh.cost_usd, settings.percentile),
    };
    let samples = fresh.latency_s.len();
    let cert = certify(
        &mut fresh,
        settings.bound,
        settings.percentile,
        sampling::ln_certify_risk(settings),
    );
    let guaranteed = cert.certified_latency_s.unwrap_or(planned_guarantee);
    if let Some(t) = report.totals.as_mut() {
        t.guaranteed_latency_s = guaranteed;
    }
    report.out_of_sample = Some(OutOfSample {
        seed: settings.seed,
        samples,
        totals: PlanTotals {
            guaranteed_latency_s: guaranteed,
            ..fresh_totals
        },
        fraction_meeting_bound: meeting,
    });
    if let Some(g) = report.guarantee.as_mut() {
        g.certificate = Some(cert);
    }
}

/// The plan's mean cost `total_usd` split into functions, orchestration and
/// transfer: each stage's (or group's) `extras` at its chosen row (the Express
/// duration on the mean sampled latency of the row), the rest is the functions'.
fn cost_breakdown(
    problem: &SampledProblem,
    rows: &[usize],
    extras: &[crate::pricing::StageExtra],
    total_usd: f64,
) -> crate::pricing::CostBreakdown {
    let mut b = crate::pricing::CostBreakdown::default();
    for (i, extra) in extras.iter().enumerate() {
        let mean_latency_s = if extra.orchestration_usd_per_s > 0.0 {
            let l = problem.latencies(i, rows[i]);
            l.iter().map(|&x| f64::from(x)).sum::<f64>() / l.len().max(1) as f64
        } else {
            0.0
        };
        b.transitions_usd +=
            extra.orchestration_usd + extra.orchestration_usd_per_s * mean_latency_s;
        b.transfer_usd += extra.transfer_usd;
    }
    b.functions_usd = total_usd - b.transitions_usd - b.transfer_usd;
    b
}

/// Whether the problem's allowance is within the binomial allowance union-bounded
/// over the project's real decision space.
fn union_bound(project: &Project, problem: &SampledProblem) -> bool {
    let ln_space: f64 = project
        .workflow
        .stages
        .iter()
        .map(|s| {
            let archs = crate::arch::allowed_count(&project.settings.architectures, &s.id);
            ((sampling::candidates(s, &project.platform).len() * archs).max(1) as f64).ln()
        })
        .sum();
    let risk = project.settings.delta.ln() - ln_space;
    crate::stats::binomial::allowance(problem.n_samples as u64, project.settings.epsilon(), risk)
        .is_some_and(|a| problem.allowed_violations as u64 <= a)
}

/// The exported status of a solve.
fn plan_status(bound: Bound, status: &Status) -> PlanStatus {
    match *status {
        Status::Optimal => PlanStatus::Optimal,
        Status::Feasible { gap } => PlanStatus::FeasibleWithGap { relative_gap: gap },
        Status::Infeasible { nearest_bound } => PlanStatus::Infeasible {
            nearest_bound: nearest_bound.map(|b| match bound {
                Bound::Latency { .. } => Bound::Latency { max_s: b },
                Bound::Cost { kind, .. } => Bound::Cost { max_usd: b, kind },
            }),
        },
        Status::BudgetExhausted { lower_bound } => PlanStatus::BudgetExhausted { lower_bound },
    }
}
