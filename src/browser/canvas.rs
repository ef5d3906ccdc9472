//! Sizing a chart canvas to the width it is shown at, so text is drawn at its
//! real size rather than scaled.

use web_sys::HtmlCanvasElement;

/// Sets the canvas's pixel size to its CSS width (clamped to `min_w..=max_w`,
/// or `fallback_w` when it is not laid out) and `aspect` × that height; returns it.
pub fn fit_canvas(
    el: HtmlCanvasElement,
    aspect: f64,
    min_w: u32,
    max_w: u32,
    fallback_w: u32,
) -> HtmlCanvasElement {
    let css_w = u32::try_from(el.client_width()).unwrap_or(0);
    let w = if css_w == 0 {
        fallback_w
    } else {
        css_w.clamp(min_w, max_w)
    };
    let h = (f64::from(w) * aspect).round() as u32;
    if el.width() != w {
        el.set_width(w);
    }
    if el.height() != h {
        el.set_height(h);
    }
    el
}
