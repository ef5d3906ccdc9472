//! The frontier panel: the latency–cost Pareto frontier of the workflow, the
//! bound, the chosen plan and baseline plans, with exports.
//!
//! Hook for worker results: [`pareto_view`] builds the [`ParetoView`] from the
//! finished run (`PlanOutput::frontier`); baseline plans go in
//! `ParetoView::markers` and per-point plan descriptions in `ParetoView::notes`
//! once the worker sends them.

pub mod pareto_chart;

use std::rc::Rc;

use yew::prelude::*;

use crate::charts::pareto::{BoundLine, ParetoView};
use crate::state::{AppState, RunStatus};
use crate::store::use_store;
use pareto_chart::ParetoChart;

/// The chart's view of the latest finished run, if it has a frontier.
pub fn pareto_view(state: &AppState) -> Option<ParetoView> {
    let RunStatus::Done { output, .. } = &state.run else {
        return None;
    };
    if output.frontier.is_empty() {
        return None;
    }
    let points: Rc<[(f64, f64)]> = output
        .frontier
        .iter()
        .map(|p| (p.latency_s, p.cost_usd))
        .collect();
    let bound = BoundLine::from(state.project.settings.bound);
    Some(ParetoView {
        chosen: ParetoView::chosen_for_bound(&points, bound),
        points,
        notes: Rc::from(Vec::new()),
        bound: Some(bound),
        markers: Vec::new(),
        percentile: state.project.settings.percentile,
    })
}

/// The frontier panel.
#[component]
pub fn FrontierPanel() -> Html {
    let store = use_store();
    let state = store.state();
    let body = match (&state.run, pareto_view(state)) {
        (_, Some(view)) => html! { <ParetoChart {view} view_rev={state.inputs_rev} /> },
        (RunStatus::Running { .. }, None) => {
            html! { <p class="muted">{ "Computing the frontier…" }</p> }
        }
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
