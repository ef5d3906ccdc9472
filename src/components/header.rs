//! The app header: product name, project name, open, save and the examples menu.

pub mod examples_menu;

use yew::prelude::*;

use crate::browser::download::download_text;
use crate::browser::file::picked_files;
use crate::state::{Action, Level};
use crate::store::use_store;
use examples_menu::ExamplesMenu;

/// File types the open button offers (detection is by content anyway).
pub const OPEN_ACCEPT: &str = ".json,.csv,application/json,text/csv";

/// A file name for the saved project: the workflow name, filesystem-safe.
pub fn project_file_name(workflow_name: &str) -> String {
    let stem: String = workflow_name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches('-');
    format!(
        "{}.faasplan.json",
        if stem.is_empty() { "project" } else { stem }
    )
}

/// The header bar.
#[component]
pub fn Header() -> Html {
    let store = use_store();
    let save = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| {
            let project = &store.state().project;
            let result = project
                .workflow
                .validate()
                .map_err(|e| format!("cannot save: workflow: {e}"))
                .and_then(|_| {
                    download_text(
                        &project_file_name(&project.workflow.name),
                        "application/json",
                        &project.to_core().to_json(),
                    )
                });
            if let Err(msg) = result {
                store.report(Level::Error, msg);
            }
        })
    };
    let rename = store.callback(|e: Event| {
        let input: web_sys::HtmlInputElement = e.target_unchecked_into();
        Action::RenameWorkflow(input.value())
    });
    let open = {
        let store = store.clone();
        Callback::from(move |e: Event| store.open_files(picked_files(&e)))
    };
    html! {
        <header class="app-header" data-testid="app-header">
            <div class="brand">
                <span class="logo" aria-hidden="true">{ "◆" }</span>
                <h1>{ "faasplan" }</h1>
                <span class="tagline">{ "memory and parallelism for serverless workflows, at a latency percentile" }</span>
            </div>
            <div class="header-actions">
                <input class="project-name" data-testid="project-name" aria-label="Workflow name"
                    value={store.state().project.workflow.name.clone()} onchange={rename} />
                <ExamplesMenu />
                <label class="btn file-btn" title="Open a project, Jolteon workflow/profile/grid or profile CSV (or drop files on the page)">
                    { "Open…" }
                    <input type="file" multiple=true accept={OPEN_ACCEPT} data-testid="open-file" onchange={open} />
                </label>
                <button class="btn" data-testid="save-project" onclick={save}>{ "Save project" }</button>
            </div>
        </header>
    }
}

#[cfg(test)]
mod tests {
    use super::project_file_name;

    #[test]
    fn project_file_name_is_filesystem_safe() {
        assert_eq!(
            project_file_name("ML-Pipeline"),
            "ML-Pipeline.faasplan.json"
        );
        assert_eq!(project_file_name("a/b c"), "a-b-c.faasplan.json");
        assert_eq!(project_file_name("//"), "project.faasplan.json");
    }
}
