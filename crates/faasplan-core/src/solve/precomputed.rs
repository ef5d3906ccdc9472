//! Validation and bound-independent precomputation of a [`SampledProblem`].
//!
//! Samples are ordered hardest first by the latency of a fast reference plan
//! (each stage's dearest configuration); constraint generation starts from the
//! head of that order. Latency bounds are computed on the sample subset only
//! (see `bounds.rs`), so preparation reads the full tables just twice: once to
//! validate them and once for dominance.
//!
//! Dominance: within one stage and context, a configuration is dropped when an
//! earlier one in (expected cost, index) order is no slower on every sample (and,
//! when per-sample cost is bounded, no dearer on every sample). Instance counts
//! must match when the stage is a context parent, and may only shrink under a
//! concurrency limit, so a dominated configuration never helps any plan. A
//! stage that shares a function with others ([`SampledProblem::shared`]) is
//! dominated only by a configuration of the same memory size and architecture,
//! which every plan the dominated one is in can swap in.
//!
//! Ties: `tie_lead` names, per stage, the member of its group assigned first
//! in `topo`; the search and the sweep allow a stage only the candidates tied
//! to that member's configuration (`Precomputed::tie_ok`).

use super::SolveError;
use super::antichain::{MAX_ANTICHAINS, maximal_antichains};
use super::bounds::subset_bounds;
use super::eval::latencies;
use crate::problem::{Sample, SampledProblem};

/// Precomputed tables for one problem.
pub(crate) struct Precomputed<'p> {
    pub p: &'p SampledProblem,
    pub k: usize,
    pub n: usize,
    pub a: usize,
    pub hard: Vec<u32>,
    pub sorted: Vec<Vec<Vec<u32>>>,
    pub antichains_of: Vec<Vec<u64>>,
    pub min_d: Vec<u32>,
    pub per_sample_cost: bool,
    /// Level of each stage in `topo`.
    pub depth_of: Vec<usize>,
    /// Per configuration, the least bound it can meet on all samples, `[stage][row]`
    /// (`bounds.rs`: the `(a + 1)`-th largest `head + L + tail`; bound-independent).
    pub thr: Vec<Vec<f64>>,
    /// First context slot of each stage (stages' contexts numbered in a row); `[k]` is the total.
    pub slot_of: Vec<usize>,
    /// The path-budget tables (`search/chaindp.rs`), built on first use.
    pub chain_dp: std::sync::OnceLock<super::search::ChainTables>,
    /// Per stage, the member of its shared-function group first in `topo`, when
    /// that is another stage ([`SampledProblem::tie_leads`]).
    pub tie_lead: Vec<Option<usize>>,
}

/// Per-sample costs finite and non-negative (needed for quantile cost bounds).
pub(crate) fn validate_sample_costs(p: &SampledProblem) -> Result<(), SolveError> {
    match p.stages.iter().position(|t| !all_valid(&t.cost_usd)) {
        Some(i) => Err(SolveError::Value(i)),
        None => Ok(()),
    }
}

/// Checks shapes and values; per-sample costs are read (and checked) only when
/// `per_sample_cost` is set, i.e. for quantile cost bounds.
pub(crate) fn validate(p: &SampledProblem, per_sample_cost: bool) -> Result<(), SolveError> {
    let k = p.stages.len();
    let n = p.n_samples;
    if n == 0 || p.allowed_violations >= n {
        return Err(SolveError::Samples {
            n_samples: n,
            allowed_violations: p.allowed_violations,
        });
    }
    if k == 0 || k > super::MAX_STAGES {
        return Err(SolveError::StageCount(k));
    }
    if p.parents.len() != k {
        return Err(SolveError::Parents(p.parents.len()));
    }
    let mut seen = vec![false; k];
    for &i in &p.topo {
        if i >= k || seen[i] || p.parents[i].iter().any(|&q| q >= k || !seen[q]) {
            return Err(SolveError::Topo(i));
        }
        seen[i] = true;
    }
    if p.topo.len() != k {
        return Err(SolveError::Topo(p.topo.len()));
    }
    if p.concurrency_limit.is_some() && maximal_antichains(&p.parents, &p.topo).is_none() {
        return Err(SolveError::Antichains(MAX_ANTICHAINS));
    }
    for (i, t) in p.stages.iter().enumerate() {
        let c = t.configs.len();
        if c == 0 {
            return Err(SolveError::EmptyStage(i));
        }
        if let Some(cx) = &t.context
            && (!p.parents[i].contains(&cx.parent) || cx.parent_d.is_empty())
        {
            return Err(SolveError::Context {
                stage: i,
                parent: cx.parent,
            });
        }
        let x = t.n_contexts() * c;
        let sizes = [
            ("expected_cost_usd", t.expected_cost_usd.len(), x),
            ("cost_usd", t.cost_usd.len(), x * n),
            ("latency_s", t.latency_s.len(), x * n),
        ];
        for (field, found, expected) in sizes {
            if found != expected {
                return Err(SolveError::TableSize {
                    stage: i,
                    field,
                    expected,
                    found,
                });
            }
        }
        if !all_valid(&t.latency_s)
            || (per_sample_cost && !all_valid(&t.cost_usd))
            || !all_valid(&t.expected_cost_usd)
        {
            return Err(SolveError::Value(i));
        }
    }
    Ok(())
}

impl<'p> Precomputed<'p> {
    /// Builds the tables; `per_sample_cost` enables per-sample cost bounds and dominance.
    pub(crate) fn new(p: &'p SampledProblem, per_sample_cost: bool) -> Self {
        let k = p.stages.len();
        let n = p.n_samples;
        let a = p.allowed_violations;
        let hard = hardest_first(p);
        let ctx_parent: Vec<bool> = (0..k)
            .map(|i| {
                p.stages
                    .iter()
                    .any(|t| t.context.as_ref().is_some_and(|c| c.parent == i))
            })
            .collect();
        let tied: Vec<bool> = (0..k)
            .map(|i| p.shared.iter().any(|g| g.contains(&i)))
            .collect();
        let sorted = (0..k)
            .map(|i| {
                let dm = DMatters {
                    equal: ctx_parent[i],
                    shrink: p.concurrency_limit.is_some(),
                    tied: tied[i],
                };
                (0..p.stages[i].n_contexts())
                    .map(|c| non_dominated(p, i, c, dm, per_sample_cost))
                    .collect()
            })
            .collect();
        let antichains = match p.concurrency_limit {
            // `validate` has refused a DAG with more than MAX_ANTICHAINS.
            Some(_) => maximal_antichains(&p.parents, &p.topo).unwrap_or_default(),
            None => Vec::new(),
        };
        let antichains_of = (0..k)
            .map(|i| {
                antichains
                    .iter()
                    .copied()
                    .filter(|m| m >> i & 1 == 1)
                    .collect()
            })
            .collect();
        let min_d = p
            .stages
            .iter()
            .map(|t| t.configs.iter().map(|c| c.d).min().unwrap_or(0))
            .collect();
        let mut slot_of = vec![0; k + 1];
        for (i, t) in p.stages.iter().enumerate() {
            slot_of[i + 1] = slot_of[i] + t.n_contexts();
        }
        let full: Vec<&[Sample]> = p.stages.iter().map(|t| &t.latency_s[..]).collect();
        let thr = subset_bounds(&full, &p.parents, &p.topo, n, Some(a)).thr;
        let mut depth_of = vec![0; k];
        for (d, &i) in p.topo.iter().enumerate() {
            depth_of[i] = d;
        }
        Precomputed {
            p,
            depth_of,
            slot_of,
            thr,
            k,
            n,
            a,
            hard,
            sorted,
            antichains_of,
            min_d,
            per_sample_cost,
            chain_dp: std::sync::OnceLock::new(),
            tie_lead: p.tie_leads(),
        }
    }

    /// Whether configuration `j` of stage `i` agrees with the configuration in
    /// `choice` of the first member of its group (which must be assigned).
    #[inline]
    pub(crate) fn tie_ok(&self, i: usize, j: u32, choice: &[u32]) -> bool {
        match self.tie_lead[i] {
            None => true,
            Some(l) => self.p.tied(i, j as usize, l, choice[l] as usize),
        }
    }
}

#[derive(Clone, Copy)]
struct DMatters {
    equal: bool,
    shrink: bool,
    /// The stage shares a function: memory size and architecture must match.
    tied: bool,
}

fn dominates(p: &SampledProblem, i: usize, c: usize, y: usize, x: usize, cost: bool) -> bool {
    let t = &p.stages[i];
    let (ry, rx) = (t.row(c, y), t.row(c, x));
    if !all_le(p.latencies(i, ry), p.latencies(i, rx)) {
        return false;
    }
    !cost || all_le(p.costs(i, ry), p.costs(i, rx))
}

/// Every value finite and non-negative (vectorisable: no early exit inside a chunk).
fn all_valid<T: Copy + Into<f64>>(v: &[T]) -> bool {
    v.chunks(256).all(|c| {
        c.iter()
            .fold(true, |ok, &x| ok & (0.0..f64::INFINITY).contains(&x.into()))
    })
}

/// `x[s] ≤ y[s]` for every s, in vectorisable chunks with an exit between chunks.
fn all_le(x: &[Sample], y: &[Sample]) -> bool {
    x.chunks(64)
        .zip(y.chunks(64))
        .all(|(a, b)| a.iter().zip(b).fold(true, |ok, (u, v)| ok & (u <= v)))
}

fn non_dominated(p: &SampledProblem, i: usize, c: usize, dm: DMatters, cost: bool) -> Vec<u32> {
    let t = &p.stages[i];
    let nc = t.configs.len();
    let ec = &t.expected_cost_usd[t.row(c, 0)..t.row(c, 0) + nc];
    let mut order: Vec<u32> = (0..nc as u32).collect();
    order.sort_by(|&x, &y| ec[x as usize].total_cmp(&ec[y as usize]).then(x.cmp(&y)));
    // Per configuration, the sum of its latencies (in sample order) and its latency
    // on the first sample: necessary conditions for dominance. Rounded addition is
    // monotone in each term, so `y[s] ≤ x[s]` for every s implies `Σ y ≤ Σ x`
    // summed in the same order; only kept configurations of at most x's sum are
    // tried (`by_sum`, ascending), which on fine memory grids (thousands of sizes,
    // slower when cheaper) leaves few pairs. The kept set is the same as trying
    // every earlier kept configuration.
    let keys: Vec<(f64, f64)> = (0..nc)
        .map(|x| {
            let l = p.latencies(i, t.row(c, x));
            (
                l.iter().map(|&v| f64::from(v)).sum(),
                l.first().map_or(0.0, |&v| f64::from(v)),
            )
        })
        .collect();
    let mut kept: Vec<u32> = Vec::new();
    let mut by_sum: Vec<(f64, u32)> = Vec::new();
    for &x in &order {
        let dx = t.configs[x as usize].d;
        let (sum_x, first_x) = keys[x as usize];
        let end = by_sum.partition_point(|&(s, _)| s <= sum_x);
        let dominated = by_sum[..end].iter().any(|&(_, y)| {
            if keys[y as usize].1 > first_x {
                return false;
            }
            let dy = t.configs[y as usize].d;
            let d_ok = if dm.equal {
                dy == dx
            } else {
                !dm.shrink || dy <= dx
            };
            d_ok && same_function_size(dm, p, i, x, y)
                && dominates(p, i, c, y as usize, x as usize, cost)
        });
        if !dominated {
            kept.push(x);
            by_sum.insert(end, (sum_x, x));
        }
    }
    kept
}

/// Without a tie any configuration may dominate; with one only a configuration
/// of the same memory size and architecture.
fn same_function_size(dm: DMatters, p: &SampledProblem, i: usize, x: u32, y: u32) -> bool {
    !dm.tied || p.tied(i, x as usize, i, y as usize)
}

/// Samples ordered by the latency of a fast reference plan (each stage's dearest
/// configuration), slowest first: a cheap proxy for "hardest".
fn hardest_first(p: &SampledProblem) -> Vec<u32> {
    let choice: Vec<u32> = p
        .stages
        .iter()
        .map(|t| {
            let nc = t.configs.len();
            (0..nc)
                .max_by(|&x, &y| t.expected_cost_usd[x].total_cmp(&t.expected_cost_usd[y]))
                .unwrap_or(0) as u32
        })
        .collect();
    let mut hard: Vec<u32> = (0..p.n_samples as u32).collect();
    if let Ok(ctx) = p.contexts(&choice) {
        let mut lat = Vec::new();
        latencies(p, &choice, &ctx, &mut lat);
        hard.sort_by(|&x, &y| lat[y as usize].total_cmp(&lat[x as usize]).then(x.cmp(&y)));
    }
    hard
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::synthetic::{Shape, Small, problem, small};

    /// Dominance by trying every earlier kept configuration, without the filters.
    fn reference(p: &SampledProblem, i: usize, c: usize, dm: DMatters, cost: bool) -> Vec<u32> {
        let t = &p.stages[i];
        let nc = t.configs.len();
        let ec = &t.expected_cost_usd[t.row(c, 0)..t.row(c, 0) + nc];
        let mut order: Vec<u32> = (0..nc as u32).collect();
        order.sort_by(|&x, &y| ec[x as usize].total_cmp(&ec[y as usize]).then(x.cmp(&y)));
        let mut kept: Vec<u32> = Vec::new();
        for &x in &order {
            let dx = t.configs[x as usize].d;
            let dominated = kept.iter().any(|&y| {
                let dy = t.configs[y as usize].d;
                let d_ok = if dm.equal {
                    dy == dx
                } else {
                    !dm.shrink || dy <= dx
                };
                d_ok && same_function_size(dm, p, i, x, y)
                    && dominates(p, i, c, y as usize, x as usize, cost)
            });
            if !dominated {
                kept.push(x);
            }
        }
        kept
    }

    fn check(p: &SampledProblem) -> usize {
        let mut dropped = 0;
        for (i, t) in p.stages.iter().enumerate() {
            for c in 0..t.n_contexts() {
                for (equal, shrink, cost, tied) in [
                    (false, false, false, false),
                    (true, false, false, false),
                    (false, true, true, false),
                    (false, false, false, true),
                ] {
                    let dm = DMatters {
                        equal,
                        shrink,
                        tied,
                    };
                    let fast = non_dominated(p, i, c, dm, cost);
                    assert_eq!(fast, reference(p, i, c, dm, cost), "stage {i} context {c}");
                    dropped += t.configs.len() - fast.len();
                }
            }
        }
        dropped
    }

    #[test]
    fn filtered_dominance_keeps_the_same_configurations() {
        let mut dropped = 0;
        for seed in 0..200 {
            for ties in [false, true] {
                let o = Small {
                    stages: 3,
                    max_configs: 12,
                    samples: 1 + (seed as usize % 40),
                    allowed_violations: 0,
                    concurrency_limit: None,
                    ties,
                };
                dropped += check(&small(o, seed));
            }
        }
        // The cases exercise dominance, not only its absence.
        assert!(dropped > 100, "only {dropped} configurations dominated");
        assert!(check(&problem(Shape::Ml, 300, 1)) > 0);
    }
}
