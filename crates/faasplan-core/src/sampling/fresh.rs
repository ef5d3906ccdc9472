//! Out-of-sample evaluation of a chosen plan.
//!
//! The plan (one configuration per stage) is re-sampled on a fresh, independent
//! sample set: stage i draws from `rng::stream(seed, FRESH_STREAM_BASE + i)`, a
//! stream family disjoint from the one [`super::build_problem`] uses. Per sample,
//! the workflow latency is the longest path through the DAG (every path:
//! `finish_i = L_i + max_{p ∈ parents(i)} finish_p`, latency = max_i finish_i)
//! and the workflow cost is the sum of the stage costs. The number of fresh samples
//! M is [`super::fresh_sample_count`] (the `fresh_samples` setting).
//!
//! The evaluation streams: every stage keeps its generator and draws
//! [`CHUNK`] samples at a time, so only the chunk's stage latencies and finish
//! times are held besides the two per-sample results (16 bytes per fresh sample);
//! the draws are the same as drawing each stage's whole stream at once.

use super::branches::{Branches, skip_inactive};
use super::kernel::{Coster, Residuals, draw_residuals, fill_repeated};
use super::{SamplingError, check_settings, fresh_sample_count};
use crate::arch::{Arch, Architectures};
use crate::dag::{Config, Dag, StageKind, Workflow};
use crate::model::{StageModel, WorkflowModel};
use crate::platform::Platform;
use crate::rng;
use crate::settings::PlanSettings;

/// First stream number of the out-of-sample family (stage i uses `FRESH_STREAM_BASE + i`).
pub const FRESH_STREAM_BASE: u64 = 1 << 32;

/// Fresh samples evaluated per step of every stage.
const CHUNK: usize = 4096;

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
    evaluate_fresh_on(workflow, dag, model, platform, settings, plan, None)
}

/// [`evaluate_fresh`] of a plan whose stages run on the architectures
/// `arch.1` (indexed like `plan`): a stage on the platform's other architecture
/// is sampled with its time factor and priced at that architecture's rates,
/// as the planning tables were ([`crate::arch`]). `None`: every stage on the
/// platform's own.
pub fn evaluate_fresh_on(
    workflow: &Workflow,
    dag: &Dag,
    model: &WorkflowModel,
    platform: &Platform,
    settings: &PlanSettings,
    plan: &[Config],
    arch: Option<(&Architectures, &[Arch])>,
) -> Result<FreshEvaluation, SamplingError> {
    check_settings(settings)?;
    super::check_cold_stages(workflow, settings)?;
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
    if let Some((_, a)) = arch
        && a.len() != n_stages
    {
        return Err(SamplingError::PlanMismatch {
            expected: n_stages,
            found: a.len(),
        });
    }
    // Each stage's model and platform: its architecture's.
    let other: Vec<Option<StageModel>> = (0..n_stages)
        .map(|i| match arch {
            Some((a, of)) if of[i] != a.native => Some(a.other_model(i, &model.stages[i])),
            _ => None,
        })
        .collect();
    let n = fresh_sample_count(settings)?;
    let repeats = workflow.repeats();
    let mut scratch = (Vec::new(), Vec::new());
    let mut stages = Vec::with_capacity(n_stages);
    for &i in &dag.topo {
        let sm = other[i].as_ref().unwrap_or(&model.stages[i]);
        let platform = match arch {
            Some((a, of)) => a.platform(platform, of[i]),
            None => platform,
        };
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
        let cold = settings.cold_starts_of(&workflow.stages[i].id);
        stages.push((
            i,
            curves,
            sm.cold_mix(curves.d, cold),
            Coster::new(
                platform,
                cfg,
                crate::pricing::workflow_stage_extra(
                    &platform.pricing,
                    workflow,
                    &dag.parents,
                    &dag.topo,
                    i,
                    cfg,
                ),
            ),
            rng::stream(settings.seed, FRESH_STREAM_BASE + i as u64),
        ));
    }
    let mut latency_s = Vec::with_capacity(n);
    let mut cost_usd = Vec::with_capacity(n);
    let mut resid = Residuals::with_capacity(CHUNK);
    let (mut lat, mut cost) = (Vec::with_capacity(CHUNK), Vec::with_capacity(CHUNK));
    let mut finish = vec![0.0f64; n_stages * CHUNK];
    let mut branches = Branches::new(workflow, settings.seed, FRESH_STREAM_BASE);
    let mut active: Vec<Vec<bool>> = vec![Vec::new(); n_stages];
    let mut done = 0;
    while done < n {
        let len = CHUNK.min(n - done);
        if !branches.is_empty() {
            branches.draw(len, &mut active);
        }
        let (wl, wc) = (latency_s.len(), cost_usd.len());
        latency_s.resize(wl + len, 0.0f64);
        cost_usd.resize(wc + len, 0.0f64);
        for (i, curves, cold, coster, r) in &mut stages {
            let i = *i;
            let k = repeats[i];
            draw_residuals(&model.stages[i], r, len * k as usize, &mut resid);
            lat.clear();
            cost.clear();
            fill_repeated(
                k,
                curves,
                coster,
                &resid,
                cold,
                None,
                &mut lat,
                &mut cost,
                &mut scratch,
            );
            if !active[i].is_empty() {
                skip_inactive(&active[i], &mut lat, &mut cost);
            }
            for s in 0..len {
                let start = dag.parents[i]
                    .iter()
                    .map(|&p| finish[p * CHUNK + s])
                    .fold(0.0, f64::max);
                let f = start + lat[s];
                finish[i * CHUNK + s] = f;
                cost_usd[wc + s] += cost[s];
                if f > latency_s[wl + s] {
                    latency_s[wl + s] = f;
                }
            }
        }
        done += len;
    }
    Ok(FreshEvaluation {
        latency_s,
        cost_usd,
    })
}
