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

/// Residual values per pool the curves' means are taken over. A curve point's
/// mean is over the start-up distribution (at most n_ρ + n_κ values) times the
/// run-to-run pool (n_ε), and a 10,000-run profile has thousands of each. Above
/// this many values a pool (ρ, ε or the cold start-ups κ) is replaced by its
/// evenly ranked order statistics (minimum and maximum kept), as the core's fit
/// report does for its predictions; the bundled profiles (under 128 runs a stage)
/// are unchanged.
pub const CURVE_POOL: usize = 128;

/// `CURVE_POOL` evenly ranked order statistics of `v` (all of `v` when shorter).
fn ranked(v: &[f64]) -> Vec<f64> {
    ranked_to(v, CURVE_POOL)
}

/// `k` evenly ranked order statistics of `v` (all of `v` when shorter), ascending.
fn ranked_to(v: &[f64], k: usize) -> Vec<f64> {
    if v.len() <= k {
        return v.to_vec();
    }
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    let last = (sorted.len() - 1) as f64;
    (0..k)
        .map(|i| sorted[(i as f64 * last / (k - 1) as f64).round() as usize])
        .collect()
}

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
                            architecture: problem.stages[i].architecture(choice[i] as usize),
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
            let mut sm = sm.clone();
            sm.cold_start_s = ranked(&sm.cold_start_s);
            sm.start_resid_s = ranked(&sm.start_resid_s);
            sm.noise = ranked(&sm.noise);
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
                            (f64::from(memory_mb), sm.mean_latency(cfg, input_d, vcpu))
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

#[cfg(test)]
mod pool_tests {
    use super::*;

    #[test]
    fn short_pools_are_kept_and_long_ones_keep_min_max_and_even_ranks() {
        let short: Vec<f64> = (0..CURVE_POOL).map(|i| i as f64).rev().collect();
        assert_eq!(ranked(&short), short, "unchanged, order included");
        let long: Vec<f64> = (0..1_000).map(|i| f64::from((i * 7919) % 1_000)).collect();
        let got = ranked(&long);
        assert_eq!(got.len(), CURVE_POOL);
        assert_eq!((got[0], got[CURVE_POOL - 1]), (0.0, 999.0));
        assert!(got.windows(2).all(|w| w[0] <= w[1]));
        let mean = got.iter().sum::<f64>() / got.len() as f64;
        assert!((mean - 499.5).abs() < 1.0, "the mean is kept: {mean}");
    }
}
