//! The plan panel: memory and instance count chosen for every stage.

use yew::prelude::*;

use crate::state::RunStatus;
use crate::store::use_store;

/// The plan table.
#[component]
pub fn PlanPanel() -> Html {
    let store = use_store();
    let body = match &store.state().run {
        RunStatus::Done { output, .. } => match &output.plan {
            Some(plan) => html! {
                <table class="table" data-testid="plan-table">
                    <thead><tr><th>{ "Stage" }</th><th class="num">{ "Memory (MB)" }</th><th class="num">{ "d" }</th></tr></thead>
                    <tbody>
                        { for plan.iter().map(|p| html! {
                            <tr><td>{ p.stage.clone() }</td><td class="num">{ p.memory_mb }</td><td class="num">{ p.d }</td></tr>
                        }) }
                    </tbody>
                </table>
            },
            None => {
                html! { <p class="warn" data-testid="plan-infeasible">{ "No plan meets this bound." }</p> }
            }
        },
        RunStatus::Failed { message, .. } => html! {
            <p class="warn" data-testid="plan-failed">{ format!("Planning failed: {message}") }</p>
        },
        RunStatus::Running { progress, .. } => html! {
            <p class="muted">{ progress.as_ref().map_or("Planning…".to_string(), |p| format!("{} ({}/{})", p.phase, p.done, p.total)) }</p>
        },
        RunStatus::Idle => html! {
            <div class="empty-state" data-testid="plan-empty">
                <p>{ "The chosen memory size and number of instances for every stage go here." }</p>
                <p class="hint">{ "Move the bound in the controls to pick another point of the frontier." }</p>
            </div>
        },
    };
    html! {
        <section class="panel panel-plan" data-testid="panel-plan">
            <header class="panel-head"><h2>{ "Plan" }</h2></header>
            { body }
        </section>
    }
}
