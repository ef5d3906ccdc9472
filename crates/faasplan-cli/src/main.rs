//! The `faasplan` command line: the planning core on files.
//!
//! Exit codes: 0 success; 1 bad input (a file that cannot be read or parsed,
//! invalid settings); 2 usage error; 3 the bound cannot be met (the plan JSON
//! still says so and names the nearest achievable bound).

mod compare;
mod input;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use input::InputArgs;

/// Plan memory and parallelism of serverless workflows with a probabilistic latency guarantee.
#[derive(Parser, Debug)]
#[command(name = "faasplan", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compare the exact planner with every baseline planner at a list of latency bounds.
    Compare(compare::CompareArgs),
    /// Check a workflow with its profiles, or a project file, and say what is in it.
    Validate {
        #[command(flatten)]
        input: InputArgs,
    },
}

/// What a command asks `main` to exit with.
enum Outcome {
    Success,
}

fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Compare(args) => {
            compare::run(args)?;
            Ok(Outcome::Success)
        }
        Command::Validate { input } => {
            let project = input::load(&input)?;
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
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", error_chain(&err));
            ExitCode::from(1)
        }
    }
}

/// The error and its causes, joined with ": ", leaving out a cause whose text the
/// message already shows (library errors often repeat their source in their message).
fn error_chain(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}
