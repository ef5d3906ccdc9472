//! The advisor's jobs: flagged runs and what to measure next
//! ([`advise`], what `faasplan fit` and `faasplan advise` print), and
//! provisioned concurrency from an invocation trace ([`prewarm`], what
//! `faasplan prewarm` prints). Both read the project's profiles, without the
//! flagged runs when `settings.exclude_flagged` is on, as the CLI does.

use faasplan_core::advisor::anomaly::{AnomalyReport, exclude_flagged};
use faasplan_core::advisor::forecast::{generate, read_trace_csv};
use faasplan_core::advisor::prewarm::{
    PrewarmSettings, ProvisionedPrices, cold_start_settings, plan_prewarm, stage_loads,
};
use faasplan_core::advisor::propose::{
    AdvisorSettings, advise as propose, current_plan, stage_inputs,
};
use faasplan_core::formats::project::Project as CoreProject;
use faasplan_core::profile::Profiles;

use super::Cache;
use crate::worker::protocol::advisor::{
    AdvisorOutput, PrewarmOutput, PrewarmRequest, StageForecast, TraceInput,
};

/// Most minutes of a generated trace (four weeks).
pub const MAX_TRACE_MINUTES: usize = 28 * 1440;

/// The profiles the advisor models: without the flagged runs when the
/// project's settings exclude them.
fn modelled(project: &CoreProject, flagged: &AnomalyReport) -> Profiles {
    if project.settings.exclude_flagged {
        exclude_flagged(&project.profiles, flagged)
    } else {
        project.profiles.clone()
    }
}

/// Flags anomalous configurations and proposes the next batch at `bound_s`.
pub fn advise(
    project: &CoreProject,
    cache: &mut Cache,
    bound_s: f64,
    batch: usize,
    now: &dyn Fn() -> f64,
) -> AdvisorOutput {
    let t0 = now();
    let flagged = cache.flagged(&project.profiles);
    let profiles = modelled(project, &flagged);
    let advice = (|| {
        let dag = project.workflow.validate().map_err(|e| e.to_string())?;
        let settings = AdvisorSettings {
            batch,
            ..AdvisorSettings::default()
        };
        let inputs = stage_inputs(&project.workflow, &dag, &profiles, &project.platform)
            .map_err(|e| e.to_string())?;
        propose(&dag, &inputs, &project.platform, bound_s, &settings).map_err(|e| e.to_string())
    })();
    AdvisorOutput {
        flagged,
        excluded: project.settings.exclude_flagged,
        advice,
        elapsed_ms: now() - t0,
    }
}

/// Plans provisioned concurrency for the stages of the advisor's current plan
/// at the request's bound, from the request's trace.
pub fn prewarm(
    project: &CoreProject,
    cache: &mut Cache,
    request: &PrewarmRequest,
    now: &dyn Fn() -> f64,
) -> Result<PrewarmOutput, String> {
    let t0 = now();
    let trace = match &request.trace {
        TraceInput::Generated {
            shape,
            minutes,
            seed,
        } => {
            if *minutes > MAX_TRACE_MINUTES {
                return Err(format!(
                    "trace minutes: {minutes} is more than the {MAX_TRACE_MINUTES} (four weeks) the browser plans with"
                ));
            }
            generate(shape.kind(), *minutes, *seed)
        }
        TraceInput::Csv { name, text } => {
            read_trace_csv(text).map_err(|e| format!("{name}: {e}"))?
        }
    };
    let settings = PrewarmSettings {
        target_cold_pct: request.target_cold_pct,
        forecaster: request
            .forecaster
            .forecaster(PrewarmSettings::default().keep_alive_minutes),
        prices: if project.platform.name.contains("arm64") {
            ProvisionedPrices::aws_arm64()
        } else {
            ProvisionedPrices::aws_x86_64()
        },
        ..PrewarmSettings::default()
    };
    let minutes = trace.counts.len();
    if minutes <= settings.evaluate_from {
        return Err(format!(
            "{}: {minutes} minutes; pre-warm planning needs more than {} (a day of history, a day to calibrate on, then the planned window)",
            request.trace.label(),
            settings.evaluate_from
        ));
    }
    let flagged = if project.settings.exclude_flagged {
        cache.flagged(&project.profiles)
    } else {
        Default::default()
    };
    let profiles = modelled(project, &flagged);
    let dag = project.workflow.validate().map_err(|e| e.to_string())?;
    let inputs = stage_inputs(&project.workflow, &dag, &profiles, &project.platform)
        .map_err(|e| e.to_string())?;
    let plan = current_plan(&dag, &inputs, &project.platform, request.bound_s)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!(
                "no plan over the measured configurations meets {} s: nothing to keep warm",
                request.bound_s
            )
        })?;
    let loads = stage_loads(&profiles, &plan).map_err(|e| e.to_string())?;
    let mut plan =
        plan_prewarm(&trace, &loads, &project.platform, &settings).map_err(|e| e.to_string())?;
    let charts = plan
        .stages
        .iter()
        .map(|s| StageForecast::of(s, plan.interval_minutes))
        .collect();
    let cold_starts = cold_start_settings(&plan);
    // The page draws the per-interval figures; the per-minute series stay here.
    for s in &mut plan.stages {
        s.forecast = Vec::new();
        s.needed = Vec::new();
        s.band = Vec::new();
    }
    Ok(PrewarmOutput {
        plan,
        charts,
        cold_starts,
        trace: request.trace.label(),
        elapsed_ms: now() - t0,
    })
}
