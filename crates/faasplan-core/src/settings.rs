//! Planning settings: the bound, the percentile, the confidence and the sampling.
//!
//! Sample count (sample-average approximation over a finite decision set X,
//! risk ε = 1 − q, allowed empirical violation α < ε, confidence 1 − δ):
//! `N = ceil(ln(|X| / δ) / (2 (ε − α)²))`, with |X| = Π_i |C_i| the real size of
//! the space. A plan is feasible on a sample set when at most `floor(α N)` samples
//! violate the bound.

use serde::{Deserialize, Serialize};

/// Which quantity is bounded.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Bound {
    /// Minimise expected cost subject to P(latency ≤ max_s) ≥ q.
    Latency {
        /// Latency bound B, s.
        max_s: f64,
    },
    /// Minimise the q-latency subject to a cost bound.
    Cost {
        /// Cost bound C, USD per run.
        max_usd: f64,
        /// Whether the expected cost or the q-quantile of cost is bounded.
        kind: CostKind,
    },
}

/// How a cost bound is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostKind {
    /// Expected (mean) cost per run ≤ C.
    Mean,
    /// P(cost per run ≤ C) ≥ q.
    Quantile,
}

/// How many Monte Carlo samples to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "n", rename_all = "snake_case")]
pub enum SampleCount {
    /// From the SAA formula above.
    Auto,
    /// A fixed number.
    Fixed(usize),
}

/// Everything the planner needs besides the workflow, profiles and platform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanSettings {
    /// The bound.
    pub bound: Bound,
    /// Percentile q of the guarantee, in (0, 1), e.g. 0.95.
    pub percentile: f64,
    /// Risk of the guarantee not holding, δ in (0, 1), e.g. 0.001 (confidence 1 − δ).
    pub delta: f64,
    /// Allowed empirical violation α, in [0, 1 − q).
    pub alpha: f64,
    /// Sample count.
    pub samples: SampleCount,
    /// Seed of every random draw.
    pub seed: u64,
}

impl Default for PlanSettings {
    fn default() -> Self {
        PlanSettings {
            bound: Bound::Latency { max_s: 60.0 },
            percentile: 0.95,
            delta: 0.001,
            alpha: 0.0,
            samples: SampleCount::Auto,
            seed: 1,
        }
    }
}

/// Why [`PlanSettings`] are not usable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// The percentile is not in (0, 1).
    #[error("settings.percentile: {0} is not in (0, 1)")]
    Percentile(f64),
    /// δ is not in (0, 1).
    #[error("settings.delta: {0} is not in (0, 1)")]
    Delta(f64),
    /// α is not in [0, 1 − percentile).
    #[error("settings.alpha: {alpha} is not in [0, 1 - percentile) = [0, {limit})")]
    Alpha {
        /// The offending α.
        alpha: f64,
        /// 1 − percentile.
        limit: f64,
    },
    /// The latency bound is not positive and finite.
    #[error("settings.bound.max_s: {0} is not a finite value above 0")]
    LatencyBound(f64),
    /// The cost bound is not positive and finite.
    #[error("settings.bound.max_usd: {0} is not a finite value above 0")]
    CostBound(f64),
    /// A fixed sample count of 0.
    #[error("settings.samples: a fixed sample count must be at least 1")]
    Samples,
}

/// How far below `1 − percentile` α must stay: `1 − q` is rounded in floating
/// point (1 − 0.95 = 0.050000000000000044), so α = 0.05 at q = 0.95 would pass
/// a plain `α < 1 − q` with a gap of 4e-17 and ask for ~10³³ samples.
pub const ALPHA_GAP_TOLERANCE: f64 = 1e-9;

/// Whether `0 ≤ α < 1 − q` holds by more than [`ALPHA_GAP_TOLERANCE`].
pub fn alpha_in_range(alpha: f64, percentile: f64) -> bool {
    alpha >= 0.0 && (1.0 - percentile) - alpha > ALPHA_GAP_TOLERANCE
}

impl PlanSettings {
    /// Checks `0 < percentile < 1`, `0 < delta < 1`, `0 ≤ alpha < 1 − percentile`,
    /// a positive finite bound and a fixed sample count of at least 1.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let open_unit = |v: f64| v > 0.0 && v < 1.0;
        if !open_unit(self.percentile) {
            return Err(SettingsError::Percentile(self.percentile));
        }
        if !open_unit(self.delta) {
            return Err(SettingsError::Delta(self.delta));
        }
        let limit = 1.0 - self.percentile;
        if !alpha_in_range(self.alpha, self.percentile) {
            return Err(SettingsError::Alpha {
                alpha: self.alpha,
                limit,
            });
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        match self.bound {
            Bound::Latency { max_s } if !positive(max_s) => {
                return Err(SettingsError::LatencyBound(max_s));
            }
            Bound::Cost { max_usd, .. } if !positive(max_usd) => {
                return Err(SettingsError::CostBound(max_usd));
            }
            _ => {}
        }
        if self.samples == SampleCount::Fixed(0) {
            return Err(SettingsError::Samples);
        }
        Ok(())
    }
}
