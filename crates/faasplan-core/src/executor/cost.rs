//! The measured cost of an execution, priced like the prediction.
//!
//! A plan's predicted cost ([`crate::plan::PlanReport::cost_breakdown`]) counts
//! the functions' duration and request fees (or a service integration's price),
//! the orchestration (Step Functions transitions, or Express requests and
//! duration) and the intermediate data's object-storage requests and transfer.
//! [`measured_cost`] prices an [`ExecutionRecord`] the same way, from what ran:
//!
//! - **functions**: each stage's measured billed GB·s at the platform's price,
//!   plus one request fee per instance; a service stage costs its listed price
//!   per run instead;
//! - **transitions**: [`crate::pricing::workflow_stage_extra`]'s orchestration
//!   charge of every stage that ran, at the configuration it ran with (Express
//!   duration on the stage's measured latency);
//! - **transfer**: the same function's object-storage charge of every stage that ran
//!   (the data sizes of `pricing.edge_data`, as the prediction uses them).
//!
//! A stage that did not run (a Choice took another alternative) costs nothing.
//! A record without per-stage rows (an older executor) is priced from its
//! totals: functions only.

use super::ExecutionRecord;
use crate::dag::{Config, Workflow};
use crate::platform::Platform;
use crate::pricing::{CostBreakdown, workflow_stage_extra};

/// The cost of one execution split like the prediction's breakdown, USD.
pub fn measured_cost(
    workflow: &Workflow,
    platform: &Platform,
    record: &ExecutionRecord,
) -> CostBreakdown {
    let function_usd = |gb_s: f64, instances: u64| {
        gb_s * platform.price_per_gb_s + instances as f64 * platform.price_per_request
    };
    let mut b = CostBreakdown::default();
    let dag = match workflow.validate() {
        Ok(dag) if !record.stages.is_empty() => dag,
        _ => {
            b.functions_usd = function_usd(record.billed_gb_s, record.invocations);
            return b;
        }
    };
    let pricing = &platform.pricing;
    for s in &record.stages {
        let Some(i) = workflow.stage_index(&s.stage) else {
            // Not a stage of this workflow: its function time is still paid.
            b.functions_usd += function_usd(s.billed_gb_s, u64::from(s.d));
            continue;
        };
        let cfg = Config {
            memory_mb: s.memory_mb,
            d: s.d.max(1),
        };
        let extra = workflow_stage_extra(pricing, workflow, &dag.parents, &dag.topo, i, cfg);
        if extra.service {
            b.functions_usd += extra.service_usd;
        } else {
            b.functions_usd += function_usd(s.billed_gb_s, u64::from(s.d));
        }
        b.transitions_usd += extra.orchestration_usd + extra.orchestration_usd_per_s * s.latency_s;
        b.transfer_usd += extra.transfer_usd;
    }
    b
}

/// The mean of [`measured_cost`] over `records` (zero when there are none).
pub fn mean_measured_cost(
    workflow: &Workflow,
    platform: &Platform,
    records: &[ExecutionRecord],
) -> CostBreakdown {
    let mut sum = CostBreakdown::default();
    for r in records {
        let c = measured_cost(workflow, platform, r);
        sum.functions_usd += c.functions_usd;
        sum.transitions_usd += c.transitions_usd;
        sum.transfer_usd += c.transfer_usd;
        sum.edge_usd += c.edge_usd;
    }
    let n = records.len().max(1) as f64;
    CostBreakdown {
        functions_usd: sum.functions_usd / n,
        transitions_usd: sum.transitions_usd / n,
        transfer_usd: sum.transfer_usd / n,
        edge_usd: sum.edge_usd / n,
    }
}

/// The total of a breakdown, USD.
pub fn total_usd(b: &CostBreakdown) -> f64 {
    b.functions_usd + b.transitions_usd + b.transfer_usd + b.edge_usd
}
