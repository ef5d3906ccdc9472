//! One node of the search: entering a level, trying a candidate, handling a leaf.

use super::{Check, Goal, Search, State, slack};
use crate::stats::guarantee;

impl Search<'_> {
    fn list(&self, d: usize) -> &[u32] {
        let i = self.prep.p.topo[d];
        self.tables.cands[i]
            .get(self.stack.ctx[i])
            .map_or(&[][..], |v| v.as_slice())
    }

    fn descending(&self) -> bool {
        self.goal == Goal::Latency
    }

    fn cost_of(&self, i: usize, j: u32) -> f64 {
        let t = &self.prep.p.stages[i];
        t.expected_cost_usd[self.stack.ctx[i] * t.configs.len() + j as usize]
    }

    /// Sets up level `d`: the context of its stage and the candidate range.
    pub(super) fn enter(&mut self, d: usize) {
        let p = self.prep.p;
        let i = p.topo[d];
        self.stack.ctx[i] = 0;
        if let Some(cx) = &p.stages[i].context {
            let pd = self.stack.dsel[cx.parent];
            match cx.parent_d.iter().position(|&x| x == pd) {
                Some(c) => self.stack.ctx[i] = c,
                None => self.stack.ctx[i] = usize::MAX,
            }
        }
        self.stack.pos[d] = 0;
        self.stack.rest[d] = if self.lim.lat_max < f64::INFINITY {
            self.dynamic_rest(d)
        } else {
            let k = self.prep.k;
            for &j in &p.topo[d + 1..k] {
                self.stack.best_at[d * k + j] = self.tables.minc[j];
            }
            self.tables.min_rem[d + 1]
        };
        let cap = slack(self.lim.mean_max);
        let (base, rest) = (self.stack.partial[d], self.stack.rest[d]);
        let list = self.list(d);
        self.stack.end[d] = if self.descending() {
            list.partition_point(|&j| base + self.cost_of(i, j) + rest <= cap)
        } else {
            list.len()
        };
    }

    fn index(&self, d: usize) -> usize {
        if self.descending() {
            self.stack.end[d] - 1 - self.stack.pos[d]
        } else {
            self.stack.pos[d]
        }
    }

    /// Tries the next candidate of the current level (or backtracks).
    pub(super) fn advance(&mut self) {
        if self.lag.dirty || self.nodes >= self.lag.wake {
            self.refresh_lagrange();
        }
        let d = self.stack.depth;
        if self.stack.pos[d] >= self.stack.end[d] {
            if d == 0 {
                self.state = State::Done;
            } else {
                self.stack.depth -= 1;
                self.stack.pos[d - 1] += 1;
            }
            return;
        }
        let p = self.prep.p;
        let i = p.topo[d];
        let j = self.list(d)[self.index(d)];
        let cost = self.stack.partial[d] + self.cost_of(i, j);
        if !self.descending() {
            // Candidates are in ascending cost order: once one is too dear, all the rest are.
            let lb = cost + self.stack.rest[d];
            if lb > slack(self.lim.mean_max)
                || (lb > self.lim.mean_max && self.forward_cost_exceeds(d, cost, self.lim.mean_max))
            {
                self.stack.end[d] = self.stack.pos[d];
                return;
            }
            let nc = p.stages[i].configs.len();
            if self.lagrange_prunes(d, i, self.stack.ctx[i] * nc + j as usize) {
                self.stack.pos[d] += 1;
                return;
            }
        }
        // A stage sharing a function takes the memory size (and architecture)
        // of its group's member assigned first.
        if !self.prep.tie_ok(i, j, &self.stack.choice) {
            self.stack.pos[d] += 1;
            return;
        }
        self.nodes += 1;
        self.stack.choice[i] = j;
        self.stack.dsel[i] = p.stages[i].configs[j as usize].d;
        if !self.concurrency_partial(d, i) || !self.eval_node(d, i, j) {
            self.stack.pos[d] += 1;
            return;
        }
        if d + 1 < self.prep.k && (self.chain_dp_prunes(d, cost) || self.fan_in_prunes(d, cost)) {
            self.stack.pos[d] += 1;
            return;
        }
        if d + 1 < self.prep.k && !self.budget_ok(d, cost) {
            self.stack.pos[d] += 1;
            return;
        }
        if d + 1 == self.prep.k {
            if !self.leaf(d, cost) {
                self.stack.pos[d] += 1;
            }
            return;
        }
        self.stack.partial[d + 1] = cost;
        self.stack.depth = d + 1;
        self.enter(d + 1);
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
                let assigned = self.prep.depth_of[j] <= d;
                sum += u64::from(if assigned {
                    self.stack.dsel[j]
                } else {
                    self.prep.min_d[j]
                });
            }
            sum <= u64::from(limit)
        })
    }

    /// Fills level `d + 1`'s per-sample arrays; false when the node is pruned.
    fn eval_node(&mut self, d: usize, i: usize, j: u32) -> bool {
        let m = self.tables.m;
        let a = self.prep.a;
        let p = self.prep.p;
        let nc = p.stages[i].configs.len();
        let row = (self.stack.ctx[i] * nc + j as usize) * m;
        let lat_cap = slack(self.lim.lat_max);
        let lat_max = self.lim.lat_max;
        let (prev, next) = ((d * m), (d + 1) * m);
        let mut band = std::mem::take(&mut self.scratch.band);
        band.clear();
        let mut mx = std::mem::take(&mut self.scratch.mx);
        mx.clear();
        mx.resize(m, 0.0);
        for &q in &p.parents[i] {
            for (x, &f) in mx.iter_mut().zip(&self.stack.fin[q * m..(q + 1) * m]) {
                if f > *x {
                    *x = f;
                }
            }
        }
        let lat_row = &self.tables.lat_t[i][row..row + m];
        let tail = &self.tables.tail_t[i * m..(i + 1) * m];
        let fin = &mut self.stack.fin[i * m..(i + 1) * m];
        let (lat_lo, lat_hi) = self.stack.lat.split_at_mut(next);
        let (lb_lo, lb_hi) = self.stack.lb.split_at_mut(next);
        let (lat_prev, lat_next) = (&lat_lo[prev..], &mut lat_hi[..m]);
        let (lb_prev, lb_next) = (&lb_lo[prev..], &mut lb_hi[..m]);
        let mut viol = 0;
        let mut ok = true;
        for t in 0..m {
            let f = mx[t] + lat_row[t];
            fin[t] = f;
            let l = lat_prev[t];
            lat_next[t] = if f > l { f } else { l };
            let g = f + tail[t];
            let b = lb_prev[t];
            let b = if g > b { g } else { b };
            lb_next[t] = b;
            if b > lat_cap {
                viol += 1;
                if viol > a {
                    ok = false;
                    break;
                }
            } else if b > lat_max {
                band.push(t as u32);
            }
        }
        self.scratch.mx = mx;
        if ok && viol + band.len() > a {
            // Within the rounding band the bound cannot decide: re-check those
            // samples with a forward pass, whose sums associate like the checker's.
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
        self.scratch.band = band;
        if !ok {
            return false;
        }
        if self.track_cost {
            let cap = slack(self.lim.costq_max);
            let mut viol = 0;
            for t in 0..m {
                let c = self.stack.pc[prev + t] + self.tables.cost_t[i][row + t];
                self.stack.pc[next + t] = c;
                if c + self.tables.remc_t[next + t] > cap {
                    viol += 1;
                    if viol > a {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Whether every completion of the node at level `d` has a workflow latency above
    /// `cap` on sample `t` (a position in S). The later stages run at their least
    /// latency on `t`, in topological order, with the checker's operations: rounding
    /// is monotone, so the result never exceeds any completion's exact latency and
    /// the comparison needs no slack.
    fn forward_exceeds(&mut self, d: usize, t: usize, cap: f64) -> bool {
        let p = self.prep.p;
        let (m, k) = (self.tables.m, self.prep.k);
        let fwd = &mut self.scratch.fwd;
        fwd.resize(k, 0.0);
        let mut lat = self.stack.lat[(d + 1) * m + t];
        for &j in &p.topo[d + 1..k] {
            let mut h = 0.0;
            for &q in &p.parents[j] {
                let f = if self.prep.depth_of[q] <= d {
                    self.stack.fin[q * m + t]
                } else {
                    fwd[q]
                };
                if f > h {
                    h = f;
                }
            }
            let f = h + self.tables.minl_t[j * m + t];
            fwd[j] = f;
            if f > lat {
                lat = f;
            }
        }
        lat > cap
    }

    /// Whether every completion of the node at level `d` whose plan so far costs
    /// `cost` costs more than `cap`: the later stages at their least admissible
    /// costs (`best_at`), summed in the checker's order, so no slack is needed.
    fn forward_cost_exceeds(&self, d: usize, cost: f64, cap: f64) -> bool {
        let (k, p) = (self.prep.k, self.prep.p);
        let mut c = cost;
        for &j in &p.topo[d + 1..k] {
            c += self.stack.best_at[d * k + j];
        }
        c > cap
    }

    /// Handles a complete plan; returns true when the search restarted.
    fn leaf(&mut self, d: usize, cost: f64) -> bool {
        let m = self.tables.m;
        let a = self.prep.a;
        let next = (d + 1) * m;
        let exceed = |v: &[f64], cap: f64| v.iter().filter(|&&x| x > cap).count();
        if cost > self.lim.mean_max
            || exceed(&self.stack.lat[next..next + m], self.lim.lat_max) > a
            || (self.track_cost && exceed(&self.stack.pc[next..next + m], self.lim.costq_max) > a)
        {
            return false;
        }
        let choice = self.stack.choice.clone();
        let ctx = self.stack.ctx.clone();
        match self.check_full(&choice, &ctx) {
            Check::Accepted | Check::Rejected => false,
            Check::Violated(add) if add.is_empty() => false,
            Check::Violated(add) => {
                self.add_samples(&add);
                self.rounds += 1;
                self.state = State::Start;
                self.filter();
                true
            }
        }
    }

    /// Least expected cost of the stages after level `d`, given the stages before it:
    /// each later stage's cheapest configuration that can still meet the latency
    /// limit on S when its start is the earliest the assigned stages allow
    /// (`dh`: assigned parents' finish times, else earliest start plus least latency).
    fn dynamic_rest(&mut self, d: usize) -> f64 {
        let p = self.prep.p;
        let (m, k, a) = (self.tables.m, self.prep.k, self.prep.a);
        let cap = slack(self.lim.lat_max);
        for &j in &p.topo[d..] {
            for t in 0..m {
                let mut h = 0.0;
                for &q in &p.parents[j] {
                    let v = if self.prep.depth_of[q] < d {
                        self.stack.fin[q * m + t]
                    } else {
                        self.scratch.dh[q * m + t] + self.tables.minl_t[q * m + t]
                    };
                    if v > h {
                        h = v;
                    }
                }
                self.scratch.dh[j * m + t] = h;
            }
        }
        let slots = self.prep.slot_of[k];
        let mut total = 0.0;
        for &j in &p.topo[d + 1..k] {
            let t = &p.stages[j];
            let nc = t.configs.len();
            let fixed = t.context.as_ref().and_then(|cx| {
                (self.prep.depth_of[cx.parent] < d).then(|| {
                    let pd = self.stack.dsel[cx.parent];
                    cx.parent_d
                        .iter()
                        .position(|&x| x == pd)
                        .unwrap_or(usize::MAX)
                })
            });
            let mut best = f64::INFINITY;
            for (c, list) in self.tables.cands[j].iter().enumerate() {
                let slot = self.prep.slot_of[j] + c;
                // Later levels only add finish times, so configurations the parent
                // level proved infeasible stay infeasible: resume after them.
                let from = if d == 0 {
                    0
                } else {
                    self.stack.scan[(d - 1) * slots + slot]
                };
                let mut at = from as usize;
                if fixed.is_none_or(|f| f == c) {
                    while at < list.len() {
                        let cfg = list[at] as usize;
                        let cost = t.expected_cost_usd[c * nc + cfg];
                        if cost >= best {
                            break;
                        }
                        let row = (c * nc + cfg) * m;
                        if self.fits(j, row, cap, a) {
                            best = cost;
                            break;
                        }
                        at += 1;
                    }
                }
                self.stack.scan[d * slots + slot] = at as u32;
            }
            self.stack.best_at[d * k + j] = best;
            total += best;
        }
        total
    }

    /// Whether a configuration (table row offset `row`) of stage `j` can meet `cap`
    /// on S when it starts at the dynamic head.
    fn fits(&self, j: usize, row: usize, cap: f64, a: usize) -> bool {
        let m = self.tables.m;
        let lat = &self.tables.lat_t[j][row..row + m];
        let dh = &self.scratch.dh[j * m..(j + 1) * m];
        let tail = &self.tables.tail_t[j * m..(j + 1) * m];
        let mut viol = 0;
        for u in 0..m {
            if dh[u] + lat[u] + tail[u] > cap {
                viol += 1;
                if viol > a {
                    return false;
                }
            }
        }
        true
    }

    /// Lower bound on every plan below the open candidates of level `d`.
    pub(super) fn level_bound(&mut self, d: usize) -> f64 {
        let m = self.tables.m;
        let a = self.prep.a;
        let slot = d * m;
        match self.goal {
            Goal::Cost => {
                if self.state == State::Start {
                    return self.tables.min_rem[0];
                }
                let i = self.prep.p.topo[d];
                let j = self.list(d)[self.stack.pos[d]];
                self.stack.partial[d] + self.cost_of(i, j) + self.stack.rest[d]
            }
            _ if a >= m => 0.0,
            Goal::Latency => {
                let v = self.stack.lb[slot..slot + m].to_vec();
                guarantee(&v, a, &mut self.scratch.values)
            }
            Goal::CostQuantile => {
                let v: Vec<f64> = (0..m)
                    .map(|t| self.stack.pc[slot + t] + self.tables.remc_t[slot + t])
                    .collect();
                guarantee(&v, a, &mut self.scratch.values)
            }
        }
    }
}
