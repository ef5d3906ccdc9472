//! Validation and bound-independent precomputation of a [`SampledProblem`].
//!
//! With `m_i(s)` the smallest latency of stage `i` on sample `s` over all its
//! configurations and contexts:
//! - `head_i(s) = max_{p ∈ parents(i)} (head_p(s) + m_p(s))`, the earliest start;
//! - `tail_i(s) = max_{c ∈ children(i)} (m_c(s) + tail_c(s))`, the least time after;
//! - `lb(s) = max_i (head_i(s) + m_i(s) + tail_i(s))`, the least workflow latency
//!   any plan reaches on `s` (samples are tried hardest first, by `lb` descending);
//! - per configuration, `thr` = the `(a + 1)`-th largest `head + L(s) + tail`: no plan
//!   using it meets a bound below `thr`, so it is dropped for such bounds.
//!
//! Dominance: within one stage and context, a configuration is dropped when an
//! earlier one in (expected cost, index) order is no slower on every sample (and,
//! when per-sample cost is bounded, no dearer on every sample). Instance counts
//! must match when the stage is a context parent, and may only shrink under a
//! concurrency limit, so a dominated configuration never helps any plan.

use super::SolveError;
use super::antichain::maximal_antichains;
use super::eval::offset;
use crate::problem::SampledProblem;

/// Precomputed tables for one problem.
pub(crate) struct Prepared<'p> {
    pub p: &'p SampledProblem,
    pub k: usize,
    pub n: usize,
    pub a: usize,
    pub tail: Vec<f64>,
    pub base_lb: Vec<f64>,
    pub hard: Vec<u32>,
    pub thr: Vec<Vec<f64>>,
    pub sorted: Vec<Vec<Vec<u32>>>,
    pub antichains_of: Vec<Vec<u64>>,
    pub min_d: Vec<u32>,
    pub min_cost_sample: Option<Vec<f64>>,
}

pub(crate) fn validate(p: &SampledProblem) -> Result<(), SolveError> {
    let k = p.stages.len();
    let n = p.n_samples;
    if n == 0 || p.allowed_violations >= n {
        return Err(SolveError::Samples {
            n_samples: n,
            allowed_violations: p.allowed_violations,
        });
    }
    if k == 0 || k > 64 {
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
        let bad = |v: &f64| !v.is_finite() || *v < 0.0;
        if t.latency_s.iter().any(bad) || t.cost_usd.iter().any(bad) {
            return Err(SolveError::Value(i));
        }
        if t.expected_cost_usd.iter().any(bad) {
            return Err(SolveError::Value(i));
        }
    }
    Ok(())
}

fn min_over_configs(p: &SampledProblem, i: usize, field: impl Fn(usize) -> f64) -> Vec<f64> {
    let n = p.n_samples;
    let t = &p.stages[i];
    let x = t.n_contexts() * t.configs.len();
    (0..n)
        .map(|s| {
            let mut m = f64::INFINITY;
            for c in 0..x {
                let v = field(c * n + s);
                if v < m {
                    m = v;
                }
            }
            m
        })
        .collect()
}

impl<'p> Prepared<'p> {
    /// Builds the tables; `per_sample_cost` enables per-sample cost bounds and dominance.
    pub(crate) fn new(p: &'p SampledProblem, per_sample_cost: bool) -> Self {
        let k = p.stages.len();
        let n = p.n_samples;
        let a = p.allowed_violations;
        let minl: Vec<Vec<f64>> = (0..k)
            .map(|i| min_over_configs(p, i, |x| p.stages[i].latency_s[x]))
            .collect();
        let mut head = vec![0.0; k * n];
        for &i in &p.topo {
            for &q in &p.parents[i] {
                for s in 0..n {
                    let v = head[q * n + s] + minl[q][s];
                    if v > head[i * n + s] {
                        head[i * n + s] = v;
                    }
                }
            }
        }
        let mut tail = vec![0.0; k * n];
        for &i in p.topo.iter().rev() {
            for &q in &p.parents[i] {
                for s in 0..n {
                    let v = minl[i][s] + tail[i * n + s];
                    if v > tail[q * n + s] {
                        tail[q * n + s] = v;
                    }
                }
            }
        }
        let mut base_lb = vec![0.0; n];
        for i in 0..k {
            for s in 0..n {
                let v = head[i * n + s] + minl[i][s] + tail[i * n + s];
                if v > base_lb[s] {
                    base_lb[s] = v;
                }
            }
        }
        let mut hard: Vec<u32> = (0..n as u32).collect();
        hard.sort_by(|&x, &y| {
            base_lb[y as usize]
                .total_cmp(&base_lb[x as usize])
                .then(x.cmp(&y))
        });
        let thr = (0..k).map(|i| thresholds(p, i, &head, &tail)).collect();
        let ctx_parent: Vec<bool> = (0..k)
            .map(|i| {
                p.stages
                    .iter()
                    .any(|t| t.context.as_ref().is_some_and(|c| c.parent == i))
            })
            .collect();
        let sorted = (0..k)
            .map(|i| {
                let dm = DMatters {
                    equal: ctx_parent[i],
                    shrink: p.concurrency_limit.is_some(),
                };
                (0..p.stages[i].n_contexts())
                    .map(|c| non_dominated(p, i, c, dm, per_sample_cost))
                    .collect()
            })
            .collect();
        let antichains = match p.concurrency_limit {
            Some(_) => maximal_antichains(&p.parents, &p.topo),
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
        let min_cost_sample = per_sample_cost.then(|| {
            (0..k)
                .flat_map(|i| min_over_configs(p, i, |x| p.stages[i].cost_usd[x]))
                .collect()
        });
        Prepared {
            p,
            k,
            n,
            a,
            tail,
            base_lb,
            hard,
            thr,
            sorted,
            antichains_of,
            min_d,
            min_cost_sample,
        }
    }
}

fn thresholds(p: &SampledProblem, i: usize, head: &[f64], tail: &[f64]) -> Vec<f64> {
    let n = p.n_samples;
    let t = &p.stages[i];
    let mut v = vec![0.0; n];
    let mut out = Vec::with_capacity(t.n_contexts() * t.configs.len());
    for c in 0..t.n_contexts() {
        for j in 0..t.configs.len() {
            let o = offset(p, i, c, j);
            for s in 0..n {
                v[s] = head[i * n + s] + t.latency_s[o + s] + tail[i * n + s];
            }
            let (_, x, _) = v.select_nth_unstable_by(n - 1 - p.allowed_violations, f64::total_cmp);
            out.push(*x);
        }
    }
    out
}

#[derive(Clone, Copy)]
struct DMatters {
    equal: bool,
    shrink: bool,
}

fn dominates(p: &SampledProblem, i: usize, c: usize, y: usize, x: usize, cost: bool) -> bool {
    let t = &p.stages[i];
    let n = p.n_samples;
    let (oy, ox) = (offset(p, i, c, y), offset(p, i, c, x));
    let ly = &t.latency_s[oy..oy + n];
    let lx = &t.latency_s[ox..ox + n];
    if ly.iter().zip(lx).any(|(a, b)| a > b) {
        return false;
    }
    !cost || {
        let cy = &t.cost_usd[oy..oy + n];
        let cx = &t.cost_usd[ox..ox + n];
        cy.iter().zip(cx).all(|(a, b)| a <= b)
    }
}

fn non_dominated(p: &SampledProblem, i: usize, c: usize, dm: DMatters, cost: bool) -> Vec<u32> {
    let t = &p.stages[i];
    let nc = t.configs.len();
    let ec = &t.expected_cost_usd[c * nc..(c + 1) * nc];
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
            d_ok && dominates(p, i, c, y as usize, x as usize, cost)
        });
        if !dominated {
            kept.push(x);
        }
    }
    kept
}
