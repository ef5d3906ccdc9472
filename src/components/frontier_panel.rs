//! The frontier panel: the latency–cost Pareto frontier of the workflow, the
//! bound, the chosen plan and baseline plans, with exports.
//!
//! [`pareto_view`] builds the [`ParetoView`] from the finished run of the
//! current inputs (`PlanOutput::frontier`); the chosen point is the bound's
//! frontier look-up ([`chosen`]); the tooltip notes list each point's
//! memory/d per stage.

pub mod pareto_chart;

use std::rc::Rc;

use yew::prelude::*;

use crate::charts::pareto::{BoundLine, ParetoView};
use crate::state::run::{chosen, output};
use crate::state::{AppState, Chosen, RunStatus};
use crate::store::use_store;
use pareto_chart::ParetoChart;

/// The chart's view of the latest finished run, if it has a frontier.
pub fn pareto_view(state: &AppState) -> Option<ParetoView> {
    let output = output(state)?;
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
        chosen: match chosen(state) {
            Chosen::Point(i) => Some(i),
            _ => None,
        },
        points,
        notes: output
            .frontier
            .iter()
            .map(|p| {
                p.rows
                    .iter()
                    .zip(&output.stages)
                    .map(|(&r, st)| {
                        let c = &st.rows[r as usize];
                        format!("{} {}MB×{}", st.stage, c.memory_mb, c.d)
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect(),
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
        (_, Some(view)) => {
            // Redraw when the inputs or the bound change (a bound move is a look-up).
            let view_rev = state.inputs_rev.wrapping_shl(32) ^ state.bound_rev;
            html! { <ParetoChart {view} {view_rev} /> }
        }
        (RunStatus::Running { progress, .. }, None) => {
            let text = progress
                .as_ref()
                .map_or("Computing the frontier…".to_string(), |p| {
                    format!("Computing the frontier: {} {}/{}", p.phase, p.done, p.total)
                });
            html! { <p class="muted" data-testid="frontier-progress">{ text }</p> }
        }
        (RunStatus::Failed { message, .. }, None) => {
            html! { <p class="warn" data-testid="frontier-failed">{ message.clone() }</p> }
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
