//! What the baselines see besides the sampled problem.
//!
//! - [`PointTable`]: the deterministic white-box view (Ditto, and Caerus' size
//!   proxy). From a fitted model, stage latency is the model with its noise
//!   switched off, `max(g(d) + P, M)` (ρ = 0, ε = 0; see [`crate::model`]), for
//!   every row `[ctx * n_configs + cfg]` of the stage's table; the
//!   single-instance work proxy `work_s` is the model's in-function time of
//!   ONE instance doing the whole stage (d = 1) at the stage's smallest
//!   candidate memory. Without a model (synthetic problems) both come from the
//!   samples: the mean latency of each row, and `d × mean latency` of the
//!   fastest row at the smallest memory.
//! - [`Measured`]: the measured means Power Tuning works from. From profiles:
//!   one entry per profiled configuration (a single-instance stage's runs are
//!   grouped by memory only, with d = 1), `duration_s` = mean measured stage
//!   wall time over the repetitions (cold ones included, as Power Tuning's
//!   invocations include them), `cost_usd` = `d·(price_per_request +
//!   ceil_ms(mean in-function time)·memory_GB·price_per_gb_s)`. Without
//!   profiles: every candidate (first context), with its sample-mean latency
//!   and expected cost.

use crate::dag::{Config, StageKind};
use crate::formats::project::Project;
use crate::model::combine;
use crate::pipeline::Prepared;
use crate::problem::SampledProblem;

/// Deterministic point predictions per stage row.
#[derive(Clone, Debug, PartialEq)]
pub struct PointTable {
    /// Per stage, per row `[ctx * n_configs + cfg]`: stage latency, s.
    pub latency_s: Vec<Vec<f64>>,
    /// Per stage: the single-instance work proxy, s.
    pub work_s: Vec<f64>,
}

/// One measured configuration of a stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeasuredConfig {
    /// Memory, MB.
    pub memory_mb: u32,
    /// Instance count (1 for a single-instance stage).
    pub d: u32,
    /// Mean measured stage latency, s.
    pub duration_s: f64,
    /// Mean measured cost per run, USD.
    pub cost_usd: f64,
}

/// Measured means of every stage, indexed like the stages.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Per stage, its measured configurations (memory-major, ascending).
    pub stages: Vec<Vec<MeasuredConfig>>,
}

/// Everything the baselines read besides the problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    /// Deterministic point predictions.
    pub points: PointTable,
    /// Measured means.
    pub measured: Measured,
}

impl Inputs {
    /// From a project's fitted model and profiles.
    pub fn from_project(project: &Project, prepared: &Prepared) -> Inputs {
        Inputs {
            points: PointTable::from_model(project, prepared),
            measured: Measured::from_profiles(project),
        }
    }

    /// From the samples alone (for problems without a model or profiles).
    pub fn from_samples(problem: &SampledProblem) -> Inputs {
        Inputs {
            points: PointTable::from_samples(problem),
            measured: Measured::from_samples(problem),
        }
    }
}

fn mean<T: Copy + Into<f64>>(v: &[T]) -> f64 {
    v.iter().map(|&x| x.into()).sum::<f64>() / v.len().max(1) as f64
}

impl PointTable {
    /// Point predictions of the project's fitted model.
    pub fn from_model(project: &Project, prepared: &Prepared) -> PointTable {
        let problem = &prepared.problem;
        let mb_per_vcpu = project.platform.mb_per_vcpu;
        let mut latency_s = Vec::with_capacity(problem.stages.len());
        let mut work_s = Vec::with_capacity(problem.stages.len());
        // A loop's body runs `k` times per execution: k times the point prediction.
        let repeats = project.workflow.repeats();
        for ((t, m), &k) in problem
            .stages
            .iter()
            .zip(&prepared.model.stages)
            .zip(&repeats)
        {
            let k = f64::from(k);
            let ctx_d: Vec<Option<u32>> = t.context.as_ref().map_or(vec![None], |c| {
                c.parent_d.iter().map(|&d| Some(d)).collect()
            });
            let mut rows = Vec::with_capacity(ctx_d.len() * t.configs.len());
            for &input_d in &ctx_d {
                for &cfg in &t.configs {
                    let vcpu = f64::from(cfg.memory_mb) / mb_per_vcpu;
                    rows.push(k * combine(&m.curves(cfg, input_d, vcpu), 0.0, 0.0).latency_s);
                }
            }
            latency_s.push(rows);
            let min_mb = t.configs.iter().map(|c| c.memory_mb).min().unwrap_or(0);
            let one = Config {
                memory_mb: min_mb,
                d: 1,
            };
            let vcpu = f64::from(min_mb) / mb_per_vcpu;
            work_s.push(k * m.curves(one, None, vcpu).mean_s);
        }
        PointTable { latency_s, work_s }
    }

    /// Sample means of every row, and the work proxy from the samples.
    pub fn from_samples(problem: &SampledProblem) -> PointTable {
        let n = problem.n_samples;
        let latency_s: Vec<Vec<f64>> = problem
            .stages
            .iter()
            .map(|t| t.latency_s.chunks(n.max(1)).map(mean).collect())
            .collect();
        let work_s = problem
            .stages
            .iter()
            .zip(&latency_s)
            .map(|(t, rows)| {
                let min_mb = t.configs.iter().map(|c| c.memory_mb).min().unwrap_or(0);
                t.configs
                    .iter()
                    .zip(rows)
                    .filter(|(c, _)| c.memory_mb == min_mb)
                    .map(|(c, &l)| f64::from(c.d) * l)
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        PointTable { latency_s, work_s }
    }
}

impl Measured {
    /// Measured means of the project's profiles (see the module docs).
    pub fn from_profiles(project: &Project) -> Measured {
        let platform = &project.platform;
        let gran_s = platform.billing_granularity_ms / 1000.0;
        let stages = project
            .workflow
            .stages
            .iter()
            .map(|stage| {
                let Some(profile) = project.profiles.stage(&stage.id) else {
                    return Vec::new();
                };
                let single = stage.kind == StageKind::Single;
                let mut keys: Vec<(u32, u32)> = profile
                    .runs
                    .iter()
                    .map(|r| (r.memory_mb, if single { 1 } else { r.d }))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                keys.into_iter()
                    .map(|(memory_mb, d)| {
                        let runs: Vec<_> = profile
                            .runs
                            .iter()
                            .filter(|r| r.memory_mb == memory_mb && (single || r.d == d))
                            .collect();
                        let wall: Vec<f64> = runs.iter().map(|r| r.wall_s()).collect();
                        let inside: Vec<f64> =
                            runs.iter().map(|r| r.in_function_mean_s()).collect();
                        let billed_s = if gran_s > 0.0 {
                            (mean(&inside) / gran_s).ceil() * gran_s
                        } else {
                            mean(&inside)
                        };
                        let gb = f64::from(memory_mb) / 1024.0;
                        MeasuredConfig {
                            memory_mb,
                            d,
                            duration_s: mean(&wall),
                            cost_usd: f64::from(d)
                                * (platform.price_per_request
                                    + billed_s * gb * platform.price_per_gb_s),
                        }
                    })
                    .collect()
            })
            .collect();
        Measured { stages }
    }

    /// Every candidate of the first context, with sample-mean latency and expected cost.
    pub fn from_samples(problem: &SampledProblem) -> Measured {
        let stages = problem
            .stages
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.configs
                    .iter()
                    .enumerate()
                    .map(|(j, c)| MeasuredConfig {
                        memory_mb: c.memory_mb,
                        d: c.d,
                        duration_s: mean(problem.latencies(i, t.row(0, j))),
                        cost_usd: problem.expected_cost(i, t.row(0, j)),
                    })
                    .collect()
            })
            .collect();
        Measured { stages }
    }
}
