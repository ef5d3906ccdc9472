//! One node of the search: entering a level, trying a candidate, handling a leaf.

use super::{Check, Goal, Search, State, slack};
use crate::stats::guarantee;

impl Search<'_> {
    fn list(&self, d: usize) -> &[u32] {
        let i = self.prep.p.topo[d];
        self.cands[i]
            .get(self.ctx[i])
            .map_or(&[][..], |v| v.as_slice())
    }

    fn descending(&self) -> bool {
        self.goal == Goal::Latency
    }

    fn cost_of(&self, i: usize, j: u32) -> f64 {
        let t = &self.prep.p.stages[i];
        t.expected_cost_usd[self.ctx[i] * t.configs.len() + j as usize]
    }

    /// Sets up level `d`: the context of its stage and the candidate range.
    pub(super) fn enter(&mut self, d: usize) {
        let p = self.prep.p;
        let i = p.topo[d];
        self.ctx[i] = 0;
        if let Some(cx) = &p.stages[i].context {
            let pd = self.dsel[cx.parent];
            match cx.parent_d.iter().position(|&x| x == pd) {
                Some(c) => self.ctx[i] = c,
                None => self.ctx[i] = usize::MAX,
            }
        }
        self.pos[d] = 0;
        self.rest[d] = if self.lim.lat_max < f64::INFINITY {
            self.dynamic_rest(d)
        } else {
            let k = self.prep.k;
            for &j in &p.topo[d + 1..k] {
                self.best_at[d * k + j] = self.minc[j];
            }
            self.min_rem[d + 1]
        };
        let cap = slack(self.lim.mean_max);
        let (base, rest) = (self.partial[d], self.rest[d]);
        let list = self.list(d);
        self.end[d] = if self.descending() {
            list.partition_point(|&j| base + self.cost_of(i, j) + rest <= cap)
        } else {
            list.len()
        };
    }

    fn index(&self, d: usize) -> usize {
        if self.descending() {
            self.end[d] - 1 - self.pos[d]
        } else {
            self.pos[d]
        }
    }

    /// Tries the next candidate of the current level (or backtracks).
    pub(super) fn advance(&mut self) {
        let d = self.depth;
        if self.pos[d] >= self.end[d] {
            if d == 0 {
                self.state = State::Done;
            } else {
                self.depth -= 1;
                self.pos[d - 1] += 1;
            }
            return;
        }
        let p = self.prep.p;
        let i = p.topo[d];
        let j = self.list(d)[self.index(d)];
        let cost = self.partial[d] + self.cost_of(i, j);
        if !self.descending() && cost + self.rest[d] > slack(self.lim.mean_max) {
            self.end[d] = self.pos[d];
            return;
        }
        self.nodes += 1;
        self.choice[i] = j;
        self.dsel[i] = p.stages[i].configs[j as usize].d;
        if !self.concurrency_partial(d, i) || !self.eval_node(d, i, j) {
            self.pos[d] += 1;
            return;
        }
        if d + 1 < self.prep.k && !self.budget_ok(d, cost) {
            self.pos[d] += 1;
            return;
        }
        if d + 1 == self.prep.k {
            if !self.leaf(d, cost) {
                self.pos[d] += 1;
            }
            return;
        }
        self.partial[d + 1] = cost;
        self.depth = d + 1;
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
                let assigned = self.depth_of[j] <= d;
                sum += u64::from(if assigned {
                    self.dsel[j]
                } else {
                    self.prep.min_d[j]
                });
            }
            sum <= u64::from(limit)
        })
    }

    /// Fills level `d + 1`'s per-sample arrays; false when the node is pruned.
    fn eval_node(&mut self, d: usize, i: usize, j: u32) -> bool {
        let m = self.m;
        let a = self.prep.a;
        let p = self.prep.p;
        let nc = p.stages[i].configs.len();
        let row = (self.ctx[i] * nc + j as usize) * m;
        let lat_cap = slack(self.lim.lat_max);
        let (prev, next) = ((d * m), (d + 1) * m);
        let mut mx = std::mem::take(&mut self.mx);
        mx.clear();
        mx.resize(m, 0.0);
        for &q in &p.parents[i] {
            for (x, &f) in mx.iter_mut().zip(&self.fin[q * m..(q + 1) * m]) {
                if f > *x {
                    *x = f;
                }
            }
        }
        let lat_row = &self.lat_t[i][row..row + m];
        let tail = &self.tail_t[i * m..(i + 1) * m];
        let fin = &mut self.fin[i * m..(i + 1) * m];
        let (lat_lo, lat_hi) = self.lat.split_at_mut(next);
        let (lb_lo, lb_hi) = self.lb.split_at_mut(next);
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
            }
        }
        self.mx = mx;
        if !ok {
            return false;
        }
        if self.track_cost {
            let cap = slack(self.lim.costq_max);
            let mut viol = 0;
            for t in 0..m {
                let c = self.pc[prev + t] + self.cost_t[i][row + t];
                self.pc[next + t] = c;
                if c + self.remc_t[next + t] > cap {
                    viol += 1;
                    if viol > a {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Handles a complete plan; returns true when the search restarted.
    fn leaf(&mut self, d: usize, cost: f64) -> bool {
        let m = self.m;
        let a = self.prep.a;
        let next = (d + 1) * m;
        let exceed = |v: &[f64], cap: f64| v.iter().filter(|&&x| x > cap).count();
        if cost > self.lim.mean_max
            || exceed(&self.lat[next..next + m], self.lim.lat_max) > a
            || (self.track_cost && exceed(&self.pc[next..next + m], self.lim.costq_max) > a)
        {
            return false;
        }
        let choice = self.choice.clone();
        let ctx = self.ctx.clone();
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
        let (m, k, a) = (self.m, self.prep.k, self.prep.a);
        let cap = slack(self.lim.lat_max);
        for &j in &p.topo[d..] {
            for t in 0..m {
                let mut h = 0.0;
                for &q in &p.parents[j] {
                    let v = if self.depth_of[q] < d {
                        self.fin[q * m + t]
                    } else {
                        self.dh[q * m + t] + self.minl_t[q * m + t]
                    };
                    if v > h {
                        h = v;
                    }
                }
                self.dh[j * m + t] = h;
            }
        }
        let slots = self.slot_of[k];
        let mut total = 0.0;
        for &j in &p.topo[d + 1..k] {
            let t = &p.stages[j];
            let nc = t.configs.len();
            let fixed = t.context.as_ref().and_then(|cx| {
                (self.depth_of[cx.parent] < d).then(|| {
                    let pd = self.dsel[cx.parent];
                    cx.parent_d
                        .iter()
                        .position(|&x| x == pd)
                        .unwrap_or(usize::MAX)
                })
            });
            let mut best = f64::INFINITY;
            for (c, list) in self.cands[j].iter().enumerate() {
                let slot = self.slot_of[j] + c;
                // Later levels only add finish times, so configurations the parent
                // level proved infeasible stay infeasible: resume after them.
                let from = if d == 0 {
                    0
                } else {
                    self.scan[(d - 1) * slots + slot]
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
                self.scan[d * slots + slot] = at as u32;
            }
            self.best_at[d * k + j] = best;
            total += best;
        }
        total
    }

    /// Whether a configuration (table row offset `row`) of stage `j` can meet `cap`
    /// on S when it starts at the dynamic head.
    fn fits(&self, j: usize, row: usize, cap: f64, a: usize) -> bool {
        let m = self.m;
        let lat = &self.lat_t[j][row..row + m];
        let dh = &self.dh[j * m..(j + 1) * m];
        let tail = &self.tail_t[j * m..(j + 1) * m];
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
        let m = self.m;
        let a = self.prep.a;
        let slot = d * m;
        match self.goal {
            Goal::Cost => {
                if self.state == State::Start {
                    return self.min_rem[0];
                }
                let i = self.prep.p.topo[d];
                let j = self.list(d)[self.pos[d]];
                self.partial[d] + self.cost_of(i, j) + self.rest[d]
            }
            _ if a >= m => 0.0,
            Goal::Latency => {
                let v = self.lb[slot..slot + m].to_vec();
                guarantee(&v, a, &mut self.scratch)
            }
            Goal::CostQuantile => {
                let v: Vec<f64> = (0..m)
                    .map(|t| self.pc[slot + t] + self.remc_t[slot + t])
                    .collect();
                guarantee(&v, a, &mut self.scratch)
            }
        }
    }
}
