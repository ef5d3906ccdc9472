//! Planning settings: the bound, the percentile, the confidence and the sampling.
//!
//! With risk ε = 1 − q and confidence 1 − δ, the planner solves a sample-average
//! approximation on N samples allowing `a` violations, where `a` is the exact
//! binomial allowance union-bounded over the real |X| = Π_i |C_i| (see
//! [`crate::sampling::design`]); N is chosen so that `a/N ≥ α` (α = 0: the default
//! target `DEFAULT_ALLOWANCE_RATIO · ε`). The chosen plan is then certified on
//! `fresh_samples` independent samples (see [`crate::certify`]). Every range
//! check accepts values a relative [`TOLERANCE`] outside its limit (so
//! `α = 1 − 0.95` is accepted although `1 − 0.95 > 0.05` in floating point) and
//! clamps them.
//!
//! Cold starts are a per-instance probability ([`ColdStarts`]): globally in
//! `cold_starts`, per stage in `cold_start_stages` (stage id → setting); see
//! [`crate::model`] for how a stage's latency mixes cold and warm instances.

use std::collections::BTreeMap;

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
    /// Chosen by the planner (see [`crate::sampling::design`]).
    Auto,
    /// A fixed number.
    Fixed(usize),
}

/// How likely an instance is to start cold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "percent", rename_all = "snake_case")]
pub enum ColdStarts {
    /// The share of cold instances in the stage's profile (the default).
    #[default]
    Profile,
    /// Every instance is warm.
    AllWarm,
    /// Every instance is cold, as on the first invocation after a deployment.
    FirstInvocation,
    /// Each instance is cold with this probability, in percent (0–100).
    Rate(f64),
}

impl ColdStarts {
    /// The per-instance cold probability at `d` instances, given the profile's
    /// share of cold runs: for [`ColdStarts::Profile`], `1 − (1 − share)^{1/d}`, so
    /// that a run of d instances has a cold one as often as the profile's runs did.
    pub fn probability(self, profile_share: f64, d: u32) -> f64 {
        match self {
            ColdStarts::Profile => {
                let share = profile_share.clamp(0.0, 1.0);
                1.0 - (1.0 - share).powf(1.0 / f64::from(d.max(1)))
            }
            ColdStarts::AllWarm => 0.0,
            ColdStarts::FirstInvocation => 1.0,
            ColdStarts::Rate(pct) => (pct / 100.0).clamp(0.0, 1.0),
        }
    }

    /// Reads `profile`, `warm`/`all-warm`, `first`/`first-invocation`, or a rate
    /// in percent such as `5` or `5%`.
    pub fn parse(text: &str) -> Result<Self, SettingsError> {
        let t = text.trim().to_ascii_lowercase();
        match t.as_str() {
            "profile" | "estimated" => Ok(ColdStarts::Profile),
            "warm" | "all-warm" | "all_warm" => Ok(ColdStarts::AllWarm),
            "first" | "first-invocation" | "first_invocation" | "cold" => {
                Ok(ColdStarts::FirstInvocation)
            }
            _ => {
                let pct = t
                    .trim_end_matches('%')
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| SettingsError::ColdStartText(text.to_string()))?;
                let c = ColdStarts::Rate(pct);
                c.validate()?;
                Ok(c)
            }
        }
    }

    /// A rate must be a finite percentage in [0, 100].
    pub fn validate(self) -> Result<(), SettingsError> {
        match self {
            ColdStarts::Rate(pct) if !(0.0..=100.0).contains(&pct) => {
                Err(SettingsError::ColdStartRate(pct))
            }
            _ => Ok(()),
        }
    }
}

impl std::fmt::Display for ColdStarts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColdStarts::Profile => f.write_str("as profiled"),
            ColdStarts::AllWarm => f.write_str("all warm"),
            ColdStarts::FirstInvocation => f.write_str("first invocation cold"),
            ColdStarts::Rate(pct) => write!(f, "{pct}% cold"),
        }
    }
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
    /// Target empirical violation fraction `a/N` of the planning samples, in
    /// [0, 1 − q]; 0 means automatic (`DEFAULT_ALLOWANCE_RATIO · (1 − q)`). The
    /// allowance `a` itself is always the exact binomial one, so α only trades
    /// sample count (memory, time) against how close the planning samples may come
    /// to the percentile.
    pub alpha: f64,
    /// Planning sample count N.
    pub samples: SampleCount,
    /// Seed of every random draw.
    pub seed: u64,
    /// Size of the fresh sample set the chosen plan is certified on.
    #[serde(default = "auto")]
    pub fresh_samples: SampleCount,
    /// Cold starts of every stage without its own setting.
    #[serde(default, skip_serializing_if = "is_default")]
    pub cold_starts: ColdStarts,
    /// Cold starts of single stages, by stage id (overriding `cold_starts`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cold_start_stages: BTreeMap<String, ColdStarts>,
    /// Leave the runs of the configurations the anomaly detector flags
    /// ([`crate::advisor::anomaly::detect`], default thresholds) out of the
    /// stage models.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclude_flagged: bool,
    /// Fit the stage models (and the advisor's surrogates) on the most recent
    /// runs only (see [`Window`]); none by default.
    #[serde(default, skip_serializing_if = "Window::is_none")]
    pub window: Window,
    /// Stages that may run on another architecture than the platform's, by
    /// stage id (see [`crate::arch`]); none by default.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub architectures: BTreeMap<String, crate::arch::StageArchitectures>,
}

/// A sliding window over profile runs: the fit sees only the most recent runs
/// of each configuration, so a drift in the measurements is followed.
///
/// Recency is the runs' `timestamp`; runs without one count as older than
/// every dated run, in file order. Both limits may be set; a run must pass both.
/// See `crate::profile::window` and docs/advisor.md.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Keep runs started at most this many seconds before the stage's newest
    /// dated run (undated runs are left out when the stage has dated ones; a
    /// stage without any dated run keeps all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_s: Option<f64>,
    /// Keep the newest this many runs of each configuration (memory, d).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_runs: Option<u32>,
}

impl Window {
    /// Whether no limit is set (every run is used).
    pub fn is_none(&self) -> bool {
        self.max_age_s.is_none() && self.max_runs.is_none()
    }

    /// Parses a duration such as `7d`, `12h`, `30m`, `90s` or `3600` (seconds)
    /// into seconds.
    pub fn parse_age(text: &str) -> Result<f64, SettingsError> {
        let t = text.trim();
        let (number, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
            Some((i, _)) => (&t[..i], &t[i..]),
            None => (t, "s"),
        };
        let scale = match unit.trim() {
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 7.0 * 86_400.0,
            _ => return Err(SettingsError::WindowText(text.to_string())),
        };
        let v: f64 = number
            .trim()
            .parse()
            .map_err(|_| SettingsError::WindowText(text.to_string()))?;
        let s = v * scale;
        if s.is_finite() && s > 0.0 {
            Ok(s)
        } else {
            Err(SettingsError::WindowText(text.to_string()))
        }
    }

    /// Checks a positive finite age and a run count of at least 1.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if let Some(a) = self.max_age_s
            && !(a.is_finite() && a > 0.0)
        {
            return Err(SettingsError::WindowAge(a));
        }
        if self.max_runs == Some(0) {
            return Err(SettingsError::WindowRuns);
        }
        Ok(())
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(a) = self.max_age_s {
            parts.push(if a % 86_400.0 == 0.0 {
                format!("the last {} d", a / 86_400.0)
            } else if a % 3600.0 == 0.0 {
                format!("the last {} h", a / 3600.0)
            } else {
                format!("the last {a} s")
            });
        }
        if let Some(n) = self.max_runs {
            parts.push(format!("the newest {n} runs per configuration"));
        }
        if parts.is_empty() {
            f.write_str("every run")
        } else {
            f.write_str(&parts.join(" and "))
        }
    }
}

fn is_default(c: &ColdStarts) -> bool {
    *c == ColdStarts::default()
}

fn auto() -> SampleCount {
    SampleCount::Auto
}

/// Relative tolerance of the range checks on percentile, δ and α.
pub const TOLERANCE: f64 = 1e-9;

/// Default target of `a/N` as a fraction of ε = 1 − q.
pub const DEFAULT_ALLOWANCE_RATIO: f64 = 0.6;

impl Default for PlanSettings {
    fn default() -> Self {
        PlanSettings {
            bound: Bound::Latency { max_s: 60.0 },
            percentile: 0.95,
            delta: 0.001,
            alpha: 0.0,
            samples: SampleCount::Auto,
            seed: 1,
            fresh_samples: SampleCount::Auto,
            cold_starts: ColdStarts::Profile,
            cold_start_stages: BTreeMap::new(),
            exclude_flagged: false,
            window: Window::default(),
            architectures: BTreeMap::new(),
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
    /// α is not in [0, 1 − percentile].
    #[error("settings.alpha: {alpha} is not in [0, 1 - percentile] = [0, {limit}]")]
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
    /// A fixed fresh sample count of 0.
    #[error("settings.fresh_samples: a fixed sample count must be at least 1")]
    FreshSamples,
    /// A cold-start rate outside [0, 100] %.
    #[error("settings.cold_starts: a rate of {0}% is not in [0, 100]")]
    ColdStartRate(f64),
    /// A window age that is not positive and finite.
    #[error("settings.window.max_age_s: {0} is not a finite value above 0")]
    WindowAge(f64),
    /// A window of 0 runs.
    #[error("settings.window.max_runs: must be at least 1")]
    WindowRuns,
    /// A window duration that does not parse.
    #[error("window `{0}`: expected a duration above 0 such as `7d`, `12h`, `30m` or `90s`")]
    WindowText(String),
    /// A cold-start setting that is not one of the known forms.
    #[error(
        "cold starts `{0}`: expected `profile`, `warm`, `first` or a rate in percent such as `5%`"
    )]
    ColdStartText(String),
    /// A stage's architecture setting is not usable.
    #[error("{0}")]
    Architecture(#[from] crate::arch::ArchError),
}

impl PlanSettings {
    /// Checks `0 < percentile < 1`, `0 < delta < 1`, `0 ≤ alpha ≤ 1 − percentile`
    /// (up to [`TOLERANCE`]), a positive finite bound, fixed sample counts of at
    /// least 1 and cold-start rates in [0, 100] %.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let open_unit = |v: f64| v > 0.0 && v < 1.0;
        if !open_unit(self.percentile) {
            return Err(SettingsError::Percentile(self.percentile));
        }
        if !open_unit(self.delta) {
            return Err(SettingsError::Delta(self.delta));
        }
        let limit = self.epsilon();
        if !(self.alpha >= 0.0 && self.alpha <= limit * (1.0 + TOLERANCE)) {
            return Err(SettingsError::Alpha {
                alpha: self.alpha,
                limit,
            });
        }
        if self.fresh_samples == SampleCount::Fixed(0) {
            return Err(SettingsError::FreshSamples);
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
        self.window.validate()?;
        self.cold_starts.validate()?;
        for c in self.cold_start_stages.values() {
            c.validate()?;
        }
        for (id, a) in &self.architectures {
            a.validate(id)?;
        }
        Ok(())
    }
}

impl PlanSettings {
    /// The cold-start setting of stage `id`: its own, or the global one.
    pub fn cold_starts_of(&self, id: &str) -> ColdStarts {
        self.cold_start_stages
            .get(id)
            .copied()
            .unwrap_or(self.cold_starts)
    }

    /// The risk ε = 1 − q.
    pub fn epsilon(&self) -> f64 {
        1.0 - self.percentile
    }

    /// The target `a/N` as a fraction of ε, in (0, 1]: `alpha / ε` clamped, or
    /// [`DEFAULT_ALLOWANCE_RATIO`] when α = 0.
    pub fn allowance_ratio(&self) -> f64 {
        let eps = self.epsilon();
        if self.alpha > 0.0 && eps > 0.0 {
            (self.alpha / eps).min(1.0)
        } else {
            DEFAULT_ALLOWANCE_RATIO
        }
    }
}
