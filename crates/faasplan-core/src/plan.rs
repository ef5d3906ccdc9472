//! The exported plan: a documented, versioned JSON report of a planning run.
//!
//! Schema `{"format": "faasplan-plan", "version": 1}`; pretty JSON, trailing
//! newline, fields in the order below, floats in shortest round-trip form.
//! Latencies in seconds, costs in USD per workflow run. "q" is the
//! percentile of the settings (e.g. 0.95); all sample statistics are over the
//! planner's N Monte Carlo samples (common random numbers).
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `format`, `version` | `"faasplan-plan"`, `1` | file type and schema version |
//! | `workflow` | string | workflow name |
//! | `settings.bound` | `{"type": "latency", "max_s"}` or `{"type": "cost", "max_usd", "kind": "mean" or "quantile"}` | the bound planned for |
//! | `settings.percentile` | number | q |
//! | `settings.confidence` | number | 1 − δ: probability that the guarantee holds |
//! | `settings.alpha` | number | allowed empirical violation α |
//! | `settings.samples` | integer | N, the number of samples actually used |
//! | `settings.seed` | integer | seed of the samples |
//! | `settings.platform` | string | platform name |
//! | `status` | `{"kind": "optimal"}`, `{"kind": "feasible_with_gap", "relative_gap"}` or `{"kind": "infeasible", "nearest_bound": <bound> or null}` or `{"kind": "budget_exhausted", "lower_bound"}` | outcome; `relative_gap` = (plan objective − best lower bound) / plan objective; `nearest_bound` is the tightest achievable bound of the same type |
//! | `stages[]` | list | one entry per stage, in workflow order (empty when infeasible and no plan is shown) |
//! | `stages[].stage` | string | stage id |
//! | `stages[].memory_mb`, `stages[].vcpu`, `stages[].d` | integer, number, integer | chosen memory per instance, its vCPUs (`memory_mb / mb_per_vcpu`), instance count |
//! | `stages[].latency_p50_s`, `stages[].latency_q_s` | number | the stage latency's median and q-quantile over the samples |
//! | `stages[].expected_cost_usd` | number | the stage's mean cost per run (a fused group's whole cost is on its root, 0 on the other members) |
//! | `stages[].fused_into` | string (absent when not fused) | the root stage of the function this stage runs fused into (see [`crate::fusion`]); a fused member reports the group's memory, d = 1 and the group's latency quantiles |
//! | `stages[].shares_memory_with` | list of strings (absent when empty) | the other stages that run the same function (`shared` in the workflow): the planner gives them this stage's memory size (and architecture) |
//! | `totals` | object or `null` | the plan's workflow figures on the planning samples |
//! | `totals.latency_p50_s`, `totals.latency_q_s` | number | median and q-quantile of the workflow latency (longest path) |
//! | `totals.guaranteed_latency_s` | number | the guaranteed latency: the certified q-quantile on the fresh samples (`guarantee.certificate.certified_latency_s`); when no certificate exists (too few fresh samples), the planning samples' (a + 1)-th largest latency |
//! | `totals.expected_cost_usd`, `totals.cost_q_usd` | number | mean and q-quantile of the workflow cost |
//! | `cost_breakdown` | object or `null` (absent in older files) | the plan's mean cost per run on the planning samples split by what it pays for: `functions_usd` (duration and request fees), `transitions_usd` (Step Functions transitions, or Express executions and duration), `transfer_usd` (object-storage requests and transfer of intermediate data), and `edge_usd` (the edge device's fee share and running cost; absent when 0); they add up to `totals.expected_cost_usd` (see [`crate::pricing`]) |
//! | `out_of_sample` | object or `null` | the plan re-evaluated on a fresh, independent sample set |
//! | `out_of_sample.seed`, `out_of_sample.samples` | integer | seed and size of that set |
//! | `out_of_sample.totals` | object | as `totals`, on that set |
//! | `out_of_sample.fraction_meeting_bound` | number | share of those samples within the bound (latency ≤ B, or cost ≤ C) |
//! | `guarantee` | object (absent in older files) | how the guarantee was obtained (see [`crate::certify`] and [`crate::sampling::design`]) |
//! | `guarantee.samples`, `guarantee.allowed_violations` | integer | N and the allowance a the planning samples were solved with (after any tightening) |
//! | `guarantee.union_bound` | bool | whether a is within the binomial allowance union-bounded over the real |X| (the a-priori guarantee) |
//! | `guarantee.attempts` | integer | solves run: 1, plus one per tightening after a failed certificate (at most 4) |
//! | `guarantee.certificate` | object or `null` | the plan's certificate on the fresh samples (`null` without a plan) |
//! | `….certificate.fresh_samples`, `….confidence` | integer, number | M, and the certificate's confidence 1 − δ/4 |
//! | `….certificate.allowed_violations` | integer or `null` | a_M: fresh samples the certified quantile leaves above it (`null`: M too small to certify) |
//! | `….certificate.violations`, `….violation_upper` | integer, number or `null` | fresh samples over the bound and the Clopper–Pearson upper bound of the violation probability (`null` under a mean-cost bound) |
//! | `….certificate.certified_latency_s`, `….certified_cost_q_usd` | number or `null` | certified q-quantiles: upper confidence bounds of the plan's true q-quantile of latency and cost |
//! | `….certificate.meets_bound` | bool or `null` | whether the certified figure meets the bound (`null` under a mean-cost bound) |

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::certify::Certificate;
use crate::formats::project::{HeaderError, check_header};
use crate::pricing::CostBreakdown;
use crate::settings::Bound;

/// The value of the `format` field.
pub const PLAN_FORMAT: &str = "faasplan-plan";
/// The schema version this code reads and writes.
pub const PLAN_VERSION: u32 = 1;

/// An exported plan (see the module docs for the schema).
#[derive(Clone, Debug, PartialEq)]
pub struct PlanReport {
    /// Workflow name.
    pub workflow: String,
    /// The settings the plan was made with.
    pub settings: SettingsEcho,
    /// The outcome.
    pub status: PlanStatus,
    /// The chosen configuration, one entry per stage in workflow order.
    pub stages: Vec<StagePlan>,
    /// Workflow figures on the planning samples, when there is a plan.
    pub totals: Option<PlanTotals>,
    /// The mean cost of `totals` split by what it pays for, when there is a plan.
    pub cost_breakdown: Option<CostBreakdown>,
    /// Workflow figures on a fresh sample set, when evaluated.
    pub out_of_sample: Option<OutOfSample>,
    /// How the guarantee was obtained (`None` in files written before it existed).
    pub guarantee: Option<Guarantee>,
}

/// The sample design a plan was solved with and its certificate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guarantee {
    /// Planning samples N.
    pub samples: usize,
    /// Allowed violations a on the planning samples.
    pub allowed_violations: usize,
    /// Whether a is within the union-bounded binomial allowance.
    pub union_bound: bool,
    /// Solves run for this bound.
    pub attempts: u32,
    /// The certificate on fresh samples (`None` without a plan).
    pub certificate: Option<Certificate>,
}

/// The settings a plan was made with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsEcho {
    /// The bound (type and value).
    pub bound: Bound,
    /// Percentile q.
    pub percentile: f64,
    /// Confidence 1 − δ.
    pub confidence: f64,
    /// Allowed empirical violation α.
    pub alpha: f64,
    /// Number of samples used, N.
    pub samples: usize,
    /// Seed of the samples.
    pub seed: u64,
    /// Platform name.
    pub platform: String,
}

/// The outcome of a planning run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanStatus {
    /// The plan is optimal for the sampled problem.
    Optimal,
    /// A feasible plan, not proven optimal (e.g. the work budget ran out).
    FeasibleWithGap {
        /// (plan objective − best lower bound) / plan objective, ≥ 0.
        relative_gap: f64,
    },
    /// No configuration meets the bound.
    Infeasible {
        /// The tightest bound of the same type that some configuration meets
        /// (`null` when no configuration exists at all, e.g. under the concurrency limit).
        nearest_bound: Option<Bound>,
    },
    /// The work budget ran out before any plan meeting the bound was found.
    BudgetExhausted {
        /// Proven lower bound on the objective (USD for a latency bound, s for a cost bound).
        lower_bound: f64,
    },
}

/// The configuration and figures of one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StagePlan {
    /// Stage id.
    pub stage: String,
    /// Memory per instance, MB.
    pub memory_mb: u32,
    /// vCPUs per instance: `memory_mb / mb_per_vcpu`.
    pub vcpu: f64,
    /// Instance count.
    pub d: u32,
    /// Median stage latency, s.
    pub latency_p50_s: f64,
    /// Stage latency at the percentile q, s.
    pub latency_q_s: f64,
    /// Mean stage cost per run, USD.
    pub expected_cost_usd: f64,
    /// When the stage runs fused into another stage's function, that function's
    /// first stage (its root); absent for an unfused stage and for a group's root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fused_into: Option<String>,
    /// Whether the stage runs on the edge device (absent: in the cloud).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub on_edge: bool,
    /// The architecture the stage runs on, for a stage that may use another
    /// one than the platform's (`settings.architectures`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<crate::arch::Arch>,
    /// The stages that run the same function and so share this memory size
    /// (`Workflow::shared`); absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shares_memory_with: Vec<String>,
}

/// Workflow figures of a plan on one sample set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanTotals {
    /// Median workflow latency, s.
    pub latency_p50_s: f64,
    /// Workflow latency at the percentile q, s.
    pub latency_q_s: f64,
    /// The guaranteed latency, s: the certified q-quantile on fresh samples (see the
    /// module docs), or the planning samples' (a + 1)-th largest without a certificate.
    pub guaranteed_latency_s: f64,
    /// Mean workflow cost per run, USD.
    pub expected_cost_usd: f64,
    /// Workflow cost per run at the percentile q, USD.
    pub cost_q_usd: f64,
}

/// A plan re-evaluated on a fresh, independent sample set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutOfSample {
    /// Seed of the fresh samples.
    pub seed: u64,
    /// Number of fresh samples.
    pub samples: usize,
    /// The workflow figures on them.
    pub totals: PlanTotals,
    /// Share of the fresh samples that meet the bound, in [0, 1].
    pub fraction_meeting_bound: f64,
}

/// Why a plan file could not be read.
#[derive(Debug, Error)]
pub enum PlanFileError {
    /// Not JSON, or a field has the wrong shape.
    #[error("plan json: {0}")]
    Json(#[from] serde_json::Error),
    /// The `format` field is missing or names another file type.
    #[error("format: expected \"faasplan-plan\", found {0} (not a faasplan plan file)")]
    NotAPlan(String),
    /// The `version` is not one this code reads.
    #[error("version: {0} is not supported (this faasplan reads plan version 1)")]
    UnsupportedVersion(String),
}

#[derive(Serialize)]
struct FileOut<'a> {
    format: &'a str,
    version: u32,
    workflow: &'a str,
    settings: &'a SettingsEcho,
    status: &'a PlanStatus,
    stages: &'a [StagePlan],
    totals: &'a Option<PlanTotals>,
    cost_breakdown: &'a Option<CostBreakdown>,
    out_of_sample: &'a Option<OutOfSample>,
    guarantee: &'a Option<Guarantee>,
}

#[derive(Deserialize)]
struct FileIn {
    workflow: String,
    settings: SettingsEcho,
    status: PlanStatus,
    stages: Vec<StagePlan>,
    totals: Option<PlanTotals>,
    #[serde(default)]
    cost_breakdown: Option<CostBreakdown>,
    out_of_sample: Option<OutOfSample>,
    #[serde(default)]
    guarantee: Option<Guarantee>,
}

/// The plan as pretty JSON with a trailing newline (stable field order).
pub fn to_json(report: &PlanReport) -> String {
    let file = FileOut {
        format: PLAN_FORMAT,
        version: PLAN_VERSION,
        workflow: &report.workflow,
        settings: &report.settings,
        status: &report.status,
        stages: &report.stages,
        totals: &report.totals,
        cost_breakdown: &report.cost_breakdown,
        out_of_sample: &report.out_of_sample,
        guarantee: &report.guarantee,
    };
    // Serialising these plain data types to a String cannot fail: every map key is a
    // string. Non-finite floats would be written as null and rejected by `from_json`.
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a plan file, checking `format` and `version` first.
pub fn from_json(text: &str) -> Result<PlanReport, PlanFileError> {
    check_header(text, PLAN_FORMAT, PLAN_VERSION).map_err(|e| match e {
        HeaderError::Json(e) => PlanFileError::Json(e),
        HeaderError::Format(found) => PlanFileError::NotAPlan(found),
        HeaderError::Version(found) => PlanFileError::UnsupportedVersion(found),
    })?;
    let f: FileIn = serde_json::from_str(text)?;
    Ok(PlanReport {
        workflow: f.workflow,
        settings: f.settings,
        status: f.status,
        stages: f.stages,
        totals: f.totals,
        cost_breakdown: f.cost_breakdown,
        out_of_sample: f.out_of_sample,
        guarantee: f.guarantee,
    })
}

/// The value the SAA guarantee certifies for `samples` with allowed empirical
/// violation `alpha`: the (N − ⌊αN⌋)-th smallest sample (1-based), i.e. the
/// smallest bound that at most ⌊αN⌋ samples exceed. `None` for no samples.
/// NaN samples sort last.
pub fn guaranteed_value(samples: &[f64], alpha: f64) -> Option<f64> {
    let n = samples.len();
    (n > 0).then(|| {
        let a = crate::stats::allowed_violations(n, alpha);
        crate::stats::guarantee(samples, a, &mut Vec::new())
    })
}
