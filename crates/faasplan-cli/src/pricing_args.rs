//! Orchestration pricing, intermediate data sizes and fusion on the command
//! line, shared by `plan` (see `faasplan_core::pricing` and `faasplan_core::fusion`).

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use faasplan_core::dag::Edge;
use faasplan_core::formats::project::Project;
use faasplan_core::fusion::FusionOptions;
use faasplan_core::pricing::{EdgeData, Orchestration};

/// Flags that price orchestration and data, and allow fusion.
#[derive(Args, Debug, Clone, Default)]
pub struct PricingArgs {
    /// The orchestration service the workflow runs under, priced per run [default: the project's, else none].
    #[arg(long, value_enum)]
    pub orchestration: Option<OrchestrationArg>,
    /// Data that flows along an edge per run, through object storage (S3 prices): FROM:TO:MB; repeatable.
    #[arg(long, value_name = "FROM:TO:MB")]
    pub edge_data: Vec<String>,
    /// Let the planner fuse single-instance stages into one function where that is cheaper (or faster).
    #[arg(long)]
    pub fusion: bool,
    /// Never fuse the edge FROM -> TO; repeatable.
    #[arg(long, value_name = "FROM:TO", requires = "fusion")]
    pub forbid_fusion: Vec<String>,
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

impl PricingArgs {
    /// Applies the pricing flags to `project`'s platform.
    pub fn apply(&self, project: &mut Project) -> Result<()> {
        let pricing = &mut project.platform.pricing;
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
