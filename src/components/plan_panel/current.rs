//! "Your configuration": the figures of the configuration the stages run with
//! today (entered in the stage inspector, evaluated by the worker with
//! `pipeline::evaluate`, as `faasplan evaluate` does) and what the planner
//! would save at the same guaranteed latency.

use faasplan_charts::pareto::RUNS_PER_MILLION;
use faasplan_core::plan::PlanReport;
use yew::prelude::*;

use super::table::pct;
use crate::state::{AppState, EvaluationStatus};
use crate::worker::protocol::EvaluationOutput;

/// A saving below this share of the current cost reads as "none".
const NO_SAVING: f64 = 1e-9;

/// The section under the plan: a hint, progress, a failure, or the figures.
pub fn view_current(state: &AppState) -> Html {
    let body = match (state.current_configs(), state.current_evaluation()) {
        (Err(missing), _) if state.current_config.is_empty() || missing.is_empty() => {
            return html! {
                <p class="hint" data-testid="current-hint">
                    { "Enter the memory and d each stage runs with today in the stage inspector to see your configuration on the chart and what the planner would save." }
                </p>
            };
        }
        (Err(missing), _) => html! {
            <p class="muted" data-testid="current-missing">
                { format!("Enter your configuration of {} too to evaluate it.", missing.join(", ")) }
            </p>
        },
        (Ok(_), EvaluationStatus::Done { evaluation, .. }) => {
            view_evaluation(evaluation, state.project.settings.percentile)
        }
        (Ok(_), EvaluationStatus::Failed { message, .. }) => html! {
            <p class="warn" data-testid="current-failed">{ format!("Cannot evaluate your configuration: {message}") }</p>
        },
        (Ok(_), _) => html! {
            <p class="muted" data-testid="current-pending" role="status">{ "Evaluating your configuration…" }</p>
        },
    };
    html! {
        <section class="current-config" data-testid="current-config" aria-label="Your configuration">
            <h3>{ "Your configuration" }</h3>
            { body }
        </section>
    }
}

fn view_evaluation(e: &EvaluationOutput, q: f64) -> Html {
    let p = pct(q);
    let current = &e.current.0;
    let quantiles = current.totals.as_ref().map(|t| {
        format!(
            "P50 {:.3} s · P{p} {:.3} s · P{p} cost ${:.6}",
            t.latency_p50_s, t.latency_q_s, t.cost_q_usd
        )
    });
    html! { <>
        <p data-testid="current-figures">
            { format!(
                "Guaranteed P{p} latency {:.3} s · expected cost ${:.6} per run (${:.2} per million runs)",
                e.latency_s, e.cost_usd, e.cost_usd * RUNS_PER_MILLION
            ) }
            if let Some(text) = quantiles { <br /><span class="muted">{ text }</span> }
        </p>
        <p class="muted" data-testid="current-stages">{ stages(current) }</p>
        <p data-testid="current-saving">{ saving(e) }</p>
    </> }
}

/// Each stage's configuration, e.g. "stage0 1792 MB × 1, stage1 3008 MB × 8".
fn stages(report: &PlanReport) -> String {
    report
        .stages
        .iter()
        .map(|s| format!("{} {} MB × {}", s.stage, s.memory_mb, s.d))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "The planner would save …" with its plan, or why it would not.
pub fn saving(e: &EvaluationOutput) -> String {
    match (e.saving_usd, &e.planned) {
        (Some(s), Some(planned)) if s > NO_SAVING * e.cost_usd.abs().max(1e-12) => format!(
            "The planner would save ${s:.6} per run (${:.2} per million runs, {:.1}%) at the same guaranteed latency, with {}.",
            s * RUNS_PER_MILLION,
            s / e.cost_usd * 100.0,
            stages(&planned.0)
        ),
        (Some(_), Some(_)) => {
            "Your configuration is already the cheapest plan at its guaranteed latency.".into()
        }
        _ => "The planner found no plan at your configuration's guaranteed latency within its work budget.".into(),
    }
}

#[cfg(test)]
mod tests {
    use faasplan_core::plan::{PlanReport, PlanStatus, SettingsEcho, StagePlan};
    use faasplan_core::settings::Bound;

    use super::*;
    use crate::worker::protocol::WirePlan;

    fn report(memory_mb: u32) -> WirePlan {
        WirePlan(PlanReport {
            workflow: "w".into(),
            settings: SettingsEcho {
                bound: Bound::Latency { max_s: 10.0 },
                percentile: 0.95,
                confidence: 0.99,
                alpha: 0.0,
                samples: 10,
                seed: 1,
                platform: "aws".into(),
            },
            status: PlanStatus::Optimal,
            stages: vec![StagePlan {
                stage: "split".into(),
                memory_mb,
                vcpu: 1.0,
                d: 4,
                latency_p50_s: 1.0,
                latency_q_s: 2.0,
                expected_cost_usd: 0.01,
                fused_into: None,
                on_edge: false,
                architecture: None,
                shares_memory_with: Vec::new(),
            }],
            totals: None,
            cost_breakdown: None,
            out_of_sample: None,
            guarantee: None,
        })
    }

    fn evaluation(saving_usd: Option<f64>) -> EvaluationOutput {
        EvaluationOutput {
            latency_s: 10.0,
            cost_usd: 0.02,
            current: report(3008),
            planned: saving_usd.map(|_| report(1792)),
            saving_usd,
        }
    }

    #[test]
    fn the_saving_names_the_amount_the_share_and_the_planned_configuration() {
        let text = saving(&evaluation(Some(0.005)));
        assert!(
            text.starts_with(
                "The planner would save $0.005000 per run ($5000.00 per million runs, 25.0%)"
            ),
            "{text}"
        );
        assert!(text.contains("split 1792 MB × 4"), "{text}");
        assert!(saving(&evaluation(Some(0.0))).contains("already the cheapest"));
        assert!(saving(&evaluation(None)).contains("found no plan"));
    }
}
