//! `faasplan validate`: load the files and say what is in them.

use anyhow::Result;
use clap::Args;

use crate::Outcome;
use crate::input::{self, InputArgs};

/// Arguments of `validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[command(flatten)]
    input: InputArgs,
}

/// Loads and checks the input, then prints a one-line summary.
pub fn run(args: &ValidateArgs) -> Result<Outcome> {
    let project = input::load(&args.input)?;
    let dag = project.workflow.validate()?;
    let runs: usize = project.profiles.stages.iter().map(|s| s.runs.len()).sum();
    println!(
        "ok: workflow {:?}: {} stages, {} edges, {} source-to-sink paths; {} profiled runs; platform {}",
        project.workflow.name,
        project.workflow.stages.len(),
        project.workflow.edges.len(),
        dag.paths(10_000).len(),
        runs,
        project.platform.name
    );
    Ok(Outcome::Success)
}
