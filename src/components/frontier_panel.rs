//! The frontier panel: the latency–cost Pareto frontier of the workflow, the
//! bound, the chosen plan and baseline plans, with exports.
//!
//! [`pareto_view`] builds the [`ParetoView`] from the finished run of the
//! current inputs (`PlanOutput::frontier`); the chosen point is the bound's
//! frontier look-up ([`chosen`]); the tooltip notes list each point's
//! memory/d per stage. The baseline plans of the current bound (from the
//! worker, see `use_planner`) are markers, hidden as the state's
//! `hidden_markers` say; a baseline without a plan stays in the legend, disabled.

pub mod pareto_chart;

use std::rc::Rc;

use yew::prelude::*;

use crate::charts::pareto::{BoundLine, Marker, ParetoView};
use crate::state::run::{chosen, output};
use crate::state::{Action, AppState, BaselinesStatus, Chosen, ReportStatus, RunStatus};
use crate::store::use_store;
use crate::worker::protocol::ReportKind;
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
        chosen_off_frontier: match (chosen(state), state.current_report(ReportKind::Solve)) {
            (Chosen::Solve, ReportStatus::Done { report, .. }) => report
                .totals
                .as_ref()
                .map(|t| (t.guaranteed_latency_s, t.expected_cost_usd)),
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
        markers: markers(state),
        percentile: state.project.settings.percentile,
    })
}

/// One marker per baseline of the current bound (none while they are computed).
pub fn markers(state: &AppState) -> Vec<Marker> {
    let BaselinesStatus::Done { set, .. } = state.current_baselines() else {
        return Vec::new();
    };
    set.rows
        .iter()
        .map(|r| {
            let finite = r.guaranteed_latency_s.is_finite() && r.expected_cost_usd.is_finite();
            let verdict = if r.meets_bound {
                "meets the bound"
            } else {
                "misses the bound"
            };
            let note = r.plan.as_ref().map_or("no plan".to_string(), |plan| {
                let stages = plan
                    .iter()
                    .map(|(stage, mb, d)| format!("{stage} {mb}MB×{d}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{verdict} · {stages}")
            });
            Marker {
                label: r.name.clone(),
                latency_s: r.guaranteed_latency_s,
                cost_usd: r.expected_cost_usd,
                visible: finite && !state.hidden_markers.contains(&r.name),
                note,
            }
        })
        .collect()
}

/// The frontier panel.
#[component]
pub fn FrontierPanel() -> Html {
    let store = use_store();
    let state = store.state();
    let shown = output(state).is_some() && state.opening.is_none();
    use_effect_with((state.inputs_rev, shown), |&(_, shown)| {
        if shown {
            crate::browser::perf::measure_open_to_frontier();
        }
    });
    let body = match (&state.run, pareto_view(state)) {
        (_, Some(view)) => html! { <ParetoChart {view} view_rev={state.inputs_rev} /> },
        (RunStatus::Running { progress, .. }, None) => {
            let text = progress
                .as_ref()
                .map_or("Computing the frontier…".to_string(), |p| {
                    format!("Computing the frontier: {}", p.label())
                });
            html! { <p class="muted" data-testid="frontier-progress">{ text }</p> }
        }
        (RunStatus::Failed { message, .. }, None) => {
            let onclick = store.callback(|_: MouseEvent| Action::RetryPlanning);
            html! {
                <div class="failed" data-testid="frontier-failed" role="alert">
                    <p class="warn">{ message.clone() }</p>
                    <button class="btn" data-testid="retry" {onclick}>{ "Retry" }</button>
                </div>
            }
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
