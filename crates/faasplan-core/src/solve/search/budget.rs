//! The cost-budget latency bound: a remaining stage can only use configurations it
//! can afford, and the fastest affordable one bounds its latency from below.
//!
//! At a node whose plan so far costs `c`, every completion that meets the cost limit
//! `C` gives each remaining stage `j` at most `C − c − Σ_{i ≠ j remaining} min_cost_i`,
//! with `min_cost_i` the least cost of a configuration of `i` that can still meet the
//! latency limit (see `dynamic_rest`).
//! Candidates are sorted by cost, so the affordable ones are a prefix of the list,
//! and `pm_j[r](t)` (the least latency of the first `r + 1` candidates on sample `t`)
//! bounds stage `j`'s latency. A forward pass from the assigned finish times with
//! these latencies bounds the workflow latency per sample; the node is pruned when
//! more than `a` samples exceed the latency limit. A stage whose context is not yet
//! known uses its least latency over all configurations instead.

use super::{Search, slack};

/// Prefix minima of the candidate lists: `pm[stage][ctx][r * m + t]`.
pub(crate) fn prefix_minima(
    lists: &[Vec<Vec<u32>>],
    lat: &[Vec<f64>],
    ncfg: &[usize],
    m: usize,
) -> Vec<Vec<Vec<f64>>> {
    lists
        .iter()
        .enumerate()
        .map(|(j, per_ctx)| {
            per_ctx
                .iter()
                .enumerate()
                .map(|(c, list)| {
                    let mut out = Vec::with_capacity(list.len() * m);
                    let mut cur = vec![f64::INFINITY; m];
                    for &cfg in list {
                        let row = (c * ncfg[j] + cfg as usize) * m;
                        for (x, &v) in cur.iter_mut().zip(&lat[j][row..row + m]) {
                            if v < *x {
                                *x = v;
                            }
                        }
                        out.extend_from_slice(&cur);
                    }
                    out
                })
                .collect()
        })
        .collect()
}

impl Search<'_> {
    /// False when no completion of the node at level `d` (plan cost `cost`) can meet
    /// both the cost and the latency limits on S.
    pub(super) fn budget_ok(&mut self, d: usize, cost: f64) -> bool {
        let p = self.prep.p;
        let (m, k, a) = (self.tables.m, self.prep.k, self.prep.a);
        // Least costs of the later stages given the levels before `d` (`dynamic_rest`).
        let room = slack(self.lim.mean_max) - cost - self.stack.rest[d];
        if room.is_nan() || room == f64::INFINITY {
            return true;
        }
        // When every later stage can afford its whole list the pass adds nothing to
        // the node's own least-latency bound: skip it.
        let restricted = p.topo[d + 1..k].iter().any(|&j| {
            let t = &p.stages[j];
            let c = match &t.context {
                None => 0,
                Some(cx) if self.prep.depth_of[cx.parent] <= d => self.ctx_for(j, cx.parent),
                Some(_) => return false,
            };
            self.tables.cands[j].get(c).is_none_or(|list| {
                list.last().is_none_or(|&x| {
                    t.expected_cost_usd[c * t.configs.len() + x as usize]
                        > self.stack.best_at[d * k + j] + room
                })
            })
        });
        if !restricted {
            return true;
        }
        let cap = slack(self.lim.lat_max);
        for &j in &p.topo[d + 1..k] {
            let t = &p.stages[j];
            let nc = t.configs.len();
            let ctx = match &t.context {
                None => Some(0),
                Some(cx) if self.prep.depth_of[cx.parent] <= d => Some(self.ctx_for(j, cx.parent)),
                Some(_) => None,
            };
            let lat: &[f64] = match ctx {
                Some(usize::MAX) => return false,
                Some(c) => {
                    let list = &self.tables.cands[j][c];
                    let allowed = self.stack.best_at[d * k + j] + room;
                    let r = list
                        .partition_point(|&x| t.expected_cost_usd[c * nc + x as usize] <= allowed);
                    if r == 0 {
                        return false;
                    }
                    &self.tables.pm[j][c][(r - 1) * m..r * m]
                }
                None => &self.tables.minl_t[j * m..(j + 1) * m],
            };
            let mut viol = 0;
            for (u, &l) in lat.iter().enumerate() {
                let mut h = 0.0;
                for &q in &p.parents[j] {
                    let f = if self.prep.depth_of[q] <= d {
                        self.stack.fin[q * m + u]
                    } else {
                        self.scratch.fin2[q * m + u]
                    };
                    if f > h {
                        h = f;
                    }
                }
                let f = h + l;
                self.scratch.fin2[j * m + u] = f;
                if f + self.tables.tail_t[j * m + u] > cap {
                    viol += 1;
                }
            }
            if viol > a {
                return false;
            }
        }
        true
    }

    fn ctx_for(&self, j: usize, parent: usize) -> usize {
        let pd = self.stack.dsel[parent];
        self.prep.p.stages[j]
            .context
            .as_ref()
            .and_then(|cx| cx.parent_d.iter().position(|&x| x == pd))
            .unwrap_or(usize::MAX)
    }
}
