//! Costless's planner as a baseline: LARAC on the cost graph of a chain.
//!
//! Costless (SEC 2018) turns fusion × memory on a chain of functions into a
//! constrained shortest path: a node per cut between consecutive stages, a link
//! per (run of consecutive stages fused into one function, memory size) whose
//! cost is that function's price and whose delay its execution time; a path from
//! the first cut to the last is a plan. It solves the path problem with LARAC
//! (Lagrangian relaxation: shortest paths on `cost + λ·delay`, λ moved between
//! the cheapest and the fastest path), an approximation.
//!
//! Here a link's cost is the group's expected cost on the sampled table and its
//! delay the group's q-quantile latency (a deterministic figure per link, as in
//! Costless: the sum of the links' quantiles stands for the chain's quantile).
//! The plan it returns is judged on the samples by the exact evaluator like any
//! other plan; it may miss the bound (quantiles do not add up) or cost more than
//! the exact optimum, which the exact planner never does.

use super::{Fuser, Grouping};
use crate::dag::Config;
use crate::solve::Plan;
use crate::stats::empirical::quantile_in_place;

/// A link of the cost graph: stages `from..to` of the chain fused at `config`.
#[derive(Clone, Copy, Debug)]
struct Link {
    from: usize,
    to: usize,
    config: usize,
    cost: f64,
    delay: f64,
}

/// LARAC's plan: the grouping and its plan on that grouping's contracted problem.
#[derive(Clone, Debug)]
pub struct LaracPlan {
    /// The fused groups.
    pub grouping: Grouping,
    /// One configuration index per group.
    pub plan: Plan,
    /// The configuration of each group.
    pub configs: Vec<Config>,
}

/// The chain's stages in order when the workflow is a chain (every stage has at
/// most one parent and one child, one source), else `None`.
pub fn chain_order(parents: &[Vec<usize>], topo: &[usize]) -> Option<Vec<usize>> {
    let n = parents.len();
    let is_chain = topo.windows(2).all(|w| parents[w[1]].as_slice() == [w[0]])
        && topo.first().is_none_or(|&s| parents[s].is_empty())
        && topo.len() == n;
    is_chain.then(|| topo.to_vec())
}

/// Runs LARAC for latency bound `max_s` on the chain `order` (from
/// [`chain_order`]), fusing only runs whose every edge is in `edges`. `None`
/// when even the fastest path's delay exceeds the bound.
pub fn larac(
    fuser: &mut Fuser<'_>,
    order: &[usize],
    edges: &[(usize, usize)],
    max_s: f64,
) -> Option<LaracPlan> {
    let links = links(fuser, order, edges);
    let n = order.len();
    let path_c = shortest(n, &links, 1.0, 0.0)?;
    if delay(&path_c, &links) <= max_s {
        return Some(plan_of(fuser, order, &path_c, &links));
    }
    let mut path_d = shortest(n, &links, 0.0, 1.0)?;
    if delay(&path_d, &links) > max_s {
        return None;
    }
    let mut path_c = path_c;
    for _ in 0..64 {
        let (cc, dc) = (cost(&path_c, &links), delay(&path_c, &links));
        let (cd, dd) = (cost(&path_d, &links), delay(&path_d, &links));
        if dc <= dd {
            break;
        }
        let lambda = (cd - cc) / (dc - dd);
        let Some(r) = shortest(n, &links, 1.0, lambda) else {
            break;
        };
        let value = |p: &[usize]| cost(p, &links) + lambda * delay(p, &links);
        if value(&r) >= value(&path_c) - 1e-12 * value(&path_c).abs() {
            break;
        }
        if delay(&r, &links) <= max_s {
            path_d = r;
        } else {
            path_c = r;
        }
    }
    Some(plan_of(fuser, order, &path_d, &links))
}

/// Every link of the chain's cost graph.
fn links(fuser: &mut Fuser<'_>, order: &[usize], edges: &[(usize, usize)]) -> Vec<Link> {
    let n = order.len();
    let q = fuser.base().percentile;
    let samples = fuser.base().n_samples;
    let mut scratch = Vec::new();
    let mut out = Vec::new();
    for from in 0..n {
        for to in from + 1..=n {
            let run = &order[from..to];
            if !run.windows(2).all(|w| edges.contains(&(w[0], w[1]))) {
                break;
            }
            let fused: Vec<(usize, usize)> = run.windows(2).map(|w| (w[0], w[1])).collect();
            let grouping = Grouping::new(fuser.dag, &fused);
            let g = grouping.group_of[run[0]];
            let problem = fuser.problem(&grouping);
            let t = &problem.stages[g];
            // A chain has no parallel parent, so one context.
            for config in 0..t.configs.len() {
                let r = t.row(0, config);
                crate::problem::widen(&t.latency_s[r * samples..(r + 1) * samples], &mut scratch);
                out.push(Link {
                    from,
                    to,
                    config,
                    cost: t.expected_cost_usd[r],
                    delay: quantile_in_place(&mut scratch, q),
                });
            }
        }
    }
    out
}

/// The links of the path minimising `a·cost + b·delay` from cut 0 to cut `n`
/// (the cost graph is acyclic in cut order, so one pass), as link indices.
fn shortest(n: usize, links: &[Link], a: f64, b: f64) -> Option<Vec<usize>> {
    let mut best = vec![f64::INFINITY; n + 1];
    let mut via = vec![usize::MAX; n + 1];
    best[0] = 0.0;
    for cut in 0..n {
        if !best[cut].is_finite() {
            continue;
        }
        for (k, l) in links.iter().enumerate().filter(|(_, l)| l.from == cut) {
            let v = best[cut] + a * l.cost + b * l.delay;
            if v < best[l.to] {
                best[l.to] = v;
                via[l.to] = k;
            }
        }
    }
    if !best[n].is_finite() {
        return None;
    }
    let mut path = Vec::new();
    let mut cut = n;
    while cut > 0 {
        let k = via[cut];
        path.push(k);
        cut = links[k].from;
    }
    path.reverse();
    Some(path)
}

fn cost(path: &[usize], links: &[Link]) -> f64 {
    path.iter().map(|&k| links[k].cost).sum()
}

fn delay(path: &[usize], links: &[Link]) -> f64 {
    path.iter().map(|&k| links[k].delay).sum()
}

/// The grouping and plan a path stands for.
fn plan_of(fuser: &mut Fuser<'_>, order: &[usize], path: &[usize], links: &[Link]) -> LaracPlan {
    let fused: Vec<(usize, usize)> = path
        .iter()
        .flat_map(|&k| order[links[k].from..links[k].to].windows(2))
        .map(|w| (w[0], w[1]))
        .collect();
    let grouping = Grouping::new(fuser.dag, &fused);
    let problem = fuser.problem(&grouping);
    let mut choice = vec![0u32; grouping.groups.len()];
    for &k in path {
        let g = grouping.group_of[order[links[k].from]];
        choice[g] = links[k].config as u32;
    }
    let configs = choice
        .iter()
        .enumerate()
        .map(|(g, &c)| problem.stages[g].configs[c as usize])
        .collect();
    LaracPlan {
        grouping,
        plan: Plan { choice },
        configs,
    }
}
