//! Out-of-sample evaluation of a chosen plan.
//!
//! The plan (one configuration per stage) is re-sampled on a fresh, independent
//! sample set: stage i draws from `rng::stream(seed, FRESH_STREAM_BASE + i)`, a
//! stream family disjoint from the one [`super::build_problem`] uses. Per sample,
//! the workflow latency is the longest path through the DAG (every path:
//! `finish_i = L_i + max_{p ∈ parents(i)} finish_p`, latency = max_i finish_i)
//! and the workflow cost is the sum of the stage costs. N is the same as for
//! [`super::build_problem`] with the same settings and platform.

use super::kernel::{Coster, fill_samples, residuals};
use super::{SamplingError, candidates, check_settings, sample_count};
use crate::dag::{Config, Dag, StageKind, Workflow};
use crate::model::WorkflowModel;
use crate::platform::Platform;
use crate::settings::PlanSettings;

/// First stream number of the out-of-sample family (stage i uses `FRESH_STREAM_BASE + i`).
pub const FRESH_STREAM_BASE: u64 = 1 << 32;

/// Per-sample workflow-level outcome of a plan on fresh samples.
#[derive(Clone, Debug, PartialEq)]
pub struct FreshEvaluation {
    /// Workflow latency (longest path) per sample, s.
    pub latency_s: Vec<f64>,
    /// Workflow cost per sample, USD.
    pub cost_usd: Vec<f64>,
}

impl FreshEvaluation {
    /// The `q`-quantile of the workflow latency (the ⌈q·N⌉-th smallest), s.
    pub fn latency_quantile_s(&self, q: f64) -> f64 {
        crate::solve::quantile(&self.latency_s, q)
    }

    /// Mean cost per run, USD.
    pub fn mean_cost_usd(&self) -> f64 {
        self.cost_usd.iter().sum::<f64>() / self.cost_usd.len().max(1) as f64
    }

    /// Fraction of samples whose latency exceeds `bound_s`.
    pub fn violation_rate(&self, bound_s: f64) -> f64 {
        let over = self.latency_s.iter().filter(|&&l| l > bound_s).count();
        over as f64 / self.latency_s.len().max(1) as f64
    }
}

/// Samples `plan` (one configuration per stage, indexed like `Workflow::stages`)
/// on a fresh sample set.
pub fn evaluate_fresh(
    workflow: &Workflow,
    dag: &Dag,
    model: &WorkflowModel,
    platform: &Platform,
    settings: &PlanSettings,
    plan: &[Config],
) -> Result<FreshEvaluation, SamplingError> {
    check_settings(settings)?;
    let n_stages = workflow.stages.len();
    if plan.len() != n_stages {
        return Err(SamplingError::PlanMismatch {
            expected: n_stages,
            found: plan.len(),
        });
    }
    if model.stages.len() != n_stages {
        return Err(SamplingError::ModelMismatch {
            workflow: workflow.name.clone(),
            expected: n_stages,
            found: model.stages.len(),
        });
    }
    let ln_space: f64 = workflow
        .stages
        .iter()
        .map(|s| (candidates(s, platform).len().max(1) as f64).ln())
        .sum();
    let n = sample_count(settings, ln_space);
    let mut finish = vec![vec![0.0f64; n]; n_stages];
    let mut cost_usd = vec![0.0f64; n];
    for &i in &dag.topo {
        let sm = &model.stages[i];
        let cfg = plan[i];
        let input_d = match workflow.stages[i].kind {
            StageKind::Single => dag
                .input_parent
                .get(i)
                .copied()
                .flatten()
                .map(|p| plan[p].d),
            StageKind::Parallel => None,
        };
        let vcpu = f64::from(cfg.memory_mb) / platform.mb_per_vcpu;
        let curves = sm.curves(cfg, input_d, vcpu);
        let coster = Coster::new(platform, cfg);
        let resid = residuals(sm, settings.seed, FRESH_STREAM_BASE + i as u64, n);
        let (mut lat, mut cost) = (Vec::with_capacity(n), Vec::with_capacity(n));
        fill_samples(&curves, &coster, &resid, &mut lat, &mut cost);
        for s in 0..n {
            let start = dag.parents[i]
                .iter()
                .map(|&p| finish[p][s])
                .fold(0.0, f64::max);
            finish[i][s] = start + lat[s];
            cost_usd[s] += cost[s];
        }
    }
    let latency_s = (0..n)
        .map(|s| finish.iter().map(|f| f[s]).fold(0.0, f64::max))
        .collect();
    Ok(FreshEvaluation {
        latency_s,
        cost_usd,
    })
}
