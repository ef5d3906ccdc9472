//! Orchestration and intermediate-data prices, as data: what a workflow pays per
//! run besides its functions' duration and request fees.
//!
//! # Step Functions Standard
//!
//! Billed per state transition (`usd_per_transition`, $0.000025 in us-east-1). The
//! transitions of one run are counted from the DAG as the state machine that
//! runs it would take them:
//!
//! - a single-instance stage is one `Task` state: 1 transition;
//! - a parallel stage with d instances is a `Map` state whose every iteration runs
//!   one `Task`: 1 + d transitions;
//! - a stage with two or more children opens a `Parallel` state: 1 more;
//! - the end of the execution: 1 more, per run (charged to the first stage in
//!   topological order, so every plan pays it).
//!
//! A chain of n single-instance stages thus takes n + 1 transitions, the count
//! of the Costless paper (its 5-function example takes 6).
//!
//! # Step Functions Express
//!
//! Billed per execution (`usd_per_request`, $1.00 per million) and per GB-second of
//! the execution's duration at the state machine's memory (`memory_mb`, billed in
//! 64 MB steps; `usd_per_gb_s`, $0.00001667 in the first tier). The duration is
//! charged on each stage's sampled latency, which is exact for a chain and an
//! upper bound when branches run in parallel (then the execution lasts only as
//! long as its longest path). The 100 ms rounding of the execution is not
//! modelled: it adds at most 0.1 s × 64 MB of duration, below $1.1·10⁻⁷ per run.
//!
//! # Intermediate data
//!
//! When the user gives the size of the data that flows along an edge
//! ([`EdgeData`]), it goes through object storage: each of the producer's d
//! instances writes one object (`usd_per_put`), each of the consumer's d
//! instances reads one (`usd_per_get`), and the producer pays `usd_per_gb`
//! for the bytes moved (0 within one AWS region). Every term depends on one
//! stage's configuration only, so the whole cost stays a sum over stages, which
//! is what the exact planner needs: [`stage_extra`] is the part a stage adds to
//! its sampled cost.
//!
//! # Service integrations
//!
//! A stage that is not a Lambda function (a Step Functions service integration
//! such as DynamoDB `PutItem` or SNS `Publish`) is listed in `services` with
//! what one run of it costs ([`ServiceCost`]). Its runs then pay that price
//! instead of a function's duration and request fees; its latency still comes
//! from its profile. A stage not listed is billed as a function.

use serde::{Deserialize, Serialize};

use crate::dag::{Config, StageKind, Workflow};

/// The orchestration service a workflow runs under.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Orchestration {
    /// No orchestration charge (the functions call each other, or it is ignored).
    #[default]
    None,
    /// AWS Step Functions Standard: a price per state transition.
    StepFunctionsStandard {
        /// USD per state transition.
        usd_per_transition: f64,
    },
    /// AWS Step Functions Express: a price per execution and per GB-second.
    StepFunctionsExpress {
        /// USD per execution (request).
        usd_per_request: f64,
        /// USD per GB-second of execution duration.
        usd_per_gb_s: f64,
        /// Memory the executions use, MB (billed in 64 MB steps).
        memory_mb: u32,
    },
}

impl Orchestration {
    /// AWS Step Functions Standard in us-east-1: $0.000025 per state transition.
    pub fn aws_standard() -> Self {
        Orchestration::StepFunctionsStandard {
            usd_per_transition: 0.000_025,
        }
    }

    /// AWS Step Functions Express in us-east-1, first duration tier: $1.00 per
    /// million executions, $0.00001667 per GB-second, 64 MB.
    pub fn aws_express() -> Self {
        Orchestration::StepFunctionsExpress {
            usd_per_request: 1.0e-6,
            usd_per_gb_s: 0.000_016_67,
            memory_mb: 64,
        }
    }

    /// Whether this is [`Orchestration::None`].
    pub fn is_none(&self) -> bool {
        *self == Orchestration::None
    }
}

/// Object-storage prices for intermediate data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectStorage {
    /// USD per object written.
    pub usd_per_put: f64,
    /// USD per object read.
    pub usd_per_get: f64,
    /// USD per GB moved between the functions and the storage.
    pub usd_per_gb: f64,
}

impl Default for ObjectStorage {
    /// Amazon S3 Standard in us-east-1: $0.005 per 1,000 PUT, $0.0004 per 1,000
    /// GET, no transfer charge within the region.
    fn default() -> Self {
        ObjectStorage {
            usd_per_put: 0.005 / 1000.0,
            usd_per_get: 0.0004 / 1000.0,
            usd_per_gb: 0.0,
        }
    }
}

/// The size of the data that flows along one edge per run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeData {
    /// Id of the producing stage.
    pub from: String,
    /// Id of the consuming stage.
    pub to: String,
    /// Data per run, MB (all instances together).
    pub data_mb: f64,
}

/// What one run of a stage that is not a Lambda function costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceCost {
    /// Id of the stage.
    pub stage: String,
    /// Price of one run, USD (all its instances together).
    pub usd_per_run: f64,
}

/// Everything a run pays besides its functions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pricing {
    /// The orchestration service.
    #[serde(default, skip_serializing_if = "Orchestration::is_none")]
    pub orchestration: Orchestration,
    /// Object-storage prices (used only for edges with [`EdgeData`]).
    #[serde(default)]
    pub storage: ObjectStorage,
    /// Data sizes of the edges that move data through object storage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edge_data: Vec<EdgeData>,
    /// Whether the INIT phase of cold starts is billed like duration (AWS bills it
    /// for every on-demand function since 2025-08-01; off by default, as the
    /// bundled profiles were measured before).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub billed_init: bool,
    /// An edge device stages may be placed on (see [`crate::fusion`]); none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_device: Option<EdgeDevice>,
    /// Stages that are not Lambda functions, with their price per run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceCost>,
    /// Duration and request prices of the architecture that is not the
    /// platform's own, for stages that may run on it ([`crate::arch`]); AWS's
    /// list prices when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative_architecture: Option<crate::arch::ArchRates>,
}

/// An edge device (Costless's placement): a machine near the data that runs
/// placed stages without Lambda fees, slower, behind an uplink to the cloud.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeDevice {
    /// Time factor of compute on the device against the cloud at the same
    /// vCPU count (2 = twice as slow).
    pub speed_factor: f64,
    /// Cores of the device (the vCPU count its stages run with).
    pub cores: f64,
    /// Memory of the device, MB: a stage whose smallest allowed memory size
    /// exceeds it cannot be placed there.
    pub memory_mb: u32,
    /// Fixed fee of the device per month, USD (e.g. a Greengrass core).
    #[serde(default)]
    pub monthly_fee_usd: f64,
    /// Workflow runs per month the fee is spread over.
    #[serde(default = "default_runs_per_month")]
    pub runs_per_month: f64,
    /// Running cost of the device per second of stage compute, USD/s (energy).
    #[serde(default)]
    pub usd_per_s: f64,
    /// Link bandwidth between device and cloud, Mbit/s.
    pub uplink_mbps: f64,
    /// Link latency per object moved between device and cloud, s.
    #[serde(default)]
    pub link_latency_s: f64,
    /// Whether data may flow cloud → edge (a cloud stage feeding an edge stage).
    #[serde(default)]
    pub allow_reverse: bool,
}

fn default_runs_per_month() -> f64 {
    1_000_000.0
}

impl EdgeDevice {
    /// The monthly fee's share of one run, USD.
    pub fn fee_per_run_usd(&self) -> f64 {
        if self.runs_per_month > 0.0 {
            self.monthly_fee_usd / self.runs_per_month
        } else {
            0.0
        }
    }

    /// Seconds to move `data_mb` between the device and the cloud.
    pub fn transfer_s(&self, data_mb: f64) -> f64 {
        self.link_latency_s + data_mb * 8.0 / self.uplink_mbps
    }

    fn values(&self) -> [(&'static str, f64); 7] {
        [
            ("speed_factor", self.speed_factor),
            ("cores", self.cores),
            ("monthly_fee_usd", self.monthly_fee_usd),
            ("runs_per_month", self.runs_per_month),
            ("usd_per_s", self.usd_per_s),
            ("uplink_mbps", self.uplink_mbps),
            ("link_latency_s", self.link_latency_s),
        ]
    }
}

impl Pricing {
    /// Whether this is the default (no orchestration, S3 prices, no data sizes).
    pub fn is_default(&self) -> bool {
        *self == Pricing::default()
    }

    /// Whether nothing is charged besides the functions.
    pub fn is_free(&self) -> bool {
        self.orchestration.is_none() && self.edge_data.is_empty() && self.services.is_empty()
    }

    /// The price per run of stage `id` when it is a service integration.
    pub fn service_usd(&self, id: &str) -> Option<f64> {
        self.services
            .iter()
            .find(|s| s.stage == id)
            .map(|s| s.usd_per_run)
    }
}

/// Why a [`Pricing`] is not usable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PricingError {
    /// A price or size is negative or not finite.
    #[error("platform.pricing.{field}: {value} is not a finite value of at least 0")]
    Value {
        /// The field's path below `platform.pricing`.
        field: String,
        /// The offending value.
        value: f64,
    },
    /// A value that must be above 0 is not.
    #[error("platform.pricing.{field}: {value} must be greater than 0")]
    Positive {
        /// The field's path below `platform.pricing`.
        field: String,
        /// The offending value.
        value: f64,
    },
    /// Express memory of 0 MB.
    #[error("platform.pricing.orchestration.memory_mb: must be at least 1")]
    Memory,
    /// An [`EdgeData`] names an edge the workflow does not have.
    #[error("platform.pricing.edge_data[{index}]: the workflow has no edge {from} -> {to}")]
    UnknownEdge {
        /// Position in `edge_data`.
        index: usize,
        /// Producer id.
        from: String,
        /// Consumer id.
        to: String,
    },
    /// A [`ServiceCost`] names a stage the workflow does not have, or twice.
    #[error("platform.pricing.services[{index}]: {problem} stage {stage:?}")]
    UnknownService {
        /// Position in `services`.
        index: usize,
        /// The stage id.
        stage: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl Pricing {
    /// Checks that every price and size is finite and ≥ 0 (and, with `workflow`,
    /// that every [`EdgeData`] names one of its edges).
    pub fn validate(&self, workflow: Option<&Workflow>) -> Result<(), PricingError> {
        let mut values = vec![
            ("storage.usd_per_put".to_string(), self.storage.usd_per_put),
            ("storage.usd_per_get".to_string(), self.storage.usd_per_get),
            ("storage.usd_per_gb".to_string(), self.storage.usd_per_gb),
        ];
        match self.orchestration {
            Orchestration::None => {}
            Orchestration::StepFunctionsStandard { usd_per_transition } => values.push((
                "orchestration.usd_per_transition".into(),
                usd_per_transition,
            )),
            Orchestration::StepFunctionsExpress {
                usd_per_request,
                usd_per_gb_s,
                memory_mb,
            } => {
                if memory_mb == 0 {
                    return Err(PricingError::Memory);
                }
                values.push(("orchestration.usd_per_request".into(), usd_per_request));
                values.push(("orchestration.usd_per_gb_s".into(), usd_per_gb_s));
            }
        }
        if let Some(r) = &self.alternative_architecture {
            values.push((
                "alternative_architecture.price_per_gb_s".into(),
                r.price_per_gb_s,
            ));
            values.push((
                "alternative_architecture.price_per_request".into(),
                r.price_per_request,
            ));
        }
        for (i, e) in self.edge_data.iter().enumerate() {
            values.push((format!("edge_data[{i}].data_mb"), e.data_mb));
        }
        if let Some(dev) = &self.edge_device {
            for (field, v) in dev.values() {
                values.push((format!("edge_device.{field}"), v));
            }
            for (field, v) in [
                ("speed_factor", dev.speed_factor),
                ("cores", dev.cores),
                ("uplink_mbps", dev.uplink_mbps),
                ("memory_mb", f64::from(dev.memory_mb)),
            ] {
                if v.is_finite() && v <= 0.0 {
                    return Err(PricingError::Positive {
                        field: format!("edge_device.{field}"),
                        value: v,
                    });
                }
            }
        }
        for (i, s) in self.services.iter().enumerate() {
            values.push((format!("services[{i}].usd_per_run"), s.usd_per_run));
        }
        if let Some((field, value)) = values
            .into_iter()
            .find(|(_, v)| !(v.is_finite() && *v >= 0.0))
        {
            return Err(PricingError::Value { field, value });
        }
        if let Some(w) = workflow {
            for (index, e) in self.edge_data.iter().enumerate() {
                if !w.edges.iter().any(|x| x.from == e.from && x.to == e.to) {
                    return Err(PricingError::UnknownEdge {
                        index,
                        from: e.from.clone(),
                        to: e.to.clone(),
                    });
                }
            }
        }
        for (index, s) in self.services.iter().enumerate() {
            let problem = if workflow.is_some_and(|w| !w.stages.iter().any(|x| x.id == s.stage)) {
                Some("the workflow has no")
            } else if self.services[..index].iter().any(|o| o.stage == s.stage) {
                Some("a second price for")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(PricingError::UnknownService {
                    index,
                    stage: s.stage.clone(),
                    problem,
                });
            }
        }
        Ok(())
    }
}

/// What one stage adds to its sampled cost per run, beside its functions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StageExtra {
    /// Orchestration charge independent of the latency, USD.
    pub orchestration_usd: f64,
    /// Orchestration charge per second of the stage's latency, USD/s (Express).
    pub orchestration_usd_per_s: f64,
    /// Intermediate-data charge, USD.
    pub transfer_usd: f64,
    /// The price of a run of a service integration, USD.
    pub service_usd: f64,
    /// Whether the stage is a service integration: its runs pay
    /// `service_usd` and no function duration or request fees.
    pub service: bool,
}

impl StageExtra {
    /// The fixed part: orchestration, transfer and the service's price, USD.
    pub fn fixed_usd(&self) -> f64 {
        self.orchestration_usd + self.transfer_usd + self.service_usd
    }

    /// Whether the stage adds nothing.
    pub fn is_zero(&self) -> bool {
        self.fixed_usd() == 0.0 && self.orchestration_usd_per_s == 0.0
    }

    /// Makes this the extra of stage `id`: a service integration when
    /// `pricing` lists it.
    pub fn with_service(mut self, pricing: &Pricing, id: &str) -> Self {
        if let Some(usd) = pricing.service_usd(id) {
            self.service = true;
            self.service_usd = usd;
        }
        self
    }
}

/// Where a stage (or a fused group of stages) sits in the DAG, for pricing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageSite<'a> {
    /// The stage's kind.
    pub kind: StageKind,
    /// Number of children in the DAG.
    pub n_children: usize,
    /// Whether the run's end transition and execution fee are charged here.
    pub first_in_topo: bool,
    /// Data this stage reads, MB, one entry per in-edge with data.
    pub reads_mb: &'a [f64],
    /// Data this stage writes, MB, one entry per out-edge with data.
    pub writes_mb: &'a [f64],
}

/// State transitions one run of a stage takes under Step Functions Standard
/// (see the module docs): 1 for a `Task`, 1 + d for a `Map`, +1 when the stage
/// opens a `Parallel` state, +1 for the run's end on the first stage.
pub fn transitions(site: &StageSite<'_>, cfg: Config) -> u32 {
    let own = match site.kind {
        StageKind::Single => 1,
        StageKind::Parallel => 1 + cfg.d,
    };
    own + u32::from(site.n_children >= 2) + u32::from(site.first_in_topo)
}

/// The extra cost of one run of a stage at `cfg` (see the module docs).
pub fn stage_extra(pricing: &Pricing, site: &StageSite<'_>, cfg: Config) -> StageExtra {
    let d = f64::from(cfg.d.max(1));
    let mut extra = StageExtra::default();
    match pricing.orchestration {
        Orchestration::None => {}
        Orchestration::StepFunctionsStandard { usd_per_transition } => {
            extra.orchestration_usd = f64::from(transitions(site, cfg)) * usd_per_transition;
        }
        Orchestration::StepFunctionsExpress {
            usd_per_request,
            usd_per_gb_s,
            memory_mb,
        } => {
            if site.first_in_topo {
                extra.orchestration_usd = usd_per_request;
            }
            let billed_mb = memory_mb.div_ceil(64) * 64;
            extra.orchestration_usd_per_s = f64::from(billed_mb) / 1024.0 * usd_per_gb_s;
        }
    }
    let s = &pricing.storage;
    let writes: f64 = site.writes_mb.iter().sum();
    extra.transfer_usd = site.writes_mb.len() as f64 * d * s.usd_per_put
        + site.reads_mb.len() as f64 * d * s.usd_per_get
        + writes / 1024.0 * s.usd_per_gb;
    extra
}

/// The data sizes, MB, a stage reads (in-edges) and writes (out-edges) per
/// run, from `pricing.edge_data`.
pub fn stage_data(pricing: &Pricing, workflow: &Workflow, stage: usize) -> (Vec<f64>, Vec<f64>) {
    let id = &workflow.stages[stage].id;
    let reads = pricing
        .edge_data
        .iter()
        .filter(|e| &e.to == id)
        .map(|e| e.data_mb)
        .collect();
    let writes = pricing
        .edge_data
        .iter()
        .filter(|e| &e.from == id)
        .map(|e| e.data_mb)
        .collect();
    (reads, writes)
}

/// The extra cost of stage `stage` of `workflow` at `cfg`, with the DAG given by
/// its `parents` and topological order `topo`.
pub fn workflow_stage_extra(
    pricing: &Pricing,
    workflow: &Workflow,
    parents: &[Vec<usize>],
    topo: &[usize],
    stage: usize,
    cfg: Config,
) -> StageExtra {
    if pricing.is_free() {
        return StageExtra::default();
    }
    let (reads, writes) = stage_data(pricing, workflow, stage);
    let site = StageSite {
        kind: workflow.stages[stage].kind,
        n_children: parents.iter().filter(|p| p.contains(&stage)).count(),
        first_in_topo: topo.first() == Some(&stage),
        reads_mb: &reads,
        writes_mb: &writes,
    };
    stage_extra(pricing, &site, cfg).with_service(pricing, &workflow.stages[stage].id)
}

/// A per-run cost split by what it pays for, USD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostBreakdown {
    /// Function duration and request fees, and the price of service integrations.
    pub functions_usd: f64,
    /// Orchestration: Step Functions transitions, or Express executions and duration.
    pub transitions_usd: f64,
    /// Intermediate data in object storage: requests and transfer.
    pub transfer_usd: f64,
    /// Edge device: its fee's share of the run and its running cost.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub edge_usd: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

#[cfg(test)]
mod tests;
