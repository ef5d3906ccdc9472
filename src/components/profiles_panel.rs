//! The profiles panel: open measured runs, pick a stage (synced with the
//! editor's selection), and see what was measured for it: a table of runs and
//! wall time against memory, one series per d; and what the measurements
//! cover per stage, with what to measure next where they are thin ([`coverage`]).
//!
//! [`fitted_for`] returns the [`FittedProfile`] of a stage (fitted mean wall
//! time per d, fit and cross-validation errors) from the worker's run; until
//! it arrives the panel says "fit appears after planning".

pub mod coverage;
pub mod flagged;
pub mod profile_chart;
pub mod stage_runs;

use std::rc::Rc;

use faasplan_charts::profile::{FittedCurve, FittedProfile, ProfilesView, ProposedPoint};
use faasplan_core::profile::{ProfileRun, Profiles};
use yew::prelude::*;

use crate::components::header::OPEN_ACCEPT;
use crate::components::widgets::number_field::NumberField;
use crate::state::run::output;
use crate::state::{Action, AppState, Level, Selection};
use crate::store::use_store;
use coverage::Coverage;
use profile_chart::ProfileChart;
use stage_runs::StageRuns;

/// The fitted model of `stage` from the finished run of the current inputs.
pub fn fitted_for(state: &AppState, stage: &str) -> Option<FittedProfile> {
    let fit = output(state)?.fits.iter().find(|f| f.stage == stage)?;
    Some(FittedProfile {
        curves: fit
            .curves
            .iter()
            .map(|c| FittedCurve {
                d: c.d,
                points: c.points.clone(),
            })
            .collect(),
        fit_error: Some(fit.fit_mean_pct / 100.0),
        cv_error: Some(fit.cv_mean_pct / 100.0),
    })
}

/// The stage the panel shows: the editor's selected stage if it is profiled,
/// else the first profiled stage of the workflow.
pub fn shown_stage(state: &AppState, profiles: &Profiles) -> Option<String> {
    let profiled = |id: &str| profiles.stage(id).is_some_and(|p| !p.runs.is_empty());
    state
        .selected_stage()
        .filter(|id| profiled(id))
        .map(str::to_string)
        .or_else(|| {
            state
                .project
                .workflow
                .stages
                .iter()
                .find(|s| profiled(&s.id))
                .map(|s| s.id.clone())
        })
}

/// The profiles panel.
#[component]
pub fn ProfilesPanel() -> Html {
    let store = use_store();
    let onchange = {
        let store = store.clone();
        Callback::from(move |e: Event| store.open_files(crate::browser::file::picked_files(&e)))
    };
    let invalid = store.callback(|msg: String| Action::Notify {
        level: Level::Warning,
        text: msg,
    });
    let state = store.state();
    // The shown stage's runs, copied out of the profiles once per change of the
    // profiles or of the stage, not on every render (the panel renders on every
    // change of the state, a frontier round included).
    let profiles = state.project.profiles.as_ref();
    let stage = profiles.and_then(|p| shown_stage(state, p));
    let shown = profiles
        .zip(stage.clone())
        .map(|(p, stage)| (SameProfiles(Rc::clone(p)), stage));
    let runs = use_memo(shown, |shown| -> Rc<[ProfileRun]> {
        shown
            .as_ref()
            .and_then(|(p, stage)| p.0.stage(stage))
            .map_or_else(|| Rc::from(Vec::new()), |p| Rc::from(p.runs.as_slice()))
    });
    html! {
        <section class="panel panel-profiles" data-testid="panel-profiles">
            <header class="panel-head">
                <h2>{ "Profiles" }</h2>
                <label class="btn file-btn" title="Jolteon profile JSON (with or after its workflow), or a profile CSV">
                    { "Load…" }
                    <input type="file" multiple=true accept={OPEN_ACCEPT} data-testid="profiles-file" {onchange} />
                </label>
            </header>
            { view_body(state, &store, stage, &runs) }
            <details class="csv-mb">
                <summary>{ format!("Profile CSV files are read as measured at {} MB per vCPU", state.csv_mb_per_vcpu) }</summary>
                <NumberField label="CSV measured at" unit="MB per vCPU" value={state.csv_mb_per_vcpu}
                    min=64.0 max=16384.0 step=1.0 testid="csv-mb-per-vcpu"
                    on_change={store.callback(Action::SetCsvMbPerVcpu)} on_invalid={invalid} />
            </details>
        </section>
    }
}

/// Profiles compared by address: the key of the shown runs' memo.
struct SameProfiles(Rc<Profiles>);

impl PartialEq for SameProfiles {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The body of the panel; `stage` is the shown stage ([`shown_stage`]) and
/// `runs` its runs.
fn view_body(
    state: &AppState,
    store: &crate::store::Store,
    stage: Option<String>,
    runs: &Rc<[ProfileRun]>,
) -> Html {
    let Some(profiles) = &state.project.profiles else {
        return html! {
            <div class="empty-state" data-testid="profiles-empty">
                <p>{ "Measured step times of each stage go here." }</p>
                <p class="hint">{ "Open an example, or drop a Jolteon workflow with its profile, or a profile CSV, anywhere on the page." }</p>
            </div>
        };
    };
    let coverage = html! {
        <Coverage workflow={state.project.workflow.clone()} profiles={profiles.clone()}
            platform_arch={state.project.platform.architecture()} />
    };
    let Some(stage) = stage else {
        return html! { <>
            <p class="warn" data-testid="profiles-unmatched">{ "No stage of this workflow has profiled runs." }</p>
            { coverage }
        </> };
    };
    let onchange = store.callback(|e: Event| {
        let id = e
            .target_dyn_into::<web_sys::HtmlSelectElement>()
            .map(|s| s.value())
            .unwrap_or_default();
        Action::Select(Some(Selection::Stage(id)))
    });
    let advice = crate::state::advisor::current_advice(state);
    let view = ProfilesView {
        stage: stage.clone(),
        runs: Rc::clone(runs),
        fitted: fitted_for(state, &stage),
        flagged: advice.map_or_else(Vec::new, |a| flagged::flagged_of(&a.flagged, &stage)),
        proposed: advice
            .and_then(|a| a.advice.as_ref().ok())
            .map_or_else(Vec::new, |a| {
                a.proposals
                    .iter()
                    .filter(|p| p.stage == stage)
                    .map(|p| ProposedPoint {
                        memory_mb: p.memory_mb,
                        d: p.d,
                        predicted_s: p.predicted_s,
                        ln_sd: p.ln_sd,
                    })
                    .collect()
            }),
    };
    let missing: Vec<_> = state
        .project
        .workflow
        .stages
        .iter()
        .filter(|s| profiles.stage(&s.id).is_none_or(|p| p.runs.is_empty()))
        .map(|s| s.id.clone())
        .collect();
    html! {
        <div class="profiles-body">
            <div class="stage-pick">
                <label>{ "Stage " }
                    <select data-testid="profile-stage" {onchange}>
                        { for profiles.stages.iter().map(|p| html! {
                            <option value={p.stage.clone()} selected={p.stage == stage}>
                                { format!("{} ({} runs)", p.stage, p.runs.len()) }
                            </option>
                        }) }
                    </select>
                </label>
                <span class="muted">{ format!("measured at {} MB per vCPU", profiles.mb_per_vcpu) }</span>
            </div>
            if !missing.is_empty() {
                <p class="warn" data-testid="profiles-missing">{ format!("No runs for: {}", missing.join(", ")) }</p>
            }
            { coverage }
            <ProfileChart view={view.clone()} />
            { view_fit(view.fitted.as_ref()) }
            { flagged::view_flagged(state, store) }
            <StageRuns runs={view.runs.clone()} />
        </div>
    }
}

fn view_fit(fitted: Option<&FittedProfile>) -> Html {
    let pct = |e: Option<f64>| e.map_or("–".to_string(), |e| format!("{:.1} %", e * 100.0));
    match fitted {
        None => {
            html! { <p class="hint" data-testid="fit-pending">{ "Fit appears after planning." }</p> }
        }
        Some(f) => html! {
            <p class="fit-errors" data-testid="fit-errors">
                { format!("Fit error {} · cross-validated {}", pct(f.fit_error), pct(f.cv_error)) }
            </p>
        },
    }
}
