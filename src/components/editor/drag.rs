//! The editor's pointer gestures as a pure state machine: what a press starts,
//! what a move changes, and which action (if any) a release dispatches.
//! The canvas component only feeds it points and dispatches the result.

use faasplan_core::dag::Workflow;

use crate::geometry::hit::{Hit, drop_target, hit_test};
use crate::geometry::transform::ViewTransform;
use crate::geometry::{Point, stage_origin};
use crate::state::{Action, Selection};

/// Movement below which a press counts as a click, screen pixels.
pub const CLICK_SLOP_PX: f64 = 3.0;

/// A gesture in progress.
#[derive(Clone, Debug, PartialEq)]
pub enum Drag {
    /// Moving a stage; `origin` is where its top-left corner would be now.
    Move {
        /// Stage id.
        id: String,
        /// Pointer position minus the stage's origin, model units.
        grab: Point,
        /// Current top-left corner, model units.
        origin: Point,
        /// Whether the pointer has moved beyond the click slop.
        moved: bool,
        /// Where the press happened, screen pixels.
        start: Point,
    },
    /// Dragging a new edge out of a stage's output port.
    Connect {
        /// Upstream stage id.
        from: String,
        /// Pointer, model units.
        cursor: Point,
    },
    /// Panning the view by dragging the background.
    Pan {
        /// Last pointer position, screen pixels.
        last: Point,
    },
}

/// What a press at screen point `at` does: the gesture it starts and the selection it makes.
pub fn press(wf: &Workflow, view: &ViewTransform, at: Point) -> (Drag, Option<Action>) {
    let p = view.to_model(at);
    match hit_test(wf, p) {
        Hit::OutputPort(from) => (Drag::Connect { from, cursor: p }, None),
        Hit::Stage(id) | Hit::InputPort(id) => {
            let origin = wf
                .stages
                .iter()
                .find(|s| s.id == id)
                .map_or(p, stage_origin);
            let grab = Point::new(p.x - origin.x, p.y - origin.y);
            let select = Action::Select(Some(Selection::Stage(id.clone())));
            let drag = Drag::Move {
                id,
                grab,
                origin,
                moved: false,
                start: at,
            };
            (drag, Some(select))
        }
        Hit::Edge { from, to } => (
            Drag::Pan { last: at },
            Some(Action::Select(Some(Selection::Edge { from, to }))),
        ),
        Hit::Background => (Drag::Pan { last: at }, Some(Action::Select(None))),
    }
}

/// The gesture after the pointer moved to screen point `at`, and the new view.
pub fn motion(drag: &Drag, view: &ViewTransform, at: Point) -> (Drag, ViewTransform) {
    let p = view.to_model(at);
    match drag {
        Drag::Move {
            id,
            grab,
            moved,
            start,
            ..
        } => {
            let drag = Drag::Move {
                id: id.clone(),
                grab: *grab,
                origin: Point::new(p.x - grab.x, p.y - grab.y),
                moved: *moved || start.distance(at) > CLICK_SLOP_PX,
                start: *start,
            };
            (drag, *view)
        }
        Drag::Connect { from, .. } => (
            Drag::Connect {
                from: from.clone(),
                cursor: p,
            },
            *view,
        ),
        Drag::Pan { last } => (
            Drag::Pan { last: at },
            view.panned(at.x - last.x, at.y - last.y),
        ),
    }
}

/// The action a release at screen point `at` dispatches.
pub fn release(wf: &Workflow, view: &ViewTransform, drag: &Drag, at: Point) -> Option<Action> {
    match drag {
        Drag::Move {
            id, origin, moved, ..
        } if *moved => Some(Action::MoveStage {
            id: id.clone(),
            to: (*origin).into(),
        }),
        Drag::Connect { from, .. } => {
            let to = drop_target(wf, view.to_model(at))?;
            (&to != from).then(|| Action::Connect {
                from: from.clone(),
                to,
            })
        }
        Drag::Move { .. } | Drag::Pan { .. } => None,
    }
}
