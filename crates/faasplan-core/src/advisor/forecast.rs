//! Invocation traces and forecasts of the instances a stage needs per minute
//! (the first part of pre-warm planning; [`super::prewarm`] chooses provisioned
//! concurrency from them).
//!
//! A [`Trace`] is per-minute invocation counts, read from CSV
//! ([`read_trace_csv`]: a `count` column, one row per minute, or a
//! `timestamp_s` column of arrival times in seconds) or generated
//! ([`generate`]: diurnal, bursty or sparse Poisson arrivals from a seed). Every
//! forecaster predicts minute `t` from minutes before `t` only (one step ahead;
//! [`Forecaster::forecast_ahead`] forecasts further ahead):
//!
//! - [`Forecaster::KeepAlive`]: the fixed keep-alive policy's warm pool, the most
//!   the series reached over the last `minutes` (what stays warm without planning);
//! - [`Forecaster::SeasonalNaive`]: the value one season ago;
//! - [`Forecaster::HoltWinters`]: additive exponential smoothing of a level and a
//!   seasonal profile, `ŷ = ℓ + s_{t−m}`, with `ℓ ← α(y − s) + (1 − α)ℓ` and
//!   `s ← γ(y − ℓ) + (1 − γ)s`;
//! - [`Forecaster::Quantile`]: Holt–Winters plus the empirical `q`-quantile of its
//!   last `window` one-step errors (an upper band to provision against).
//!
//! [`smape`] scores a forecast: the mean of `2|ŷ − y| / (|ŷ| + |y|)` in %, a
//! minute where both are 0 counting as 0.

use serde::Serialize;

use crate::rng::{stream, uniform};

/// Per-minute invocation counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trace {
    /// Invocations in each minute.
    pub counts: Vec<f64>,
}

/// A trace file that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("trace csv: line {line}: {message}")]
pub struct TraceError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The longest trace read or generated, minutes (a year).
pub const MAX_TRACE_MINUTES: usize = 525_600;

/// Reads a trace: a header `count` (per-minute counts) or `timestamp_s` (arrival
/// times in seconds, binned into minutes from the first arrival's minute).
pub fn read_trace_csv(text: &str) -> Result<Trace, TraceError> {
    let err = |line: usize, message: String| TraceError { line, message };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let (hl, header) = lines
        .next()
        .ok_or_else(|| err(1, "empty file".to_string()))?;
    let header = header.trim_start_matches('\u{feff}');
    let mut values = Vec::new();
    for (n, l) in lines {
        let v: f64 = l
            .parse()
            .map_err(|_| err(n, format!("{header}: {l:?} is not a number")))?;
        if !v.is_finite() || v < 0.0 {
            return Err(err(n, format!("{header}: {l} is not a finite number ≥ 0")));
        }
        values.push(v);
    }
    let counts = match header {
        "count" => values,
        "timestamp_s" => {
            let first = values.iter().copied().fold(f64::INFINITY, f64::min);
            let start = (first / 60.0).floor();
            let mut counts = Vec::new();
            for v in values {
                let minute = ((v / 60.0).floor() - start) as usize;
                if minute >= MAX_TRACE_MINUTES {
                    return Err(err(
                        hl,
                        format!(
                            "timestamp_s: the arrivals span more than {MAX_TRACE_MINUTES} minutes"
                        ),
                    ));
                }
                if counts.len() <= minute {
                    counts.resize(minute + 1, 0.0);
                }
                counts[minute] += 1.0;
            }
            counts
        }
        other => {
            return Err(err(
                hl,
                format!("header {other:?}: expected \"count\" or \"timestamp_s\""),
            ));
        }
    };
    if counts.is_empty() {
        return Err(err(hl, "no values".to_string()));
    }
    if counts.len() > MAX_TRACE_MINUTES {
        return Err(err(hl, format!("more than {MAX_TRACE_MINUTES} minutes")));
    }
    Ok(Trace { counts })
}

/// The shapes [`generate`] draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A daily cycle: 20 per minute on average, ±80%.
    Diurnal,
    /// 5 per minute, with bursts (about one per 100 minutes, 10–30 minutes long) at 8×.
    Bursty,
    /// Rare invocations: 0.05 per minute.
    Sparse,
}

/// `minutes` of Poisson arrivals of the given shape from `seed`.
pub fn generate(kind: TraceKind, minutes: usize, seed: u64) -> Trace {
    let mut rng = stream(seed, 0);
    let mut burst_left = 0usize;
    let counts = (0..minutes.min(MAX_TRACE_MINUTES))
        .map(|t| {
            let rate = match kind {
                TraceKind::Diurnal => {
                    20.0 * (1.0 + 0.8 * (2.0 * std::f64::consts::PI * t as f64 / 1440.0).sin())
                }
                TraceKind::Bursty => {
                    if burst_left == 0 && uniform(&mut rng) < 0.01 {
                        burst_left = 10 + (uniform(&mut rng) * 21.0) as usize;
                    }
                    if burst_left > 0 {
                        burst_left -= 1;
                        40.0
                    } else {
                        5.0
                    }
                }
                TraceKind::Sparse => 0.05,
            };
            poisson(rate, &mut rng)
        })
        .collect();
    Trace { counts }
}

/// A Poisson draw: Knuth's product of uniforms below 30, a rounded normal above.
fn poisson(rate: f64, rng: &mut rand_xoshiro::Xoshiro256PlusPlus) -> f64 {
    if rate < 30.0 {
        let limit = (-rate).exp();
        let mut k = 0.0;
        let mut p = uniform(rng);
        while p > limit {
            k += 1.0;
            p *= uniform(rng);
        }
        k
    } else {
        let z = super::sobol::normal_quantile(uniform(rng));
        (rate + rate.sqrt() * z).round().max(0.0)
    }
}

/// A one-step-ahead forecaster.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Forecaster {
    /// The most over the last `minutes` (the fixed keep-alive policy).
    KeepAlive {
        /// Keep-alive window, minutes.
        minutes: usize,
    },
    /// The value one season ago.
    SeasonalNaive {
        /// Season length, minutes.
        season: usize,
    },
    /// Additive Holt–Winters (level and season, no trend).
    HoltWinters {
        /// Season length, minutes.
        season: usize,
        /// Level smoothing α in (0, 1].
        alpha: f64,
        /// Season smoothing γ in (0, 1].
        gamma: f64,
    },
    /// Holt–Winters plus the `q`-quantile of its last `window` errors.
    Quantile {
        /// Season length, minutes.
        season: usize,
        /// The quantile, in (0, 1).
        q: f64,
        /// Errors the quantile is taken over.
        window: usize,
    },
}

/// Smoothing constants of the quantile forecaster's Holt–Winters.
const QUANTILE_ALPHA: f64 = 0.2;
const QUANTILE_GAMMA: f64 = 0.1;

impl Forecaster {
    /// The forecast of every minute of `series` from the minutes before it (the
    /// first minute, with no past, is forecast as 0; Holt–Winters forecasts the
    /// last value during its first season, then starts from that season's mean
    /// and deviations). Forecasts are at least 0. The same as
    /// [`Forecaster::forecast_ahead`] with a lead of 1.
    pub fn forecast(&self, series: &[f64]) -> Vec<f64> {
        self.forecast_ahead(series, 1)
    }

    /// The forecast of every minute `t` of `series` made `lead` minutes ahead:
    /// from minutes `..= t − lead` only (a lead of 0 counts as 1). Before any
    /// minute is known the forecast is 0. Seasonal naive takes the value
    /// `k` seasons back with `k·season ≥ lead`; Holt–Winters its level after
    /// minute `t − lead` plus the seasonal term last updated by then;
    /// keep-alive the most over the `minutes` up to `t − lead`; the quantile
    /// forecast the band of the errors known at `t − lead`.
    pub fn forecast_ahead(&self, series: &[f64], lead: usize) -> Vec<f64> {
        let lead = lead.max(1);
        // The last minute known when minute t is forecast, if any.
        let known = |t: usize| (t + 1).checked_sub(lead);
        match *self {
            Forecaster::KeepAlive { minutes } => (0..series.len())
                .map(|t| match known(t) {
                    Some(end) => series[end.saturating_sub(minutes.max(1))..end]
                        .iter()
                        .copied()
                        .fold(0.0, f64::max),
                    None => 0.0,
                })
                .collect(),
            Forecaster::SeasonalNaive { season } => {
                let m = season.max(1);
                let back = lead.div_ceil(m) * m;
                (0..series.len())
                    .map(|t| match t.checked_sub(back) {
                        Some(p) => series[p],
                        None => known(t)
                            .and_then(|end| end.checked_sub(1))
                            .map_or(0.0, |p| series[p]),
                    })
                    .collect()
            }
            Forecaster::HoltWinters {
                season,
                alpha,
                gamma,
            } => holt_winters(series, season, alpha, gamma, lead),
            Forecaster::Quantile { season, q, window } => {
                let base = holt_winters(series, season, QUANTILE_ALPHA, QUANTILE_GAMMA, lead);
                let mut out = Vec::with_capacity(series.len());
                for t in 0..series.len() {
                    let end = known(t).unwrap_or(0);
                    let from = end.saturating_sub(window.max(1));
                    let mut errs: Vec<f64> = (from..end).map(|k| series[k] - base[k]).collect();
                    errs.sort_by(f64::total_cmp);
                    let band = if errs.is_empty() {
                        0.0
                    } else {
                        errs[((errs.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize]
                    };
                    out.push((base[t] + band).max(0.0));
                }
                out
            }
        }
    }
}

fn holt_winters(series: &[f64], season: usize, alpha: f64, gamma: f64, lead: usize) -> Vec<f64> {
    let m = season.max(1);
    let n = series.len();
    // Before the first season is complete there is no profile: the last known value.
    let last_known = |t: usize| {
        (t + 1)
            .checked_sub(lead)
            .and_then(|end| end.checked_sub(1))
            .map_or(0.0, |p| series[p])
    };
    if n <= m {
        return (0..n).map(last_known).collect();
    }
    // Start from the first season: its mean as the level, the deviations as the
    // profile. `level_after[u]` is the level once minute u is known (u ≥ m − 1),
    // `written[s]` the seasonal term written at minute s (the start for s < m).
    let mut level = series[..m].iter().sum::<f64>() / m as f64;
    let mut seasonal: Vec<f64> = series[..m].iter().map(|y| y - level).collect();
    let mut written = seasonal.clone();
    let mut level_after = vec![0.0; n];
    level_after[m - 1] = level;
    for (t, &y) in series.iter().enumerate().skip(m) {
        let s = seasonal[t % m];
        let new_level = alpha * (y - s) + (1.0 - alpha) * level;
        seasonal[t % m] = gamma * (y - new_level) + (1.0 - gamma) * s;
        written.push(seasonal[t % m]);
        level = new_level;
        level_after[t] = level;
    }
    let back = lead.div_ceil(m) * m;
    (0..n)
        .map(|t| match t.checked_sub(lead) {
            Some(u) if u + 1 >= m => (level_after[u] + written[t - back]).max(0.0),
            _ => last_known(t),
        })
        .collect()
}

/// Symmetric mean absolute percentage error of `forecast` against `actual` from
/// minute `from` on, in % (0 to 200).
pub fn smape(actual: &[f64], forecast: &[f64], from: usize) -> f64 {
    let terms: Vec<f64> = actual
        .iter()
        .zip(forecast)
        .skip(from)
        .map(|(&y, &f)| {
            let den = y.abs() + f.abs();
            if den == 0.0 {
                0.0
            } else {
                2.0 * (f - y).abs() / den
            }
        })
        .collect();
    if terms.is_empty() {
        0.0
    } else {
        100.0 * terms.iter().sum::<f64>() / terms.len() as f64
    }
}

/// The instances a stage keeps busy per minute: `count · d · duration_s / 60` (Little's law).
pub fn concurrency(trace: &Trace, d: u32, duration_s: f64) -> Vec<f64> {
    trace
        .counts
        .iter()
        .map(|c| c * f64::from(d) * duration_s / 60.0)
        .collect()
}
