//! The anomaly detector's flagged configurations (`advisor::anomaly`, from the
//! worker's advisor job) and the toggle that leaves their runs out of the fit
//! (`settings.exclude_flagged`). The chart above rings them.

use faasplan_core::advisor::anomaly::AnomalyReport;
use yew::prelude::*;

use crate::state::advisor::{AdviceStatus, AdvisorAction, current_advice};
use crate::state::{Action, AppState};
use crate::store::Store;

/// `(memory_mb, d)` of the flagged configurations of `stage`.
pub fn flagged_of(report: &AnomalyReport, stage: &str) -> Vec<(u32, u32)> {
    report
        .stages
        .iter()
        .filter(|s| s.stage == stage)
        .flat_map(|s| s.flagged.iter().map(|f| (f.memory_mb, f.d)))
        .collect()
}

/// The flagged-runs section of the profiles panel.
pub fn view_flagged(state: &AppState, store: &Store) -> Html {
    let exclude = state.project.settings.exclude_flagged;
    let onchange = store.callback(|e: Event| {
        let on = e
            .target_dyn_into::<web_sys::HtmlInputElement>()
            .is_some_and(|i| i.checked());
        Action::Advisor(AdvisorAction::SetExcludeFlagged(on))
    });
    let toggle = html! {
        <label class="check" title="Fit the stage models without the runs of the flagged configurations (settings.exclude_flagged)">
            <input type="checkbox" data-testid="exclude-flagged" checked={exclude} {onchange} />
            { " Exclude flagged runs from the fit" }
        </label>
    };
    let body = match (current_advice(state), &state.advisor.advice) {
        (Some(out), _) => {
            let n = out.flagged.flagged_count();
            let tested = out.flagged.stages.iter().filter(|s| s.tested).count();
            if n == 0 {
                html! { <p class="muted" data-testid="flagged-none">{ format!(
                "No configuration looks anomalous ({tested} of {} stages had enough configurations to test).",
                out.flagged.stages.len()) }</p> }
            } else {
                let rows = out.flagged.stages.iter().flat_map(|s| {
                    s.flagged.iter().map(move |f| html! {
                        <tr data-testid={format!("flagged-{}-{}-{}", s.stage, f.memory_mb, f.d)}>
                            <th scope="row">{ s.stage.clone() }</th>
                            <td class="num">{ f.memory_mb }</td>
                            <td class="num">{ f.d }</td>
                            <td class="num">{ f.runs }</td>
                            <td class="num">{ format!("{:.2}", f.measured_s) }</td>
                            <td class="num">{ format!("{:.2}", f.predicted_s) }</td>
                            <td class="num">{ format!("×{:.2}", f.ratio) }</td>
                            <td class="num">{ format!("{:.1}", f.z) }</td>
                        </tr>
                    })
                });
                html! { <>
                    <p data-testid="flagged-summary">{ format!(
                        "{n} configuration{} look{} anomalous: far from what a model of the other configurations predicts{}.",
                        if n == 1 { "" } else { "s" }, if n == 1 { "s" } else { "" },
                        if exclude { "; their runs are left out of the fit" } else { "" }) }</p>
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Flagged configurations">
                        <table class="table" data-testid="flagged-table">
                            <thead><tr>
                                <th scope="col">{ "Stage" }</th><th scope="col" class="num">{ "MB" }</th>
                                <th scope="col" class="num">{ "d" }</th><th scope="col" class="num">{ "runs" }</th>
                                <th scope="col" class="num">{ "measured s" }</th><th scope="col" class="num">{ "expected s" }</th>
                                <th scope="col" class="num">{ "ratio" }</th><th scope="col" class="num">{ "z" }</th>
                            </tr></thead>
                            <tbody>{ for rows }</tbody>
                        </table>
                    </div>
                </> }
            }
        }
        (None, AdviceStatus::Failed { message, .. }) => {
            html! { <p class="warn">{ format!("Cannot test the runs: {message}") }</p> }
        }
        (None, _) => {
            html! { <p class="hint" data-testid="flagged-pending">{ "Testing the runs…" }</p> }
        }
    };
    html! {
        <details class="flagged" data-testid="flagged" open=true>
            <summary>{ "Flagged runs" }</summary>
            { body }
            { toggle }
        </details>
    }
}
