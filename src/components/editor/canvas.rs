//! The workflow drawing: an `<svg>` with edges and stage boxes in a model
//! layer under the pan/zoom transform. Pointer handlers read the event's
//! screen point and hand it to [`drag`](super::drag); keys and double-click
//! rename are handled here too.

use faasplan_core::dag::{Stage, StageKind, Workflow};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};
use yew::prelude::*;

use super::drag::{Drag, motion, press, release};
use super::rename::RenameField;
use crate::geometry::hit::{Hit, hit_test};
use crate::geometry::route::edge_path;
use crate::geometry::transform::ViewTransform;
use crate::geometry::{NODE_H, NODE_W, PORT_R, Point, input_port, output_port, stage_origin};
use crate::state::fusion::{PlanLayout, chosen_report};
use crate::state::{Action, Selection};
use crate::store::{Store, use_store};

/// Props of [`Canvas`].
#[derive(Properties, PartialEq)]
pub struct CanvasProps {
    /// The current view (owned by the editor panel, so its toolbar can fit it).
    pub view: UseStateHandle<ViewTransform>,
}

/// The interactive workflow drawing.
#[component]
pub fn Canvas(props: &CanvasProps) -> Html {
    let store = use_store();
    let drag = use_state(|| None::<Drag>);
    let renaming = use_state(|| None::<String>);
    let svg = use_node_ref();
    let host = use_node_ref();
    let view = props.view.clone();
    let state = store.state();
    let wf = &state.project.workflow;

    let onpointerdown = {
        let (store, drag, view, svg, host) = (
            store.clone(),
            drag.clone(),
            view.clone(),
            svg.clone(),
            host.clone(),
        );
        Callback::from(move |e: PointerEvent| {
            if e.button() != 0 {
                return;
            }
            if let Some(h) = host.cast::<HtmlElement>() {
                let _ = h.focus();
            }
            if let Some(el) = svg.cast::<Element>() {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            let (gesture, action) = press(
                &store.state().project.workflow,
                &view,
                screen_point(&svg, &e),
            );
            drag.set(Some(gesture));
            if let Some(a) = action {
                store.dispatch(a);
            }
        })
    };
    let onpointermove = {
        let (drag, view, svg) = (drag.clone(), view.clone(), svg.clone());
        Callback::from(move |e: PointerEvent| {
            if let Some(d) = drag.as_ref() {
                let (next, next_view) = motion(d, &view, screen_point(&svg, &e));
                if next_view != *view {
                    view.set(next_view);
                }
                drag.set(Some(next));
            }
        })
    };
    let onpointerup = {
        let (store, drag, view, svg) = (store.clone(), drag.clone(), view.clone(), svg.clone());
        Callback::from(move |e: PointerEvent| {
            if let Some(d) = drag.as_ref() {
                let at = screen_point(&svg, &e);
                if let Some(a) = release(&store.state().project.workflow, &view, d, at) {
                    store.dispatch(a);
                }
            }
            drag.set(None);
        })
    };
    let onwheel = {
        let (view, svg) = (view.clone(), svg.clone());
        Callback::from(move |e: WheelEvent| {
            e.prevent_default();
            let factor = ViewTransform::wheel_factor(e.delta_y());
            view.set(view.zoomed(factor, screen_point(&svg, &e)));
        })
    };
    let ondblclick = {
        let (store, view, svg, renaming) =
            (store.clone(), view.clone(), svg.clone(), renaming.clone());
        Callback::from(move |e: MouseEvent| {
            let p = view.to_model(screen_point(&svg, &e));
            if let Hit::Stage(id) = hit_test(&store.state().project.workflow, p) {
                renaming.set(Some(id));
            }
        })
    };
    let onkeydown = key_handler(store.clone(), drag.clone());

    let moving = match drag.as_ref() {
        Some(Drag::Move { id, origin, .. }) => Some((id.as_str(), *origin)),
        _ => None,
    };
    let preview = match drag.as_ref() {
        Some(Drag::Connect { from, cursor }) => wf.stages.iter().find(|s| &s.id == from).map(
            |s| html! { <path class="edge preview" d={edge_path(output_port(s), *cursor)} /> },
        ),
        _ => None,
    };
    let placed = placed_workflow(wf, moving);
    let layout = chosen_report(state)
        .map(|r| PlanLayout::of(r))
        .unwrap_or_default();
    let on_edge = |id: &str| layout.on_edge.iter().any(|x| x == id);

    html! {
        <div class="canvas-host" ref={host} tabindex="0" data-testid="editor-canvas" {onkeydown}>
            <svg ref={svg} class="canvas" {onpointerdown} {onpointermove} {onpointerup} {onwheel} {ondblclick}>
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
                    </marker>
                </defs>
                <g transform={view.svg_attr()}>
                    { for layout.groups.iter().map(|g| view_group(&placed, g)) }
                    { for placed.edges.iter().map(|e| view_edge(&placed, e.from.as_str(), e.to.as_str(), &state.selection)) }
                    { for preview }
                    { for placed.stages.iter().map(|s| view_stage(s, state.selected_stage() == Some(s.id.as_str()), on_edge(&s.id))) }
                </g>
            </svg>
            if wf.stages.is_empty() {
                <div class="canvas-empty" data-testid="editor-empty">
                    <p>{ "Draw the workflow here." }</p>
                    <p class="hint">{ "Add a stage, drag from its right-hand port to another stage to connect them, or open an example from the header (or drop files anywhere on the page)." }</p>
                </div>
            }
            { view_rename(&store, &renaming, &view, wf) }
            { view_legend(&layout) }
        </div>
    }
}

/// The workflow with the stage being dragged drawn at its preview position.
fn placed_workflow(wf: &Workflow, moving: Option<(&str, Point)>) -> Workflow {
    let mut placed = wf.clone();
    if let Some((id, origin)) = moving
        && let Some(s) = placed.stages.iter_mut().find(|s| s.id == id)
    {
        s.position = Some(origin.into());
    }
    placed
}

fn screen_point(svg: &NodeRef, e: &MouseEvent) -> Point {
    let (left, top) = svg
        .cast::<Element>()
        .map(|el| el.get_bounding_client_rect())
        .map_or((0.0, 0.0), |r| (r.left(), r.top()));
    Point::new(
        f64::from(e.client_x()) - left,
        f64::from(e.client_y()) - top,
    )
}

fn key_handler(store: Store, drag: UseStateHandle<Option<Drag>>) -> Callback<KeyboardEvent> {
    Callback::from(move |e: KeyboardEvent| {
        let in_field = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            .is_some();
        if in_field {
            return;
        }
        let ctrl = e.ctrl_key() || e.meta_key();
        let key = e.key();
        let action = match key.as_str() {
            "Delete" | "Backspace" => Some(Action::DeleteSelection),
            "z" | "Z" if ctrl && e.shift_key() => Some(Action::Redo),
            "z" if ctrl => Some(Action::Undo),
            "y" if ctrl => Some(Action::Redo),
            "Escape" => {
                drag.set(None);
                Some(Action::Select(None))
            }
            _ => None,
        };
        if let Some(a) = action {
            e.prevent_default();
            store.dispatch(a);
        }
    })
}

fn view_edge(wf: &Workflow, from: &str, to: &str, selection: &Option<Selection>) -> Html {
    let find = |id: &str| wf.stages.iter().find(|s| s.id == id);
    let (Some(a), Some(b)) = (find(from), find(to)) else {
        return Html::default();
    };
    let selected = selection.as_ref()
        == Some(&Selection::Edge {
            from: from.to_string(),
            to: to.to_string(),
        });
    let class = classes!("edge", selected.then_some("selected"));
    html! {
        <path {class} d={edge_path(output_port(a), input_port(b))} marker-end="url(#arrow)"
              data-testid="edge" data-from={from.to_string()} data-to={to.to_string()} />
    }
}

/// Padding of a fused group's box around its stages, model units.
const GROUP_PAD: f64 = 12.0;

/// One box around the stages of a fused group (they run as one function).
fn view_group(wf: &Workflow, members: &[String]) -> Html {
    let stages: Vec<&Stage> = members
        .iter()
        .filter_map(|id| wf.stages.iter().find(|s| &s.id == id))
        .collect();
    if stages.is_empty() {
        return Html::default();
    }
    let (mut x0, mut y0, mut x1, mut y1) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for s in &stages {
        let o = stage_origin(s);
        x0 = x0.min(o.x);
        y0 = y0.min(o.y);
        x1 = x1.max(o.x + NODE_W);
        y1 = y1.max(o.y + NODE_H);
    }
    let (x, y) = (x0 - GROUP_PAD, y0 - GROUP_PAD - 14.0);
    let (w, h) = (x1 - x0 + 2.0 * GROUP_PAD, y1 - y0 + 2.0 * GROUP_PAD + 14.0);
    html! {
        <g class="fused-group" data-testid="fused-group" data-stages={members.join(" ")}>
            <title>{ format!("Fused: {} run as one function", members.join(", ")) }</title>
            <rect x={x.to_string()} y={y.to_string()} width={w.to_string()} height={h.to_string()} rx="12" />
            <text class="fused-label" x={(x + 10.0).to_string()} y={(y + 14.0).to_string()}>{ "one function" }</text>
        </g>
    }
}

/// What the group boxes and edge badges mean, shown while the plan has any.
fn view_legend(layout: &PlanLayout) -> Html {
    if layout.is_empty() {
        return Html::default();
    }
    html! {
        <div class="editor-legend" data-testid="editor-legend" aria-label="Legend of the plan's drawing">
            if !layout.groups.is_empty() {
                <span><span class="swatch fused" aria-hidden="true"></span>{ "fused: runs as one function" }</span>
            }
            if !layout.on_edge.is_empty() {
                <span><span class="swatch edge" aria-hidden="true"></span>{ format!("on the edge device ({})", layout.on_edge.join(", ")) }</span>
            }
        </div>
    }
}

fn view_stage(s: &Stage, selected: bool, on_edge: bool) -> Html {
    let o = stage_origin(s);
    let (inp, out) = (input_port(s), output_port(s));
    let detail = match (s.kind, s.fixed) {
        (_, Some(c)) => format!("fixed {} MB × {}", c.memory_mb, c.d),
        (StageKind::Single, None) => "single".to_string(),
        (StageKind::Parallel, None) => format!("parallel · {} d", s.allowed_d.len()),
    };
    html! {
        <g class={classes!("stage", selected.then_some("selected"), on_edge.then_some("on-edge"))} data-testid="stage" data-id={s.id.clone()}
           data-on-edge={on_edge.to_string()}>
            <rect x={o.x.to_string()} y={o.y.to_string()} width={NODE_W.to_string()} height={NODE_H.to_string()} rx="8" />
            if on_edge {
                <g class="edge-badge" data-testid="edge-badge">
                    <title>{ "Runs on the edge device" }</title>
                    <rect x={(o.x + NODE_W - 46.0).to_string()} y={(o.y + 6.0).to_string()} width="40" height="16" rx="8" />
                    <text x={(o.x + NODE_W - 26.0).to_string()} y={(o.y + 18.0).to_string()} text-anchor="middle">{ "edge" }</text>
                </g>
            }
            <text class="stage-id" x={(o.x + 12.0).to_string()} y={(o.y + 20.0).to_string()}>{ truncate(&s.id, 16) }</text>
            <text class="stage-detail" x={(o.x + 12.0).to_string()} y={(o.y + 37.0).to_string()}>{ detail }</text>
            <circle class="port in" cx={inp.x.to_string()} cy={inp.y.to_string()} r={PORT_R.to_string()} />
            <circle class="port out" cx={out.x.to_string()} cy={out.y.to_string()} r={PORT_R.to_string()} />
        </g>
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars()
            .take(max - 1)
            .chain(std::iter::once('…'))
            .collect()
    }
}

fn view_rename(
    store: &Store,
    renaming: &UseStateHandle<Option<String>>,
    view: &ViewTransform,
    wf: &Workflow,
) -> Html {
    let Some(id) = renaming.as_ref() else {
        return Html::default();
    };
    let Some(stage) = wf.stages.iter().find(|s| &s.id == id) else {
        return Html::default();
    };
    let at = view.to_screen(stage_origin(stage));
    let style = format!(
        "left:{:.0}px;top:{:.0}px;width:{:.0}px;height:{:.0}px",
        at.x,
        at.y,
        NODE_W * view.scale,
        NODE_H * view.scale
    );
    let on_commit = {
        let (store, renaming, id) = (store.clone(), renaming.clone(), id.clone());
        Callback::from(move |value: String| {
            renaming.set(None);
            if value != id {
                store.dispatch(Action::RenameStage {
                    id: id.clone(),
                    new_id: value,
                });
            }
        })
    };
    let on_cancel = {
        let renaming = renaming.clone();
        Callback::from(move |()| renaming.set(None))
    };
    html! { <RenameField key={id.clone()} value={id.clone()} {style} {on_commit} {on_cancel} /> }
}
