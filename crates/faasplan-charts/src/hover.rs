//! Which point is under the pointer: the nearest in screen space, within a radius.

use super::ChartFrame;

/// Index of the point nearest to `pointer_px` (in pixels, after mapping
/// through `frame`), if it lies within `max_px`. Ties go to the lower index.
pub fn nearest(
    frame: &ChartFrame,
    points: &[(f64, f64)],
    pointer_px: (f64, f64),
    max_px: f64,
) -> Option<usize> {
    points
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            let (px, py) = frame.to_px(x, y);
            (i, (px - pointer_px.0).hypot(py - pointer_px.1))
        })
        .filter(|(_, d)| d.is_finite() && *d <= max_px)
        .fold(None, |best: Option<(usize, f64)>, (i, d)| match best {
            Some((_, bd)) if bd <= d => best,
            _ => Some((i, d)),
        })
        .map(|(i, _)| i)
}
