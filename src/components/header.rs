//! The app header: product name, project name, project import and export.

use yew::prelude::*;

use crate::browser::download::download_text;
use crate::browser::file::{picked_file, read_text};
use crate::state::{Action, Level, Project};
use crate::store::use_store;

/// Parses a project file written by "Export".
pub fn parse_project(name: &str, text: &str) -> Result<Project, String> {
    serde_json::from_str(text).map_err(|e| format!("cannot read project from {name}: {e}"))
}

/// The header bar.
#[component]
pub fn Header() -> Html {
    let store = use_store();
    let export = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| {
            let result = serde_json::to_string_pretty(&store.state().project)
                .map_err(|e| format!("cannot write project: {e}"))
                .and_then(|json| download_text("faasplan-project.json", "application/json", &json));
            if let Err(msg) = result {
                store.report(Level::Error, msg);
            }
        })
    };
    let import = {
        let store = store.clone();
        Callback::from(move |e: Event| {
            let Some(file) = picked_file(&e) else { return };
            let store = store.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                match read_text(file).await.and_then(|t| parse_project(&name, &t)) {
                    Ok(project) => store.dispatch(Action::ProjectLoaded(project)),
                    Err(msg) => store.report(Level::Warning, msg),
                }
            });
        })
    };
    html! {
        <header class="app-header">
            <div class="brand">
                <span class="logo" aria-hidden="true">{ "◆" }</span>
                <h1>{ "faasplan" }</h1>
                <span class="tagline">{ "memory and parallelism for serverless workflows, at a latency percentile" }</span>
            </div>
            <div class="header-actions">
                <span class="project-name" data-testid="project-name">{ store.state().project.workflow.name.clone() }</span>
                <label class="btn file-btn">
                    { "Import" }
                    <input type="file" accept=".json,application/json" data-testid="project-file" onchange={import} />
                </label>
                <button class="btn" data-testid="export-project" onclick={export}>{ "Export" }</button>
            </div>
        </header>
    }
}
