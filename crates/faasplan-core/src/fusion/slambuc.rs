//! An exact fusion method for chains and trees in the style of SLAMBUC, as a
//! baseline.
//!
//! SLAMBUC (Czentye et al., "Cost-optimal operation of latency constrained
//! serverless applications: from theory to practice") partitions a chain or a
//! tree of functions into *blocks*, each a connected part of the tree run as
//! one function at one memory size, minimising the cost under a latency limit
//! by dynamic programming. Its model is deterministic: a block has one
//! latency and one cost, and the workflow's latency is the longest path of
//! block latencies.
//!
//! Here a block is an out-tree of fusable edges (from
//! [`super::fusable_edges`]), its table is the fused group's table, and its
//! latency is the group's q-quantile latency on the planning samples and its
//! cost the group's expected cost (as for [`super::larac`]'s links). The
//! dynamic program runs bottom-up over the tree: for every stage v (as a block
//! root) and every context of its table, the Pareto set of (latency, cost) of
//! the subtree below v, built from every block rooted at v, every memory size
//! of the block and the children's Pareto sets (their longest path and their
//! summed cost; for each candidate latency every child takes its cheapest
//! label within it). This is exact for the deterministic model. The plan it
//! returns is then judged on the samples like any other: it may miss the bound
//! (quantiles do not add up along a path) or cost more than the exact optimum,
//! which the exact planner never does.

use super::{Fuser, Grouping};
use crate::dag::Config;
use crate::problem::StageTable;
use crate::solve::Plan;
use crate::stats::empirical::quantile_with;

/// The SLAMBUC-style plan: its grouping, its plan on that grouping's
/// contracted problem, and its figures in the deterministic model.
#[derive(Clone, Debug)]
pub struct SlambucPlan {
    /// The fused groups (blocks).
    pub grouping: Grouping,
    /// One configuration index per group.
    pub plan: Plan,
    /// The configuration of each group.
    pub configs: Vec<Config>,
    /// The longest path of block quantile latencies, s (the model's latency).
    pub model_latency_s: f64,
    /// The summed expected cost of the blocks, USD (the model's cost).
    pub model_cost_usd: f64,
}

/// Whether the workflow is a tree or a forest (every stage has at most one
/// parent), the shape SLAMBUC partitions.
pub fn is_tree(parents: &[Vec<usize>]) -> bool {
    parents.iter().all(|p| p.len() <= 1)
}

/// A combination of the children's labels: latency, cost and each child's
/// (stage, context, label index).
type Combo = (f64, f64, Vec<(usize, usize, usize)>);

/// One Pareto label of a subtree: its latency and cost, and how it is made.
#[derive(Clone, Debug)]
struct Label {
    delay: f64,
    cost: f64,
    /// Index of the block in the arena.
    block: usize,
    /// Configuration index in the block's table.
    config: usize,
    /// For each child block root: (stage, context, label index).
    children: Vec<(usize, usize, usize)>,
}

/// Runs the dynamic program for latency limit `max_s`, fusing only along
/// `edges` (from [`super::fusable_edges`]: at most
/// [`super::MAX_FUSABLE_EDGES`], so at most 2¹² blocks per root). `None` when
/// the workflow is not a tree or forest, or when no partition meets the limit
/// in the model.
pub fn slambuc(fuser: &mut Fuser<'_>, edges: &[(usize, usize)], max_s: f64) -> Option<SlambucPlan> {
    let dag = fuser.dag;
    if !is_tree(&dag.parents) {
        return None;
    }
    let n = dag.parents.len();
    let q = fuser.base().percentile;
    let samples = fuser.base().n_samples;
    let cloud = vec![false; n];
    let pos: Vec<usize> = {
        let mut p = vec![0; n];
        for (k, &i) in dag.topo.iter().enumerate() {
            p[i] = k;
        }
        p
    };
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    // labels[v][ctx]: the Pareto set of v's subtree with v a block root.
    let mut labels: Vec<Vec<Vec<Label>>> = vec![Vec::new(); n];
    let mut scratch = Vec::new();
    for &v in dag.topo.iter().rev() {
        let mut per_ctx: Vec<Vec<Label>> = vec![Vec::new(); fuser.base().stages[v].n_contexts()];
        for mut members in rooted_blocks(v, &dag.children, edges) {
            members.sort_by_key(|&m| pos[m]);
            let table: StageTable = if members.len() == 1 {
                fuser.base().stages[v].clone()
            } else {
                fuser.group_table(&members, &cloud, false).clone()
            };
            let outside: Vec<usize> = members
                .iter()
                .flat_map(|&m| dag.children[m].iter().copied())
                .filter(|c| !members.contains(c))
                .collect();
            let block = blocks.len();
            blocks.push(members);
            for (ctx, labels_ctx) in per_ctx.iter_mut().enumerate().take(table.n_contexts()) {
                for (j, cfg) in table.configs.iter().enumerate() {
                    let r = table.row(ctx, j);
                    let lat = &table.latency_s[r * samples..(r + 1) * samples];
                    let d0 = quantile_with(lat, q, &mut scratch);
                    let c0 = table.expected_cost_usd[r];
                    // Each outside child's Pareto set in the context of this configuration.
                    let mut child_sets = Vec::new();
                    let mut ok = true;
                    for &c in &outside {
                        match fuser.base().stages[c].context_of(cfg.d) {
                            Some(k) if !labels[c][k].is_empty() => child_sets.push((c, k)),
                            _ => ok = false,
                        }
                    }
                    if !ok {
                        continue;
                    }
                    let sets: Vec<(usize, usize, &[Label])> = child_sets
                        .iter()
                        .map(|&(c, k)| (c, k, labels[c][k].as_slice()))
                        .collect();
                    for (d, c, children) in combine(&sets) {
                        labels_ctx.push(Label {
                            delay: d0 + d,
                            cost: c0 + c,
                            block,
                            config: j,
                            children,
                        });
                    }
                }
            }
        }
        for set in &mut per_ctx {
            pareto(set);
        }
        labels[v] = per_ctx;
    }
    // The sources, joined as children of a virtual root.
    let sources: Vec<(usize, usize, &[Label])> = (0..n)
        .filter(|&v| dag.parents[v].is_empty())
        .map(|v| (v, 0, labels[v].first().map_or(&[][..], |l| l.as_slice())))
        .collect();
    if sources.iter().any(|(_, _, l)| l.is_empty()) {
        return None;
    }
    let (delay, cost, roots) = combine(&sources)
        .into_iter()
        .filter(|(d, _, _)| *d <= max_s)
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    // Walk the chosen labels down the tree.
    let mut chosen: Vec<(usize, usize)> = Vec::new();
    let mut stack = roots;
    while let Some((v, ctx, k)) = stack.pop() {
        let l = &labels[v][ctx][k];
        chosen.push((l.block, l.config));
        stack.extend(l.children.iter().copied());
    }
    let fused: Vec<(usize, usize)> = chosen
        .iter()
        .flat_map(|&(b, _)| blocks[b][1..].iter().map(|&m| (dag.parents[m][0], m)))
        .collect();
    let grouping = Grouping::new(dag, &fused);
    let problem = fuser.problem(&grouping);
    let mut choice = vec![0u32; grouping.groups.len()];
    for &(b, j) in &chosen {
        choice[grouping.group_of[blocks[b][0]]] = j as u32;
    }
    let configs = choice
        .iter()
        .enumerate()
        .map(|(g, &c)| problem.stages[g].configs[c as usize])
        .collect();
    Some(SlambucPlan {
        grouping,
        plan: Plan { choice },
        configs,
        model_latency_s: delay,
        model_cost_usd: cost,
    })
}

/// Every block rooted at `v`: `v` with, for each fusable child, nothing or a
/// block rooted at that child.
fn rooted_blocks(v: usize, children: &[Vec<usize>], edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![v]];
    for &c in &children[v] {
        if !edges.contains(&(v, c)) {
            continue;
        }
        let below = rooted_blocks(c, children, edges);
        let mut next = Vec::with_capacity(out.len() * (below.len() + 1));
        for b in &out {
            next.push(b.clone());
            for sub in &below {
                let mut x = b.clone();
                x.extend_from_slice(sub);
                next.push(x);
            }
        }
        out = next;
    }
    out
}

/// The Pareto set of the children's combinations: latency the longest of the
/// children's, cost their sum; for each candidate latency every child takes
/// its cheapest label within it. Each set in `sets` is Pareto-sorted (latency
/// ascending, cost strictly descending). No children: one empty combination.
fn combine(sets: &[(usize, usize, &[Label])]) -> Vec<Combo> {
    if sets.is_empty() {
        return vec![(0.0, 0.0, Vec::new())];
    }
    let mut thresholds: Vec<f64> = sets
        .iter()
        .flat_map(|(_, _, l)| l.iter().map(|x| x.delay))
        .collect();
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    let mut out = Vec::new();
    for t in thresholds {
        let mut delay = 0.0f64;
        let mut cost = 0.0;
        let mut picks = Vec::with_capacity(sets.len());
        let mut ok = true;
        for &(c, k, l) in sets {
            // The last label within t is the cheapest within t.
            let within = l.partition_point(|x| x.delay <= t);
            if within == 0 {
                ok = false;
                break;
            }
            let x = &l[within - 1];
            delay = delay.max(x.delay);
            cost += x.cost;
            picks.push((c, k, within - 1));
        }
        if ok && out.last().is_none_or(|last: &Combo| cost < last.1) {
            out.push((delay, cost, picks));
        }
    }
    out
}

/// Keeps the non-dominated labels, latency ascending and cost strictly descending.
fn pareto(set: &mut Vec<Label>) {
    set.sort_by(|a, b| a.delay.total_cmp(&b.delay).then(a.cost.total_cmp(&b.cost)));
    let mut out: Vec<Label> = Vec::with_capacity(set.len());
    for l in set.drain(..) {
        if out.last().is_none_or(|p| l.cost < p.cost) {
            out.push(l);
        }
    }
    *set = out;
}
