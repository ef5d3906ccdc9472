//! The advisor's deterministic surrogate of the workflow problem: every stage
//! has a few options, each with one latency and one cost; a plan picks one
//! option per stage, its latency is the longest source-to-sink path of the
//! stage latencies and its cost their sum. [`Surrogate::solve`] finds the
//! cheapest plan whose latency is at most the bound, exactly, by depth-first
//! branch and bound in topological order (options cheapest first; a branch is
//! cut when its cost plus the cheapest option of every later stage cannot beat
//! the best plan, or when its latency with the fastest option of every later
//! stage exceeds the bound).
//!
//! A single-instance stage whose input is split by a parallel parent
//! (`Dag::input_parent`) was measured at the parent's d: its option's `d` is
//! that partition count, and a plan only pairs it with the parent's option of
//! the same `d`. An option with `d = 0` matches any (the advisor's stand-in
//! for a stage whose latency is given).

use crate::dag::{Config, Dag};
use crate::platform::Platform;

/// One option of a stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    /// The configuration.
    pub config: Config,
    /// Stage latency, s.
    pub latency_s: f64,
    /// Stage cost, USD per workflow run.
    pub cost_usd: f64,
}

/// The cost of a stage run, USD: `d` instances, each billed `billed_s` at its memory, plus the requests.
pub fn stage_cost_usd(platform: &Platform, config: Config, billed_s: f64) -> f64 {
    let gb = f64::from(config.memory_mb) / 1024.0;
    f64::from(config.d) * (gb * billed_s * platform.price_per_gb_s + platform.price_per_request)
}

/// A chosen option per stage, with the plan's latency and cost.
#[derive(Clone, Debug, PartialEq)]
pub struct SurrogatePlan {
    /// Index of the chosen option of each stage.
    pub choice: Vec<usize>,
    /// Longest-path latency, s.
    pub latency_s: f64,
    /// Total cost, USD.
    pub cost_usd: f64,
}

/// The workflow's shape and the latency bound.
#[derive(Clone, Debug)]
pub struct Surrogate {
    topo: Vec<usize>,
    parents: Vec<Vec<usize>>,
    input_parent: Vec<Option<usize>>,
    bound_s: f64,
}

impl Surrogate {
    /// The surrogate of a validated workflow at a latency bound.
    pub fn new(dag: &Dag, bound_s: f64) -> Surrogate {
        Surrogate {
            topo: dag.topo.clone(),
            parents: dag.parents.clone(),
            input_parent: dag.input_parent.clone(),
            bound_s,
        }
    }

    /// Whether option `d` of a stage linked to its input parent may go with the parent's `parent_d`.
    pub fn linked_ok(d: u32, parent_d: u32) -> bool {
        d == 0 || parent_d == 0 || d == parent_d
    }

    /// The input parent a stage's `d` must match, if any.
    pub fn input_parent(&self, stage: usize) -> Option<usize> {
        self.input_parent.get(stage).copied().flatten()
    }

    /// The latency bound, s.
    pub fn bound_s(&self) -> f64 {
        self.bound_s
    }

    /// The longest-path latency of per-stage latencies.
    pub fn latency_s(&self, stage_latency_s: &[f64]) -> f64 {
        let mut finish = vec![0.0f64; stage_latency_s.len()];
        let mut worst = 0.0f64;
        for &s in &self.topo {
            let start = self.parents[s]
                .iter()
                .map(|&p| finish[p])
                .fold(0.0, f64::max);
            finish[s] = start + stage_latency_s[s];
            worst = worst.max(finish[s]);
        }
        worst
    }

    /// The cheapest plan within the bound, `None` if no plan meets it (or a stage has no option).
    pub fn solve(&self, options: &[Vec<Choice>]) -> Option<SurrogatePlan> {
        let n = self.topo.len();
        if options.len() != n || options.iter().any(Vec::is_empty) {
            return None;
        }
        let mut order: Vec<Vec<usize>> = options
            .iter()
            .map(|o| {
                let mut idx: Vec<usize> = (0..o.len()).collect();
                idx.sort_by(|&a, &b| o[a].cost_usd.total_cmp(&o[b].cost_usd));
                idx
            })
            .collect();
        for (s, idx) in order.iter_mut().enumerate() {
            idx.retain(|&i| {
                options[s][i].latency_s.is_finite() && options[s][i].cost_usd.is_finite()
            });
        }
        let min_cost: Vec<f64> = order
            .iter()
            .enumerate()
            .map(|(s, idx)| {
                idx.first()
                    .map_or(f64::INFINITY, |&i| options[s][i].cost_usd)
            })
            .collect();
        let min_latency: Vec<f64> = options
            .iter()
            .map(|o| o.iter().map(|c| c.latency_s).fold(f64::INFINITY, f64::min))
            .collect();
        // Cheapest cost of the stages after each depth.
        let mut rest_cost = vec![0.0; n + 1];
        for k in (0..n).rev() {
            rest_cost[k] = rest_cost[k + 1] + min_cost[self.topo[k]];
        }
        let mut search = Search {
            s: self,
            options,
            order: &order,
            min_latency: &min_latency,
            rest_cost: &rest_cost,
            latency: min_latency.clone(),
            pick: vec![0; n],
            best: None,
        };
        search.descend(0, 0.0);
        search.best
    }
}

struct Search<'a> {
    s: &'a Surrogate,
    options: &'a [Vec<Choice>],
    order: &'a [Vec<usize>],
    min_latency: &'a [f64],
    rest_cost: &'a [f64],
    /// Chosen latency of the stages so far, the fastest option's for the rest.
    latency: Vec<f64>,
    pick: Vec<usize>,
    best: Option<SurrogatePlan>,
}

impl Search<'_> {
    fn descend(&mut self, depth: usize, cost: f64) {
        let n = self.s.topo.len();
        if depth == n {
            let latency_s = self.s.latency_s(&self.latency);
            if latency_s <= self.s.bound_s && self.best.as_ref().is_none_or(|b| cost < b.cost_usd) {
                self.best = Some(SurrogatePlan {
                    choice: self.pick.clone(),
                    latency_s,
                    cost_usd: cost,
                });
            }
            return;
        }
        let stage = self.s.topo[depth];
        for &i in &self.order[stage] {
            let c = self.options[stage][i];
            if let Some(p) = self.s.input_parent(stage) {
                let parent_d = self.options[p][self.pick[p]].config.d;
                if !Surrogate::linked_ok(c.config.d, parent_d) {
                    continue;
                }
            }
            let total = cost + c.cost_usd + self.rest_cost[depth + 1];
            if self.best.as_ref().is_some_and(|b| total >= b.cost_usd) {
                break;
            }
            self.latency[stage] = c.latency_s;
            if self.s.latency_s(&self.latency) > self.s.bound_s {
                continue;
            }
            self.pick[stage] = i;
            self.descend(depth + 1, cost + c.cost_usd);
        }
        self.latency[stage] = self.min_latency[stage];
    }
}
