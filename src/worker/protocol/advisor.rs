//! The advisor's and the pre-warm planner's jobs and answers: what to measure
//! next and which runs look wrong ([`AdvisorOutput`]), and provisioned
//! concurrency from an invocation trace ([`PrewarmRequest`], [`PrewarmOutput`]).

use std::collections::BTreeMap;

use faasplan_core::advisor::anomaly::AnomalyReport;
use faasplan_core::advisor::forecast::{Forecaster, TraceKind};
use faasplan_core::advisor::prewarm::{PrewarmPlan, StagePrewarm};
use faasplan_core::advisor::propose::Advice;
use faasplan_core::settings::ColdStarts;
use serde::{Deserialize, Serialize};

/// What the advisor job found: the flagged configurations (always of the
/// whole profiles) and the proposals (on the profiles the fit uses).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdvisorOutput {
    /// The anomaly detector's verdict on every profiled stage.
    pub flagged: AnomalyReport,
    /// Whether the advice was made without the flagged runs.
    pub excluded: bool,
    /// The advice, or why there is none (e.g. a stage with no runs).
    pub advice: Result<Advice, String>,
    /// Time the worker took, ms.
    pub elapsed_ms: f64,
}

/// A generated trace's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceShape {
    /// A daily cycle, 20 runs per minute ±80%.
    Diurnal,
    /// 5 runs per minute with bursts at 8×.
    Bursty,
    /// 0.05 runs per minute.
    Sparse,
}

impl TraceShape {
    /// Every shape, in the order the panel lists them.
    pub const ALL: [TraceShape; 3] = [TraceShape::Diurnal, TraceShape::Bursty, TraceShape::Sparse];

    /// The core's trace kind.
    pub fn kind(self) -> TraceKind {
        match self {
            TraceShape::Diurnal => TraceKind::Diurnal,
            TraceShape::Bursty => TraceKind::Bursty,
            TraceShape::Sparse => TraceKind::Sparse,
        }
    }

    /// Its name in the panel (and its `value`).
    pub fn name(self) -> &'static str {
        match self {
            TraceShape::Diurnal => "diurnal",
            TraceShape::Bursty => "bursty",
            TraceShape::Sparse => "sparse",
        }
    }
}

/// Where the invocation trace comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TraceInput {
    /// The built-in generator.
    Generated {
        /// Its shape.
        shape: TraceShape,
        /// Minutes to generate.
        minutes: usize,
        /// Seed of the draws.
        seed: u64,
    },
    /// A CSV file the user opened (`count` per minute or `timestamp_s` arrivals).
    Csv {
        /// The file's name, for messages.
        name: String,
        /// Its text (read on the page, parsed in the worker).
        text: String,
    },
}

impl TraceInput {
    /// What the panel calls it, e.g. "generated diurnal trace, 4,320 minutes".
    pub fn label(&self) -> String {
        match self {
            TraceInput::Generated {
                shape,
                minutes,
                seed,
            } => format!(
                "generated {} trace, {minutes} minutes, seed {seed}",
                shape.name()
            ),
            TraceInput::Csv { name, .. } => name.clone(),
        }
    }
}

/// The forecasters the pre-warm planner can use (`faasplan prewarm --forecaster`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ForecasterChoice {
    /// The most over the keep-alive window.
    KeepAlive,
    /// The value one day ago.
    SeasonalNaive,
    /// Additive Holt–Winters over a daily season.
    HoltWinters,
    /// Holt–Winters plus the P90 of its last 120 errors.
    Quantile,
}

impl ForecasterChoice {
    /// Every forecaster, in the order the panel lists them.
    pub const ALL: [ForecasterChoice; 4] = [
        ForecasterChoice::Quantile,
        ForecasterChoice::HoltWinters,
        ForecasterChoice::SeasonalNaive,
        ForecasterChoice::KeepAlive,
    ];

    /// The core forecaster with the CLI's defaults (a daily season, α 0.2,
    /// γ 0.1, P90 of 120 errors; keep-alive over `keep_alive_minutes`).
    pub fn forecaster(self, keep_alive_minutes: usize) -> Forecaster {
        let season = 1440;
        match self {
            ForecasterChoice::KeepAlive => Forecaster::KeepAlive {
                minutes: keep_alive_minutes,
            },
            ForecasterChoice::SeasonalNaive => Forecaster::SeasonalNaive { season },
            ForecasterChoice::HoltWinters => Forecaster::HoltWinters {
                season,
                alpha: 0.2,
                gamma: 0.1,
            },
            ForecasterChoice::Quantile => Forecaster::Quantile {
                season,
                q: 0.9,
                window: 120,
            },
        }
    }

    /// Its value in the panel's select.
    pub fn value(self) -> &'static str {
        match self {
            ForecasterChoice::KeepAlive => "keep-alive",
            ForecasterChoice::SeasonalNaive => "seasonal-naive",
            ForecasterChoice::HoltWinters => "holt-winters",
            ForecasterChoice::Quantile => "quantile",
        }
    }

    /// Its name in the panel.
    pub fn label(self) -> &'static str {
        match self {
            ForecasterChoice::KeepAlive => "fixed keep-alive (10 min)",
            ForecasterChoice::SeasonalNaive => "seasonal naive (1 day)",
            ForecasterChoice::HoltWinters => "Holt–Winters (α 0.2, γ 0.1)",
            ForecasterChoice::Quantile => "quantile (Holt–Winters + P90 of 120 errors)",
        }
    }

    /// The choice whose [`ForecasterChoice::value`] is `value`.
    pub fn from_value(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.value() == value)
    }
}

/// A pre-warm planning job: the trace and the planner's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrewarmRequest {
    /// The latency bound of the plan whose stages are kept warm, s.
    pub bound_s: f64,
    /// The invocation trace.
    pub trace: TraceInput,
    /// Target cold-start rate, % of instance starts.
    pub target_cold_pct: f64,
    /// The forecaster.
    pub forecaster: ForecasterChoice,
}

/// One stage's forecast chart, one value per planning interval.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StageForecast {
    /// Stage id.
    pub stage: String,
    /// The most instances needed in each interval.
    pub needed: Vec<f64>,
    /// The most forecast in each interval.
    pub forecast: Vec<f64>,
    /// The band of each interval: the lowest lower and highest upper edge.
    pub band: Vec<(f64, f64)>,
    /// Provisioned concurrency of each interval.
    pub provisioned: Vec<u32>,
}

impl StageForecast {
    /// The chart figures of one stage's plan: per-minute series reduced to
    /// one value per interval of `interval` minutes.
    pub fn of(stage: &StagePrewarm, interval: usize) -> Self {
        let interval = interval.max(1);
        let most = |v: &[f64]| -> Vec<f64> {
            v.chunks(interval)
                .map(|c| c.iter().copied().fold(0.0, f64::max))
                .collect()
        };
        StageForecast {
            stage: stage.load.stage.clone(),
            needed: most(&stage.needed),
            forecast: most(&stage.forecast),
            band: stage
                .band
                .chunks(interval)
                .map(|c| {
                    c.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &(l, h)| {
                        (lo.min(l), hi.max(h))
                    })
                })
                .map(|(lo, hi)| (if lo.is_finite() { lo } else { 0.0 }, hi))
                .collect(),
            provisioned: stage.schedule.clone(),
        }
    }
}

/// What a pre-warm job produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrewarmOutput {
    /// The plan, without its per-minute series (see `charts`).
    pub plan: PrewarmPlan,
    /// Per stage, the chart's per-interval figures.
    pub charts: Vec<StageForecast>,
    /// The cold-start setting each stage's schedule buys
    /// (`prewarm::cold_start_settings`), for "use these cold-start rates".
    pub cold_starts: BTreeMap<String, ColdStarts>,
    /// What the trace was.
    pub trace: String,
    /// Time the worker took, ms.
    pub elapsed_ms: f64,
}

impl PrewarmOutput {
    /// Monthly cost of the plan over every stage, USD.
    pub fn monthly_usd(&self) -> f64 {
        self.plan.stages.iter().map(|s| s.planned.monthly_usd).sum()
    }

    /// Monthly cost without provisioned concurrency, USD.
    pub fn none_monthly_usd(&self) -> f64 {
        self.plan.stages.iter().map(|s| s.none.monthly_usd).sum()
    }

    /// Monthly cost of always-on provisioning at the plan's rates, USD.
    pub fn always_on_monthly_usd(&self) -> f64 {
        self.plan
            .stages
            .iter()
            .map(|s| s.always_on.monthly_usd)
            .sum()
    }
}
