//! The planning settings on the command line, shared by `plan` and `frontier`.
//!
//! Start from the project's settings when a project file is given, else from
//! [`PlanSettings::default`]; every flag given overrides one field. Percentile
//! and confidence are accepted as fractions (0.95, 0.999) or as percentages
//! (95, 99.9); the confidence 1 − δ becomes δ. Errors name the flag.

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use faasplan_core::pipeline::Limits;
use faasplan_core::settings::{Bound, ColdStarts, CostKind, PlanSettings, SampleCount, TOLERANCE};

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
    /// Target share a/N of planning samples allowed over the bound, in [0, 1 − percentile]; 0 = automatic, 0.6·(1 − percentile) [default: 0].
    #[arg(long, value_name = "A")]
    pub alpha: Option<f64>,
    /// Seed of every random draw [default: 1].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Number of planning samples N [default: the KL-Chernoff size at which the binomial allowance reaches α·N, within the memory limit].
    #[arg(long, value_name = "N")]
    pub samples: Option<usize>,
    /// Number of fresh samples the chosen plan is certified on [default: enough for a certified quantile within 10% of 1 − percentile].
    #[arg(long, value_name = "M")]
    pub fresh_samples: Option<usize>,
    /// Cold starts of every stage: `profile` (the profile's share of cold runs), `warm` (all warm), `first` (first invocation: every instance cold) or a per-instance rate in percent such as `5%` [default: profile].
    #[arg(long, value_name = "SETTING")]
    pub cold_starts: Option<String>,
    /// Cold starts of one stage, `STAGE=SETTING` (same settings as --cold-starts); repeatable.
    #[arg(long, value_name = "STAGE=SETTING")]
    pub cold_start: Vec<String>,
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
            if !(a >= 0.0 && a <= limit * (1.0 + TOLERANCE)) {
                bail!("--alpha: {a} is not in [0, 1 - percentile] = [0, {limit}]");
            }
            s.alpha = a.min(limit);
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
        if let Some(m) = self.fresh_samples {
            if m == 0 {
                bail!("--fresh-samples: 0 samples: give at least 1");
            }
            s.fresh_samples = SampleCount::Fixed(m);
        }
        if let Some(c) = &self.cold_starts {
            s.cold_starts =
                ColdStarts::parse(c).map_err(|e| anyhow::anyhow!("--cold-starts: {e}"))?;
        }
        for item in &self.cold_start {
            let Some((stage, setting)) = item.split_once('=') else {
                bail!("--cold-start: `{item}` is not STAGE=SETTING (e.g. stage0=warm)");
            };
            let c = ColdStarts::parse(setting).map_err(|e| anyhow::anyhow!("--cold-start: {e}"))?;
            s.cold_start_stages.insert(stage.trim().to_string(), c);
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

#[cfg(test)]
mod tests {
    use super::*;
    use faasplan_core::sampling::{design, fresh_sample_count};
    use proptest::prelude::*;

    /// Any f64, with the edges and the values that broke before weighted in.
    fn any_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(1.0),
            Just(100.0),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(f64::MIN_POSITIVE),
            Just(1.0 - 0.95),
            Just(0.05),
            Just(0.049),
            Just(0.999),
            Just(99.9),
            Just(99.99999),
            Just(1e-300),
            any::<f64>(),
            0.0f64..1.0,
            1.0f64..100.0,
        ]
    }

    fn any_count() -> impl Strategy<Value = usize> {
        prop_oneof![
            Just(0usize),
            Just(1),
            Just(usize::MAX),
            Just(usize::MAX / 16 + 1),
            1usize..100_000_000,
            any::<usize>(),
        ]
    }

    fn cold(global: Option<&str>, stages: &[&str]) -> Result<PlanSettings> {
        let args = SettingsArgs {
            latency_bound: Some(60.0),
            cold_starts: global.map(str::to_string),
            cold_start: stages.iter().map(|s| s.to_string()).collect(),
            ..SettingsArgs::default()
        };
        args.resolve(None, BoundNeed::Required).map(|r| r.settings)
    }

    #[test]
    fn cold_start_flags_set_the_global_and_per_stage_settings() {
        let s = cold(Some("5%"), &["stage0=warm", "stage2 = first"]).unwrap();
        assert_eq!(s.cold_starts, ColdStarts::Rate(5.0));
        assert_eq!(s.cold_starts_of("stage0"), ColdStarts::AllWarm);
        assert_eq!(s.cold_starts_of("stage2"), ColdStarts::FirstInvocation);
        assert_eq!(s.cold_starts_of("stage1"), ColdStarts::Rate(5.0));
        assert_eq!(cold(None, &[]).unwrap().cold_starts, ColdStarts::Profile);
    }

    #[test]
    fn bad_cold_start_flags_name_the_flag() {
        let msg = |g, st: &[&str]| cold(g, st).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg(Some("120"), &[]).starts_with("--cold-starts: "),
            "{}",
            msg(Some("120"), &[])
        );
        assert!(msg(Some("lukewarm"), &[]).contains("expected `profile`"));
        assert!(msg(None, &["stage0"]).starts_with("--cold-start: `stage0` is not STAGE=SETTING"));
        assert!(msg(None, &["stage0=NaN"]).starts_with("--cold-start: "));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// --percentile, --confidence, --alpha and --samples (and --fresh-samples) never
        /// panic: every combination is either refused with a message naming a flag or a
        /// setting, or gives a sample design within the memory limits.
        #[test]
        fn the_four_settings_never_panic(
            percentile in proptest::option::of(any_f64()),
            confidence in proptest::option::of(any_f64()),
            alpha in proptest::option::of(any_f64()),
            samples in proptest::option::of(any_count()),
            fresh in proptest::option::of(any_count()),
            ln_space in 0.0f64..200.0,
            rows in 1usize..100_000,
        ) {
            let args = SettingsArgs {
                latency_bound: Some(60.0),
                cost_bound: None,
                cost_kind: None,
                percentile,
                confidence,
                alpha,
                seed: None,
                samples,
                fresh_samples: fresh,
                cold_starts: None,
                cold_start: Vec::new(),
                max_nodes: None,
                max_memory_mb: None,
            };
            match args.resolve(None, BoundNeed::Required) {
                Err(e) => {
                    let msg = e.to_string();
                    prop_assert!(msg.contains("--") || msg.contains("settings."), "{msg}");
                }
                Ok(r) => {
                    match design(&r.settings, ln_space, rows) {
                        Ok(d) => {
                            prop_assert!(d.n_samples >= 1 && d.allowed_violations < d.n_samples);
                            prop_assert!(
                                d.n_samples as u64
                                    * rows as u64
                                    * faasplan_core::sampling::BYTES_PER_TABLE_SAMPLE
                                    <= faasplan_core::sampling::TABLE_BUDGET_BYTES
                            );
                        }
                        Err(e) => prop_assert!(e.to_string().contains("`samples`"), "{e}"),
                    }
                    match fresh_sample_count(&r.settings) {
                        Ok(m) => prop_assert!(m >= 1),
                        Err(e) => prop_assert!(e.to_string().contains("`fresh_samples`"), "{e}"),
                    }
                }
            }
        }
    }
}
