//! The instruction-set architecture of a function (x86_64 or arm64) as a
//! per-stage decision of the planner.
//!
//! A platform has one architecture of its own ([`Platform::architecture`]); a
//! stage may allow the other one too (`settings.architectures`, a
//! [`StageArchitectures`] per stage id). Each allowed architecture adds a copy
//! of the stage's candidate configurations to its sample table, so the choice
//! is made by the same exact planner as memory and d ([`Architectures`] is what
//! the sampler needs for those copies).
//!
//! On the other architecture a stage:
//!
//! - is **priced** at that architecture's GB-second rate and request fee
//!   (`platform.pricing.alternative_architecture`, else AWS Lambda's us-east-1
//!   list prices: [`ArchRates::aws`]);
//! - **takes** `f` times the in-function time (read, compute and write; start-up,
//!   cold starts and the run-to-run residuals are unchanged, so common random
//!   numbers hold across architectures). `f` comes from the profiles when they
//!   have runs on that architecture (a run's `architecture`): the ratio of the
//!   runs' summed mean in-function time to the native model's prediction at the
//!   same configurations. Otherwise it comes from the user
//!   (`arm64_time_factor`: arm64 time relative to x86_64 at the same memory). With
//!   neither, planning is refused ([`ArchError::NoSpeed`]): there is no made-up default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dag::{Config, StageKind, Workflow};
use crate::model::{StageModel, WorkflowModel};
use crate::platform::Platform;
use crate::profile::Profiles;

/// An instruction-set architecture of Lambda functions.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Arch {
    /// Intel/AMD 64-bit.
    #[default]
    #[serde(rename = "x86_64")]
    X86_64,
    /// 64-bit ARM (AWS Graviton).
    #[serde(rename = "arm64")]
    Arm64,
}

impl Arch {
    /// The name AWS uses (`x86_64`, `arm64`), also in project files and exports.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The other architecture.
    pub fn other(self) -> Arch {
        match self {
            Arch::X86_64 => Arch::Arm64,
            Arch::Arm64 => Arch::X86_64,
        }
    }

    /// Parses `x86_64` or `arm64` (also `x86-64`, `amd64`, `aarch64`, any case).
    pub fn parse(text: &str) -> Option<Arch> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x86_64" | "x86-64" | "amd64" | "x86" => Some(Arch::X86_64),
            "arm64" | "aarch64" | "arm" => Some(Arch::Arm64),
            _ => None,
        }
    }

    /// Whether this is x86_64 (for `skip_serializing_if`).
    pub fn is_x86_64(&self) -> bool {
        *self == Arch::X86_64
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The duration and request prices of one architecture.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArchRates {
    /// Price of one GB-second of duration, USD.
    pub price_per_gb_s: f64,
    /// Price of one request, USD.
    pub price_per_request: f64,
}

impl ArchRates {
    /// AWS Lambda's us-east-1 list prices (first duration tier): x86_64
    /// $0.0000166667 and arm64 $0.0000133334 per GB-second, $0.20 per million
    /// requests for both (<https://aws.amazon.com/lambda/pricing/>).
    pub fn aws(arch: Arch) -> ArchRates {
        ArchRates {
            price_per_gb_s: match arch {
                Arch::X86_64 => 0.000_016_666_7,
                Arch::Arm64 => 0.000_013_333_4,
            },
            price_per_request: 0.2e-6,
        }
    }
}

/// What a user allows for one stage (`settings.architectures.<stage id>`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageArchitectures {
    /// The architectures the planner may choose for the stage, e.g.
    /// `["x86_64", "arm64"]` (`["arm64"]` alone runs it on arm64).
    pub allowed: Vec<Arch>,
    /// In-function time on arm64 relative to x86_64 at the same memory size
    /// (0.8: 20% less time), used when the profiles have no run on the
    /// platform's other architecture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm64_time_factor: Option<f64>,
}

impl StageArchitectures {
    /// Both architectures allowed, with an optional arm64 time factor.
    pub fn both(arm64_time_factor: Option<f64>) -> Self {
        StageArchitectures {
            allowed: vec![Arch::X86_64, Arch::Arm64],
            arm64_time_factor,
        }
    }

    /// Checks that the list is not empty and has no repeats and that a factor
    /// is finite and above 0; `stage` names the entry in the message.
    pub fn validate(&self, stage: &str) -> Result<(), ArchError> {
        if self.allowed.is_empty() {
            return Err(ArchError::Empty {
                stage: stage.to_string(),
            });
        }
        if self.allowed.len() > 1 && self.allowed[0] == self.allowed[1] {
            return Err(ArchError::Repeated {
                stage: stage.to_string(),
            });
        }
        if self.allowed.len() > 2 {
            return Err(ArchError::Repeated {
                stage: stage.to_string(),
            });
        }
        if let Some(f) = self.arm64_time_factor
            && !(f.is_finite() && f > 0.0)
        {
            return Err(ArchError::Factor {
                stage: stage.to_string(),
                value: f,
            });
        }
        Ok(())
    }
}

/// Why the architectures a project allows cannot be planned.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ArchError {
    /// An entry names a stage the workflow does not have.
    #[error("settings.architectures: the workflow has no stage `{stage}`")]
    UnknownStage {
        /// The stage id of the entry.
        stage: String,
    },
    /// An entry allows no architecture.
    #[error("settings.architectures.{stage}.allowed: allow at least one of x86_64 and arm64")]
    Empty {
        /// The stage id.
        stage: String,
    },
    /// An entry names an architecture twice.
    #[error("settings.architectures.{stage}.allowed: an architecture is listed twice")]
    Repeated {
        /// The stage id.
        stage: String,
    },
    /// A time factor that is not finite and above 0.
    #[error(
        "settings.architectures.{stage}.arm64_time_factor: {value} is not a finite value above 0"
    )]
    Factor {
        /// The stage id.
        stage: String,
        /// The offending value.
        value: f64,
    },
    /// The other architecture is allowed but nothing says how fast it runs.
    #[error(
        "stage `{stage}` may run on {arch}, but its profiles have no {arch} run and no arm64 time factor is set: measure it on {arch} (a run's `architecture`) or set settings.architectures.{stage}.arm64_time_factor (CLI: --arm64-speed {stage}=F)"
    )]
    NoSpeed {
        /// The stage id.
        stage: String,
        /// The platform's other architecture.
        arch: Arch,
    },
    /// A stage with a fixed configuration or a service stage cannot change architecture.
    #[error(
        "stage `{stage}` may run on {arch}, but it {reason}: remove it from settings.architectures"
    )]
    NotAFunction {
        /// The stage id.
        stage: String,
        /// The platform's other architecture.
        arch: Arch,
        /// Why.
        reason: &'static str,
    },
}

/// Where a stage's time factor on the other architecture comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FactorSource {
    /// Fitted on this many runs measured on the other architecture.
    Measured {
        /// Runs used.
        runs: usize,
    },
    /// Set by the user.
    User,
}

/// One stage's resolved choice.
#[derive(Clone, Debug, PartialEq)]
pub struct StageChoice {
    /// The allowed architectures, the platform's own first.
    pub allowed: Vec<Arch>,
    /// In-function time on the other architecture relative to the platform's own.
    pub time_factor: f64,
    /// Where `time_factor` comes from (`None` when only the platform's own is allowed).
    pub source: Option<FactorSource>,
}

/// The architecture choices of a project, resolved against its profiles and
/// fitted model: what the sampler needs to add and fill the extra candidates.
#[derive(Clone, Debug, PartialEq)]
pub struct Architectures {
    /// The platform's own architecture.
    pub native: Arch,
    /// The platform with the other architecture's rates.
    pub other_platform: Platform,
    /// One entry per workflow stage.
    pub stages: Vec<StageChoice>,
}

/// The number of architectures stage `id` may use under `settings` (1 when it has no entry).
pub fn allowed_count(settings: &BTreeMap<String, StageArchitectures>, id: &str) -> usize {
    settings.get(id).map_or(1, |s| s.allowed.len().max(1))
}

/// `profiles` without the runs measured on another architecture than `native`
/// (`None` when every run is on `native`).
pub fn native_profiles(profiles: &Profiles, native: Arch) -> Option<Profiles> {
    let foreign = |a: &Option<Arch>| a.is_some_and(|a| a != native);
    if !profiles
        .stages
        .iter()
        .any(|s| s.runs.iter().any(|r| foreign(&r.architecture)))
    {
        return None;
    }
    let mut out = profiles.clone();
    for s in &mut out.stages {
        s.runs.retain(|r| !foreign(&r.architecture));
    }
    Some(out)
}

/// The ratio of the measured mean in-function time of `stage`'s runs on `arch`
/// to `model`'s prediction at the same configurations, and the number of runs;
/// `None` without such runs.
pub fn measured_factor(
    model: &StageModel,
    profiles: &Profiles,
    stage: &str,
    arch: Arch,
) -> Option<(f64, usize)> {
    let runs = profiles.stage(stage)?;
    let (mut measured, mut predicted, mut count) = (0.0, 0.0, 0usize);
    for r in runs.runs.iter().filter(|r| r.architecture == Some(arch)) {
        let (cfg, input_d) = match model.kind {
            StageKind::Parallel => (
                Config {
                    memory_mb: r.memory_mb,
                    d: r.d,
                },
                None,
            ),
            StageKind::Single => (
                Config {
                    memory_mb: r.memory_mb,
                    d: 1,
                },
                Some(r.d),
            ),
        };
        let vcpu = f64::from(r.memory_mb) / profiles.mb_per_vcpu;
        let p = model.curves(cfg, input_d, vcpu).mean_s;
        let m = r.in_function_mean_s();
        if p.is_finite() && p > 0.0 && m.is_finite() && m >= 0.0 {
            measured += m;
            predicted += p;
            count += 1;
        }
    }
    (count > 0 && predicted > 0.0 && measured > 0.0).then(|| (measured / predicted, count))
}

/// Checks the project's `settings` without a fitted model: every entry valid
/// and naming a stage, and every stage that may run on the platform's other
/// architecture a function with runs measured on it or a time factor.
pub fn check(
    workflow: &Workflow,
    platform: &Platform,
    settings: &BTreeMap<String, StageArchitectures>,
    profiles: &Profiles,
) -> Result<(), ArchError> {
    let other = platform.architecture().other();
    for (id, s) in settings {
        s.validate(id)?;
        let Some(st) = workflow.stages.iter().find(|st| st.id == *id) else {
            return Err(ArchError::UnknownStage { stage: id.clone() });
        };
        if !s.allowed.contains(&other) {
            continue;
        }
        let reason = if st.fixed.is_some() {
            Some("has a fixed configuration")
        } else if platform.pricing.service_usd(&st.id).is_some() {
            Some("is a service integration, not a function")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(ArchError::NotAFunction {
                stage: st.id.clone(),
                arch: other,
                reason,
            });
        }
        let measured = profiles
            .stage(id)
            .is_some_and(|p| p.runs.iter().any(|r| r.architecture == Some(other)));
        if !measured && s.arm64_time_factor.is_none() {
            return Err(ArchError::NoSpeed {
                stage: st.id.clone(),
                arch: other,
            });
        }
    }
    Ok(())
}

/// Resolves the project's `settings` (one [`StageArchitectures`] per stage id)
/// against the workflow, the profiles and the fitted `model`. `None` when no
/// stage has an entry, so the plan is the platform's-architecture plan exactly.
pub fn resolve(
    workflow: &Workflow,
    platform: &Platform,
    settings: &BTreeMap<String, StageArchitectures>,
    profiles: &Profiles,
    model: &WorkflowModel,
) -> Result<Option<Architectures>, ArchError> {
    if settings.is_empty() {
        return Ok(None);
    }
    check(workflow, platform, settings, profiles)?;
    let native = platform.architecture();
    let other = native.other();
    let mut stages = Vec::with_capacity(workflow.stages.len());
    for (i, st) in workflow.stages.iter().enumerate() {
        let Some(s) = settings.get(&st.id) else {
            stages.push(StageChoice {
                allowed: vec![native],
                time_factor: 1.0,
                source: None,
            });
            continue;
        };
        let mut allowed = Vec::new();
        for a in [native, other] {
            if s.allowed.contains(&a) {
                allowed.push(a);
            }
        }
        if !allowed.contains(&other) {
            stages.push(StageChoice {
                allowed,
                time_factor: 1.0,
                source: None,
            });
            continue;
        }
        let measured = model
            .stages
            .get(i)
            .and_then(|m| measured_factor(m, profiles, &st.id, other));
        let (time_factor, source) = match (measured, s.arm64_time_factor) {
            (Some((f, runs)), _) => (f, FactorSource::Measured { runs }),
            (None, Some(f)) => (
                if other == Arch::Arm64 { f } else { 1.0 / f },
                FactorSource::User,
            ),
            (None, None) => {
                return Err(ArchError::NoSpeed {
                    stage: st.id.clone(),
                    arch: other,
                });
            }
        };
        stages.push(StageChoice {
            allowed,
            time_factor,
            source: Some(source),
        });
    }
    let rates = platform
        .pricing
        .alternative_architecture
        .unwrap_or_else(|| ArchRates::aws(other));
    let mut other_platform = platform.clone();
    other_platform.price_per_gb_s = rates.price_per_gb_s;
    other_platform.price_per_request = rates.price_per_request;
    Ok(Some(Architectures {
        native,
        other_platform,
        stages,
    }))
}

impl Architectures {
    /// The candidates of stage `i` on every allowed architecture: `base` (the
    /// platform's own candidates) once per architecture, the platform's own first.
    pub fn expand(&self, i: usize, base: &[Config]) -> (Vec<Config>, Vec<Arch>) {
        let mut configs = Vec::with_capacity(base.len() * self.stages[i].allowed.len());
        let mut archs = Vec::with_capacity(configs.capacity());
        for &a in &self.stages[i].allowed {
            configs.extend_from_slice(base);
            archs.extend(std::iter::repeat_n(a, base.len()));
        }
        (configs, archs)
    }

    /// The platform a stage on `arch` is priced on.
    pub fn platform<'a>(&'a self, native: &'a Platform, arch: Arch) -> &'a Platform {
        if arch == self.native {
            native
        } else {
            &self.other_platform
        }
    }

    /// Stage `i`'s model on the other architecture: `model` with every step
    /// curve scaled by the stage's time factor.
    pub fn other_model(&self, i: usize, model: &StageModel) -> StageModel {
        scaled(model, self.stages[i].time_factor)
    }
}

/// `model` with every step's mean and P95 curve multiplied by `factor` (the
/// curves are linear in their coefficients); start-up, cold starts and
/// residuals unchanged.
pub fn scaled(model: &StageModel, factor: f64) -> StageModel {
    let mut m = model.clone();
    for (_, step) in &mut m.steps {
        for curve in [&mut step.mean, &mut step.p95] {
            for (_, c) in &mut curve.terms {
                *c *= factor;
            }
        }
    }
    m
}
