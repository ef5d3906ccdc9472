//! Pure geometry of the workflow editor, in two coordinate systems:
//! - model units: where stages live (`Stage::position` is a stage's top-left
//!   corner; every stage is a [`NODE_W`] × [`NODE_H`] box);
//! - screen pixels: relative to the editor's `<svg>` top-left corner.
//!
//! [`transform::ViewTransform`] maps one to the other
//! (`screen = model · scale + offset`). Edges leave a stage's output port (middle
//! of its right side) and enter the input port (middle of the left side) along a
//! cubic Bézier ([`route`]). [`hit`] finds what is under a point, and [`layout`]
//! places imported workflows in layers. Nothing here touches the DOM.

pub mod hit;
pub mod layout;
pub mod route;
pub mod transform;

use faasplan_core::dag::{Position, Stage};

/// Width of a stage box, model units.
pub const NODE_W: f64 = 140.0;
/// Height of a stage box, model units.
pub const NODE_H: f64 = 48.0;
/// Radius of a port circle, model units.
pub const PORT_R: f64 = 6.0;

/// A point, in whichever system the context says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Horizontal coordinate.
    pub x: f64,
    /// Vertical coordinate.
    pub y: f64,
}

impl Point {
    /// A point.
    pub const fn new(x: f64, y: f64) -> Self {
        Point { x, y }
    }

    /// Euclidean distance to `other`.
    pub fn distance(self, other: Point) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

impl From<Position> for Point {
    fn from(p: Position) -> Self {
        Point::new(p.x, p.y)
    }
}

impl From<Point> for Position {
    fn from(p: Point) -> Self {
        Position { x: p.x, y: p.y }
    }
}

/// Top-left corner of a stage (the origin when it has no position yet).
pub fn stage_origin(stage: &Stage) -> Point {
    stage.position.map_or(Point::new(0.0, 0.0), Point::from)
}

/// Where edges leave a stage.
pub fn output_port(stage: &Stage) -> Point {
    let o = stage_origin(stage);
    Point::new(o.x + NODE_W, o.y + NODE_H / 2.0)
}

/// Where edges enter a stage.
pub fn input_port(stage: &Stage) -> Point {
    let o = stage_origin(stage);
    Point::new(o.x, o.y + NODE_H / 2.0)
}

/// Smallest box holding every stage: `(min, max)` corners, `None` when empty.
pub fn bounds(stages: &[Stage]) -> Option<(Point, Point)> {
    let mut it = stages.iter().map(stage_origin);
    let first = it.next()?;
    let (mut lo, mut hi) = (first, first);
    for p in it {
        lo = Point::new(lo.x.min(p.x), lo.y.min(p.y));
        hi = Point::new(hi.x.max(p.x), hi.y.max(p.y));
    }
    Some((lo, Point::new(hi.x + NODE_W, hi.y + NODE_H)))
}

#[cfg(test)]
mod tests;
