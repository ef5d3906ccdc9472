//! Orchestration pricing and intermediate data sizes on the command line
//! (`PriceArgs`, shared by `plan`, `frontier`, `compare` and `evaluate`), and
//! fusion and edge placement (`PricingArgs`, of `plan`, `run`, `frontier` and `compare`; see
//! `faasplan_core::pricing` and `faasplan_core::fusion`).

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use faasplan_core::arch::StageArchitectures;
use faasplan_core::dag::Edge;
use faasplan_core::formats::project::Project;
use faasplan_core::fusion::FusionOptions;
use faasplan_core::pricing::{EdgeData, EdgeDevice, Orchestration};

/// Flags that price orchestration and data.
#[derive(Args, Debug, Clone, Default)]
pub struct PriceArgs {
    /// The orchestration service the workflow runs under, priced per run [default: the project's, else none].
    #[arg(long, value_enum)]
    pub orchestration: Option<OrchestrationArg>,
    /// Data that flows along an edge per run, through object storage (S3 prices): FROM:TO:MB; repeatable.
    #[arg(long, value_name = "FROM:TO:MB")]
    pub edge_data: Vec<String>,
    /// Bill the INIT phase of cold starts like duration, as AWS does for every on-demand function since 2025-08-01 [default: the project's, else off].
    #[arg(long)]
    pub billed_init: bool,
}

/// Flags that price orchestration and data, allow fusion and declare an edge device.
#[derive(Args, Debug, Clone, Default)]
pub struct PricingArgs {
    #[command(flatten)]
    pub price: PriceArgs,
    /// Let the planner fuse single-instance stages into one function where that is cheaper (or faster).
    #[arg(long)]
    pub fusion: bool,
    /// An edge device the planner may place single-instance stages on:
    /// comma-separated KEY=VALUE with speed (time factor against the cloud), cores, memory (MB),
    /// uplink (Mbit/s), and optionally fee (USD per month), runs (per month, default 1000000),
    /// usd-per-s (running cost), latency (s per object moved) and reverse (true: cloud → edge data allowed).
    #[arg(long, value_name = "KEY=VALUE,...")]
    pub edge_device: Option<String>,
    /// Never fuse the edge FROM -> TO; repeatable.
    #[arg(long, value_name = "FROM:TO", requires = "fusion")]
    pub forbid_fusion: Vec<String>,
    /// Let the planner run these stages (comma-separated ids; no value: every function stage)
    /// on arm64 or x86_64, whichever is cheaper within the bound; arm64 is priced at its own
    /// GB-s rate. Its speed comes from the stage's arm64 runs in the profiles, else --arm64-speed.
    #[arg(long, value_name = "STAGES", num_args = 0..=1, default_missing_value = "")]
    pub allow_arm64: Option<String>,
    /// In-function time on arm64 relative to x86_64 for a stage allowed arm64, STAGE=F
    /// (0.8: 20% less time), used when its profiles have no arm64 run; repeatable.
    #[arg(long, value_name = "STAGE=F")]
    pub arm64_speed: Vec<String>,
}

/// The orchestration services on the command line.
#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum OrchestrationArg {
    /// No orchestration charge.
    None,
    /// AWS Step Functions Standard: $0.000025 per state transition.
    SfnStandard,
    /// AWS Step Functions Express: $1.00 per million executions + $0.00001667 per GB-s at 64 MB.
    SfnExpress,
}

fn split<'a>(flag: &str, value: &'a str, parts: usize) -> Result<Vec<&'a str>> {
    let v: Vec<&str> = value.split(':').collect();
    if v.len() != parts || v.iter().any(|p| p.is_empty()) {
        let want = if parts == 3 { "FROM:TO:MB" } else { "FROM:TO" };
        bail!("{flag}: {value:?} is not {want}");
    }
    Ok(v)
}

impl PriceArgs {
    /// Applies the pricing flags to `project`'s platform.
    pub fn apply(&self, project: &mut Project) -> Result<()> {
        let pricing = &mut project.platform.pricing;
        if self.billed_init {
            pricing.billed_init = true;
        }
        if let Some(o) = self.orchestration {
            pricing.orchestration = match o {
                OrchestrationArg::None => Orchestration::None,
                OrchestrationArg::SfnStandard => Orchestration::aws_standard(),
                OrchestrationArg::SfnExpress => Orchestration::aws_express(),
            };
        }
        for value in &self.edge_data {
            let v = split("--edge-data", value, 3)?;
            let data_mb: f64 = v[2]
                .parse()
                .with_context(|| format!("--edge-data: {:?} is not a number of MB", v[2]))?;
            pricing
                .edge_data
                .retain(|e| !(e.from == v[0] && e.to == v[1]));
            pricing.edge_data.push(EdgeData {
                from: v[0].into(),
                to: v[1].into(),
                data_mb,
            });
        }
        Ok(())
    }
}

impl PricingArgs {
    /// Applies the pricing and edge-device flags to `project`'s platform.
    pub fn apply(&self, project: &mut Project) -> Result<()> {
        self.price.apply(project)?;
        self.apply_architectures(project)?;
        let pricing = &mut project.platform.pricing;
        if let Some(value) = &self.edge_device {
            pricing.edge_device = Some(edge_device(value)?);
            pricing
                .validate(Some(&project.workflow))
                .map_err(|e| anyhow::anyhow!("--edge-device: {e}"))?;
        }
        Ok(())
    }

    /// Applies --allow-arm64 and --arm64-speed to `project`'s settings.
    fn apply_architectures(&self, project: &mut Project) -> Result<()> {
        let archs = &mut project.settings.architectures;
        if let Some(list) = &self.allow_arm64 {
            let ids: Vec<String> = if list.trim().is_empty() {
                // Every stage that is a function the planner configures.
                project
                    .workflow
                    .stages
                    .iter()
                    .filter(|s| {
                        s.fixed.is_none() && project.platform.pricing.service_usd(&s.id).is_none()
                    })
                    .map(|s| s.id.clone())
                    .collect()
            } else {
                list.split(',').map(|id| id.trim().to_string()).collect()
            };
            for id in ids {
                if !project.workflow.stages.iter().any(|s| s.id == id) {
                    bail!("--allow-arm64: the workflow has no stage `{id}`");
                }
                let factor = archs.get(&id).and_then(|a| a.arm64_time_factor);
                archs.insert(id, StageArchitectures::both(factor));
            }
        }
        for item in &self.arm64_speed {
            let Some((id, f)) = item.split_once('=') else {
                bail!("--arm64-speed: `{item}` is not STAGE=F (e.g. stage0=0.8)");
            };
            let id = id.trim();
            let f: f64 = f
                .trim()
                .parse()
                .ok()
                .filter(|f: &f64| f.is_finite() && *f > 0.0)
                .with_context(|| {
                    format!(
                        "--arm64-speed: `{}` is not a finite factor above 0",
                        f.trim()
                    )
                })?;
            let Some(entry) = archs.get_mut(id) else {
                bail!(
                    "--arm64-speed: stage `{id}` may not run on arm64: allow it with --allow-arm64 {id}"
                );
            };
            entry.arm64_time_factor = Some(f);
        }
        Ok(())
    }

    /// The fusion options of the flags.
    pub fn fusion(&self) -> Result<FusionOptions> {
        let forbid = self
            .forbid_fusion
            .iter()
            .map(|value| {
                let v = split("--forbid-fusion", value, 2)?;
                Ok(Edge {
                    from: v[0].into(),
                    to: v[1].into(),
                })
            })
            .collect::<Result<_>>()?;
        Ok(FusionOptions {
            enabled: self.fusion,
            forbid,
        })
    }
}

/// Parses `--edge-device`'s comma-separated KEY=VALUE list.
fn edge_device(value: &str) -> Result<EdgeDevice> {
    let mut d = EdgeDevice {
        speed_factor: f64::NAN,
        cores: f64::NAN,
        memory_mb: 0,
        monthly_fee_usd: 0.0,
        runs_per_month: 1_000_000.0,
        usd_per_s: 0.0,
        uplink_mbps: f64::NAN,
        link_latency_s: 0.0,
        allow_reverse: false,
    };
    let mut seen = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, v)) = part.split_once('=') else {
            bail!("--edge-device: {part:?} is not KEY=VALUE");
        };
        let num = || -> Result<f64> {
            v.parse()
                .with_context(|| format!("--edge-device: {key}={v:?} is not a number"))
        };
        match key {
            "speed" => d.speed_factor = num()?,
            "cores" => d.cores = num()?,
            "memory" => {
                d.memory_mb = v.parse().with_context(|| {
                    format!("--edge-device: memory={v:?} is not a whole number of MB")
                })?
            }
            "fee" => d.monthly_fee_usd = num()?,
            "runs" => d.runs_per_month = num()?,
            "usd-per-s" => d.usd_per_s = num()?,
            "uplink" => d.uplink_mbps = num()?,
            "latency" => d.link_latency_s = num()?,
            "reverse" => {
                d.allow_reverse = v
                    .parse()
                    .with_context(|| format!("--edge-device: reverse={v:?} is not true or false"))?
            }
            _ => bail!(
                "--edge-device: unknown key {key:?} (speed, cores, memory, uplink, fee, runs, usd-per-s, latency, reverse)"
            ),
        }
        seen.push(key);
    }
    for key in ["speed", "cores", "memory", "uplink"] {
        if !seen.contains(&key) {
            bail!("--edge-device: {key}=... is required (speed, cores, memory and uplink)");
        }
    }
    Ok(d)
}
