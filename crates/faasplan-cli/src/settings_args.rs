//! The planning settings on the command line, shared by `plan` and `frontier`.
//!
//! Start from the project's settings when a project file is given, else from
//! [`PlanSettings::default`]; every flag given overrides one field. Percentile
//! and confidence are accepted as fractions (0.95, 0.999) or as percentages
//! (95, 99.9); the confidence 1 − δ becomes δ. Errors name the flag.

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use faasplan_core::pipeline::Limits;
use faasplan_core::settings::{Bound, CostKind, PlanSettings, SampleCount};

/// Flags that set the bound, the guarantee and the sampling.
#[derive(Args, Debug, Clone, Default)]
pub struct SettingsArgs {
    /// Latency bound B, seconds: minimise expected cost subject to P(latency ≤ B) ≥ percentile.
    #[arg(long, value_name = "S", conflicts_with = "cost_bound")]
    pub latency_bound: Option<f64>,
    /// Cost bound C, USD per run: minimise the latency percentile subject to cost ≤ C.
    #[arg(long, value_name = "USD")]
    pub cost_bound: Option<f64>,
    /// How the cost bound is read: the mean cost, or the cost at the percentile [default: mean].
    #[arg(long, value_enum, requires = "cost_bound")]
    pub cost_kind: Option<CostKindArg>,
    /// Percentile q of the guarantee, as a fraction (0.95) or a percentage (95) [default: 0.95].
    #[arg(long, value_name = "Q")]
    pub percentile: Option<f64>,
    /// Confidence 1 − δ that the guarantee holds, as a fraction (0.999) or a percentage (99.9) [default: 0.999].
    #[arg(long, value_name = "C")]
    pub confidence: Option<f64>,
    /// Allowed empirical violation α, a fraction in [0, 1 − percentile) [default: 0].
    #[arg(long, value_name = "A")]
    pub alpha: Option<f64>,
    /// Seed of every random draw [default: 1].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Number of Monte Carlo samples [default: ceil(ln(|X|/δ) / (2(1 − q − α)²))].
    #[arg(long, value_name = "N")]
    pub samples: Option<usize>,
    /// Most search nodes per solve; the best plan found so far is reported with its gap [default: no limit].
    #[arg(long, value_name = "N")]
    pub max_nodes: Option<u64>,
    /// Most memory the sample tables may take, MiB; a larger problem is refused before it is sampled [default: 2048].
    #[arg(long, value_name = "MIB")]
    pub max_memory_mb: Option<u64>,
}

/// The cost kinds on the command line.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum CostKindArg {
    /// Expected (mean) cost per run ≤ C.
    Mean,
    /// P(cost per run ≤ C) ≥ percentile.
    Quantile,
}

/// Whether a bound must come from the flags or the project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundNeed {
    /// A bound is required (`plan`).
    Required,
    /// A bound is optional (`frontier`).
    Optional,
}

/// Effective settings, and whether a bound was given at all.
pub struct Resolved {
    /// The settings to plan with.
    pub settings: PlanSettings,
    /// The bound given by a flag or the project, if any.
    pub bound: Option<Bound>,
    /// Solve limits.
    pub limits: Limits,
}

/// A fraction in (0, 1), or a percentage in (1, 100).
fn fraction(flag: &str, v: f64) -> Result<f64> {
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else if v > 1.0 && v < 100.0 {
        Ok(v / 100.0)
    } else if v == 1.0 {
        bail!("{flag}: 1 is ambiguous: give a fraction below 1 (0.95) or a percentage above 1 (95)")
    } else {
        bail!("{flag}: {v} is neither a fraction in (0, 1) nor a percentage in (1, 100)")
    }
}

fn positive(flag: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        bail!("{flag}: {v} is not a finite value above 0")
    }
}

impl SettingsArgs {
    /// Applies the flags to `base` (the project's settings, or `None` for the defaults).
    pub fn resolve(&self, base: Option<&PlanSettings>, need: BoundNeed) -> Result<Resolved> {
        let mut s = base.cloned().unwrap_or_default();
        let mut bound = base.map(|b| b.bound);
        if let Some(b) = self.latency_bound {
            bound = Some(Bound::Latency {
                max_s: positive("--latency-bound", b)?,
            });
        }
        if let Some(c) = self.cost_bound {
            let kind = match self.cost_kind.unwrap_or(CostKindArg::Mean) {
                CostKindArg::Mean => CostKind::Mean,
                CostKindArg::Quantile => CostKind::Quantile,
            };
            bound = Some(Bound::Cost {
                max_usd: positive("--cost-bound", c)?,
                kind,
            });
        }
        match bound {
            Some(b) => s.bound = b,
            None if need == BoundNeed::Required => {
                bail!(
                    "no bound: give --latency-bound S or --cost-bound USD (or a project file with settings)"
                )
            }
            None => {}
        }
        if let Some(q) = self.percentile {
            s.percentile = fraction("--percentile", q)?;
        }
        if let Some(c) = self.confidence {
            s.delta = 1.0 - fraction("--confidence", c)?;
        }
        if let Some(a) = self.alpha {
            let limit = 1.0 - s.percentile;
            if !faasplan_core::settings::alpha_in_range(a, s.percentile) {
                bail!(
                    "--alpha: {a} is not in [0, 1 - percentile) = [0, {}) (it must stay below 1 - percentile by more than {})",
                    (limit * 1e9).round() / 1e9,
                    faasplan_core::settings::ALPHA_GAP_TOLERANCE
                );
            }
            s.alpha = a;
        }
        if let Some(seed) = self.seed {
            s.seed = seed;
        }
        if let Some(n) = self.samples {
            if n == 0 {
                bail!("--samples: 0 samples: give at least 1");
            }
            s.samples = SampleCount::Fixed(n);
        }
        if let Some(0) = self.max_nodes {
            bail!("--max-nodes: 0 nodes: give at least 1");
        }
        s.validate()?;
        Ok(Resolved {
            settings: s,
            bound,
            limits: self.limits()?,
        })
    }
}

impl SettingsArgs {
    /// The solve and memory limits of the flags.
    pub fn limits(&self) -> Result<Limits> {
        let mut limits = Limits {
            max_nodes: self.max_nodes,
            ..Limits::default()
        };
        if let Some(mb) = self.max_memory_mb {
            if mb == 0 {
                bail!("--max-memory-mb: 0 MiB: give at least 1");
            }
            limits.max_memory_bytes = mb.saturating_mul(1 << 20);
        }
        Ok(limits)
    }
}

/// The bound in words, e.g. "latency ≤ 60 s" or "mean cost ≤ $0.002 per run".
pub fn describe_bound(b: &Bound) -> String {
    match *b {
        Bound::Latency { max_s } => format!("latency ≤ {max_s} s"),
        Bound::Cost { max_usd, kind } => {
            let k = match kind {
                CostKind::Mean => "mean cost",
                CostKind::Quantile => "cost",
            };
            format!("{k} ≤ ${max_usd} per run")
        }
    }
}
