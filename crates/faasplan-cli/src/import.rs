//! `faasplan import`: a state machine and its measurements (Lambda logs,
//! Power Tuning results) as a faasplan project on stdout.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use faasplan_core::formats::batch::{BatchOptions, import_batch, stage_coverage};
use faasplan_core::formats::project::Project;
use faasplan_core::platform::Preset;
use faasplan_core::settings::PlanSettings;

use crate::Outcome;
use crate::input::{PlatformArg, apply_choices};
use crate::progress::emit;

/// Arguments of `import`.
#[derive(Args, Debug)]
#[command(
    after_help = "Files: one Step Functions state machine (ASL JSON or YAML, or a SAM/CloudFormation \
    template), then any Lambda logs (REPORT lines, platform.report JSON, LogResult base64, CloudWatch \
    JSON) and Power Tuning results (output JSON, visualization URL, markdown run history). Runs \
    are matched to stages by function name (log group, lambdaARN, else the file name); --map \
    names the stage of the rest. All files import or none: the first that cannot is named."
)]
pub struct ImportArgs {
    /// The files, state machine first or anywhere.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Runs of FILE (or of function NAME) belong to STAGE.
    #[arg(long = "map", value_name = "FILE_OR_FUNCTION=STAGE")]
    mapping: Vec<String>,
    /// How many times a cycle (polling, pagination, retry loop) runs.
    #[arg(long, default_value_t = 3, value_name = "N")]
    loop_iterations: u32,
    /// The template resource to read when a template holds several state machines.
    #[arg(long, value_name = "NAME")]
    state_machine: Option<String>,
    /// Latency of a stage that is not a Lambda function (a service integration),
    /// seconds: for every such stage, or for one (by stage id or state name);
    /// repeatable [default: 0.1].
    #[arg(long, value_name = "[STAGE=]S")]
    service_latency: Vec<String>,
    /// Price of one run of a service integration, USD, paid instead of a
    /// function's fees: for every such stage, or for one; repeatable [default: 0].
    #[arg(long, value_name = "[STAGE=]USD")]
    service_cost: Vec<String>,
    /// Probabilities of a Choice's alternatives, in their order (`Pick=0.9,0.1`);
    /// repeat per Choice [default: every Choice is planned for the slowest].
    #[arg(long = "choice", value_name = "NAME=P1,P2,..")]
    choices: Vec<String>,
    /// The architecture (x86_64 or arm64) runs were measured on where the file
    /// and the template do not say: for every file, or for one file or
    /// function; repeatable [default: unknown, the platform's].
    #[arg(long, value_name = "[FILE_OR_FUNCTION=]ARCH")]
    measured_on: Vec<String>,
    /// Platform to plan for.
    #[arg(long, value_enum, default_value = "aws-x86-64")]
    platform: PlatformArg,
    /// Print no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Imports the files and prints the project JSON.
pub fn run(args: &ImportArgs) -> Result<Outcome> {
    let mut files = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the file", path.display()))?;
        files.push((path.display().to_string(), text));
    }
    let mut options = BatchOptions::default();
    for (flag, values, all, own) in [
        (
            "--service-latency",
            &args.service_latency,
            &mut options.service_latency_s,
            &mut options.service_latencies,
        ),
        (
            "--service-cost",
            &args.service_cost,
            &mut options.service_cost_usd,
            &mut options.service_costs,
        ),
    ] {
        for v in values {
            let (stage, number) = match v.rsplit_once('=') {
                Some((k, n)) => (Some(k), n),
                None => (None, v.as_str()),
            };
            let Ok(x) = number.trim().parse::<f64>() else {
                bail!("{flag} {v}: expected a number, or STAGE=number");
            };
            match stage {
                Some(k) => own.push((k.to_string(), x)),
                None => *all = x,
            }
        }
    }
    for v in &args.measured_on {
        let (key, name) = match v.rsplit_once('=') {
            Some((k, a)) => (Some(k.to_string()), a),
            None => (None, v.as_str()),
        };
        let Some(arch) = faasplan_core::arch::Arch::parse(name) else {
            bail!("--measured-on {v}: {name:?} is not an architecture (x86_64 or arm64)");
        };
        options.measured_on.push((key, arch));
    }
    options.asl.loop_iterations = args.loop_iterations;
    options.asl.state_machine = args.state_machine.clone();
    for m in &args.mapping {
        let Some((k, v)) = m.rsplit_once('=') else {
            bail!("--map {m}: expected FILE_OR_FUNCTION=STAGE");
        };
        options.mapping.push((k.to_string(), v.to_string()));
    }
    let batch = import_batch(&files, None, &options)?;
    let Some(sm) = batch.state_machine else {
        bail!("no state machine among the files: measurements need the workflow they belong to");
    };
    let mut workflow = sm.workflow;
    apply_choices(&mut workflow, &args.choices)?;
    let mut platform = Preset::from(args.platform).platform();
    platform.pricing.services = batch.services;
    let project = Project {
        workflow,
        profiles: batch.profiles,
        platform,
        settings: PlanSettings::default(),
    };
    emit(&project.to_json())?;
    if !args.quiet {
        for line in &batch.summary {
            eprintln!("{line}");
        }
        for note in &sm.notes {
            eprintln!("note: {note}");
        }
        for c in stage_coverage(&project.workflow, &project.profiles) {
            if let Some(next) = c.measure_next() {
                eprintln!("measure next: {}: {next}", c.stage);
            }
        }
    }
    Ok(Outcome::Success)
}
