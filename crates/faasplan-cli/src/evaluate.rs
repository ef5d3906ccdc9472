//! `faasplan evaluate`: the figures of a configuration the user gives, and what
//! the planner would save.
//!
//! The configuration comes from a plan JSON (`--plan FILE`, e.g. one exported
//! earlier) or from `--config stage=MB×d,...` (`x`, `X`, `*` or `×` between
//! memory and d; spaces are ignored). It is evaluated on the same samples the
//! planner uses (`pipeline::evaluate`): P50, Pq and guaranteed latency,
//! expected and quantile cost, per stage and in all, and out of sample; then the
//! planner's cheapest plan with a guaranteed latency no higher is shown beside it.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use faasplan_core::dag::Config;
use faasplan_core::pipeline::{self, Evaluation};
use faasplan_core::plan::{self, PlanReport, to_json};
use serde_json::json;

use crate::Outcome;
use crate::input::{self, InputArgs};
use crate::pricing_args::PriceArgs;
use crate::progress::emit;
use crate::settings_args::{BoundNeed, SettingsArgs, describe_bound};
use crate::summary::{self, MILLION};

/// Arguments of `evaluate`.
#[derive(Args, Debug)]
#[command(
    after_help = "Exit status: 0 evaluated (and, when a bound is given, the configuration \
    meets it); 1 bad input (including a configuration that is not a candidate); 2 usage error; \
    3 a bound was given and the configuration does not meet it."
)]
pub struct EvaluateArgs {
    #[command(flatten)]
    input: InputArgs,
    /// A plan JSON whose stage configurations to evaluate.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "config",
        required_unless_present = "config"
    )]
    plan: Option<PathBuf>,
    /// The configuration to evaluate: every stage as stage=MB×d, comma-separated (e.g. "stage0=1024x1, stage1=1792x8").
    #[arg(long, value_name = "STAGE=MB×D,..")]
    config: Option<String>,
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(flatten)]
    pricing: PriceArgs,
    /// Print no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Parses `stage=MB×d, ...`.
pub fn parse_config(text: &str) -> Result<Vec<(String, Config)>> {
    let mut out = Vec::new();
    for (i, item) in text.split(',').enumerate() {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let Some((stage, cfg)) = item.rsplit_once('=') else {
            bail!("--config: item {} {item:?} is not stage=MB×d", i + 1);
        };
        let cfg: String = cfg.chars().filter(|c| !c.is_whitespace()).collect();
        let Some((mb, d)) = cfg.split_once(['x', 'X', '*', '×']) else {
            bail!(
                "--config: item {} {item:?}: expected MB×d after `=`, e.g. 1792x8",
                i + 1
            );
        };
        let number = |what: &str, v: &str| {
            v.parse::<u32>().ok().filter(|&n| n >= 1).with_context(|| {
                format!(
                    "--config: item {} {item:?}: {what} {v:?} is not an integer of at least 1",
                    i + 1
                )
            })
        };
        out.push((
            stage.trim().to_string(),
            Config {
                memory_mb: number("memory", mb)?,
                d: number("d", d)?,
            },
        ));
    }
    if out.is_empty() {
        bail!("--config: no configuration given");
    }
    Ok(out)
}

fn from_plan_file(path: &PathBuf) -> Result<Vec<(String, Config)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the file", path.display()))?;
    let report = plan::from_json(&text).with_context(|| path.display().to_string())?;
    if report.stages.is_empty() {
        bail!(
            "{}: the plan has no stages (an infeasible plan has no configuration to evaluate)",
            path.display()
        );
    }
    Ok(report
        .stages
        .iter()
        .map(|s| {
            (
                s.stage.clone(),
                Config {
                    memory_mb: s.memory_mb,
                    d: s.d,
                },
            )
        })
        .collect())
}

/// Evaluates the configuration, prints the JSON on stdout and a summary on stderr.
pub fn run(args: &EvaluateArgs) -> Result<Outcome> {
    let mut project = input::load_within(&args.input, args.settings.limits()?.max_memory_bytes)?;
    let base = args.input.project.is_some().then_some(&project.settings);
    let given_bound = args.settings.latency_bound.is_some() || args.settings.cost_bound.is_some();
    let resolved = args.settings.resolve(base, BoundNeed::Optional)?;
    project.settings = resolved.settings;
    args.pricing.apply(&mut project)?;
    let configs = match (&args.plan, &args.config) {
        (Some(path), _) => from_plan_file(path)?,
        (None, Some(text)) => parse_config(text)?,
        (None, None) => bail!("give the configuration with --plan FILE or --config stage=MB×d,.."),
    };
    let located = |e| input::locate(&args.input, e);
    let prepared =
        crate::progress::prepare(&project, resolved.limits, args.quiet).map_err(located)?;
    let eval = pipeline::evaluate(&project, &prepared, &configs, resolved.limits.max_nodes)
        .map_err(|e| {
            let source = args
                .plan
                .as_ref()
                .map_or("--config".to_string(), |p| p.display().to_string());
            anyhow::Error::new(e).context(source)
        })?;
    let judged = given_bound || args.input.project.is_some();
    emit(&json_out(&eval, judged.then_some(eval.meets_bound)))?;
    if !args.quiet {
        let needed = pipeline::samples_needed(&project).map_err(located)?;
        eprint!("{}", text_out(&eval, needed));
        if judged {
            let verdict = if eval.meets_bound {
                "meets"
            } else {
                "does NOT meet"
            };
            eprintln!(
                "the configuration {verdict} {} at P{}",
                describe_bound(&project.settings.bound),
                summary::percent(project.settings.percentile)
            );
        }
    }
    Ok(if judged && !eval.meets_bound {
        Outcome::Infeasible
    } else {
        Outcome::Success
    })
}

fn report_value(r: &PlanReport) -> serde_json::Value {
    // The plan JSON writer is the one schema for plans; reuse it.
    serde_json::from_str(&to_json(r)).unwrap_or(serde_json::Value::Null)
}

fn json_out(e: &Evaluation, meets_bound: Option<bool>) -> String {
    let saving = e.saving_usd();
    let current_cost = e.current.totals.as_ref().map(|t| t.expected_cost_usd);
    let value = json!({
        "current": report_value(&e.current),
        "planned": e.planned.as_ref().map(report_value),
        "meets_bound": meets_bound,
        "saving": saving.map(|s| json!({
            "expected_cost_usd_per_run": s,
            "per_million_runs_usd": s * MILLION,
            "fraction_of_current": current_cost.filter(|&c| c > 0.0).map(|c| s / c),
        })),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn text_out(e: &Evaluation, needed: usize) -> String {
    let own = match e.current.settings.bound {
        faasplan_core::settings::Bound::Latency { max_s } => {
            format!(" (judged at the latency it meets on the planning samples, {max_s:.2} s)")
        }
        faasplan_core::settings::Bound::Cost { .. } => String::new(),
    };
    let mut out = format!("your configuration{own}:\n");
    out.push_str(&indent(&summary::plan(&e.current, needed)));
    if let Some(t) = &e.current.totals {
        out.push_str(&format!(
            "  P50 latency {:.2} s, P{} latency {:.2} s; P{} cost ${:.6} per run\n",
            t.latency_p50_s,
            summary::percent(e.current.settings.percentile),
            t.latency_q_s,
            summary::percent(e.current.settings.percentile),
            t.cost_q_usd
        ));
    }
    if let Some(p) = &e.planned {
        out.push_str("the planner for the same bound:\n");
        out.push_str(&indent(&summary::plan(p, needed)));
    }
    if let (Some(s), Some(t)) = (e.saving_usd(), &e.current.totals) {
        let pct = if t.expected_cost_usd > 0.0 {
            s / t.expected_cost_usd * 100.0
        } else {
            0.0
        };
        out.push_str(&format!(
            "the planner saves ${s:.6} per run (${:.2} per million runs, {pct:.1}% of your expected cost)\n",
            s * MILLION
        ));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_list_tolerates_spaces_and_every_times_sign() {
        let c = parse_config(" a = 1024x1 ,b=1792 × 8, c=128*2,d=256X4 ,").unwrap();
        let got: Vec<(String, u32, u32)> =
            c.into_iter().map(|(s, c)| (s, c.memory_mb, c.d)).collect();
        assert_eq!(
            got,
            vec![
                ("a".into(), 1024, 1),
                ("b".into(), 1792, 8),
                ("c".into(), 128, 2),
                ("d".into(), 256, 4)
            ]
        );
    }

    #[test]
    fn config_errors_name_the_item() {
        let err = parse_config("a=1024x1,b=0x8").unwrap_err().to_string();
        assert!(err.contains("item 2") && err.contains("memory"), "{err}");
        let err = parse_config("a1024").unwrap_err().to_string();
        assert!(err.contains("item 1"), "{err}");
    }
}
