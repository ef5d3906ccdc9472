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
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Grid cells per sample.
pub(crate) const CELLS: usize = 4096;
/// Samples of S given a table: the first of S (the hardest samples, then the ones
/// constraint generation found violated; they matter most).
pub(crate) const DP_SAMPLES: usize = 32;
/// Samples whose table work gates the building of the tables.
const GATE_SAMPLES: usize = 16;
/// Relative margin of the pruning test.
const MARGIN: f64 = 1e-9;
/// Margin, in cells, added to a budget before rounding it down.
const BUDGET_MARGIN: f64 = 1e-3;
/// Bytes of cached tables kept beyond the ones searches hold.
const CACHE_BYTES: usize = 64 << 20;
/// Finest grid scale (a span of `2^-MAX_SCALE` of the cheapest plan's latency).
const MAX_SCALE: u32 = 40;

/// One sample's table at one grid scale.
pub(crate) struct Table {
    /// Grid step.
    delta: f64,
    /// `g[(e − from) * (CELLS + 1) + b]`: least cost of the stages at levels `e..k`
    /// whose cell sum is at most `b`, rounded down to `f32`.
    g: Vec<f32>,
}

/// The bound's tables, shared by every search of a prepared problem (and thread):
/// one per (sample, grid scale), built on demand and cached.
#[derive(Default)]
pub(crate) struct ChainTables {
    /// The first level whose stages to the end form a path.
    from: usize,
    /// Least cost of the stages at levels `e..k` without a latency limit, `[e − from]`.
    free: Vec<f64>,
    /// Tables by (sample, scale).
    cache: Mutex<HashMap<(u32, u32), Arc<Table>>>,
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

/// The latency on sample `s` of the plan of every stage's cheapest row (levels
/// `from..k`): the span of the scale-0 grid.
fn full_span(prep: &Precomputed<'_>, from: usize, s: u32) -> f64 {
    let (p, n) = (prep.p, prep.n);
    let mut span = 0.0;
    for &i in &p.topo[from..] {
        let cost = &p.stages[i].expected_cost_usd;
        let cheapest = rows(prep, i).min_by(|&x, &y| cost[x].total_cmp(&cost[y]).then(x.cmp(&y)));
        span += cheapest.map_or(0.0, |r| {
            f64::from(p.stages[i].latency_s[r * n + s as usize])
        });
    }
    span
}

/// The largest `f32` not above `x`.
fn down(x: f64) -> f32 {
    #[allow(clippy::cast_possible_truncation)]
    let y = x as f32;
    if f64::from(y) > x { y.next_down() } else { y }
}

/// The table of sample `s` for the levels `from..=k` on a grid spanning `span`
/// (`None`: no usable grid).
fn table(prep: &Precomputed<'_>, from: usize, s: u32, span: f64) -> Option<Table> {
    let (p, k, n) = (prep.p, prep.k, prep.n);
    if !(span.is_finite() && span > 0.0) {
        return None;
    }
    let levels = k + 1 - from;
    let w = CELLS + 1;
    let lat = |i: usize, r: usize| f64::from(p.stages[i].latency_s[r * n + s as usize]);
    // One cell of room: at scale 0 the cheapest rows' cell sum stays below the top
    // cell, so the top cell holds the unconstrained least cost.
    let d = span * (1.0 + 1e-9) / (CELLS - 1) as f64;
    let mut cur = vec![0.0f64; w];
    let mut next = vec![0.0f64; w];
    let mut g = vec![0.0f32; levels * w];
    let mut cells: Vec<(usize, f64)> = Vec::new();
    for e in (from..k).rev() {
        let i = p.topo[e];
        let cost = &p.stages[i].expected_cost_usd;
        cells.clear();
        for r in rows(prep, i) {
            // Rounded down: never more cells than the true latency fills.
            let u = (lat(i, r) / d - 1e-6).floor().max(0.0);
            if u <= CELLS as f64 {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                cells.push((u as usize, cost[r]));
            }
        }
        // Only the rows no other row beats in both cells and cost change the minimum.
        cells.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
        let mut best = f64::INFINITY;
        cells.retain(|&(_, c)| {
            let keep = c < best;
            if keep {
                best = c;
            }
            keep
        });
        cur.fill(f64::INFINITY);
        for &(u, c) in &cells {
            for (x, &y) in cur[u..].iter_mut().zip(&next[..w - u]) {
                let v = c + y;
                if v < *x {
                    *x = v;
                }
            }
        }
        for (o, &x) in g[(e - from) * w..(e + 1 - from) * w].iter_mut().zip(&cur) {
            *o = down(x);
        }
        std::mem::swap(&mut cur, &mut next);
    }
    Some(Table { delta: d, g })
}

/// The grid scale for the latency limit `lat_max` on a sample whose scale-0 span is
/// `full`: the finest whose span `full · 2^-scale` still covers the limit (every
/// budget is at most the limit).
fn scale_for(full: f64, lat_max: f64) -> u32 {
    let mut sc = 0;
    let mut span = full;
    while sc < MAX_SCALE && span * 0.5 >= lat_max {
        span *= 0.5;
        sc += 1;
    }
    sc
}

impl ChainTables {
    /// The bound's structure; no tables yet. `from == k` when the path after the first
    /// level with a later stage has fewer than two stages (the other bounds see those).
    pub(crate) fn build(prep: &Precomputed<'_>) -> Self {
        let k = prep.k;
        let from = path_start(prep);
        if k < 3 || from + 2 > k {
            return ChainTables {
                from: k,
                ..ChainTables::default()
            };
        }
        let mut free = vec![0.0; k + 1 - from];
        for e in (from..k).rev() {
            let i = prep.p.topo[e];
            let cost = &prep.p.stages[i].expected_cost_usd;
            let least = rows(prep, i).map(|r| cost[r]).fold(f64::INFINITY, f64::min);
            free[e - from] = free[e + 1 - from] + least;
        }
        ChainTables {
            from,
            free,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The table of sample `s` at `scale` (scale-0 span `full`), from the cache or, when
    /// `build`, built.
    fn get(
        &self,
        prep: &Precomputed<'_>,
        s: u32,
        scale: u32,
        full: f64,
        build: bool,
    ) -> Option<Arc<Table>> {
        let key = (s, scale);
        if let Some(t) = self.cache.lock().ok()?.get(&key) {
            return Some(Arc::clone(t));
        }
        if !build {
            return None;
        }
        // Built outside the lock (another thread may build the same one: same result).
        let span = full * 0.5f64.powi(scale as i32);
        let t = Arc::new(table(prep, self.from, s, span)?);
        let mut cache = self.cache.lock().ok()?;
        let bytes = |t: &Table| t.g.len() * 4;
        let mut total: usize = cache.values().map(|t| bytes(t)).sum();
        if total + bytes(&t) > CACHE_BYTES {
            // Drop the tables no search holds.
            cache.retain(|_, v| {
                let keep = Arc::strong_count(v) > 1;
                if !keep {
                    total -= bytes(v);
                }
                keep
            });
        }
        Some(Arc::clone(cache.entry(key).or_insert(t)))
    }
}

/// Operations to build [`GATE_SAMPLES`] tables.
fn table_work(prep: &Precomputed<'_>) -> u64 {
    let from = path_start(prep);
    let rows: usize = prep.p.topo[from..]
        .iter()
        .map(|&i| prep.sorted[i].iter().map(Vec::len).sum::<usize>())
        .sum();
    (GATE_SAMPLES * rows * CELLS) as u64
}

/// A search's view of the tables: those of the first samples of S at the scales of
/// its current limit.
#[derive(Default)]
pub(crate) struct OwnTables {
    /// [`table_work`], once computed.
    work: Option<u64>,
    /// The limit the tables were fetched for.
    lat_max: f64,
    /// Whether missing tables were built then (not only looked up).
    complete: bool,
    /// Scale-0 spans of the samples of S with a table, by position in S.
    full: Vec<f64>,
    /// Tables by position in S (`None`: no usable grid on that sample).
    tabs: Vec<Option<Arc<Table>>>,
    /// Values of the per-sample bounds at the current node.
    vals: Vec<f64>,
}

impl Search<'_> {
    /// Whether the node that just assigned level `d` (plan cost `cost`) can be pruned:
    /// the least cost of its completions on the first samples of S exceeds the limit,
    /// or no completion fits on more than `a` of them.
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
        // Tables for the first samples of S at the current limit's scales; before the
        // search has earned them, only those already cached (a missing one bounds by
        // the unconstrained least cost).
        let build = spent >= work;
        let want = m.min(DP_SAMPLES);
        if own.lat_max.to_bits() != lat_max.to_bits()
            || own.tabs.len() != want
            || (build && !own.complete)
        {
            own.lat_max = lat_max;
            own.complete = build;
            own.tabs.clear();
            while own.full.len() < want {
                let s = self.tables.subset[own.full.len()];
                own.full.push(full_span(prep, dp.from, s));
            }
            for t in 0..want {
                let s = self.tables.subset[t];
                let full = own.full[t];
                own.tabs
                    .push(dp.get(prep, s, scale_for(full, lat_max), full, build));
            }
        }
        let ns = own.tabs.len();
        if ns <= a {
            return false;
        }
        let levels = k + 1 - dp.from;
        let w = CELLS + 1;
        let free = dp.free[e - dp.from];
        let p = prep.p;
        let first = p.topo[e];
        own.vals.clear();
        for (t, tab) in own.tabs.iter().enumerate() {
            let mut start = 0.0;
            for &q in &p.parents[first] {
                let f = self.stack.fin[q * m + t];
                if f > start {
                    start = f;
                }
            }
            let budget = lat_max - start;
            let x = if budget < 0.0 {
                f64::INFINITY
            } else if let Some(tab) = tab {
                let b = (budget / tab.delta + BUDGET_MARGIN).floor();
                if b >= CELLS as f64 {
                    // Beyond the grid: the unconstrained least cost.
                    free
                } else {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let b = b as usize;
                    debug_assert!(tab.g.len() == levels * w);
                    f64::from(tab.g[(e - dp.from) * w + b])
                }
            } else {
                free
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
        // At scale 0 the top cell is the unconstrained least cost; at every scale the
        // table at the latency sum of any combination of rows (one per stage) is at most
        // that combination's cost.
        let p = scaled(Topology::Chain, 6, 8, 20, 7);
        let prep = crate::solve::precomputed::Precomputed::new(&p, false);
        let t = super::ChainTables::build(&prep);
        assert_eq!(t.from, 0);
        let least = t.free[0];
        let rows: Vec<Vec<usize>> = (0..6).map(|i| super::rows(&prep, i).collect()).collect();
        let mut x: u64 = 12345;
        for s in 0..4u32 {
            let full = super::full_span(&prep, 0, s);
            let top = super::table(&prep, 0, s, full).unwrap().g[CELLS];
            assert!(
                (f64::from(top) - least).abs() <= least * 1e-6,
                "{top} vs {least}"
            );
            assert!(f64::from(top) <= least);
            for scale in 0..5 {
                let span = full * 0.5f64.powi(scale);
                let tab = super::table(&prep, 0, s, span).unwrap();
                for _ in 0..200 {
                    let (mut lat, mut cost) = (0.0, 0.0);
                    for (i, r) in rows.iter().enumerate() {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let row = r[(x >> 33) as usize % r.len()];
                        lat += f64::from(p.stages[i].latency_s[row * p.n_samples + s as usize]);
                        cost += p.stages[i].expected_cost_usd[row];
                    }
                    let b = (lat / tab.delta + super::BUDGET_MARGIN).floor();
                    if b < CELLS as f64 {
                        let g = f64::from(tab.g[b as usize]);
                        assert!(g <= cost, "scale {scale}: {g} > {cost}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_scale_covers_the_limit() {
        for (full, lim) in [
            (100.0, 100.0),
            (100.0, 60.0),
            (100.0, 50.0),
            (100.0, 1.0),
            (5.0, 9.0),
        ] {
            let sc = super::scale_for(full, lim);
            let span = full * 0.5f64.powi(sc as i32);
            assert!(span >= lim || sc == 0, "{full} {lim}");
            assert!(span * 0.5 < lim || sc == super::MAX_SCALE);
        }
    }
}
