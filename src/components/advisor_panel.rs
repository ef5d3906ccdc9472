//! The advisor panel: "measure these next" — the core advisor's proposed
//! configurations at the latency bound (batch of k, each with its expected
//! gain, and the stopping rule's verdict), computed in the worker on every
//! input or bound change. The proposals are also drawn on the profile chart.
//! "Send to executor" puts them in the Executor panel's list to profile;
//! "Export list" downloads them as CSV (`faasplan advise --format csv`'s
//! columns) or the whole advice as JSON.

use faasplan_core::advisor::propose::Advice;
use yew::prelude::*;

use crate::browser::download::download_text;
use crate::components::header::project_file_name;
use crate::components::widgets::number_field::NumberField;
use crate::state::advisor::{AdviceStatus, AdvisorAction, MAX_BATCH, current_advice};
use crate::state::{Action, AppState, Level};
use crate::store::{Store, use_store};

/// The file name of an exported list, e.g. `ml-pipeline.measure-next.csv`.
pub fn export_name(workflow_name: &str, ext: &str) -> String {
    project_file_name(workflow_name).replace(".faasplan.json", &format!(".measure-next.{ext}"))
}

fn usd_per_1k(usd: f64) -> String {
    format!("${:.4}", usd * 1e3)
}

fn view_advice(advice: &Advice, state: &AppState, store: &Store) -> Html {
    let plan = match &advice.plan {
        Some(p) => html! {
            <p data-testid="advisor-plan">{ format!(
                "Current plan at {} s over the measured configurations: {} per 1,000 runs, predicted {:.2} s ({}).",
                advice.bound_s, usd_per_1k(p.cost_usd), p.latency_s,
                p.configs.iter().map(|(s, c)| format!("{s} {} MB × {}", c.memory_mb, c.d)).collect::<Vec<_>>().join(", ")) }</p>
        },
        None => html! {
            <p class="warn" data-testid="advisor-plan">{ format!(
                "No plan over the measured configurations meets {} s; gains are measured against every stage's costliest measured configuration.",
                advice.bound_s) }</p>
        },
    };
    let rows = advice.proposals.iter().enumerate().map(|(k, p)| {
        let f = p.ln_sd.exp();
        html! {
            <tr data-testid={format!("proposal-{}", k + 1)}>
                <td class="num">{ k + 1 }</td>
                <th scope="row">{ p.stage.clone() }</th>
                <td class="num">{ p.memory_mb }</td>
                <td class="num">{ p.d }</td>
                <td class="num">{ format!("{:.2}", p.predicted_s) }</td>
                <td class="num">{ format!("{:.2}–{:.2}", p.predicted_s / f, p.predicted_s * f) }</td>
                <td class="num">{ usd_per_1k(p.expected_gain_usd) }</td>
            </tr>
        }
    });
    let stop = if advice.stop {
        format!(
            "Stop: more measurements are unlikely to lower the plan's cost by more than {}%.",
            advice.stop_gain_pct
        )
    } else {
        format!(
            "Keep measuring: the batch may lower the plan's cost by more than {}%.",
            advice.stop_gain_pct
        )
    };
    let name = state.project.workflow.name.clone();
    let on_csv = {
        let (store, csv, name) = (store.clone(), advice.proposals_csv(), name.clone());
        Callback::from(move |_: MouseEvent| {
            if let Err(e) = download_text(&export_name(&name, "csv"), "text/csv", &csv) {
                store.report(Level::Error, e);
            }
        })
    };
    let on_json = {
        let store = store.clone();
        let json = serde_json::to_string_pretty(advice).unwrap_or_default() + "\n";
        Callback::from(move |_: MouseEvent| {
            if let Err(e) = download_text(&export_name(&name, "json"), "application/json", &json) {
                store.report(Level::Error, e);
            }
        })
    };
    let on_send = store.callback(|_: MouseEvent| Action::Advisor(AdvisorAction::SendToExecutor));
    let empty = advice.proposals.is_empty();
    html! { <>
        { plan }
        if empty {
            <p data-testid="advisor-none">{ "Nothing left to measure: every candidate configuration is measured." }</p>
        } else {
            <p data-testid="advisor-gain">{ format!(
                "Measure these next — the batch is expected to lower the plan's cost by {} per 1,000 runs ({:.2}% of it):",
                usd_per_1k(advice.batch_gain_usd), advice.batch_gain_pct) }</p>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Configurations to measure next">
                <table class="table" data-testid="advisor-proposals">
                    <thead><tr>
                        <th scope="col" class="num">{ "#" }</th><th scope="col">{ "Stage" }</th>
                        <th scope="col" class="num">{ "MB" }</th><th scope="col" class="num">{ "d" }</th>
                        <th scope="col" class="num">{ "predicted s" }</th><th scope="col" class="num">{ "±1 SD, s" }</th>
                        <th scope="col" class="num">{ "gain per 1,000 runs" }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        }
        <p class={classes!("stop-rule", advice.stop.then_some("ok"))} data-testid="advisor-stop">{ stop }</p>
        <div class="toolbar">
            <button class="btn" data-testid="advisor-send" onclick={on_send}
                disabled={empty || advice.plan.is_none()}
                title="Put each proposal, as the current plan with that stage changed, in the Executor panel's list to profile">
                { "Send to executor" }</button>
            <button class="btn" data-testid="advisor-export-csv" onclick={on_csv} disabled={empty}>{ "Export list (CSV)" }</button>
            <button class="btn" data-testid="advisor-export-json" onclick={on_json}>{ "Export advice (JSON)" }</button>
        </div>
    </> }
}

/// The advisor panel.
#[component]
pub fn AdvisorPanel() -> Html {
    let store = use_store();
    let state = store.state();
    let invalid = store.callback(|msg: String| Action::Notify {
        level: Level::Warning,
        text: msg,
    });
    let on_batch = store.callback(|k: f64| Action::Advisor(AdvisorAction::SetBatch(k as usize)));
    let body = match (current_advice(state), &state.advisor.advice) {
        _ if state.project.profiles.is_none() => html! {
            <p class="hint" data-testid="advisor-empty">{ "Load profiles: the advisor proposes which configurations to measure next." }</p>
        },
        (Some(out), _) => match &out.advice {
            Ok(advice) => html! { <>
                { view_advice(advice, state, &store) }
                <p class="muted" data-testid="advisor-elapsed" data-ms={format!("{:.0}", out.elapsed_ms)}>
                    { format!("Tested the runs and advised in {:.0} ms (in the planning worker).", out.elapsed_ms) }</p>
            </> },
            Err(e) => {
                html! { <p class="warn" data-testid="advisor-error">{ format!("No advice: {e}") }</p> }
            }
        },
        (None, AdviceStatus::Failed { message, .. }) => {
            html! { <p class="warn" data-testid="advisor-error">{ format!("No advice: {message}") }</p> }
        }
        (None, _) => {
            html! { <p class="hint" data-testid="advisor-pending">{ "Working out what to measure next…" }</p> }
        }
    };
    html! {
        <section class="panel panel-advisor" data-testid="panel-advisor">
            <header class="panel-head">
                <h2>{ "Advisor: measure these next" }</h2>
                <div class="toolbar">
                    <NumberField label="Batch" unit="configurations" value={state.advisor.batch as f64}
                        min=1.0 max={MAX_BATCH as f64} step=1.0 testid="advisor-batch"
                        on_change={on_batch} on_invalid={invalid} />
                </div>
            </header>
            <p class="hint">{ "Which configurations to profile next for the cheapest plan at the latency bound: Gaussian-process models of each stage's measured times, constrained expected improvement of the plan's cost, greedy batches." }</p>
            { body }
        </section>
    }
}
