//! What the browser can run: the sampled table's size is known before a single
//! sample is drawn (candidates × input contexts × N per stage, two `f64` each),
//! so settings whose table would not fit in the worker's memory are refused
//! before running, naming the figures, instead of crashing the worker.

use faasplan_core::dag::{Dag, Workflow};
use faasplan_core::platform::Platform;
use faasplan_core::sampling::{SamplingError, estimate};
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

/// The table size `sampling::Sampler` would allocate for these inputs, from the
/// core's own estimate (`sampling::estimate`), so the two never disagree.
pub fn table_size(
    workflow: &Workflow,
    dag: &Dag,
    platform: &Platform,
    settings: &PlanSettings,
) -> Result<TableSize, SamplingError> {
    let e = estimate(workflow, dag, platform, settings, u64::MAX)?;
    Ok(TableSize {
        samples: e.n_samples as u64,
        rows: e.rows.iter().fold(0u64, |a, &r| a.saturating_add(r)),
    })
}
