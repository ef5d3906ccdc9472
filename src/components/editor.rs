//! The workflow editor panel: toolbar, canvas and the selected stage's inspector.
//! The pan/zoom view lives here so the toolbar can fit it to the drawing.

pub mod arch_choice;
pub mod canvas;
pub mod drag;
pub mod inspector;
pub mod never_fuse;
pub mod rename;

use faasplan_core::dag::{Position, Stage};
use web_sys::Element;
use yew::prelude::*;

use crate::geometry::transform::ViewTransform;
use crate::geometry::{NODE_H, NODE_W, Point};
use crate::state::Action;
use crate::store::use_store;
use canvas::Canvas;
use inspector::Inspector;

/// Canvas size assumed when it cannot be measured, pixels (its CSS size at 1280 × 800).
const FALLBACK_VIEWPORT: (f64, f64) = (880.0, 360.0);

/// A view that shows every stage in the canvas as it is laid out now.
fn fit_view(stages: &[Stage], wrap: &NodeRef) -> ViewTransform {
    let (w, h) = wrap
        .cast::<Element>()
        .map(|el| (f64::from(el.client_width()), f64::from(el.client_height())))
        .filter(|&(w, h)| w > 0.0 && h > 0.0)
        .unwrap_or(FALLBACK_VIEWPORT);
    ViewTransform::fit(stages, w, h)
}

/// The workflow editor panel.
#[component]
pub fn EditorPanel() -> Html {
    let store = use_store();
    let view = use_state(ViewTransform::default);
    let wrap = use_node_ref();
    let state = store.state();
    let stage_count = state.project.workflow.stages.len();
    {
        let (store, view, wrap) = (store.clone(), view.clone(), wrap.clone());
        use_effect_with(state.fit_rev, move |rev| {
            if *rev > 0 {
                view.set(fit_view(&store.state().project.workflow.stages, &wrap));
            }
        });
    }

    let add = {
        let (store, view) = (store.clone(), view.clone());
        Callback::from(move |_: MouseEvent| {
            let n = store.state().project.workflow.stages.len() as f64;
            // New stages appear near the top-left of the visible area, staggered.
            let corner = view.to_model(Point::new(40.0, 40.0));
            let at = Position {
                x: corner.x + (n % 5.0) * (NODE_W * 0.3),
                y: corner.y + (n % 5.0) * (NODE_H * 1.3),
            };
            store.dispatch(Action::AddStage { at });
        })
    };
    let fit = {
        let (store, view, wrap) = (store.clone(), view.clone(), wrap.clone());
        Callback::from(move |_: MouseEvent| {
            view.set(fit_view(&store.state().project.workflow.stages, &wrap));
        })
    };
    let button = |label: &'static str, testid: &'static str, action: Action, enabled: bool| {
        let onclick = store.callback(move |_: MouseEvent| action.clone());
        html! { <button class="btn" data-testid={testid} disabled={!enabled} {onclick}>{ label }</button> }
    };
    html! {
        <section class="panel panel-editor" data-testid="panel-editor">
            <header class="panel-head">
                <h2>{ "Workflow" }</h2>
                <span class="muted">{ format!("{} stages · {} edges", stage_count, state.project.workflow.edges.len()) }</span>
                <div class="toolbar">
                    <button class="btn primary" data-testid="add-stage" onclick={add}>{ "+ Stage" }</button>
                    { button("Delete", "delete-selection", Action::DeleteSelection, state.selection.is_some()) }
                    { button("Undo", "undo", Action::Undo, state.history.can_undo()) }
                    { button("Redo", "redo", Action::Redo, state.history.can_redo()) }
                    { button("Layout", "auto-layout", Action::AutoLayout, stage_count > 0) }
                    <button class="btn" data-testid="fit-view" disabled={stage_count == 0} onclick={fit}>{ "Fit" }</button>
                </div>
            </header>
            <div class="canvas-wrap" ref={wrap}><Canvas view={view.clone()} /></div>
            <Inspector />
        </section>
    }
}
