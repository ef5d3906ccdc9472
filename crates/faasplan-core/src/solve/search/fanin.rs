//! The fan-in cost bound (`a = 0`): parallel branches into one sink are independent
//! once the sink's configuration is fixed.
//!
//! It applies from the level `L` on when the stages at levels `L..k−1` all have the
//! last stage (the sink) as their only child and only parents assigned before `L`
//! (a fan-out `0 → {1, …, K−2} → K−1` from level 1). At a node of level `L − 1` the
//! start of every such branch stage is known on S; for each candidate row `s` of the
//! sink, a branch stage with row `r` can only be part of a plan meeting the limit `B`
//! if `(start(t) + l_r(t)) + l_s(t) ≤ B` on every sample of S (with `a = 0`; the sink
//! finishes no earlier, and these are the checker's own additions, so the test is
//! exact). The cheapest such row of each branch is found once per node of level
//! `L − 1`; a node deeper down then costs at least
//! `min_s (c_s + Σ_{later branches} cheapest(s, j))` over the sink rows still
//! compatible with the branches assigned so far (a mask, narrowed per level). That is
//! the exact least completion cost on S up to the concurrency limit, so long fan-outs
//! need no enumeration of branch combinations that cannot win.
//!
//! A node is pruned when no sink row is left, or its cost plus the bound exceeds the
//! cost limit by more than a relative 1e-9 (above the rounding of the sums). Every plan
//! it removes is infeasible on S or dearer than the limit, so the answers (values and
//! plans) are those of the search without it.

use super::{Goal, Search};
use crate::solve::precomputed::Precomputed;
use std::collections::HashMap;

/// Relative margin of the pruning test.
const MARGIN: f64 = 1e-9;

/// The bound's state for one search.
#[derive(Default)]
pub(crate) struct FanIn {
    /// The first branch level `L` (`usize::MAX`: the bound does not apply).
    from: usize,
    /// Candidate rows of the sink (every context), and their costs.
    rows: Vec<usize>,
    costs: Vec<f64>,
    /// `rem[s * (k + 1) + e]`: the later branches' cheapest costs from level `e` on,
    /// with sink row `s` (for the current node of level `L − 1`).
    rem: Vec<f64>,
    /// Sink rows compatible with the branches assigned so far, per level: `[d * words + w]`.
    mask: Vec<u64>,
    words: usize,
    /// Start of the branch stages on S, `[t]` (scratch).
    start: Vec<f64>,
    /// Per sink row, its least and largest latency on S (scratch).
    sink_lo: Vec<f64>,
    sink_hi: Vec<f64>,
    /// Per candidate row of one branch, its latest `start + l` on S (scratch).
    vmax: Vec<f64>,
    /// Per assignment of the levels before `L` (their configurations), each
    /// (branch, sink row)'s first fitting candidate position and the size of S it was
    /// verified on, `[(e − L) * rows + s]`. Valid for one latency limit (`memo_lim`):
    /// S only grows within a search, so a candidate refuted on S stays refuted and a
    /// fitting one needs checking on the new samples only.
    memo: HashMap<Vec<u32>, Vec<(u32, u32)>>,
    memo_lim: u64,
    /// The key of the current node of level `L − 1` (scratch).
    key: Vec<u32>,
}

/// Bytes of remembered scan positions before the memo is cleared.
const MEMO_BYTES: usize = 16 << 20;

/// The first branch level, or `usize::MAX`.
fn branch_start(prep: &Precomputed<'_>) -> usize {
    let (p, k) = (prep.p, prep.k);
    if k < 4 {
        return usize::MAX;
    }
    let sink = p.topo[k - 1];
    let mut children = vec![Vec::new(); k];
    for &i in &p.topo {
        for &q in &p.parents[i] {
            children[q].push(i);
        }
    }
    // Grow the branch levels down from k − 2 while they stay valid.
    let ok = |e: usize, from: usize| {
        let x = p.topo[e];
        children[x] == [sink] && p.parents[x].iter().all(|&q| prep.depth_of[q] < from)
    };
    let mut best = usize::MAX;
    for from in (1..k - 1).rev() {
        if (from..k - 1).all(|e| ok(e, from)) {
            best = from;
        }
    }
    // At least two branches, else the other bounds see as much.
    if best < k.saturating_sub(2) {
        best
    } else {
        usize::MAX
    }
}

/// Whether the bound is switched off (only the unit tests switch it off, to compare).
#[cfg(test)]
fn switched_off() -> bool {
    super::chaindp::tests::OFF.with(std::cell::Cell::get)
}

#[cfg(not(test))]
fn switched_off() -> bool {
    false
}

impl FanIn {
    pub(crate) fn new(prep: &Precomputed<'_>) -> Self {
        FanIn {
            from: branch_start(prep),
            ..FanIn::default()
        }
    }
}

impl Search<'_> {
    /// Whether the node that just assigned level `d` (plan cost `cost`) can be pruned.
    pub(super) fn fan_in_prunes(&mut self, d: usize, cost: f64) -> bool {
        let lat_max = self.lim.lat_max;
        let from = self.fan.from;
        if from == usize::MAX
            || d + 1 < from
            || d + 1 >= self.prep.k
            || self.goal != Goal::Cost
            || self.prep.a != 0
            || !lat_max.is_finite()
            || switched_off()
        {
            return false;
        }
        if d + 1 == from {
            self.fan_in_tables(d);
        } else {
            self.fan_in_narrow(d);
        }
        let fan = &self.fan;
        let k = self.prep.k;
        let words = fan.words;
        let mut best = f64::INFINITY;
        for (w, &bits) in fan.mask[d * words..(d + 1) * words].iter().enumerate() {
            let mut b = bits;
            while b != 0 {
                let s = w * 64 + b.trailing_zeros() as usize;
                b &= b - 1;
                let v = fan.costs[s] + fan.rem[s * (k + 1) + d + 1];
                if v < best {
                    best = v;
                }
            }
        }
        if best == f64::INFINITY {
            return true;
        }
        let lim = self.lim.mean_max;
        lim.is_finite() && cost + best > lim + lim.abs() * MARGIN
    }

    /// At a node of level `d = L − 1`: the sink rows, each branch's cheapest row per
    /// sink row, and the sink rows compatible with the assigned sink parents.
    fn fan_in_tables(&mut self, d: usize) {
        let prep = &*self.prep;
        let (p, k, m) = (prep.p, prep.k, self.tables.m);
        let lat_max = self.lim.lat_max;
        let sink = p.topo[k - 1];
        let fan = &mut self.fan;
        let st = &p.stages[sink];
        let nc = st.configs.len();
        fan.rows.clear();
        fan.costs.clear();
        for (c, list) in self.tables.cands[sink].iter().enumerate() {
            for &j in list {
                let r = c * nc + j as usize;
                fan.rows.push(r);
                fan.costs.push(st.expected_cost_usd[r]);
            }
        }
        let ns = fan.rows.len();
        fan.words = ns.div_ceil(64).max(1);
        let words = fan.words;
        fan.mask.resize(k * words, 0);
        fan.rem.clear();
        fan.rem.resize(ns * (k + 1), 0.0);
        let sink_lat = &self.tables.lat_t[sink];
        // Sink rows compatible with the assigned sink parents.
        let mask = &mut fan.mask[d * words..(d + 1) * words];
        mask.fill(0);
        for (si, &r) in fan.rows.iter().enumerate() {
            let ls = &sink_lat[r * m..(r + 1) * m];
            let ok = p.parents[sink]
                .iter()
                .filter(|&&q| prep.depth_of[q] <= d)
                .all(|&q| {
                    let f = &self.stack.fin[q * m..(q + 1) * m];
                    f.iter().zip(ls).all(|(&x, &y)| x + y <= lat_max)
                });
            if ok {
                mask[si / 64] |= 1 << (si % 64);
            }
        }
        // The remembered scan positions of this assignment (cleared when the limit changes).
        let branches = k - 1 - (d + 1);
        let entry = (branches * ns).max(1) * std::mem::size_of::<(u32, u32)>() + 4 * (d + 1);
        if fan.memo_lim != lat_max.to_bits() || (fan.memo.len() + 1) * entry > MEMO_BYTES {
            fan.memo.clear();
            fan.memo_lim = lat_max.to_bits();
        }
        fan.key.clear();
        fan.key
            .extend(p.topo[..=d].iter().map(|&i| self.stack.choice[i]));
        let mut memo = fan
            .memo
            .remove(&fan.key)
            .filter(|v| v.len() == branches * ns)
            .unwrap_or_else(|| vec![(0, 0); branches * ns]);
        // Each sink row's range on S (computed on first need): with the rounded addition
        // monotone in each argument, `v + hi ≤ B` (v the branch row's latest `start + l`)
        // proves the fit on every sample and `v + lo > B` refutes it (at the sample of
        // `v`), so the per-sample test runs only in between.
        fan.sink_lo.clear();
        fan.sink_hi.clear();
        // Each later branch's cheapest row per sink row, summed from the last level.
        for e in (d + 1..k - 1).rev() {
            let j = p.topo[e];
            let t = &p.stages[j];
            let ncj = t.configs.len();
            let ctx = match &t.context {
                None => 0,
                Some(cx) => {
                    let pd = self.stack.dsel[cx.parent];
                    cx.parent_d
                        .iter()
                        .position(|&x| x == pd)
                        .unwrap_or(usize::MAX)
                }
            };
            fan.start.clear();
            fan.start.resize(m, 0.0);
            for &q in &p.parents[j] {
                for (x, &f) in fan
                    .start
                    .iter_mut()
                    .zip(&self.stack.fin[q * m..(q + 1) * m])
                {
                    if f > *x {
                        *x = f;
                    }
                }
            }
            let list: &[u32] = self.tables.cands[j].get(ctx).map_or(&[], |v| v.as_slice());
            let lat = &self.tables.lat_t[j];
            fan.vmax.clear();
            for (si, &r) in fan.rows.iter().enumerate() {
                let ls = &sink_lat[r * m..(r + 1) * m];
                let slot = &mut memo[(e - d - 1) * ns + si];
                let mut at = slot.0 as usize;
                let mut c = f64::INFINITY;
                if slot.1 > 0 && at < list.len() {
                    // The remembered candidate fitted on the first `slot.1` samples.
                    let row = ctx * ncj + list[at] as usize;
                    let lr = &lat[row * m..(row + 1) * m];
                    let from = (slot.1 as usize).min(m);
                    if (from..m).all(|u| (fan.start[u] + lr[u]) + ls[u] <= lat_max) {
                        c = t.expected_cost_usd[row];
                    } else {
                        at += 1;
                    }
                }
                if c == f64::INFINITY && at < list.len() {
                    if fan.vmax.is_empty() {
                        for &x in list {
                            let row = ctx * ncj + x as usize;
                            let lr = &lat[row * m..(row + 1) * m];
                            let mut v = f64::NEG_INFINITY;
                            for (&s, &l) in fan.start.iter().zip(lr) {
                                let f = s + l;
                                if f > v {
                                    v = f;
                                }
                            }
                            fan.vmax.push(v);
                        }
                    }
                    if fan.sink_lo.is_empty() {
                        for &r in &fan.rows {
                            let ls = &sink_lat[r * m..(r + 1) * m];
                            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                            for &y in ls {
                                if y < lo {
                                    lo = y;
                                }
                                if y > hi {
                                    hi = y;
                                }
                            }
                            fan.sink_lo.push(lo);
                            fan.sink_hi.push(hi);
                        }
                    }
                    let (lo, hi) = (fan.sink_lo[si], fan.sink_hi[si]);
                    while at < list.len() {
                        let v = fan.vmax[at];
                        if v + lo <= lat_max {
                            let row = ctx * ncj + list[at] as usize;
                            let fits = v + hi <= lat_max || {
                                let lr = &lat[row * m..(row + 1) * m];
                                (0..m).all(|u| (fan.start[u] + lr[u]) + ls[u] <= lat_max)
                            };
                            if fits {
                                c = t.expected_cost_usd[row];
                                break;
                            }
                        }
                        at += 1;
                    }
                }
                #[cfg(test)]
                memo_check::check(
                    slot.1 as usize,
                    m,
                    (at, c),
                    first_fit(list, |x| {
                        let row = ctx * ncj + x as usize;
                        let lr = &lat[row * m..(row + 1) * m];
                        (0..m)
                            .all(|u| (fan.start[u] + lr[u]) + ls[u] <= lat_max)
                            .then(|| t.expected_cost_usd[row])
                    }),
                );
                #[allow(clippy::cast_possible_truncation)]
                {
                    *slot = (at as u32, m as u32);
                }
                fan.rem[si * (k + 1) + e] = fan.rem[si * (k + 1) + e + 1] + c;
            }
        }
        let key = std::mem::take(&mut fan.key);
        fan.memo.insert(key, memo);
    }

    /// At a node of level `d ≥ L`: the parent level's sink rows that remain
    /// compatible with the branch just assigned.
    fn fan_in_narrow(&mut self, d: usize) {
        let prep = &*self.prep;
        let (p, k, m) = (prep.p, prep.k, self.tables.m);
        let lat_max = self.lim.lat_max;
        let sink = p.topo[k - 1];
        let i = p.topo[d];
        let fan = &mut self.fan;
        let words = fan.words;
        let (lo, hi) = fan.mask.split_at_mut(d * words);
        let prev = &lo[(d - 1) * words..];
        let cur = &mut hi[..words];
        let f = &self.stack.fin[i * m..(i + 1) * m];
        let sink_lat = &self.tables.lat_t[sink];
        for w in 0..words {
            let mut out = prev[w];
            let mut b = prev[w];
            while b != 0 {
                let si = w * 64 + b.trailing_zeros() as usize;
                b &= b - 1;
                let r = fan.rows[si];
                let ls = &sink_lat[r * m..(r + 1) * m];
                if !f.iter().zip(ls).all(|(&x, &y)| x + y <= lat_max) {
                    out &= !(1 << (si % 64));
                }
            }
            cur[w] = out;
        }
    }
}

/// The first candidate of `list` that `fits` (its cost), and its position; past the
/// end with an infinite cost when none does. The plain scan the memo and the range
/// tests must agree with.
#[cfg(test)]
fn first_fit(list: &[u32], fits: impl Fn(u32) -> Option<f64>) -> (usize, f64) {
    list.iter()
        .enumerate()
        .find_map(|(at, &x)| fits(x).map(|c| (at, c)))
        .unwrap_or((list.len(), f64::INFINITY))
}

/// Checks every scan of [`FanIn`] against [`first_fit`] on the whole of S, when
/// switched on in this thread, and counts the remembered positions used.
#[cfg(test)]
pub(crate) mod memo_check {
    use std::cell::Cell;

    thread_local! {
        static ON: Cell<bool> = const { Cell::new(false) };
        /// Scans that started from a remembered position, and those of them made
        /// after S grew (the position verified on fewer samples than S has now).
        static USED: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }

    /// Runs `f` with the check on; returns its value and the remembered positions used.
    pub(crate) fn with<T>(f: impl FnOnce() -> T) -> (T, (u64, u64)) {
        ON.with(|c| c.set(true));
        USED.with(|c| c.set((0, 0)));
        let out = f();
        ON.with(|c| c.set(false));
        (out, USED.with(Cell::get))
    }

    /// `got` (position, cost) of a scan whose remembered position was verified on
    /// `verified` of the `m` samples, against the plain scan's `want`.
    pub(super) fn check(verified: usize, m: usize, got: (usize, f64), want: (usize, f64)) {
        if !ON.with(Cell::get) {
            return;
        }
        if verified > 0 {
            USED.with(|c| {
                let (n, grown) = c.get();
                c.set((n + 1, grown + u64::from(verified < m)));
            });
        }
        assert_eq!(
            (got.0, got.1.to_bits()),
            (want.0, want.1.to_bits()),
            "the fan-in scan (remembered on {verified} of {m} samples) is not the first fitting candidate"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::memo_check;
    use crate::settings::Bound;
    use crate::solve::frontier::{FrontierSettings, frontier};
    use crate::solve::synthetic::{Topology, scaled};
    use crate::solve::{SolveSettings, solve};

    /// Every scan of the fan-in bound, remembered or not, finds the cheapest branch row
    /// that fits on all of S: the bound is the exact least completion cost, never more.
    /// The frontier sweeps and the solves below grow S within a search, so the memo's
    /// positions are used after S grew (counted, so the check cannot pass unused).
    #[test]
    fn the_fan_in_scans_and_their_memo_find_the_first_fitting_row() {
        let mut used = (0, 0);
        for seed in 1..4 {
            for (stages, configs, n) in [(6, 8, 200), (8, 16, 300), (10, 4, 500)] {
                let p = scaled(Topology::FanOut, stages, configs, n, seed);
                let (f, u) = memo_check::with(|| frontier(&p, FrontierSettings::default()));
                let f = f.unwrap();
                used = (used.0 + u.0, used.1 + u.1);
                for point in f.points.iter().step_by(5) {
                    let s = SolveSettings {
                        bound: Bound::Latency {
                            max_s: point.guaranteed_latency_s,
                        },
                        max_nodes: None,
                    };
                    let (r, u) = memo_check::with(|| solve(&p, s));
                    assert!(r.is_ok());
                    used = (used.0 + u.0, used.1 + u.1);
                }
            }
        }
        assert!(used.0 > 0, "remembered positions were used: {used:?}");
        assert!(used.1 > 0, "and used after S grew: {used:?}");
    }
}
