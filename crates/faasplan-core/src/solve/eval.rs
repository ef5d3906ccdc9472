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
//! Both come from [`crate::stats`], the one copy of these definitions.
//! The expected cost is `Σ_i expected_cost_usd`, summed in topological order.

use super::{Plan, PlanError};
use crate::problem::SampledProblem;
use crate::stats::{guarantee, median_and_quantile, quantile_with};

/// A plan evaluated on the samples of its problem.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanEval {
    /// Workflow latency per sample, s.
    pub latency_s: Vec<f64>,
    /// Workflow cost per sample, USD (stage costs summed in topological order).
    pub cost_usd: Vec<f64>,
    /// Smallest bound the plan meets with at most `allowed_violations` misses, s.
    pub guaranteed_latency_s: f64,
    /// Empirical median of the workflow latency, s.
    pub p50_latency_s: f64,
    /// Empirical `percentile`-quantile of the workflow latency, s.
    pub q_latency_s: f64,
    /// Expected cost per run, USD.
    pub expected_cost_usd: f64,
    /// Smallest cost bound met with at most `allowed_violations` misses, USD
    /// (what a quantile cost bound is checked against).
    pub guaranteed_cost_usd: f64,
    /// Empirical `percentile`-quantile of the per-sample cost, USD.
    pub q_cost_usd: f64,
    /// Per-stage `(p50, q)` latency quantiles, s, indexed like the stages.
    pub stage_latency_quantiles_s: Vec<(f64, f64)>,
}

/// Per-sample workflow latency of a plan whose contexts are known.
pub(crate) fn latencies(p: &SampledProblem, choice: &[u32], ctx: &[usize], out: &mut Vec<f64>) {
    let n = p.n_samples;
    let mut fin = vec![0.0; p.stages.len() * n];
    out.clear();
    out.resize(n, 0.0);
    for &i in &p.topo {
        let lat = p.latencies(i, p.stages[i].row(ctx[i], choice[i] as usize));
        for s in 0..n {
            let mut m = 0.0;
            for &q in &p.parents[i] {
                let f = fin[q * n + s];
                if f > m {
                    m = f;
                }
            }
            let f = m + f64::from(lat[s]);
            fin[i * n + s] = f;
            if f > out[s] {
                out[s] = f;
            }
        }
    }
}

/// Per-sample cost of a plan, summed in topological order.
pub(crate) fn sample_costs(p: &SampledProblem, choice: &[u32], ctx: &[usize], out: &mut Vec<f64>) {
    out.clear();
    out.resize(p.n_samples, 0.0);
    for &i in &p.topo {
        let costs = p.costs(i, p.stages[i].row(ctx[i], choice[i] as usize));
        for (acc, c) in out.iter_mut().zip(costs) {
            *acc += f64::from(*c);
        }
    }
}

/// Expected cost of a plan, summed in topological order.
pub(crate) fn expected_cost(p: &SampledProblem, choice: &[u32], ctx: &[usize]) -> f64 {
    let mut c = 0.0;
    for &i in &p.topo {
        c += p.expected_cost(i, p.stages[i].row(ctx[i], choice[i] as usize));
    }
    c
}

/// Evaluates `plan` on every sample of `problem`.
pub fn evaluate(problem: &SampledProblem, plan: &Plan) -> Result<PlanEval, PlanError> {
    if problem.n_samples == 0 || problem.allowed_violations >= problem.n_samples {
        return Err(PlanError::Samples {
            n_samples: problem.n_samples,
            allowed_violations: problem.allowed_violations,
        });
    }
    let ctx = problem.contexts(&plan.choice)?;
    let a = problem.allowed_violations;
    let q = problem.percentile;
    let mut latency_s = Vec::new();
    latencies(problem, &plan.choice, &ctx, &mut latency_s);
    let mut cost_usd = Vec::new();
    sample_costs(problem, &plan.choice, &ctx, &mut cost_usd);
    let mut scratch = Vec::new();
    let (p50, q_latency_s) = median_and_quantile(&latency_s, q);
    let stage_latency_quantiles_s = (0..problem.stages.len())
        .map(|i| {
            let row = problem.stages[i].row(ctx[i], plan.choice[i] as usize);
            median_and_quantile(problem.latencies(i, row), q)
        })
        .collect();
    Ok(PlanEval {
        guaranteed_latency_s: guarantee(&latency_s, a, &mut scratch),
        p50_latency_s: p50,
        q_latency_s,
        expected_cost_usd: expected_cost(problem, &plan.choice, &ctx),
        guaranteed_cost_usd: guarantee(&cost_usd, a, &mut scratch),
        q_cost_usd: quantile_with(&cost_usd, q, &mut scratch),
        stage_latency_quantiles_s,
        latency_s,
        cost_usd,
    })
}
