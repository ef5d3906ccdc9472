//! Jolteon (NSDI'24)-style planning: a continuous relaxation of (memory, d)
//! solved by a gradient method, rounded to the grid, then neighbourhood probing.
//!
//! Rule, as the reference does it, on this crate's samples:
//!
//! 1. Relaxation. Each stage's candidates are laid out on axes: memory index ×
//!    d index when they form a full grid (axes of length 1 dropped), otherwise
//!    one axis over the candidates ordered from slowest to fastest sample-mean
//!    latency. A continuous coordinate interpolates the per-sample stage
//!    latency and the expected cost multilinearly between the grid points. A
//!    stage with a context reads the block of its parent's ROUNDED d.
//! 2. Objective: `cost(x)/cost(x₀) + μ·max(0, Q̃(x)/B − 1)²`, with `Q̃` a
//!    smooth surrogate of the sampled q-latency: the mean of the sorted
//!    workflow latencies within ±1% of the samples around rank ⌈qM⌉. It uses
//!    M ≤ [`MAX_RELAXATION_SAMPLES`] samples (every ⌈N/M⌉-th), as the reference
//!    sampled its own parameter sets.
//! 3. Projected gradient descent with forward-difference gradients, a step of
//!    at most η grid cells along `−g/‖g‖∞` with backtracking, from the middle of
//!    every axis, for μ = 1, 10, 100, 1000 ([`ITERATIONS`] steps each).
//! 4. Rounding to the nearest grid point, then probing: the rounded plan and
//!    every plan one grid step away on one axis of one stage are evaluated on
//!    all samples, and the cheapest whose nearest-rank q-latency is at most B
//!    is returned. When none is, the rounded plan is returned anyway, as the
//!    reference returns its configuration (its misses show in `meets_bound`).
//!
//! Weaknesses kept on purpose: a local method on a non-convex, piecewise
//! relaxation; the q-quantile (not the exact planner's guarantee) as the
//! target; only single-step probes. Bugs of the reference are not copied (its
//! probe mixing point and P95 values, clamps applied after probing).

use crate::problem::SampledProblem;
use crate::solve::Plan;

/// Most samples the relaxation uses.
pub const MAX_RELAXATION_SAMPLES: usize = 1024;
/// Gradient steps per penalty weight.
pub const ITERATIONS: usize = 30;
const PENALTIES: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];
const FD_STEP: f64 = 0.01;

/// One stage's candidates laid out on 1 or 2 axes.
struct Axes {
    dims: Vec<usize>,
    /// Row-major over `dims`: the candidate index at each grid point.
    lookup: Vec<u32>,
}

fn axes(p: &SampledProblem, i: usize) -> Axes {
    let t = &p.stages[i];
    let mut mems: Vec<u32> = t.configs.iter().map(|c| c.memory_mb).collect();
    let mut ds: Vec<u32> = t.configs.iter().map(|c| c.d).collect();
    mems.sort_unstable();
    mems.dedup();
    ds.sort_unstable();
    ds.dedup();
    if mems.len() * ds.len() == t.configs.len() {
        let mut lookup = Vec::with_capacity(t.configs.len());
        for &m in &mems {
            for &d in &ds {
                if let Some(j) = t.configs.iter().position(|c| c.memory_mb == m && c.d == d) {
                    lookup.push(j as u32);
                }
            }
        }
        if lookup.len() == t.configs.len() {
            let dims = [mems.len(), ds.len()]
                .into_iter()
                .filter(|&x| x > 1)
                .collect();
            return Axes { dims, lookup };
        }
    }
    let mean = |j: usize| {
        p.latencies(i, t.row(0, j))
            .iter()
            .map(|&x| f64::from(x))
            .sum::<f64>()
    };
    let mut lookup: Vec<u32> = (0..t.configs.len() as u32).collect();
    lookup.sort_by(|&a, &b| {
        mean(b as usize)
            .total_cmp(&mean(a as usize))
            .then(a.cmp(&b))
    });
    Axes {
        dims: vec![t.configs.len()],
        lookup,
    }
}

impl Axes {
    /// `(candidate, weight)` of the grid points around `x` (one coordinate per axis).
    fn corners(&self, x: &[f64], out: &mut Vec<(u32, f64)>) {
        let mut stride = self.lookup.len();
        let mut flat: Vec<(usize, f64)> = vec![(0, 1.0)];
        for (a, &dim) in self.dims.iter().enumerate() {
            stride /= dim;
            let (lo, t) = if dim < 2 {
                (0, 0.0)
            } else {
                let lo = (x[a].floor().max(0.0) as usize).min(dim - 2);
                (lo, (x[a] - lo as f64).clamp(0.0, 1.0))
            };
            let mut next = Vec::with_capacity(flat.len() * 2);
            for &(f, w) in &flat {
                next.push((f + lo * stride, w * (1.0 - t)));
                if t > 0.0 {
                    next.push((f + (lo + 1) * stride, w * t));
                }
            }
            flat = next;
        }
        out.clear();
        out.extend(flat.into_iter().map(|(f, w)| (self.lookup[f], w)));
    }

    fn round(&self, x: &[f64]) -> u32 {
        let mut flat = 0;
        for (a, &dim) in self.dims.iter().enumerate() {
            let i = (x[a].round().max(0.0) as usize).min(dim - 1);
            flat = flat * dim + i;
        }
        self.lookup[flat]
    }
}

struct Relaxation<'a> {
    p: &'a SampledProblem,
    axes: Vec<Axes>,
    offsets: Vec<usize>,
    samples: Vec<usize>,
    bound_s: f64,
}

impl Relaxation<'_> {
    fn rounded(&self, x: &[f64]) -> Vec<u32> {
        self.axes
            .iter()
            .enumerate()
            .map(|(i, a)| a.round(&x[self.offsets[i]..self.offsets[i] + a.dims.len()]))
            .collect()
    }

    /// `(expected cost, surrogate q-latency)` at `x`, or `None` without a context block.
    fn eval(&self, x: &[f64]) -> Option<(f64, f64)> {
        let p = self.p;
        let ctx = p.contexts(&self.rounded(x)).ok()?;
        let m = self.samples.len();
        let mut fin = vec![0.0f64; p.stages.len() * m];
        let mut lat = vec![0.0f64; m];
        let mut cost = 0.0;
        let mut corners = Vec::new();
        for &i in &p.topo {
            let t = &p.stages[i];
            let a = &self.axes[i];
            a.corners(
                &x[self.offsets[i]..self.offsets[i] + a.dims.len()],
                &mut corners,
            );
            let rows: Vec<(&[crate::problem::Sample], f64, f64)> = corners
                .iter()
                .map(|&(j, w)| {
                    let row = t.row(ctx[i], j as usize);
                    (p.latencies(i, row), p.expected_cost(i, row), w)
                })
                .collect();
            for (k, &s) in self.samples.iter().enumerate() {
                let mut l = 0.0;
                for &(lat_row, _, w) in &rows {
                    l += w * f64::from(lat_row[s]);
                }
                let start = p.parents[i]
                    .iter()
                    .map(|&q| fin[q * m + k])
                    .fold(0.0, f64::max);
                fin[i * m + k] = start + l;
                lat[k] = lat[k].max(start + l);
            }
            for &(_, c, w) in &rows {
                cost += w * c;
            }
        }
        lat.sort_unstable_by(f64::total_cmp);
        let r = crate::stats::nearest_rank_index(m, p.percentile);
        let w = (m / 100).max(1);
        let (lo, hi) = (r.saturating_sub(w), (r + w).min(m - 1));
        let q = lat[lo..=hi].iter().sum::<f64>() / (hi - lo + 1) as f64;
        Some((cost, q))
    }

    fn objective(&self, x: &[f64], cost_ref: f64, mu: f64) -> f64 {
        match self.eval(x) {
            Some((c, q)) => {
                let v = (q / self.bound_s - 1.0).max(0.0);
                c / cost_ref + mu * v * v
            }
            None => f64::INFINITY,
        }
    }
}

/// The Jolteon-style plan for latency bound `bound_s`.
pub fn plan(problem: &SampledProblem, bound_s: f64) -> Option<Plan> {
    let n = problem.n_samples;
    if n == 0 || problem.stages.iter().any(|t| t.configs.is_empty()) {
        return None;
    }
    let axes: Vec<Axes> = (0..problem.stages.len())
        .map(|i| axes(problem, i))
        .collect();
    let mut offsets = Vec::with_capacity(axes.len());
    let mut hi = Vec::new();
    for a in &axes {
        offsets.push(hi.len());
        hi.extend(a.dims.iter().map(|&d| (d - 1) as f64));
    }
    let stride = n.div_ceil(MAX_RELAXATION_SAMPLES).max(1);
    let r = Relaxation {
        p: problem,
        axes,
        offsets,
        samples: (0..n).step_by(stride).collect(),
        bound_s,
    };
    let mut x: Vec<f64> = hi.iter().map(|h| h / 2.0).collect();
    let cost_ref = r.eval(&x).map_or(1.0, |(c, _)| c).max(f64::MIN_POSITIVE);
    for mu in PENALTIES {
        let mut eta = 4.0;
        let mut fx = r.objective(&x, cost_ref, mu);
        for _ in 0..ITERATIONS {
            let g: Vec<f64> = (0..x.len())
                .map(|v| {
                    let h = if x[v] + FD_STEP <= hi[v] {
                        FD_STEP
                    } else {
                        -FD_STEP
                    };
                    let mut y = x.clone();
                    y[v] += h;
                    (r.objective(&y, cost_ref, mu) - fx) / h
                })
                .collect();
            let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            if !gmax.is_finite() || gmax == 0.0 {
                break;
            }
            let mut moved = false;
            while eta >= 0.01 {
                let y: Vec<f64> = (0..x.len())
                    .map(|v| (x[v] - eta * g[v] / gmax).clamp(0.0, hi[v]))
                    .collect();
                let fy = r.objective(&y, cost_ref, mu);
                if fy < fx {
                    (x, fx, moved) = (y, fy, true);
                    eta *= 1.5;
                    break;
                }
                eta /= 2.0;
            }
            if !moved {
                break;
            }
        }
    }
    probe(&r, &x)
}

/// Rounds `x` and returns the cheapest probed plan meeting the q-latency target
/// (or the rounded plan when none does).
fn probe(r: &Relaxation<'_>, x: &[f64]) -> Option<Plan> {
    let rounded: Vec<f64> = x.iter().map(|v| v.round()).collect();
    let mut tries = vec![rounded.clone()];
    for (i, a) in r.axes.iter().enumerate() {
        for (k, &dim) in a.dims.iter().enumerate() {
            let v = r.offsets[i] + k;
            for step in [-1.0, 1.0] {
                let c = rounded[v] + step;
                if c >= 0.0 && c <= (dim - 1) as f64 {
                    let mut y = rounded.clone();
                    y[v] = c;
                    tries.push(y);
                }
            }
        }
    }
    let mut best: Option<(f64, Vec<u32>)> = None;
    for y in &tries {
        let choice = r.rounded(y);
        if let Some((q, c)) = super::q_latency(r.p, &choice)
            && q <= r.bound_s
            && best.as_ref().is_none_or(|(bc, _)| c < *bc)
        {
            best = Some((c, choice));
        }
    }
    let choice = best.map_or_else(|| r.rounded(&rounded), |(_, c)| c);
    Some(Plan { choice })
}
