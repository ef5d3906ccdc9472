//! `faasplan prewarm`: provisioned concurrency per stage and interval from an
//! invocation trace (`advisor::prewarm`), for the stages' configurations in the
//! advisor's current plan at the latency bound; the cold-start rate it buys can
//! be written into the project's per-stage cold-start settings.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use faasplan_core::advisor::forecast::{Forecaster, TraceKind, generate, read_trace_csv};
use faasplan_core::advisor::prewarm::{
    PrewarmPlan, PrewarmSettings, ProvisionedPrices, cold_start_settings, plan_prewarm, stage_loads,
};
use faasplan_core::advisor::propose::{current_plan, stage_inputs};
use faasplan_core::pipeline::fit_profiles;
use faasplan_core::settings::{Bound, ColdStarts};

use crate::Outcome;
use crate::input::{self, InputArgs};
use crate::progress::emit;

/// Arguments of `prewarm`.
#[derive(Args, Debug)]
pub struct PrewarmArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Latency bound B, seconds, of the plan whose stages are kept warm [default: the project's latency bound].
    #[arg(long, value_name = "S")]
    latency_bound: Option<f64>,
    /// Invocation trace CSV: a `count` column (workflow runs per minute) or `timestamp_s` (arrival times).
    #[arg(long, value_name = "FILE", conflicts_with = "generate")]
    trace: Option<PathBuf>,
    /// Generate a trace instead of reading one.
    #[arg(long, value_enum)]
    generate: Option<TraceArg>,
    /// Minutes of the generated trace.
    #[arg(long, value_name = "N", default_value_t = 7 * 1440, requires = "generate")]
    minutes: usize,
    /// Seed of the generated trace.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "generate")]
    seed: u64,
    /// Target cold-start rate, % of instance starts.
    #[arg(long, value_name = "PCT", default_value_t = PrewarmSettings::default().target_cold_pct)]
    target_cold_pct: f64,
    /// Minutes per planning interval (a multiple of 5, AWS's billing increment, up to 1440).
    #[arg(long, value_name = "MIN", default_value_t = PrewarmSettings::default().interval_minutes)]
    interval: usize,
    /// Minutes the platform keeps an idle instance warm (1..=1440).
    #[arg(long, value_name = "MIN", default_value_t = PrewarmSettings::default().keep_alive_minutes)]
    keep_alive: usize,
    /// Forecaster of the instances needed.
    #[arg(long, value_enum, default_value_t = ForecasterArg::Quantile)]
    forecaster: ForecasterArg,
    /// Season of the seasonal forecasters, minutes.
    #[arg(long, value_name = "MIN", default_value_t = 1440)]
    season: usize,
    /// First minute of the calibration window (the minutes before it are the forecaster's history).
    #[arg(long, value_name = "MIN", default_value_t = PrewarmSettings::default().calibrate_from)]
    calibrate_from: usize,
    /// First minute of the evaluation window (the schedule printed and scored).
    #[arg(long, value_name = "MIN", default_value_t = PrewarmSettings::default().evaluate_from)]
    evaluate_from: usize,
    /// Write the project with each stage's cold-start setting set to the rate the schedule buys.
    #[arg(long, value_name = "FILE")]
    write_project: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PrewarmFormat::Text)]
    format: PrewarmFormat,
}

/// The generated trace shapes.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum TraceArg {
    /// A daily cycle, 20 runs per minute ±80%.
    Diurnal,
    /// 5 runs per minute with bursts at 8×.
    Bursty,
    /// 0.05 runs per minute.
    Sparse,
}

/// The forecasters.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForecasterArg {
    /// The most over the keep-alive window (what a fixed keep-alive keeps warm).
    KeepAlive,
    /// The value one season ago.
    SeasonalNaive,
    /// Additive Holt–Winters (α 0.2, γ 0.1).
    HoltWinters,
    /// Holt–Winters plus the P90 of its last 120 errors.
    Quantile,
}

/// How `prewarm` prints its answer.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrewarmFormat {
    /// A readable summary.
    Text,
    /// The whole plan as JSON (schedules and per-minute forecasts included).
    Json,
    /// The schedule, one CSV row per stage and interval.
    Csv,
}

/// Plans provisioned concurrency and prints it.
pub fn run(args: &PrewarmArgs) -> Result<Outcome> {
    let (mut project, dag) = input::load_checked(&args.input)?;
    let bound_s = match (args.latency_bound, project.settings.bound) {
        (Some(b), _) => b,
        (None, Bound::Latency { max_s }) => max_s,
        (None, Bound::Cost { .. }) => {
            bail!("prewarm: --latency-bound is needed (the project bounds the cost)")
        }
    };
    let trace = match (&args.trace, args.generate) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            read_trace_csv(&text).with_context(|| path.display().to_string())?
        }
        (None, Some(kind)) => generate(
            match kind {
                TraceArg::Diurnal => TraceKind::Diurnal,
                TraceArg::Bursty => TraceKind::Bursty,
                TraceArg::Sparse => TraceKind::Sparse,
            },
            args.minutes,
            args.seed,
        ),
        (None, None) => bail!("prewarm: give --trace FILE or --generate diurnal|bursty|sparse"),
    };
    let profiles = fit_profiles(&project).unwrap_or_else(|| project.profiles.clone());
    let inputs = stage_inputs(&project.workflow, &dag, &profiles, &project.platform)?;
    let Some(plan) = current_plan(&dag, &inputs, &project.platform, bound_s)? else {
        bail!("prewarm: no plan over the measured configurations meets {bound_s} s");
    };
    let loads = stage_loads(&profiles, &plan)?;
    let season = args.season;
    let settings = PrewarmSettings {
        interval_minutes: args.interval,
        target_cold_pct: args.target_cold_pct,
        keep_alive_minutes: args.keep_alive,
        forecaster: match args.forecaster {
            ForecasterArg::KeepAlive => Forecaster::KeepAlive {
                minutes: args.keep_alive,
            },
            ForecasterArg::SeasonalNaive => Forecaster::SeasonalNaive { season },
            ForecasterArg::HoltWinters => Forecaster::HoltWinters {
                season,
                alpha: 0.2,
                gamma: 0.1,
            },
            ForecasterArg::Quantile => Forecaster::Quantile {
                season,
                q: 0.9,
                window: 120,
            },
        },
        calibrate_from: args.calibrate_from,
        evaluate_from: args.evaluate_from,
        prices: if project.platform.name.contains("arm64") {
            ProvisionedPrices::aws_arm64()
        } else {
            ProvisionedPrices::aws_x86_64()
        },
    };
    let prewarm = plan_prewarm(&trace, &loads, &project.platform, &settings)?;
    if let Some(path) = &args.write_project {
        project
            .settings
            .cold_start_stages
            .extend(cold_start_settings(&prewarm));
        std::fs::write(path, project.to_json())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let text = match args.format {
        PrewarmFormat::Text => text(&prewarm, bound_s),
        PrewarmFormat::Json => serde_json::to_string_pretty(&prewarm)? + "\n",
        PrewarmFormat::Csv => csv(&prewarm),
    };
    emit(&text)?;
    Ok(Outcome::Success)
}

/// The schedule as CSV with a header.
pub fn csv(plan: &PrewarmPlan) -> String {
    plan.schedule_csv()
}

/// The plan as a readable summary.
pub fn text(plan: &PrewarmPlan, bound_s: f64) -> String {
    let minutes = plan.minutes - plan.evaluate_from;
    let mut out = format!(
        "Pre-warm plan for the stages of the plan at {bound_s} s, scored on minutes {}..{} ({minutes} minutes, {}-minute intervals), target {}% cold starts:\n\n",
        plan.evaluate_from, plan.minutes, plan.interval_minutes, plan.target_cold_pct
    );
    out.push_str("  stage     memory MB     d  run s  SMAPE  provisioned min–max  cold %  USD/month  | none: cold %  USD/month | always on: P  USD/month\n");
    for s in &plan.stages {
        let lo = s.schedule.iter().min().copied().unwrap_or(0);
        let hi = s.schedule.iter().max().copied().unwrap_or(0);
        out.push_str(&format!(
            "  {:<8}  {:>9}  {:>4}  {:>5.2}  {:>4.1}%  {:>19}  {:>6.2}  {:>9.2}  | {:>12.2}  {:>9.2} | {:>12}  {:>9.2}\n",
            s.load.stage,
            s.load.memory_mb,
            s.load.d,
            s.load.duration_s,
            s.smape_pct,
            format!("{lo}–{hi}"),
            s.planned.cold_pct,
            s.planned.monthly_usd,
            s.none.cold_pct,
            s.none.monthly_usd,
            s.always_on_p,
            s.always_on.monthly_usd
        ));
    }
    let missed: Vec<&str> = plan
        .stages
        .iter()
        .filter(|s| !s.calibrated || s.planned.cold_pct > plan.target_cold_pct)
        .map(|s| s.load.stage.as_str())
        .collect();
    if !missed.is_empty() {
        out.push_str(&format!(
            "\nThe target is not met on {}: the forecasts do not see the cold starts coming.\n",
            missed.join(", ")
        ));
    }
    let flags: Vec<String> = cold_start_settings(plan)
        .into_iter()
        .map(|(stage, c)| match c {
            ColdStarts::Rate(pct) => format!("--cold-start {stage}={pct}%"),
            other => format!("--cold-start {stage}={other}"),
        })
        .collect();
    out.push_str(&format!(
        "\nPlan with these cold-start rates: {}\n(or --write-project FILE to store them in the project)\n",
        flags.join(" ")
    ));
    out
}
