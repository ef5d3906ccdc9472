//! Synthetic sampled problems for tests and benchmarks (not part of the API).
//!
//! Shapes follow the bundled workflows: [`Shape::Ml`] (0→{1,2,3}, 1→2, 2→3; stages
//! 0 and 3 single-instance with 49 memory sizes, stage 3 with a context on stage
//! 2's d ∈ {4, 8, 16, 32}; stages 1 and 2 with 57 sizes × 4 d = 228 configs),
//! [`Shape::Video`] (0→1→{2,3}, 2→3; 228 configs each) and [`Shape::Eight`]
//! (8 stages, 50 configs each). Latency per instance:
//! `t = a + w / (min(k, k_max) d) + r ln(d) + ctx_read`, with k = m / 1769 vCPUs,
//! times a per-sample stage noise `z_i(s)` (log-normal, shared by all configs:
//! common random numbers), a per-config jitter, and a straggler factor
//! `1 + σ √(2 ln d) u(s)` for the slowest of d instances. Cost per sample:
//! `d · m/1024 · 0.0000166667 · t_mean + d · 2e-7` USD, with `t_mean` the
//! straggler-free instance time; expected cost is its sample mean.

use crate::dag::Config;
use crate::problem::{SampledProblem, StageContext, StageTable, to_sample};
use crate::rng::{stream, uniform};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Which workflow shape to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// ML-pipeline-like: 4 stages, 49–228 configs, one context stage.
    Ml,
    /// Video-analytics-like: 4 stages, 228 configs each.
    Video,
    /// An 8-stage DAG with 50 configs per stage.
    Eight,
}

fn normal(r: &mut Xoshiro256PlusPlus) -> f64 {
    let (u, v) = (uniform(r), uniform(r));
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

struct StageSpec {
    mems: Vec<u32>,
    ds: Vec<u32>,
    work: f64,
    context: Option<StageContext>,
}

fn grid(n: usize, step: u32) -> Vec<u32> {
    (0..n as u32).map(|j| 128 + j * step).collect()
}

/// A stage table sampled from the latency model above.
fn table(spec: &StageSpec, n: usize, seed: u64, id: u64) -> StageTable {
    let mut r = stream(seed, id);
    let noise: Vec<f64> = (0..n).map(|_| (0.15 * normal(&mut r)).exp()).collect();
    let strag: Vec<f64> = (0..n).map(|_| uniform(&mut r)).collect();
    let configs: Vec<Config> = spec
        .mems
        .iter()
        .flat_map(|&m| spec.ds.iter().map(move |&d| Config { memory_mb: m, d }))
        .collect();
    let ctx_d: Vec<u32> = spec
        .context
        .as_ref()
        .map_or(vec![0], |c| c.parent_d.clone());
    let (mut lat, mut cost, mut exp) = (Vec::new(), Vec::new(), Vec::new());
    for &pd in &ctx_d {
        for c in &configs {
            let k = f64::from(c.memory_mb) / 1769.0;
            let d = f64::from(c.d);
            let jitter = 1.0 + 0.03 * normal(&mut r);
            let base = 0.3 + spec.work / (k.min(3.0) * d) + 0.4 * d.ln() + 0.02 * f64::from(pd);
            let gb_s = d * f64::from(c.memory_mb) / 1024.0 * 0.000_016_666_7;
            let mut sum = 0.0;
            for s in 0..n {
                let t_mean = base * noise[s] * jitter;
                let t_max = t_mean * (1.0 + 0.1 * (2.0 * d.ln()).sqrt() * strag[s]);
                let c_s = gb_s * t_mean + d * 2e-7;
                lat.push(to_sample(t_max));
                cost.push(to_sample(c_s));
                sum += f64::from(to_sample(c_s));
            }
            exp.push(sum / n as f64);
        }
    }
    StageTable {
        configs,
        context: spec.context.clone(),
        expected_cost_usd: exp,
        cost_usd: cost,
        latency_s: lat,
        architectures: Vec::new(),
    }
}

fn single(n_mem: usize, step: u32, work: f64) -> StageSpec {
    StageSpec {
        mems: grid(n_mem, step),
        ds: vec![1],
        work,
        context: None,
    }
}

fn parallel(n_mem: usize, step: u32, ds: &[u32], work: f64) -> StageSpec {
    StageSpec {
        mems: grid(n_mem, step),
        ds: ds.to_vec(),
        work,
        context: None,
    }
}

/// A problem of the given shape with `n_samples` samples (allowed violations 0, q = 0.95).
pub fn problem(shape: Shape, n_samples: usize, seed: u64) -> SampledProblem {
    let ds = [4, 8, 16, 32];
    let (specs, parents): (Vec<StageSpec>, Vec<Vec<usize>>) = match shape {
        Shape::Ml => {
            let mut last = single(49, 192, 8.0);
            last.context = Some(StageContext {
                parent: 2,
                parent_d: ds.to_vec(),
            });
            (
                vec![
                    single(49, 192, 6.0),
                    parallel(57, 160, &ds, 120.0),
                    parallel(57, 160, &ds, 200.0),
                    last,
                ],
                vec![vec![], vec![0], vec![0, 1], vec![0, 2]],
            )
        }
        Shape::Video => (
            vec![
                single(228, 44, 5.0),
                parallel(57, 160, &[1, 2, 4, 8], 40.0),
                parallel(57, 160, &[1, 2, 4, 8], 60.0),
                parallel(57, 160, &[1, 2, 4, 8], 30.0),
            ],
            vec![vec![], vec![0], vec![1], vec![1, 2]],
        ),
        Shape::Eight => (
            (0..8)
                .map(|i| {
                    if i % 2 == 0 {
                        single(50, 200, 4.0 + i as f64)
                    } else {
                        parallel(10, 900, &[1, 2, 4, 8, 16], 30.0 + 5.0 * i as f64)
                    }
                })
                .collect(),
            vec![
                vec![],
                vec![0],
                vec![0],
                vec![1, 2],
                vec![2],
                vec![3, 4],
                vec![4],
                vec![5, 6],
            ],
        ),
    };
    let stages = specs
        .iter()
        .enumerate()
        .map(|(i, s)| table(s, n_samples, seed, i as u64))
        .collect();
    SampledProblem {
        n_samples,
        stages,
        topo: (0..parents.len()).collect(),
        parents,
        concurrency_limit: None,
        percentile: 0.95,
        allowed_violations: 0,
        shared: Vec::new(),
    }
}

/// The DAG of a [`scaled`] instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// `0 → 1 → … → K−1`.
    Chain,
    /// `0 → {1, …, K−2} → K−1`: one stage fans out to K − 2 parallel stages that join.
    FanOut,
}

/// A scaling instance: `stages` stages of `configs` configurations each (memory sizes
/// × instance counts 1, 2, 4, 8 when `configs` is a multiple of 4, else single-instance
/// memory sizes), the latency model above with stage `i`'s work `20 + 7 (i mod 5)` s,
/// `n_samples` samples, α = 0, q = 0.95.
pub fn scaled(
    topology: Topology,
    stages: usize,
    configs: usize,
    n_samples: usize,
    seed: u64,
) -> SampledProblem {
    let k = stages.max(1);
    let spec = |i: usize| {
        let work = 20.0 + 7.0 * (i % 5) as f64;
        if configs.is_multiple_of(4) && configs >= 8 {
            let n_mem = configs / 4;
            parallel(n_mem, (10_240 / n_mem as u32).max(1), &[1, 2, 4, 8], work)
        } else {
            single(
                configs.max(1),
                (10_240 / configs.max(1) as u32).max(1),
                work,
            )
        }
    };
    let parents: Vec<Vec<usize>> = match topology {
        Topology::Chain => (0..k)
            .map(|i| if i == 0 { vec![] } else { vec![i - 1] })
            .collect(),
        Topology::FanOut => (0..k)
            .map(|i| match i {
                0 => vec![],
                _ if i + 1 == k && k > 2 => (1..k - 1).collect(),
                _ => vec![0],
            })
            .collect(),
    };
    let stages = (0..k)
        .map(|i| table(&spec(i), n_samples, seed, i as u64))
        .collect();
    SampledProblem {
        n_samples,
        stages,
        topo: (0..k).collect(),
        parents,
        concurrency_limit: None,
        percentile: 0.95,
        allowed_violations: 0,
        shared: Vec::new(),
    }
}

/// Options of a small random instance.
#[derive(Clone, Copy, Debug)]
pub struct Small {
    /// Stages (2–5 in the tests).
    pub stages: usize,
    /// Most configurations per stage (at least 2).
    pub max_configs: usize,
    /// Samples.
    pub samples: usize,
    /// Allowed violations.
    pub allowed_violations: usize,
    /// Concurrency limit.
    pub concurrency_limit: Option<u32>,
    /// Round values to a coarse grid so that ties occur.
    pub ties: bool,
}

/// A small random instance: a random DAG (edges i→j, i < j), a context on the
/// last stage when it has a parent, latencies `speed · z(s) + jitter` and costs
/// falling with speed (so that dominance and trade-offs both occur).
pub fn small(o: Small, seed: u64) -> SampledProblem {
    let mut r = stream(seed, 0);
    let k = o.stages;
    let n = o.samples;
    let q = |x: f64| if o.ties { (x * 4.0).round() / 4.0 } else { x };
    let parents: Vec<Vec<usize>> = (0..k)
        .map(|j| (0..j).filter(|_| uniform(&mut r) < 0.5).collect())
        .collect();
    let mut stages: Vec<StageTable> = Vec::new();
    for (i, par) in parents.iter().enumerate() {
        let nc = 2 + (uniform(&mut r) * (o.max_configs - 1) as f64) as usize;
        let configs: Vec<Config> = (0..nc)
            .map(|j| Config {
                memory_mb: 128 * (1 + j as u32),
                d: 1 + (uniform(&mut r) * 3.0) as u32,
            })
            .collect();
        let context = (i + 1 == k)
            .then(|| par.last().copied())
            .flatten()
            .map(|parent| {
                let mut ds: Vec<u32> = stages[parent].configs.iter().map(|c| c.d).collect();
                ds.sort_unstable();
                ds.dedup();
                StageContext {
                    parent,
                    parent_d: ds,
                }
            });
        let nx = context.as_ref().map_or(1, |c| c.parent_d.len()) * nc;
        // Common random numbers: a per-sample factor shared by every configuration,
        // a per-configuration speed, and a small jitter, so that dominance occurs.
        let z: Vec<f64> = (0..n).map(|_| 0.5 + uniform(&mut r)).collect();
        let speed: Vec<f64> = (0..nx).map(|_| 0.5 + 2.5 * uniform(&mut r)).collect();
        let mut latency_s = Vec::with_capacity(nx * n);
        let mut cost_usd = Vec::with_capacity(nx * n);
        for &v in &speed {
            let offset = 1.5 * uniform(&mut r);
            for &zs in &z {
                latency_s.push(to_sample(q(v * zs + 0.2 * uniform(&mut r))));
                cost_usd.push(to_sample(q(4.0 - v + offset + 0.3 * zs * uniform(&mut r))));
            }
        }
        let expected_cost_usd = (0..nx)
            .map(|x| {
                cost_usd[x * n..(x + 1) * n]
                    .iter()
                    .map(|&c| f64::from(c))
                    .sum::<f64>()
                    / n as f64
            })
            .map(q)
            .collect();
        stages.push(StageTable {
            configs,
            context,
            expected_cost_usd,
            cost_usd,
            latency_s,
            architectures: Vec::new(),
        });
    }
    SampledProblem {
        n_samples: n,
        stages,
        topo: (0..k).collect(),
        parents,
        concurrency_limit: o.concurrency_limit,
        percentile: 0.9,
        allowed_violations: o.allowed_violations.min(n - 1),
        shared: Vec::new(),
    }
}
