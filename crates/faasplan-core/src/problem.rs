//! The sampled planning problem: the table the solver and the frontier work on.
//!
//! For every stage, every candidate configuration and every Monte Carlo sample
//! it holds the stage latency and the stage cost, drawn with common random
//! numbers (sample `s` uses the same random draws for every candidate). The
//! solver needs nothing else: not the model, not the profiles.
//!
//! Layout: a stage's values are flattened as `[(ctx * n_configs + cfg) * n_samples + s]`,
//! where `ctx` indexes [`StageContext::parent_d`] for a stage whose latency depends
//! on another stage's instance count, and is 0 otherwise. `ctx * n_configs + cfg`
//! is the *row* of a (context, configuration) pair.
//!
//! Beside the raw vectors (which hot loops read directly), the index API names
//! that arithmetic once: [`StageTable::row`], [`SampledProblem::latencies`],
//! [`SampledProblem::costs`], [`SampledProblem::expected_cost`], and for a whole
//! plan [`SampledProblem::contexts`] and [`SampledProblem::rows`], which return a
//! [`PlanError`] when a context parent's d has no block (never a silent block 0).
//!
//! ```
//! use faasplan_core::solve::synthetic::{Shape, problem};
//!
//! let p = problem(Shape::Ml, 100, 1);
//! let choice = vec![0; p.stages.len()];
//! let rows = p.rows(&choice)?;
//! let first = p.latencies(0, rows[0]);
//! assert_eq!(first.len(), p.n_samples);
//! assert_eq!(first[0], p.stages[0].latency_s[rows[0] * p.n_samples]);
//! # Ok::<(), faasplan_core::problem::PlanError>(())
//! ```

use std::ops::Range;

use crate::dag::Config;

/// A stage whose latency depends on the instance count of another stage
/// (a single-instance stage reading its parallel parent's partitions).
#[derive(Clone, Debug, PartialEq)]
pub struct StageContext {
    /// The stage whose d matters (a parent of this stage).
    pub parent: usize,
    /// The values that parent's d can take, ascending; a context index points here.
    pub parent_d: Vec<u32>,
}

/// The element type of the per-sample latency and cost tables.
///
/// Single precision: the sampler computes every value in `f64` and stores it
/// rounded to the nearest `f32` (relative error at most 2⁻²⁴ ≈ 6·10⁻⁸ per entry;
/// `docs/limits.md`, "Sample tables in f32"). Every reader widens the stored value
/// to `f64` (exactly) and does all its arithmetic in `f64`, so the solver, the
/// frontier, the evaluator and the brute-force checks see the same numbers and
/// agree bit for bit.
pub type Sample = f32;

/// Rounds an `f64` table value to the stored [`Sample`] (nearest, ties to even).
#[inline]
pub fn to_sample(v: f64) -> Sample {
    v as Sample
}

/// Replaces `out` with `values` widened to `f64` (exact).
pub fn widen(values: &[Sample], out: &mut Vec<f64>) {
    out.clear();
    out.extend(values.iter().map(|&v| f64::from(v)));
}

/// Candidates of one stage with their sampled latencies and costs.
#[derive(Clone, Debug, PartialEq)]
pub struct StageTable {
    /// Candidate configurations (after memory range, timeout and user constraints).
    pub configs: Vec<Config>,
    /// Set when the latency depends on a parent's d.
    pub context: Option<StageContext>,
    /// Expected cost per run, USD, indexed `[ctx * n_configs + cfg]`.
    pub expected_cost_usd: Vec<f64>,
    /// Per-sample cost, USD, indexed `[(ctx * n_configs + cfg) * n_samples + s]`
    /// (stored as [`Sample`]).
    pub cost_usd: Vec<Sample>,
    /// Per-sample stage latency, s, same layout as `cost_usd`.
    pub latency_s: Vec<Sample>,
    /// The architecture of each candidate, indexed like `configs`; empty when
    /// every candidate runs on the platform's own ([`crate::arch`]).
    pub architectures: Vec<crate::arch::Arch>,
}

impl StageTable {
    /// Number of candidate configurations.
    pub fn n_configs(&self) -> usize {
        self.configs.len()
    }

    /// The architecture of candidate `cfg`: `None` for the platform's own when
    /// the table has no architecture choice.
    pub fn architecture(&self, cfg: usize) -> Option<crate::arch::Arch> {
        self.architectures.get(cfg).copied()
    }

    /// Number of contexts (1 when the stage has no context).
    pub fn n_contexts(&self) -> usize {
        self.context.as_ref().map_or(1, |c| c.parent_d.len())
    }

    /// Number of rows: one per (context, configuration) pair.
    pub fn n_rows(&self) -> usize {
        self.n_contexts() * self.configs.len()
    }

    /// The row of configuration `cfg` in context `ctx`: `ctx * n_configs + cfg`.
    /// Index of `expected_cost_usd`; the samples of the row start at `row * n_samples`.
    pub fn row(&self, ctx: usize, cfg: usize) -> usize {
        debug_assert!(ctx < self.n_contexts() && cfg < self.configs.len());
        ctx * self.configs.len() + cfg
    }

    /// The context index for the context parent's instance count `parent_d`:
    /// `Some(0)` for a stage without a context, `None` when that d has no block.
    pub fn context_of(&self, parent_d: u32) -> Option<usize> {
        match &self.context {
            None => Some(0),
            Some(cx) => cx.parent_d.iter().position(|&d| d == parent_d),
        }
    }
}

/// A plan that does not fit its problem.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// Wrong number of stages.
    #[error("plan has {found} stages, the problem {expected}")]
    Length {
        /// Stages in the problem.
        expected: usize,
        /// Stages in the plan.
        found: usize,
    },
    /// A configuration index is out of range.
    #[error("stage {stage} has no configuration {index}")]
    Index {
        /// The stage.
        stage: usize,
        /// The index.
        index: u32,
    },
    /// A context parent's d has no block in the stage's table.
    #[error("stage {stage} has no context for parent d = {d}")]
    Context {
        /// The stage with the context.
        stage: usize,
        /// The parent's d.
        d: u32,
    },
    /// The problem has no samples or too many allowed violations.
    #[error("n_samples {n_samples} must exceed allowed_violations {allowed_violations}")]
    Samples {
        /// Number of samples.
        n_samples: usize,
        /// Allowed violations.
        allowed_violations: usize,
    },
}

/// `groups` with overlapping groups merged, each sorted and deduplicated, and
/// groups of fewer than two stages dropped (the index form of
/// [`crate::dag::Workflow::shared`], or its image under a contraction).
pub fn merge_groups(groups: impl IntoIterator<Item = Vec<usize>>) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    for mut g in groups {
        g.sort_unstable();
        g.dedup();
        while let Some(at) = out
            .iter()
            .position(|o| o.iter().any(|x| g.binary_search(x).is_ok()))
        {
            g.extend(out.swap_remove(at));
            g.sort_unstable();
            g.dedup();
        }
        out.push(g);
    }
    out.retain(|g| g.len() >= 2);
    out.sort();
    out
}

/// The whole sampled problem.
#[derive(Clone, Debug, PartialEq)]
pub struct SampledProblem {
    /// Number of Monte Carlo samples.
    pub n_samples: usize,
    /// One table per stage, indexed like `Workflow::stages`.
    pub stages: Vec<StageTable>,
    /// Parents of each stage (the DAG).
    pub parents: Vec<Vec<usize>>,
    /// A topological order of the stages.
    pub topo: Vec<usize>,
    /// Most instances that may run at once: the sum of d over any set of stages
    /// that can run at the same time (an antichain of the DAG) must not exceed it.
    pub concurrency_limit: Option<u32>,
    /// Percentile q of the guarantee.
    pub percentile: f64,
    /// Number of samples allowed to violate a bound: `floor(alpha * n_samples)`.
    pub allowed_violations: usize,
    /// Groups of stages that run one function: every plan gives a group's
    /// members one memory size and one architecture ([`SampledProblem::tied`]);
    /// from [`crate::dag::Workflow::shared`]. Empty when no stages share.
    pub shared: Vec<Vec<usize>>,
}

impl SampledProblem {
    /// Whether configuration `a` of stage `i` and configuration `b` of stage `j`
    /// may both be in one plan when the two stages share a function: the same
    /// memory size and the same architecture.
    pub fn tied(&self, i: usize, a: usize, j: usize, b: usize) -> bool {
        let (x, y) = (&self.stages[i], &self.stages[j]);
        x.configs[a].memory_mb == y.configs[b].memory_mb && x.architecture(a) == y.architecture(b)
    }

    /// For each stage, the member of its [`SampledProblem::shared`] group that
    /// comes first in `topo`, when that is another stage (`None` for the first
    /// member and for stages in no group).
    pub fn tie_leads(&self) -> Vec<Option<usize>> {
        let mut rank = vec![usize::MAX; self.stages.len()];
        for (r, &i) in self.topo.iter().enumerate() {
            if let Some(x) = rank.get_mut(i) {
                *x = r;
            }
        }
        let mut lead = vec![None; self.stages.len()];
        for g in &self.shared {
            let Some(&first) = g
                .iter()
                .filter(|&&i| i < rank.len())
                .min_by_key(|&&i| rank[i])
            else {
                continue;
            };
            for &i in g {
                if i != first && i < self.stages.len() {
                    lead[i] = Some(first);
                }
            }
        }
        lead
    }

    /// Whether `choice` gives every group's members one memory size and architecture.
    pub fn ties_hold(&self, choice: &[u32]) -> bool {
        self.shared.iter().all(|g| {
            g.windows(2).all(|w| {
                let (i, j) = (w[0], w[1]);
                match (choice.get(i), choice.get(j)) {
                    (Some(&a), Some(&b)) => self.tied(i, a as usize, j, b as usize),
                    _ => false,
                }
            })
        })
    }

    /// The index range of `row`'s samples in a stage's `latency_s` and `cost_usd`.
    pub fn sample_range(&self, row: usize) -> Range<usize> {
        row * self.n_samples..(row + 1) * self.n_samples
    }

    /// Per-sample latency of `stage` at `row`, s.
    pub fn latencies(&self, stage: usize, row: usize) -> &[Sample] {
        &self.stages[stage].latency_s[self.sample_range(row)]
    }

    /// Per-sample cost of `stage` at `row`, USD.
    pub fn costs(&self, stage: usize, row: usize) -> &[Sample] {
        &self.stages[stage].cost_usd[self.sample_range(row)]
    }

    /// Expected cost of `stage` at `row`, USD.
    pub fn expected_cost(&self, stage: usize, row: usize) -> f64 {
        self.stages[stage].expected_cost_usd[row]
    }

    /// Checks that `choice` has one configuration index in range per stage.
    pub fn check_choice(&self, choice: &[u32]) -> Result<(), PlanError> {
        if choice.len() != self.stages.len() {
            return Err(PlanError::Length {
                expected: self.stages.len(),
                found: choice.len(),
            });
        }
        match choice
            .iter()
            .zip(&self.stages)
            .position(|(&c, t)| c as usize >= t.configs.len())
        {
            Some(stage) => Err(PlanError::Index {
                stage,
                index: choice[stage],
            }),
            None => Ok(()),
        }
    }

    /// The context index of every stage under `choice` (0 for a stage without a
    /// context); an error when `choice` does not fit or a context parent's d has no block.
    pub fn contexts(&self, choice: &[u32]) -> Result<Vec<usize>, PlanError> {
        self.check_choice(choice)?;
        self.stages
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let d = match &t.context {
                    None => return Ok(0),
                    Some(cx) => self.stages[cx.parent].configs[choice[cx.parent] as usize].d,
                };
                t.context_of(d).ok_or(PlanError::Context { stage: i, d })
            })
            .collect()
    }

    /// The row of every stage under `choice` (see [`SampledProblem::contexts`]).
    pub fn rows(&self, choice: &[u32]) -> Result<Vec<usize>, PlanError> {
        let ctx = self.contexts(choice)?;
        Ok(self
            .stages
            .iter()
            .zip(ctx)
            .zip(choice)
            .map(|((t, x), &c)| t.row(x, c as usize))
            .collect())
    }

    /// The configuration of every stage under `choice`.
    pub fn configs(&self, choice: &[u32]) -> Result<Vec<Config>, PlanError> {
        self.check_choice(choice)?;
        Ok(self
            .stages
            .iter()
            .zip(choice)
            .map(|(t, &c)| t.configs[c as usize])
            .collect())
    }

    /// The architecture of every stage under `choice` (`None` where the stage
    /// has no architecture choice, or runs on an edge device).
    pub fn architectures(&self, choice: &[u32]) -> Vec<Option<crate::arch::Arch>> {
        self.stages
            .iter()
            .zip(choice)
            .map(|(t, &c)| t.architecture(c as usize))
            .collect()
    }
}

/// Bytes of memory a sampled problem of `rows` table rows in all (candidates ×
/// contexts, summed over the stages), `stages` stages and `n_samples` samples
/// needs while it is built and solved: the latency and cost tables
/// (`2 × rows × n_samples` values of [`Sample`], 4 bytes each), each stage's
/// four per-sample residual columns (`f64`) and the evaluator's per-sample buffers.
///
/// Computed in `f64`, so absurd sizes give a large number, never an overflow.
/// This is the one place that knows the table layout's size; [`SampledProblem`]
/// and the sampler's guard follow it.
pub fn estimated_bytes(rows: f64, stages: f64, n_samples: f64) -> f64 {
    let value = std::mem::size_of::<f64>() as f64;
    let sample = std::mem::size_of::<Sample>() as f64;
    let tables = 2.0 * rows * n_samples * sample;
    let residuals = 4.0 * stages * n_samples * value;
    let evaluation = 4.0 * n_samples * value;
    tables + residuals + evaluation
}

/// The default most memory a sampled problem may take, bytes (2 GiB): half of
/// what a wasm32 module can address, and well within a laptop's memory.
pub const DEFAULT_MEMORY_LIMIT_BYTES: u64 = 2 << 30;
