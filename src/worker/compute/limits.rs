//! What the browser can run: the sampled table's size is known before a single
//! sample is drawn (candidates × input contexts × N per stage, two `f64` each),
//! so settings whose table would not fit in the worker's memory are refused
//! before running, naming the figures, instead of crashing the worker.

use faasplan_core::dag::{Dag, StageKind, Workflow};
use faasplan_core::platform::Platform;
use faasplan_core::sampling::{candidates, sample_count};
use faasplan_core::settings::PlanSettings;

/// Most bytes the sampled table may take in the worker. A wasm32 worker
/// addresses at most 4 GiB, and the frontier sweep and the out-of-sample check
/// need room beside the table; Chromium closed the tab at about 2.6 GB.
pub const MAX_TABLE_BYTES: u64 = 1 << 30;

/// The size of the sampled table a project would need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableSize {
    /// Monte Carlo samples N.
    pub samples: u64,
    /// Rows (configuration × input context) over all stages.
    pub rows: u64,
}

impl TableSize {
    /// Bytes of the latency and cost columns.
    pub fn bytes(&self) -> u64 {
        self.rows.saturating_mul(self.samples).saturating_mul(16)
    }
}

/// The table size `sampling::Sampler` would allocate for these inputs.
pub fn table_size(
    workflow: &Workflow,
    dag: &Dag,
    platform: &Platform,
    settings: &PlanSettings,
) -> TableSize {
    let cands: Vec<_> = workflow
        .stages
        .iter()
        .map(|s| candidates(s, platform))
        .collect();
    let ln_space: f64 = cands.iter().map(|c| (c.len().max(1) as f64).ln()).sum();
    let samples = sample_count(settings, ln_space) as u64;
    let rows = workflow
        .stages
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let contexts = match (stage.kind, dag.input_parent.get(i).copied().flatten()) {
                (StageKind::Single, Some(parent)) => {
                    let mut ds: Vec<u32> = cands[parent].iter().map(|c| c.d).collect();
                    ds.sort_unstable();
                    ds.dedup();
                    ds.len().max(1)
                }
                _ => 1,
            };
            (cands[i].len() * contexts) as u64
        })
        .sum();
    TableSize { samples, rows }
}
