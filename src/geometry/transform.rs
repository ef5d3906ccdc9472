//! The screen ↔ model transform: `screen = model · scale + offset`, so
//! `model = (screen − offset) / scale`. Zooming keeps the point under the
//! cursor fixed; the scale stays within [`ViewTransform::MIN_SCALE`,
//! `ViewTransform::MAX_SCALE`].

use super::{Point, bounds};
use faasplan_core::dag::Stage;

/// Pan and zoom of the editor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewTransform {
    /// Screen pixels per model unit.
    pub scale: f64,
    /// Screen position of the model origin, pixels.
    pub offset: Point,
}

impl Default for ViewTransform {
    fn default() -> Self {
        ViewTransform {
            scale: 1.0,
            offset: Point::new(0.0, 0.0),
        }
    }
}

impl ViewTransform {
    /// Smallest zoom.
    pub const MIN_SCALE: f64 = 0.05;
    /// Largest zoom.
    pub const MAX_SCALE: f64 = 4.0;

    /// Model point → screen point.
    pub fn to_screen(&self, p: Point) -> Point {
        Point::new(
            p.x * self.scale + self.offset.x,
            p.y * self.scale + self.offset.y,
        )
    }

    /// Screen point → model point.
    pub fn to_model(&self, p: Point) -> Point {
        Point::new(
            (p.x - self.offset.x) / self.scale,
            (p.y - self.offset.y) / self.scale,
        )
    }

    /// Moves the view by a screen-pixel delta.
    pub fn panned(&self, dx: f64, dy: f64) -> Self {
        ViewTransform {
            scale: self.scale,
            offset: Point::new(self.offset.x + dx, self.offset.y + dy),
        }
    }

    /// Zooms by `factor` about the screen point `at`, which stays put.
    pub fn zoomed(&self, factor: f64, at: Point) -> Self {
        let scale = (self.scale * factor).clamp(Self::MIN_SCALE, Self::MAX_SCALE);
        let anchor = self.to_model(at);
        ViewTransform {
            scale,
            offset: Point::new(at.x - anchor.x * scale, at.y - anchor.y * scale),
        }
    }

    /// Zoom factor for a wheel movement of `delta_y` pixels (down zooms out).
    pub fn wheel_factor(delta_y: f64) -> f64 {
        (-delta_y * 0.0015).exp()
    }

    /// A view showing every stage inside a `width` × `height` screen with a
    /// margin, never zoomed in beyond 1.
    pub fn fit(stages: &[Stage], width: f64, height: f64) -> Self {
        const MARGIN: f64 = 32.0;
        let Some((lo, hi)) = bounds(stages) else {
            return ViewTransform::default();
        };
        let (w, h) = ((hi.x - lo.x).max(1.0), (hi.y - lo.y).max(1.0));
        let scale = ((width - 2.0 * MARGIN) / w)
            .min((height - 2.0 * MARGIN) / h)
            .clamp(Self::MIN_SCALE, 1.0);
        let offset = Point::new(
            (width - w * scale) / 2.0 - lo.x * scale,
            (height - h * scale) / 2.0 - lo.y * scale,
        );
        ViewTransform { scale, offset }
    }

    /// The SVG `transform` attribute for the model layer.
    pub fn svg_attr(&self) -> String {
        format!(
            "translate({:.2} {:.2}) scale({:.4})",
            self.offset.x, self.offset.y, self.scale
        )
    }
}
