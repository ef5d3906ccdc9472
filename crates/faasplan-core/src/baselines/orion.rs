//! Orion (OSDI'22): best-first search over memory from the minimum, stopping at
//! the first configuration that meets the percentile target.
//!
//! Rule: Orion right-sizes functions only (memory); the number of parallel
//! instances is fixed. Here every parallel stage keeps one d, the upper median
//! of its candidate d values (a single-instance stage has d = 1). The search
//! starts with every stage at its smallest memory. At each step it tries every
//! one-step memory increase of one stage and moves to the one with the lowest
//! estimated end-to-end q-latency (ties: cheaper, then the lower stage index);
//! it stops at the first configuration whose estimate is at most the bound, and
//! returns no plan when every stage has reached its largest memory first.
//!
//! Estimate: Orion convolves per-stage empirical latency distributions, taking
//! the stages as independent. The sampler draws every stage from its own
//! random stream, so the stages' samples are independent and the longest path
//! over the samples is that convolution's Monte Carlo estimate; the target is
//! met when its nearest-rank q-quantile is at most the bound (no allowance for
//! sampling error, unlike the exact planner's guarantee).

use crate::problem::SampledProblem;
use crate::solve::Plan;

/// The fixed d of a stage: the upper median of its candidate d values.
pub fn fixed_d(configs: &[crate::dag::Config]) -> u32 {
    let mut ds: Vec<u32> = configs.iter().map(|c| c.d).collect();
    ds.sort_unstable();
    ds.dedup();
    ds.get(ds.len() / 2).copied().unwrap_or(1)
}

/// Orion's plan for latency bound `bound_s`.
pub fn plan(problem: &SampledProblem, bound_s: f64) -> Option<Plan> {
    // Per stage: candidate indices at its fixed d, by ascending memory.
    let ladders: Vec<Vec<u32>> = problem
        .stages
        .iter()
        .map(|t| {
            let d = fixed_d(&t.configs);
            let mut idx: Vec<u32> = (0..t.configs.len() as u32)
                .filter(|&j| t.configs[j as usize].d == d)
                .collect();
            idx.sort_by_key(|&j| t.configs[j as usize].memory_mb);
            idx.dedup_by_key(|j| t.configs[*j as usize].memory_mb);
            idx
        })
        .collect();
    if ladders.iter().any(Vec::is_empty) {
        return None;
    }
    let mut pos = vec![0usize; ladders.len()];
    let choice_of =
        |pos: &[usize]| -> Vec<u32> { pos.iter().zip(&ladders).map(|(&p, l)| l[p]).collect() };
    let mut current = super::q_latency(problem, &choice_of(&pos));
    loop {
        if let Some((q, _)) = current
            && q <= bound_s
        {
            return Some(Plan {
                choice: choice_of(&pos),
            });
        }
        let mut best: Option<(usize, (f64, f64))> = None;
        for i in 0..ladders.len() {
            if pos[i] + 1 >= ladders[i].len() {
                continue;
            }
            pos[i] += 1;
            let est = super::q_latency(problem, &choice_of(&pos));
            pos[i] -= 1;
            let Some(est) = est else { continue };
            let better =
                best.is_none_or(|(_, b)| est.0.total_cmp(&b.0).then(est.1.total_cmp(&b.1)).is_lt());
            if better {
                best = Some((i, est));
            }
        }
        let (i, est) = best?;
        pos[i] += 1;
        current = Some(est);
    }
}
