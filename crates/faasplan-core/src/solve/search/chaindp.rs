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

/// Operations to build [`SHARED_SAMPLES`] tables (the same for a search's own ones).
fn table_work(prep: &Precomputed<'_>) -> u64 {
    let from = path_start(prep);
    let rows: usize = prep.p.topo[from..]
        .iter()
        .map(|&i| prep.sorted[i].iter().map(Vec::len).sum::<usize>())
        .sum();
    (SHARED_SAMPLES * rows * CELLS) as u64
}

/// Tables of a search's own later samples of S (positions `SHARED_SAMPLES..`).
#[derive(Default)]
pub(crate) struct OwnTables {
    /// [`table_work`], once computed.
    work: Option<u64>,
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
        let own = &mut self.cdp;
        // Tables pay off only in long searches: build them once the search has spent
        // about a quarter of their work (≈ `k · |S|` operations per node).
        let work = *own.work.get_or_insert_with(|| table_work(prep));
        let spent = if cfg!(test) {
            // The unit tests' searches are short: they check the bound from the first node.
            u64::MAX
        } else {
            self.nodes.saturating_mul((k * m) as u64).saturating_mul(4)
        };
        let dp = match prep.chain_dp.get() {
            Some(dp) => dp,
            None if spent >= work => prep.chain_dp.get_or_init(|| ChainTables::build(prep)),
            None => return false,
        };
        let e = d + 1;
        if e < dp.from || e + 1 > k {
            return false;
        }
        let levels = k + 1 - dp.from;
        let w = CELLS + 1;
        // Tables for the later samples of S, once each.
        let want = if spent >= work {
            m.min(DP_SAMPLES).saturating_sub(dp.ns)
        } else {
            0
        };
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
    use super::super::lagrange::tests::{brute, coarse, values};
    use super::CELLS;
    use crate::problem::SampledProblem;
    use crate::settings::Bound;
    use crate::solve::frontier::{FrontierSettings, frontier};
    use crate::solve::synthetic::{Small, Topology, scaled, small};
    use crate::solve::{SolveSettings, solve};
    use std::cell::Cell;

    thread_local! {
        /// Switches the path-budget and fan-in bounds off in this thread (to compare
        /// with the search without them).
        pub(crate) static OFF: Cell<bool> = const { Cell::new(false) };
    }

    fn without<T>(f: impl FnOnce() -> T) -> T {
        OFF.with(|c| c.set(true));
        let out = f();
        OFF.with(|c| c.set(false));
        out
    }

    /// Single latency-bounded solves at and just below every brute-force frontier
    /// latency: status, plan, latency and cost as without the bounds.
    fn single_solves(p: &SampledProblem, lats: &[f64]) {
        for &l in lats {
            for max_s in [l, crate::solve::below(l), l * 1.001] {
                let s = SolveSettings {
                    bound: Bound::Latency { max_s },
                    max_nodes: None,
                };
                let with = solve(p, s.clone()).unwrap();
                let off = without(|| solve(p, s).unwrap());
                assert_eq!(with.status, off.status, "bound {max_s}");
                assert_eq!(with.plan, off.plan, "bound {max_s}");
                assert_eq!(
                    with.expected_cost_usd.to_bits(),
                    off.expected_cost_usd.to_bits()
                );
            }
        }
    }

    fn check(p: &SampledProblem) {
        let want = brute(p);
        let with = frontier(p, FrontierSettings::default()).unwrap();
        let off = without(|| frontier(p, FrontierSettings::default()).unwrap());
        assert_eq!(with, off, "points and plans as without the bounds");
        assert_eq!(values(&with), want);
        for step in [0.5, 3.0] {
            let s = FrontierSettings { min_step_s: step };
            let with = frontier(p, s.clone()).unwrap();
            let off = without(|| frontier(p, s).unwrap());
            assert_eq!(with, off);
        }
        let lats: Vec<f64> = want.iter().map(|x| x.0).step_by(3).collect();
        single_solves(p, &lats);
    }

    #[test]
    fn chains_and_fan_outs_equal_brute_force_and_the_search_without_the_bounds() {
        for seed in 1..4 {
            for topology in [Topology::Chain, Topology::FanOut] {
                // 6 stages × 4 configurations: 4,096 plans.
                let p = scaled(topology, 6, 4, 40, seed);
                check(&p);
                check(&coarse(p, 2.0));
                // Instance counts (2 memory sizes × d ∈ {1, 2, 4, 8}): 5 × 8 = 32,768 plans.
                let p = scaled(topology, 5, 8, 30, seed);
                check(&coarse(p, 1.0));
                // With allowed violations (the path-budget bound's order statistic).
                for a in [1, 3] {
                    let mut p = scaled(topology, 6, 4, 30, seed);
                    p.allowed_violations = a;
                    check(&p);
                    check(&coarse(p, 2.0));
                }
            }
        }
    }

    #[test]
    fn small_random_dags_match_the_search_without_the_bounds() {
        for seed in 0..300 {
            let o = Small {
                stages: 3 + (seed as usize % 3),
                max_configs: 6,
                samples: 5 + (seed as usize % 30),
                allowed_violations: (seed % 3) as usize,
                concurrency_limit: (seed % 4 == 0).then_some(4),
                ties: seed % 2 == 0,
            };
            let p = small(o, seed);
            let with = frontier(&p, FrontierSettings::default()).unwrap();
            let off = without(|| frontier(&p, FrontierSettings::default()).unwrap());
            assert_eq!(with, off, "seed {seed}");
            assert_eq!(values(&with), brute(&p), "seed {seed}");
            let lats: Vec<f64> = values(&with).iter().map(|x| x.0).collect();
            single_solves(&p, &lats);
        }
    }

    #[test]
    fn the_grid_never_overstates_a_plan_cost() {
        // The table at the top cell is the unconstrained least cost, and every table
        // value at a plan's own budget is at most that plan's cost.
        let p = scaled(Topology::Chain, 6, 8, 20, 7);
        let prep = crate::solve::precomputed::Precomputed::new(&p, false);
        let t = super::ChainTables::build(&prep);
        assert_eq!(t.from, 0);
        let w = CELLS + 1;
        let least: f64 = (0..6)
            .map(|i| {
                p.stages[i]
                    .expected_cost_usd
                    .iter()
                    .copied()
                    .fold(f64::INFINITY, f64::min)
            })
            .sum();
        for s in 0..t.ns {
            let top = t.g[s * 7 * w + CELLS];
            assert!((top - least).abs() <= least * 1e-12, "{top} vs {least}");
        }
    }
}
