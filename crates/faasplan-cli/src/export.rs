//! `faasplan export`: deploy-ready files for a plan of an imported state machine.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use faasplan_core::export;
use faasplan_core::formats::asl::{AslOptions, import_state_machine};
use faasplan_core::plan::from_json;

use crate::Outcome;

/// Arguments of `export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The state machine the plan's workflow was imported from.
    #[arg(long, value_name = "FILE")]
    state_machine: PathBuf,
    /// The plan JSON (`faasplan plan` output).
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    /// The cycle count the state machine was imported with.
    #[arg(long, default_value_t = 3, value_name = "N")]
    loop_iterations: u32,
    /// The template resource, when the template holds several state machines.
    #[arg(long, value_name = "NAME")]
    state_machine_name: Option<String>,
    /// Directory to write the files into (created if missing).
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
}

/// Writes `statemachine.asl.json`, `parameters.txt`, `parameters.json`,
/// `memory.auto.tfvars` and `update-memory.sh`, and for a plan that chose
/// architectures `architectures.txt`, `architectures.json` and `architectures.auto.tfvars`.
pub fn run(args: &ExportArgs) -> Result<Outcome> {
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).with_context(|| format!("{}: cannot read the file", p.display()))
    };
    let options = AslOptions {
        loop_iterations: args.loop_iterations,
        state_machine: args.state_machine_name.clone(),
        ..AslOptions::default()
    };
    let sm = import_state_machine(&read(&args.state_machine)?, &options)
        .with_context(|| args.state_machine.display().to_string())?;
    let report = from_json(&read(&args.plan)?).with_context(|| args.plan.display().to_string())?;
    let configs = export::configs_of(&report);
    let mut files = vec![
        (
            "statemachine.asl.json",
            export::state_machine(&sm, &configs)?,
        ),
        (
            "parameters.txt",
            export::parameter_overrides(&sm, &configs)?,
        ),
        (
            "parameters.json",
            export::cloudformation_parameters(&sm, &configs)?,
        ),
        ("memory.auto.tfvars", export::tfvars(&sm, &configs)?),
        ("update-memory.sh", export::update_script(&sm, &configs)?),
    ];
    if let Some(a) = export::architecture_files(&sm, &export::architectures_of(&report))? {
        files.push(("architectures.txt", a.parameters));
        files.push(("architectures.json", a.parameters_json));
        files.push(("architectures.auto.tfvars", a.tfvars));
    }
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("{}: cannot create the directory", args.out_dir.display()))?;
    for (name, text) in files {
        let path = args.out_dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("{}: cannot write", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(Outcome::Success)
}
