//! The planning run with fusion decisions: the same report as [`super::plan`],
//! planned over every grouping of the fusable edges (see [`crate::fusion`]).

use crate::formats::project::Project;
use crate::fusion::{
    FusedSolution, Fuser, FusionOptions, evaluate_fresh_grouping_on, fusable_edges, group_extra,
    solve_fused,
};
use crate::plan::{PlanReport, PlanTotals, StagePlan};
use crate::sampling;
use crate::solve::{self, SolveSettings};

use super::{
    Limits, PipelineError, Prepared, attach_fresh, cost_breakdown, prepare_within, report,
};

/// Plans the project's bound exactly over fusion, memory and d, certifies the
/// plan and reports it. With fusion disabled (or nothing fusable) this is
/// [`super::plan`], byte for byte.
pub fn plan_fused(
    project: &Project,
    options: &FusionOptions,
    limits: Limits,
) -> Result<PlanReport, PipelineError> {
    let mut prepared = prepare_within(project, limits)?;
    solve_certified_fused(project, &mut prepared, options, limits)
}

/// [`super::solve_certified`] over the joint space of fusion groupings: solves,
/// certifies on fresh samples, and while the certificate fails halves the
/// allowance (0 on the last attempt) and solves again.
pub fn solve_certified_fused(
    project: &Project,
    prepared: &mut Prepared,
    options: &FusionOptions,
    limits: Limits,
) -> Result<PlanReport, PipelineError> {
    let edges = fusable_edges(&project.workflow, &prepared.dag, options)?;
    if edges.is_empty() && project.platform.pricing.edge_device.is_none() {
        return super::solve_certified(project, prepared, limits);
    }
    if let Some((stage, k)) = project
        .workflow
        .stages
        .iter()
        .zip(project.workflow.repeats())
        .find(|(_, k)| *k > 1)
    {
        return Err(crate::fusion::FusionError::Loop {
            stage: stage.id.clone(),
            iterations: k,
        }
        .into());
    }
    let settings = SolveSettings {
        bound: project.settings.bound,
        max_nodes: limits.max_nodes,
    };
    let mut a = prepared.problem.allowed_violations;
    let base = prepared.clone();
    // The architecture choices the base problem was sampled with.
    let arch = architectures(project, &base)?;
    let mut fuser = Fuser::new(
        &project.workflow,
        &base.dag,
        &base.model,
        &project.platform,
        &base.problem,
        &project.settings,
    )
    .with_architectures(arch.as_ref());
    let mut attempts = 0;
    loop {
        attempts += 1;
        fuser.set_allowed_violations(a);
        prepared.problem.allowed_violations = a;
        let fused = solve_fused(&mut fuser, &edges, settings.clone())?;
        let mut rep = fused_report(project, prepared, &fuser, &fused)?;
        let failed = rep
            .guarantee
            .as_ref()
            .and_then(|g| g.certificate.as_ref())
            .is_some_and(|c| c.meets_bound == Some(false));
        if let Some(g) = rep.guarantee.as_mut() {
            g.attempts = attempts;
            g.allowed_violations = a;
        }
        if !failed || a == 0 || attempts >= sampling::CERTIFY_ATTEMPTS {
            return Ok(rep);
        }
        a = if attempts + 1 >= sampling::CERTIFY_ATTEMPTS {
            0
        } else {
            a / 2
        };
    }
}

/// The stages' architecture choices of `project`, resolved as its problem was
/// sampled (`None` when no stage has one): what [`Fuser::with_architectures`] takes.
pub fn architectures(
    project: &Project,
    prepared: &Prepared,
) -> Result<Option<crate::arch::Architectures>, PipelineError> {
    Ok(crate::arch::resolve(
        &project.workflow,
        &project.platform,
        &project.settings.architectures,
        &project.profiles,
        &prepared.model,
    )?)
}

/// The report of a fused solution: the unfused report when nothing is fused,
/// else one entry per stage with its group's configuration.
fn fused_report(
    project: &Project,
    prepared: &Prepared,
    fuser: &Fuser<'_>,
    fused: &FusedSolution,
) -> Result<PlanReport, PipelineError> {
    let plan = fused.solution.plan.as_ref();
    let plan = match plan {
        Some(plan) if fused.grouping.fuses_anything() || fused.grouping.places_anything() => plan,
        // Unfused, the contracted problem is the prepared one (same allowance).
        _ => return report(project, prepared, &fused.solution.status, plan),
    };
    // The header, status and sample design as for an unfused plan.
    let mut rep = report(project, prepared, &fused.solution.status, None)?;
    let problem = &fused.problem;
    let eval = solve::evaluate(problem, plan)?;
    let configs = problem.configs(&plan.choice)?;
    let rows = problem.rows(&plan.choice)?;
    let grouping = &fused.grouping;
    // One architecture per group (none on the edge device or without a choice).
    let archs = problem.architectures(&plan.choice);
    for (i, stage) in project.workflow.stages.iter().enumerate() {
        let g = grouping.group_of[i];
        let root = grouping.groups[g][0];
        let cfg = configs[g];
        let (p50, q) = eval.stage_latency_quantiles_s[g];
        rep.stages.push(StagePlan {
            stage: stage.id.clone(),
            memory_mb: cfg.memory_mb,
            vcpu: match (&project.platform.pricing.edge_device, grouping.on_edge[i]) {
                (Some(dev), true) => dev.cores,
                _ => f64::from(cfg.memory_mb) / project.platform.mb_per_vcpu,
            },
            d: cfg.d,
            latency_p50_s: p50,
            latency_q_s: q,
            expected_cost_usd: if root == i {
                problem.expected_cost(g, rows[g])
            } else {
                0.0
            },
            fused_into: (root != i).then(|| project.workflow.stages[root].id.clone()),
            on_edge: grouping.on_edge[i],
            architecture: archs[g],
            // A stage on the edge device runs no Lambda function: it shares nothing.
            shares_memory_with: if grouping.on_edge[i] {
                Vec::new()
            } else {
                project
                    .workflow
                    .shares_memory_with(&stage.id)
                    .into_iter()
                    .filter(|s| {
                        project
                            .workflow
                            .stage_index(s)
                            .is_some_and(|j| !grouping.on_edge[j])
                    })
                    .map(String::from)
                    .collect()
            },
        });
    }
    rep.totals = Some(PlanTotals {
        latency_p50_s: eval.p50_latency_s,
        latency_q_s: eval.q_latency_s,
        guaranteed_latency_s: eval.guaranteed_latency_s,
        expected_cost_usd: eval.expected_cost_usd,
        cost_q_usd: eval.q_cost_usd,
    });
    let extras: Vec<_> = (0..grouping.groups.len())
        .map(|g| group_extra(fuser, grouping, g, configs[g]))
        .collect();
    let mut breakdown = cost_breakdown(problem, &rows, &extras, eval.expected_cost_usd);
    // Edge groups pay no function fees: their cost beyond the extras is the device's.
    for g in (0..grouping.groups.len()).filter(|&g| grouping.group_on_edge(g)) {
        let device = problem.expected_cost(g, rows[g])
            - extras[g].fixed_usd()
            - extras[g].orchestration_usd_per_s * mean(problem.latencies(g, rows[g]));
        breakdown.edge_usd += device;
        breakdown.functions_usd -= device;
    }
    rep.cost_breakdown = Some(breakdown);
    let fresh = evaluate_fresh_grouping_on(fuser, &project.settings, grouping, &configs, &archs)?;
    attach_fresh(
        &mut rep,
        &project.settings,
        fresh,
        eval.guaranteed_latency_s,
    );
    Ok(rep)
}

fn mean<T: Copy + Into<f64>>(v: &[T]) -> f64 {
    v.iter().map(|&x| x.into()).sum::<f64>() / v.len().max(1) as f64
}
