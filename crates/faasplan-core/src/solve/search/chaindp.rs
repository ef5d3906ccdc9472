//! The path-budget cost bound: the later stages of a chain share one latency budget
//! per sample, solved exactly by a dynamic programme over a latency grid.
//!
//! When the stages after level `d` in topological order form a path (each one a child
//! of the one before it), every completion of a node meets the limit `B` on sample `t`
//! only if `start(t) + Σ_{j > d} l_j(t) ≤ L(t) ≤ B`, with `start(t)` the latest finish
//! of the first later stage's (assigned) parents. So it costs at least
//! `G_{d+1,t}(B − start(t))`, the least cost of the later stages whose latencies on `t`
//! sum to at most that budget. With `a` allowed violations, of any `a + 1` samples at
//! least one is met, so the `(a + 1)`-th largest of these per-sample bounds is a bound.
//!
//! `G` does not depend on the limit or the incumbent: it is computed once per sample
//! (the first [`DP_SAMPLES`] samples of S, the hardest ones) and serves every bound of a
//! frontier sweep. It is a knapsack over an integer grid: latency `l` counts
//! `⌊l / δ_t⌋` cells (rounded down, so a plan's cell sum never exceeds its true sum
//! over `δ_t`) and a budget `x` allows `⌊x / δ_t⌋` cells (rounded up by a margin far
//! above the rounding of the checker's latency sums), so the programme is a relaxation:
//! `G` never exceeds the true least cost. `δ_t` is the latency on `t` of the plan of
//! each stage's cheapest configuration over [`CELLS`], so at the top cell `G` is the
//! unconstrained least cost and larger budgets are clamped there. Tables hold `f32`
//! values rounded down. The rows are every non-dominated configuration of every context
//! (a superset of any candidate list, so the bound holds for every limit).
//!
//! A node is pruned when its cost plus the bound exceeds the cost limit by more than a
//! relative 1e-9 (far above the rounding of the sums), or when the bound is infinite
//! (no completion fits on `a + 1` samples: infeasible on S). Every plan it removes is
//! either infeasible on S or dearer than the limit, so the search accepts the same
//! incumbents in the same order: answers (values and plans) are unchanged.

use super::{Goal, Search};
use crate::solve::precomputed::Precomputed;

/// Grid cells per sample.
pub(crate) const CELLS: usize = 4096;
/// Samples whose tables are shared by every search of a prepared problem: the first of
/// the hardest-first order, which are the first samples of every search's S.
pub(crate) const SHARED_SAMPLES: usize = 16;
/// Samples of S given a table (the later ones, joined by constraint generation: the
/// samples the search's plans violated, per search).
pub(crate) const DP_SAMPLES: usize = 32;
/// Relative margin of the pruning test.
const MARGIN: f64 = 1e-9;
/// Margin, in cells, added to a budget before rounding it down.
const BUDGET_MARGIN: f64 = 1e-3;

/// The bound's tables, built once per prepared problem and shared by every search.
#[derive(Default)]
pub(crate) struct ChainTables {
    /// The first level whose stages to the end form a path.
    from: usize,
    /// Number of samples with a table (positions `0..ns` of S, `hard[0..ns]`).
    ns: usize,
    /// Grid step per sample.
    delta: Vec<f64>,
    /// `g[(t * levels + (e − from)) * (CELLS + 1) + b]`: least cost of the stages at
    /// levels `e..k` whose cell sum on sample `t` is at most `b`.
    g: Vec<f64>,
}

/// The first level from which the stages form a path in topological order.
fn path_start(prep: &Precomputed<'_>) -> usize {
    let (p, k) = (prep.p, prep.k);
    let mut e = k.saturating_sub(1);
    while e > 0 && p.parents[p.topo[e]].contains(&p.topo[e - 1]) {
        e -= 1;
    }
    e
}

/// Whether the bound is switched off (only the unit tests switch it off, to compare).
#[cfg(test)]
fn switched_off() -> bool {
    tests::OFF.with(std::cell::Cell::get)
}

#[cfg(not(test))]
fn switched_off() -> bool {
    false
}

/// Every non-dominated row of every context of stage `i`.
fn rows<'a>(prep: &'a Precomputed<'_>, i: usize) -> impl Iterator<Item = usize> + 'a {
    let nc = prep.p.stages[i].configs.len();
    prep.sorted[i]
        .iter()
        .enumerate()
        .flat_map(move |(c, l)| l.iter().map(move |&j| c * nc + j as usize))
}

/// The table of sample `s` for the levels `from..=k`: its grid step and
/// `G[(e − from) * (CELLS + 1) + b]`.
fn table(prep: &Precomputed<'_>, from: usize, s: u32, g: &mut Vec<f64>) -> f64 {
    let (p, k, n) = (prep.p, prep.k, prep.n);
    let levels = k + 1 - from;
    let w = CELLS + 1;
    g.clear();
    g.resize(levels * w, 0.0);
    let lat = |i: usize, r: usize| f64::from(p.stages[i].latency_s[r * n + s as usize]);
    // The grid spans the latency of each stage's cheapest row.
    let mut span = 0.0;
    for &i in &p.topo[from..] {
        let cost = &p.stages[i].expected_cost_usd;
        let cheapest = rows(prep, i).min_by(|&x, &y| cost[x].total_cmp(&cost[y]).then(x.cmp(&y)));
        span += cheapest.map_or(0.0, |r| lat(i, r));
    }
    if !(span.is_finite() && span > 0.0) {
        // No usable grid: a table of zeros bounds nothing.
        return f64::INFINITY;
    }
    // One cell of room: the cheapest rows' cell sum stays below the top cell, so the
    // top cell holds the unconstrained least cost and larger budgets are clamped to it.
    let d = span * (1.0 + 1e-9) / (CELLS - 1) as f64;
    let mut cells: Vec<(usize, f64)> = Vec::new();
    for e in (from..k).rev() {
        let i = p.topo[e];
        let cost = &p.stages[i].expected_cost_usd;
        cells.clear();
        for r in rows(prep, i) {
            // Rounded down: never more cells than the true latency fills.
            let u = (lat(i, r) / d - 1e-6).floor().max(0.0);
            if u <= CELLS as f64 {
                cells.push((u as usize, cost[r]));
            }
        }
        let (lo, hi) = g.split_at_mut((e + 1 - from) * w);
        let next = &hi[..w];
        let cur = &mut lo[(e - from) * w..];
        cur.fill(f64::INFINITY);
        for &(u, c) in &cells {
            for (x, &y) in cur[u..].iter_mut().zip(&next[..w - u]) {
                let v = c + y;
                if v < *x {
                    *x = v;
                }
            }
        }
    }
    d
}

impl ChainTables {
    /// The tables for the hardest samples; empty when the path after the first level
    /// with a later stage has fewer than two stages (the other bounds see those).
    pub(crate) fn build(prep: &Precomputed<'_>) -> Self {
        let k = prep.k;
        let from = path_start(prep);
        if k < 3 || from + 2 > k {
            return ChainTables {
                from: k,
                ..ChainTables::default()
            };
        }
        let ns = prep.hard.len().min(SHARED_SAMPLES);
        let mut g = Vec::new();
        let mut one = Vec::new();
        let mut delta = Vec::with_capacity(ns);
        for &s in &prep.hard[..ns] {
            delta.push(table(prep, from, s, &mut one));
            g.extend_from_slice(&one);
        }
        ChainTables { from, ns, delta, g }
    }
}

/// Tables of a search's own later samples of S (positions `SHARED_SAMPLES..`).
#[derive(Default)]
pub(crate) struct OwnTables {
    delta: Vec<f64>,
    g: Vec<f64>,
    /// Values of the per-sample bounds at the current node.
    vals: Vec<f64>,
}

impl Search<'_> {
    /// Whether the node that just assigned level `d` (plan cost `cost`) can be pruned:
    /// the least cost of its completions on the hardest samples exceeds the limit, or
    /// no completion fits on more than `a` of them.
    pub(super) fn chain_dp_prunes(&mut self, d: usize, cost: f64) -> bool {
        let lat_max = self.lim.lat_max;
        if self.goal != Goal::Cost || !lat_max.is_finite() || switched_off() {
            return false;
        }
        let prep = &*self.prep;
        let (k, a, m) = (prep.k, prep.a, self.tables.m);
        let dp = prep.chain_dp.get_or_init(|| ChainTables::build(prep));
        let e = d + 1;
        if e < dp.from || e + 1 > k {
            return false;
        }
        let levels = k + 1 - dp.from;
        let w = CELLS + 1;
        let own = &mut self.cdp;
        // Tables for the later samples of S, once each.
        let want = m.min(DP_SAMPLES).saturating_sub(dp.ns);
        if own.delta.len() < want {
            let mut one = Vec::new();
            for t in dp.ns + own.delta.len()..dp.ns + want {
                own.delta
                    .push(table(prep, dp.from, self.tables.subset[t], &mut one));
                own.g.extend_from_slice(&one);
            }
        }
        let ns = dp.ns.min(m) + own.delta.len();
        if ns <= a {
            return false;
        }
        let p = prep.p;
        let first = p.topo[e];
        own.vals.clear();
        for t in 0..ns {
            let mut start = 0.0;
            for &q in &p.parents[first] {
                let f = self.stack.fin[q * m + t];
                if f > start {
                    start = f;
                }
            }
            let budget = lat_max - start;
            let (delta, g) = if t < dp.ns {
                (dp.delta[t], &dp.g[t * levels * w..(t + 1) * levels * w])
            } else {
                let u = t - dp.ns;
                (own.delta[u], &own.g[u * levels * w..(u + 1) * levels * w])
            };
            let x = if budget < 0.0 {
                f64::INFINITY
            } else {
                let b = (budget / delta + BUDGET_MARGIN).floor();
                let b = if b >= CELLS as f64 { CELLS } else { b as usize };
                g[(e - dp.from) * w + b]
            };
            own.vals.push(x);
        }
        // The (a + 1)-th largest.
        let idx = own.vals.len() - 1 - a;
        let (_, g, _) = own.vals.select_nth_unstable_by(idx, f64::total_cmp);
        let g = *g;
        if g == f64::INFINITY {
            return true;
        }
        let lim = self.lim.mean_max;
        lim.is_finite() && cost + g > lim + lim.abs() * MARGIN
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;

    thread_local! {
        /// Switches the bound off in this thread (to compare with the search without it).
        pub(crate) static OFF: Cell<bool> = const { Cell::new(false) };
    }
}
