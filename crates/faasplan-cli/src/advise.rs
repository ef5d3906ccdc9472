//! `faasplan advise`: which configurations to profile next, with the expected
//! gain of measuring them and the stopping rule (`advisor::propose`), as a
//! table, JSON or a CSV list to run.

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use faasplan_core::advisor::propose::{Advice, AdvisorSettings, advise, stage_inputs};
use faasplan_core::pipeline::fit_profiles;
use faasplan_core::settings::Bound;

use crate::Outcome;
use crate::input::{self, InputArgs};
use crate::progress::emit;

/// Arguments of `advise`.
#[derive(Args, Debug)]
pub struct AdviseArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Latency bound B, seconds [default: the project's latency bound].
    #[arg(long, value_name = "S")]
    latency_bound: Option<f64>,
    /// Number of configurations to propose (1..=8).
    #[arg(long, value_name = "K", default_value_t = AdvisorSettings::default().batch)]
    batch: usize,
    /// Stop when the batch is expected to lower the plan's cost by less than this %.
    #[arg(long, value_name = "PCT", default_value_t = AdvisorSettings::default().stop_gain_pct)]
    stop_gain_pct: f64,
    /// Quasi-Monte Carlo draws per expected gain.
    #[arg(long, value_name = "N", default_value_t = AdvisorSettings::default().draws)]
    draws: usize,
    /// Leave the runs of configurations the anomaly detector flags out of the models.
    #[arg(long)]
    exclude_flagged: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AdviseFormat::Text)]
    format: AdviseFormat,
}

/// How `advise` prints its answer.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdviseFormat {
    /// A readable summary.
    Text,
    /// The whole advice as JSON.
    Json,
    /// The proposals only, one CSV row each: the list to measure.
    Csv,
}

/// Runs the advisor and prints its advice.
pub fn run(args: &AdviseArgs) -> Result<Outcome> {
    let (project, dag) = input::load_checked(&args.input)?;
    let bound_s = match (args.latency_bound, project.settings.bound) {
        (Some(b), _) => b,
        (None, Bound::Latency { max_s }) => max_s,
        (None, Bound::Cost { .. }) => {
            bail!("advise: --latency-bound is needed (the project bounds the cost)")
        }
    };
    let mut narrowed = project.clone();
    narrowed.settings.exclude_flagged |= args.exclude_flagged;
    let profiles = fit_profiles(&narrowed).unwrap_or_else(|| project.profiles.clone());
    let settings = AdvisorSettings {
        batch: args.batch,
        draws: args.draws,
        stop_gain_pct: args.stop_gain_pct,
        ..AdvisorSettings::default()
    };
    let inputs = stage_inputs(&project.workflow, &dag, &profiles, &project.platform)?;
    let advice = advise(&dag, &inputs, &project.platform, bound_s, &settings)?;
    let text = match args.format {
        AdviseFormat::Text => text(&advice),
        AdviseFormat::Json => serde_json::to_string_pretty(&advice)? + "\n",
        AdviseFormat::Csv => csv(&advice),
    };
    emit(&text)?;
    Ok(Outcome::Success)
}

/// The proposals as CSV with a header.
pub fn csv(advice: &Advice) -> String {
    advice.proposals_csv()
}

/// The advice as a readable summary.
pub fn text(advice: &Advice) -> String {
    let mut out = match &advice.plan {
        Some(p) => {
            let mut s = format!(
                "Current plan at {} s (measured configurations only): {:.3} USD per 1,000 runs, predicted {:.2} s\n",
                advice.bound_s,
                p.cost_usd * 1e3,
                p.latency_s
            );
            for (stage, c) in &p.configs {
                s.push_str(&format!("  {stage}: {} MB, d = {}\n", c.memory_mb, c.d));
            }
            s
        }
        None => format!(
            "No plan over the measured configurations meets {} s; gains are measured against every stage's costliest measured configuration.\n",
            advice.bound_s
        ),
    };
    if advice.proposals.is_empty() {
        out.push_str("\nNothing left to measure: every candidate configuration is measured.\n");
    } else {
        out.push_str(&format!(
            "\nMeasure these next (expected gain of the batch: {:.4} USD per 1,000 runs, {:.2}% of the plan's cost):\n",
            advice.batch_gain_usd * 1e3,
            advice.batch_gain_pct
        ));
        out.push_str("   #  stage     memory MB     d  predicted s  ± (ln)  gain USD/1k runs\n");
        for (k, p) in advice.proposals.iter().enumerate() {
            out.push_str(&format!(
                "  {:>2}  {:<8}  {:>9}  {:>4}  {:>11.2}  {:>6.2}  {:>16.4}\n",
                k + 1,
                p.stage,
                p.memory_mb,
                p.d,
                p.predicted_s,
                p.ln_sd,
                p.expected_gain_usd * 1e3
            ));
        }
    }
    out.push_str(&if advice.stop {
        format!(
            "\nStop: more measurements are unlikely to lower the plan's cost by more than {}%.\n",
            advice.stop_gain_pct
        )
    } else {
        format!(
            "\nKeep measuring: the batch may lower the plan's cost by more than {}%.\n",
            advice.stop_gain_pct
        )
    });
    out
}
