//! Ditto (SIGCOMM'23): a deterministic white-box model, and its two extremes.
//!
//! Rule: Ditto predicts each stage's latency from an analytic model with no
//! noise and plans either for the least job completion time or for the least
//! cost. On the [`PointTable`] (mean predictions, no noise):
//!
//! - [`Extreme::MinLatency`]: every stage at its fastest configuration (ties:
//!   cheaper); the workflow's point latency, the longest path of the stage
//!   point latencies, is then the least any plan reaches on this model;
//! - [`Extreme::MinCost`]: every stage at its cheapest configuration (expected
//!   cost of the table, ties: faster); the sum is the least cost.
//!
//! A single-instance stage whose latency depends on its parent's d (a context)
//! couples the two: every combination of the context parents' d values is
//! tried, each stage picks its best configuration given it, and the best
//! combination wins (by the extreme's objective, then the other one). With
//! more than [`MAX_COMBINATIONS`] combinations only the first are tried.

use super::inputs::PointTable;
use crate::problem::SampledProblem;
use crate::solve::Plan;

/// Which extreme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Extreme {
    /// The least point latency.
    MinLatency,
    /// The least expected cost.
    MinCost,
}

/// Most combinations of context-parent d values tried.
pub const MAX_COMBINATIONS: usize = 4096;

/// Point latency of every stage of `choice` and the longest path over them, s.
pub fn point_latency(problem: &SampledProblem, points: &PointTable, choice: &[u32]) -> Option<f64> {
    let rows = problem.rows(choice).ok()?;
    let mut fin = vec![0.0f64; problem.stages.len()];
    let mut worst = 0.0f64;
    for &i in &problem.topo {
        let start = problem.parents[i]
            .iter()
            .map(|&p| fin[p])
            .fold(0.0, f64::max);
        fin[i] = start + points.latency_s[i][rows[i]];
        worst = worst.max(fin[i]);
    }
    Some(worst)
}

/// Expected cost of `choice`, USD.
pub(crate) fn cost(problem: &SampledProblem, choice: &[u32]) -> Option<f64> {
    let ctx = problem.contexts(choice).ok()?;
    Some(crate::solve::plan_expected_cost(problem, choice, &ctx))
}

/// Ditto's plan at `extreme`.
pub fn plan(problem: &SampledProblem, points: &PointTable, extreme: Extreme) -> Option<Plan> {
    let k = problem.stages.len();
    // Context parents and the d values each can take.
    let mut parents: Vec<usize> = problem
        .stages
        .iter()
        .filter_map(|t| t.context.as_ref().map(|c| c.parent))
        .collect();
    parents.sort_unstable();
    parents.dedup();
    let options: Vec<Vec<u32>> = parents
        .iter()
        .map(|&p| {
            let mut ds: Vec<u32> = problem.stages[p].configs.iter().map(|c| c.d).collect();
            ds.sort_unstable();
            ds.dedup();
            ds
        })
        .collect();
    let total = options
        .iter()
        .map(Vec::len)
        .product::<usize>()
        .min(MAX_COMBINATIONS);
    let mut best: Option<((f64, f64), Vec<u32>)> = None;
    for combo in 0..total {
        // Mixed-radix digits of `combo`: the d of each context parent.
        let mut rest = combo;
        let mut fixed_d: Vec<Option<u32>> = vec![None; k];
        for (&p, ds) in parents.iter().zip(&options) {
            fixed_d[p] = Some(ds[rest % ds.len()]);
            rest /= ds.len();
        }
        let Some(choice) = pick_stages(problem, points, extreme, &fixed_d) else {
            continue;
        };
        let (Some(lat), Some(c)) = (
            point_latency(problem, points, &choice),
            cost(problem, &choice),
        ) else {
            continue;
        };
        let key = match extreme {
            Extreme::MinLatency => (lat, c),
            Extreme::MinCost => (c, lat),
        };
        let better = best
            .as_ref()
            .is_none_or(|(b, _)| key.0.total_cmp(&b.0).then(key.1.total_cmp(&b.1)).is_lt());
        if better {
            best = Some((key, choice));
        }
    }
    best.map(|(_, choice)| Plan { choice })
}

/// Each stage's best configuration given the context parents' d values.
fn pick_stages(
    problem: &SampledProblem,
    points: &PointTable,
    extreme: Extreme,
    fixed_d: &[Option<u32>],
) -> Option<Vec<u32>> {
    problem
        .stages
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let ctx = match &t.context {
                None => 0,
                Some(cx) => t.context_of(fixed_d[cx.parent]?)?,
            };
            (0..t.n_configs() as u32)
                .filter(|&j| fixed_d[i].is_none_or(|d| t.configs[j as usize].d == d))
                .min_by(|&a, &b| {
                    let (ra, rb) = (t.row(ctx, a as usize), t.row(ctx, b as usize));
                    let (la, lb) = (points.latency_s[i][ra], points.latency_s[i][rb]);
                    let (ca, cb) = (t.expected_cost_usd[ra], t.expected_cost_usd[rb]);
                    match extreme {
                        Extreme::MinLatency => la.total_cmp(&lb).then(ca.total_cmp(&cb)),
                        Extreme::MinCost => ca.total_cmp(&cb).then(la.total_cmp(&lb)),
                    }
                })
        })
        .collect()
}
