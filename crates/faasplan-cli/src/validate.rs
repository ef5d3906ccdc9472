//! `faasplan validate`: load the files, run every check `plan` makes on its
//! input (and the fit), and say what is in them.

use anyhow::Result;
use clap::Args;
use faasplan_core::model::fit_stage_at;
use faasplan_core::pipeline::{self, Limits, PipelineError};
use faasplan_core::sampling::human_bytes;

use crate::Outcome;
use crate::input::{self, InputArgs};
use crate::progress::Ticker;

/// Arguments of `validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Most memory the sample tables may take, MiB, as for `plan` [default: 2048].
    #[arg(long, value_name = "MIB")]
    max_memory_mb: Option<u64>,
}

/// Loads and checks the input, then prints a one-line summary.
pub fn run(args: &ValidateArgs) -> Result<Outcome> {
    let mut limits = Limits::default();
    if let Some(mb) = args.max_memory_mb {
        limits.max_memory_bytes = mb.max(1).saturating_mul(1 << 20);
    }
    let project = input::load_within(&args.input, limits.max_memory_bytes)?;
    let located = |e: PipelineError| input::locate(&args.input, e);
    let checked = pipeline::check(&project, limits).map_err(located)?;
    let stages = project.workflow.stages.len();
    let mut progress = Ticker::new();
    for i in 0..stages {
        progress.tick(|| {
            let id = &project.workflow.stages[i].id;
            let runs = project.profiles.stage(id).map_or(0, |p| p.runs.len());
            format!("fitting stage {} of {stages} ({id}, {runs} runs)", i + 1)
        });
        fit_stage_at(&project.workflow, &checked.dag, &project.profiles, i)
            .map_err(|e| located(e.into()))?;
    }
    progress.finish();
    let runs: usize = project.profiles.stages.iter().map(|s| s.runs.len()).sum();
    println!(
        "ok: workflow {:?}: {} stages, {} edges, {} source-to-sink paths; {} profiled runs, measured at {} MB per vCPU; platform {}; {} samples, sample tables {}",
        project.workflow.name,
        project.workflow.stages.len(),
        project.workflow.edges.len(),
        checked.dag.paths(10_000).len(),
        runs,
        project.profiles.mb_per_vcpu,
        project.platform.name,
        checked.size.n_samples,
        human_bytes(checked.size.bytes)
    );
    Ok(Outcome::Success)
}
