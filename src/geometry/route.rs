//! Edge routing: a cubic Bézier from the upstream stage's output port to the
//! downstream stage's input port, with horizontal tangents at both ends and
//! control points `max(40, |Δx| / 2)` units out. Backward edges (target left of
//! source) get the same shape, which loops out and back. An edge that skips
//! over a layer at nearly the same height would run straight through the
//! stages in between, so it bows upwards: both inner control points are lifted
//! by `min(Δx / 4, 120)` (the curve's peak is ¾ of that).

use super::layout::H_GAP;
use super::{NODE_H, NODE_W, Point};

/// The four control points of an edge from `a` (output port) to `b` (input port).
pub fn edge_curve(a: Point, b: Point) -> [Point; 4] {
    let reach = ((b.x - a.x).abs() / 2.0).max(40.0);
    let skips_a_layer = b.x - a.x > 2.0 * H_GAP + NODE_W / 2.0;
    let lift = if skips_a_layer && (b.y - a.y).abs() < NODE_H {
        ((b.x - a.x) / 4.0).min(120.0)
    } else {
        0.0
    };
    [
        a,
        Point::new(a.x + reach, a.y - lift),
        Point::new(b.x - reach, b.y - lift),
        b,
    ]
}

/// SVG path data (`M .. C ..`) of the curve.
pub fn edge_path(a: Point, b: Point) -> String {
    let [p0, p1, p2, p3] = edge_curve(a, b);
    format!(
        "M{:.1} {:.1} C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}",
        p0.x, p0.y, p1.x, p1.y, p2.x, p2.y, p3.x, p3.y
    )
}

/// The point at parameter `t` in [0, 1] of a cubic Bézier.
pub fn bezier_point(c: &[Point; 4], t: f64) -> Point {
    let u = 1.0 - t;
    let (w0, w1, w2, w3) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    Point::new(
        w0 * c[0].x + w1 * c[1].x + w2 * c[2].x + w3 * c[3].x,
        w0 * c[0].y + w1 * c[1].y + w2 * c[2].y + w3 * c[3].y,
    )
}

/// Distance from `p` to the segment `a`–`b`.
pub fn segment_distance(p: Point, a: Point, b: Point) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return p.distance(a);
    }
    let t = (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0);
    p.distance(Point::new(a.x + t * dx, a.y + t * dy))
}

/// Approximate distance from `p` to the edge curve (24-segment polyline).
pub fn curve_distance(p: Point, a: Point, b: Point) -> f64 {
    const SEGMENTS: usize = 24;
    let c = edge_curve(a, b);
    let pts: Vec<Point> = (0..=SEGMENTS)
        .map(|i| bezier_point(&c, i as f64 / SEGMENTS as f64))
        .collect();
    pts.windows(2)
        .map(|w| segment_distance(p, w[0], w[1]))
        .fold(f64::INFINITY, f64::min)
}

/// Where to draw an edge's label or arrow: the curve's midpoint.
pub fn midpoint(a: Point, b: Point) -> Point {
    bezier_point(&edge_curve(a, b), 0.5)
}
