//! The bound bar: the planning mode, the bound (field and slider) and a
//! one-line summary of the chosen plan, kept on screen (sticky under the
//! header) so that the bound, the plan it picks and the chosen point on the
//! frontier are visible together at any scroll position, on a phone too.

use faasplan_charts::pareto::RUNS_PER_MILLION;
use yew::prelude::*;

use crate::components::controls_panel::{view_bound, view_mode};
use crate::components::plan_panel::{point_rows, report_rows};
use crate::state::run::{chosen, output};
use crate::state::{AppState, Chosen, Level, ReportStatus, RunStatus};
use crate::store::use_store;
use crate::worker::protocol::ReportKind;

/// The chosen plan in one line, or what stands in its way.
pub fn summary(state: &AppState) -> (String, &'static str) {
    let p = (state.project.settings.percentile * 1000.0).round() / 10.0;
    let totals = match chosen(state) {
        Chosen::Point(i) => output(state).map(|out| point_rows(state, out, i).1),
        Chosen::Solve => match state.current_report(ReportKind::Solve) {
            ReportStatus::Done { report, .. } => report_rows(report).map(|r| r.1),
            ReportStatus::Failed { message, .. } => {
                return (format!("Solving failed: {message}"), "warn");
            }
            _ => return ("Solving the bound…".into(), "muted"),
        },
        Chosen::Infeasible(_) => return ("No plan meets this bound".into(), "warn"),
        Chosen::NoFrontier => {
            let text = match &state.run {
                RunStatus::Running { progress, .. } => progress
                    .as_ref()
                    .map_or("Planning…".into(), |p| format!("Planning: {}", p.label())),
                RunStatus::Failed { .. } => "Planning failed: see the frontier panel".into(),
                _ if state.project.profiles.is_none() => "Load profiles to plan".into(),
                _ => "No plan yet".into(),
            };
            return (text, "muted");
        }
    };
    match totals {
        Some(t) => (
            format!(
                "Plan: P{p} latency {:.3} s · ${:.6} per run (${:.2} per million)",
                t.guaranteed_latency_s,
                t.cost_usd,
                t.cost_usd * RUNS_PER_MILLION
            ),
            "ok",
        ),
        None => ("No plan meets this bound".into(), "warn"),
    }
}

/// The sticky bar with the bound and the chosen plan's summary.
#[component]
pub fn BoundBar() -> Html {
    let store = use_store();
    let state = store.state();
    let invalid = {
        let store = store.clone();
        Callback::from(move |msg: String| store.report(Level::Warning, msg))
    };
    let bound = state.project.settings.bound;
    let (text, class) = summary(state);
    html! {
        <section class="bound-bar" data-testid="bound-bar" aria-label="Bound and chosen plan">
            <div class="bound-bar-mode">{ view_mode(&store, bound) }</div>
            <div class="bound-bar-bound">{ view_bound(&store, bound, &invalid) }</div>
            <p class={classes!("plan-summary", class)} data-testid="plan-summary" role="status">{ text }</p>
        </section>
    }
}
