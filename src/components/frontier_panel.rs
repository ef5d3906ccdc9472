//! The frontier panel: the latency–cost Pareto frontier of the workflow.

use yew::prelude::*;

use crate::state::RunStatus;
use crate::store::use_store;

/// The frontier panel (the chart arrives with the planning engine).
#[component]
pub fn FrontierPanel() -> Html {
    let store = use_store();
    let body = match &store.state().run {
        RunStatus::Done { output, .. } if !output.frontier.is_empty() => html! {
            <p data-testid="frontier-summary">
                { format!("{} frontier points, {:.2}–{:.2} s", output.frontier.len(),
                    output.frontier.first().map_or(0.0, |p| p.latency_s),
                    output.frontier.last().map_or(0.0, |p| p.latency_s)) }
            </p>
        },
        RunStatus::Running { .. } => html! { <p class="muted">{ "Computing the frontier…" }</p> },
        _ => html! {
            <div class="empty-state" data-testid="frontier-empty">
                <p>{ "The latency–cost frontier of the workflow goes here." }</p>
                <p class="hint">{ "Every point is a plan no other plan beats on both percentile latency and expected cost. It appears once the workflow has profiles and has been planned." }</p>
            </div>
        },
    };
    html! {
        <section class="panel panel-frontier" data-testid="panel-frontier">
            <header class="panel-head"><h2>{ "Frontier" }</h2></header>
            { body }
        </section>
    }
}
