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

#[cfg(test)]
mod tests {
    use faasplan_core::dag::{Position, Workflow};

    use super::*;
    use crate::geometry::{NODE_H, NODE_W, input_port, output_port};
    use crate::state::project::new_stage;

    fn two_stages() -> Workflow {
        let at = |x| Position { x, y: 0.0 };
        Workflow {
            name: "t".into(),
            stages: vec![
                new_stage("a".into(), at(0.0)),
                new_stage("b".into(), at(300.0)),
            ],
            edges: Vec::new(),
            choices: Vec::new(),
            loops: Vec::new(),
            shared: Vec::new(),
        }
    }

    #[test]
    fn dragging_from_an_output_port_to_a_stage_connects_them() {
        let wf = two_stages();
        let view = ViewTransform::default().panned(10.0, 5.0);
        let start = view.to_screen(output_port(&wf.stages[0]));
        let (drag, select) = press(&wf, &view, start);
        assert!(matches!(drag, Drag::Connect { .. }));
        assert_eq!(select, None);
        let end = view.to_screen(input_port(&wf.stages[1]));
        let (drag, _) = motion(&drag, &view, end);
        assert_eq!(
            release(&wf, &view, &drag, end),
            Some(Action::Connect {
                from: "a".into(),
                to: "b".into()
            })
        );
    }

    #[test]
    fn dropping_a_connection_on_the_background_or_itself_does_nothing() {
        let wf = two_stages();
        let view = ViewTransform::default();
        let (drag, _) = press(&wf, &view, output_port(&wf.stages[0]));
        assert_eq!(release(&wf, &view, &drag, Point::new(150.0, 300.0)), None);
        assert_eq!(release(&wf, &view, &drag, Point::new(20.0, 20.0)), None);
    }

    #[test]
    fn dragging_a_stage_moves_it_by_the_pointer_delta_in_model_units() {
        let wf = two_stages();
        let view = ViewTransform {
            scale: 2.0,
            offset: Point::new(0.0, 0.0),
        };
        let grab = view.to_screen(Point::new(NODE_W / 2.0, NODE_H / 2.0));
        let (drag, select) = press(&wf, &view, grab);
        assert_eq!(
            select,
            Some(Action::Select(Some(Selection::Stage("a".into()))))
        );
        let to = Point::new(grab.x + 40.0, grab.y + 20.0);
        let (drag, _) = motion(&drag, &view, to);
        assert_eq!(
            release(&wf, &view, &drag, to),
            Some(Action::MoveStage {
                id: "a".into(),
                to: Position { x: 20.0, y: 10.0 }
            })
        );
    }

    #[test]
    fn a_click_on_a_stage_selects_without_moving() {
        let wf = two_stages();
        let view = ViewTransform::default();
        let p = Point::new(30.0, 20.0);
        let (drag, _) = press(&wf, &view, p);
        let (drag, _) = motion(&drag, &view, Point::new(31.0, 21.0));
        assert_eq!(release(&wf, &view, &drag, p), None);
    }

    #[test]
    fn dragging_the_background_pans_and_clears_the_selection() {
        let wf = two_stages();
        let view = ViewTransform::default();
        let (drag, select) = press(&wf, &view, Point::new(100.0, 300.0));
        assert_eq!(select, Some(Action::Select(None)));
        let (_, panned) = motion(&drag, &view, Point::new(130.0, 290.0));
        assert_eq!(panned.offset, Point::new(30.0, -10.0));
    }
}
