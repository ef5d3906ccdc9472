//! The frontier panel: the latency–cost Pareto frontier of the workflow, the
//! bound, the chosen plan and baseline plans, with exports.
//!
//! [`pareto_view`] builds the [`ParetoView`] from the finished run of the
//! current inputs (`PlanOutput::frontier`); the chosen point is the bound's
//! frontier look-up ([`chosen`]); the tooltip notes list each point's
//! memory/d per stage. The baseline plans of the current bound (from the
//! worker, see `use_planner`) are markers, hidden as the state's
//! `hidden_markers` say; a baseline without a plan stays in the legend, disabled.
//! The user's current configuration, once the worker has evaluated it, is its
//! own marker (`ParetoView::current`).

pub mod pareto_chart;

use std::rc::Rc;

use faasplan_charts::pareto::{BoundLine, Marker, ParetoView};
use yew::prelude::*;

use crate::state::run::{chosen, exact_running, output};
use crate::state::{
    Action, AppState, BaselinesStatus, Chosen, EvaluationStatus, ExactRun, ReportStatus, RunStatus,
};
use crate::store::Store;
use crate::store::use_store;
use crate::worker::protocol::ReportKind;
use pareto_chart::ParetoChart;

/// The chart's view of the latest finished run, if it has a frontier.
pub fn pareto_view(state: &AppState) -> Option<ParetoView> {
    let output = output(state)?;
    if output.frontier.points.is_empty() {
        return None;
    }
    let points: Rc<[(f64, f64)]> = output
        .frontier
        .points
        .iter()
        .map(|p| (p.guaranteed_latency_s, p.expected_cost_usd))
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
        notes: (0..output.frontier.points.len())
            .map(|i| {
                output
                    .point_configs(i)
                    .map(|(st, c)| format!("{} {}MB×{}", st.stage, c.memory_mb, c.d))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect(),
        bound: Some(bound),
        markers: markers(state),
        current: match state.current_evaluation() {
            EvaluationStatus::Done { evaluation, .. } => {
                Some((evaluation.latency_s, evaluation.cost_usd))
            }
            _ => None,
        },
        percentile: state.project.settings.percentile,
        ..ParetoView::default()
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

/// How exact the frontier on screen is, and the exact frontier's button,
/// progress and cancel.
fn view_resolution(store: &Store, state: &AppState) -> Html {
    let Some(out) = output(state) else {
        return Html::default();
    };
    let r = out.resolution;
    let points = out.frontier.points.len();
    if r.exact {
        return html! {
            <p class="resolution muted" data-testid="frontier-resolution" data-exact="true">
                { format!("Exact frontier: all {points} points") }
            </p>
        };
    }
    let ask = store.callback(|_: MouseEvent| Action::ExactRequested);
    let action = match (&state.exact, exact_running(state)) {
        (ExactRun::Running { progress, .. }, Some(_)) => {
            let cancel = store.callback(|_: MouseEvent| Action::ExactCancelled);
            let text = progress
                .as_ref()
                .map_or("Computing the exact frontier…".into(), |p| {
                    format!("Computing the exact frontier: {}", p.label())
                });
            html! {
                <>
                    <span class="muted" data-testid="exact-progress" role="status">{ text }</span>
                    <button class="btn" data-testid="exact-cancel" onclick={cancel}>{ "Cancel" }</button>
                </>
            }
        }
        (ExactRun::Failed { rev, message }, _) if *rev == state.inputs_rev => html! {
            <>
                <span class="warn" data-testid="exact-failed" role="alert">
                    { format!("The exact frontier failed: {message}") }
                </span>
                <button class="btn" data-testid="exact-frontier" onclick={ask}>{ "Retry the exact frontier" }</button>
            </>
        },
        _ => html! {
            <button class="btn" data-testid="exact-frontier" onclick={ask}
                title="Every point of the frontier, not only one plan per slider position; can take minutes on large workflows">
                { "Exact frontier" }
            </button>
        },
    };
    let label = if r.complete() && r.unproven == 0 {
        format!(
            "Exact at this resolution: an optimal plan for each of {} slider positions ({points} distinct plans)",
            r.positions
        )
    } else if r.complete() {
        format!(
            "At this resolution: an optimal plan for {} of {} slider positions; the other {} keep the best plan found within the work budget, not proven optimal ({points} distinct plans; the exact frontier proves every point)",
            r.positions - r.unproven,
            r.positions,
            r.unproven
        )
    } else {
        format!(
            "Refining: {} of {} slider positions solved ({points} plans so far, each optimal for its bound)",
            r.resolved, r.positions
        )
    };
    html! {
        <div class="resolution" data-testid="frontier-resolution" data-exact="false"
            data-complete={r.complete().to_string()} data-unproven={r.unproven.to_string()}>
            <span class="muted">{ label }</span>
            { action }
        </div>
    }
}

/// Says that an edit stopped the exact frontier (its worker is terminated as
/// soon as the inputs change), from the edit on, before the new inputs' frontier.
fn view_superseded(state: &AppState) -> Html {
    match state.exact {
        ExactRun::Running { rev, .. } if rev != state.inputs_rev => html! {
            <p class="muted" data-testid="exact-superseded" role="status">
                { "The exact frontier was stopped: the project changed. Ask again for the new inputs." }
            </p>
        },
        _ => Html::default(),
    }
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
    let complete = shown && output(state).is_some_and(|o| o.resolution.complete());
    use_effect_with((state.inputs_rev, complete), |&(_, complete)| {
        if complete {
            crate::browser::perf::measure_open_to_resolution();
        }
    });
    let body = match (&state.run, pareto_view(state)) {
        (_, Some(view)) => html! {
            <>
                <ParetoChart {view} view_rev={state.inputs_rev} />
                { view_resolution(&store, state) }
            </>
        },
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
            { view_superseded(state) }
        </section>
    }
}
