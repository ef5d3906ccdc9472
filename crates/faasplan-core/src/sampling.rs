//! Monte Carlo sampling of the fitted models into a [`SampledProblem`].
//!
//! # Sample count
//!
//! N and the allowed violations a come from [`design`]: the exact binomial
//! allowance union-bounded over the real |X| (`ln |X| = Σ_i ln |C_i|`, in log space
//! so 8 stages × 10⁴ candidates do not overflow), N from the KL–Chernoff bound,
//! capped by the memory the tables may take (estimated before allocating).
//!
//! # Tables
//!
//! For stage i, sample s draws [`DRAWS`](crate::model::DRAWS) uniforms from the stream
//! `rng::stream(seed, i)`, so every stage's draws are independent of the other
//! stages and of how many candidates anyone has (common random numbers: every
//! candidate of stage i sees the same draws in sample s). A single-instance
//! stage with an input parent gets one block per value of the parent's
//! candidate d (a [`StageContext`]).
//!
//! Cost of one run of a stage, USD:
//! `d·price_per_request + d·ceil_g(B / d)·memory_GB·price_per_gb_s`, where B is
//! the sampled billed time summed over the d instances and `ceil_g` rounds up
//! to the billing granularity. The model draws one in-function time for all
//! instances of a sample, so every instance is rounded as the mean instance
//! (the per-instance rounding adds at most one granularity per instance; with
//! 1 ms and runs of seconds that is below 0.1%).
//! Under an orchestration service or with data sizes on the edges, each stage
//! also pays its share of the transitions and object-storage requests
//! ([`crate::pricing::stage_extra`]), so the cost stays a sum over stages.
//!
//! # Choices
//!
//! A Choice planned with probabilities draws one alternative per sample from
//! its own stream (`branches`); in the samples where a stage's alternative is
//! not picked, its latency and cost are 0, so every path's latency and the
//! workflow's cost are the mixture over the alternatives. The timeout filter
//! judges such a stage on the samples where it runs.
//!
//! Candidates whose q-quantile stage latency exceeds the platform timeout are
//! excluded (for a stage with contexts: when they exceed it under every value of
//! the parent's d).
//!
//! The work is resumable: [`Sampler::step`] fills a budget of table rows (one
//! row = one candidate under one context, N samples) and reports
//! [`SamplingProgress`]; [`build_problem`] just runs it to the end.

mod branches;
mod design;
mod fresh;
pub(crate) mod kernel;
mod table;

pub use design::{
    BYTES_PER_FRESH_SAMPLE, BYTES_PER_TABLE_SAMPLE, CERTIFY_ATTEMPTS, FRESH_ALLOWANCE_RATIO,
    FRESH_BUDGET_BYTES, MAX_FRESH_SAMPLES, MIN_FRESH_SAMPLES, SampleDesign, TABLE_BUDGET_BYTES,
    design, fresh_sample_count, ln_certify_risk,
};
pub use fresh::{FRESH_STREAM_BASE, FreshEvaluation, evaluate_fresh, evaluate_fresh_on};

use branches::{Branches, skip_inactive};
use kernel::{Coster, Residuals, StartUps, fill_repeated, residuals};
use table::{drop_timeouts, input_context};

use crate::arch::{Arch, Architectures};
use crate::dag::{Config, Dag, Stage, StageKind, Workflow};
use crate::model::{StageModel, WorkflowModel};
use crate::platform::Platform;
use crate::problem::{Sample, SampledProblem, StageContext, to_sample};
use crate::settings::{ColdStarts, PlanSettings};

/// Why a problem could not be sampled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SamplingError {
    /// The model does not have one stage model per workflow stage, in order.
    #[error("model has {found} stages, workflow `{workflow}` has {expected}")]
    ModelMismatch {
        /// Workflow name.
        workflow: String,
        /// Stages in the workflow.
        expected: usize,
        /// Stages in the model.
        found: usize,
    },
    /// A stage has no candidate configuration left.
    #[error("stage `{stage}` has no candidate configuration ({reason})")]
    NoCandidates {
        /// Stage id.
        stage: String,
        /// Why (empty grid, or every candidate exceeds the timeout).
        reason: &'static str,
    },
    /// A per-stage cold-start setting names a stage the workflow does not have.
    #[error("settings.cold_start_stages: workflow `{workflow}` has no stage `{stage}`")]
    UnknownColdStartStage {
        /// Workflow name.
        workflow: String,
        /// The stage id of the setting.
        stage: String,
    },
    /// A setting is out of range.
    #[error("setting `{field}` is out of range: {value}")]
    BadSetting {
        /// Field name.
        field: &'static str,
        /// Offending value.
        value: f64,
    },
    /// The sample tables would not fit in the memory limit.
    #[error(
        "the sample tables would take {} ({n_samples} samples × {rows} candidate rows; the largest stage, `{widest_stage}`, has {widest_rows} rows), above the memory limit of {}: lower the sample count (settings.samples, or the percentile, confidence and alpha that set it) or the candidates (the stages' memory grids and allowed d)",
        human_bytes(*bytes),
        human_bytes(*limit_bytes as f64)
    )]
    TooLarge {
        /// Bytes the tables would take.
        bytes: f64,
        /// The limit, bytes.
        limit_bytes: u64,
        /// Samples asked for.
        n_samples: usize,
        /// Table rows in all.
        rows: f64,
        /// The stage with the most rows.
        widest_stage: String,
        /// Its rows.
        widest_rows: u64,
    },
    /// A request needs more memory than the limit.
    #[error(
        "setting `{setting}` needs {needed_bytes} bytes of sample memory, over the limit of {limit_bytes} bytes ({hint}); lower `{setting}`"
    )]
    Memory {
        /// The setting to change.
        setting: &'static str,
        /// Bytes the request needs.
        needed_bytes: u64,
        /// The limit, bytes.
        limit_bytes: u64,
        /// What fits.
        hint: String,
    },
    /// A plan does not give one configuration per stage.
    #[error("plan has {found} configurations, the workflow has {expected} stages")]
    PlanMismatch {
        /// Stages in the workflow.
        expected: usize,
        /// Configurations in the plan.
        found: usize,
    },
}

/// A loop's body draws its runs' residuals (four per run) and fills one row
/// of runs at a time: refuses iteration counts whose draws would not fit in
/// `limit_bytes`, before drawing anything.
fn check_loop_memory(
    workflow: &Workflow,
    repeats: &[u32],
    n: usize,
    limit_bytes: u64,
) -> Result<(), SamplingError> {
    let runs: u64 = repeats.iter().map(|&k| u64::from(k)).sum();
    let widest = repeats.iter().copied().max().unwrap_or(1);
    if widest <= 1 {
        return Ok(());
    }
    let needed = (n as u64).saturating_mul(
        runs.saturating_mul(32)
            .saturating_add(u64::from(widest) * 16),
    );
    if needed <= limit_bytes {
        return Ok(());
    }
    let stage = workflow
        .stages
        .iter()
        .zip(repeats)
        .find(|(_, k)| **k == widest)
        .map_or("", |(s, _)| s.id.as_str());
    Err(SamplingError::Memory {
        setting: "loops[].iterations",
        needed_bytes: needed,
        limit_bytes,
        hint: format!("{n} samples; stage `{stage}` runs {widest} times per execution"),
    })
}

/// A byte count for messages: "1.5 GiB", "20.0 MiB"; anything huge as a power of ten.
pub fn human_bytes(bytes: f64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    if bytes >= 1024.0 * GIB {
        format!("{bytes:.1e} bytes")
    } else if bytes >= GIB {
        format!("{:.1} GiB", bytes / GIB)
    } else {
        format!("{:.1} MiB", bytes / (1u64 << 20) as f64)
    }
}

/// The candidate configurations of a stage, memory-major: the fixed configuration
/// if any, else the memory grid within the platform's range × the allowed d
/// (d = 1 for a single-instance stage).
pub fn candidates(stage: &Stage, platform: &Platform) -> Vec<Config> {
    if let Some(c) = stage.fixed {
        return vec![c];
    }
    let ds = d_values(stage);
    let platform_range = platform.min_memory_mb..=platform.max_memory_mb;
    stage
        .memory
        .sizes()
        .filter(|m| platform_range.contains(m))
        .flat_map(|memory_mb| ds.iter().map(move |&d| Config { memory_mb, d }))
        .collect()
}

/// The distinct instance counts a stage's candidates take, ascending.
fn d_values(stage: &Stage) -> Vec<u32> {
    if let Some(c) = stage.fixed {
        return vec![c.d];
    }
    let mut ds: Vec<u32> = match stage.kind {
        StageKind::Single => vec![1],
        StageKind::Parallel => stage
            .allowed_d
            .iter()
            .copied()
            .filter(|&d| d >= 1)
            .collect(),
    };
    ds.sort_unstable();
    ds.dedup();
    ds
}

/// How many configurations [`candidates`] returns, counted without listing them.
pub fn candidate_count(stage: &Stage, platform: &Platform) -> u64 {
    if stage.fixed.is_some() {
        return 1;
    }
    let g = &stage.memory;
    let step = u64::from(g.step_mb.max(1));
    let lo = g.min_mb.max(platform.min_memory_mb);
    let hi = g.max_mb.min(platform.max_memory_mb);
    if g.min_mb > g.max_mb || lo > hi {
        return 0;
    }
    let first = u64::from(lo - g.min_mb).div_ceil(step);
    let last = u64::from(hi - g.min_mb) / step;
    let stepped = (last + 1).saturating_sub(first);
    let listed = g
        .listed_mb
        .iter()
        .filter(|&&m| (lo..=hi).contains(&m) && !g.on_steps(m))
        .count() as u64;
    (stepped + listed) * d_values(stage).len() as u64
}

/// What sampling a workflow would take, computed before anything is allocated.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeEstimate {
    /// Monte Carlo samples the settings ask for.
    pub n_samples: usize,
    /// Table rows (candidates × contexts) of each stage.
    pub rows: Vec<u64>,
    /// Bytes the sampled problem needs ([`crate::problem::estimated_bytes`]).
    pub bytes: f64,
}

/// Counts the candidates, the sample count and the memory a problem would
/// take, and checks them: every stage has a candidate and the memory fits in
/// `limit_bytes`. Lists nothing, so it is cheap for any grid.
pub fn estimate(
    workflow: &Workflow,
    dag: &Dag,
    platform: &Platform,
    settings: &PlanSettings,
    limit_bytes: u64,
) -> Result<SizeEstimate, SamplingError> {
    check_settings(settings)?;
    // Each architecture a stage may use adds a copy of its candidates.
    let counts: Vec<u64> = workflow
        .stages
        .iter()
        .map(|s| {
            candidate_count(s, platform)
                .saturating_mul(crate::arch::allowed_count(&settings.architectures, &s.id) as u64)
        })
        .collect();
    if let Some(i) = counts.iter().position(|&c| c == 0) {
        return Err(SamplingError::NoCandidates {
            stage: workflow.stages[i].id.clone(),
            reason: "empty memory grid or d list",
        });
    }
    let ln_space: f64 = counts.iter().map(|&c| (c as f64).ln()).sum();
    let rows: Vec<u64> = (0..workflow.stages.len())
        .map(|i| {
            let contexts = match (workflow.stages[i].kind, dag.input_parent.get(i)) {
                (StageKind::Single, Some(Some(p))) => d_values(&workflow.stages[*p]).len() as u64,
                _ => 1,
            };
            counts[i].saturating_mul(contexts.max(1))
        })
        .collect();
    let total_rows: f64 = rows.iter().map(|&r| r as f64).sum();
    let row_count = rows.iter().fold(0u64, |a, &r| a.saturating_add(r));
    let n = design(
        settings,
        ln_space,
        usize::try_from(row_count).unwrap_or(usize::MAX),
    )?
    .n_samples;
    let bytes = crate::problem::estimated_bytes(total_rows, rows.len() as f64, n as f64);
    if bytes.is_nan() || bytes > limit_bytes as f64 {
        let (widest, _) = rows
            .iter()
            .enumerate()
            .max_by_key(|&(_, r)| *r)
            .unwrap_or((0, &0));
        return Err(SamplingError::TooLarge {
            bytes,
            limit_bytes,
            n_samples: n,
            rows: total_rows,
            widest_stage: workflow
                .stages
                .get(widest)
                .map(|s| s.id.clone())
                .unwrap_or_default(),
            widest_rows: rows.get(widest).copied().unwrap_or(0),
        });
    }
    Ok(SizeEstimate {
        n_samples: n,
        rows,
        bytes,
    })
}

/// Samples the whole problem at once.
pub fn build_problem(
    workflow: &Workflow,
    dag: &Dag,
    model: &WorkflowModel,
    platform: &Platform,
    settings: &PlanSettings,
) -> Result<SampledProblem, SamplingError> {
    let mut s = Sampler::new(workflow, dag, model, platform, settings)?;
    while let SamplingProgress::Running { .. } = s.step(usize::MAX) {}
    s.finish()
}

/// How far a [`Sampler`] has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SamplingProgress {
    /// Rows filled so far out of the total.
    Running {
        /// Rows filled.
        done: usize,
        /// Rows in all.
        total: usize,
    },
    /// Every row is filled; call [`Sampler::finish`].
    Done,
}

/// Checks the settings the sampler relies on.
pub(crate) fn check_settings(s: &PlanSettings) -> Result<(), SamplingError> {
    let bad = |field, value| Err(SamplingError::BadSetting { field, value });
    if !(s.percentile > 0.0 && s.percentile < 1.0) {
        return bad("percentile", s.percentile);
    }
    if !(s.delta > 0.0 && s.delta < 1.0) {
        return bad("delta", s.delta);
    }
    if !(s.alpha >= 0.0 && s.alpha <= (1.0 - s.percentile) * (1.0 + crate::settings::TOLERANCE)) {
        return bad("alpha", s.alpha);
    }
    Ok(())
}

/// Checks that every per-stage cold-start setting names a stage of `workflow`.
pub(crate) fn check_cold_stages(
    workflow: &Workflow,
    settings: &PlanSettings,
) -> Result<(), SamplingError> {
    match settings
        .cold_start_stages
        .keys()
        .find(|id| !workflow.stages.iter().any(|s| s.id == **id))
    {
        Some(id) => Err(SamplingError::UnknownColdStartStage {
            workflow: workflow.name.clone(),
            stage: id.clone(),
        }),
        None => Ok(()),
    }
}

/// One stage being sampled.
struct Partial {
    configs: Vec<Config>,
    /// The architecture of each candidate (empty: all on the platform's own).
    archs: Vec<Arch>,
    /// The stage's model on the platform's other architecture, when allowed.
    other_model: Option<StageModel>,
    context: Option<StageContext>,
    /// Per-sample residuals of this stage (`repeat` consecutive ones per sample).
    resid: Residuals,
    /// How many times the stage runs per execution (a loop's body: more than 1).
    repeat: u32,
    /// Whether the stage runs in each sample (empty: in every sample; see `branches`).
    active: Vec<bool>,
    /// Cold-start setting of this stage.
    cold_starts: ColdStarts,
    /// Start-up columns per instance count d, shared by the stage's rows with that d
    /// (at most [`START_UPS_BUDGET_BYTES`]; dropped when the stage is filled).
    starts: Vec<(u32, StartUps)>,
    latency_s: Vec<Sample>,
    cost_usd: Vec<Sample>,
    expected_cost_usd: Vec<f64>,
}

impl Partial {
    fn rows(&self) -> usize {
        self.configs.len() * self.context.as_ref().map_or(1, |c| c.parent_d.len())
    }
}

/// Most bytes of start-up columns a stage keeps while it is sampled (one column of
/// start-up residuals, and of billed INIT seconds, per instance count d that the
/// stage's candidates share), besides the tables; freed when the stage is filled.
pub const START_UPS_BUDGET_BYTES: usize = 32 << 20;

/// Resumable sampler of a [`SampledProblem`]. It keeps its own copy of the stage
/// models and of the DAG's parents and order (a few kB), so a run that owns the
/// fitted model can hold a sampler beside it.
pub struct Sampler<'a> {
    workflow: &'a Workflow,
    model: WorkflowModel,
    platform: &'a Platform,
    /// The platform's architecture and the platform priced as the other one,
    /// when some stage may use it.
    other: Option<(Arch, Platform)>,
    parents: Vec<Vec<usize>>,
    topo: Vec<usize>,
    n_samples: usize,
    percentile: f64,
    design: SampleDesign,
    stages: Vec<Partial>,
    cursor: (usize, usize),
    done: usize,
    total: usize,
}

/// What filling one row of one stage reads (shared by every row of the stage).
struct RowContext<'s> {
    workflow: &'s Workflow,
    model: &'s WorkflowModel,
    platform: &'s Platform,
    parents: &'s [Vec<usize>],
    topo: &'s [usize],
    stage: usize,
    configs: &'s [Config],
    archs: &'s [Arch],
    other_model: Option<&'s StageModel>,
    other: Option<&'s (Arch, Platform)>,
    context: Option<&'s StageContext>,
    resid: &'s Residuals,
    starts: &'s [(u32, StartUps)],
    active: &'s [bool],
    cold_starts: ColdStarts,
    /// Runs per sample: a loop body's iterations (1 elsewhere).
    repeat: u32,
    n: usize,
}

/// One row's values in `f64`, before they are stored as [`Sample`]s.
#[derive(Default)]
struct RowScratch {
    latency_s: Vec<f64>,
    cost_usd: Vec<f64>,
    /// A loop body's single runs (latency, cost) before they are summed.
    runs: (Vec<f64>, Vec<f64>),
}

impl RowContext<'_> {
    /// Computes row `row` in `f64` (the kernel), stores it rounded into `lat` and
    /// `cost`, and returns the expected cost: the mean of the stored costs.
    fn fill(
        &self,
        row: usize,
        lat: &mut [Sample],
        cost: &mut [Sample],
        scratch: &mut RowScratch,
    ) -> f64 {
        let n_cfg = self.configs.len();
        let (ctx, j) = (row / n_cfg, row % n_cfg);
        let cfg = self.configs[j];
        let input_d = self.context.map(|c| c.parent_d[ctx]);
        // A candidate on the platform's other architecture: that architecture's
        // prices and the stage's model with its time factor.
        let (sm, platform) = match (self.archs.get(j), self.other, self.other_model) {
            (Some(&a), Some((native, other)), Some(m)) if a != *native => (m, other),
            _ => (&self.model.stages[self.stage], self.platform),
        };
        let vcpu = f64::from(cfg.memory_mb) / platform.mb_per_vcpu;
        let curves = sm.curves(cfg, input_d, vcpu);
        let cold = sm.cold_mix(curves.d, self.cold_starts);
        let starts = self
            .starts
            .iter()
            .find(|(d, _)| *d == curves.d)
            .map(|(_, s)| s);
        let extra = crate::pricing::workflow_stage_extra(
            &platform.pricing,
            self.workflow,
            self.parents,
            self.topo,
            self.stage,
            cfg,
        );
        let coster = Coster::new(platform, cfg, extra);
        scratch.latency_s.clear();
        scratch.cost_usd.clear();
        fill_repeated(
            self.repeat,
            &curves,
            &coster,
            self.resid,
            &cold,
            starts,
            &mut scratch.latency_s,
            &mut scratch.cost_usd,
            &mut scratch.runs,
        );
        if !self.active.is_empty() {
            skip_inactive(self.active, &mut scratch.latency_s, &mut scratch.cost_usd);
        }
        for (o, &v) in lat.iter_mut().zip(&scratch.latency_s) {
            *o = to_sample(v);
        }
        let mut sum = 0.0;
        for (o, &v) in cost.iter_mut().zip(&scratch.cost_usd) {
            *o = to_sample(v);
            sum += f64::from(*o);
        }
        sum / self.n as f64
    }
}

impl<'a> Sampler<'a> {
    /// Prepares the candidates, contexts and random draws.
    pub fn new(
        workflow: &'a Workflow,
        dag: &Dag,
        model: &WorkflowModel,
        platform: &'a Platform,
        settings: &PlanSettings,
    ) -> Result<Self, SamplingError> {
        Self::new_within(
            workflow,
            dag,
            model,
            platform,
            settings,
            crate::problem::DEFAULT_MEMORY_LIMIT_BYTES,
        )
    }

    /// [`Sampler::new`] with a memory limit: fails with
    /// [`SamplingError::TooLarge`] before allocating anything when the
    /// [`estimate`] exceeds `limit_bytes`.
    pub fn new_within(
        workflow: &'a Workflow,
        dag: &Dag,
        model: &WorkflowModel,
        platform: &'a Platform,
        settings: &PlanSettings,
        limit_bytes: u64,
    ) -> Result<Self, SamplingError> {
        Self::with_architectures(workflow, dag, model, platform, settings, limit_bytes, None)
    }

    /// [`Sampler::new_within`] with the stages' architecture choices: each
    /// stage gets its candidates once per allowed architecture
    /// ([`Architectures::expand`]), filled with that architecture's prices and
    /// time factor. `None` samples the platform's architecture only.
    pub fn with_architectures(
        workflow: &'a Workflow,
        dag: &Dag,
        model: &WorkflowModel,
        platform: &'a Platform,
        settings: &PlanSettings,
        limit_bytes: u64,
        arch: Option<&Architectures>,
    ) -> Result<Self, SamplingError> {
        if model.stages.len() != workflow.stages.len() {
            return Err(SamplingError::ModelMismatch {
                workflow: workflow.name.clone(),
                expected: workflow.stages.len(),
                found: model.stages.len(),
            });
        }
        check_cold_stages(workflow, settings)?;
        // Counts and memory first: refuses an oversized problem before listing anything.
        estimate(workflow, dag, platform, settings, limit_bytes)?;
        let mut archs: Vec<Vec<Arch>> = vec![Vec::new(); workflow.stages.len()];
        let cands: Vec<Vec<Config>> = workflow
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let base = candidates(s, platform);
                match arch {
                    Some(a) if a.stages.get(i).is_some_and(|c| c.source.is_some()) => {
                        let (configs, of) = a.expand(i, &base);
                        archs[i] = of;
                        configs
                    }
                    _ => base,
                }
            })
            .collect();
        for (s, c) in workflow.stages.iter().zip(&cands) {
            if c.is_empty() {
                return Err(SamplingError::NoCandidates {
                    stage: s.id.clone(),
                    reason: "empty memory grid or d list",
                });
            }
        }
        let ln_space: f64 = cands.iter().map(|c| (c.len() as f64).ln()).sum();
        let contexts: Vec<Option<StageContext>> = (0..workflow.stages.len())
            .map(|i| input_context(workflow, dag, &cands, i))
            .collect();
        let rows: usize = cands
            .iter()
            .zip(&contexts)
            .map(|(c, cx)| c.len() * cx.as_ref().map_or(1, |cx| cx.parent_d.len()))
            .sum();
        let design = design(settings, ln_space, rows)?;
        let n = design.n_samples;
        let repeats = workflow.repeats();
        check_loop_memory(workflow, &repeats, n, limit_bytes)?;
        let mut active = Vec::new();
        Branches::new(workflow, settings.seed, 0).draw(n, &mut active);
        // Each stage's residuals come from its own stream: drawn on every core
        // with the `parallel` feature, the same values as one after another.
        let resid_of = |i: usize| {
            residuals(
                &model.stages[i],
                settings.seed,
                i as u64,
                n * repeats[i] as usize,
            )
        };
        #[cfg(feature = "parallel")]
        let mut resid: Vec<Residuals> = {
            use rayon::prelude::*;
            (0..workflow.stages.len())
                .into_par_iter()
                .map(resid_of)
                .collect()
        };
        #[cfg(not(feature = "parallel"))]
        let mut resid: Vec<Residuals> = (0..workflow.stages.len()).map(resid_of).collect();
        let stages: Vec<Partial> = contexts
            .into_iter()
            .zip(active)
            .zip(resid.drain(..))
            .enumerate()
            .map(|(i, ((context, active), resid))| Partial {
                configs: cands[i].clone(),
                archs: std::mem::take(&mut archs[i]),
                other_model: arch
                    .filter(|a| a.stages.get(i).is_some_and(|c| c.source.is_some()))
                    .map(|a| a.other_model(i, &model.stages[i])),
                context,
                active,
                resid,
                repeat: repeats[i],
                cold_starts: settings.cold_starts_of(&workflow.stages[i].id),
                starts: Vec::new(),
                latency_s: Vec::new(),
                cost_usd: Vec::new(),
                expected_cost_usd: Vec::new(),
            })
            .collect();
        let total = stages.iter().map(Partial::rows).sum();
        Ok(Sampler {
            workflow,
            model: model.clone(),
            platform,
            other: arch.map(|a| (a.native, a.other_platform.clone())),
            parents: dag.parents.clone(),
            topo: dag.topo.clone(),
            n_samples: n,
            percentile: settings.percentile,
            design,
            stages,
            cursor: (0, 0),
            done: 0,
            total,
        })
    }

    /// Reuses the table buffers of a previous problem (same stage count), so a
    /// rebuild after a settings change does not allocate (and, natively, does not
    /// page-fault) tens of megabytes again. Call before the first [`Sampler::step`].
    pub fn reuse_buffers(&mut self, old: SampledProblem) {
        for (st, t) in self.stages.iter_mut().zip(old.stages) {
            if st.latency_s.is_empty() {
                st.latency_s = t.latency_s;
                st.latency_s.clear();
                st.cost_usd = t.cost_usd;
                st.cost_usd.clear();
            }
        }
    }

    /// Number of Monte Carlo samples.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// The sample design (N, a and whether the union bound holds).
    pub fn design(&self) -> SampleDesign {
        self.design
    }

    /// Fills up to `budget` rows (at least one while work remains).
    ///
    /// A row depends only on its stage's residuals and its own configuration, so
    /// with the `parallel` feature the rows of a step are filled on every core;
    /// the tables are the same bits as with one thread.
    pub fn step(&mut self, budget: usize) -> SamplingProgress {
        let mut left = budget.max(1);
        while left > 0 && self.cursor.0 < self.stages.len() {
            let (i, row) = self.cursor;
            let rows = self.stages[i].rows();
            if row >= rows {
                self.cursor = (i + 1, 0);
                continue;
            }
            let end = rows.min(row.saturating_add(left));
            self.fill_rows(i, row..end);
            if end == rows {
                self.stages[i].starts = Vec::new();
            }
            self.cursor.1 = end;
            self.done += end - row;
            left -= end - row;
        }
        if self.done >= self.total {
            SamplingProgress::Done
        } else {
            SamplingProgress::Running {
                done: self.done,
                total: self.total,
            }
        }
    }

    /// Computes the start-up columns ([`StartUps`]) of the instance counts d that
    /// rows `range` of stage `i` need and the stage does not hold yet, while they fit
    /// in [`START_UPS_BUDGET_BYTES`] (rows without one compute their start-ups
    /// themselves, to the same bits). Only mixtures with cold starts get one.
    fn start_ups(&mut self, i: usize, range: std::ops::Range<usize>) {
        let st = &mut self.stages[i];
        let sm = &self.model.stages[i];
        let init = self.platform.pricing.billed_init;
        let each = StartUps::bytes(st.resid.rho.len(), init).max(1);
        let room = START_UPS_BUDGET_BYTES / each;
        let n_cfg = st.configs.len();
        let mut missing: Vec<u32> = Vec::new();
        for row in range {
            if st.starts.len() + missing.len() >= room {
                break;
            }
            let cfg = st.configs[row % n_cfg];
            let input_d = st.context.as_ref().map(|c| c.parent_d[row / n_cfg]);
            let vcpu = f64::from(cfg.memory_mb) / self.platform.mb_per_vcpu;
            let d = sm.curves(cfg, input_d, vcpu).d;
            if missing.contains(&d) || st.starts.iter().any(|(k, _)| *k == d) {
                continue;
            }
            if sm.cold_mix(d, st.cold_starts).active() {
                missing.push(d);
            }
        }
        if missing.is_empty() {
            return;
        }
        let (resid, cold_starts) = (&st.resid, st.cold_starts);
        let column = |d: u32| (d, StartUps::new(resid, &sm.cold_mix(d, cold_starts), init));
        #[cfg(feature = "parallel")]
        let new: Vec<(u32, StartUps)> = {
            use rayon::prelude::*;
            missing.into_par_iter().map(column).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let new: Vec<(u32, StartUps)> = missing.into_iter().map(column).collect();
        st.starts.extend(new);
    }

    /// Fills rows `range` of stage `i` (allocating the stage's tables on its first row).
    fn fill_rows(&mut self, i: usize, range: std::ops::Range<usize>) {
        let n = self.n_samples;
        let st = &mut self.stages[i];
        if range.start == 0 {
            let cap = st.rows() * n;
            // A new table is allocated zeroed by the system (no pass over it here: its
            // pages are first touched by the threads that fill them); a reused one is
            // cleared and refilled.
            for v in [&mut st.latency_s, &mut st.cost_usd] {
                if v.capacity() < cap {
                    *v = vec![0.0; cap];
                } else {
                    v.clear();
                    v.resize(cap, 0.0);
                }
            }
            st.expected_cost_usd.clear();
            st.expected_cost_usd.resize(st.rows(), 0.0);
            st.starts.clear();
        }
        self.start_ups(i, range.clone());
        let st = &mut self.stages[i];
        let ctx = RowContext {
            workflow: self.workflow,
            model: &self.model,
            platform: self.platform,
            parents: &self.parents,
            topo: &self.topo,
            stage: i,
            configs: &st.configs,
            archs: &st.archs,
            other_model: st.other_model.as_ref(),
            other: self.other.as_ref(),
            context: st.context.as_ref(),
            resid: &st.resid,
            starts: &st.starts,
            active: &st.active,
            cold_starts: st.cold_starts,
            repeat: st.repeat,
            n,
        };
        let lat = &mut st.latency_s[range.start * n..range.end * n];
        let cost = &mut st.cost_usd[range.start * n..range.end * n];
        let expected = &mut st.expected_cost_usd[range.clone()];
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            if range.len() > 1 {
                lat.par_chunks_mut(n)
                    .zip(cost.par_chunks_mut(n))
                    .zip(expected.par_iter_mut())
                    .enumerate()
                    .for_each_init(RowScratch::default, |scratch, (k, ((l, c), e))| {
                        *e = ctx.fill(range.start + k, l, c, scratch);
                    });
                return;
            }
        }
        let mut scratch = RowScratch::default();
        for (k, ((l, c), e)) in lat
            .chunks_mut(n)
            .zip(cost.chunks_mut(n))
            .zip(expected.iter_mut())
            .enumerate()
        {
            *e = ctx.fill(range.start + k, l, c, &mut scratch);
        }
    }

    /// Runs any remaining rows, applies the timeout filter and returns the problem.
    pub fn finish(mut self) -> Result<SampledProblem, SamplingError> {
        while let SamplingProgress::Running { .. } = self.step(usize::MAX) {}
        let n = self.n_samples;
        let mut tables = Vec::with_capacity(self.stages.len());
        for (i, st) in self.stages.into_iter().enumerate() {
            // A loop's body is judged on its runs together: k runs each within
            // the timeout take at most k timeouts.
            let timeout_s = self.platform.timeout_s * f64::from(st.repeat);
            let table = drop_timeouts(st, n, self.percentile, timeout_s);
            if table.configs.is_empty() {
                return Err(SamplingError::NoCandidates {
                    stage: self.workflow.stages[i].id.clone(),
                    reason: "every candidate exceeds the platform timeout",
                });
            }
            tables.push(table);
        }
        let shared = crate::problem::merge_groups(self.workflow.shared_groups());
        // Stages that share a function compare architectures: a member without an
        // architecture choice runs on the platform's own.
        if let Some((native, _)) = &self.other {
            for g in &shared {
                if g.iter().any(|&i| !tables[i].architectures.is_empty()) {
                    for &i in g {
                        if tables[i].architectures.is_empty() {
                            tables[i].architectures = vec![*native; tables[i].configs.len()];
                        }
                    }
                }
            }
        }
        Ok(SampledProblem {
            n_samples: n,
            stages: tables,
            parents: self.parents,
            topo: self.topo,
            concurrency_limit: Some(self.platform.concurrency_limit),
            percentile: self.percentile,
            allowed_violations: self.design.allowed_violations,
            shared,
        })
    }
}
