//! The sampled planning problem: the table the solver and the frontier work on.
//!
//! For every stage, every candidate configuration and every Monte Carlo sample
//! it holds the stage latency and the stage cost, drawn with common random
//! numbers (sample `s` uses the same random draws for every candidate). The
//! solver needs nothing else: not the model, not the profiles.
//!
//! Layout: a stage's values are flattened as `[(ctx * n_configs + cfg) * n_samples + s]`,
//! where `ctx` indexes [`StageContext::parent_d`] for a stage whose latency depends
//! on another stage's instance count, and is 0 otherwise.

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

/// Candidates of one stage with their sampled latencies and costs.
#[derive(Clone, Debug, PartialEq)]
pub struct StageTable {
    /// Candidate configurations (after memory range, timeout and user constraints).
    pub configs: Vec<Config>,
    /// Set when the latency depends on a parent's d.
    pub context: Option<StageContext>,
    /// Expected cost per run, USD, indexed `[ctx * n_configs + cfg]`.
    pub expected_cost_usd: Vec<f64>,
    /// Per-sample cost, USD, indexed `[(ctx * n_configs + cfg) * n_samples + s]`.
    pub cost_usd: Vec<f64>,
    /// Per-sample stage latency, s, same layout as `cost_usd`.
    pub latency_s: Vec<f64>,
}

impl StageTable {
    /// Number of contexts (1 when the stage has no context).
    pub fn n_contexts(&self) -> usize {
        self.context.as_ref().map_or(1, |c| c.parent_d.len())
    }
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
}

/// Bytes of memory a sampled problem of `rows` table rows in all (candidates ×
/// contexts, summed over the stages), `stages` stages and `n_samples` samples
/// needs while it is built and solved: the latency and cost tables
/// (`2 × rows × n_samples` values of the table's element type), each stage's
/// per-sample residual columns and the evaluator's per-sample buffers.
///
/// Computed in `f64`, so absurd sizes give a large number, never an overflow.
/// This is the one place that knows the table layout's size; [`SampledProblem`]
/// and the sampler's guard follow it.
pub fn estimated_bytes(rows: f64, stages: f64, n_samples: f64) -> f64 {
    let value = std::mem::size_of::<f64>() as f64;
    let tables = 2.0 * rows * n_samples * value;
    let residuals = 2.0 * stages * n_samples * value;
    let evaluation = 4.0 * n_samples * value;
    tables + residuals + evaluation
}

/// The default most memory a sampled problem may take, bytes (2 GiB): half of
/// what a wasm32 module can address, and well within a laptop's memory.
pub const DEFAULT_MEMORY_LIMIT_BYTES: u64 = 2 << 30;
