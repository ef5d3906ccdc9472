//! The Lagrangian cost bound (latency-bounded, `a = 0`): the later stages share one
//! latency budget.
//!
//! The other cost bounds give every later stage its cheapest configuration that can
//! meet the limit *on its own*, as if each could use the whole remaining slack. On a
//! long chain that is weak: sixteen stages cannot all take the slack at once, and the
//! search enumerated millions of partial plans per frontier point.
//!
//! With `a = 0`, a plan meets the limit `B` on S only if every source-to-sink path `p`
//! has `Σ_{i ∈ p} l_i(s) ≤ L(s) ≤ B` on every sample `s` of S. For multipliers
//! `λ_{p,s} ≥ 0` and stage weights `v_i(s) = Σ_{p ∋ i} λ_{p,s}`, every such plan has
//!
//! `cost = Σ_i c_i ≥ Σ_i c_i + Σ_{p,s} λ_{p,s} (Σ_{i∈p} l_i(s) − B) = Σ_i c'_i − B Σ λ`,
//!
//! with the modified cost `c'_i = c_i + Σ_s v_i(s) l_i(s)` of the configuration chosen
//! for stage `i`. The right side separates by stage, so at a node it is at least the
//! assigned stages' `c'` plus, per later stage, the least `c'` among its candidates,
//! minus `B Σ λ` — one addition per node (`Search::advance`). A node above the cost
//! limit by more than a relative 1e-9 of the terms' magnitude (far above the rounding
//! of the dot products and sums, and of the checker's own latency sums that make
//! `Σ_{i∈p} l_i(s)` exceed the computed `L(s)` by a few ulps) is pruned. Every plan it
//! removes costs more than the limit, so the search accepts the same incumbents in the
//! same order: the answers (values and plans) are those of the search without it.
//!
//! Any `λ ≥ 0` gives a valid bound; good ones come from a projected subgradient ascent
//! on the dual (Polyak steps towards the incumbent's cost), run when the limit, S or
//! the incumbent change, warm-started from the previous multipliers (a frontier sweep
//! moves the limit a little at a time). Paths are enumerated once (at most
//! [`MAX_PATHS`]; any subset of the paths still gives a valid bound).

use super::{Goal, Search};

/// Most source-to-sink paths given multipliers.
pub(crate) const MAX_PATHS: usize = 64;
/// Relative margin of the pruning test (see the module docs).
const MARGIN: f64 = 1e-9;
/// Ascent iterations from zero multipliers and from warm ones.
const COLD_ITERS: usize = 60;
const WARM_ITERS: usize = 16;

/// The bound's state, kept across searches of a sweep.
#[derive(Default)]
pub(crate) struct Lagrange {
    /// Source-to-sink paths (stage lists).
    paths: Vec<Vec<usize>>,
    /// Multipliers, `[path * m + t]` on S.
    lambda: Vec<f64>,
    /// `|S|` the multipliers are laid out for.
    m: usize,
    /// The multipliers are all zero (a cold start).
    cold: bool,
    /// Modified cost of every row (`ctx * nc + cfg`) of every stage.
    pub(super) cost: Vec<Vec<f64>>,
    /// Least modified cost of the candidates of the stages from level `d` on.
    pub(super) rem: Vec<f64>,
    /// `B Σ λ`.
    pub(super) k0: f64,
    /// Absolute pruning margin.
    pub(super) margin: f64,
    /// The bound applies (latency-bounded cost search, `a = 0`, finite limits).
    pub(super) active: bool,
    /// The limit, S or the incumbent changed since the multipliers were chosen.
    pub(super) dirty: bool,
    /// Node count at which a refresh put off as too dear for the search so far is due
    /// (`u64::MAX`: none).
    pub(super) wake: u64,
}

/// Source-to-sink paths of the DAG, at most [`MAX_PATHS`], in a deterministic order.
pub(crate) fn paths(parents: &[Vec<usize>], topo: &[usize]) -> Vec<Vec<usize>> {
    let k = parents.len();
    let mut children = vec![Vec::new(); k];
    for &i in topo {
        for &q in &parents[i] {
            children[q].push(i);
        }
    }
    let mut out = Vec::new();
    let mut path = Vec::new();
    for &s in topo.iter().filter(|&&i| parents[i].is_empty()) {
        walk(s, &children, &mut path, &mut out);
    }
    out
}

fn walk(i: usize, children: &[Vec<usize>], path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    if out.len() >= MAX_PATHS {
        return;
    }
    path.push(i);
    if children[i].is_empty() {
        out.push(path.clone());
    } else {
        for &c in &children[i] {
            walk(c, children, path, out);
        }
    }
    path.pop();
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

impl Lagrange {
    pub(crate) fn new(parents: &[Vec<usize>], topo: &[usize]) -> Self {
        Lagrange {
            paths: paths(parents, topo),
            cold: true,
            dirty: true,
            wake: u64::MAX,
            ..Lagrange::default()
        }
    }
}

impl Search<'_> {
    /// Chooses multipliers for the current limits, S and candidates, and rebuilds the
    /// modified costs and the stack's sums of them.
    pub(super) fn refresh_lagrange(&mut self) {
        let lag = &mut self.lag;
        lag.dirty = false;
        lag.wake = u64::MAX;
        if switched_off() {
            lag.active = false;
            return;
        }
        let (b, ub) = (self.lim.lat_max, self.lim.mean_max);
        lag.active = false;
        if self.goal != Goal::Cost
            || self.prep.a != 0
            || !b.is_finite()
            || !ub.is_finite()
            || lag.paths.is_empty()
        {
            return;
        }
        let p = self.prep.p;
        let (k, m) = (self.prep.k, self.tables.m);
        if m == 0 {
            return;
        }
        // Re-lay the multipliers out for the current |S| (S only grows; positions stay).
        if lag.m != m {
            let np = lag.paths.len();
            let mut l = vec![0.0; np * m];
            for pi in 0..np {
                for t in 0..lag.m.min(m) {
                    l[pi * m + t] = lag.lambda[pi * lag.m + t];
                }
            }
            lag.lambda = l;
            lag.m = m;
        }
        let cands = &self.tables.cands;
        if (0..k).any(|i| cands[i].iter().all(|l| l.is_empty())) {
            return;
        }
        // The ascent pays off only in long searches: it runs once the search has spent
        // about a quarter of its work in nodes (≈ `k · |S|` operations each), so short
        // solves with several rounds of constraint generation do not pay for it per round.
        let iters = if lag.cold { COLD_ITERS } else { WARM_ITERS };
        if !cfg!(test) {
            let rows: usize = cands.iter().flatten().map(Vec::len).sum();
            let work = (iters * rows) as u64;
            let due = work.div_ceil(4 * k as u64);
            if self.nodes < due {
                lag.wake = due;
                return;
            }
        }
        let np = lag.paths.len();
        let lat_t = &self.tables.lat_t;
        let mut v = vec![0.0; k * m];
        let weights = |lambda: &[f64], v: &mut [f64]| {
            v.fill(0.0);
            for (pi, path) in lag.paths.iter().enumerate() {
                let lp = &lambda[pi * m..(pi + 1) * m];
                for &i in path {
                    for (x, &y) in v[i * m..(i + 1) * m].iter_mut().zip(lp) {
                        *x += y;
                    }
                }
            }
        };
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let mut lambda = lag.lambda.clone();
        let mut best = (f64::NEG_INFINITY, lambda.clone());
        let mut arg = vec![0usize; k];
        let mut sg = vec![0.0; np * m];
        let mut theta = 1.0;
        let mut stall = 0;
        for _ in 0..iters {
            weights(&lambda, &mut v);
            let mut g = -b * lambda.iter().sum::<f64>();
            for (i, (t, at)) in p.stages.iter().zip(arg.iter_mut()).enumerate() {
                let nc = t.configs.len();
                let vi = &v[i * m..(i + 1) * m];
                let mut lo = (f64::INFINITY, 0);
                for (c, list) in cands[i].iter().enumerate() {
                    for &j in list {
                        let r = c * nc + j as usize;
                        let x = t.expected_cost_usd[r] + dot(vi, &lat_t[i][r * m..(r + 1) * m]);
                        if x < lo.0 {
                            lo = (x, r);
                        }
                    }
                }
                g += lo.0;
                *at = lo.1;
            }
            if g > best.0 {
                best = (g, lambda.clone());
                stall = 0;
            } else {
                stall += 1;
                if stall >= 3 {
                    theta /= 2.0;
                    stall = 0;
                }
            }
            if g >= ub {
                break;
            }
            // Projected subgradient: the path sums of the relaxation's plan minus B.
            let mut norm = 0.0;
            for (pi, path) in lag.paths.iter().enumerate() {
                for t in 0..m {
                    let mut s = -b;
                    for &i in path {
                        s += lat_t[i][arg[i] * m + t];
                    }
                    if lambda[pi * m + t] <= 0.0 && s < 0.0 {
                        s = 0.0;
                    }
                    sg[pi * m + t] = s;
                    norm += s * s;
                }
            }
            if norm == 0.0 || !norm.is_finite() {
                break;
            }
            let step = theta * (ub - best.0.max(g)).max(ub.abs() * 1e-6) / norm;
            for (l, &s) in lambda.iter_mut().zip(&sg) {
                *l = (*l + step * s).max(0.0);
            }
        }
        let lambda = best.1;
        if lambda.iter().all(|&x| x == 0.0) || lambda.iter().any(|x| !x.is_finite()) {
            lag.lambda.fill(0.0);
            lag.cold = true;
            return;
        }
        weights(&lambda, &mut v);
        let sum: f64 = lambda.iter().sum();
        lag.k0 = b * sum;
        lag.cost = (0..k)
            .map(|i| {
                let t = &p.stages[i];
                let rows = t.n_contexts() * t.configs.len();
                let vi = &v[i * m..(i + 1) * m];
                (0..rows)
                    .map(|r| t.expected_cost_usd[r] + dot(vi, &lat_t[i][r * m..(r + 1) * m]))
                    .collect()
            })
            .collect();
        lag.rem = vec![0.0; k + 1];
        let mut mag = lag.k0.abs();
        for d in (0..k).rev() {
            let i = p.topo[d];
            let nc = p.stages[i].configs.len();
            let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
            for (c, list) in cands[i].iter().enumerate() {
                for &j in list {
                    let x = lag.cost[i][c * nc + j as usize];
                    lo = lo.min(x);
                    hi = hi.max(x.abs());
                }
            }
            lag.rem[d] = lag.rem[d + 1] + lo;
            mag += hi;
        }
        lag.margin = MARGIN * mag;
        lag.lambda = lambda;
        lag.cold = false;
        lag.active = true;
        // The stack's sums of modified costs for the levels assigned so far.
        let depth = self.stack.depth.min(k);
        self.stack.lpart[0] = 0.0;
        for d in 0..depth {
            let i = p.topo[d];
            let c = self.stack.ctx[i];
            let nc = p.stages[i].configs.len();
            let x = if c == usize::MAX {
                f64::INFINITY
            } else {
                self.lag.cost[i][c * nc + self.stack.choice[i] as usize]
            };
            self.stack.lpart[d + 1] = self.stack.lpart[d] + x;
        }
    }

    /// Whether every completion of the node that adds configuration `j` (table row
    /// `row`) of the stage at level `d` costs more than the limit; on false, the
    /// node's sum of modified costs is stored for level `d + 1`.
    pub(super) fn lagrange_prunes(&mut self, d: usize, i: usize, row: usize) -> bool {
        if !self.lag.active {
            return false;
        }
        let x = self.stack.lpart[d] + self.lag.cost[i][row];
        if x + self.lag.rem[d + 1] - self.lag.k0 > self.lim.mean_max + self.lag.margin {
            return true;
        }
        self.stack.lpart[d + 1] = x;
        false
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::problem::SampledProblem;
    use crate::solve::frontier::{Frontier, FrontierSettings, frontier};
    use crate::solve::synthetic::{Small, Topology, scaled, small};
    use crate::solve::{Plan, concurrency_ok, evaluate};
    use std::cell::Cell;

    thread_local! {
        /// Switches the bound off in this thread (to compare with the search without it).
        pub(crate) static OFF: Cell<bool> = const { Cell::new(false) };
    }

    fn without_bound<T>(f: impl FnOnce() -> T) -> T {
        OFF.with(|c| c.set(true));
        let out = f();
        OFF.with(|c| c.set(false));
        out
    }

    /// The non-dominated (latency, cost) values over every plan, by ascending latency.
    pub(crate) fn brute(p: &SampledProblem) -> Vec<(f64, f64)> {
        let k = p.stages.len();
        let mut choice = vec![0u32; k];
        let mut all = Vec::new();
        loop {
            if let Ok(e) = evaluate(
                p,
                &Plan {
                    choice: choice.clone(),
                },
            ) && concurrency_ok(p, &choice)
            {
                all.push((e.guaranteed_latency_s, e.expected_cost_usd));
            }
            let mut i = 0;
            while i < k {
                choice[i] += 1;
                if (choice[i] as usize) < p.stages[i].configs.len() {
                    break;
                }
                choice[i] = 0;
                i += 1;
            }
            if i == k {
                break;
            }
        }
        all.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
        let mut out: Vec<(f64, f64)> = Vec::new();
        for (l, c) in all {
            if out.last().is_none_or(|&(_, lc)| c < lc) {
                out.push((l, c));
            }
        }
        out
    }

    pub(crate) fn values(f: &Frontier) -> Vec<(f64, f64)> {
        f.points
            .iter()
            .map(|x| (x.guaranteed_latency_s, x.expected_cost_usd))
            .collect()
    }

    /// Latencies and costs rounded to a coarse grid, so that plans tie.
    pub(crate) fn coarse(mut p: SampledProblem, step: f64) -> SampledProblem {
        for t in &mut p.stages {
            for x in &mut t.latency_s {
                *x = ((f64::from(*x) / step).round().max(1.0) * step) as crate::problem::Sample;
            }
            for x in &mut t.expected_cost_usd {
                *x = (*x * 1e6).round() / 1e6;
            }
        }
        p
    }

    fn check(p: &SampledProblem) {
        let with = frontier(p, FrontierSettings::default()).unwrap();
        let off = without_bound(|| frontier(p, FrontierSettings::default()).unwrap());
        assert_eq!(with, off, "points and plans as without the bound");
        assert_eq!(values(&with), brute(p));
        for step in [0.5, 3.0] {
            let s = FrontierSettings { min_step_s: step };
            let with = frontier(p, s.clone()).unwrap();
            let off = without_bound(|| frontier(p, s).unwrap());
            assert_eq!(with, off);
        }
    }

    #[test]
    fn frontiers_of_chains_and_fan_outs_equal_brute_force_and_the_search_without_the_bound() {
        for seed in 1..4 {
            for topology in [Topology::Chain, Topology::FanOut] {
                // 6 stages × 4 configurations: 4,096 plans.
                let p = scaled(topology, 6, 4, 40, seed);
                check(&p);
                check(&coarse(p, 2.0));
                // Instance counts (2 memory sizes × d ∈ {1, 2, 4, 8}): 5 × 8 = 32,768 plans.
                let p = scaled(topology, 5, 8, 30, seed);
                check(&coarse(p, 1.0));
            }
        }
    }

    #[test]
    fn small_random_dags_at_a_zero_match_the_search_without_the_bound() {
        for seed in 0..300 {
            let o = Small {
                stages: 2 + (seed as usize % 4),
                max_configs: 6,
                samples: 5 + (seed as usize % 30),
                allowed_violations: 0,
                concurrency_limit: (seed % 3 == 0).then_some(4),
                ties: seed % 2 == 0,
            };
            let p = small(o, seed);
            let with = frontier(&p, FrontierSettings::default()).unwrap();
            let off = without_bound(|| frontier(&p, FrontierSettings::default()).unwrap());
            assert_eq!(with, off, "seed {seed}");
            assert_eq!(values(&with), brute(&p), "seed {seed}");
        }
    }

    #[test]
    fn paths_of_a_diamond_and_a_chain() {
        let diamond = vec![vec![], vec![0], vec![0], vec![1, 2]];
        assert_eq!(
            paths(&diamond, &[0, 1, 2, 3]),
            vec![vec![0, 1, 3], vec![0, 2, 3]]
        );
        let chain = vec![vec![], vec![0], vec![1]];
        assert_eq!(paths(&chain, &[0, 1, 2]), vec![vec![0, 1, 2]]);
        // Two sources and a shortcut edge.
        let two = vec![vec![], vec![], vec![0, 1], vec![0, 2]];
        assert_eq!(
            paths(&two, &[0, 1, 2, 3]),
            vec![vec![0, 2, 3], vec![0, 3], vec![1, 2, 3]]
        );
    }

    #[test]
    fn paths_are_capped() {
        // A ladder of 10 diamonds has 2^10 paths.
        let mut parents = vec![vec![]];
        for r in 0..10 {
            let top = 3 * r;
            parents.push(vec![top]);
            parents.push(vec![top]);
            parents.push(vec![top + 1, top + 2]);
        }
        let topo: Vec<usize> = (0..parents.len()).collect();
        assert_eq!(paths(&parents, &topo).len(), MAX_PATHS);
    }
}
