//! Monte Carlo sampling of the fitted models into a [`SampledProblem`].
//!
//! # Sample count
//!
//! `N = ceil(ln(|X| / δ) / (2 (ε − α)²))` with ε = 1 − q and
//! `ln |X| = Σ_i ln |C_i|` (the real size of the decision space, computed in log
//! space so 8 stages × 10⁴ candidates do not overflow); see [`sample_count`].
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
//!
//! Candidates whose q-quantile stage latency exceeds the platform timeout are
//! excluded (for a stage with contexts: when they exceed it under every value of
//! the parent's d). `allowed_violations = floor(α·N)`.
//!
//! The work is resumable: [`Sampler::step`] fills a budget of table rows (one
//! row = one candidate under one context, N samples) and reports
//! [`SamplingProgress`]; [`build_problem`] just runs it to the end.

mod fresh;
mod kernel;
mod table;

pub use fresh::{FRESH_STREAM_BASE, FreshEvaluation, evaluate_fresh};

use kernel::{Coster, Residuals, fill_samples, residuals};
use table::{drop_timeouts, input_context};

use crate::dag::{Config, Dag, Stage, StageKind, Workflow};
use crate::model::WorkflowModel;
use crate::platform::Platform;
use crate::problem::{SampledProblem, StageContext};
use crate::settings::{PlanSettings, SampleCount};

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
    /// A setting is out of range.
    #[error("setting `{field}` is out of range: {value}")]
    BadSetting {
        /// Field name.
        field: &'static str,
        /// Offending value.
        value: f64,
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

/// Number of Monte Carlo samples for `settings` over a space of `exp(ln_space_size)` plans.
pub fn sample_count(settings: &PlanSettings, ln_space_size: f64) -> usize {
    match settings.samples {
        SampleCount::Fixed(n) => n.max(1),
        SampleCount::Auto => {
            let gap = (1.0 - settings.percentile) - settings.alpha;
            let n = (ln_space_size.max(0.0) - settings.delta.ln()) / (2.0 * gap * gap);
            if n.is_finite() {
                n.ceil().max(1.0) as usize
            } else {
                1
            }
        }
    }
}

/// The candidate configurations of a stage, memory-major: the fixed configuration
/// if any, else the memory grid within the platform's range × the allowed d
/// (d = 1 for a single-instance stage).
pub fn candidates(stage: &Stage, platform: &Platform) -> Vec<Config> {
    if let Some(c) = stage.fixed {
        return vec![c];
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
    let g = stage.memory;
    let step = g.step_mb.max(1);
    let mut out = Vec::new();
    let mut m = g.min_mb;
    while m <= g.max_mb {
        if (platform.min_memory_mb..=platform.max_memory_mb).contains(&m) {
            out.extend(ds.iter().map(|&d| Config { memory_mb: m, d }));
        }
        match m.checked_add(step) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
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
    if !(s.alpha >= 0.0 && s.alpha < 1.0 - s.percentile) {
        return bad("alpha", s.alpha);
    }
    Ok(())
}

/// One stage being sampled.
struct Partial {
    configs: Vec<Config>,
    context: Option<StageContext>,
    /// Per-sample residuals of this stage.
    resid: Residuals,
    latency_s: Vec<f64>,
    cost_usd: Vec<f64>,
    expected_cost_usd: Vec<f64>,
}

impl Partial {
    fn rows(&self) -> usize {
        self.configs.len() * self.context.as_ref().map_or(1, |c| c.parent_d.len())
    }
}

/// Resumable sampler of a [`SampledProblem`]. It keeps its own copy of the stage
/// models and of the DAG's parents and order (a few kB), so a run that owns the
/// fitted model can hold a sampler beside it.
pub struct Sampler<'a> {
    workflow: &'a Workflow,
    model: WorkflowModel,
    platform: &'a Platform,
    parents: Vec<Vec<usize>>,
    topo: Vec<usize>,
    n_samples: usize,
    percentile: f64,
    alpha: f64,
    stages: Vec<Partial>,
    cursor: (usize, usize),
    done: usize,
    total: usize,
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
        check_settings(settings)?;
        if model.stages.len() != workflow.stages.len() {
            return Err(SamplingError::ModelMismatch {
                workflow: workflow.name.clone(),
                expected: workflow.stages.len(),
                found: model.stages.len(),
            });
        }
        let cands: Vec<Vec<Config>> = workflow
            .stages
            .iter()
            .map(|s| candidates(s, platform))
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
        let n = sample_count(settings, ln_space);
        let stages: Vec<Partial> = (0..workflow.stages.len())
            .map(|i| {
                let context = input_context(workflow, dag, &cands, i);
                Partial {
                    configs: cands[i].clone(),
                    context,
                    resid: residuals(&model.stages[i], settings.seed, i as u64, n),
                    latency_s: Vec::new(),
                    cost_usd: Vec::new(),
                    expected_cost_usd: Vec::new(),
                }
            })
            .collect();
        let total = stages.iter().map(Partial::rows).sum();
        Ok(Sampler {
            workflow,
            model: model.clone(),
            platform,
            parents: dag.parents.clone(),
            topo: dag.topo.clone(),
            n_samples: n,
            percentile: settings.percentile,
            alpha: settings.alpha,
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

    /// Fills up to `budget` rows (at least one while work remains).
    pub fn step(&mut self, budget: usize) -> SamplingProgress {
        let mut left = budget.max(1);
        while left > 0 && self.cursor.0 < self.stages.len() {
            let (i, row) = self.cursor;
            if row >= self.stages[i].rows() {
                self.cursor = (i + 1, 0);
                continue;
            }
            self.fill_row(i, row);
            self.cursor.1 += 1;
            self.done += 1;
            left -= 1;
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

    fn fill_row(&mut self, i: usize, row: usize) {
        let st = &mut self.stages[i];
        let n_cfg = st.configs.len();
        let (ctx, j) = (row / n_cfg, row % n_cfg);
        let cfg = st.configs[j];
        let input_d = st.context.as_ref().map(|c| c.parent_d[ctx]);
        let vcpu = f64::from(cfg.memory_mb) / self.platform.mb_per_vcpu;
        let curves = self.model.stages[i].curves(cfg, input_d, vcpu);
        let coster = Coster::new(self.platform, cfg);
        if row == 0 {
            let cap = st.rows() * self.n_samples;
            st.latency_s.reserve_exact(cap);
            st.cost_usd.reserve_exact(cap);
        }
        let sum = fill_samples(
            &curves,
            &coster,
            &st.resid,
            &mut st.latency_s,
            &mut st.cost_usd,
        );
        st.expected_cost_usd.push(sum / self.n_samples as f64);
    }

    /// Runs any remaining rows, applies the timeout filter and returns the problem.
    pub fn finish(mut self) -> Result<SampledProblem, SamplingError> {
        while let SamplingProgress::Running { .. } = self.step(usize::MAX) {}
        let n = self.n_samples;
        let mut tables = Vec::with_capacity(self.stages.len());
        for (i, st) in self.stages.into_iter().enumerate() {
            let table = drop_timeouts(st, n, self.percentile, self.platform.timeout_s);
            if table.configs.is_empty() {
                return Err(SamplingError::NoCandidates {
                    stage: self.workflow.stages[i].id.clone(),
                    reason: "every candidate exceeds the platform timeout",
                });
            }
            tables.push(table);
        }
        Ok(SampledProblem {
            n_samples: n,
            stages: tables,
            parents: self.parents,
            topo: self.topo,
            concurrency_limit: Some(self.platform.concurrency_limit),
            percentile: self.percentile,
            allowed_violations: (self.alpha * n as f64).floor() as usize,
        })
    }
}
