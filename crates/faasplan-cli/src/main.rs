//! The `faasplan` command line: the planning core on files.
//!
//! Exit codes: 0 success; 1 bad input (a file that cannot be read or parsed,
//! invalid settings); 2 usage error; 3 the bound cannot be met (the plan JSON
//! still says so and names the nearest achievable bound); 4 the node budget
//! (`--max-nodes`) ran out before any plan meeting the bound was found.

mod advise;
mod compare;
mod evaluate;
mod executor;
mod export;
mod fit;
mod frontier;
mod import;
mod input;
mod plan;
mod pricing_args;
mod progress;
mod run;
mod settings_args;
mod summary;
mod validate;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Plan memory and parallelism of serverless workflows with a probabilistic latency guarantee.
#[derive(Parser, Debug)]
#[command(name = "faasplan", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a workflow with its profiles, or a project file, and say what is in it.
    Validate(validate::ValidateArgs),
    /// Fit the stage models and report their fit and cross-validation errors.
    Fit(fit::FitArgs),
    /// Plan one bound exactly: the plan JSON on stdout, a summary on stderr.
    Plan(plan::PlanArgs),
    /// The whole latency–cost frontier as JSON or CSV, optionally drawn as SVG.
    Frontier(frontier::FrontierArgs),
    /// Which configurations to profile next (Bayesian optimisation on the plan's cost), and when to stop.
    Advise(advise::AdviseArgs),
    /// Evaluate a configuration you give (plan JSON or --config), and what the planner would save.
    Evaluate(evaluate::EvaluateArgs),
    /// Compare the exact planner with every baseline planner at a list of latency bounds.
    Compare(compare::CompareArgs),
    /// Import a Step Functions state machine with Lambda logs and Power Tuning results as a project.
    Import(import::ImportArgs),
    /// Deploy-ready files for a plan: the state machine with MaxConcurrency set, memory per function.
    Export(export::ExportArgs),
    /// Run the plan (or listed configurations) on an executor and write the measured profiles.
    Run(run::RunArgs),
    /// Run the executor server (the separate faasplan-executor binary): see docs/executor.md.
    Executor(executor::ExecutorArgs),
}

/// What a command asks `main` to exit with.
pub enum Outcome {
    /// Done (exit 0).
    Success,
    /// No plan meets the bound (exit 3).
    Infeasible,
    /// The node budget ran out before a plan was found (exit 4).
    BudgetExhausted,
}

fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Compare(args) => compare::run(args),
        Command::Validate(args) => validate::run(&args),
        Command::Fit(args) => fit::run(&args),
        Command::Advise(args) => advise::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Frontier(args) => frontier::run(&args),
        Command::Evaluate(args) => evaluate::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Executor(args) => executor::run(&args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Infeasible) => ExitCode::from(3),
        Ok(Outcome::BudgetExhausted) => ExitCode::from(4),
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
