//! Evaluating one plan on every sample: the checker the search and the report share.
//!
//! Stage `i` finishes on sample `s` at `f_i(s) = max_{p ∈ parents(i)} f_p(s) + L_i(s)`
//! (0 when `i` has no parent), computed in topological order with the parents in the
//! order `SampledProblem::parents` lists them. The workflow latency is
//! `L(s) = max_i f_i(s)`. The search computes finish times with exactly the same
//! operations, so a plan's latency is bit-identical in the search and here.
//!
//! The guaranteed latency is the `(N − a)`-th smallest `L(s)` (1-based), with
//! `a = allowed_violations`: the smallest bound B with `#{s : L(s) > B} ≤ a`.
//! Empirical quantiles use the nearest rank: the `ceil(q N)`-th smallest value.
//! The expected cost is `Σ_i expected_cost_usd`, summed in topological order.

use super::{Plan, PlanError};
use crate::problem::SampledProblem;

/// A plan evaluated on the samples of its problem.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanEval {
    /// Workflow latency per sample, s.
    pub latency_s: Vec<f64>,
    /// Smallest bound the plan meets with at most `allowed_violations` misses, s.
    pub guaranteed_latency_s: f64,
    /// Empirical median of the workflow latency, s.
    pub p50_latency_s: f64,
    /// Empirical `percentile`-quantile of the workflow latency, s.
    pub q_latency_s: f64,
    /// Expected cost per run, USD.
    pub expected_cost_usd: f64,
    /// Smallest cost bound met with at most `allowed_violations` misses, USD.
    pub cost_quantile_usd: f64,
    /// Per-stage `(p50, q)` latency quantiles, s, indexed like the stages.
    pub stage_latency_quantiles_s: Vec<(f64, f64)>,
}

/// The context index of every stage under `plan` (0 for stages without a context).
pub(crate) fn contexts(p: &SampledProblem, plan: &Plan) -> Result<Vec<usize>, PlanError> {
    let k = p.stages.len();
    if plan.choice.len() != k {
        return Err(PlanError::Length {
            expected: k,
            found: plan.choice.len(),
        });
    }
    for (i, (&c, t)) in plan.choice.iter().zip(&p.stages).enumerate() {
        if c as usize >= t.configs.len() {
            return Err(PlanError::Index { stage: i, index: c });
        }
    }
    let mut ctx = vec![0; k];
    for (i, t) in p.stages.iter().enumerate() {
        if let Some(cx) = &t.context {
            let d = p.stages[cx.parent].configs[plan.choice[cx.parent] as usize].d;
            ctx[i] = cx
                .parent_d
                .iter()
                .position(|&x| x == d)
                .ok_or(PlanError::Context { stage: i, d })?;
        }
    }
    Ok(ctx)
}

/// Offset of `(ctx, cfg)`'s samples in a stage's flattened table.
pub(crate) fn offset(p: &SampledProblem, stage: usize, ctx: usize, cfg: usize) -> usize {
    (ctx * p.stages[stage].configs.len() + cfg) * p.n_samples
}

/// Per-sample workflow latency of a plan whose contexts are known; `fin` is scratch.
pub(crate) fn latencies(p: &SampledProblem, choice: &[u32], ctx: &[usize], out: &mut Vec<f64>) {
    let n = p.n_samples;
    let mut fin = vec![0.0; p.stages.len() * n];
    out.clear();
    out.resize(n, 0.0);
    for &i in &p.topo {
        let o = offset(p, i, ctx[i], choice[i] as usize);
        let lat = &p.stages[i].latency_s[o..o + n];
        for s in 0..n {
            let mut m = 0.0;
            for &q in &p.parents[i] {
                let f = fin[q * n + s];
                if f > m {
                    m = f;
                }
            }
            let f = m + lat[s];
            fin[i * n + s] = f;
            if f > out[s] {
                out[s] = f;
            }
        }
    }
}

/// Per-sample cost of a plan, summed in topological order.
pub(crate) fn sample_costs(p: &SampledProblem, choice: &[u32], ctx: &[usize], out: &mut Vec<f64>) {
    let n = p.n_samples;
    out.clear();
    out.resize(n, 0.0);
    for &i in &p.topo {
        let o = offset(p, i, ctx[i], choice[i] as usize);
        for (acc, c) in out.iter_mut().zip(&p.stages[i].cost_usd[o..o + n]) {
            *acc += c;
        }
    }
}

/// Expected cost of a plan, summed in topological order.
pub(crate) fn expected_cost(p: &SampledProblem, choice: &[u32], ctx: &[usize]) -> f64 {
    let mut c = 0.0;
    for &i in &p.topo {
        let t = &p.stages[i];
        c += t.expected_cost_usd[ctx[i] * t.configs.len() + choice[i] as usize];
    }
    c
}

/// The `(a + 1)`-th largest value (the guarantee), with `a < values.len()`.
pub(crate) fn guarantee(values: &[f64], a: usize, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend_from_slice(values);
    let k = values.len() - 1 - a;
    let (_, v, _) = scratch.select_nth_unstable_by(k, f64::total_cmp);
    *v
}

fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let r = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[r - 1]
}

/// The nearest-rank `q`-quantile of `values` (the ⌈qN⌉-th smallest; NaN when empty):
/// the one quantile the plan report, the out-of-sample check and the evaluator share.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    nearest_rank(&v, q)
}

fn quantiles(values: &[f64], q: f64) -> (f64, f64) {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    (nearest_rank(&v, 0.5), nearest_rank(&v, q))
}

/// Evaluates `plan` on every sample of `problem`.
pub fn evaluate(problem: &SampledProblem, plan: &Plan) -> Result<PlanEval, PlanError> {
    if problem.n_samples == 0 || problem.allowed_violations >= problem.n_samples {
        return Err(PlanError::Samples {
            n_samples: problem.n_samples,
            allowed_violations: problem.allowed_violations,
        });
    }
    let ctx = contexts(problem, plan)?;
    let a = problem.allowed_violations;
    let mut latency_s = Vec::new();
    latencies(problem, &plan.choice, &ctx, &mut latency_s);
    let mut costs = Vec::new();
    sample_costs(problem, &plan.choice, &ctx, &mut costs);
    let mut scratch = Vec::new();
    let (p50, q) = quantiles(&latency_s, problem.percentile);
    let n = problem.n_samples;
    let stage_latency_quantiles_s = (0..problem.stages.len())
        .map(|i| {
            let o = offset(problem, i, ctx[i], plan.choice[i] as usize);
            quantiles(&problem.stages[i].latency_s[o..o + n], problem.percentile)
        })
        .collect();
    Ok(PlanEval {
        guaranteed_latency_s: guarantee(&latency_s, a, &mut scratch),
        p50_latency_s: p50,
        q_latency_s: q,
        expected_cost_usd: expected_cost(problem, &plan.choice, &ctx),
        cost_quantile_usd: guarantee(&costs, a, &mut scratch),
        stage_latency_quantiles_s,
        latency_s,
    })
}
