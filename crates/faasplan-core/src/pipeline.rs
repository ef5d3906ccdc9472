//! The planning run end to end: validate → fit → sample → solve → report.
//!
//! [`prepare`] checks a [`Project`], fits the stage models and samples the
//! [`SampledProblem`]; [`plan`] then solves one bound exactly, certifies the plan
//! on a fresh, independent sample set and, when the certificate fails, tightens
//! the allowance and solves again ([`solve_certified`]); [`report`] turns a plan
//! into the exported [`PlanReport`]: its figures on the planning samples, the
//! same figures on the fresh samples (out of sample) and its certificate. The CLI and the browser worker both go through these
//! functions, so the same inputs and seed give the same bytes in both.

use thiserror::Error;

use crate::certify::certify;
use crate::dag::{Config, Dag, WorkflowError};
use crate::formats::project::Project;
use crate::frontier::{Frontier, FrontierBuilder, FrontierProgress, FrontierSettings};
use crate::model::{FitError, WorkflowModel, fit_workflow};
use crate::plan::{
    Guarantee, OutOfSample, PlanReport, PlanStatus, PlanTotals, SettingsEcho, StagePlan,
};
use crate::platform::PlatformError;
use crate::problem::SampledProblem;
use crate::sampling::{self, SamplingError, evaluate_fresh};
use crate::settings::{Bound, SettingsError};
use crate::solve::{self, Plan, PlanError, SolveError, SolveSettings, Status, evaluate, quantile};

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
    /// A stage model could not be fitted.
    #[error("fit: {0}")]
    Fit(#[from] FitError),
    /// The models could not be sampled.
    #[error("sampling: {0}")]
    Sampling(#[from] SamplingError),
    /// The sampled problem is not one the solver takes.
    #[error("solver: {0}")]
    Solve(#[from] SolveError),
    /// A plan does not fit the problem.
    #[error("plan: {0}")]
    Plan(#[from] PlanError),
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

/// Checks the project, fits its models and samples the problem.
pub fn prepare(project: &Project) -> Result<Prepared, PipelineError> {
    let dag = project.workflow.validate()?;
    project.platform.validate()?;
    project.settings.validate()?;
    let model = fit_workflow(&project.workflow, &dag, &project.profiles)?;
    let problem = sampling::build_problem(
        &project.workflow,
        &dag,
        &model,
        &project.platform,
        &project.settings,
    )?;
    Ok(Prepared {
        dag,
        model,
        problem,
    })
}

/// Limits of a solve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Most search nodes to spend (`None`: until optimality is proven).
    pub max_nodes: Option<u64>,
}

/// Plans the project's bound exactly, certifies the plan and reports it.
pub fn plan(project: &Project, limits: Limits) -> Result<PlanReport, PipelineError> {
    let mut prepared = prepare(project)?;
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
    let mut builder = FrontierBuilder::new(&prepared.problem, FrontierSettings::default())?;
    while let FrontierProgress::Running { points, nodes } = builder.step(1 << 16) {
        progress(points, nodes);
    }
    Ok(builder.frontier())
}

/// The configuration of every stage under `plan`.
pub fn configs(problem: &SampledProblem, plan: &Plan) -> Vec<Config> {
    problem
        .stages
        .iter()
        .zip(&plan.choice)
        .map(|(t, &c)| t.configs[c as usize])
        .collect()
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
    let eval = evaluate(problem, plan)?;
    let configs = configs(problem, plan);
    let contexts = context_indices(problem, &configs);
    for (i, (stage, cfg)) in project.workflow.stages.iter().zip(&configs).enumerate() {
        let table = &problem.stages[i];
        let row = contexts[i] * table.configs.len() + plan.choice[i] as usize;
        let (p50, q) = eval.stage_latency_quantiles_s[i];
        report.stages.push(StagePlan {
            stage: stage.id.clone(),
            memory_mb: cfg.memory_mb,
            vcpu: f64::from(cfg.memory_mb) / project.platform.mb_per_vcpu,
            d: cfg.d,
            latency_p50_s: p50,
            latency_q_s: q,
            expected_cost_usd: table.expected_cost_usd[row],
        });
    }
    let cost = sample_costs(problem, plan, &contexts);
    report.totals = Some(PlanTotals {
        latency_p50_s: eval.p50_latency_s,
        latency_q_s: eval.q_latency_s,
        guaranteed_latency_s: eval.guaranteed_latency_s,
        expected_cost_usd: eval.expected_cost_usd,
        cost_q_usd: quantile(&cost, settings.percentile),
    });
    let mut fresh = evaluate_fresh(
        &project.workflow,
        &prepared.dag,
        &prepared.model,
        &project.platform,
        settings,
        &configs,
    )?;
    let meeting = match settings.bound {
        Bound::Latency { max_s } => 1.0 - fresh.violation_rate(max_s),
        Bound::Cost { max_usd, .. } => {
            let n = fresh.cost_usd.len().max(1) as f64;
            fresh.cost_usd.iter().filter(|&&c| c <= max_usd).count() as f64 / n
        }
    };
    let fresh_totals = PlanTotals {
        latency_p50_s: select_quantile(&mut fresh.latency_s, 0.5),
        latency_q_s: select_quantile(&mut fresh.latency_s, settings.percentile),
        guaranteed_latency_s: f64::NAN,
        expected_cost_usd: fresh.mean_cost_usd(),
        cost_q_usd: select_quantile(&mut fresh.cost_usd, settings.percentile),
    };
    let samples = fresh.latency_s.len();
    let cert = certify(
        &mut fresh,
        settings.bound,
        settings.percentile,
        sampling::ln_certify_risk(settings),
    );
    let guaranteed = cert
        .certified_latency_s
        .unwrap_or(eval.guaranteed_latency_s);
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
    Ok(report)
}

/// The nearest-rank `q`-quantile (as [`quantile`]) by selection, reordering `values`
/// instead of sorting a copy (fresh sample sets run to millions).
fn select_quantile(values: &mut [f64], q: f64) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let r = ((q * n as f64).ceil() as usize).clamp(1, n);
    *values.select_nth_unstable_by(r - 1, f64::total_cmp).1
}

/// Whether the problem's allowance is within the binomial allowance union-bounded
/// over the project's real decision space.
fn union_bound(project: &Project, problem: &SampledProblem) -> bool {
    let ln_space: f64 = project
        .workflow
        .stages
        .iter()
        .map(|s| (sampling::candidates(s, &project.platform).len().max(1) as f64).ln())
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

/// The context block index of every stage for these configurations (0 without a context).
fn context_indices(problem: &SampledProblem, configs: &[Config]) -> Vec<usize> {
    problem
        .stages
        .iter()
        .map(|t| {
            t.context.as_ref().map_or(0, |cx| {
                let d = configs[cx.parent].d;
                // `evaluate` has accepted the plan, so the parent's d has a block.
                cx.parent_d.iter().position(|&x| x == d).unwrap_or(0)
            })
        })
        .collect()
}

/// Workflow cost per sample, USD.
fn sample_costs(problem: &SampledProblem, plan: &Plan, contexts: &[usize]) -> Vec<f64> {
    let n = problem.n_samples;
    let mut cost = vec![0.0; n];
    for &i in &problem.topo {
        let t = &problem.stages[i];
        let row = contexts[i] * t.configs.len() + plan.choice[i] as usize;
        for (c, v) in cost.iter_mut().zip(&t.cost_usd[row * n..(row + 1) * n]) {
            *c += v;
        }
    }
    cost
}
