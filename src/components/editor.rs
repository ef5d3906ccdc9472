//! The workflow editor panel: toolbar, canvas and the selected stage's inspector.
//! The pan/zoom view lives here so the toolbar can fit it to the drawing.

pub mod canvas;
pub mod drag;
pub mod inspector;
pub mod rename;

use faasplan_core::dag::Position;
use yew::prelude::*;

use crate::geometry::transform::ViewTransform;
use crate::geometry::{NODE_H, NODE_W, Point};
use crate::state::Action;
use crate::store::use_store;
use canvas::Canvas;
use inspector::Inspector;

/// Size the fit button assumes for the canvas, pixels (its CSS size at 1280 × 800).
const FIT_VIEWPORT: (f64, f64) = (780.0, 360.0);

/// The workflow editor panel.
#[component]
pub fn EditorPanel() -> Html {
    let store = use_store();
    let view = use_state(ViewTransform::default);
    let state = store.state();
    let stage_count = state.project.workflow.stages.len();

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
        let (store, view) = (store.clone(), view.clone());
        Callback::from(move |_: MouseEvent| {
            let stages = &store.state().project.workflow.stages;
            view.set(ViewTransform::fit(stages, FIT_VIEWPORT.0, FIT_VIEWPORT.1));
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
            <Canvas view={view.clone()} />
            <Inspector />
        </section>
    }
}
