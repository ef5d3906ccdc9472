//! The examples menu: open a bundled workflow with its profile.

use yew::prelude::*;

use crate::state::Action;
use crate::store::{Store, use_store};
use crate::worker::protocol::FileRef;

/// A bundled example: menu label and the files under `examples/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    /// Menu label.
    pub label: &'static str,
    /// Jolteon workflow file.
    pub workflow: &'static str,
    /// Jolteon profile file.
    pub profile: &'static str,
    /// Profiling grid side file, for a workflow without a bundled grid.
    pub grid: Option<&'static str>,
}

/// The bundled examples (Trunk copies `static/examples/` to `dist/examples/`).
pub const EXAMPLES: [Example; 3] = [
    Example {
        label: "ML pipeline",
        workflow: "ML-pipeline.json",
        profile: "ML-Pipeline_profile.json",
        grid: None,
    },
    Example {
        label: "Video analytics",
        workflow: "Video-analytics.json",
        profile: "Video-Analytics_profile.json",
        grid: None,
    },
    // A chain of four single-instance stages measured as the ML pipeline's
    // stage0 and stage3 (alternating): every edge may be fused.
    Example {
        label: "Fusion chain",
        workflow: "Fusion-chain.json",
        profile: "Fusion-Chain_profile.json",
        grid: Some("Fusion-Chain_grid.json"),
    },
];

/// Opens the example's files through the file-reading worker, which fetches
/// them from `examples/` beside the page (an absolute URL: the worker's own
/// script is a blob, so a relative one would not resolve).
fn open(store: Store, example: Example) {
    let base = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let files = example
        .grid
        .into_iter()
        .chain([example.workflow, example.profile])
        .map(|name| {
            let path = format!("examples/{name}");
            let url = web_sys::Url::new_with_base(&path, &base).map_or(path, |u| u.href());
            FileRef {
                name: name.into(),
                url,
                bytes: 0,
            }
        })
        .collect();
    crate::browser::perf::mark_open();
    store.dispatch(Action::OpenFiles(files));
}

/// A select that opens the chosen example.
#[component]
pub fn ExamplesMenu() -> Html {
    let store = use_store();
    let onchange = Callback::from(move |e: Event| {
        let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else {
            return;
        };
        let chosen = EXAMPLES.iter().find(|x| x.label == select.value()).copied();
        select.set_value("");
        if let Some(example) = chosen {
            open(store.clone(), example);
        }
    });
    html! {
        <select class="btn examples" data-testid="examples-menu" aria-label="Open an example" {onchange}>
            <option value="" selected=true>{ "Examples…" }</option>
            { for EXAMPLES.iter().map(|x| html! { <option value={x.label}>{ x.label }</option> }) }
        </select>
    }
}
