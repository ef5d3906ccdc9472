//! Hit-testing in model units. Priority: an output port (to start a
//! connection), then a stage box (the one drawn last wins, as it is on top),
//! then an edge within [`EDGE_TOLERANCE`], else the background.

use faasplan_core::dag::Workflow;

use super::route::curve_distance;
use super::{NODE_H, NODE_W, PORT_R, Point, input_port, output_port, stage_origin};

/// How far from an edge a click still selects it, model units.
pub const EDGE_TOLERANCE: f64 = 6.0;

/// What lies under a point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hit {
    /// The output port of a stage.
    OutputPort(String),
    /// The input port of a stage.
    InputPort(String),
    /// The body of a stage.
    Stage(String),
    /// An edge.
    Edge {
        /// Upstream stage id.
        from: String,
        /// Downstream stage id.
        to: String,
    },
    /// Nothing.
    Background,
}

/// What lies under the model point `p`.
pub fn hit_test(wf: &Workflow, p: Point) -> Hit {
    let grab = PORT_R * 2.0;
    for s in wf.stages.iter().rev() {
        if output_port(s).distance(p) <= grab {
            return Hit::OutputPort(s.id.clone());
        }
        if input_port(s).distance(p) <= grab {
            return Hit::InputPort(s.id.clone());
        }
    }
    for s in wf.stages.iter().rev() {
        let o = stage_origin(s);
        if p.x >= o.x && p.x <= o.x + NODE_W && p.y >= o.y && p.y <= o.y + NODE_H {
            return Hit::Stage(s.id.clone());
        }
    }
    for e in &wf.edges {
        let ends = (
            wf.stages.iter().find(|s| s.id == e.from),
            wf.stages.iter().find(|s| s.id == e.to),
        );
        if let (Some(a), Some(b)) = ends
            && curve_distance(p, output_port(a), input_port(b)) <= EDGE_TOLERANCE
        {
            return Hit::Edge {
                from: e.from.clone(),
                to: e.to.clone(),
            };
        }
    }
    Hit::Background
}

/// The stage a connection dropped at `p` goes to: a stage body or either port.
pub fn drop_target(wf: &Workflow, p: Point) -> Option<String> {
    match hit_test(wf, p) {
        Hit::Stage(id) | Hit::InputPort(id) | Hit::OutputPort(id) => Some(id),
        Hit::Edge { .. } | Hit::Background => None,
    }
}
