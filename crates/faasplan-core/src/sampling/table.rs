//! Finishing a stage's table: the context of a single-instance stage and the
//! timeout filter.

use super::Partial;
use crate::dag::{Config, Dag, StageKind, Workflow};
use crate::problem::{StageContext, StageTable};
use crate::stats::quantile_in_place;

/// Context of a single-instance stage reading a parallel parent's partitions.
pub(crate) fn input_context(
    workflow: &Workflow,
    dag: &Dag,
    cands: &[Vec<Config>],
    i: usize,
) -> Option<StageContext> {
    if workflow.stages[i].kind != StageKind::Single {
        return None;
    }
    let parent = (*dag.input_parent.get(i)?)?;
    let mut parent_d: Vec<u32> = cands[parent].iter().map(|c| c.d).collect();
    parent_d.sort_unstable();
    parent_d.dedup();
    Some(StageContext { parent, parent_d })
}

/// Removes candidates whose q-quantile latency exceeds `timeout_s` in every context.
pub(crate) fn drop_timeouts(st: Partial, n: usize, q: f64, timeout_s: f64) -> StageTable {
    let n_cfg = st.configs.len();
    let n_ctx = st.context.as_ref().map_or(1, |c| c.parent_d.len());
    let row = |ctx: usize, j: usize| (ctx * n_cfg + j) * n;
    let mut ran: Vec<f64> = Vec::new();
    let keep: Vec<bool> = (0..n_cfg)
        .map(|j| {
            (0..n_ctx).any(|ctx| {
                let lat = &st.latency_s[row(ctx, j)..row(ctx, j) + n];
                // Judged on the stored values (widened), on the samples where the stage runs.
                ran.clear();
                if st.active.is_empty() {
                    ran.extend(lat.iter().map(|&l| f64::from(l)));
                } else {
                    ran.extend(
                        lat.iter()
                            .zip(&st.active)
                            .filter(|p| *p.1)
                            .map(|p| f64::from(*p.0)),
                    );
                }
                ran.iter().all(|&l| l <= timeout_s) || quantile_in_place(&mut ran, q) <= timeout_s
            })
        })
        .collect();
    if keep.iter().all(|&k| k) {
        return StageTable {
            configs: st.configs,
            context: st.context,
            expected_cost_usd: st.expected_cost_usd,
            cost_usd: st.cost_usd,
            latency_s: st.latency_s,
            architectures: st.archs,
        };
    }
    let mut t = StageTable {
        configs: Vec::new(),
        context: st.context.clone(),
        expected_cost_usd: Vec::new(),
        cost_usd: Vec::new(),
        latency_s: Vec::new(),
        architectures: Vec::new(),
    };
    t.configs = (0..n_cfg)
        .filter(|&j| keep[j])
        .map(|j| st.configs[j])
        .collect();
    if !st.archs.is_empty() {
        t.architectures = (0..n_cfg)
            .filter(|&j| keep[j])
            .map(|j| st.archs[j])
            .collect();
    }
    for ctx in 0..n_ctx {
        for j in (0..n_cfg).filter(|&j| keep[j]) {
            t.expected_cost_usd
                .push(st.expected_cost_usd[ctx * n_cfg + j]);
            t.latency_s
                .extend_from_slice(&st.latency_s[row(ctx, j)..row(ctx, j) + n]);
            t.cost_usd
                .extend_from_slice(&st.cost_usd[row(ctx, j)..row(ctx, j) + n]);
        }
    }
    t
}
