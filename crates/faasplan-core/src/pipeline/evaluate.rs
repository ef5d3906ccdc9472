//! Evaluating a configuration the user gives: "what does my current
//! configuration cost, and what would the planner save?"
//!
//! [`plan_of`] turns one (memory, d) per stage into a [`Plan`] of the sampled
//! problem (every configuration must be a candidate: on the stage's memory grid,
//! within the platform's range, with an allowed d, and not dropped by the
//! timeout filter; and together within the platform's concurrency limit). [`evaluate`] reports it exactly as a planned plan is
//! reported (figures on the planning samples, per stage, and out of sample),
//! then plans the same workflow for the latency the configuration guarantees:
//! the planner's plan is never slower and costs at most as much, and the
//! difference in expected cost is the saving. The CLI's `evaluate` and the
//! app's "current configuration" marker both call it.

use super::{PipelineError, Prepared, report};
use crate::dag::Config;
use crate::formats::project::Project;
use crate::plan::PlanReport;
use crate::settings::Bound;
use crate::settings::CostKind;
use crate::solve::{self, Plan, SolveSettings, Status};

/// A configuration that is not one the planner could choose.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A stage the workflow does not have.
    #[error("stage `{0}` is not a stage of the workflow")]
    UnknownStage(String),
    /// A stage given twice.
    #[error("stage `{0}` is given twice")]
    Duplicate(String),
    /// A stage of the workflow without a configuration.
    #[error("stage `{0}` has no configuration: give one for every stage")]
    Missing(String),
    /// The configuration is not among the stage's candidates.
    #[error(
        "stage `{stage}`: {memory_mb} MB × {d} is not one of its {count} candidate configurations ({range})"
    )]
    NotACandidate {
        /// Stage id.
        stage: String,
        /// Memory given, MB.
        memory_mb: u32,
        /// d given.
        d: u32,
        /// Candidates of the stage.
        count: usize,
        /// The candidates' memory and d range, in words.
        range: String,
    },
    /// Stages that can run at once would together run more instances than the
    /// platform allows.
    #[error(
        "the configuration runs more than platform.concurrency_limit = {limit} instances at once (the sum of d over stages that can run at the same time)"
    )]
    Concurrency {
        /// The platform's concurrency limit.
        limit: u32,
    },
}

/// The user's configuration evaluated, and what the planner would do instead.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The configuration's figures, reported as a plan for the latency it
    /// guarantees: status "feasible with gap", the gap being its relative
    /// extra expected cost over the planner's optimum there.
    pub current: PlanReport,
    /// Whether the configuration meets the project's bound on the planning samples.
    pub meets_bound: bool,
    /// The planner's cheapest plan whose guaranteed latency is at most the
    /// configuration's (`None` only if the solve found none, which cannot
    /// happen for a valid configuration unless a node budget stops it).
    pub planned: Option<PlanReport>,
}

impl Evaluation {
    /// Expected cost per run the planner saves at the same guaranteed latency, USD.
    pub fn saving_usd(&self) -> Option<f64> {
        let now = self.current.totals.as_ref()?.expected_cost_usd;
        let best = self.planned.as_ref()?.totals.as_ref()?.expected_cost_usd;
        Some(now - best)
    }
}

/// The plan choosing `configs` (stage id, configuration) in the prepared problem.
pub fn plan_of(
    project: &Project,
    prepared: &Prepared,
    configs: &[(String, Config)],
) -> Result<Plan, ConfigError> {
    let stages = &project.workflow.stages;
    for (i, (id, _)) in configs.iter().enumerate() {
        if project.workflow.stage_index(id).is_none() {
            return Err(ConfigError::UnknownStage(id.clone()));
        }
        if configs[..i].iter().any(|(other, _)| other == id) {
            return Err(ConfigError::Duplicate(id.clone()));
        }
    }
    let mut choice = Vec::with_capacity(stages.len());
    for (stage, table) in stages.iter().zip(&prepared.problem.stages) {
        let Some((_, cfg)) = configs.iter().find(|(id, _)| *id == stage.id) else {
            return Err(ConfigError::Missing(stage.id.clone()));
        };
        let Some(j) = table.configs.iter().position(|c| c == cfg) else {
            return Err(ConfigError::NotACandidate {
                stage: stage.id.clone(),
                memory_mb: cfg.memory_mb,
                d: cfg.d,
                count: table.configs.len(),
                range: describe(&table.configs),
            });
        };
        // A stage has at most u32::MAX candidates: the memory estimate refuses far fewer.
        choice.push(u32::try_from(j).unwrap_or(u32::MAX));
    }
    match prepared.problem.concurrency_limit {
        Some(limit) if !solve::concurrency_ok(&prepared.problem, &choice) => {
            Err(ConfigError::Concurrency { limit })
        }
        _ => Ok(Plan { choice }),
    }
}

/// Evaluates `configs` under the project's settings (see the module docs).
pub fn evaluate(
    project: &Project,
    prepared: &Prepared,
    configs: &[(String, Config)],
    max_nodes: Option<u64>,
) -> Result<Evaluation, PipelineError> {
    let plan = plan_of(project, prepared, configs)?;
    let eval = solve::evaluate(&prepared.problem, &plan)?;
    let meets_bound = match project.settings.bound {
        Bound::Latency { max_s } => eval.guaranteed_latency_s <= max_s,
        Bound::Cost {
            max_usd,
            kind: CostKind::Mean,
        } => eval.expected_cost_usd <= max_usd,
        Bound::Cost { max_usd, .. } => eval.guaranteed_cost_usd <= max_usd,
    };
    // Judged at the latency it guarantees, the configuration is a feasible plan
    // and the planner's optimum there gives its exact gap.
    let bound = Bound::Latency {
        max_s: eval.guaranteed_latency_s,
    };
    let mut at_same = project.clone();
    at_same.settings.bound = bound;
    let solution = solve::solve(&prepared.problem, SolveSettings { bound, max_nodes })?;
    let planned = match &solution.plan {
        Some(p) => Some(report(&at_same, prepared, &solution.status, Some(p))?),
        None => None,
    };
    let gap = match (&solution.status, solution.plan.is_some()) {
        (Status::Optimal, true) if eval.expected_cost_usd > 0.0 => {
            ((eval.expected_cost_usd - solution.expected_cost_usd) / eval.expected_cost_usd)
                .max(0.0)
        }
        _ => 0.0,
    };
    let current = report(&at_same, prepared, &Status::Feasible { gap }, Some(&plan))?;
    Ok(Evaluation {
        current,
        meets_bound,
        planned,
    })
}

/// The memory and d range of candidates, e.g. "128..=10240 MB, d in {1, 4, 8}".
fn describe(configs: &[Config]) -> String {
    let lo = configs.iter().map(|c| c.memory_mb).min().unwrap_or(0);
    let hi = configs.iter().map(|c| c.memory_mb).max().unwrap_or(0);
    let mut ds: Vec<u32> = configs.iter().map(|c| c.d).collect();
    ds.sort_unstable();
    ds.dedup();
    let ds: Vec<String> = ds.iter().take(12).map(u32::to_string).collect();
    let more = if ds.len() == 12 { ", .." } else { "" };
    format!("{lo}..={hi} MB, d in {{{}{more}}}", ds.join(", "))
}
