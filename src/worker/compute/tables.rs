//! The compact figures the app needs without another round trip: the
//! plan-table rows of every configuration a frontier point uses, and the
//! fitted curves of every stage for the profiles chart.
//!
//! A row's stage latency quantiles are taken over the stage's samples of that
//! configuration (in its input context, `SampledProblem::rows`) with the core's
//! nearest-rank `stats::quantile`, as `solve::evaluate` and the exported plan do;
//! its expected cost is the sampled table's.

use std::collections::HashMap;

use faasplan_core::dag::{Config, StageKind, Workflow};
use faasplan_core::frontier::Frontier;
use faasplan_core::model::{FitReport, WorkflowModel};
use faasplan_core::problem::{PlanError, SampledProblem};
use faasplan_core::profile::Profiles;
use faasplan_core::stats::quantile;

use crate::worker::protocol::{ConfigRow, FitCurve, StageFit, StageRows};

/// Points per fitted curve.
pub const CURVE_POINTS: usize = 24;

/// The rows of every configuration the frontier's points use, and per point
/// (in order) each stage's row index; an error when a point's plan does not
/// fit the problem.
pub fn frontier_rows(
    workflow: &Workflow,
    problem: &SampledProblem,
    frontier: &Frontier,
) -> Result<(Vec<StageRows>, Vec<Vec<u32>>), PlanError> {
    let mut stages: Vec<StageRows> = workflow
        .stages
        .iter()
        .map(|s| StageRows {
            stage: s.id.clone(),
            rows: Vec::new(),
        })
        .collect();
    let mut seen: Vec<HashMap<usize, u32>> = vec![HashMap::new(); problem.stages.len()];
    let points = frontier
        .points
        .iter()
        .map(|p| {
            let choice = &p.plan.choice;
            let configs = problem.configs(choice)?;
            let rows = problem
                .rows(choice)?
                .into_iter()
                .enumerate()
                .map(|(i, row)| {
                    *seen[i].entry(row).or_insert_with(|| {
                        let samples = problem.latencies(i, row);
                        stages[i].rows.push(ConfigRow {
                            memory_mb: configs[i].memory_mb,
                            d: configs[i].d,
                            p50_s: quantile(samples, 0.5),
                            q_s: quantile(samples, problem.percentile),
                            expected_cost_usd: problem.expected_cost(i, row),
                        });
                        (stages[i].rows.len() - 1) as u32
                    })
                })
                .collect();
            Ok(rows)
        })
        .collect::<Result<_, PlanError>>()?;
    Ok((stages, points))
}

/// Fitted mean wall time against memory, one curve per measured d, with the
/// fit and cross-validation errors of the fit report.
pub fn fits(
    workflow: &Workflow,
    profiles: &Profiles,
    model: &WorkflowModel,
    report: &FitReport,
) -> Vec<StageFit> {
    workflow
        .stages
        .iter()
        .zip(&model.stages)
        .zip(&report.stages)
        .filter_map(|((stage, sm), rep)| {
            let runs = &profiles.stage(&stage.id)?.runs;
            let lo = runs.iter().map(|r| r.memory_mb).min()?;
            let hi = runs.iter().map(|r| r.memory_mb).max()?;
            let mut ds: Vec<u32> = runs.iter().map(|r| r.d).collect();
            ds.sort_unstable();
            ds.dedup();
            let curves = ds
                .into_iter()
                .map(|d| FitCurve {
                    d,
                    points: (0..CURVE_POINTS)
                        .map(|k| {
                            let t = k as f64 / (CURVE_POINTS - 1) as f64;
                            let m = f64::from(lo) + t * f64::from(hi - lo);
                            let memory_mb = m.round() as u32;
                            let (cfg, input_d) = match stage.kind {
                                StageKind::Parallel => (Config { memory_mb, d }, None),
                                StageKind::Single => (Config { memory_mb, d: 1 }, Some(d)),
                            };
                            let vcpu = f64::from(memory_mb) / profiles.mb_per_vcpu;
                            (f64::from(memory_mb), sm.predict(cfg, input_d, vcpu).mean_s)
                        })
                        .collect(),
                })
                .collect();
            Some(StageFit {
                stage: stage.id.clone(),
                curves,
                fit_mean_pct: rep.fit_mean_pct,
                cv_mean_pct: rep.cv_mean_pct,
            })
        })
        .collect()
}
