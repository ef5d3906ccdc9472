//! Checking plans on all samples: leaf acceptance, offered warm starts, screens.
//!
//! A plan is accepted as incumbent only here, after the exact check on every sample
//! (latency and per-sample cost violations at most `a`, expected cost within the
//! limit); the objective's limit then tightens to the largest float below its value.

use super::{Goal, Incumbent, Search, State, below};
use crate::solve::eval::{expected_cost, latencies, sample_costs};
use crate::stats::guarantee;

impl Search<'_> {
    /// Offers a plan as incumbent: kept when it is feasible on all samples and better.
    pub(crate) fn offer(&mut self, choice: &[u32]) -> bool {
        let Ok(ctx) = self.prep.p.contexts(choice) else {
            return false;
        };
        if !self.concurrency_ok(choice) || !self.prep.p.ties_hold(choice) {
            return false;
        }
        matches!(self.check_full(choice, &ctx), Check::Accepted)
    }

    /// Guaranteed latency of a plan on all samples (`None` for an invalid plan).
    pub(crate) fn guaranteed_latency(&mut self, choice: &[u32]) -> Option<f64> {
        let p = self.prep.p;
        let ctx = p.contexts(choice).ok()?;
        let mut lat = Vec::new();
        latencies(p, choice, &ctx, &mut lat);
        Some(guarantee(&lat, self.prep.a, &mut self.scratch.values))
    }

    /// Expected cost of a plan (`None` for an invalid plan).
    pub(crate) fn expected_cost(&self, choice: &[u32]) -> Option<f64> {
        let p = self.prep.p;
        let ctx = p.contexts(choice).ok()?;
        Some(expected_cost(p, choice, &ctx))
    }

    /// Expected cost of a plan that holds on S (a cheap screen before [`Self::offer`]).
    pub(crate) fn screen(&self, choice: &[u32]) -> Option<f64> {
        let p = self.prep.p;
        let ctx = p.contexts(choice).ok()?;
        let cost = expected_cost(p, choice, &ctx);
        if cost > self.lim.mean_max || !self.concurrency_ok(choice) {
            return None;
        }
        let m = self.tables.m;
        let mut fin = vec![0.0; self.prep.k * m];
        let mut viol = 0;
        let mut lat = vec![0.0; m];
        for &i in &p.topo {
            let nc = p.stages[i].configs.len();
            let row = (ctx[i] * nc + choice[i] as usize) * m;
            for t in 0..m {
                let mut mx = 0.0;
                for &q in &p.parents[i] {
                    let f = fin[q * m + t];
                    if f > mx {
                        mx = f;
                    }
                }
                let f = mx + self.tables.lat_t[i][row + t];
                fin[i * m + t] = f;
                if f > lat[t] {
                    lat[t] = f;
                }
            }
        }
        for l in lat {
            if l > self.lim.lat_max {
                viol += 1;
            }
        }
        (viol <= self.prep.a).then_some(cost)
    }

    fn concurrency_ok(&self, choice: &[u32]) -> bool {
        let p = self.prep.p;
        let Some(limit) = p.concurrency_limit else {
            return true;
        };
        self.prep.antichains_of.iter().flatten().all(|&mask| {
            let mut sum = 0u64;
            let mut b = mask;
            while b != 0 {
                let j = b.trailing_zeros() as usize;
                b &= b - 1;
                sum += u64::from(p.stages[j].configs[choice[j] as usize].d);
            }
            sum <= u64::from(limit)
        })
    }

    pub(super) fn check_full(&mut self, choice: &[u32], ctx: &[usize]) -> Check {
        let p = self.prep.p;
        let a = self.prep.a;
        let cost = expected_cost(p, choice, ctx);
        if cost > self.lim.mean_max {
            return Check::Rejected;
        }
        let mut lat = Vec::new();
        latencies(p, choice, ctx, &mut lat);
        let mut pcs = Vec::new();
        if self.track_cost {
            sample_costs(p, choice, ctx, &mut pcs);
        }
        let lv: Vec<u32> = violators(&lat, self.lim.lat_max);
        let cv: Vec<u32> = violators(&pcs, self.lim.costq_max);
        if lv.len() <= a && cv.len() <= a {
            let value = match self.goal {
                Goal::Cost => cost,
                Goal::Latency => guarantee(&lat, a, &mut self.scratch.values),
                Goal::CostQuantile => guarantee(&pcs, a, &mut self.scratch.values),
            };
            match self.goal {
                Goal::Cost => self.lim.mean_max = below(value),
                Goal::Latency => self.lim.lat_max = below(value),
                Goal::CostQuantile => self.lim.costq_max = below(value),
            }
            self.lag.dirty = true;
            self.inc = Some(Incumbent {
                choice: choice.to_vec(),
                value,
            });
            if value <= self.floor {
                // No plan beats a known lower bound: the incumbent is optimal.
                self.state = State::Done;
            }
            return Check::Accepted;
        }
        let mut add = Vec::new();
        for (v, vals, limit) in [(lv, &lat, self.lim.lat_max), (cv, &pcs, self.lim.costq_max)] {
            if v.len() > a {
                let mut v: Vec<u32> = v
                    .into_iter()
                    .filter(|&s| !self.tables.in_subset[s as usize])
                    .collect();
                // Worst first: largest excess over the limit.
                v.sort_by(|&x, &y| {
                    let (ex, ey) = (vals[x as usize] - limit, vals[y as usize] - limit);
                    ey.total_cmp(&ex).then(x.cmp(&y))
                });
                let room = (8 + a).saturating_sub(add.len());
                add.extend(v.into_iter().take(room));
            }
        }
        Check::Violated(add)
    }
}

pub(crate) enum Check {
    Accepted,
    Rejected,
    Violated(Vec<u32>),
}

fn violators(v: &[f64], limit: f64) -> Vec<u32> {
    v.iter()
        .enumerate()
        .filter(|(_, x)| **x > limit)
        .map(|(s, _)| s as u32)
        .collect()
}
