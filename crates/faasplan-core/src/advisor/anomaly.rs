//! Anomalous profile runs: configurations whose measured wall time a
//! diagnostic Gaussian process, built without them, does not expect.
//!
//! Per stage, every configuration's median `ln` wall time (see
//! [`stage_observations`]) is tested against the leave-one-out predictive
//! distribution of a GP ([`Gp`]) fitted on the other configurations:
//! `z = (y − μ₋ᵢ) / √(σ²₋ᵢ + vᵢ + ν)`. Two anomalies side by side mask each
//! other (each inflates the other's prediction and the learned nugget ν), so a
//! screening pass first removes, one at a time, the configuration with the
//! largest `|z|` while it exceeds [`AnomalySettings::screen_z`] (at most
//! [`AnomalySettings::max_removed_fraction`] of them), refitting the
//! hyperparameters on what remains each time. The final test of every
//! configuration uses that clean set (minus itself) and flags it when
//! `|z| > flag_z` and the measured time is off by at least the factor
//! `min_ratio` either way. Stages with fewer than `min_configs` configurations
//! are not tested.

use serde::{Deserialize, Serialize};

use crate::dag::Config;
use crate::profile::Profiles;

use super::gp::{Gp, GpData, Hyper};
use super::observations::{Domain, stage_observations, wall_data};

/// Thresholds of the detector.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnomalySettings {
    /// `|z|` above which the screening pass removes a configuration from the fit.
    pub screen_z: f64,
    /// `|z|` above which a configuration is flagged.
    pub flag_z: f64,
    /// The factor (> 1) by which the measured time must differ from the prediction to be flagged.
    pub min_ratio: f64,
    /// The largest fraction of a stage's configurations the screening pass may remove.
    pub max_removed_fraction: f64,
    /// Stages with fewer configurations are not tested.
    pub min_configs: usize,
}

impl Default for AnomalySettings {
    fn default() -> Self {
        AnomalySettings {
            screen_z: 2.5,
            flag_z: 3.5,
            min_ratio: 1.2,
            max_removed_fraction: 0.25,
            min_configs: 6,
        }
    }
}

/// Settings that cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("anomaly settings: {0}")]
pub struct AnomalySettingsError(String);

impl AnomalySettings {
    /// Checks every threshold is finite and in range.
    pub fn validate(&self) -> Result<(), AnomalySettingsError> {
        let err = |m: String| Err(AnomalySettingsError(m));
        if !(self.screen_z.is_finite() && self.screen_z > 0.0) {
            return err(format!(
                "screen_z {} is not a positive number",
                self.screen_z
            ));
        }
        if !(self.flag_z.is_finite() && self.flag_z > 0.0) {
            return err(format!("flag_z {} is not a positive number", self.flag_z));
        }
        if !(self.min_ratio.is_finite() && self.min_ratio >= 1.0) {
            return err(format!("min_ratio {} is not a number ≥ 1", self.min_ratio));
        }
        if !(0.0..1.0).contains(&self.max_removed_fraction) {
            return err(format!(
                "max_removed_fraction {} is not in [0, 1)",
                self.max_removed_fraction
            ));
        }
        if self.min_configs < 3 {
            return err(format!("min_configs {} is below 3", self.min_configs));
        }
        Ok(())
    }
}

/// One flagged configuration of a stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlaggedConfig {
    /// Memory, MB.
    pub memory_mb: u32,
    /// Instance count.
    pub d: u32,
    /// Its runs in the profiles.
    pub runs: usize,
    /// Median measured wall time, s.
    pub measured_s: f64,
    /// The diagnostic GP's prediction (median), s.
    pub predicted_s: f64,
    /// `measured_s / predicted_s`.
    pub ratio: f64,
    /// The standardised leave-one-out residual.
    pub z: f64,
}

/// The detector's verdict on one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageAnomalies {
    /// Stage id.
    pub stage: String,
    /// Profiled configurations.
    pub configs: usize,
    /// Whether the stage had enough configurations to be tested.
    pub tested: bool,
    /// The flagged configurations, in profile order.
    pub flagged: Vec<FlaggedConfig>,
}

/// The detector's verdict on every profiled stage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnomalyReport {
    /// One entry per profiled stage, in profile order.
    pub stages: Vec<StageAnomalies>,
}

impl AnomalyReport {
    /// The number of flagged configurations over all stages.
    pub fn flagged_count(&self) -> usize {
        self.stages.iter().map(|s| s.flagged.len()).sum()
    }

    /// Whether `config` of stage `stage` is flagged.
    pub fn is_flagged(&self, stage: &str, config: Config) -> bool {
        self.stages.iter().any(|s| {
            s.stage == stage
                && s.flagged
                    .iter()
                    .any(|f| f.memory_mb == config.memory_mb && f.d == config.d)
        })
    }
}

/// Tests every profiled stage's configurations.
pub fn detect(profiles: &Profiles, settings: &AnomalySettings) -> AnomalyReport {
    let stages = profiles
        .stages
        .iter()
        .map(|sp| {
            let obs = stage_observations(sp);
            let configs = obs.len();
            let tested = configs >= settings.min_configs;
            let mut flagged = Vec::new();
            if tested && let Some(domain) = Domain::spanning(obs.iter().map(|o| o.config)) {
                let data = wall_data(&obs, &domain);
                for (i, z, mu) in test_stage(&data, settings) {
                    flagged.push(FlaggedConfig {
                        memory_mb: obs[i].config.memory_mb,
                        d: obs[i].config.d,
                        runs: obs[i].runs,
                        measured_s: obs[i].ln_wall.exp(),
                        predicted_s: mu.exp(),
                        ratio: (obs[i].ln_wall - mu).exp(),
                        z,
                    });
                }
            }
            StageAnomalies {
                stage: sp.stage.clone(),
                configs,
                tested,
                flagged,
            }
        })
        .collect();
    AnomalyReport { stages }
}

/// The profiles without the runs of every flagged configuration.
pub fn exclude_flagged(profiles: &Profiles, report: &AnomalyReport) -> Profiles {
    let mut out = profiles.clone();
    for sp in &mut out.stages {
        let id = sp.stage.clone();
        sp.runs.retain(|r| {
            !report.is_flagged(
                &id,
                Config {
                    memory_mb: r.memory_mb,
                    d: r.d,
                },
            )
        });
    }
    out
}

/// The flagged indices of `data` with their `z` and predicted mean.
fn test_stage(data: &GpData, settings: &AnomalySettings) -> Vec<(usize, f64, f64)> {
    let n = data.y.len();
    let max_removed = (n as f64 * settings.max_removed_fraction).floor() as usize;
    let mut clean: Vec<usize> = (0..n).collect();
    let mut hyper = match Gp::fit_best(data) {
        Some(gp) => gp.hyper(),
        None => return Vec::new(),
    };
    while clean.len() > n - max_removed {
        let worst = clean
            .iter()
            .map(|&i| (i, loo(data, &clean, i, hyper).0.abs()))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match worst {
            Some((i, z)) if z > settings.screen_z => {
                clean.retain(|&j| j != i);
                match Gp::fit_best(&data.subset(&clean)) {
                    Some(gp) => hyper = gp.hyper(),
                    None => break,
                }
            }
            _ => break,
        }
    }
    let min_log_ratio = settings.min_ratio.ln();
    (0..n)
        .filter_map(|i| {
            let (z, mu) = loo(data, &clean, i, hyper);
            (z.abs() > settings.flag_z && (data.y[i] - mu).abs() >= min_log_ratio)
                .then_some((i, z, mu))
        })
        .collect()
}

/// The standardised residual of observation `i` and its predicted mean, from a GP
/// fitted with `hyper` on `clean` without `i`.
fn loo(data: &GpData, clean: &[usize], i: usize, hyper: Hyper) -> (f64, f64) {
    let others: Vec<usize> = clean.iter().copied().filter(|&j| j != i).collect();
    let Some(gp) = Gp::fit(&data.subset(&others), hyper) else {
        return (0.0, data.y[i]);
    };
    let (mu, var) = gp.predict(&data.x[i]);
    let sd = (var + data.noise[i] + hyper.nugget).sqrt();
    ((data.y[i] - mu) / sd, mu)
}
