//! The profiles panel: load measured runs and see which stages they cover.

use faasplan_core::profile::Profiles;
use yew::prelude::*;

use crate::browser::file::{picked_file, read_text};
use crate::state::{Action, Level};
use crate::store::{Store, use_store};

/// Parses profile JSON in faasplan's own layout (`faasplan_core::profile::Profiles`).
pub fn parse_profiles(name: &str, text: &str) -> Result<Profiles, String> {
    serde_json::from_str(text).map_err(|e| format!("cannot read profiles from {name}: {e}"))
}

/// The profiles panel.
#[component]
pub fn ProfilesPanel() -> Html {
    let store = use_store();
    let onchange = {
        let store = store.clone();
        Callback::from(move |e: Event| {
            if let Some(file) = picked_file(&e) {
                load(store.clone(), file);
            }
        })
    };
    html! {
        <section class="panel panel-profiles" data-testid="panel-profiles">
            <header class="panel-head">
                <h2>{ "Profiles" }</h2>
                <label class="btn file-btn">
                    { "Load…" }
                    <input type="file" accept=".json,application/json" data-testid="profiles-file" {onchange} />
                </label>
            </header>
            { view_body(&store) }
        </section>
    }
}

fn load(store: Store, file: web_sys::File) {
    wasm_bindgen_futures::spawn_local(async move {
        let name = file.name();
        let parsed = read_text(file)
            .await
            .and_then(|text| parse_profiles(&name, &text));
        match parsed {
            Ok(profiles) => store.dispatch(Action::ProfilesLoaded(profiles)),
            Err(msg) => store.report(Level::Warning, msg),
        }
    });
}

fn view_body(store: &Store) -> Html {
    let project = &store.state().project;
    let Some(profiles) = &project.profiles else {
        return html! {
            <div class="empty-state" data-testid="profiles-empty">
                <p>{ "Measured step times of each stage go here." }</p>
                <p class="hint">{ "Load a profile file: runs of every stage under a few memory and parallelism settings." }</p>
            </div>
        };
    };
    let rows = project.workflow.stages.iter().map(|stage| {
        let runs = profiles
            .stage(&stage.id)
            .map(|p| p.runs.as_slice())
            .unwrap_or_default();
        let mut configs: Vec<(u32, u32)> = runs.iter().map(|r| (r.memory_mb, r.d)).collect();
        configs.sort_unstable();
        configs.dedup();
        let status = if runs.is_empty() { "missing" } else { "ok" };
        html! {
            <tr class={status}>
                <td>{ stage.id.clone() }</td>
                <td class="num">{ runs.len() }</td>
                <td class="num">{ configs.len() }</td>
                <td>{ if runs.is_empty() { "no runs" } else { "profiled" } }</td>
            </tr>
        }
    });
    html! {
        <table class="table" data-testid="profiles-table">
            <thead><tr><th>{ "Stage" }</th><th class="num">{ "Runs" }</th><th class="num">{ "Configs" }</th><th>{ "Status" }</th></tr></thead>
            <tbody>{ for rows }</tbody>
            <caption>{ format!("{} profiled stages · {:.0} MB per vCPU", profiles.stages.len(), profiles.mb_per_vcpu) }</caption>
        </table>
    }
}
