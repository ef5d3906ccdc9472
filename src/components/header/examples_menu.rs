//! The examples menu: fetch a bundled workflow with its profile and open it.

use yew::prelude::*;

use crate::browser::fetch::fetch_text;
use crate::import::NamedText;
use crate::state::Level;
use crate::store::{Store, use_store};

/// A bundled example: menu label and the files under `examples/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    /// Menu label.
    pub label: &'static str,
    /// Jolteon workflow file.
    pub workflow: &'static str,
    /// Jolteon profile file.
    pub profile: &'static str,
}

/// The bundled examples (Trunk copies `static/examples/` to `dist/examples/`).
pub const EXAMPLES: [Example; 2] = [
    Example {
        label: "ML pipeline",
        workflow: "ML-pipeline.json",
        profile: "ML-Pipeline_profile.json",
    },
    Example {
        label: "Video analytics",
        workflow: "Video-analytics.json",
        profile: "Video-Analytics_profile.json",
    },
];

async fn fetch_example(example: Example) -> Result<Vec<NamedText>, String> {
    let mut out = Vec::new();
    for name in [example.workflow, example.profile] {
        let text = fetch_text(&format!("examples/{name}")).await?;
        out.push(NamedText::new(name, text));
    }
    Ok(out)
}

fn open(store: Store, example: Example) {
    wasm_bindgen_futures::spawn_local(async move {
        match fetch_example(example).await {
            Ok(files) => store.import(&files),
            Err(msg) => store.report(Level::Error, msg),
        }
    });
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
