//! The stage inspector's fusion options: for each edge leaving the selected
//! stage, whether the planner must never fuse it (one undo step each).

use faasplan_core::dag::Stage;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::state::Action;
use crate::state::fusion::never_fused;
use crate::store::Store;

/// "Never fuse → child" checkboxes of the stage's outgoing edges.
pub fn view_never_fuse(store: &Store, stage: &Stage) -> Html {
    let project = &store.state().project;
    let children: Vec<&str> = project
        .workflow
        .edges
        .iter()
        .filter(|e| e.from == stage.id)
        .map(|e| e.to.as_str())
        .collect();
    if children.is_empty() {
        return Html::default();
    }
    let hint = if project.fusion.enabled {
        "The planner may fuse an edge between single-instance stages unless it is marked here."
    } else {
        "Fusion is off (Allow fusion, in the controls); these marks apply when it is on."
    };
    html! {
        <fieldset class="never-fuse" data-testid="never-fuse">
            <legend>{ "Fusion" }</legend>
            { for children.into_iter().map(|to| {
                let (from, to_id) = (stage.id.clone(), to.to_string());
                let onchange = store.callback(move |e: Event| Action::SetNeverFuse {
                    from: from.clone(),
                    to: to_id.clone(),
                    never: e
                        .target()
                        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                        .is_some_and(|i| i.checked()),
                });
                html! {
                    <label class="check">
                        <input type="checkbox" data-testid={format!("never-fuse-{to}")}
                               checked={never_fused(project, &stage.id, to)} {onchange} />
                        <span>{ format!("never fuse {} → {to}", stage.id) }</span>
                    </label>
                }
            }) }
            <p class="hint">{ hint }</p>
        </fieldset>
    }
}
