//! Caerus (NSDI'21): parallelism in proportion to each stage's input size, and
//! one memory size for all stages.
//!
//! Rule: Caerus sizes each stage's fan-out by its input so that every instance
//! gets a similar share of work, and runs all functions with the same memory.
//! The profiles carry no input sizes, so the proxy is the stage's
//! single-instance work `w_i` ([`PointTable::work_s`]: the model's in-function
//! time of one instance doing the whole stage). A parallel stage's target is
//! `d_i* = d_max · w_i / w_max` (the heaviest parallel stage gets the largest
//! allowed d, `d_max`, and the others in proportion), rounded to the nearest
//! candidate d in log scale (ties: smaller); single-instance stages keep d = 1.
//!
//! Caerus does not pick memory; here the one memory size is the cheapest
//! (expected cost) among the stages' candidate sizes whose plan has a MEAN
//! workflow latency over the samples of at most the bound (no percentile: a
//! mean-latency view). Each stage takes the candidate memory nearest to it
//! (ties: smaller). No size meeting the bound gives no plan.

use super::inputs::PointTable;
use crate::problem::SampledProblem;
use crate::solve::Plan;

/// The d of every stage in proportion to its work proxy.
pub fn proportional_d(problem: &SampledProblem, points: &PointTable) -> Vec<u32> {
    let ds: Vec<Vec<u32>> = problem
        .stages
        .iter()
        .map(|t| {
            let mut v: Vec<u32> = t.configs.iter().map(|c| c.d).collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let parallel = |i: usize| ds[i].len() > 1;
    let w_max = (0..ds.len())
        .filter(|&i| parallel(i))
        .map(|i| points.work_s[i])
        .fold(0.0, f64::max);
    let d_max = (0..ds.len())
        .filter(|&i| parallel(i))
        .filter_map(|i| ds[i].last().copied())
        .max()
        .unwrap_or(1);
    (0..ds.len())
        .map(|i| {
            if !parallel(i) || w_max <= 0.0 {
                return ds[i].first().copied().unwrap_or(1);
            }
            let target = (f64::from(d_max) * points.work_s[i] / w_max).max(1e-9).ln();
            ds[i]
                .iter()
                .copied()
                .min_by(|&a, &b| {
                    let (ea, eb) = (
                        (f64::from(a).ln() - target).abs(),
                        (f64::from(b).ln() - target).abs(),
                    );
                    ea.total_cmp(&eb).then(a.cmp(&b))
                })
                .unwrap_or(1)
        })
        .collect()
}

/// Caerus' plan for latency bound `bound_s` (on the mean latency).
pub fn plan(problem: &SampledProblem, points: &PointTable, bound_s: f64) -> Option<Plan> {
    let d = proportional_d(problem, points);
    let mut sizes: Vec<u32> = problem
        .stages
        .iter()
        .flat_map(|t| t.configs.iter().map(|c| c.memory_mb))
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut best: Option<(f64, Plan)> = None;
    for &m in &sizes {
        let choice: Option<Vec<u32>> = problem
            .stages
            .iter()
            .zip(&d)
            .map(|(t, &di)| {
                (0..t.configs.len() as u32)
                    .filter(|&j| t.configs[j as usize].d == di)
                    .min_by_key(|&j| {
                        let mm = t.configs[j as usize].memory_mb;
                        (mm.abs_diff(m), mm)
                    })
            })
            .collect();
        let Some(choice) = choice else { continue };
        let Some((lat, cost)) = super::latencies(problem, &choice) else {
            continue;
        };
        let mean_s = lat.iter().sum::<f64>() / lat.len().max(1) as f64;
        if mean_s <= bound_s && best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, Plan { choice }));
        }
    }
    best.map(|(_, p)| p)
}
