//! `faasplan plan`: plan one bound exactly and print the plan JSON.

use anyhow::Result;
use clap::Args;
use faasplan_core::pipeline;
use faasplan_core::plan::{PlanStatus, to_json};

use crate::Outcome;
use crate::input::{self, InputArgs};
use crate::pricing_args::PricingArgs;
use crate::progress::emit;
use crate::settings_args::{BoundNeed, SettingsArgs, describe_bound};
use crate::summary;

/// Arguments of `plan`.
#[derive(Args, Debug)]
#[command(
    after_help = "Exit status: 0 a plan meets the bound (optimal, or feasible with a gap \
    under --max-nodes); 1 bad input; 2 usage error; 3 no plan meets the bound (the JSON names \
    the nearest achievable bound); 4 --max-nodes ran out before any plan was found."
)]
pub struct PlanArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(flatten)]
    pricing: PricingArgs,
    /// Print no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Plans the bound, prints the JSON on stdout and a summary on stderr.
pub fn run(args: &PlanArgs) -> Result<Outcome> {
    let mut project = input::load_within(&args.input, args.settings.limits()?.max_memory_bytes)?;
    let base = args.input.project.is_some().then_some(&project.settings);
    let resolved = args.settings.resolve(base, BoundNeed::Required)?;
    project.settings = resolved.settings;
    args.pricing.apply(&mut project)?;
    let fusion = args.pricing.fusion()?;
    let located = |e| input::locate(&args.input, e);
    let mut prepared =
        crate::progress::prepare(&project, resolved.limits, args.quiet).map_err(located)?;
    let report = pipeline::solve_certified_fused(&project, &mut prepared, &fusion, resolved.limits)
        .map_err(located)?;
    let needed = pipeline::samples_needed(&project).map_err(located)?;
    emit(&to_json(&report))?;
    let bound = describe_bound(&project.settings.bound);
    let q = summary::percent(project.settings.percentile);
    Ok(match &report.status {
        PlanStatus::Optimal | PlanStatus::FeasibleWithGap { .. } => {
            if !args.quiet {
                eprint!("{}", summary::plan(&report, needed));
            }
            if let Some(hint) = summary::cost_bound_hint(&report) {
                eprintln!("{hint}");
            }
            Outcome::Success
        }
        PlanStatus::Infeasible { nearest_bound } => {
            match nearest_bound {
                Some(b) => eprintln!(
                    "infeasible: no configuration meets {bound} at P{q}; the nearest achievable bound is {}",
                    describe_bound(&summary::rounded_up(b))
                ),
                None => eprintln!(
                    "infeasible: no configuration exists at all (check the concurrency limit and the stages' allowed d)"
                ),
            }
            Outcome::Infeasible
        }
        PlanStatus::BudgetExhausted { lower_bound } => {
            eprintln!(
                "budget exhausted: --max-nodes ran out before a plan meeting {bound} was found (objective ≥ {lower_bound:.6})"
            );
            Outcome::BudgetExhausted
        }
    })
}
