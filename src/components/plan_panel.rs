//! The plan panel: memory, vCPU and instance count chosen for every stage with
//! its predicted latency and cost, the workflow totals, the out-of-sample check
//! and the plan JSON export; for a workflow imported from a state machine, its
//! deploy files ([`DeployFile`]).
//!
//! The plan for the bound the user set is the worker's certified exact solve of
//! that bound ([`Chosen::Solve`]: the frontier job's first answer, or a solve
//! job after the bound moves), identical to `faasplan plan`; while it is being
//! solved, the plan of the nearest slider position is shown as a preview
//! (`data-plan="preview"`). Once the whole exact frontier is on screen, a
//! look-up on it ([`Chosen::Point`]) is shown at once from the figures the
//! worker sent with the frontier; its check arrives later from the worker
//! (`pipeline::report` on fresh samples). A quantile cost bound is always solved. An infeasible bound names the nearest feasible one.
//! Under a shown plan, the baseline planners' plans for the same bound and the
//! chosen plan's difference to each ([`baselines`]). Last, the user's current
//! configuration and what the planner would save ([`current`]).

pub mod baselines;
pub mod breakdown;
pub mod current;
pub mod table;

use faasplan_core::plan::{PlanReport, PlanStatus};
use faasplan_core::settings::{Bound, CostKind};
use yew::prelude::*;

use crate::browser::perf::measure_bound_paint;
use crate::state::run::{chosen, output};
use crate::state::{Action, AppState, Chosen, DeployFile, ReportStatus, RunStatus};
use crate::store::{Store, use_store};
use crate::worker::protocol::{PlanOutput, Progress, ReportKind};
use baselines::view_baselines;
use current::view_current;
use table::{PlanRow, PlanSource, PlanTotals, pct, view_check, view_table};

/// The rows and totals of frontier point `i`.
pub fn point_rows(state: &AppState, out: &PlanOutput, i: usize) -> (Vec<PlanRow>, PlanTotals) {
    let mb_per_vcpu = state.project.platform.mb_per_vcpu;
    let rows = out
        .point_configs(i)
        .map(|(st, c)| PlanRow {
            stage: st.stage.clone(),
            memory_mb: c.memory_mb,
            vcpu: f64::from(c.memory_mb) / mb_per_vcpu,
            d: c.d,
            p50_s: c.p50_s,
            q_s: c.q_s,
            cost_usd: c.expected_cost_usd,
            architecture: c.architecture,
        })
        .collect();
    let p = out.frontier.points.get(i);
    let totals = PlanTotals {
        guaranteed_latency_s: p.map_or(f64::NAN, |p| p.guaranteed_latency_s),
        cost_usd: p.map_or(f64::NAN, |p| p.expected_cost_usd),
        samples: out.samples,
    };
    (rows, totals)
}

/// The rows and totals of a plan report (an exact solve).
pub fn report_rows(report: &PlanReport) -> Option<(Vec<PlanRow>, PlanTotals)> {
    let t = report.totals.as_ref()?;
    let rows = report
        .stages
        .iter()
        .map(|s| PlanRow {
            stage: s.stage.clone(),
            memory_mb: s.memory_mb,
            vcpu: s.vcpu,
            d: s.d,
            p50_s: s.latency_p50_s,
            q_s: s.latency_q_s,
            cost_usd: s.expected_cost_usd,
            architecture: s.architecture,
        })
        .collect();
    Some((
        rows,
        PlanTotals {
            guaranteed_latency_s: t.guaranteed_latency_s,
            cost_usd: t.expected_cost_usd,
            samples: report.settings.samples,
        },
    ))
}

fn describe(bound: Bound) -> String {
    match bound {
        Bound::Latency { max_s } => format!("{max_s:.3} s"),
        Bound::Cost { max_usd, .. } => format!("${max_usd:.6} per run"),
    }
}

fn view_infeasible(store: &Store, nearest: Option<Bound>) -> Html {
    match nearest {
        Some(b) => {
            let onclick = store.callback(move |_: MouseEvent| Action::SetBound(b));
            html! {
                <div class="warn" data-testid="plan-infeasible">
                    <p>{ format!("No plan meets this bound. The nearest bound a plan meets is {}.", describe(b)) }</p>
                    <button class="btn" data-testid="use-nearest" {onclick}>{ format!("Use {}", describe(b)) }</button>
                </div>
            }
        }
        None => html! {
            <p class="warn" data-testid="plan-infeasible">{ "No configuration meets this bound." }</p>
        },
    }
}

fn view_progress(label: &str, p: Option<&crate::worker::protocol::Progress>) -> Html {
    let text = p.map_or(format!("{label}…"), |p| format!("{label}: {}", p.label()));
    let frac = p.and_then(|p| p.fraction());
    html! {
        <div class="progress" data-testid="plan-progress" role="status">
            <p class="muted">{ text }</p>
            if let Some(f) = frac {
                <progress max="1" value={f.to_string()} />
            } else {
                <progress />
            }
        </div>
    }
}

/// While the bound is solved: the plan of the nearest slider position at or
/// below it on the frontier at the slider's resolution (marked as a preview, so
/// the slider answers at once), or the progress.
fn view_solving(state: &AppState, progress: Option<&Progress>) -> Html {
    let run_progress = match &state.run {
        RunStatus::Running { rev, progress } if *rev == state.inputs_rev => progress.as_ref(),
        _ => None,
    };
    let Some((out, i)) = preview(state) else {
        return match run_progress {
            Some(p) => view_progress("Planning", Some(p)),
            None => view_progress("Solving", progress),
        };
    };
    let (rows, totals) = point_rows(state, out, i);
    html! { <>
        <p class="muted" data-testid="plan-preview" role="status">
            { format!("Solving this bound exactly… Meanwhile: the plan of the nearest slider position (guaranteed {:.3} s).", totals.guaranteed_latency_s) }
        </p>
        { view_table(&rows, &totals, &state.project.settings, PlanSource::Preview) }
    </> }
}

/// The frontier point a preview shows: for a latency or mean cost bound, the
/// look-up on the frontier at the slider's resolution.
fn preview(state: &AppState) -> Option<(&PlanOutput, usize)> {
    let out = output(state)?;
    if out.resolution.exact || crate::state::fusion::plans_over_groupings(&state.project) {
        return None;
    }
    let i = match state.project.settings.bound {
        Bound::Latency { max_s } => out.frontier.index_for_latency_bound(max_s),
        Bound::Cost {
            max_usd,
            kind: CostKind::Mean,
        } => out.frontier.index_for_cost_bound(max_usd),
        Bound::Cost { .. } => None,
    }?;
    Some((out, i))
}

fn view_body(store: &Store) -> Html {
    let state = store.state();
    match (&state.run, chosen(state)) {
        (_, Chosen::Point(i)) => {
            let Some(out) = output(state) else {
                return Html::default();
            };
            let (rows, totals) = point_rows(state, out, i);
            html! { <>
                { view_table(&rows, &totals, &state.project.settings, PlanSource::Frontier) }
                { view_check(state.current_report(ReportKind::Check), &state.project.settings) }
                { view_baselines(state.current_baselines(), totals.cost_usd, &pct(state.project.settings.percentile)) }
            </> }
        }
        (_, Chosen::Infeasible(b)) => view_infeasible(store, Some(b)),
        (_, Chosen::Solve) => match state.current_report(ReportKind::Solve) {
            ReportStatus::Done { report, .. } => match (&report.status, report_rows(report)) {
                (PlanStatus::Infeasible { nearest_bound }, _) => {
                    view_infeasible(store, *nearest_bound)
                }
                (_, Some((rows, totals))) => html! { <>
                    { view_table(&rows, &totals, &state.project.settings, PlanSource::Solved) }
                    { view_check(state.current_report(ReportKind::Solve), &state.project.settings) }
                    { view_baselines(state.current_baselines(), totals.cost_usd, &pct(state.project.settings.percentile)) }
                </> },
                (_, None) => {
                    html! { <p class="warn">{ "No plan was found within the work budget." }</p> }
                }
            },
            ReportStatus::Failed { message, .. } => {
                html! { <p class="warn" data-testid="plan-failed">{ format!("Solving failed: {message}") }</p> }
            }
            ReportStatus::Pending { progress, .. } => view_solving(state, progress.as_ref()),
            ReportStatus::Idle => view_solving(state, None),
        },
        (RunStatus::Failed { rev, message }, _) if *rev == state.inputs_rev => html! {
            <p class="warn" data-testid="plan-failed">{ format!("Planning failed: {message}") }</p>
        },
        (RunStatus::Running { rev, progress }, _) if *rev == state.inputs_rev => {
            view_progress("Planning", progress.as_ref())
        }
        _ => html! {
            <div class="empty-state" data-testid="plan-empty">
                <p>{ "The chosen memory size and number of instances for every stage go here." }</p>
                <p class="hint">{ "Load profiles for every stage; then move the bound in the controls to pick another point of the frontier." }</p>
            </div>
        },
    }
}

/// Deploy files of the chosen plan, when the workflow came from a state machine.
fn view_deploy(store: &Store, can_export: bool) -> Html {
    if store.state().project.state_machine.is_none() {
        return Html::default();
    }
    html! {
        <div class="deploy" data-testid="deploy-exports">
            <span class="muted">{ "Deploy files (the same bytes as `faasplan export`):" }</span>
            { for DeployFile::ALL.into_iter().map(|f| {
                let onclick = store.callback(move |_: MouseEvent| Action::DeployExportRequested(f));
                html! {
                    <button class="btn" disabled={!can_export} {onclick}
                            data-testid={format!("deploy-{}", f.file_name())}
                            title={format!("Download {}", f.file_name())}>{ f.label() }</button>
                }
            }) }
        </div>
    }
}

/// The plan panel.
#[component]
pub fn PlanPanel() -> Html {
    let store = use_store();
    let state = store.state();
    use_effect_with(state.bound_rev, |_| measure_bound_paint());
    let can_export = output(state).is_some()
        || matches!(
            state.current_report(ReportKind::Solve),
            ReportStatus::Done { .. }
        );
    let export = store.callback(|_: MouseEvent| Action::ExportRequested);
    html! {
        <section class="panel panel-plan" data-testid="panel-plan">
            <header class="panel-head">
                <h2>{ "Plan" }</h2>
                <button class="btn" data-testid="export-plan" disabled={!can_export} onclick={export}
                        title="Download the plan JSON (the same bytes as `faasplan plan`)">{ "Export plan JSON" }</button>
            </header>
            { view_body(&store) }
            { view_deploy(&store, can_export) }
            if output(state).is_some() { { view_current(state) } }
        </section>
    }
}
