//! Pre-warm planning: how much provisioned concurrency each stage keeps per
//! interval, from an invocation trace and a forecaster, and the cold-start rate
//! it buys (which feeds the cold-start mixture through
//! [`crate::settings::ColdStarts::Rate`], see [`cold_start_settings`]).
//!
//! # The model, per stage and minute `t`
//!
//! - Instances needed `N_t`: `max(d, ⌈count·d·duration/60⌉)` in a minute with
//!   invocations (Little's law, and a run's d instances start together), else 0.
//!   Instance starts `n_t = count·d`.
//! - Provisioned concurrency `P_t`, constant over each planning interval (a
//!   multiple of AWS's 5-minute billing increment, so the billing is exact).
//! - On-demand instances `spill_t = max(0, N_t − P_t)`; the platform keeps
//!   them warm for `keep_alive_minutes`, so the warm on-demand pool is
//!   `W_t = max spill_s` over the `keep_alive_minutes` before `t`.
//! - Cold instances `cold_t = min(n_t, max(0, N_t − P_t − W_t))`; the cold-start
//!   rate is `Σ cold / Σ n` (a per-instance probability, as the mixture reads it).
//! - Cost: `P_t · GB · 60 s` at the provisioned-concurrency price, the work
//!   `n_t · duration · GB` at the provisioned duration price for the share
//!   `min(N_t, P_t)/N_t` served warm by provisioned instances and at the
//!   on-demand price for the rest, and the request fee on every start. The
//!   billed INIT of cold starts is not charged.
//!
//! # The planner
//!
//! At the start of each interval, with the minutes before it known, the
//! forecaster predicts `N̂` for every minute of the interval (minute `k` of the
//! interval `k + 1` minutes ahead). Its errors over the last 120 known minutes
//! give 10 scenarios (`N̂` shifted by the error quantiles at 5%, 15%, …, 95%).
//! `P` is the integer in `0..=⌈max N̂ + largest shift⌉` (at most the platform's
//! concurrency limit) minimising the
//! interval's cost `+ λ ·` cold instances summed over the scenarios (with the
//! warm on-demand pool from the known past and the scenario's spill). One λ per
//! stage trades cost for cold starts; it is calibrated on the trace's
//! calibration window (bisection in `log λ` for the cheapest λ whose realized
//! rate there meets the target) and the schedule is then scored, out of sample,
//! on the evaluation window. Greedy per interval: an interval's `P` does not
//! weigh the warm pool it leaves to the next one.
//!
//! The baselines on the evaluation window: **none** (no provisioned concurrency,
//! only the platform's keep-alive) and **always on** (the smallest constant `P`
//! whose rate is at most the plan's realized rate: equal cold-start rate, chosen
//! knowing the whole window).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::forecast::{Forecaster, Trace, smape};
use crate::platform::Platform;
use crate::settings::ColdStarts;

/// Provisioned-concurrency prices, as data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProvisionedPrices {
    /// USD per GB-second of provisioned concurrency kept, used or not.
    pub usd_per_gb_s: f64,
    /// USD per GB-second of duration run on provisioned instances (replacing
    /// the on-demand duration price).
    pub duration_usd_per_gb_s: f64,
}

impl ProvisionedPrices {
    /// AWS Lambda x86_64 in us-east-1: $0.0000041667 per GB-s provisioned,
    /// $0.0000097222 per GB-s of duration on it (billed in 5-minute increments).
    pub fn aws_x86_64() -> Self {
        ProvisionedPrices {
            usd_per_gb_s: 0.000_004_166_7,
            duration_usd_per_gb_s: 0.000_009_722_2,
        }
    }

    /// AWS Lambda arm64 in us-east-1: $0.0000033334 per GB-s provisioned,
    /// $0.0000077778 per GB-s of duration on it.
    pub fn aws_arm64() -> Self {
        ProvisionedPrices {
            usd_per_gb_s: 0.000_003_333_4,
            duration_usd_per_gb_s: 0.000_007_777_8,
        }
    }
}

impl Default for ProvisionedPrices {
    fn default() -> Self {
        ProvisionedPrices::aws_x86_64()
    }
}

/// AWS bills provisioned concurrency in increments of this many minutes.
pub const BILLING_MINUTES: usize = 5;

/// The longest planning interval and keep-alive, minutes (a day).
pub const MAX_WINDOW_MINUTES: usize = 1440;

/// One stage as the trace drives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageLoad {
    /// Stage id.
    pub stage: String,
    /// Memory of each instance, MB.
    pub memory_mb: u32,
    /// Instances per run.
    pub d: u32,
    /// Duration of one instance's work, s.
    pub duration_s: f64,
}

/// How the schedule is chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct PrewarmSettings {
    /// Minutes per planning interval (a multiple of [`BILLING_MINUTES`]).
    pub interval_minutes: usize,
    /// Target cold-start rate, % of instance starts, in [0, 100].
    pub target_cold_pct: f64,
    /// Minutes the platform keeps an idle on-demand instance warm.
    pub keep_alive_minutes: usize,
    /// The forecaster of instances needed.
    pub forecaster: Forecaster,
    /// First minute of the calibration window (the forecaster's history before it).
    pub calibrate_from: usize,
    /// First minute of the evaluation window (the calibration window ends here).
    pub evaluate_from: usize,
    /// Provisioned-concurrency prices.
    pub prices: ProvisionedPrices,
}

impl Default for PrewarmSettings {
    /// 5-minute intervals, 1% cold starts, 10 minutes of keep-alive, the quantile
    /// forecaster over a daily season, day 1 as history, day 2 for calibration.
    fn default() -> Self {
        PrewarmSettings {
            interval_minutes: BILLING_MINUTES,
            target_cold_pct: 1.0,
            keep_alive_minutes: 10,
            forecaster: Forecaster::Quantile {
                season: 1440,
                q: 0.9,
                window: 120,
            },
            calibrate_from: 1440,
            evaluate_from: 2880,
            prices: ProvisionedPrices::default(),
        }
    }
}

/// Why pre-warm planning cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PrewarmError {
    /// A setting out of range.
    #[error("prewarm.{field}: {message}")]
    Setting {
        /// The setting's name.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A stage's load is not usable.
    #[error("prewarm stage {stage}: {message}")]
    Stage {
        /// Stage id.
        stage: String,
        /// What is wrong.
        message: String,
    },
}

impl PrewarmSettings {
    /// Checks the settings against a trace of `minutes`.
    pub fn validate(&self, minutes: usize) -> Result<(), PrewarmError> {
        let bad = |field, message: String| Err(PrewarmError::Setting { field, message });
        if self.interval_minutes == 0
            || !self.interval_minutes.is_multiple_of(BILLING_MINUTES)
            || self.interval_minutes > MAX_WINDOW_MINUTES
        {
            return bad(
                "interval_minutes",
                format!(
                    "{} is not a positive multiple of the {BILLING_MINUTES}-minute billing increment up to {MAX_WINDOW_MINUTES}",
                    self.interval_minutes
                ),
            );
        }
        if !(0.0..=100.0).contains(&self.target_cold_pct) {
            return bad(
                "target_cold_pct",
                format!("{} is not in [0, 100]", self.target_cold_pct),
            );
        }
        if self.keep_alive_minutes == 0 || self.keep_alive_minutes > MAX_WINDOW_MINUTES {
            return bad(
                "keep_alive_minutes",
                format!(
                    "{} is not in 1..={MAX_WINDOW_MINUTES}",
                    self.keep_alive_minutes
                ),
            );
        }
        if self.calibrate_from >= self.evaluate_from {
            return bad(
                "calibrate_from",
                format!(
                    "minute {} is not before the evaluation window's start, minute {}",
                    self.calibrate_from, self.evaluate_from
                ),
            );
        }
        if self.evaluate_from >= minutes {
            return bad(
                "evaluate_from",
                format!(
                    "minute {} is not inside the {minutes}-minute trace",
                    self.evaluate_from
                ),
            );
        }
        let p = &self.prices;
        for (field, v) in [
            ("prices.usd_per_gb_s", p.usd_per_gb_s),
            ("prices.duration_usd_per_gb_s", p.duration_usd_per_gb_s),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(field, format!("{v} is not a finite price of at least 0"));
            }
        }
        Ok(())
    }
}

/// Cost and cold starts of a schedule over a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Everything: provisioned + duration + requests, USD.
    pub cost_usd: f64,
    /// Of it, provisioned concurrency kept, USD.
    pub provisioned_usd: f64,
    /// Cold instances.
    pub cold: f64,
    /// Instance starts.
    pub starts: f64,
    /// `cold / starts` in %.
    pub cold_pct: f64,
    /// `cost_usd` scaled to a 30-day month.
    pub monthly_usd: f64,
}

/// One stage's schedule and how it does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StagePrewarm {
    /// The stage's load.
    pub load: StageLoad,
    /// Provisioned concurrency of each interval of the evaluation window.
    pub schedule: Vec<u32>,
    /// Forecast instances needed per minute of the evaluation window (the lead
    /// each minute had when its interval was planned).
    pub forecast: Vec<f64>,
    /// Instances needed per minute of the evaluation window.
    pub needed: Vec<f64>,
    /// Per minute of the evaluation window, the band the schedule provisions
    /// against: the forecast shifted by the lowest and highest error scenario
    /// (5% and 95% quantiles of the last 120 known errors).
    #[serde(default)]
    pub band: Vec<(f64, f64)>,
    /// SMAPE of `forecast` against `needed`, %.
    pub smape_pct: f64,
    /// The calibrated price of a cold instance, USD.
    pub lambda_usd: f64,
    /// Whether the calibration met the target (else λ is the largest tried).
    pub calibrated: bool,
    /// The plan on the evaluation window.
    pub planned: Outcome,
    /// No provisioned concurrency (keep-alive only).
    pub none: Outcome,
    /// The constant provisioned concurrency of the always-on baseline.
    pub always_on_p: u32,
    /// Always on at the plan's cold-start rate.
    pub always_on: Outcome,
}

/// A pre-warm plan for every stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrewarmPlan {
    /// Minutes per interval.
    pub interval_minutes: usize,
    /// First minute of the evaluation window.
    pub evaluate_from: usize,
    /// Minutes of the trace.
    pub minutes: usize,
    /// The target, %.
    pub target_cold_pct: f64,
    /// One entry per stage.
    pub stages: Vec<StagePrewarm>,
}

impl PrewarmPlan {
    /// The schedule as CSV with a header: one row per stage and interval
    /// (`stage,start_minute,provisioned`).
    pub fn schedule_csv(&self) -> String {
        let mut out = String::from("stage,start_minute,provisioned\n");
        for s in &self.stages {
            for (i, p) in s.schedule.iter().enumerate() {
                out.push_str(&format!(
                    "{},{},{p}\n",
                    s.load.stage,
                    self.evaluate_from + i * self.interval_minutes
                ));
            }
        }
        out
    }
}

/// Instances needed per minute: `max(d, ⌈count·d·duration/60⌉)` when there are invocations.
pub fn instances_needed(trace: &Trace, d: u32, duration_s: f64) -> Vec<f64> {
    trace
        .counts
        .iter()
        .map(|&c| {
            if c > 0.0 {
                (c * f64::from(d) * duration_s / 60.0 - 1e-9)
                    .ceil()
                    .max(f64::from(d))
            } else {
                0.0
            }
        })
        .collect()
}

/// Per-minute inputs of one stage.
struct Stage<'a> {
    needed: &'a [f64],
    starts: Vec<f64>,
    gb: f64,
    duration_s: f64,
}

/// Prices the simulation needs.
struct Prices {
    on_demand_gb_s: f64,
    request: f64,
    /// Most provisioned concurrency a stage may keep (the platform's concurrency limit).
    max_provisioned: u32,
    provisioned_gb_s: f64,
    provisioned_duration_gb_s: f64,
}

impl Prices {
    /// Cost of minute `t` with `p` provisioned: (total, provisioned part).
    fn minute(&self, stage: &Stage, need: f64, starts: f64, p: f64) -> (f64, f64) {
        let kept = p * stage.gb * 60.0 * self.provisioned_gb_s;
        let work = starts * stage.duration_s * stage.gb;
        let share = if need > 0.0 { (p / need).min(1.0) } else { 0.0 };
        let duration =
            work * (share * self.provisioned_duration_gb_s + (1.0 - share) * self.on_demand_gb_s);
        (kept + duration + starts * self.request, kept)
    }
}

/// Simulates `p_of(t)` on minutes `from..to` of the actual trace (minutes before
/// `from` ran without provisioned concurrency, so they fill the warm pool).
fn simulate(
    stage: &Stage,
    prices: &Prices,
    keep: usize,
    from: usize,
    to: usize,
    p_of: impl Fn(usize) -> f64,
) -> Outcome {
    let spill = |t: usize| {
        let p = if t >= from { p_of(t) } else { 0.0 };
        (stage.needed[t] - p).max(0.0)
    };
    let mut out = Outcome {
        cost_usd: 0.0,
        provisioned_usd: 0.0,
        cold: 0.0,
        starts: 0.0,
        cold_pct: 0.0,
        monthly_usd: 0.0,
    };
    for t in from..to {
        let p = p_of(t);
        let warm = (t.saturating_sub(keep)..t).map(spill).fold(0.0, f64::max);
        let need = stage.needed[t];
        let cold = (need - p - warm).max(0.0).min(stage.starts[t]);
        let (cost, kept) = prices.minute(stage, need, stage.starts[t], p);
        out.cost_usd += cost;
        out.provisioned_usd += kept;
        out.cold += cold;
        out.starts += stage.starts[t];
    }
    out.cold_pct = pct(out.cold, out.starts);
    out.monthly_usd = out.cost_usd * 43_200.0 / (to - from).max(1) as f64;
    out
}

fn pct(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

/// The online planner with cold-start price `lambda` over minutes `from..to`:
/// one `P` per interval.
fn schedule(
    stage: &Stage,
    prices: &Prices,
    settings: &PrewarmSettings,
    forecast: &[f64],
    lambda: f64,
    from: usize,
    to: usize,
) -> Vec<u32> {
    let interval = settings.interval_minutes;
    let keep = settings.keep_alive_minutes;
    let mut plan: Vec<u32> = Vec::new();
    let mut t0 = from;
    while t0 < to {
        let t1 = (t0 + interval).min(to);
        // The actual spill of the minutes before t0 (the schedule so far).
        let spill = |t: usize| {
            let p = if t >= from {
                f64::from(plan[(t - from) / interval])
            } else {
                0.0
            };
            (stage.needed[t] - p).max(0.0)
        };
        // Per minute of the interval: the known part of the warm pool, and the
        // most forecast before it within the interval and the keep-alive window.
        let known_warm: Vec<f64> = (t0..t1)
            .map(|t| {
                (t.saturating_sub(keep)..t0.min(t))
                    .map(spill)
                    .fold(0.0, f64::max)
            })
            .collect();
        let mut forecast_before = Vec::with_capacity(t1 - t0);
        for t in t0..t1 {
            let most = (t.saturating_sub(keep).max(t0)..t)
                .map(|s| forecast[s])
                .fold(f64::NEG_INFINITY, f64::max);
            forecast_before.push(most);
        }
        let shifts = error_shifts(stage.needed, forecast, t0);
        let top = (t0..t1)
            .map(|t| forecast[t] + shifts.last().copied().unwrap_or(0.0))
            .fold(0.0, f64::max)
            .ceil()
            .min(f64::from(prices.max_provisioned)) as u32;
        let mut best = (f64::INFINITY, 0u32);
        for p in 0..=top {
            let pf = f64::from(p);
            let mut score = 0.0;
            for &e in &shifts {
                for (k, t) in (t0..t1).enumerate() {
                    let need = (forecast[t] + e).max(0.0);
                    let warm = known_warm[k].max(forecast_before[k] + e - pf).max(0.0);
                    let cold = (need - pf - warm).max(0.0);
                    // Starts follow the needed instances (Little's law in reverse).
                    let starts = need * 60.0 / stage.duration_s.max(1e-9);
                    score += prices.minute(stage, need, starts, pf).0 + lambda * cold;
                }
            }
            if score < best.0 {
                best = (score, p);
            }
        }
        plan.push(best.1);
        t0 = t1;
    }
    plan
}

/// Error scenarios of an interval starting at `t0`: the quantiles at
/// (j + ½)/[`SCENARIOS`] of the forecast's errors (`needed − forecast`) over
/// the last [`ERROR_WINDOW`] known minutes, ascending; `[0]` with no past.
fn error_shifts(needed: &[f64], forecast: &[f64], t0: usize) -> Vec<f64> {
    let mut errors: Vec<f64> = (t0.saturating_sub(ERROR_WINDOW)..t0)
        .map(|k| needed[k] - forecast[k])
        .collect();
    errors.sort_by(f64::total_cmp);
    if errors.is_empty() {
        return vec![0.0];
    }
    (0..SCENARIOS)
        .map(|j| {
            let q = (j as f64 + 0.5) / SCENARIOS as f64;
            errors[((errors.len() - 1) as f64 * q).round() as usize]
        })
        .collect()
}

/// The band the planner provisions against, per minute from `from`: the
/// forecast shifted by the lowest and highest error scenario of the minute's
/// interval (the 5% and 95% quantiles of the recent errors), at least 0.
fn forecast_band(
    needed: &[f64],
    forecast: &[f64],
    interval: usize,
    from: usize,
) -> Vec<(f64, f64)> {
    let mut band = Vec::with_capacity(forecast.len().saturating_sub(from));
    let mut t0 = from;
    while t0 < forecast.len() {
        let shifts = error_shifts(needed, forecast, t0);
        let (lo, hi) = (shifts[0], shifts[shifts.len() - 1]);
        for f in &forecast[t0..(t0 + interval).min(forecast.len())] {
            band.push(((f + lo).max(0.0), (f + hi).max(0.0)));
        }
        t0 += interval;
    }
    band
}

/// Each stage's load in `plan` (e.g. the advisor's current plan): its
/// configuration and the median billed time of its runs there.
pub fn stage_loads(
    profiles: &crate::profile::Profiles,
    plan: &super::propose::CurrentPlan,
) -> Result<Vec<StageLoad>, PrewarmError> {
    plan.configs
        .iter()
        .map(|(stage, config)| {
            let missing = |message: &str| PrewarmError::Stage {
                stage: stage.clone(),
                message: message.to_string(),
            };
            let profile = profiles.stage(stage).ok_or_else(|| missing("no profile"))?;
            let obs = super::observations::stage_observations(profile)
                .into_iter()
                .find(|o| o.config == *config)
                .ok_or_else(|| missing("no runs at the planned configuration"))?;
            Ok(StageLoad {
                stage: stage.clone(),
                memory_mb: config.memory_mb,
                d: config.d,
                duration_s: obs.ln_billed.exp(),
            })
        })
        .collect()
}

/// Known minutes whose forecast errors make the scenarios of an interval.
const ERROR_WINDOW: usize = 120;
/// Error scenarios per interval (quantiles at (j + ½)/SCENARIOS).
const SCENARIOS: usize = 10;

/// Largest λ tried, USD per cold instance (more than any instance's cost).
const MAX_LAMBDA_USD: f64 = 1e3;
const MIN_LAMBDA_USD: f64 = 1e-9;

/// Plans every stage's provisioned concurrency on `trace` (see the module docs).
pub fn plan_prewarm(
    trace: &Trace,
    loads: &[StageLoad],
    platform: &Platform,
    settings: &PrewarmSettings,
) -> Result<PrewarmPlan, PrewarmError> {
    let minutes = trace.counts.len();
    settings.validate(minutes)?;
    let prices = Prices {
        on_demand_gb_s: platform.price_per_gb_s,
        request: platform.price_per_request,
        max_provisioned: platform.concurrency_limit,
        provisioned_gb_s: settings.prices.usd_per_gb_s,
        provisioned_duration_gb_s: settings.prices.duration_usd_per_gb_s,
    };
    let mut stages = Vec::with_capacity(loads.len());
    for load in loads {
        if !(load.duration_s.is_finite() && load.duration_s > 0.0) {
            return Err(PrewarmError::Stage {
                stage: load.stage.clone(),
                message: format!(
                    "duration {} s is not a finite value above 0",
                    load.duration_s
                ),
            });
        }
        if load.d == 0 || load.memory_mb == 0 {
            return Err(PrewarmError::Stage {
                stage: load.stage.clone(),
                message: "d and memory must be at least 1".into(),
            });
        }
        stages.push(plan_stage(trace, load, &prices, settings));
    }
    Ok(PrewarmPlan {
        interval_minutes: settings.interval_minutes,
        evaluate_from: settings.evaluate_from,
        minutes,
        target_cold_pct: settings.target_cold_pct,
        stages,
    })
}

fn plan_stage(
    trace: &Trace,
    load: &StageLoad,
    prices: &Prices,
    settings: &PrewarmSettings,
) -> StagePrewarm {
    let minutes = trace.counts.len();
    let needed = instances_needed(trace, load.d, load.duration_s);
    let stage = Stage {
        needed: &needed,
        starts: trace.counts.iter().map(|c| c * f64::from(load.d)).collect(),
        gb: f64::from(load.memory_mb) / 1024.0,
        duration_s: load.duration_s,
    };
    // Minute k of an interval is forecast k + 1 minutes ahead.
    let interval = settings.interval_minutes;
    let by_lead: Vec<Vec<f64>> = (1..=interval)
        .map(|lead| settings.forecaster.forecast_ahead(&needed, lead))
        .collect();
    let phase = |t: usize| {
        if t >= settings.evaluate_from {
            (t - settings.evaluate_from) % interval
        } else {
            (t - settings.calibrate_from.min(t)) % interval
        }
    };
    let forecast: Vec<f64> = (0..minutes).map(|t| by_lead[phase(t)][t]).collect();
    let keep = settings.keep_alive_minutes;
    let run = |lambda: f64, from: usize, to: usize| {
        let plan = schedule(&stage, prices, settings, &forecast, lambda, from, to);
        let outcome = simulate(&stage, prices, keep, from, to, |t| {
            f64::from(plan[(t - from) / interval])
        });
        (plan, outcome)
    };
    // Calibrate λ: the cheapest whose realized rate meets the target.
    let (cal_from, cal_to) = (settings.calibrate_from, settings.evaluate_from);
    let meets = |lambda: f64| run(lambda, cal_from, cal_to).1.cold_pct <= settings.target_cold_pct;
    let (lambda, calibrated) = if meets(MIN_LAMBDA_USD) {
        (MIN_LAMBDA_USD, true)
    } else if !meets(MAX_LAMBDA_USD) {
        (MAX_LAMBDA_USD, false)
    } else {
        let (mut lo, mut hi) = (MIN_LAMBDA_USD.ln(), MAX_LAMBDA_USD.ln());
        for _ in 0..40 {
            let mid = 0.5 * (lo + hi);
            if meets(mid.exp()) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        (hi.exp(), true)
    };
    let from = settings.evaluate_from;
    let (plan, planned) = run(lambda, from, minutes);
    let none = simulate(&stage, prices, keep, from, minutes, |_| 0.0);
    // Always on: the smallest constant P at the plan's realized rate (the rate
    // does not rise with P, so bisection finds it).
    let top = needed[from..]
        .iter()
        .copied()
        .fold(0.0, f64::max)
        .min(f64::from(prices.max_provisioned)) as u32;
    let always = |p: u32| simulate(&stage, prices, keep, from, minutes, |_| f64::from(p));
    let (mut lo, mut hi) = (0u32, top);
    if always(0).cold_pct <= planned.cold_pct {
        hi = 0;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if always(mid).cold_pct <= planned.cold_pct {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    StagePrewarm {
        load: load.clone(),
        smape_pct: smape(&needed[from..], &forecast[from..], 0),
        band: forecast_band(&needed, &forecast, interval, from),
        schedule: plan,
        forecast: forecast[from..].to_vec(),
        needed: needed[from..].to_vec(),
        lambda_usd: lambda,
        calibrated,
        planned,
        none,
        always_on_p: hi,
        always_on: always(hi),
    }
}

/// The cold-start setting each stage's plan buys: its realized rate on the
/// evaluation window, for [`crate::settings::PlanSettings::cold_start_stages`].
pub fn cold_start_settings(plan: &PrewarmPlan) -> BTreeMap<String, ColdStarts> {
    plan.stages
        .iter()
        .map(|s| {
            // Rounded up to 0.01% so the setting never claims fewer cold starts.
            let pct = ((s.planned.cold_pct * 100.0).ceil() / 100.0).min(100.0);
            (s.load.stage.clone(), ColdStarts::Rate(pct))
        })
        .collect()
}
