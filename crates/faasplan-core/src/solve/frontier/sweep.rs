//! The exact frontier in one best-first pass (the default sweep).
//!
//! The downward sweep (`builder.rs` with `min_step_s > 0`) solves one bound after the
//! other, and every solve searches again the partial plans the previous one already
//! searched: on the bundled ML pipeline at `a = 160` each of ~900 points re-expanded
//! ~1,600 nodes. Here every node is expanded at most once for the whole frontier.
//!
//! Partial plans (the first `d` stages in topological order) are expanded in
//! increasing order of a lower bound on the cost of their completions (a binary
//! heap; equal keys in creation order). A complete plan is taken out of the heap in
//! increasing order of its exact expected cost, and it is a frontier point exactly
//! when its guaranteed latency (on all N samples) is below that of every cheaper
//! plan: the **record**. A partial plan is dropped as soon as no completion can beat
//! the record (more than `a` samples of S above the largest float below it, as in the
//! bound-by-bound search, with the forward re-check inside the rounding band), and
//! configurations that cannot beat it are left out of the candidate lists.
//!
//! Why it is exact. Let `P` be a plan with `cost(P) < cost(L)` and
//! `GL(P) ≤ GL(L) < record` when a plan `L` is taken out. Every configuration of `P`
//! passed every filter so far (the record only falls, and it was always above
//! `GL(P)`), so no node on `P`'s path was pruned, and each node's key is at most
//! `cost(P)`: keys are the cost so far plus the least cost of the later stages'
//! candidates, lowered by a relative 1e-12 (far above the rounding of a sum of at
//! most 64 terms), and a complete plan's key is its exact cost (summed in
//! topological order, as the checker does). So `P` was taken out before `L`, set the
//! record to at most `GL(P)`, and `L` is refused. Plans of equal cost come out in
//! creation order: a later one with a lower guaranteed latency replaces the earlier
//! point, as in the bound-by-bound sweep, so the values are the non-dominated set.
//!
//! Samples: the same constraint generation as the search. Nodes are evaluated on the
//! subset S; a complete plan is accepted only on all N samples, and when it fails
//! there, up to `8 + a` of its worst samples not in S join S. Node state is not
//! stored: a node keeps its parent, its configuration and its cost, and its finish
//! times on S are recomputed when it is expanded (on the current S, so pruning gets
//! stronger as S grows).
//!
//! Children are evaluated lazily: an expanded node evaluates its cost-sorted children
//! up to the first that can still beat the record and queues it together with "the
//! rest" (keyed by the next child's key, a lower bound for all of them); the rest is
//! evaluated when that key comes up, against the record of then, and dropped whole
//! when the node itself can no longer beat it. A child's key uses the least remaining
//! cost fixed when its parent was expanded, and ties are broken by (parent's expansion
//! order, position in the sorted list), which is the order in which evaluating every
//! child at once would have created them: the same plans come out in the same order,
//! so the frontier (values and plans) is the same, while most children are dropped by
//! a record they would only have met when taken out.

use super::FrontierPoint;
use crate::solve::bounds::subset_bounds;
use crate::solve::search::slack;
use crate::solve::{Plan, Precomputed, below};
use crate::stats::guarantee_in_place;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

/// Relative lowering of internal keys (rounding of the cost sums).
const KEY_SLACK: f64 = 1e-12;
const ROOT: usize = usize::MAX;

/// A node waiting to be taken out: its parent (an expanded node) and the configuration
/// it adds at the parent's next level.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: f64,
    parent: usize,
    /// Position of the configuration in the stage's cost-sorted list
    /// (`Precomputed::sorted`); (parent, pos) is the order of creation.
    pos: u32,
    cfg: u32,
    /// Not a node but the rest of the parent's children, from `pos` on, not yet
    /// evaluated (`key` is that of the child at `pos`, a lower bound for the rest).
    rest: bool,
    /// `Sweep::generation` when the node was evaluated.
    generation: u64,
    /// When it was evaluated: the `(a + 1)`-th largest per-sample latency bound on S
    /// (a complete plan: its exact latency on S), a lower bound on the guaranteed
    /// latency of every completion (S is a subset of the samples).
    glb: f64,
}

/// The heap holds one entry per expanded node with children left: the next of its
/// children (`lists[list][at]`). A node's children are created by cost, so their keys
/// are non-decreasing and their positions increasing: the heap gives them out in the
/// same (key, parent, position) order as if every child were in it, while it stays as
/// small as the number of nodes with children left.
#[derive(Clone, Copy, Debug)]
struct Head {
    key: f64,
    parent: usize,
    pos: u32,
    list: u32,
    at: u32,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    /// Reversed: the heap's top is the least key, then the earliest created.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .key
            .total_cmp(&self.key)
            .then(other.parent.cmp(&self.parent))
            .then(other.pos.cmp(&self.pos))
    }
}

/// An expanded node.
#[derive(Clone, Copy, Debug)]
struct Node {
    parent: usize,
    cfg: u32,
    /// Levels assigned (the node's stages are `topo[..depth]`).
    depth: usize,
    /// Expected cost of the assigned stages, summed in topological order.
    partial: f64,
    /// The later stages' least cost when the node was expanded (its children's keys).
    rem: f64,
}

/// The one-pass exact frontier.
pub(super) struct Sweep<'p> {
    prep: Arc<Precomputed<'p>>,
    heap: BinaryHeap<Head>,
    /// Children lists of the expanded nodes (freed ones are reused through `free`).
    lists: Vec<Vec<Entry>>,
    free: Vec<u32>,
    arena: Vec<Node>,
    /// Changes whenever S or the record changes: a complete plan evaluated in the
    /// current generation needs no re-evaluation on S.
    generation: u64,
    /// Guaranteed latency of the last point (`∞` before the first).
    record: f64,
    /// Points by ascending cost (descending latency).
    pub points: Vec<FrontierPoint>,
    pub nodes: u64,
    // The subset S and its tables (as in `search.rs`).
    subset: Vec<u32>,
    in_subset: Vec<bool>,
    m: usize,
    /// Per stage, `[row][sample of S]` with rows `stride` apart (room to grow).
    lat_t: Vec<Vec<f64>>,
    stride: usize,
    /// The expanded node whose per-sample state (`fin` of its stages, `lat`, `lb`)
    /// is in place, if any.
    restored: Option<usize>,
    tail_t: Vec<f64>,
    minl_t: Vec<f64>,
    base: Vec<f64>,
    /// Candidates per stage and context that can still beat the record, by cost.
    cands: Vec<Vec<Vec<u32>>>,
    /// Cheapest candidates of the stages from level `d` on.
    min_rem: Vec<f64>,
    // The node being expanded: per stage, and per sample of S.
    choice: Vec<u32>,
    ctx: Vec<usize>,
    dsel: Vec<u32>,
    fin: Vec<f64>,
    lb: Vec<f64>,
    lat: Vec<f64>,
    /// The child being evaluated (`extend` reads the node's `lat`/`lb`, writes these).
    lat_c: Vec<f64>,
    lb_c: Vec<f64>,
    // Scratch.
    mx: Vec<f64>,
    fwd: Vec<f64>,
    band: Vec<u32>,
    values: Vec<f64>,
    bits: Vec<u64>,
    full: Vec<f64>,
    /// Finish times of every stage on every sample (`full_latencies`).
    fin_n: Vec<f64>,
    mx_n: Vec<f64>,
    sel: Vec<f64>,
}

/// Whether every child is evaluated when its parent is expanded (only the unit tests
/// switch this on, to compare with the lazy order).
#[cfg(test)]
fn eager() -> bool {
    tests::EAGER.with(std::cell::Cell::get)
}

#[cfg(not(test))]
fn eager() -> bool {
    false
}

/// The `(a + 1)`-th largest of `v` (`a < v.len()`), as `guarantee_in_place` selects it
/// in `f64::total_cmp` order. When no value has its sign bit set, that order is the
/// order of the bit patterns as integers, which select faster; otherwise `total_cmp`.
fn guarantee_bits(v: &[f64], a: usize, bits: &mut Vec<u64>, values: &mut Vec<f64>) -> f64 {
    bits.clear();
    bits.extend(v.iter().map(|x| x.to_bits()));
    if bits.iter().fold(0, |s, &b| s | b) >> 63 == 0 {
        let n = bits.len();
        let (_, x, _) = bits.select_nth_unstable(n - 1 - a);
        f64::from_bits(*x)
    } else {
        values.clear();
        values.extend_from_slice(v);
        guarantee_in_place(values, a)
    }
}

/// The latest finish of a stage's parents on each sample, into `mx` (`m` samples,
/// `fin` the parents' finish times, `m` apart): per sample `h = 0`, then
/// `if f > h { h = f }` over the parents in order, written as selects (no branches).
fn parents_max_into(mx: &mut Vec<f64>, parents: &[usize], fin: &[f64], m: usize) {
    mx.clear();
    match parents.split_first() {
        None => mx.resize(m, 0.0),
        Some((&q, rest)) => {
            mx.extend(
                fin[q * m..(q + 1) * m]
                    .iter()
                    .map(|&f| if f > 0.0 { f } else { 0.0 }),
            );
            for &q in rest {
                for (x, &f) in mx.iter_mut().zip(&fin[q * m..(q + 1) * m]) {
                    *x = if f > *x { f } else { *x };
                }
            }
        }
    }
}

impl<'p> Sweep<'p> {
    pub(super) fn new(prep: Arc<Precomputed<'p>>) -> Self {
        let (k, n) = (prep.k, prep.n);
        let first: Vec<u32> = prep.hard.iter().take(16).copied().collect();
        let mut s = Sweep {
            heap: BinaryHeap::new(),
            lists: Vec::new(),
            free: Vec::new(),
            arena: Vec::new(),
            generation: 0,
            record: f64::INFINITY,
            points: Vec::new(),
            nodes: 0,
            subset: Vec::new(),
            in_subset: vec![false; n],
            m: 0,
            lat_t: vec![Vec::new(); k],
            stride: 0,
            restored: None,
            tail_t: Vec::new(),
            minl_t: Vec::new(),
            base: Vec::new(),
            cands: Vec::new(),
            min_rem: vec![0.0; k + 1],
            choice: vec![0; k],
            ctx: vec![0; k],
            dsel: vec![0; k],
            fin: Vec::new(),
            lb: Vec::new(),
            lat: Vec::new(),
            lat_c: Vec::new(),
            lb_c: Vec::new(),
            mx: Vec::new(),
            fwd: vec![0.0; k],
            band: Vec::new(),
            values: Vec::new(),
            bits: Vec::new(),
            full: Vec::new(),
            fin_n: Vec::new(),
            mx_n: Vec::new(),
            sel: Vec::new(),
            prep,
        };
        s.add_samples(&first);
        s.filter();
        s.push_list(vec![Entry {
            key: f64::NEG_INFINITY,
            parent: ROOT,
            pos: 0,
            cfg: 0,
            rest: false,
            generation: 0,
            glb: f64::NEG_INFINITY,
        }]);
        s
    }

    /// Makes a (non-empty) children list available to the heap.
    fn push_list(&mut self, list: Vec<Entry>) {
        let first = list[0];
        let id = match self.free.pop() {
            Some(id) => {
                self.lists[id as usize] = list;
                id
            }
            None => {
                self.lists.push(list);
                (self.lists.len() - 1) as u32
            }
        };
        self.heap.push(Head {
            key: first.key,
            parent: first.parent,
            pos: first.pos,
            list: id,
            at: 0,
        });
    }

    /// The next entry in (key, creation) order.
    fn next_entry(&mut self) -> Option<Entry> {
        let h = self.heap.pop()?;
        let list = &mut self.lists[h.list as usize];
        let e = list[h.at as usize];
        let at = h.at + 1;
        if let Some(n) = list.get(at as usize) {
            self.heap.push(Head {
                key: n.key,
                parent: n.parent,
                pos: n.pos,
                list: h.list,
                at,
            });
        } else {
            // Keep the allocation for a later list.
            list.clear();
            self.free.push(h.list);
        }
        Some(e)
    }

    /// Runs at most about `budget` node evaluations; true when the frontier is complete.
    pub(super) fn step(&mut self, budget: u64) -> bool {
        let stop = self.nodes.saturating_add(budget);
        while self.nodes < stop {
            let Some(e) = self.next_entry() else {
                return true;
            };
            self.pop(e);
        }
        self.heap.is_empty()
    }

    fn cap(&self) -> f64 {
        below(self.record)
    }

    /// Adds samples to S. The tables of S grow in place: each row of `lat_t` has room
    /// for `stride` samples (doubled when full), so only the new samples' columns are
    /// gathered, and their per-sample bounds (`subset_bounds` is per sample) are
    /// computed on the new samples alone and appended.
    fn add_samples(&mut self, add: &[u32]) {
        let (p, n, k) = (self.prep.p, self.prep.n, self.prep.k);
        let old = self.m;
        for &s in add {
            if !self.in_subset[s as usize] {
                self.in_subset[s as usize] = true;
                self.subset.push(s);
            }
        }
        let m = self.subset.len();
        let new = &self.subset[old..];
        let added = new.len();
        self.m = m;
        self.generation += 1;
        self.restored = None;
        // The new samples' columns, compact (rows × added).
        let fresh: Vec<Vec<f64>> = p
            .stages
            .iter()
            .map(|t| {
                let rows = t.n_contexts() * t.configs.len();
                let mut out = Vec::with_capacity(rows * added);
                for r in 0..rows {
                    let row = &t.latency_s[r * n..(r + 1) * n];
                    out.extend(new.iter().map(|&s| f64::from(row[s as usize])));
                }
                out
            })
            .collect();
        let stride = if m > self.stride {
            (2 * self.stride).max(m).max(64).min(n)
        } else {
            self.stride
        };
        for (i, t) in p.stages.iter().enumerate() {
            let rows = t.n_contexts() * t.configs.len();
            if stride != self.stride {
                let mut out = vec![0.0; rows * stride];
                for r in 0..rows {
                    out[r * stride..r * stride + old]
                        .copy_from_slice(&self.lat_t[i][r * self.stride..r * self.stride + old]);
                }
                self.lat_t[i] = out;
            }
            for r in 0..rows {
                self.lat_t[i][r * stride + old..r * stride + m]
                    .copy_from_slice(&fresh[i][r * added..(r + 1) * added]);
            }
        }
        self.stride = stride;
        let b = subset_bounds(&fresh, &p.parents, &p.topo, added, None);
        let merge = |was: &[f64], add: &[f64]| -> Vec<f64> {
            (0..k)
                .flat_map(|i| {
                    was[i * old..(i + 1) * old]
                        .iter()
                        .chain(&add[i * added..(i + 1) * added])
                        .copied()
                })
                .collect()
        };
        self.tail_t = merge(&self.tail_t, &b.tail);
        self.minl_t = merge(&self.minl_t, &b.minl);
        self.base.extend_from_slice(&b.base);
        let k = self.prep.k;
        self.fin = vec![0.0; k * m];
        self.lb = vec![0.0; m];
        self.lat = vec![0.0; m];
        self.lb_c = vec![0.0; m];
        self.lat_c = vec![0.0; m];
    }

    /// Candidate lists and least remaining costs for the current record.
    fn filter(&mut self) {
        self.generation += 1;
        let prep = &self.prep;
        let cap = slack(below(self.record));
        self.cands = (0..prep.k)
            .map(|i| {
                let nc = prep.p.stages[i].configs.len();
                prep.sorted[i]
                    .iter()
                    .enumerate()
                    .map(|(c, list)| {
                        list.iter()
                            .copied()
                            .filter(|&j| prep.thr[i][c * nc + j as usize] <= cap)
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let k = prep.k;
        self.min_rem[k] = 0.0;
        for d in (0..k).rev() {
            let i = prep.p.topo[d];
            let t = &prep.p.stages[i];
            let nc = t.configs.len();
            let mut best = f64::INFINITY;
            for (c, list) in self.cands[i].iter().enumerate() {
                if let Some(&j) = list.first() {
                    best = best.min(t.expected_cost_usd[c * nc + j as usize]);
                }
            }
            self.min_rem[d] = self.min_rem[d + 1] + best;
        }
    }

    /// Takes one node out of the heap: a complete plan is checked, a partial one expanded.
    fn pop(&mut self, e: Entry) {
        let k = self.prep.k;
        if e.rest {
            self.nodes += 1;
            self.restore(e.parent);
            // Every child's bound is at least the node's: when the node can no longer
            // beat the record on S, neither can any of its children.
            let (m, a) = (self.m, self.prep.a);
            let lat_cap = slack(self.cap());
            if a < m && self.lb.iter().filter(|&&b| b > lat_cap).count() > a {
                return;
            }
            self.expand(e.parent, e.pos as usize);
            return;
        }
        let cap = self.cap();
        // Beaten by the record since it was evaluated (a complete plan's figure is
        // exact; a partial plan's bound is compared with the rounding slack).
        let leaf = e.parent != ROOT && self.arena[e.parent].depth + 1 == k;
        if e.glb > if leaf { cap } else { slack(cap) } {
            self.nodes += 1;
            return;
        }
        let fresh = e.generation == self.generation;
        let (depth, partial) = match e.parent {
            ROOT => (0, 0.0),
            q => {
                let n = self.arena[q];
                let i = self.prep.p.topo[n.depth];
                let t = &self.prep.p.stages[i];
                if fresh && n.depth + 1 == k {
                    // Evaluated on this S against this record when it was created.
                    self.restore_choice(q);
                } else {
                    self.restore(q);
                }
                let ctx = self.context_of(i);
                if ctx == usize::MAX {
                    return;
                }
                self.ctx[i] = ctx;
                let cost = n.partial + t.expected_cost_usd[ctx * t.configs.len() + e.cfg as usize];
                (n.depth + 1, cost)
            }
        };
        self.nodes += 1;
        if e.parent != ROOT && !(fresh && depth == k) {
            // Re-evaluate the node on the current S and record.
            let d = depth - 1;
            let i = self.prep.p.topo[d];
            self.choice[i] = e.cfg;
            self.dsel[i] = self.prep.p.stages[i].configs[e.cfg as usize].d;
            self.parents_max(i);
            if !self.extend(d, i, e.cfg) {
                return;
            }
            if depth < k {
                // The node's state replaces its parent's (set as restored below).
                std::mem::swap(&mut self.lat, &mut self.lat_c);
                std::mem::swap(&mut self.lb, &mut self.lb_c);
                self.restored = None;
            }
        }
        if depth == k {
            let i = self.prep.p.topo[depth - 1];
            self.choice[i] = e.cfg;
            self.complete(partial);
            return;
        }
        let idx = self.arena.len();
        self.arena.push(Node {
            parent: e.parent,
            cfg: e.cfg,
            depth,
            partial,
            rem: self.min_rem[depth + 1],
        });
        if e.parent == ROOT {
            self.restore(idx);
        } else {
            self.restored = Some(idx);
        }
        self.expand(idx, 0);
    }

    /// Sets `choice`, `ctx`, `dsel` and the per-sample state (finish times, latency,
    /// bound) of the expanded node `q` on the current S. The state in place is reused
    /// when it is that of `q` or of an ancestor (the levels are folded in the same
    /// order, so the values are the same).
    fn restore(&mut self, q: usize) {
        let p = self.prep.p;
        let depth = self.arena[q].depth;
        self.restore_choice(q);
        let from = match self.restored {
            Some(r) if self.is_ancestor(r, q) => self.arena[r].depth,
            _ => {
                self.lat.fill(0.0);
                self.lb.copy_from_slice(&self.base);
                0
            }
        };
        let (m, stride) = (self.m, self.stride);
        for d in from..depth {
            let i = p.topo[d];
            let nc = p.stages[i].configs.len();
            let row = (self.ctx[i] * nc + self.choice[i] as usize) * stride;
            parents_max_into(&mut self.mx, &p.parents[i], &self.fin, m);
            let mx = &self.mx;
            let lat_row = &self.lat_t[i][row..row + m];
            let tail = &self.tail_t[i * m..(i + 1) * m];
            let fin = &mut self.fin[i * m..(i + 1) * m];
            for t in 0..m {
                let f = mx[t] + lat_row[t];
                fin[t] = f;
                let l = self.lat[t];
                self.lat[t] = if f > l { f } else { l };
                let g = f + tail[t];
                let b = self.lb[t];
                self.lb[t] = if g > b { g } else { b };
            }
        }
        self.restored = Some(q);
    }

    /// Whether `r` is `q` or one of its ancestors.
    fn is_ancestor(&self, r: usize, q: usize) -> bool {
        let dr = self.arena[r].depth;
        let mut at = q;
        while self.arena[at].depth > dr {
            at = self.arena[at].parent;
        }
        at == r
    }

    /// Sets `choice`, `dsel` and `ctx` of the stages the expanded node `q` assigns.
    fn restore_choice(&mut self, q: usize) {
        let p = self.prep.p;
        let depth = self.arena[q].depth;
        let mut at = q;
        while at != ROOT {
            let n = self.arena[at];
            if n.depth > 0 {
                let i = p.topo[n.depth - 1];
                self.choice[i] = n.cfg;
                self.dsel[i] = p.stages[i].configs[n.cfg as usize].d;
            }
            at = n.parent;
        }
        for d in 0..depth {
            let i = p.topo[d];
            self.ctx[i] = self.context_of(i);
        }
    }

    /// Context of stage `i` given its assigned context parent (`usize::MAX`: none).
    fn context_of(&self, i: usize) -> usize {
        match &self.prep.p.stages[i].context {
            None => 0,
            Some(cx) => {
                let pd = self.dsel[cx.parent];
                cx.parent_d
                    .iter()
                    .position(|&x| x == pd)
                    .unwrap_or(usize::MAX)
            }
        }
    }

    /// The latest finish of stage `i`'s parents on each sample of S, into `mx` (the
    /// same for every configuration of `i`, so computed once per expansion).
    fn parents_max(&mut self, i: usize) {
        parents_max_into(&mut self.mx, &self.prep.p.parents[i], &self.fin, self.m);
    }

    /// Adds configuration `j` of stage `i` at level `d` to the restored state (`mx`
    /// set by [`Sweep::parents_max`]): stage `i`'s finish times go to `fin`, the
    /// child's latency and bound to `lat_c` and `lb_c`. False when no completion can
    /// beat the record on S (the child's state is then partly written).
    fn extend(&mut self, d: usize, i: usize, j: u32) -> bool {
        let p = self.prep.p;
        let (m, a) = (self.m, self.prep.a);
        let lat_max = self.cap();
        let lat_cap = slack(lat_max);
        let nc = p.stages[i].configs.len();
        let row = (self.ctx[i] * nc + j as usize) * self.stride;
        // One branch-free (vectorisable) pass, then the rounding band if it matters.
        let lat_row = &self.lat_t[i][row..row + m];
        let tail = &self.tail_t[i * m..(i + 1) * m];
        let fin = &mut self.fin[i * m..(i + 1) * m];
        let (mx, lat0, lb0) = (&self.mx[..m], &self.lat[..m], &self.lb[..m]);
        let (lat_c, lb_c) = (&mut self.lat_c[..m], &mut self.lb_c[..m]);
        let (mut viol, mut above) = (0usize, 0usize);
        for t in 0..m {
            let f = mx[t] + lat_row[t];
            fin[t] = f;
            let l = lat0[t];
            lat_c[t] = if f > l { f } else { l };
            let g = f + tail[t];
            let b = lb0[t];
            let b = if g > b { g } else { b };
            lb_c[t] = b;
            viol += usize::from(b > lat_cap);
            above += usize::from(b > lat_max);
        }
        if viol > a {
            return false;
        }
        let mut ok = true;
        let mut band = std::mem::take(&mut self.band);
        band.clear();
        if above > a {
            band.extend(
                (0..m as u32).filter(|&t| {
                    self.lb_c[t as usize] > lat_max && self.lb_c[t as usize] <= lat_cap
                }),
            );
        }
        if viol + band.len() > a {
            for &t in &band {
                if self.forward_exceeds(d, t as usize, lat_max) {
                    viol += 1;
                    if viol > a {
                        ok = false;
                        break;
                    }
                }
            }
        }
        self.band = band;
        ok
    }

    /// The search's forward re-check (`search/node.rs`): the later stages at their
    /// least latency on sample `t`, with the checker's operations.
    fn forward_exceeds(&mut self, d: usize, t: usize, cap: f64) -> bool {
        let p = self.prep.p;
        let (m, k) = (self.m, self.prep.k);
        let mut lat = self.lat_c[t];
        for &j in &p.topo[d + 1..k] {
            let mut h = 0.0;
            for &q in &p.parents[j] {
                let f = if self.prep.depth_of[q] <= d {
                    self.fin[q * m + t]
                } else {
                    self.fwd[q]
                };
                if f > h {
                    h = f;
                }
            }
            let f = h + self.minl_t[j * m + t];
            self.fwd[j] = f;
            if f > lat {
                lat = f;
            }
        }
        lat > cap
    }

    /// Evaluates the children of the restored node `idx` from position `from` of the
    /// stage's cost-sorted list on, up to the first that can still beat the record,
    /// and queues it with the rest of the list (evaluated when the rest's key comes
    /// up). Most children of a node are beaten by the record before their key comes
    /// up; evaluated late they are dropped at once, without a bound to select and an
    /// entry to keep (the bundled ML frontier evaluated 380 k children, of which 310 k
    /// were dropped when taken out). The same nodes are taken out in the same
    /// (key, parent, position) order: a child's key uses the node's `rem`, fixed when
    /// it was expanded, and evaluation against a lower record and a larger S only
    /// drops children that would have been dropped when taken out.
    fn expand(&mut self, idx: usize, from: usize) {
        let prep = Arc::clone(&self.prep);
        let p = prep.p;
        let node = self.arena[idx];
        let d = node.depth;
        let i = p.topo[d];
        let ctx = self.context_of(i);
        if ctx == usize::MAX {
            return;
        }
        self.ctx[i] = ctx;
        let t = &p.stages[i];
        let nc = t.configs.len();
        let Some(list) = prep.sorted[i].get(ctx) else {
            return;
        };
        let leaf = d + 1 == prep.k;
        let thr_cap = slack(self.cap());
        let thr = &prep.thr[i][ctx * nc..(ctx + 1) * nc];
        let key_of = |j: u32| {
            let cost = node.partial + t.expected_cost_usd[ctx * nc + j as usize];
            if leaf {
                cost
            } else {
                (cost + node.rem) * (1.0 - KEY_SLACK)
            }
        };
        let mut mx_ready = false;
        for (pos, &j) in list.iter().enumerate().skip(from) {
            // A stage sharing a function takes its group's first member's size.
            if thr[j as usize] > thr_cap || !prep.tie_ok(i, j, &self.choice) {
                continue;
            }
            self.choice[i] = j;
            self.dsel[i] = t.configs[j as usize].d;
            if !self.concurrency_partial(d, i) {
                continue;
            }
            if !mx_ready {
                self.parents_max(i);
                mx_ready = true;
            }
            self.nodes += 1;
            if !self.extend(d, i, j) {
                continue;
            }
            let glb = if prep.a >= self.m {
                f64::NEG_INFINITY
            } else {
                let v = if leaf { &self.lat_c } else { &self.lb_c };
                guarantee_bits(v, prep.a, &mut self.bits, &mut self.values)
            };
            let mut kids = self
                .free
                .pop()
                .map(|id| {
                    self.free.push(id);
                    std::mem::take(&mut self.lists[id as usize])
                })
                .unwrap_or_default();
            kids.push(Entry {
                key: key_of(j),
                parent: idx,
                pos: pos as u32,
                cfg: j,
                rest: false,
                generation: self.generation,
                glb,
            });
            let lazy = !eager();
            if let Some(&next) = list.get(pos + 1).filter(|_| lazy) {
                kids.push(Entry {
                    key: key_of(next),
                    parent: idx,
                    pos: (pos + 1) as u32,
                    cfg: next,
                    rest: true,
                    generation: self.generation,
                    glb: f64::NEG_INFINITY,
                });
            }
            match self.free.pop() {
                Some(id) => {
                    self.lists[id as usize] = kids;
                    self.heap.push(Head {
                        key: self.lists[id as usize][0].key,
                        parent: idx,
                        pos: pos as u32,
                        list: id,
                        at: 0,
                    });
                }
                None => self.push_list(kids),
            }
            if lazy {
                return;
            }
        }
    }

    fn concurrency_partial(&self, d: usize, i: usize) -> bool {
        let p = self.prep.p;
        let Some(limit) = p.concurrency_limit else {
            return true;
        };
        self.prep.antichains_of[i].iter().all(|&mask| {
            let mut sum = 0u64;
            let mut b = mask;
            while b != 0 {
                let j = b.trailing_zeros() as usize;
                b &= b - 1;
                sum += u64::from(if self.prep.depth_of[j] <= d {
                    self.dsel[j]
                } else {
                    self.prep.min_d[j]
                });
            }
            sum <= u64::from(limit)
        })
    }

    /// The complete plan's (`choice`, `ctx`) latency on every sample into `full`, with
    /// the operations of the checker (`eval::latencies`), loop by loop.
    fn full_latencies(&mut self) {
        let p = self.prep.p;
        let n = self.prep.n;
        self.fin_n.resize(self.prep.k * n, 0.0);
        self.full.clear();
        self.full.resize(n, 0.0);
        let (fin, full, mx) = (&mut self.fin_n, &mut self.full, &mut self.mx_n);
        for &i in &p.topo {
            let lat = p.latencies(i, p.stages[i].row(self.ctx[i], self.choice[i] as usize));
            parents_max_into(mx, &p.parents[i], fin, n);
            let row = &mut fin[i * n..(i + 1) * n];
            for (((f, o), &h), &l) in row.iter_mut().zip(full.iter_mut()).zip(mx.iter()).zip(lat) {
                let v = h + f64::from(l);
                *f = v;
                *o = if v > *o { v } else { *o };
            }
        }
    }

    /// The `(a + 1)`-th largest of `full` (a plan's latency on every sample), as
    /// `guarantee` selects it (`total_cmp` order). The `(a + 1)`-th largest on S is at
    /// most it, and at least `a + 1` values reach it (those of S), so the selection
    /// runs on the values that reach it only.
    fn full_guarantee(&mut self, full: &[f64]) -> f64 {
        let a = self.prep.a;
        if a >= self.m {
            return guarantee_bits(full, a, &mut self.bits, &mut self.values);
        }
        let mut on_s = std::mem::take(&mut self.sel);
        on_s.clear();
        on_s.extend(self.subset.iter().map(|&s| full[s as usize]));
        let low = guarantee_bits(&on_s, a, &mut self.bits, &mut self.values);
        on_s.clear();
        on_s.extend(full.iter().copied().filter(|x| x.total_cmp(&low).is_ge()));
        debug_assert!(on_s.len() > a);
        let gl = guarantee_bits(&on_s, a, &mut self.bits, &mut self.values);
        self.sel = on_s;
        gl
    }

    /// A complete plan (`choice`, `ctx` set, checked on S) of expected cost `cost`.
    fn complete(&mut self, cost: f64) {
        let a = self.prep.a;
        self.full_latencies();
        let full = std::mem::take(&mut self.full);
        let cap = self.cap();
        // The guarantee (the (a + 1)-th largest latency) is at most `cap` exactly when at
        // most `a` latencies exceed it: count, and select only for a new point.
        if full.iter().filter(|&&x| x > cap).count() <= a {
            let gl = self.full_guarantee(&full);
            if self
                .points
                .last()
                .is_some_and(|x| x.expected_cost_usd == cost)
            {
                // Same cost, lower latency: the earlier point is dominated.
                self.points.pop();
            }
            self.points.push(FrontierPoint {
                guaranteed_latency_s: gl,
                expected_cost_usd: cost,
                plan: Plan {
                    choice: self.choice.clone(),
                },
            });
            self.record = gl;
            self.filter();
        } else {
            let mut v: Vec<u32> = (0..full.len() as u32)
                .filter(|&s| full[s as usize] > cap && !self.in_subset[s as usize])
                .collect();
            v.sort_by(|&x, &y| {
                full[y as usize]
                    .total_cmp(&full[x as usize])
                    .then(x.cmp(&y))
            });
            v.truncate(8 + a);
            if !v.is_empty() {
                self.add_samples(&v);
            }
        }
        self.full = full;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::problem::SampledProblem;
    use crate::solve::frontier::{
        Frontier, FrontierBuilder, FrontierProgress, FrontierSettings, frontier,
    };
    use crate::solve::synthetic::{Small, Topology, scaled, small};
    use std::cell::Cell;

    thread_local! {
        /// Evaluates every child when its parent is expanded, in this thread.
        pub(crate) static EAGER: Cell<bool> = const { Cell::new(false) };
    }

    fn eagerly<T>(f: impl FnOnce() -> T) -> T {
        EAGER.with(|c| c.set(true));
        let out = f();
        EAGER.with(|c| c.set(false));
        out
    }

    /// Lazy evaluation gives the frontier of evaluating every child at once, plans
    /// included (ties broken the same way), on random DAGs with and without tied
    /// latencies and costs, concurrency limits and `a` = 1, 2, 3.
    #[test]
    fn lazy_children_give_the_eager_frontier_plans_included() {
        fn run(p: &SampledProblem) -> (Frontier, u64) {
            let mut b = FrontierBuilder::new(p, FrontierSettings::default()).unwrap();
            while b.step(1 << 20) != FrontierProgress::Finished {}
            (b.frontier(), b.nodes())
        }
        let mut nodes = (0u64, 0u64);
        for seed in 0..120u64 {
            let o = Small {
                stages: 3 + (seed as usize % 3),
                max_configs: 6,
                samples: 6 + (seed as usize % 30),
                allowed_violations: 1 + (seed % 3) as usize,
                concurrency_limit: (seed % 4 == 0).then_some(4),
                ties: seed % 2 == 0,
            };
            let p = small(o, seed);
            let (lazy, n_lazy) = run(&p);
            let (all, n_all) = eagerly(|| run(&p));
            assert_eq!(lazy, all, "seed {seed}");
            nodes.0 += n_lazy;
            nodes.1 += n_all;
        }
        // The two orders do differ in the work done.
        assert!(nodes.0 < nodes.1, "{nodes:?}");
        for topology in [Topology::Chain, Topology::FanOut] {
            for a in [1, 2] {
                let mut p = scaled(topology, 5, 8, 60, 3);
                p.allowed_violations = a;
                let lazy = frontier(&p, FrontierSettings::default()).unwrap();
                let all = eagerly(|| frontier(&p, FrontierSettings::default()).unwrap());
                assert!(!lazy.points.is_empty());
                assert_eq!(lazy, all, "{topology:?}, a = {a}");
            }
        }
    }

    /// Instances whose S outgrows the first stride of its tables (re-laid out while the
    /// frontier is built, with nodes restored from an ancestor's state in between):
    /// the frontier is the brute-force non-dominated set, and the eager one.
    #[test]
    fn grown_sample_tables_give_the_brute_force_frontier() {
        use crate::solve::{Plan, evaluate};
        for seed in 0..4u64 {
            let o = Small {
                stages: 4,
                max_configs: 5,
                samples: 300,
                allowed_violations: 80,
                concurrency_limit: None,
                ties: seed % 2 == 1,
            };
            let p = small(o, seed);
            let mut s = Sweep::new(Arc::new(Precomputed::new(&p, false)));
            while !s.step(1 << 20) {}
            assert!(s.m > 64, "seed {seed}: |S| = {}", s.m);
            // Every plan, its (latency, cost); the non-dominated set by ascending latency.
            let sizes: Vec<u32> = p.stages.iter().map(|t| t.configs.len() as u32).collect();
            let mut all = Vec::new();
            let mut choice = vec![0u32; sizes.len()];
            'plans: loop {
                let plan = Plan {
                    choice: choice.clone(),
                };
                if let Ok(e) = evaluate(&p, &plan) {
                    all.push((e.guaranteed_latency_s, e.expected_cost_usd));
                }
                for (c, &size) in choice.iter_mut().zip(&sizes) {
                    *c += 1;
                    if *c < size {
                        continue 'plans;
                    }
                    *c = 0;
                }
                break;
            }
            all.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
            let mut want: Vec<(f64, f64)> = Vec::new();
            for (l, c) in all {
                if want.last().is_none_or(|&(_, lc)| c < lc) {
                    want.push((l, c));
                }
            }
            let f = frontier(&p, FrontierSettings::default()).unwrap();
            let got: Vec<(f64, f64)> = f
                .points
                .iter()
                .map(|q| (q.guaranteed_latency_s, q.expected_cost_usd))
                .collect();
            assert_eq!(got, want, "seed {seed}");
            let all = eagerly(|| frontier(&p, FrontierSettings::default()).unwrap());
            assert_eq!(f, all, "seed {seed}");
        }
    }

    #[test]
    fn bit_pattern_selection_equals_the_total_order_one() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 11
        };
        let (mut bits, mut values) = (Vec::new(), Vec::new());
        for case in 0..400 {
            let n = 1 + (next() % 40) as usize;
            let v: Vec<f64> = (0..n)
                .map(|_| match next() % 8 {
                    // Ties, zeros of both signs, negatives and infinities.
                    0 => 0.0,
                    1 if case % 3 == 0 => -0.0,
                    2 if case % 5 == 0 => -((next() % 7) as f64),
                    3 => f64::INFINITY,
                    4 => 1.5,
                    _ => (next() % 1000) as f64 / 7.0,
                })
                .collect();
            for a in 0..n {
                let mut w = v.clone();
                let want = guarantee_in_place(&mut w, a);
                let got = guarantee_bits(&v, a, &mut bits, &mut values);
                assert_eq!(got.to_bits(), want.to_bits(), "{v:?}, a = {a}");
            }
        }
    }
}
